//! The activities: the component's four job calls under the names other
//! Temporal SDKs call them by, with JSON payloads (see `payloads`) and
//! failures Temporal's retry model understands (see `failure`).
//!
//! Each activity runs one or more calls through the `matchkraft-host`
//! library, so the component keeps its sandbox here too: the host holds the
//! key (`KeyMode::Host`), requests may go to the API's origin only, and each
//! call has its memory cap and deadline.

use std::sync::Arc;
use std::time::{Duration, Instant};

use matchkraft_host::json::{job_to_json, results_to_json};
use matchkraft_host::{Error, MatchKraft};
use serde_json::{Value, json};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::failure;
use crate::payloads::{JobRef, Page, SubmitInput, WaitInput};

/// The activity names, as registered.
#[cfg(test)]
const NAMES: [&str; 4] = [SUBMIT, STATUS, RESULTS, WAIT];

/// The names the SDK registers, read from the activity definitions the
/// `#[activities]` macro generated (what the worker prints on start).
pub(crate) fn registered_names() -> Vec<String> {
    [
        MatchKraftActivities::submit.name(),
        MatchKraftActivities::status.name(),
        MatchKraftActivities::results.name(),
        MatchKraftActivities::wait.name(),
    ]
    .map(str::to_string)
    .to_vec()
}
pub(crate) const SUBMIT: &str = "matchkraft.submit";
pub(crate) const STATUS: &str = "matchkraft.status";
pub(crate) const RESULTS: &str = "matchkraft.results";
pub(crate) const WAIT: &str = "matchkraft.wait";

/// `matchkraft.wait`'s timeout when the payload gives none: one hour.
pub(crate) const DEFAULT_WAIT_MS: u64 = 60 * 60 * 1000;

/// The activities' shared state: the compiled component and the payload
/// limit. One instance serves every activity task of the worker.
pub(crate) struct MatchKraftActivities {
    pub(crate) host: MatchKraft,
    /// The largest results document returned, in bytes.
    pub(crate) max_payload_bytes: usize,
    /// `matchkraft.wait`'s first interval between polls.
    pub(crate) first_poll: Duration,
}

/// How long `matchkraft.wait` sleeps between polls: 200 ms growing ×1.5 up
/// to 5 s, as `matchkraft run` does. The cap stays well under the heartbeat
/// timeout a workflow should give `wait` (the ready workflow gives 10 s).
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    next: Duration,
}

impl Backoff {
    pub(crate) const CAP: Duration = Duration::from_secs(5);

    /// Starting at `first` (at most the cap).
    pub(crate) fn new(first: Duration) -> Backoff {
        Backoff {
            next: first.min(Backoff::CAP),
        }
    }

    pub(crate) fn next_interval(&mut self) -> Duration {
        let current = self.next;
        self.next = self.next.mul_f64(1.5).min(Backoff::CAP);
        current
    }
}

/// What `matchkraft.submit` records as heartbeat details before it fails
/// with an error that says nothing was sent; a retry reads it back.
fn not_sent_marker(attempt: u32) -> Value {
    json!({ "notSentOnAttempt": attempt })
}

/// Whether `details` (the heartbeat details the previous attempt left)
/// say that attempt `previous` sent nothing.
fn previous_attempt_sent_nothing(details: Option<&Value>, previous: u32) -> bool {
    details
        .and_then(|d| d.get("notSentOnAttempt"))
        .and_then(Value::as_u64)
        == Some(u64::from(previous))
}

#[activities]
impl MatchKraftActivities {
    /// `{"jobName", "jobType", "records"}` → `{"jobId", "jobName", "jobType", "status", "progress"}`.
    ///
    /// Never submits the same records twice on its own: attempt N > 1 runs
    /// only when attempt N−1 ended with an error that says the request was
    /// not sent (its heartbeat details say so). After anything else (a
    /// worker that died mid-call, a start-to-close timeout) the job may
    /// exist, and the attempt fails with the non-retryable
    /// `submit-outcome-unknown` without sending anything.
    #[activity(name = SUBMIT)]
    pub(crate) async fn submit(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: Value,
    ) -> Result<Value, ActivityError> {
        let input = SubmitInput::from_json(&input).map_err(|e| failure::from_bad_payload(SUBMIT, &e))?;
        let attempt = ctx.info().attempt.max(1);
        if attempt > 1 {
            let details: Option<Value> = ctx.heartbeat_details().deserialize().ok().flatten();
            if !previous_attempt_sent_nothing(details.as_ref(), attempt - 1) {
                return Err(failure::failure(
                    "submit-outcome-unknown",
                    format!(
                        "attempt {attempt} of {SUBMIT} for job {:?} not started: attempt {} ended without \
                         saying that nothing was sent (the worker stopped, or the activity timed out), so \
                         the job may exist; look for it before submitting the same records again",
                        input.job_name,
                        attempt - 1
                    ),
                    true,
                    None,
                    None,
                ));
            }
        }
        match self.host.submit(&input.job_name, input.records).await {
            Ok(Ok(job)) => Ok(job_to_json(&job)),
            Ok(Err(error)) => {
                if !matches!(error, Error::SubmitOutcomeUnknown(_)) {
                    // The component says the request did not create a job
                    // (it was refused, or never got through): a retry is safe.
                    ctx.record_heartbeat(not_sent_marker(attempt)).await?;
                }
                Err(failure::from_error(&error))
            }
            Err(host_error) => Err(failure::from_host("submit", &host_error)),
        }
    }

    /// `{"jobType", "jobId"}` → the job, without results.
    #[activity(name = STATUS)]
    pub(crate) async fn status(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: Value,
    ) -> Result<Value, ActivityError> {
        let job = JobRef::from_json(&input).map_err(|e| failure::from_bad_payload(STATUS, &e))?;
        match self.host.status(job.job_type, &job.job_id).await {
            Ok(Ok(job)) => Ok(job_to_json(&job)),
            Ok(Err(error)) => Err(failure::from_error(&error)),
            Err(host_error) => Err(failure::from_host("status", &host_error)),
        }
    }

    /// `{"jobType", "jobId", "offset"?, "limit"?}` → the results document,
    /// or one page of it (with `"offset"`, `"total"` and `"nextOffset"`).
    #[activity(name = RESULTS)]
    pub(crate) async fn results(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: Value,
    ) -> Result<Value, ActivityError> {
        let job = JobRef::from_json(&input).map_err(|e| failure::from_bad_payload(RESULTS, &e))?;
        let page = Page::from_json(&input).map_err(|e| failure::from_bad_payload(RESULTS, &e))?;
        self.results_document(&job, page).await
    }

    /// `{"jobType", "jobId", "timeoutMs"}` → the results document, once the
    /// job has finished.
    ///
    /// Polls the job's status (200 ms, growing to 5 s apart) and heartbeats
    /// after every poll with `{"jobId", "status", "progress", "polls"}`, so
    /// that a worker that dies is noticed within the heartbeat timeout and
    /// another worker takes the wait over. `timeoutMs` bounds one attempt;
    /// past it the failure is `wait-timeout` with the job as last seen.
    #[activity(name = WAIT)]
    pub(crate) async fn wait(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: Value,
    ) -> Result<Value, ActivityError> {
        let input =
            WaitInput::from_json(&input, DEFAULT_WAIT_MS).map_err(|e| failure::from_bad_payload(WAIT, &e))?;
        let job_ref = &input.job;
        let deadline = Instant::now() + Duration::from_millis(input.timeout_ms);
        // A retry carries on counting from where the last attempt stopped.
        let mut polls = ctx
            .heartbeat_details()
            .deserialize::<Value>()
            .ok()
            .flatten()
            .and_then(|d| d.get("polls").and_then(Value::as_u64))
            .unwrap_or(0);
        let mut backoff = Backoff::new(self.first_poll);
        loop {
            let job = match self.host.status(job_ref.job_type, &job_ref.job_id).await {
                Ok(Ok(job)) => job,
                Ok(Err(error)) => return Err(failure::from_error(&error)),
                Err(host_error) => return Err(failure::from_host("status", &host_error)),
            };
            polls += 1;
            ctx.record_heartbeat(json!({
                "jobId": job.id,
                "status": job.status.as_str(),
                "progress": job.progress,
                "polls": polls,
            }))
            .await?;
            if job.status.is_terminal() {
                return self.results_document(job_ref, None).await;
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(failure::from_error(&Error::WaitTimeout(job)));
            }
            let pause = backoff.next_interval().min(deadline - now);
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = ctx.cancelled() => return Err(ActivityError::cancelled()),
            }
        }
    }
}

impl MatchKraftActivities {
    /// The results document (or a page of it), if it fits in a payload.
    async fn results_document(&self, job: &JobRef, page: Option<Page>) -> Result<Value, ActivityError> {
        let results = match self.host.results(job.job_type, &job.job_id).await {
            Ok(Ok(results)) => results,
            Ok(Err(error)) => return Err(failure::from_error(&error)),
            Err(host_error) => return Err(failure::from_host("results", &host_error)),
        };
        let mut document = results_to_json(&results);
        if let Some(page) = page {
            document = page.apply(document);
        }
        let size = serde_json::to_vec(&document).map_or(usize::MAX, |bytes| bytes.len());
        if size > self.max_payload_bytes {
            return Err(failure::results_too_large(
                size,
                self.max_payload_bytes,
                &job.job_id,
                page.is_some(),
            ));
        }
        Ok(document)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_grow_by_half_up_to_five_seconds() {
        let mut backoff = Backoff::new(Duration::from_millis(200));
        let millis: Vec<u128> = (0..10).map(|_| backoff.next_interval().as_millis()).collect();
        assert_eq!(millis, [200, 300, 450, 675, 1012, 1518, 2278, 3417, 5000, 5000]);
        assert_eq!(
            Backoff::new(Duration::from_secs(60)).next_interval(),
            Backoff::CAP
        );
    }

    #[test]
    fn a_retry_of_submit_needs_the_previous_attempts_word() {
        let marker = not_sent_marker(1);
        assert!(previous_attempt_sent_nothing(Some(&marker), 1));
        // The marker of an older attempt says nothing about the last one.
        assert!(!previous_attempt_sent_nothing(Some(&marker), 2));
        // No details: the last attempt died, or timed out.
        assert!(!previous_attempt_sent_nothing(None, 1));
        assert!(!previous_attempt_sent_nothing(Some(&json!({"polls": 1})), 1));
    }

    #[test]
    fn the_names_are_the_documented_ones() {
        assert_eq!(
            NAMES,
            [
                "matchkraft.submit",
                "matchkraft.status",
                "matchkraft.results",
                "matchkraft.wait"
            ]
        );
        assert_eq!(registered_names(), NAMES);
    }
}
