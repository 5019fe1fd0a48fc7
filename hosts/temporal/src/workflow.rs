//! `matchkraft.enrich`: the ready workflow. `{"jobName", "jobType",
//! "records", "timeoutMs"?}` → the results document: submit, then wait,
//! finishing early when a `job-completed` signal names the job.
//!
//! The activity options here are the ones to copy into a workflow of your
//! own, in any SDK:
//!
//! | activity | start-to-close | heartbeat | retries |
//! |---|---|---|---|
//! | `matchkraft.submit` | 180 s | – | up to 5 attempts, 1 s ×2 up to 60 s; never `submit-outcome-unknown` or `permanent-*` |
//! | `matchkraft.status` / `results` | 180 s | – | up to 10 attempts, 1 s ×2 up to 60 s; never `permanent-*`, `results-too-large` |
//! | `matchkraft.wait` | `timeoutMs` + 180 s | 10 s | unlimited, 1 s ×2 up to 60 s; never `permanent-*`, `wait-timeout`, `results-too-large` |
//!
//! 180 s is longer than the component's call deadline (the worker's
//! `--call-timeout`, at most 150 s), so a slow call ends with the
//! component's own typed error, not an activity timeout. Retrying `submit`
//! is safe only because the worker refuses an attempt that follows one that
//! may have sent the records (see `activities`); with another worker
//! implementation, give `submit` one attempt.

use std::time::Duration;

use serde_json::{Value, json};
use temporalio_common::RetryPolicy;
use temporalio_common::error::ApplicationFailure;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{ActivityOptions, SyncWorkflowContext, WorkflowContext, WorkflowResult};

use crate::activities::{DEFAULT_WAIT_MS, MatchKraftActivities};
use crate::failure::RESULTS_TOO_LARGE;

/// The workflow type, as registered.
pub(crate) const NAME: &str = "matchkraft.enrich";
/// The signal that completes the wait early: `{"jobId", "status"?}`, as
/// the `job.completed` webhook carries it.
pub(crate) const SIGNAL: &str = "job-completed";

/// Longer than the component's largest call deadline (`args`).
pub(crate) const ACTIVITY_TIMEOUT: Duration = Duration::from_secs(180);
/// `wait` heartbeats after every poll, and polls at most 5 s apart.
pub(crate) const WAIT_HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(10);

const PERMANENT: [&str; 6] = [
    "execution-failed",
    "permanent-invalid-input",
    "permanent-unauthorized",
    "permanent-not-found",
    "permanent-rejected",
    "permanent-config",
];

fn retry_policy(maximum_attempts: u32, also_never: &[&str]) -> RetryPolicy {
    RetryPolicy::builder()
        .initial_interval(Duration::from_secs(1))
        .backoff_coefficient(2.0)
        .maximum_interval(Duration::from_secs(60))
        .maximum_attempts(maximum_attempts)
        .non_retryable_error_types(PERMANENT.iter().chain(also_never).copied())
        .build()
}

pub(crate) fn submit_options() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(ACTIVITY_TIMEOUT)
        .retry_policy(retry_policy(5, &["submit-outcome-unknown"]))
        .build()
}

pub(crate) fn results_options() -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(ACTIVITY_TIMEOUT)
        .retry_policy(retry_policy(10, &[RESULTS_TOO_LARGE]))
        .build()
}

pub(crate) fn wait_options(timeout_ms: u64) -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_millis(timeout_ms) + ACTIVITY_TIMEOUT)
        .heartbeat_timeout(WAIT_HEARTBEAT_TIMEOUT)
        .retry_policy(retry_policy(0, &["wait-timeout", RESULTS_TOO_LARGE]))
        .build()
}

/// The workflow's state: the job ids that `job-completed` signals named
/// (a signal may arrive before `submit` has returned the id).
#[workflow]
#[derive(Default)]
pub(crate) struct EnrichWorkflow {
    completed: Vec<String>,
}

#[workflow_methods]
impl EnrichWorkflow {
    #[run(name = NAME)]
    pub(crate) async fn run(ctx: &mut WorkflowContext<Self>, input: Value) -> WorkflowResult<Value> {
        let timeout_ms = input
            .get("timeoutMs")
            .and_then(Value::as_u64)
            .unwrap_or(DEFAULT_WAIT_MS);
        let job = ctx
            .execute_activity(MatchKraftActivities::submit, input, submit_options())
            .await?;
        let (Some(job_type), Some(job_id)) = (job["jobType"].as_str(), job["jobId"].as_str()) else {
            return Err(ApplicationFailure::non_retryable(format!(
                "matchkraft.submit returned no jobType and jobId: {job}"
            ))
            .into());
        };
        let job_ref = json!({ "jobType": job_type, "jobId": job_id });
        let wait_input = json!({ "jobType": job_type, "jobId": job_id, "timeoutMs": timeout_ms });
        let id = job_id.to_string();
        temporalio_sdk::workflows::select! {
            _ = ctx.wait_condition(|s: &Self| s.completed.contains(&id)) => {
                Ok(ctx
                    .execute_activity(MatchKraftActivities::results, job_ref, results_options())
                    .await?)
            }
            results = ctx.execute_activity(MatchKraftActivities::wait, wait_input, wait_options(timeout_ms)) => {
                Ok(results?)
            }
        }
    }

    /// `job-completed` `{"jobId"}`: the job has finished (sent by whatever
    /// receives the `job.completed` webhook). Polling stays the fallback.
    #[signal(name = SIGNAL)]
    pub(crate) fn job_completed(&mut self, _ctx: &mut SyncWorkflowContext<Self>, event: Value) {
        if let Some(id) = event.get("jobId").and_then(Value::as_str) {
            self.completed.push(id.to_string());
        }
    }
}
