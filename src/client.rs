//! The operations: validate, build the request, send it, classify the answer.

use crate::config::Config;
use crate::retry::{self, Decision, Outcome, Verb};
use crate::transport::{self, Failure, Response};
use crate::{Error, Job, JobResults, JobStatus, JobType, Records, error, validate, wire};
use wasi::clocks::monotonic_clock;

/// A configured client. Cheap to make: one per call.
#[derive(Debug)]
pub struct Client {
    config: Config,
}

impl Client {
    /// A client with the given configuration. (The exports make theirs from
    /// `wasi:cli/environment` in `lib.rs`, where their errors are redacted.)
    pub fn new(config: Config) -> Client {
        Client { config }
    }

    /// Validates the records, then posts them as a new job.
    ///
    /// A submit is never repeated on its own: when the request may have reached
    /// the API but no clear answer came back, the error is
    /// `submit-outcome-unknown`, so the caller decides rather than risk paying
    /// for the same records twice.
    pub fn submit(&self, job_name: &str, records: &Records) -> Result<Job, Error> {
        validate::submission(job_name, records)?;
        let job_type = wire::job_type_of(records);
        let body = wire::submit_body(job_name, records);
        let path = format!("/{}", wire::endpoint(job_type));

        let response = match self.execute(Verb::Post, Verb::Post, &path, &[], Some(&body)) {
            Ok(response) => response,
            Err(Failure {
                error,
                may_have_been_sent: true,
            }) => {
                return Err(Error::SubmitOutcomeUnknown(format!(
                    "{}; the request may have reached the API, so the job may exist",
                    error::describe(&error)
                )));
            }
            Err(Failure { error, .. }) => return Err(error),
        };
        match response.status {
            200..=299 => wire::parse_submitted(&response.body, job_type).map_err(|e| {
                Error::SubmitOutcomeUnknown(format!(
                    "the API accepted the request (HTTP {}) but its answer could not be read ({}); the job probably exists",
                    response.status,
                    error::describe(&e)
                ))
            }),
            // These server errors may come after the job was stored.
            500 | 502 | 504 => Err(Error::SubmitOutcomeUnknown(format!(
                "the API failed with HTTP {} ({}); the job may exist",
                response.status,
                error::api_message(&response.body)
            ))),
            _ => Err(self.status_error(&response)),
        }
    }

    /// The job's current state.
    pub fn status(&self, job_type: JobType, job_id: &str) -> Result<Job, Error> {
        let response = self.get_results(job_type, job_id)?;
        wire::parse_job(&response.body, job_type, job_id)
    }

    /// The job and, once completed, its typed results.
    pub fn results(&self, job_type: JobType, job_id: &str) -> Result<JobResults, Error> {
        let response = self.get_results(job_type, job_id)?;
        wire::parse_results(&response.body, job_type, job_id)
    }

    /// Polls until the job is terminal or `timeout_ms` has passed (see the
    /// WIT docs of `wait`). Transient errors are polled through: a blip of the
    /// network should not end a wait that has minutes left.
    pub fn wait(&self, job_type: JobType, job_id: &str, timeout_ms: u64) -> Result<JobResults, Error> {
        validate::job_id(job_id)?;
        let deadline = monotonic_clock::now().saturating_add(ms_to_ns(timeout_ms));
        let mut interval_ms = self.config.polling.first_interval_ms;
        let mut last_job = None;
        loop {
            let last_error = match self.results(job_type, job_id) {
                Ok(results) if is_terminal(&results.job.status) => return Ok(results),
                Ok(results) => {
                    last_job = Some(results.job);
                    None
                }
                Err(error) if is_permanent(&error) => return Err(error),
                Err(error) => Some(error),
            };
            let remaining_ms = deadline.saturating_sub(monotonic_clock::now()) / 1_000_000;
            if remaining_ms == 0 {
                return Err(match (last_job, last_error) {
                    (Some(job), _) => Error::WaitTimeout(job),
                    (None, Some(error)) => error,
                    (None, None) => Error::Timeout("the wait ended before the first answer".into()),
                });
            }
            monotonic_clock::subscribe_duration(ms_to_ns(interval_ms.min(remaining_ms))).block();
            interval_ms = self.config.polling.next(interval_ms);
        }
    }

    /// The results endpoint is the API's one read: it reports the status while
    /// the job runs and the results once it is done.
    fn get_results(&self, job_type: JobType, job_id: &str) -> Result<Response, Error> {
        validate::job_id(job_id)?;
        let path = wire::results_path(job_type, job_id);
        let response = self
            .execute(Verb::Get, Verb::Get, &path, &[], None)
            .map_err(|f| f.error)?;
        match response.status {
            200..=299 => Ok(response),
            _ => Err(self.status_error(&response)),
        }
    }

    /// The error for a response with a status other than 2xx. A 401 or 403
    /// says whose key was refused (see [`error::unauthorized`]).
    fn status_error(&self, response: &Response) -> Error {
        match response.status {
            401 | 403 => error::unauthorized(response.status, &response.body, self.config.key_source()),
            status => error::from_status(status, &response.body, response.retry_after_ms),
        }
    }

    /// Posts `body` to `path` with extra `headers`, retried like a read
    /// (connection failures, timeouts, 408, 429, 5xx; see [`retry`]). Only for
    /// a receiver that deduplicates repeats, for example by an
    /// `Idempotency-Key` header, so that a repeat does no harm: a submit to
    /// the API must go through [`Client::submit`] instead. Returns the last
    /// attempt's response (whatever its status) or failure.
    pub fn post_idempotent(
        &self,
        path: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Result<Response, Failure> {
        self.execute(Verb::Post, Verb::Get, path, headers, Some(body))
    }

    /// Sends a request, retrying as [`retry::decide`] allows, and returns the
    /// last attempt's response (whatever its status) or failure. `retry_as`
    /// picks the rows of the retry table that apply: the request's own verb,
    /// or [`Verb::Get`] for a POST that is safe to repeat.
    fn execute(
        &self,
        verb: Verb,
        retry_as: Verb,
        path: &str,
        headers: &[(&str, String)],
        body: Option<&[u8]>,
    ) -> Result<Response, Failure> {
        let limits = &self.config.limits;
        let deadline = monotonic_clock::now().saturating_add(ms_to_ns(limits.call_timeout_ms));
        // One attempt may take its connect, first-byte and two between-bytes
        // timeouts, and never past the call's deadline.
        let attempt_budget = limits
            .connect_timeout_ms
            .saturating_add(limits.first_byte_timeout_ms)
            .saturating_add(limits.between_bytes_timeout_ms.saturating_mul(2));
        let mut attempt = 1;
        loop {
            let attempt_deadline = monotonic_clock::now()
                .saturating_add(ms_to_ns(attempt_budget))
                .min(deadline);
            let result = transport::send(&self.config, verb, path, headers, body, attempt_deadline);
            let outcome = match &result {
                Ok(response) => Outcome::Status(response.status, response.retry_after_ms),
                Err(Failure {
                    error: Error::Decode(_),
                    ..
                }) => Outcome::Unusable,
                Err(failure) => Outcome::Failed {
                    sent: failure.may_have_been_sent,
                },
            };
            let remaining_ms = deadline.saturating_sub(monotonic_clock::now()) / 1_000_000;
            match retry::decide(
                &self.config.retry,
                retry_as,
                outcome,
                attempt,
                remaining_ms,
                jitter,
            ) {
                Decision::Stop => return result,
                Decision::RetryAfter(wait_ms) => {
                    monotonic_clock::subscribe_duration(ms_to_ns(wait_ms)).block();
                    attempt += 1;
                }
            }
        }
    }
}

fn is_terminal(status: &JobStatus) -> bool {
    matches!(status, JobStatus::Completed | JobStatus::Failed)
}

/// Errors that repeating the request will not cure.
fn is_permanent(error: &Error) -> bool {
    matches!(
        error,
        Error::PermanentInvalidInput(_)
            | Error::PermanentUnauthorized(_)
            | Error::PermanentNotFound(_)
            | Error::PermanentRejected(_)
            | Error::PermanentConfig(_)
            | Error::ExecutionFailed
    )
}

fn ms_to_ns(ms: u64) -> u64 {
    ms.saturating_mul(1_000_000)
}

/// A random number in `0..=max`, for full-jitter backoff (not for secrets).
fn jitter(max: u64) -> u64 {
    wasi::random::insecure::get_insecure_random_u64() % max.saturating_add(1)
}
