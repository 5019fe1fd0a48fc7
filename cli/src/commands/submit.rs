//! `matchkraft submit`: send the records as a new job and print its id. The
//! pieces `run` shares (reading the records, submitting and recording the job)
//! are here too.

use std::time::{SystemTime, UNIX_EPOCH};

use matchkraft_host::ledger::{Ledger, SubmissionId, SubmissionOutcome};
use matchkraft_host::text::one_line;
use matchkraft_host::{Error, Job, JobType, MatchKraft};

use crate::args::{Global, RecordArgs, SubmitArgs};
use crate::console::Console;
use crate::failure::Failure;
use crate::input::{self, Input};
use crate::output::{self, print};
use crate::session::{Session, is_simulator_key, open_ledger_to_submit};

/// Submits the records and prints the job's id (or the job, with `--json`).
pub(crate) async fn execute(global: &Global, args: &SubmitArgs, console: &Console) -> Result<(), Failure> {
    let input = read_records(&args.records, console)?;
    let ledger = open_ledger_to_submit(global, console)?;
    let session = Session::start(global, console).await?;
    let job = submit(&session.host, &ledger, &args.records, input, console).await?;
    let printed = if global.json {
        print(&output::to_text(&output::job_json(&job)))
    } else {
        print(&format!("{}\n", job.id))
    };
    printed.map_err(|f| f.about(&job))
}

/// The records to submit; repeated records are reported, and left out with
/// `--dedupe`.
pub(crate) fn read_records(args: &RecordArgs, console: &Console) -> Result<Input, Failure> {
    let input = matchkraft_input::collect(
        matchkraft_host::JobType::from(args.job_type).into(),
        &args.records,
        args.input.as_deref(),
        input::options(args),
    )
    .map_err(|e| Failure::Usage(e.to_string()))?;
    for note in &input.notes {
        console.info(note);
    }
    let repeats = matchkraft_input::duplicates(&input.records);
    if repeats.is_empty() {
        return Ok(input::for_host(input));
    }
    let pairs: Vec<String> = repeats
        .iter()
        .map(|d| format!("{} repeats {}", input.origins[d.index], input.origins[d.first]))
        .collect();
    let pairs: Vec<&str> = pairs.iter().map(String::as_str).collect();
    let pairs = matchkraft_input::list_some(&pairs);
    if args.dedupe {
        console.info(&format!(
            "left out {} repeated record(s) (--dedupe): {pairs}",
            repeats.len()
        ));
        Ok(input::for_host(matchkraft_input::without(input, &repeats)))
    } else {
        console.warn(&format!(
            "{} repeated record(s), submitted as given (each is paid for; --dedupe leaves them out): {pairs}",
            repeats.len()
        ));
        Ok(input::for_host(input))
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
    let base_url = &host.config().base_url;
    let record_count = input.records.len();
    // Write-ahead: the submission is in the ledger before anything is sent,
    // or nothing is sent.
    let before = |error| Failure::LedgerBeforeSubmit {
        ledger: ledger.path().to_path_buf(),
        error,
    };
    ledger.check().map_err(before)?;
    let id = ledger
        .begin_submission(&name, &input.records, base_url)
        .map_err(before)?;
    let answer = host.submit(&name, input.records).await;
    let refused = |error: &Error| match error {
        Error::SubmitOutcomeUnknown(_) => SubmissionOutcome::Unknown(error.message().to_string()),
        _ => SubmissionOutcome::Refused(error.message().to_string()),
    };
    let job = match answer {
        Ok(Ok(job)) => job,
        Ok(Err(error)) => {
            note_outcome(ledger, id, &refused(&error), console);
            return Err(Failure::from_submit(error, &input.origins));
        }
        // A trap or a host failure while the request may have been sent.
        Err(failure) => {
            let outcome = SubmissionOutcome::Unknown(one_line(&format!("{failure:#}")));
            note_outcome(ledger, id, &outcome, console);
            return Err(Failure::Host(failure));
        }
    };
    if let Err(error) = ledger.submission_accepted(id, &job, record_count, base_url) {
        return Err(Failure::LedgerAfterSubmit {
            job: Box::new(job),
            ledger: ledger.path().to_path_buf(),
            error,
        });
    }
    // A simulator's job ends with it: errors about it can then say so.
    if is_simulator_key(host.config().api_key.as_deref())
        && let Err(error) = ledger.mark_simulator(&job.id)
    {
        console.warn(&format!(
            "the ledger did not note that job {} is a simulator's: {}",
            job.id,
            one_line(&format!("{error:#}"))
        ));
    }
    Ok(job)
}

/// Notes how a submission ended without a job; the submission is already
/// recorded, so a failure here only leaves it shown as `sending`.
fn note_outcome(ledger: &Ledger, id: SubmissionId, outcome: &SubmissionOutcome, console: &Console) {
    if let Err(error) = ledger.submission_failed(id, outcome) {
        console.warn(&format!(
            "the ledger did not record how the submission ended: {}",
            one_line(&format!("{error:#}"))
        ));
    }
}

/// `matchkraft-cli-email-validation-1732650000`.
fn default_job_name(job_type: JobType) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("matchkraft-cli-{job_type}-{now}")
}
