//! `matchkraft submit`: send the records as a new job and print its id. The
//! pieces `run` shares (reading the records, submitting and recording the job)
//! are here too.

use std::time::{SystemTime, UNIX_EPOCH};

use matchkraft_host::ledger::Ledger;
use matchkraft_host::text::one_line;
use matchkraft_host::{Job, JobType, MatchKraft};

use crate::args::{Global, RecordArgs, SubmitArgs};
use crate::console::Console;
use crate::failure::Failure;
use crate::input::{self, Input};
use crate::output::{self, print};
use crate::session::{Session, open_ledger};

/// Submits the records and prints the job's id (or the job, with `--json`).
pub(crate) async fn execute(global: &Global, args: &SubmitArgs, console: &Console) -> Result<(), Failure> {
    let input = read_records(&args.records, console)?;
    let ledger = open_ledger(global)?;
    let session = Session::start(global, console).await?;
    let job = submit(&session.host, &ledger, &args.records, input, console).await?;
    if global.json {
        print(&output::to_text(&output::job_json(&job)));
    } else {
        print(&format!("{}\n", job.id));
    }
    Ok(())
}

/// The records to submit; repeated records are reported, and left out with
/// `--dedupe`.
pub(crate) fn read_records(args: &RecordArgs, console: &Console) -> Result<Input, Failure> {
    let input = input::collect(args.job_type.into(), &args.records, args.input.as_deref(), args.into())
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let repeats = input::duplicates(&input.records);
    if repeats.is_empty() {
        return Ok(input);
    }
    let pairs: Vec<String> = repeats
        .iter()
        .map(|d| format!("{} repeats {}", input.origins[d.index], input.origins[d.first]))
        .collect();
    let pairs: Vec<&str> = pairs.iter().map(String::as_str).collect();
    let pairs = input::list_some(&pairs);
    if args.dedupe {
        console.info(&format!(
            "left out {} repeated record(s) (--dedupe): {pairs}",
            repeats.len()
        ));
        Ok(input::without(input, &repeats))
    } else {
        console.warn(&format!(
            "{} repeated record(s), submitted as given (each is paid for; --dedupe leaves them out): {pairs}",
            repeats.len()
        ));
        Ok(input)
    }
}

/// Submits the records and records the job in the ledger at once, before
/// anything else can go wrong: from then on it can be resumed.
pub(crate) async fn submit(
    host: &MatchKraft,
    ledger: &Ledger,
    args: &RecordArgs,
    input: Input,
    console: &Console,
) -> Result<Job, Failure> {
    let name = match &args.name {
        Some(name) => name.clone(),
        None => default_job_name(args.job_type.into()),
    };
    let record_count = input.records.len();
    let job = match host.submit(&name, input.records).await? {
        Ok(job) => job,
        Err(error) => return Err(Failure::from_submit(error, &input.origins)),
    };
    if let Err(error) = ledger.record_submitted(&job, record_count, &host.config().base_url) {
        // The job exists (and is paid for) even so: say its id.
        console.warn(&format!(
            "job {} ({}) is not in the ledger: {}; fetch its results with `matchkraft results {} {}`",
            job.id,
            job.job_type,
            one_line(&format!("{error:#}")),
            job.job_type,
            job.id
        ));
    }
    Ok(job)
}

/// `matchkraft-cli-email-validation-1732650000`.
fn default_job_name(job_type: JobType) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("matchkraft-cli-{job_type}-{now}")
}
