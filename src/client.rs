//! The operations: validate, build the request, send it, classify the answer.

use crate::config::Config;
use crate::transport::{self, Failure, Response, Verb};
use crate::{Error, Job, JobResults, JobType, Records, error, validate, wire};
use wasi::clocks::monotonic_clock;

/// A configured client. Cheap to make: one per call.
#[derive(Debug)]
pub struct Client {
    config: Config,
}

impl Client {
    /// A client configured from `wasi:cli/environment`.
    pub fn from_env() -> Result<Client, Error> {
        Ok(Client {
            config: Config::from_env()?,
        })
    }

    /// A client with the given configuration.
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

        let response = match transport::send(&self.config, Verb::Post, &path, Some(&body), self.deadline()) {
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

    /// The results endpoint is the API's one read: it reports the status while
    /// the job runs and the results once it is done.
    fn get_results(&self, job_type: JobType, job_id: &str) -> Result<Response, Error> {
        validate::job_id(job_id)?;
        let path = wire::results_path(job_type, job_id);
        let response =
            transport::send(&self.config, Verb::Get, &path, None, self.deadline()).map_err(|f| f.error)?;
        match response.status {
            200..=299 => Ok(response),
            _ => Err(self.status_error(&response)),
        }
    }

    fn status_error(&self, response: &Response) -> Error {
        match error::from_status(response.status, &response.body, response.retry_after_ms) {
            Error::PermanentUnauthorized(message) if self.config.api_key.is_none() => {
                Error::PermanentUnauthorized(format!(
                    "{message} (MATCHKRAFT_API_KEY is not set in the component's environment)"
                ))
            }
            other => other,
        }
    }

    /// The instant by which a call must be over: connect + first byte + a
    /// between-bytes allowance, so that no single call outlives its timeouts.
    fn deadline(&self) -> u64 {
        let limits = &self.config.limits;
        let budget_ms = limits
            .connect_timeout_ms
            .saturating_add(limits.first_byte_timeout_ms)
            .saturating_add(limits.between_bytes_timeout_ms.saturating_mul(2));
        monotonic_clock::now().saturating_add(budget_ms.saturating_mul(1_000_000))
    }
}
