//! Where finished results go: a file (`--output FILE`), or stdout as a table
//! or, with `--json`, the results document.

use std::path::Path;

use matchkraft_host::JobResults;

use crate::console::Console;
use crate::export;
use crate::failure::Failure;
use crate::output::{self, print};

/// The results to `--output FILE` when given, else to stdout as JSON or a
/// table.
pub(crate) fn deliver(
    results: &JobResults,
    json: bool,
    output: Option<&Path>,
    console: &Console,
) -> Result<(), Failure> {
    match output {
        // `-o -`: stdout, whose failures (a closed pipe included) are
        // stdout's, as everywhere else.
        Some(path) if export::is_stdout(path) => {
            print(&export::csv(&results.records)).map_err(|f| f.about(&results.job))?;
            console.info(&format!("wrote {} result(s) to stdout", results.records.len()));
        }
        Some(path) => {
            let count = export::write(path, results).map_err(|e| {
                anyhow::anyhow!(
                    "cannot write {}: {e}; nothing is lost: `matchkraft results {} {} --output FILE` \
                     fetches the results again",
                    path.display(),
                    results.job.job_type,
                    results.job.id
                )
            })?;
            console.info(&format!("wrote {count} result(s) to {}", path.display()));
        }
        None => show_results(results, json, console).map_err(|f| f.about(&results.job))?,
    }
    Ok(())
}

/// The results on stdout: the JSON document, or a table.
pub(crate) fn show_results(results: &JobResults, json: bool, console: &Console) -> Result<(), Failure> {
    if json {
        print(&output::to_text(&output::results_json(results)))
    } else {
        print(&output::table(&results.records, console.term()))
    }
}
