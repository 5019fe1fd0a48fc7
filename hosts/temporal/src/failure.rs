//! How the component's errors become Temporal failures, so that Temporal's
//! retry model does the right thing with them in any SDK:
//!
//! - the failure's *type* is the WIT `error` case (`permanent-unauthorized`,
//!   `rate-limited`, …): a workflow matches on it, and a retry policy can
//!   list types in `non_retryable_error_types`;
//! - the *message* is the host's one-line message, with the key already
//!   replaced by `<redacted>` (the host redacts every text a call returns);
//! - `permanent-*` cases, `execution-failed` and `submit-outcome-unknown` are
//!   non-retryable: repeating them fails the same way, or (for a submit whose
//!   request may have reached the API) may create a second, paid job;
//! - `rate-limited` asks for its `Retry-After` as the next retry delay;
//! - `wait-timeout` carries the job as last seen as its details.
//!
//! Failures the worker adds (not WIT cases): `results-too-large`, when a
//! results document would not fit in a Temporal payload.

use std::time::Duration;

use matchkraft_host::json::job_to_json;
use matchkraft_host::{Error, text::one_line};
use temporalio_common::error::ApplicationFailure;
use temporalio_sdk::activities::ActivityError;

use crate::payloads::BadPayload;

/// The failure type of a payload too large for Temporal.
pub(crate) const RESULTS_TOO_LARGE: &str = "results-too-large";

/// The WIT name of an error's case: the failure type.
pub(crate) fn case_name(error: &Error) -> &'static str {
    match error {
        Error::ExecutionFailed => "execution-failed",
        Error::PermanentInvalidInput(_) => "permanent-invalid-input",
        Error::PermanentUnauthorized(_) => "permanent-unauthorized",
        Error::PermanentNotFound(_) => "permanent-not-found",
        Error::PermanentRejected(_) => "permanent-rejected",
        Error::PermanentConfig(_) => "permanent-config",
        Error::RateLimited(_) => "rate-limited",
        Error::ServerError(_) => "server-error",
        Error::Transport(_) => "transport",
        Error::Timeout(_) => "timeout",
        Error::Decode(_) => "decode",
        Error::SubmitOutcomeUnknown(_) => "submit-outcome-unknown",
        Error::WaitTimeout(_) => "wait-timeout",
    }
}

/// Whether Temporal must not retry the error on its own.
pub(crate) fn is_non_retryable(error: &Error) -> bool {
    error.is_permanent() || matches!(error, Error::SubmitOutcomeUnknown(_))
}

/// The component's typed error as an application failure.
pub(crate) fn from_error(error: &Error) -> ActivityError {
    let next_retry_delay = match error {
        Error::RateLimited(Some(ms)) => Some(Duration::from_millis(*ms)),
        _ => None,
    };
    let details = match error {
        Error::WaitTimeout(job) => Some(job_to_json(job)),
        _ => None,
    };
    failure(
        case_name(error),
        error.message().to_string(),
        is_non_retryable(error),
        next_retry_delay,
        details,
    )
}

/// A failure of the host itself (a trap, a passed call deadline). For
/// `submit` the request may have gone out, so it is `submit-outcome-unknown`;
/// otherwise `execution-failed`, which the WIT reserves for hosts reporting
/// traps. Both are non-retryable. The host has already redacted the text.
pub(crate) fn from_host(export: &str, error: &anyhow::Error) -> ActivityError {
    let kind = if export == "submit" {
        "submit-outcome-unknown"
    } else {
        "execution-failed"
    };
    failure(kind, one_line(&format!("{error:#}")), true, None, None)
}

/// A payload the activity cannot read: never worth retrying.
pub(crate) fn from_bad_payload(activity: &str, error: &BadPayload) -> ActivityError {
    failure(
        "permanent-invalid-input",
        format!("{activity}: {}", error.0),
        true,
        None,
        None,
    )
}

/// A results document of `size` bytes above the payload `limit`.
pub(crate) fn results_too_large(size: usize, limit: usize, job_id: &str, paged: bool) -> ActivityError {
    let what_to_do = if paged {
        "ask for a smaller page (a lower \"limit\")"
    } else {
        "page through the results with matchkraft.results and \"offset\"/\"limit\", \
         or fetch them outside the workflow (matchkraft results TYPE JOB_ID --output FILE)"
    };
    failure(
        RESULTS_TOO_LARGE,
        format!(
            "the results of job {job_id} are {size} bytes as JSON, above this worker's payload limit of \
             {limit} bytes (Temporal refuses larger payloads): {what_to_do}"
        ),
        true,
        None,
        None,
    )
}

pub(crate) fn failure(
    kind: &str,
    message: String,
    non_retryable: bool,
    next_retry_delay: Option<Duration>,
    details: Option<serde_json::Value>,
) -> ActivityError {
    let failure = ApplicationFailure::builder(message)
        .type_name(kind.to_string())
        .non_retryable(non_retryable)
        .maybe_next_retry_delay(next_retry_delay)
        .maybe_details(details)
        .build();
    ActivityError::application(failure)
}

#[cfg(test)]
mod tests {
    use super::*;
    use matchkraft_host::{HttpError, InvalidInput, Job, JobStatus, JobType};

    fn application(error: ActivityError) -> Box<ApplicationFailure> {
        match error {
            ActivityError::Application(failure) => failure,
            other => panic!("not an application failure: {other:?}"),
        }
    }

    #[test]
    fn the_type_is_the_wit_case_and_permanence_decides_retries() {
        let cases = [
            (
                Error::PermanentUnauthorized("bad key".into()),
                "permanent-unauthorized",
                true,
            ),
            (
                Error::PermanentInvalidInput(InvalidInput {
                    index: Some(2),
                    field: "email".into(),
                    message: "no @".into(),
                }),
                "permanent-invalid-input",
                true,
            ),
            (
                Error::PermanentNotFound("no job".into()),
                "permanent-not-found",
                true,
            ),
            (
                Error::SubmitOutcomeUnknown("reset".into()),
                "submit-outcome-unknown",
                true,
            ),
            (Error::ExecutionFailed, "execution-failed", true),
            (
                Error::ServerError(HttpError {
                    status: 503,
                    message: String::new(),
                }),
                "server-error",
                false,
            ),
            (Error::Transport("refused".into()), "transport", false),
            (Error::RateLimited(None), "rate-limited", false),
        ];
        for (error, kind, non_retryable) in cases {
            let failure = application(from_error(&error));
            assert_eq!(failure.type_name(), Some(kind));
            assert_eq!(failure.is_non_retryable(), non_retryable, "{kind}");
            assert_eq!(failure.to_string(), error.message().to_string());
            assert_eq!(failure.next_retry_delay(), None);
        }
    }

    #[test]
    fn rate_limited_asks_for_its_retry_after() {
        let failure = application(from_error(&Error::RateLimited(Some(1500))));
        assert_eq!(failure.next_retry_delay(), Some(Duration::from_millis(1500)));
        assert!(!failure.is_non_retryable());
    }

    #[test]
    fn wait_timeout_carries_the_job() {
        let job = Job {
            id: "j-1".into(),
            name: Some("n".into()),
            job_type: JobType::DomainScan,
            status: JobStatus::Processing,
            progress: Some(40.0),
        };
        let failure = application(from_error(&Error::WaitTimeout(job)));
        assert_eq!(failure.type_name(), Some("wait-timeout"));
        // The details are converted to a payload on the way out; before
        // that they show in the failure's Debug form.
        let debug = format!("{failure:?}");
        assert!(debug.contains("j-1") && debug.contains("processing"), "{debug}");
    }

    #[test]
    fn a_host_failure_in_submit_is_an_unknown_outcome() {
        let error = anyhow::anyhow!("the component's `submit` did not finish within 2s");
        let failure = application(from_host("submit", &error));
        assert_eq!(failure.type_name(), Some("submit-outcome-unknown"));
        assert!(failure.is_non_retryable());
        let failure = application(from_host("status", &error));
        assert_eq!(failure.type_name(), Some("execution-failed"));
    }

    #[test]
    fn too_large_says_what_to_do() {
        let failure = application(results_too_large(3_000_000, 1_000_000, "j-9", false));
        assert_eq!(failure.type_name(), Some(RESULTS_TOO_LARGE));
        assert!(failure.is_non_retryable());
        let message = failure.to_string();
        assert!(
            message.contains("j-9") && message.contains("\"offset\""),
            "{message}"
        );
    }
}
