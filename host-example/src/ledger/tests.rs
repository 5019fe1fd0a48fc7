//! The ledger's unit tests.

use super::*;
use crate::types::{EmailStatus, EmailValidationResult, ResultRecords};

const BASE: &str = "http://127.0.0.1:1/api/v2";

/// A fresh ledger file in a folder of its own (which `open` creates).
fn temp_ledger(name: &str) -> Ledger {
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

fn job(id: &str) -> Job {
    Job {
        id: id.into(),
        name: Some(format!("name of {id}")),
        job_type: JobType::EmailValidation,
        status: JobStatus::Pending,
        progress: None,
    }
}

fn results(id: &str) -> JobResults {
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
    assert_eq!(tables, ["effects", "jobs"]);
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
