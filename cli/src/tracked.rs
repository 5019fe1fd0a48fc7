//! `status` and `results` about a job the ledger holds: what they learn is
//! noted there (the status; the results, once completed), so that `jobs`
//! and `resume` do not act on stale knowledge; and an error about a job that
//! came from a simulator which no longer runs says so, rather than "not
//! found" or "connection refused".
//!
//! The ledger is only touched for a job it already holds, submitted to the
//! API the command asked: a job id means nothing to another API. Neither
//! command needs the ledger, so a ledger that cannot be opened or written
//! costs a warning, not the answer.

use matchkraft_host::ledger::{EffectSource, Ledger, LedgerJob};
use matchkraft_host::text::one_line;
use matchkraft_host::{Error, Job, JobResults, JobStatus};

use crate::args::Global;
use crate::console::Console;
use crate::failure::Failure;
use crate::session::ledger_if_any;

/// A job as the ledger knows it (if it does), and the API a command asked
/// about it.
pub(crate) struct Tracked<'a> {
    ledger: Option<Ledger>,
    job: Option<LedgerJob>,
    asked: String,
    console: &'a Console,
}

impl<'a> Tracked<'a> {
    /// Looks `job_id` up in the ledger, for a command that asks `base_url`.
    pub(crate) fn look_up(
        global: &Global,
        job_id: &str,
        base_url: &str,
        console: &'a Console,
    ) -> Tracked<'a> {
        let ledger = ledger_if_any(global, console);
        let job = ledger
            .as_ref()
            .and_then(|ledger| ledger.job(job_id).ok().flatten());
        Tracked {
            ledger,
            job,
            asked: base_url.trim_end_matches('/').to_string(),
            console,
        }
    }

    /// The ledger and its job, when the job was submitted to the API asked
    /// and the ledger can be written.
    fn ours(&self) -> Option<(&Ledger, &LedgerJob)> {
        let ledger = self.ledger.as_ref().filter(|l| !l.is_read_only())?;
        let job = self
            .job
            .as_ref()
            .filter(|job| job.base_url.trim_end_matches('/') == self.asked)?;
        Some((ledger, job))
    }

    /// Notes the status `status` saw. A completed job stays to be fetched
    /// (`resume` fetches it), so its completion is not claimed here.
    pub(crate) fn saw_status(&self, seen: &Job) {
        let Some((ledger, job)) = self.ours() else {
            return;
        };
        let noted = match seen.status {
            JobStatus::Failed => ledger
                .mark_effect(&job.id, &seen.status, EffectSource::Results)
                .map(drop),
            _ => ledger.set_status(&job.id, &seen.status).map(drop),
        };
        self.warn_if_failed(noted);
    }

    /// Notes what `results` got: the results of a completed job are stored
    /// (unless they are already), a failure or the latest status noted.
    pub(crate) fn saw_results(&self, results: &JobResults) {
        let Some((ledger, job)) = self.ours() else {
            return;
        };
        let status = &results.job.status;
        let noted = match status {
            JobStatus::Completed | JobStatus::Failed => ledger
                .mark_effect(&job.id, status, EffectSource::Results)
                .and_then(|_| match status {
                    JobStatus::Completed if job.results_at.is_none() => {
                        ledger.store_results(results).map(drop)
                    }
                    _ => Ok(()),
                }),
            _ => ledger.set_status(&job.id, status).map(drop),
        };
        self.warn_if_failed(noted);
    }

    fn warn_if_failed(&self, noted: anyhow::Result<()>) {
        if let Err(error) = noted {
            self.console.warn(&format!(
                "the ledger was not updated: {}",
                one_line(&format!("{error:#}"))
            ));
        }
    }

    /// The failure for an error about the job: said to be a simulator's that
    /// no longer runs when the ledger says the job came from a simulator and
    /// the API asked does not know it, or does not answer.
    pub(crate) fn failure(&self, error: Error) -> Failure {
        match &self.job {
            Some(job) if job.simulator && gone(job, &self.asked, &error) => Failure::SimulatorGone {
                job: Box::new(job.clone()),
                asked: self.asked.clone(),
                error: Some(Box::new(error)),
            },
            _ => Failure::Api(error),
        }
    }
}

/// Whether `error` about a simulator's `job`, asked of `asked`, means its
/// simulator is gone.
pub(crate) fn gone(job: &LedgerJob, asked: &str, error: &Error) -> bool {
    let elsewhere = job.base_url.trim_end_matches('/') != asked.trim_end_matches('/');
    elsewhere || matches!(error, Error::PermanentNotFound(_) | Error::Transport(_))
}
