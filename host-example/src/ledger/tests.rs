//! The ledger's unit tests.

use super::*;
use crate::types::{Contact, EmailStatus, EmailValidationResult, Records, ResultRecords};

const BASE: &str = "http://127.0.0.1:1/api/v2";

/// A fresh ledger file in a folder of its own (which `open` creates).
pub(super) fn temp_ledger(name: &str) -> Ledger {
    let folder = std::env::temp_dir().join(format!(
        "matchkraft-ledger-test-{}-{name}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    Ledger::open(folder.join("sub/ledger.sqlite3")).unwrap()
}

pub(super) fn job(id: &str) -> Job {
    Job {
        id: id.into(),
        name: Some(format!("name of {id}")),
        job_type: JobType::EmailValidation,
        status: JobStatus::Pending,
        progress: None,
    }
}

pub(super) fn results(id: &str) -> JobResults {
    JobResults {
        job: Job {
            status: JobStatus::Completed,
            ..job(id)
        },
        records: ResultRecords::EmailValidation(vec![EmailValidationResult {
            email: Some("ada@example.com".into()),
            status: Some(EmailStatus::Valid),
            verified: Some(true),
            reason: None,
            raw: r#"{"email":"ada@example.com"}"#.into(),
        }]),
    }
}

/// Commands started together (a `listen` and a `run` in two terminals, or
/// tests in parallel) open one file at once: each must wait its turn,
/// never fail with "database is locked". Every round starts from a new
/// file, where the switch to WAL and the first migration race.
#[test]
fn many_connections_opening_one_new_file_at_once_all_succeed() {
    for round in 0..20 {
        let first = temp_ledger(&format!("race-{round}"));
        let path = first.path().to_path_buf();
        drop(first);
        std::fs::remove_file(&path).unwrap();
        let barrier = Arc::new(std::sync::Barrier::new(8));
        let openers: Vec<_> = (0..8)
            .map(|_| {
                let (path, barrier) = (path.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    let ledger = Ledger::open(&path)?;
                    ledger.record_submitted(&job(&format!("{:?}", std::thread::current().id())), 1, BASE)?;
                    anyhow::Ok(())
                })
            })
            .collect();
        for opener in openers {
            opener
                .join()
                .unwrap()
                .unwrap_or_else(|e| panic!("round {round}: {e:#}"));
        }
        assert_eq!(Ledger::open(&path).unwrap().list().unwrap().len(), 8);
    }
}

#[test]
fn a_new_ledger_has_the_schema_in_wal_mode() {
    let ledger = temp_ledger("schema");
    assert_eq!(ledger.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(ledger.journal_mode().unwrap(), "wal");
    let tables: Vec<String> = ledger
        .conn()
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(tables, ["deliveries", "effects", "jobs", "submissions"]);
    // Opening again is a no-op migration.
    let again = Ledger::open(ledger.path()).unwrap();
    assert_eq!(again.schema_version().unwrap(), SCHEMA_VERSION);
}

#[test]
fn a_ledger_from_a_newer_schema_is_refused() {
    let ledger = temp_ledger("newer");
    ledger.conn().execute_batch("PRAGMA user_version = 99").unwrap();
    let error = Ledger::open(ledger.path()).unwrap_err();
    assert!(format!("{error:#}").contains("schema version 99"), "{error:#}");
}

#[test]
fn recorded_jobs_are_listed_newest_first() {
    let ledger = temp_ledger("list");
    for id in ["job-a", "job-b", "job-c"] {
        ledger.record_submitted(&job(id), 2, BASE).unwrap();
    }
    // Recording twice changes nothing.
    ledger
        .record_submitted(&job("job-a"), 5, "http://elsewhere")
        .unwrap();
    let jobs = ledger.list().unwrap();
    let ids: Vec<&str> = jobs.iter().map(|j| j.id.as_str()).collect();
    assert_eq!(ids, ["job-c", "job-b", "job-a"]);
    let a = &jobs[2];
    assert_eq!(a.job_type, JobType::EmailValidation);
    assert_eq!(a.name.as_deref(), Some("name of job-a"));
    assert_eq!(a.record_count, 2);
    assert_eq!(a.base_url, BASE);
    assert_eq!(a.status, JobStatus::Pending);
    assert!(
        a.submitted_at.ends_with('Z') && a.submitted_at.contains('T'),
        "{}",
        a.submitted_at
    );
    assert!(!a.is_settled());
    assert_eq!(ledger.job("job-b").unwrap().unwrap().id, "job-b");
    assert_eq!(ledger.job("nope").unwrap(), None);
}

#[test]
fn an_effect_is_claimed_once_per_job_and_status() {
    let ledger = temp_ledger("dedupe");
    ledger.record_submitted(&job("job-a"), 1, BASE).unwrap();
    let first = ledger
        .mark_effect("job-a", &JobStatus::Completed, EffectSource::Webhook)
        .unwrap();
    let Effect::New(claimed) = first else {
        panic!("{first:?}")
    };
    assert_eq!(claimed.status, JobStatus::Completed);
    assert_eq!(claimed.completed_via, Some(EffectSource::Webhook));
    for source in [EffectSource::Webhook, EffectSource::Poll, EffectSource::Resume] {
        let again = ledger
            .mark_effect("job-a", &JobStatus::Completed, source)
            .unwrap();
        assert!(matches!(again, Effect::Duplicate(_)), "{again:?}");
    }
    assert_eq!(
        ledger
            .mark_effect("stranger", &JobStatus::Completed, EffectSource::Webhook)
            .unwrap(),
        Effect::UnknownJob
    );
    assert_eq!(ledger.effect_count().unwrap(), 1);
    assert!(ledger.has_terminal_effect("job-a").unwrap());
    // The unique constraint itself refuses a second row, whoever writes it.
    let raw_insert = ledger.conn().execute(
        "INSERT INTO effects (job_id, status, source, at) VALUES ('job-a', 'completed', 'poll', 'x')",
        [],
    );
    assert!(raw_insert.is_err());
}

#[test]
fn concurrent_claims_yield_one_winner() {
    let ledger = temp_ledger("race");
    ledger.record_submitted(&job("job-a"), 1, BASE).unwrap();
    let other = Ledger::open(ledger.path()).unwrap(); // a second connection, as another process
    let winners: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let ledger = if i % 2 == 0 { ledger.clone() } else { other.clone() };
                scope.spawn(move || {
                    matches!(
                        ledger.mark_effect("job-a", &JobStatus::Completed, EffectSource::Webhook),
                        Ok(Effect::New(_))
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| usize::from(h.join().unwrap())).sum()
    });
    assert_eq!(winners, 1);
    assert_eq!(ledger.effect_count().unwrap(), 1);
}

#[test]
fn pending_is_every_job_without_results_or_failure() {
    let ledger = temp_ledger("pending");
    for id in ["done", "failed", "waiting", "claimed"] {
        ledger.record_submitted(&job(id), 1, BASE).unwrap();
    }
    ledger.store_results(&results("done")).unwrap();
    ledger
        .mark_effect("failed", &JobStatus::Failed, EffectSource::Webhook)
        .unwrap();
    // Claimed but never fetched (the fetcher died): still pending.
    ledger
        .mark_effect("claimed", &JobStatus::Completed, EffectSource::Webhook)
        .unwrap();
    let pending: Vec<String> = ledger.pending().unwrap().into_iter().map(|j| j.id).collect();
    assert_eq!(pending, ["waiting", "claimed"]);
}

#[test]
fn stored_results_read_back_and_clear_the_fetch_error() {
    let ledger = temp_ledger("results");
    ledger.record_submitted(&job("job-a"), 1, BASE).unwrap();
    assert_eq!(ledger.results("job-a").unwrap(), None);
    ledger.record_fetch_error("job-a", "connection failed").unwrap();
    assert_eq!(
        ledger.job("job-a").unwrap().unwrap().fetch_error.as_deref(),
        Some("connection failed")
    );
    assert!(ledger.store_results(&results("job-a")).unwrap());
    assert!(!ledger.store_results(&results("stranger")).unwrap());
    let stored = ledger.job("job-a").unwrap().unwrap();
    assert_eq!(stored.fetch_error, None);
    assert_eq!(stored.result_count, Some(1));
    assert_eq!(stored.status, JobStatus::Completed);
    assert!(stored.is_settled());
    assert_eq!(ledger.results("job-a").unwrap(), Some(results("job-a")));
    let document = ledger.results_document("job-a").unwrap().unwrap();
    assert!(document.starts_with(r#"{"jobId":"job-a""#), "{document}");
}

#[test]
fn status_updates_need_a_known_job() {
    let ledger = temp_ledger("status");
    ledger.record_submitted(&job("job-a"), 1, BASE).unwrap();
    assert!(ledger.set_status("job-a", &JobStatus::Processing).unwrap());
    assert!(!ledger.set_status("stranger", &JobStatus::Processing).unwrap());
    assert_eq!(
        ledger.job("job-a").unwrap().unwrap().status,
        JobStatus::Processing
    );
}

fn emails(list: &[&str]) -> Records {
    Records::EmailValidation(list.iter().map(|e| e.to_string()).collect())
}

#[test]
fn a_submission_is_recorded_before_it_is_sent_and_resolved_after() {
    let ledger = temp_ledger("write-ahead");
    let records = emails(&["a@b.co", "c@d.co"]);
    let sent = ledger.begin_submission("leads", &records, BASE).unwrap();
    // Sent, no answer yet: visible.
    let unresolved = ledger.unresolved_submissions().unwrap();
    assert_eq!(unresolved.len(), 1);
    assert_eq!(unresolved[0].outcome, SubmissionOutcome::Sending);
    assert_eq!(
        (unresolved[0].name.as_str(), unresolved[0].record_count),
        ("leads", 2)
    );
    assert_eq!(unresolved[0].records_digest, records_digest(&records));
    ledger.submission_accepted(sent, &job("job-a"), 2, BASE).unwrap();
    assert!(ledger.unresolved_submissions().unwrap().is_empty());
    assert_eq!(ledger.job("job-a").unwrap().unwrap().record_count, 2);

    let refused = ledger.begin_submission("bad", &records, BASE).unwrap();
    ledger
        .submission_failed(refused, &SubmissionOutcome::Refused("invalid".into()))
        .unwrap();
    let doubtful = ledger.begin_submission("doubt", &records, BASE).unwrap();
    let outcome = SubmissionOutcome::Unknown("reset after sending".into());
    ledger.submission_failed(doubtful, &outcome).unwrap();
    let unresolved = ledger.unresolved_submissions().unwrap();
    assert_eq!(unresolved.len(), 1, "{unresolved:?}");
    assert_eq!(
        (unresolved[0].name.as_str(), &unresolved[0].outcome),
        ("doubt", &outcome)
    );
}

#[test]
fn a_job_the_ledger_cannot_record_leaves_its_submission_visible() {
    let ledger = temp_ledger("after-post");
    ledger
        .conn()
        .execute_batch(
            "CREATE TRIGGER full BEFORE INSERT ON jobs BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
        )
        .unwrap();
    let sent = ledger
        .begin_submission("leads", &emails(&["a@b.co"]), BASE)
        .unwrap();
    let error = ledger
        .submission_accepted(sent, &job("job-a"), 1, BASE)
        .unwrap_err();
    assert!(format!("{error:#}").contains("disk full"), "{error:#}");
    // One transaction: the submission is still shown as sent, unanswered.
    let unresolved = ledger.unresolved_submissions().unwrap();
    assert_eq!(unresolved[0].outcome, SubmissionOutcome::Sending);
}

#[test]
fn records_digests_tell_record_lists_apart() {
    let finder = |first: &str, last: &str| {
        Records::EmailFinder(vec![Contact {
            first_name: first.into(),
            last_name: last.into(),
            website: "https://x.co".into(),
        }])
    };
    assert_eq!(
        records_digest(&emails(&["a@b.co"])),
        records_digest(&emails(&["a@b.co"]))
    );
    assert_ne!(
        records_digest(&emails(&["a@b.co"])),
        records_digest(&emails(&["a@b.c", "o"]))
    );
    assert_ne!(
        records_digest(&finder("ab", "c")),
        records_digest(&finder("a", "bc"))
    );
    assert_ne!(
        records_digest(&emails(&["https://x.co"])),
        records_digest(&Records::DomainScan(vec!["https://x.co".into()]))
    );
    assert_eq!(records_digest(&emails(&[])).len(), 64);
}

#[test]
fn a_finished_job_stays_as_it_finished() {
    let ledger = temp_ledger("terminal");
    ledger.record_submitted(&job("job-a"), 1, BASE).unwrap();
    let done = ledger
        .mark_effect("job-a", &JobStatus::Completed, EffectSource::Poll)
        .unwrap();
    assert!(matches!(done, Effect::New(_)));
    // A later claim of another end, or a later status, changes nothing.
    let later = ledger
        .mark_effect("job-a", &JobStatus::Failed, EffectSource::Webhook)
        .unwrap();
    assert!(matches!(later, Effect::Duplicate(_)), "{later:?}");
    assert!(!ledger.set_status("job-a", &JobStatus::Processing).unwrap());
    let recorded = ledger.job("job-a").unwrap().unwrap();
    assert_eq!(recorded.status, JobStatus::Completed);
    assert_eq!(recorded.completed_via, Some(EffectSource::Poll));
}

#[test]
fn a_webhook_delivery_is_noted_without_changing_the_job() {
    let ledger = temp_ledger("deliveries");
    ledger.record_submitted(&job("job-a"), 1, BASE).unwrap();
    let first = ledger.note_delivery("job-a", &JobStatus::Failed).unwrap();
    assert!(matches!(first, Delivery::New(_)), "{first:?}");
    assert_eq!(
        ledger.note_delivery("job-a", &JobStatus::Failed).unwrap(),
        Delivery::Repeat
    );
    assert!(matches!(
        ledger.note_delivery("job-a", &JobStatus::Completed).unwrap(),
        Delivery::New(_)
    ));
    assert_eq!(
        ledger.note_delivery("stranger", &JobStatus::Failed).unwrap(),
        Delivery::UnknownJob
    );
    assert_eq!(ledger.delivery_count("job-a", &JobStatus::Failed).unwrap(), 2);
    let recorded = ledger.job("job-a").unwrap().unwrap();
    assert_eq!(recorded.status, JobStatus::Pending);
    assert_eq!(recorded.completed_via, None);
    assert!(!ledger.has_terminal_effect("job-a").unwrap());
}

#[test]
fn a_damaged_ledger_is_named_with_its_check_and_the_way_out() {
    let ledger = temp_ledger("damaged");
    for i in 0..200 {
        ledger
            .record_submitted(&job(&format!("job-{i:03}")), 1, BASE)
            .unwrap();
    }
    let path = ledger.path().to_path_buf();
    drop(ledger);
    // Checkpoint the WAL into the file, then damage a page of the jobs table.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
    }
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 3 * 4096, "{}", bytes.len());
    bytes[2 * 4096..3 * 4096].fill(0xa5);
    std::fs::write(&path, &bytes).unwrap();
    let error = match Ledger::open(&path) {
        Ok(ledger) => ledger.check().unwrap_err(),
        Err(error) => error,
    };
    let message = format!("{error:#}");
    for part in [
        "is damaged",
        "quick_check",
        "mv ",
        "--ledger",
        path.to_str().unwrap(),
    ] {
        assert!(message.contains(part), "{part:?} in {message}");
    }
}

#[cfg(unix)]
#[test]
fn a_new_ledger_is_private_and_an_open_one_is_reported() {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let ledger = temp_ledger("private");
    ledger.record_submitted(&job("job-a"), 1, BASE).unwrap();
    let path = ledger.path().to_path_buf();
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    assert_eq!(mode(&path), 0o600);
    let mut wal = path.clone().into_os_string();
    wal.push("-wal");
    assert_eq!(mode(std::path::Path::new(&wal)), 0o600);
    assert_eq!(ledger.permission_warning(), None);

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let again = Ledger::open(&path).unwrap();
    let warning = again.permission_warning().expect("a warning");
    assert!(
        warning.contains("other users") && warning.contains("chmod 600"),
        "{warning}"
    );
}

#[test]
fn a_read_only_ledger_lists_but_does_not_write() {
    let ledger = temp_ledger("read-only");
    ledger.record_submitted(&job("job-a"), 1, BASE).unwrap();
    let reader = Ledger::open_read_only(ledger.path()).unwrap();
    assert!(reader.is_read_only());
    assert_eq!(reader.list().unwrap().len(), 1);
    assert!(reader.unresolved_submissions().unwrap().is_empty());
    assert!(reader.record_submitted(&job("job-b"), 1, BASE).is_err());
}
