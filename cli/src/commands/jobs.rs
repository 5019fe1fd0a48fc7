//! `matchkraft jobs`: the ledger's jobs, newest first.

use crate::args::Global;
use crate::console::Console;
use crate::failure::Failure;
use crate::output::{self, print};
use crate::session::open_ledger;

/// Prints the ledger's jobs as a table (or a JSON array).
pub(crate) fn execute(global: &Global, console: &Console) -> Result<(), Failure> {
    let ledger = open_ledger(global)?;
    let jobs = ledger.list()?;
    if global.json {
        print(&output::to_text(&output::jobs_json(&jobs)));
    } else {
        print(&output::jobs_table(&jobs, console.term()));
    }
    Ok(())
}
