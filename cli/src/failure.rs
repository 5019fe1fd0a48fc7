//! [`Failure`]: why the command did not succeed, and the exit code and the
//! `error:` / `hint:` lines each kind gets.
//!
//! Every command returns `Result<(), Failure>`; `main` reports the failure
//! and exits with its code, so the exit codes (listed in `--help` and the
//! README) are decided in this one place.

use std::path::PathBuf;
use std::time::Duration;

use matchkraft_host::ledger::LedgerJob;
use matchkraft_host::text::one_line;
use matchkraft_host::{Error, Job};

use crate::console::Console;
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
    /// `results` of a job that has not finished (exit 5).
    NotFinished(Job),
    /// `run` stopped waiting (exit 4).
    Timeout { job: Job, waited: Duration },
    /// The API's answer about a running job could not be read, the same way
    /// several times in a row (exit 1).
    Unreadable {
        job: Box<Job>,
        error: Box<Error>,
        times: u32,
    },
    /// Ctrl-C while `run` was waiting (exit 130).
    Interrupted(Job),
    /// `resume` failed for several jobs, each reported already; the exit
    /// code is the first one's.
    Several { count: usize, exit_code: u8 },
    /// stdout could not be written (exit 1). `job` is the job the output was
    /// about, whose id is then said on stderr so that it is not lost.
    Output {
        error: std::io::Error,
        job: Option<Box<Job>>,
    },
    /// Whoever read stdout went away (`matchkraft … | head`): the command
    /// ends quietly, as Unix tools do (exit 0).
    ClosedPipe,
    /// The ledger could not record a submission before it was sent, so
    /// nothing was sent (exit 1).
    LedgerBeforeSubmit { ledger: PathBuf, error: anyhow::Error },
    /// The job was submitted but the ledger could not record its id (exit 1):
    /// the id is said on stderr.
    LedgerAfterSubmit {
        job: Box<Job>,
        ledger: PathBuf,
        error: anyhow::Error,
    },
    /// A request the command would not carry out as asked; nothing was done
    /// (exit 2).
    Refused { message: String, hint: String },
    /// A job the ledger says came from a simulator of the API, which no
    /// longer serves it (exit 1): a simulator's jobs end when it stops.
    /// `asked` is the base URL the command used; `error` what it answered,
    /// if it was asked.
    SimulatorGone {
        job: Box<LedgerJob>,
        asked: String,
        error: Option<Box<Error>>,
    },
}

impl Failure {
    /// The process's exit code for this failure.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Failure::Api(_)
            | Failure::Host(_)
            | Failure::Output { .. }
            | Failure::Unreadable { .. }
            | Failure::LedgerBeforeSubmit { .. }
            | Failure::LedgerAfterSubmit { .. }
            | Failure::SimulatorGone { .. } => 1,
            Failure::ClosedPipe => 0,
            Failure::Usage(_) | Failure::Record { .. } | Failure::Refused { .. } => 2,
            Failure::JobFailed(_) => 3,
            Failure::Timeout { .. } => 4,
            Failure::NotFinished(_) => 5,
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

    /// The same failure, said to be about `job` where the job's id would
    /// otherwise be lost with the output.
    pub(crate) fn about(self, job: &Job) -> Failure {
        match self {
            Failure::Output { error, job: None } => Failure::Output {
                error,
                job: Some(Box::new(job.clone())),
            },
            other => other,
        }
    }

    /// One `error:` line on stderr, and a `hint:` line where one helps.
    pub(crate) fn report(&self, console: &Console) {
        let (message, hint) = match self {
            Failure::Usage(message) => (message.clone(), None),
            Failure::Api(error) => (error.message().to_string(), hint(error)),
            Failure::Record { error, origin } => (
                error.message().to_string(),
                Some(format!("that record is {origin}; nothing was submitted")),
            ),
            Failure::Host(error) => (one_line(&format!("{error:#}")), None),
            Failure::JobFailed(job) => (output::job_line(job), None),
            Failure::NotFinished(job) => (
                format!("not finished: {}", output::job_line(job)),
                Some(format!(
                    "no results yet; `matchkraft resume {}` waits for them (the job must be in the ledger), \
                     or ask again later",
                    job.id
                )),
            ),
            Failure::Timeout { job, waited } => (
                format!(
                    "gave up after {:.0} s waiting for {}",
                    waited.as_secs_f64(),
                    output::job_line(job)
                ),
                Some(resume_hint(job)),
            ),
            Failure::Unreadable { job, error, times } => (
                format!(
                    "{} ({times} times in a row, while waiting for {})",
                    error.message(),
                    output::job_line(job)
                ),
                Some(resume_hint(job)),
            ),
            Failure::Interrupted(job) => (
                format!("interrupted while waiting for {}", output::job_line(job)),
                Some(resume_hint(job)),
            ),
            Failure::Several { count, .. } => (format!("{count} jobs did not complete"), None),
            Failure::Output { error, job } => (
                format!("cannot write to stdout: {error}"),
                job.as_ref().map(|job| {
                    format!(
                        "the output was about {}; `matchkraft results {} {}` shows it again",
                        output::job_line(job),
                        job.job_type,
                        job.id
                    )
                }),
            ),
            Failure::ClosedPipe => return,
            Failure::LedgerBeforeSubmit { ledger, error } => (
                format!(
                    "cannot record the submission in the ledger {}: {}; nothing was sent",
                    ledger.display(),
                    one_line(&format!("{error:#}"))
                ),
                Some(format!(
                    "the ledger must be writable before a paid job is sent: free disk space, or move the \
                     file aside (`mv {0} {0}.damaged`) and run again, or pass --ledger NEW-FILE",
                    ledger.display()
                )),
            ),
            Failure::LedgerAfterSubmit { job, ledger, error } => (
                format!(
                    "{} was submitted, but the ledger {} could not record its id: {}",
                    output::job_line(job),
                    ledger.display(),
                    one_line(&format!("{error:#}"))
                ),
                Some(format!(
                    "keep the job id {}: `matchkraft results {} {}` fetches its results",
                    job.id, job.job_type, job.id
                )),
            ),
            Failure::Refused { message, hint } => (message.clone(), Some(hint.clone())),
            Failure::SimulatorGone { job, asked, error } => simulator_gone(job, asked, error.as_deref()),
        };
        console.error(&message);
        if let Some(hint) = hint {
            console.hint(&hint);
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Failure {
        Failure::Host(error)
    }
}

impl From<std::io::Error> for Failure {
    /// A failed write to stdout; a closed pipe is not a failure to report.
    fn from(error: std::io::Error) -> Failure {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            Failure::ClosedPipe
        } else {
            Failure::Output { error, job: None }
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure::Api(error)
    }
}

/// What to say about a job from a simulator that no longer serves it.
fn simulator_gone(job: &LedgerJob, asked: &str, error: Option<&Error>) -> (String, Option<String>) {
    let same = job.base_url.trim_end_matches('/') == asked.trim_end_matches('/');
    let message = match error {
        _ if !same => format!(
            "job {} came from the simulator at {}, not from {asked}: a simulator's jobs end when it stops{}",
            job.id,
            job.base_url,
            error.map(|e| format!(" ({})", e.message())).unwrap_or_default()
        ),
        Some(Error::PermanentNotFound(_)) => format!(
            "job {} came from a simulator at {} that has stopped since (the one there now does not know it): \
             a simulator's jobs end when it stops",
            job.id, job.base_url
        ),
        _ => format!(
            "job {} came from the simulator at {}, which no longer runs{}: its jobs ended with it",
            job.id,
            job.base_url,
            error.map(|e| format!(" ({})", e.message())).unwrap_or_default()
        ),
    };
    let hint = if job.results_at.is_some() {
        format!(
            "its results are in the ledger: `matchkraft resume {0}` prints them; `matchkraft jobs forget {0}` \
             drops the job",
            job.id
        )
    } else if job.is_settled() {
        format!("the job had failed; `matchkraft jobs forget {}` drops it", job.id)
    } else {
        format!(
            "`matchkraft simulator` serves jobs across commands until Ctrl-C: start it, export the lines it \
             prints and submit again; `matchkraft jobs forget --unfinished {}` drops this job from the ledger",
            job.id
        )
    };
    (message, Some(hint))
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
