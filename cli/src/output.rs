//! What the command prints: aligned tables and JSON documents.
//!
//! The JSON shapes live in the library (`matchkraft_host::json`), because the
//! job ledger stores results in the same shape.

use std::io::Write as _;

use matchkraft_host::columns::{self, Value};
use matchkraft_host::ledger::{LedgerJob, SubmissionOutcome, UnresolvedSubmission};
use matchkraft_host::listener::ListenerEvent;
use matchkraft_host::text::printable;
use matchkraft_host::{EmailStatus, Job, JobStatus, ResultRecords};
use serde_json::json;

use crate::failure::Failure;
use crate::term::{Term, Tone};

pub(crate) use matchkraft_host::json::{job_to_json as job_json, results_to_json as results_json};

/// `job 0b6e… (email-validation, "my job"): processing, 40%`, with any
/// control character the API sent made visible.
pub(crate) fn job_line(job: &Job) -> String {
    let mut line = format!("job {} ({}", job.id, job.job_type);
    if let Some(name) = &job.name {
        line.push_str(&format!(", {name:?}"));
    }
    line.push_str(&format!("): {}", job.status));
    if let Some(progress) = job.progress {
        line.push_str(&format!(", {}%", number(progress)));
    }
    printable(&line).into_owned()
}

/// The results as an aligned table with one header line, or `(no results)`.
/// The columns are the job type's ([`columns`]); status words and what the
/// job found are coloured when `term` allows it.
pub(crate) fn table(records: &ResultRecords, term: &Term) -> String {
    let columns = columns::columns(records.job_type());
    let rows: Vec<Vec<Cell>> = columns::rows(records)
        .into_iter()
        .map(|row| {
            columns
                .iter()
                .zip(row.values)
                .map(|(column, value)| {
                    let cell = cell(value);
                    if column.found {
                        cell.toned(Tone::Good)
                    } else {
                        cell
                    }
                })
                .collect()
        })
        .collect();
    if rows.is_empty() {
        return "(no results)\n".to_string();
    }
    let headers: Vec<&str> = columns.iter().map(|c| c.title).collect();
    render(&headers, &rows, term)
}

/// One value as a table cell: `yes`/`no`, numbers with at most two
/// decimals, a domain scan's emails joined by commas, `-` when missing.
fn cell(value: Value<'_>) -> Cell {
    match value {
        Value::Text(value) => text(value),
        Value::Flag(value) => yes_no(value),
        Value::Number(value) => value.map_or_else(Cell::missing, |n| Cell::new(number(n), Tone::Plain)),
        Value::Status(Some(status)) => Cell::new(status.as_str(), email_status_tone(status)),
        Value::Status(None) => Cell::missing(),
        Value::Emails(emails) => {
            let emails: Vec<&str> = emails.iter().map(|e| e.email.as_str()).collect();
            text(Some(&emails.join(", ")))
        }
    }
}

/// Deliverable reads good; undeliverable bad; the rest needs a second look.
fn email_status_tone(status: &EmailStatus) -> Tone {
    match status {
        EmailStatus::Valid => Tone::Good,
        EmailStatus::Invalid | EmailStatus::SpamTrap => Tone::Bad,
        EmailStatus::CatchAll | EmailStatus::Unknown | EmailStatus::Disposable | EmailStatus::Role => {
            Tone::Doubtful
        }
        EmailStatus::Other(_) => Tone::Plain,
    }
}

fn job_status_tone(status: &JobStatus) -> Tone {
    match status {
        JobStatus::Completed => Tone::Good,
        JobStatus::Failed => Tone::Bad,
        JobStatus::Pending | JobStatus::Processing => Tone::Doubtful,
        JobStatus::Other(_) => Tone::Plain,
    }
}

/// The ledger's jobs as a table, in the order given, or a note that there
/// are none. Submissions whose outcome is unknown come first, without a job
/// id, and a note says what to do about them.
pub(crate) fn jobs_table(jobs: &[LedgerJob], unresolved: &[UnresolvedSubmission], term: &Term) -> String {
    if jobs.is_empty() && unresolved.is_empty() {
        return "(no jobs in the ledger)\n".to_string();
    }
    let plain = |text: String| Cell::new(text, Tone::Plain);
    let unknown = unresolved.iter().map(|submission| {
        vec![
            Cell::missing(),
            plain(submission.job_type.to_string()),
            text(Some(&submission.name)),
            plain(submission.record_count.to_string()),
            plain(submission.started_at.clone()),
            Cell::new(outcome_word(&submission.outcome), Tone::Bad),
            Cell::missing(),
        ]
    });
    let rows: Vec<Vec<Cell>> = unknown
        .chain(jobs.iter().map(|job| {
            vec![
                plain(job.id.clone()),
                plain(job.job_type.to_string()),
                text(job.name.as_deref()),
                plain(job.record_count.to_string()),
                plain(job.submitted_at.clone()),
                Cell::new(job.status.to_string(), job_status_tone(&job.status)),
                plain(results_cell(job)),
            ]
        }))
        .collect();
    let mut table = render(
        &[
            "JOB ID",
            "TYPE",
            "NAME",
            "RECORDS",
            "SUBMITTED",
            "STATUS",
            "RESULTS",
        ],
        &rows,
        term,
    );
    if !unresolved.is_empty() {
        table.push_str(&format!(
            "\n{} submission(s) may have created a job whose id never came back (the API has no lookup by \
             name): check the MatchKraft dashboard before sending the same records again.\n",
            unresolved.len()
        ));
    }
    table
}

/// `outcome unknown`, or `sent, no answer` for a submission whose sender
/// stopped before the API answered.
fn outcome_word(outcome: &SubmissionOutcome) -> &'static str {
    match outcome {
        SubmissionOutcome::Sending => "sent, no answer",
        _ => "outcome unknown",
    }
}

/// `12 (webhook)`, `pending`, `not fetched`, or `-` for a failed job.
fn results_cell(job: &LedgerJob) -> String {
    match (job.result_count, &job.fetch_error) {
        (Some(count), _) => match job.completed_via {
            Some(source) => format!("{count} ({})", source.as_str()),
            None => count.to_string(),
        },
        _ if job.status == JobStatus::Failed => "-".to_string(),
        (None, Some(_)) => "not fetched".to_string(),
        (None, None) => "pending".to_string(),
    }
}

/// The ledger's jobs as a JSON array; results themselves are left out
/// (`matchkraft resume JOB-ID --json` prints them). Submissions whose
/// outcome is unknown come first, with `"jobId": null`.
pub(crate) fn jobs_json(jobs: &[LedgerJob], unresolved: &[UnresolvedSubmission]) -> serde_json::Value {
    let unknown = unresolved.iter().map(|submission| {
        json!({
            "jobId": null,
            "jobName": submission.name,
            "jobType": submission.job_type.as_str(),
            "records": submission.record_count,
            "submittedAt": submission.started_at,
            "status": match submission.outcome {
                SubmissionOutcome::Sending => "sent-no-answer",
                _ => "outcome-unknown",
            },
            "baseUrl": submission.base_url,
            "recordsDigest": submission.records_digest,
            "reason": match &submission.outcome {
                SubmissionOutcome::Unknown(reason) => Some(reason.as_str()),
                _ => None,
            },
        })
    });
    serde_json::Value::Array(
        unknown
            .chain(jobs.iter().map(|job| {
                json!({
                    "jobId": job.id,
                    "jobName": job.name,
                    "jobType": job.job_type.as_str(),
                    "records": job.record_count,
                    "submittedAt": job.submitted_at,
                    "status": job.status.as_str(),
                    "baseUrl": job.base_url,
                    "resultCount": job.result_count,
                    "resultsStoredAt": job.results_at,
                    "completedVia": job.completed_via.map(|s| s.as_str()),
                    "fetchError": job.fetch_error,
                    "simulator": job.simulator,
                })
            }))
            .collect(),
    )
}

/// A webhook receiver's event as one line of JSON (`listen --json`):
/// `{"event", "jobId"?, "warning", "message"}`, the message being the line
/// `listen` prints without `--json`.
pub(crate) fn event_json(event: &ListenerEvent) -> serde_json::Value {
    let (kind, job_id) = match event {
        ListenerEvent::Accepted { job_id, .. } => ("accepted", Some(job_id)),
        ListenerEvent::Duplicate { job_id, .. } => ("duplicate", Some(job_id)),
        ListenerEvent::UnknownJob { job_id } => ("unknown-job", Some(job_id)),
        ListenerEvent::Invalid { .. } => ("invalid", None),
        ListenerEvent::Stored { job_id, .. } => ("stored", Some(job_id)),
        ListenerEvent::Failed { job_id, .. } => ("failed", Some(job_id)),
        ListenerEvent::Settled { job_id } => ("settled", Some(job_id)),
        ListenerEvent::NotFinished { job_id, .. } => ("not-finished", Some(job_id)),
        ListenerEvent::Suppressed { .. } => ("suppressed", None),
        ListenerEvent::FetchFailed { job_id, .. } => ("fetch-failed", Some(job_id)),
        ListenerEvent::Error { .. } => ("error", None),
        _ => ("other", None),
    };
    let mut value = json!({"event": kind});
    if let Some(job_id) = job_id {
        value["jobId"] = json!(job_id);
    }
    value["warning"] = json!(event.is_warning());
    value["message"] = json!(event.to_string());
    value
}

/// One table cell: its text, and how it reads at a glance.
struct Cell {
    text: String,
    tone: Tone,
}

impl Cell {
    /// A cell showing `text`, its control characters made visible: a
    /// status word from the API must not act on the terminal.
    fn new(text: impl Into<String>, tone: Tone) -> Cell {
        let text = text.into();
        Cell {
            text: match printable(&text) {
                std::borrow::Cow::Borrowed(_) => text,
                shown => shown.into_owned(),
            },
            tone,
        }
    }

    /// `-`, dimmed.
    fn missing() -> Cell {
        Cell::new("-", Tone::Dim)
    }

    /// The same cell in `tone`, unless it is a missing value.
    fn toned(self, tone: Tone) -> Cell {
        if self.tone == Tone::Dim {
            self
        } else {
            Cell { tone, ..self }
        }
    }
}

/// Left-aligned columns two spaces apart, without trailing spaces. Widths
/// are those of the text: colour codes are added after padding.
fn render(headers: &[&str], rows: &[Vec<Cell>], term: &Term) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.text.chars().count());
        }
    }
    let header: Vec<Cell> = headers.iter().map(|h| Cell::new(*h, Tone::Plain)).collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        let mut padding = 0;
        for (i, (cell, width)) in row.iter().zip(&widths).enumerate() {
            if i > 0 {
                padding += 2;
            }
            // Pending padding is written only before a next cell, so that no
            // line ends in spaces.
            line.extend(std::iter::repeat_n(' ', padding));
            line.push_str(&term.paint(&cell.text, cell.tone));
            padding = width - cell.text.chars().count();
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// A cell's text: control characters (a line break in an API message) would
/// break the table, so they become spaces; a missing value is `-`.
fn text(value: Option<&str>) -> Cell {
    match value {
        Some(v) if !v.is_empty() => Cell::new(
            v.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect::<String>(),
            Tone::Plain,
        ),
        _ => Cell::missing(),
    }
}

fn yes_no(value: Option<bool>) -> Cell {
    match value {
        Some(true) => Cell::new("yes", Tone::Plain),
        Some(false) => Cell::new("no", Tone::Plain),
        None => Cell::missing(),
    }
}

/// `95` for 95.0, `87.5` for 87.5, at most two decimals.
fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        let text = format!("{value:.2}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A JSON value as the command prints it: pretty, with a final newline.
/// DEL and the C1 controls, which JSON allows raw inside strings but some
/// terminals obey, are written as `\u` escapes (the same JSON value).
pub(crate) fn to_text(value: &serde_json::Value) -> String {
    escape_controls(&serde_json::to_string_pretty(value).expect("a JSON value serialises"))
}

/// A JSON value on one line (`listen --json`), with a final newline and
/// the same escapes as [`to_text`].
pub(crate) fn to_line(value: &serde_json::Value) -> String {
    escape_controls(&value.to_string())
}

/// JSON text with DEL and the C1 controls as `\u` escapes, and a newline.
fn escape_controls(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 1);
    for c in text.chars() {
        if ('\u{7f}'..='\u{9f}').contains(&c) {
            escaped.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            escaped.push(c);
        }
    }
    escaped.push('\n');
    escaped
}

/// Writes to stdout. A failed write is a failure of the command (exit 1),
/// except a closed pipe (`matchkraft … | head`), which ends it quietly.
pub(crate) fn print(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use matchkraft_host::{
        DomainScanResult, EmailFinderResult, EmailStatus, EmailValidationResult, FoundEmail, JobStatus,
        JobType,
    };

    const PLAIN: Term = Term {
        color: false,
        progress: false,
        chatty: true,
    };

    #[test]
    fn colour_marks_status_words_and_keeps_the_columns_aligned() {
        let coloured = Term { color: true, ..PLAIN };
        let table = table(&validation(), &coloured);
        assert!(table.contains("\x1b[32mvalid\x1b[0m"), "{table:?}");
        assert!(table.contains("\x1b[33mcatch-all\x1b[0m"), "{table:?}");
        assert!(table.contains("\x1b[2m-\x1b[0m"), "{table:?}");
        // Without the codes it is exactly the plain table.
        let stripped = table
            .replace("\x1b[32m", "")
            .replace("\x1b[33m", "")
            .replace("\x1b[2m", "");
        assert_eq!(
            stripped.replace("\x1b[0m", ""),
            super::table(&validation(), &PLAIN)
        );
    }

    fn job(job_type: JobType, status: JobStatus) -> Job {
        Job {
            id: "job-1".into(),
            name: Some("my job".into()),
            job_type,
            status,
            progress: None,
        }
    }

    fn validation() -> ResultRecords {
        ResultRecords::EmailValidation(vec![
            EmailValidationResult {
                email: Some("ada@example.com".into()),
                status: Some(EmailStatus::Valid),
                verified: Some(true),
                reason: None,
                raw: r#"{"email":"ada@example.com","status":"VALID","score":99}"#.into(),
            },
            EmailValidationResult {
                email: Some("x@catchall.example".into()),
                status: Some(EmailStatus::CatchAll),
                verified: Some(false),
                reason: Some("accepts\nall".into()),
                raw: "not json".into(),
            },
        ])
    }

    #[test]
    fn validation_table() {
        assert_eq!(
            table(&validation(), &PLAIN),
            "EMAIL               STATUS     VERIFIED  REASON\n\
             ada@example.com     valid      yes       -\n\
             x@catchall.example  catch-all  no        accepts all\n"
        );
    }

    #[test]
    fn finder_table() {
        let records = ResultRecords::EmailFinder(vec![
            EmailFinderResult {
                first_name: Some("Ada".into()),
                last_name: Some("Lovelace".into()),
                website: Some("https://example.com".into()),
                email: Some("ada@example.com".into()),
                confidence: Some(87.5),
                raw: "{}".into(),
            },
            EmailFinderResult {
                first_name: Some("Bob".into()),
                last_name: None,
                website: None,
                email: None,
                confidence: Some(0.0),
                raw: "{}".into(),
            },
        ]);
        assert_eq!(
            table(&records, &PLAIN),
            "FIRST NAME  LAST NAME  WEBSITE              EMAIL            CONFIDENCE\n\
             Ada         Lovelace   https://example.com  ada@example.com  87.5\n\
             Bob         -          -                    -                0\n"
        );
    }

    #[test]
    fn domain_scan_table_joins_emails() {
        let records = ResultRecords::DomainScan(vec![
            DomainScanResult {
                website: Some("https://example.com".into()),
                domain: Some("example.com".into()),
                emails: vec![
                    FoundEmail {
                        email: "info@example.com".into(),
                        kind: Some("generic".into()),
                        verified: None,
                    },
                    FoundEmail {
                        email: "ada@example.com".into(),
                        kind: None,
                        verified: Some(true),
                    },
                ],
                raw: "{}".into(),
            },
            DomainScanResult {
                website: Some("https://empty.example".into()),
                domain: None,
                emails: vec![],
                raw: "{}".into(),
            },
        ]);
        assert_eq!(
            table(&records, &PLAIN),
            "WEBSITE                DOMAIN       EMAILS\n\
             https://example.com    example.com  info@example.com, ada@example.com\n\
             https://empty.example  -            -\n"
        );
    }

    #[test]
    fn empty_results() {
        assert_eq!(
            table(&ResultRecords::EmailFinder(vec![]), &PLAIN),
            "(no results)\n"
        );
    }

    #[test]
    fn text_from_the_api_cannot_drive_the_terminal() {
        let hostile = JobStatus::Other("\u{1b}]0;pwned\u{7}\u{1b}[2J".into());
        let line = job_line(&job(JobType::DomainScan, hostile));
        assert!(!line.chars().any(char::is_control), "{line:?}");
        assert!(line.contains("\\x1b]0;pwned"), "{line:?}");

        let status = EmailStatus::Other("\u{9b}31mred".into());
        let records = ResultRecords::EmailValidation(vec![EmailValidationResult {
            email: Some("a@b.co".into()),
            status: Some(status.clone()),
            verified: None,
            reason: None,
            raw: "{}".into(),
        }]);
        let table = table(&records, &PLAIN);
        assert!(
            !table.replace('\n', "").chars().any(char::is_control),
            "{table:?}"
        );

        let text = to_text(&json!({"status": status.as_str(), "del": "\u{7f}"}));
        assert!(!text.contains('\u{9b}') && !text.contains('\u{7f}'), "{text:?}");
        assert!(
            text.contains("\\u009b31mred") && text.contains("\\u007f"),
            "{text}"
        );
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["status"], status.as_str());
    }

    #[test]
    fn job_lines_and_json() {
        let mut j = job(JobType::DomainScan, JobStatus::Other("QUEUED".into()));
        j.progress = Some(40.0);
        assert_eq!(job_line(&j), "job job-1 (domain-scan, \"my job\"): QUEUED, 40%");
        assert_eq!(
            job_json(&j),
            json!({"jobId": "job-1", "jobName": "my job", "jobType": "domain-scan",
                   "status": "QUEUED", "progress": 40.0})
        );
        j.name = None;
        j.progress = None;
        assert_eq!(job_line(&j), "job job-1 (domain-scan): QUEUED");
    }

    #[test]
    fn numbers() {
        assert_eq!(number(95.0), "95");
        assert_eq!(number(87.5), "87.5");
        assert_eq!(number(0.333), "0.33");
        assert_eq!(number(1.999), "2");
    }
}
