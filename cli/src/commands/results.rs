//! `matchkraft results`: a job's results, or its status while it runs; the
//! ledger stores them when it holds the job.

use matchkraft_host::JobStatus;

use crate::args::{Global, JobArgs, ResultsArgs};
use crate::console::Console;
use crate::deliver::deliver;
use crate::failure::Failure;
use crate::output::{self, print};
use crate::session::Session;
use crate::tracked::Tracked;

/// Fetches the job's results and delivers them; a failed job is a failure,
/// an unfinished one prints its status.
pub(crate) async fn execute(global: &Global, args: &ResultsArgs, console: &Console) -> Result<(), Failure> {
    let session = Session::start(global, console).await?;
    let JobArgs { job_type, job_id } = &args.job;
    let tracked = Tracked::look_up(global, job_id, &session.host.config().base_url, console);
    let results = session
        .host
        .results((*job_type).into(), job_id)
        .await?
        .map_err(|error| tracked.failure(error))?;
    tracked.saw_results(&results);
    let json = global.json;
    match results.job.status {
        JobStatus::Completed => deliver(&results, json, args.output.as_deref(), console)?,
        JobStatus::Failed => {
            if json && args.output.is_none() {
                print(&output::to_text(&output::results_json(&results)))
                    .map_err(|f| f.about(&results.job))?;
            }
            return Err(Failure::JobFailed(results.job));
        }
        // Not finished: the job (or its document, with no results) on
        // stdout, and an exit code of its own, so that a script can tell.
        _ => {
            if json {
                print(&output::to_text(&output::results_json(&results)))
                    .map_err(|f| f.about(&results.job))?;
            } else {
                print(&format!("{}\n", output::job_line(&results.job)))?;
            }
            return Err(Failure::NotFinished(results.job));
        }
    }
    Ok(())
}
