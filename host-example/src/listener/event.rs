//! [`ListenerEvent`]: what the receiver did, one event per thing, for the
//! caller to print (`matchkraft listen` prints its `Display`, one line each).

use std::fmt;

use crate::types::{JobStatus, JobType};

/// Something the receiver did; the `matchkraft listen` command prints one
/// line per event (its `Display`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ListenerEvent {
    /// The first delivery for this job and status: recorded in the ledger;
    /// for a completed job its results are now being fetched.
    Accepted {
        /// The job.
        job_id: String,
        /// Its type, as the ledger has it.
        job_type: JobType,
        /// `completed` or `failed`.
        status: JobStatus,
    },
    /// A delivery already recorded: answered `200`, nothing done.
    Duplicate {
        /// The job.
        job_id: String,
        /// The status delivered again.
        status: JobStatus,
    },
    /// A job that is not in the ledger, or was submitted to another API:
    /// answered `200` and ignored.
    UnknownJob {
        /// The job id the body named.
        job_id: String,
    },
    /// A body the component refused: answered `400` with this reason.
    Invalid {
        /// Why, for a person to read.
        reason: String,
    },
    /// A job's results are fetched and stored in the ledger.
    Stored {
        /// The job.
        job_id: String,
        /// Its type.
        job_type: JobType,
        /// How many result records it has.
        results: usize,
    },
    /// The API says the job failed (the ledger now says so too).
    Failed {
        /// The job.
        job_id: String,
        /// Its type.
        job_type: JobType,
    },
    /// The job had already been settled by someone else (a poll, a resume).
    Settled {
        /// The job.
        job_id: String,
    },
    /// A webhook claimed a status the API does not confirm: the job is not
    /// finished. Nothing is changed but the status the API reports; the
    /// webhook may be forged (it carries no signature) or early.
    NotFinished {
        /// The job.
        job_id: String,
        /// What the webhook said.
        claimed: JobStatus,
        /// What the API says.
        actual: JobStatus,
    },
    /// Warnings of one kind left out because too many came at once (a
    /// flood of bodies for unknown jobs): how many, and of what.
    Suppressed {
        /// How many warnings were not emitted.
        count: u64,
        /// What they were about.
        what: &'static str,
    },
    /// A job's results could not be fetched; the job stays pending in the
    /// ledger for `matchkraft resume`.
    FetchFailed {
        /// The job.
        job_id: String,
        /// Why.
        reason: String,
    },
    /// The ledger or the host failed: answered `500`, so the sender retries.
    Error {
        /// What failed.
        reason: String,
    },
}

impl ListenerEvent {
    /// Whether the event is a problem someone should look at (the command
    /// prints these on stderr).
    pub fn is_warning(&self) -> bool {
        matches!(
            self,
            ListenerEvent::UnknownJob { .. }
                | ListenerEvent::Invalid { .. }
                | ListenerEvent::NotFinished { .. }
                | ListenerEvent::Suppressed { .. }
                | ListenerEvent::FetchFailed { .. }
                | ListenerEvent::Error { .. }
        )
    }
}

impl fmt::Display for ListenerEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListenerEvent::Accepted {
                job_id,
                job_type,
                status: JobStatus::Completed,
            } => write!(f, "job {job_id} ({job_type}) completed: fetching its results"),
            ListenerEvent::Accepted {
                job_id,
                job_type,
                status,
            } => write!(
                f,
                "job {job_id} ({job_type}) reported {status}: checking with the API"
            ),
            ListenerEvent::Failed { job_id, job_type } => {
                write!(f, "job {job_id} ({job_type}) failed (the API says so)")
            }
            ListenerEvent::Settled { job_id } => write!(f, "job {job_id} was already settled: nothing to do"),
            ListenerEvent::NotFinished {
                job_id,
                claimed,
                actual,
            } => write!(
                f,
                "job {job_id}: a webhook said {claimed}, but the API says {actual}: ignored (the job stays pending)"
            ),
            ListenerEvent::Suppressed { count, what } => {
                write!(
                    f,
                    "{count} more warning(s) about {what} left out (too many at once)"
                )
            }
            ListenerEvent::Duplicate { job_id, status } => {
                write!(f, "job {job_id} {status} again: a repeated delivery, ignored")
            }
            ListenerEvent::UnknownJob { job_id } => {
                write!(f, "job {job_id} is not in the ledger: webhook ignored")
            }
            ListenerEvent::Invalid { reason } => write!(f, "invalid webhook refused: {reason}"),
            ListenerEvent::Stored {
                job_id,
                job_type,
                results,
            } => write!(f, "job {job_id} ({job_type}): {results} result(s) stored"),
            ListenerEvent::FetchFailed { job_id, reason } => write!(
                f,
                "job {job_id}: results not fetched ({reason}); `matchkraft resume {job_id}` retries"
            ),
            ListenerEvent::Error { reason } => write!(f, "webhook not handled (answered 500): {reason}"),
        }
    }
}
