//! `matchkraft status`: one job's status line (or the job as JSON).

use crate::args::{Global, JobArgs};
use crate::console::Console;
use crate::failure::Failure;
use crate::output::{self, print};
use crate::session::Session;

/// Asks the API for the job and prints it.
pub(crate) async fn execute(global: &Global, args: &JobArgs, console: &Console) -> Result<(), Failure> {
    let session = Session::start(global, console).await?;
    let job = session.host.status(args.job_type.into(), &args.job_id).await??;
    if global.json {
        print(&output::to_text(&output::job_json(&job)))
    } else {
        print(&format!("{}\n", output::job_line(&job)))
    }
}
