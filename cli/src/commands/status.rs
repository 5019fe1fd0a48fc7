//! `matchkraft status`: one job's status line (or the job as JSON), noted
//! in the ledger when the ledger holds the job.

use crate::args::{Global, JobArgs};
use crate::console::Console;
use crate::failure::Failure;
use crate::output::{self, print};
use crate::session::Session;
use crate::tracked::Tracked;

/// Asks the API for the job and prints it.
pub(crate) async fn execute(global: &Global, args: &JobArgs, console: &Console) -> Result<(), Failure> {
    let session = Session::start(global, console).await?;
    let tracked = Tracked::look_up(global, &args.job_id, &session.host.config().base_url, console);
    let job = session
        .host
        .status(args.job_type.into(), &args.job_id)
        .await?
        .map_err(|error| tracked.failure(error))?;
    tracked.saw_status(&job);
    if global.json {
        print(&output::to_text(&output::job_json(&job)))
    } else {
        print(&format!("{}\n", output::job_line(&job)))
    }
}
