//! [`Failure`]: why the command did not succeed, and the exit code and the
//! `error:` / `hint:` lines each kind gets.
//!
//! Every command returns `Result<(), Failure>`; `main` reports the failure
//! and exits with its code, so the exit codes (listed in `--help` and the
//! README) are decided in this one place.

use std::time::Duration;

use matchkraft_host::text::one_line;
use matchkraft_host::{Error, Job};

use crate::output;

/// Why the command did not succeed; each kind has its exit code.
pub(crate) enum Failure {
    /// Bad arguments or an unreadable input file (exit 2).
    Usage(String),
    /// The component's typed error (exit 1).
    Api(Error),
    /// The component found a record invalid (exit 2: nothing was
    /// submitted); `origin` says where the record came from.
    Record { error: Error, origin: String },
    /// The host could not run the component, or it trapped (exit 1).
    Host(anyhow::Error),
    /// The job finished as `failed` (exit 3).
    JobFailed(Job),
    /// `run` stopped waiting (exit 4).
    Timeout { job: Job, waited: Duration },
    /// Ctrl-C while `run` was waiting (exit 130).
    Interrupted(Job),
    /// `resume` failed for several jobs, each reported already; the exit
    /// code is the first one's.
    Several { count: usize, exit_code: u8 },
}

impl Failure {
    /// The process's exit code for this failure.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Failure::Api(_) | Failure::Host(_) => 1,
            Failure::Usage(_) | Failure::Record { .. } => 2,
            Failure::JobFailed(_) => 3,
            Failure::Timeout { .. } => 4,
            Failure::Interrupted(_) => 130,
            Failure::Several { exit_code, .. } => *exit_code,
        }
    }

    /// An error from submitting `records`: an invalid record named by the
    /// component (by its index) becomes a usage error that also says where
    /// the record came from (`origins[index]`).
    pub(crate) fn from_submit(error: Error, origins: &[String]) -> Failure {
        let origin = match &error {
            Error::PermanentInvalidInput(invalid) => invalid
                .index
                .and_then(|i| origins.get(usize::try_from(i).ok()?))
                .cloned(),
            _ => None,
        };
        match origin {
            Some(origin) => Failure::Record { error, origin },
            None => Failure::Api(error),
        }
    }

    /// One `error:` line on stderr, and a `hint:` line where one helps.
    pub(crate) fn report(&self) {
        let (message, hint) = match self {
            Failure::Usage(message) => (message.clone(), None),
            Failure::Api(error) => (error.message().to_string(), hint(error)),
            Failure::Record { error, origin } => (
                error.message().to_string(),
                Some(format!("that record is {origin}; nothing was submitted")),
            ),
            Failure::Host(error) => (one_line(&format!("{error:#}")), None),
            Failure::JobFailed(job) => (output::job_line(job), None),
            Failure::Timeout { job, waited } => (
                format!(
                    "gave up after {:.0} s waiting for {}",
                    waited.as_secs_f64(),
                    output::job_line(job)
                ),
                Some(resume_hint(job)),
            ),
            Failure::Interrupted(job) => (
                format!("interrupted while waiting for {}", output::job_line(job)),
                Some(resume_hint(job)),
            ),
            Failure::Several { count, .. } => (format!("{count} jobs did not complete"), None),
        };
        eprintln!("error: {message}");
        if let Some(hint) = hint {
            eprintln!("hint: {hint}");
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Failure {
        Failure::Host(error)
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure::Api(error)
    }
}

/// The way back to a job that is still running.
fn resume_hint(job: &Job) -> String {
    format!(
        "the job keeps running and is in the ledger; `matchkraft resume {}` waits for it and \
         fetches its results",
        job.id
    )
}

/// What to try next for an error, where the error alone does not say.
fn hint(error: &Error) -> Option<String> {
    let hint = match error {
        Error::PermanentUnauthorized(_) => "check MATCHKRAFT_API_KEY (or --api-key)",
        Error::PermanentConfig(_) => "check MATCHKRAFT_BASE_URL (or --base-url)",
        Error::PermanentNotFound(_) => "check the job id and the job type: a job id belongs to one job type",
        Error::SubmitOutcomeUnknown(_) => {
            "the job may have been created; check before submitting the same records again"
        }
        Error::RateLimited(_) | Error::ServerError(_) | Error::Transport(_) | Error::Timeout(_) => {
            "this may pass: try again later"
        }
        _ => return None,
    };
    Some(hint.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use matchkraft_host::InvalidInput;

    fn invalid(index: Option<u32>) -> Error {
        Error::PermanentInvalidInput(InvalidInput {
            index,
            field: "email".into(),
            message: "no @".into(),
        })
    }

    #[test]
    fn an_invalid_record_is_traced_to_its_origin() {
        let origins = vec!["argument 1".to_string(), "leads.csv line 3".to_string()];
        match Failure::from_submit(invalid(Some(1)), &origins) {
            Failure::Record { origin, .. } => assert_eq!(origin, "leads.csv line 3"),
            _ => panic!("not a record failure"),
        }
        // No index, or one past the records: the API's own error, exit 1.
        assert_eq!(Failure::from_submit(invalid(None), &origins).exit_code(), 1);
        assert_eq!(Failure::from_submit(invalid(Some(7)), &origins).exit_code(), 1);
        assert_eq!(Failure::from_submit(invalid(Some(0)), &origins).exit_code(), 2);
    }
}
