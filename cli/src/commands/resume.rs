//! `matchkraft resume`: finish the jobs the ledger holds without results,
//! typically those of a `run` that was killed while it waited.
//!
//! Each job is waited for through the component's `wait` (which polls the
//! results endpoint and returns the results with the final poll), and its
//! results are stored in the ledger and printed as `run` prints them. Jobs are
//! waited for at the same time and printed as they finish. A job whose results
//! are already stored is printed from the ledger, without asking the API.
//!
//! Resume is the recovery path, so it does not defer to an earlier claim on a
//! job's completion: whoever made that claim (a killed `run`, a receiver
//! whose fetch failed) did not store the results.
//!
//! `wait` polls through transient errors, a refused connection included (a
//! blip of the network should not end a wait of minutes), so an API that is
//! not there at all would only be reported at the timeout. Each job's status
//! is therefore asked once first: the component retries that call a few
//! times, and a connection still refused ends the job's resume at once. A job
//! the ledger says came from a simulator that no longer runs is said to be so.

use std::time::Duration;

use matchkraft_host::ledger::{EffectSource, Ledger, LedgerJob};
use matchkraft_host::{Error, JobResults, JobStatus, MatchKraft};
use tokio::task::JoinSet;

use crate::args::{Global, ResumeArgs};
use crate::console::Console;
use crate::deliver::show_results;
use crate::failure::Failure;
use crate::output::{self, print};
use crate::session::{connect, open_ledger_to_read};
use crate::tracked::gone;

/// Resumes the jobs `args` names, through the API the flags name.
pub(crate) async fn execute(global: &Global, args: &ResumeArgs, console: &Console) -> Result<(), Failure> {
    let ledger = open_ledger_to_read(global, console)?;
    // The host's own deadline must not cut the wait short.
    let call_timeout = Duration::from_secs(args.timeout).saturating_add(Duration::from_secs(60));
    let host = connect(global, "resume", call_timeout, console)?;
    resume(&host, &ledger, args, global.json, console).await
}

/// Resumes `args.job_id`, or every pending job of the ledger that was
/// submitted to this host's API.
async fn resume(
    host: &MatchKraft,
    ledger: &Ledger,
    args: &ResumeArgs,
    json: bool,
    console: &Console,
) -> Result<(), Failure> {
    let base_url = host.config().base_url.trim_end_matches('/').to_string();
    let jobs = match &args.job_id {
        Some(id) => vec![ledger.job(id)?.ok_or_else(|| {
            Failure::Usage(format!(
                "job {id} is not in the ledger {} (`matchkraft jobs` lists it)",
                ledger.path().display()
            ))
        })?],
        None => ledger.pending()?,
    };
    let (ours, mut elsewhere): (Vec<LedgerJob>, Vec<LedgerJob>) = jobs
        .into_iter()
        .partition(|job| job.base_url.trim_end_matches('/') == base_url);
    for job in &elsewhere {
        if job.simulator {
            console.warn(&format!(
                "skipping job {}: it came from the simulator at {}, whose jobs end when it stops \
                 (`matchkraft jobs forget --unfinished {}` drops it)",
                job.id, job.base_url, job.id
            ));
        } else {
            console.warn(&format!(
                "skipping job {}: it was submitted to {}; resume it with --base-url {}",
                job.id, job.base_url, job.base_url
            ));
        }
    }
    if ours.is_empty() {
        if args.job_id.is_some() {
            return Err(match elsewhere.pop() {
                Some(job) if job.simulator => Failure::SimulatorGone {
                    job: Box::new(job),
                    asked: base_url,
                    error: None,
                },
                _ => Failure::Usage("the job belongs to another API base URL".into()),
            });
        }
        console.info("nothing to resume: every job in the ledger has its results");
        return Ok(());
    }

    let timeout = Duration::from_secs(args.timeout);
    let mut waits = JoinSet::new();
    for job in ours {
        if job.results_at.is_some() {
            print_stored(ledger, &job, json, console)?;
            continue;
        }
        console.info(&format!("waiting for {}", output::job_line(&job.to_job())));
        let (host, ledger) = (host.clone(), ledger.clone());
        waits.spawn(async move { resume_one(&host, &ledger, &job, timeout).await });
    }
    let waiting_for = |left: usize| format!("waiting for {left} job(s)");
    console.waiting(waiting_for(waits.len()));

    let mut failures = Vec::new();
    while let Some(finished) = waits.join_next().await {
        let outcome = finished
            .map_err(|e| Failure::Host(e.into()))
            .and_then(|outcome| outcome);
        console.stop();
        match outcome.and_then(|results| finish(&results, json, console)) {
            Ok(()) => {}
            Err(failure) => failures.push(failure),
        }
        if !waits.is_empty() {
            console.waiting(waiting_for(waits.len()));
        }
    }
    match failures.len() {
        0 => Ok(()),
        1 => Err(failures.remove(0)),
        count => {
            for failure in &failures {
                failure.report(console);
            }
            Err(Failure::Several {
                count,
                exit_code: failures[0].exit_code(),
            })
        }
    }
}

/// Waits for one job and stores what it ended with.
async fn resume_one(
    host: &MatchKraft,
    ledger: &Ledger,
    job: &LedgerJob,
    timeout: Duration,
) -> Result<JobResults, Failure> {
    let failure = |error: Error| {
        let _ = ledger.record_fetch_error(&job.id, &error.message().to_string());
        if job.simulator && gone(job, &host.config().base_url, &error) {
            Failure::SimulatorGone {
                job: Box::new(job.clone()),
                asked: host.config().base_url.clone(),
                error: Some(Box::new(error)),
            }
        } else {
            Failure::Api(error)
        }
    };
    // Nothing answering is told by one call, not by the whole wait.
    if let Err(error) = host.status(job.job_type, &job.id).await?
        && (matches!(error, Error::Transport(_)) || error.is_permanent())
    {
        return Err(failure(error));
    }
    match host.wait(job.job_type, &job.id, timeout).await? {
        // A read-only ledger: the results are printed, not stored.
        Ok(results) if ledger.is_read_only() => Ok(results),
        Ok(results) => {
            ledger.mark_effect(&job.id, &results.job.status, EffectSource::Resume)?;
            if results.job.status == JobStatus::Completed {
                ledger.store_results(&results)?;
            }
            Ok(results)
        }
        Err(Error::WaitTimeout(last_seen)) => {
            let _ = ledger.set_status(&job.id, &last_seen.status);
            Err(Failure::Timeout {
                job: last_seen,
                waited: timeout,
            })
        }
        Err(error) => Err(failure(error)),
    }
}

/// Prints a finished job as `run` does; a failed job is a failure.
fn finish(results: &JobResults, json: bool, console: &Console) -> Result<(), Failure> {
    if results.job.status == JobStatus::Failed {
        if json {
            print(&output::to_text(&output::results_json(results))).map_err(|f| f.about(&results.job))?;
        }
        return Err(Failure::JobFailed(results.job.clone()));
    }
    console.info(&format!(
        "{} with {} result(s)",
        output::job_line(&results.job),
        results.records.len()
    ));
    show_results(results, json, console).map_err(|f| f.about(&results.job))
}

/// Prints results the ledger already holds: the stored document itself with
/// `--json`.
fn print_stored(ledger: &Ledger, job: &LedgerJob, json: bool, console: &Console) -> Result<(), Failure> {
    console.info(&format!(
        "job {} has its results in the ledger (stored {})",
        job.id,
        job.results_at.as_deref().unwrap_or("-")
    ));
    if json {
        if let Some(document) = ledger.results_document(&job.id)? {
            let value: serde_json::Value = serde_json::from_str(&document).map_err(anyhow::Error::from)?;
            print(&output::to_text(&value))?;
        }
        return Ok(());
    }
    if let Some(results) = ledger.results(&job.id)? {
        show_results(&results, false, console)?;
    }
    Ok(())
}
