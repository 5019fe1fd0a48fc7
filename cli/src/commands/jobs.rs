//! `matchkraft jobs`: the ledger's jobs, newest first, and the submissions
//! whose outcome is unknown (a job may exist that has no id in the ledger).

use crate::args::Global;
use crate::console::Console;
use crate::failure::Failure;
use crate::output::{self, print};
use crate::session::open_ledger_to_read;

/// Prints the ledger's jobs as a table (or a JSON array).
pub(crate) fn execute(global: &Global, console: &Console) -> Result<(), Failure> {
    let ledger = open_ledger_to_read(global, console)?;
    let jobs = ledger.list()?;
    let unresolved = ledger.unresolved_submissions()?;
    if global.json {
        print(&output::to_text(&output::jobs_json(&jobs, &unresolved)))
    } else {
        print(&output::jobs_table(&jobs, &unresolved, console.term()))
    }
}
