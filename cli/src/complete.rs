//! How `run` gets from a submitted job to its results, by polling, or by a
//! webhook with polling as the fallback.
//!
//! Whoever sees the job finish first claims its completion in the ledger
//! ([`Ledger::mark_effect`]) and stores the results there; everyone else
//! reads them from the ledger. So a job's results are fetched once even when
//! the webhook receiver (in this process, or a `matchkraft listen` elsewhere)
//! and the polling race. The one exception is inherent to the API, whose only
//! read is the results endpoint: a poll already under way when the webhook
//! lands reads the results too.

use std::time::Duration;

use matchkraft_host::ledger::{Effect, EffectSource, Ledger};
use matchkraft_host::text::one_line;
use matchkraft_host::{Error, Job, JobResults, JobStatus, JobType, MatchKraft, ResultRecords};
use tokio::time::Instant;

use crate::console::Console;
use crate::failure::Failure;
use crate::poll::Backoff;

/// How often a waiter looks in the ledger for results someone else stores.
const LEDGER_POLL: Duration = Duration::from_millis(50);

/// How many times in a row the same answer may be unreadable before polling
/// stops: an answer that does not parse will not parse on the next poll, and
/// the wait would otherwise last until the timeout.
const UNREADABLE_LIMIT: u32 = 3;

/// One job's wait: where to ask, where to record, and until when.
pub(crate) struct Waiting<'a> {
    pub(crate) host: &'a MatchKraft,
    pub(crate) ledger: &'a Ledger,
    pub(crate) started: Instant,
    pub(crate) deadline: Instant,
    /// Whether a webhook receiver runs for this job, so polling only backs
    /// it up.
    pub(crate) webhook: bool,
    /// Where warnings go, and the progress line the polls update.
    pub(crate) console: &'a Console,
}

impl Waiting<'_> {
    /// Waits for `job` to finish and returns its results (none for a failed
    /// job), stored in the ledger.
    pub(crate) async fn complete(&self, job: Job) -> Result<JobResults, Failure> {
        if !self.webhook {
            return self.poll_and_fetch(job, Backoff::new()).await;
        }
        tokio::select! {
            stored = self.stored_results(&job) => stored,
            polled = self.poll_and_fetch(job.clone(), Backoff::fallback()) => polled,
        }
    }

    /// Polls until the job is finished, claims its completion and stores the
    /// results the last poll brought; if another claimed it first, waits for
    /// the results it stores.
    async fn poll_and_fetch(&self, job: Job, backoff: Backoff) -> Result<JobResults, Failure> {
        let Some(results) = self.poll(job.clone(), backoff).await? else {
            return self.stored_results(&job).await;
        };
        let job = &results.job;
        match self.ledger.mark_effect(&job.id, &job.status, EffectSource::Poll) {
            Ok(Effect::Duplicate(_)) => return self.stored_results(job).await,
            // `UnknownJob`: the submit could not be recorded (it was said
            // then); nothing to claim, so just finish.
            Ok(Effect::New(_) | Effect::UnknownJob) => {}
            Err(error) => self
                .console
                .warn(&format!("the ledger failed: {}", one_line(&format!("{error:#}")))),
        }
        if job.status == JobStatus::Completed
            && let Err(error) = self.ledger.store_results(&results)
        {
            self.console.warn(&format!(
                "the results are not in the ledger: {}",
                one_line(&format!("{error:#}"))
            ));
        }
        Ok(results)
    }

    /// Polls the job's results until it is `completed` or `failed` (and then
    /// returns them), or until the deadline. Errors that may pass (rate
    /// limits, 5xx, timeouts) are retried. Returns `None` as soon as the
    /// ledger shows someone else claimed the job's completion: they fetch.
    async fn poll(&self, mut job: Job, mut backoff: Backoff) -> Result<Option<JobResults>, Failure> {
        let mut unreadable = Unreadable::default();
        loop {
            let now = Instant::now();
            if now >= self.deadline {
                return Err(self.timeout(job));
            }
            tokio::time::sleep(backoff.next_interval().min(self.deadline - now)).await;
            if Instant::now() >= self.deadline {
                return Err(self.timeout(job));
            }
            if self.ledger.has_terminal_effect(&job.id)? {
                return Ok(None);
            }
            let answer = tokio::time::timeout_at(self.deadline, self.host.results(job.job_type, &job.id));
            let Ok(answer) = answer.await else {
                return Err(self.timeout(job));
            };
            match answer? {
                Ok(results) if results.job.status.is_terminal() => return Ok(Some(results)),
                Ok(results) => {
                    unreadable = Unreadable::default();
                    job = results.job;
                    self.console.job(&job);
                    // Only for `matchkraft jobs` to show: not worth failing for.
                    let _ = self.ledger.set_status(&job.id, &job.status);
                }
                Err(error) if unreadable.again(&error) >= UNREADABLE_LIMIT => {
                    return Err(Failure::Unreadable {
                        job: Box::new(job),
                        error: Box::new(error),
                        times: UNREADABLE_LIMIT,
                    });
                }
                Err(error) if !error.is_permanent() => {
                    if let Error::RateLimited(Some(ms)) = error {
                        backoff.at_least(Duration::from_millis(ms));
                    }
                    self.console.warn(&format!("{}; retrying", error.message()));
                }
                Err(error) => return Err(Failure::Api(error)),
            }
        }
    }

    /// Waits until the ledger has the job's results (or its failure, or the
    /// reason its results could not be fetched), as stored by whoever
    /// claimed its completion.
    async fn stored_results(&self, job: &Job) -> Result<JobResults, Failure> {
        loop {
            if let Some(results) = self.ledger.results(&job.id)? {
                return Ok(results);
            }
            if let Some(recorded) = self.ledger.job(&job.id)? {
                if recorded.status == JobStatus::Failed && recorded.completed_via.is_some() {
                    return Ok(empty_results(recorded.to_job()));
                }
                if let Some(reason) = recorded.fetch_error {
                    return Err(Failure::Host(anyhow::anyhow!(
                        "the job finished but its results could not be fetched: {reason}; \
                         `matchkraft resume {}` tries again",
                        job.id
                    )));
                }
            }
            if Instant::now() >= self.deadline {
                return Err(self.timeout(job.clone()));
            }
            tokio::time::sleep(LEDGER_POLL).await;
        }
    }

    fn timeout(&self, job: Job) -> Failure {
        Failure::Timeout {
            job,
            waited: self.started.elapsed(),
        }
    }
}

/// Consecutive unreadable answers: the same decode error again and again.
/// Transport errors, timeouts and server errors do not count: those pass.
#[derive(Default)]
struct Unreadable {
    last: Option<Error>,
    times: u32,
}

impl Unreadable {
    /// Counts `error` and returns how many times in a row it has come.
    fn again(&mut self, error: &Error) -> u32 {
        if !matches!(error, Error::Decode(_)) {
            *self = Unreadable::default();
            return 0;
        }
        if self.last.as_ref() == Some(error) {
            self.times += 1;
        } else {
            self.last = Some(error.clone());
            self.times = 1;
        }
        self.times
    }
}

/// A job with no results, for printing a failed job in the results shape.
fn empty_results(job: Job) -> JobResults {
    let records = match job.job_type {
        JobType::DomainScan => ResultRecords::DomainScan(Vec::new()),
        JobType::EmailValidation => ResultRecords::EmailValidation(Vec::new()),
        JobType::EmailFinder => ResultRecords::EmailFinder(Vec::new()),
    };
    JobResults { job, records }
}

#[cfg(test)]
mod tests {
    use super::*;
    use matchkraft_host::DecodeError;

    fn decode(message: &str) -> Error {
        Error::Decode(DecodeError {
            expected: "a results body".into(),
            message: message.into(),
        })
    }

    #[test]
    fn only_the_same_unreadable_answer_in_a_row_counts() {
        let mut unreadable = Unreadable::default();
        assert_eq!(unreadable.again(&decode("eof at 3")), 1);
        assert_eq!(unreadable.again(&decode("eof at 3")), 2);
        // Another decode error starts again; anything else resets.
        assert_eq!(unreadable.again(&decode("eof at 9")), 1);
        assert_eq!(unreadable.again(&Error::Transport("reset".into())), 0);
        assert_eq!(unreadable.again(&decode("eof at 9")), 1);
        assert_eq!(unreadable.again(&decode("eof at 9")), 2);
        assert_eq!(unreadable.again(&decode("eof at 9")), UNREADABLE_LIMIT);
    }
}
