//! `matchkraft jobs`: the ledger's jobs, newest first, and the submissions
//! whose outcome is unknown (a job may exist that has no id in the ledger);
//! `jobs forget` and `jobs prune` drop jobs from it.
//!
//! Dropping is careful because a job's id is the only way back to a job that
//! is paid for: a job without results is only dropped with `--unfinished`,
//! `forget` drops all the jobs it names or none, and `prune --dry-run` shows
//! what would go.

use matchkraft_host::JobStatus;
use matchkraft_host::ledger::{Forgotten, LedgerJob, Pruned, UnresolvedSubmission};

use crate::args::{ForgetArgs, Global, JobsAction, JobsArgs, PruneArgs, StatusFilter};
use crate::console::Console;
use crate::failure::Failure;
use crate::output::{self, print};
use crate::session::{open_ledger, open_ledger_to_read};

/// Lists the ledger's jobs (those `--status` selects), or forgets or prunes.
pub(crate) fn execute(global: &Global, args: &JobsArgs, console: &Console) -> Result<(), Failure> {
    match &args.action {
        Some(JobsAction::Forget(forget_args)) => return forget(global, forget_args, console),
        Some(JobsAction::Prune(prune_args)) => return prune(global, prune_args, console),
        None => {}
    }
    let ledger = open_ledger_to_read(global, console)?;
    let (jobs, unresolved) = select(ledger.list()?, ledger.unresolved_submissions()?, &args.status);
    if global.json {
        print(&output::to_text(&output::jobs_json(&jobs, &unresolved)))
    } else {
        print(&output::jobs_table(&jobs, &unresolved, console.term()))
    }
}

/// The jobs, and the submissions of unknown outcome, that `filter` selects
/// (all of them when it is empty). A submission of unknown outcome counts
/// as unfinished: a job may exist for it.
fn select(
    jobs: Vec<LedgerJob>,
    unresolved: Vec<UnresolvedSubmission>,
    filter: &[StatusFilter],
) -> (Vec<LedgerJob>, Vec<UnresolvedSubmission>) {
    if filter.is_empty() {
        return (jobs, unresolved);
    }
    let selected = |job: &LedgerJob| {
        filter.iter().any(|wanted| match wanted {
            StatusFilter::Pending => job.status == JobStatus::Pending,
            StatusFilter::Processing => job.status == JobStatus::Processing,
            StatusFilter::Completed => job.status == JobStatus::Completed,
            StatusFilter::Failed => job.status == JobStatus::Failed,
            StatusFilter::Unfinished => !job.is_settled(),
        })
    };
    let jobs = jobs.into_iter().filter(selected).collect();
    let unresolved = if filter.contains(&StatusFilter::Unfinished) {
        unresolved
    } else {
        Vec::new()
    };
    (jobs, unresolved)
}

/// `jobs forget ID…`: all of them, or none.
fn forget(global: &Global, args: &ForgetArgs, console: &Console) -> Result<(), Failure> {
    let ledger = open_ledger(global, console)?;
    match ledger.forget(&args.job_ids, args.unfinished)? {
        Forgotten::Done(jobs) => {
            for job in &jobs {
                print(&format!("forgot {}\n", output::job_line(&job.to_job())))?;
            }
            Ok(())
        }
        Forgotten::Refused { missing, unfinished } => {
            let mut problems = Vec::new();
            if !missing.is_empty() {
                problems.push(format!(
                    "not in the ledger {}: {}",
                    ledger.path().display(),
                    missing.join(", ")
                ));
            }
            for job in &unfinished {
                problems.push(format!(
                    "job {} has no results yet ({}; its id is the only way back to it)",
                    job.id, job.status
                ));
            }
            let hint = if unfinished.is_empty() {
                "`matchkraft jobs` lists the job ids".to_string()
            } else {
                "`matchkraft resume` fetches the results first; --unfinished forgets such jobs anyway"
                    .to_string()
            };
            Err(Failure::Refused {
                message: format!("{}; nothing was forgotten", problems.join("; ")),
                hint,
            })
        }
    }
}

/// `jobs prune --before DATE`: the finished jobs submitted before it.
fn prune(global: &Global, args: &PruneArgs, console: &Console) -> Result<(), Failure> {
    let ledger = open_ledger(global, console)?;
    let pruned = ledger
        .prune(&args.before, args.unfinished, args.dry_run)
        .map_err(|e| Failure::Usage(format!("--before: {e}")))?;
    let verb = if args.dry_run { "would drop" } else { "dropped" };
    for job in &pruned.removed {
        print(&format!("{verb} {}\n", output::job_line(&job.to_job())))?;
    }
    console.info(&summary(&pruned, verb));
    if !pruned.kept_unfinished.is_empty() || pruned.unresolved_kept > 0 {
        console.warn(&format!(
            "kept {} job(s) without results and {} submission(s) of unknown outcome from before {}: \
             `matchkraft resume` fetches the results; --unfinished drops them too",
            pruned.kept_unfinished.len(),
            pruned.unresolved_kept,
            pruned.before
        ));
    }
    Ok(())
}

/// `dropped 3 job(s) and 1 submission record(s) submitted before …`.
fn summary(pruned: &Pruned, verb: &str) -> String {
    format!(
        "{verb} {} job(s) and {} submission record(s) from before {}",
        pruned.removed.len(),
        pruned.submissions_removed,
        pruned.before
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use matchkraft_host::JobType;

    fn job(id: &str, status: JobStatus, results: bool) -> LedgerJob {
        LedgerJob {
            id: id.into(),
            job_type: JobType::EmailValidation,
            name: None,
            record_count: 1,
            base_url: "http://127.0.0.1:1/api/v2".into(),
            submitted_at: "2026-01-01T00:00:00.000Z".into(),
            status,
            result_count: results.then_some(1),
            results_at: results.then(|| "2026-01-01T00:00:01.000Z".into()),
            fetch_error: None,
            completed_via: None,
            simulator: false,
        }
    }

    #[test]
    fn the_status_filter_selects_jobs() {
        let jobs = vec![
            job("p", JobStatus::Pending, false),
            job("c", JobStatus::Completed, true),
            job("c-unfetched", JobStatus::Completed, false),
            job("f", JobStatus::Failed, false),
        ];
        let ids = |filter: &[StatusFilter]| -> Vec<String> {
            select(jobs.clone(), Vec::new(), filter)
                .0
                .into_iter()
                .map(|j| j.id)
                .collect()
        };
        assert_eq!(ids(&[]).len(), 4);
        assert_eq!(ids(&[StatusFilter::Unfinished]), ["p", "c-unfetched"]);
        assert_eq!(ids(&[StatusFilter::Completed]), ["c", "c-unfetched"]);
        assert_eq!(ids(&[StatusFilter::Failed, StatusFilter::Pending]), ["p", "f"]);
    }
}
