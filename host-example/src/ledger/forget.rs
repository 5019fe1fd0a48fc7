//! Dropping jobs from the ledger: `matchkraft jobs forget` and `jobs prune`.
//!
//! A job's id is the only way back to a job that is paid for, so a job
//! without results (not failed, results not stored) is only dropped when the
//! caller says so (`unfinished`); otherwise [`Ledger::forget`] refuses the
//! whole request and [`Ledger::prune`] keeps those jobs and counts them.
//! Likewise a submission whose outcome is unknown (a job may exist) is only
//! pruned with `unfinished`.
//!
//! The results are personal data: the rows are deleted with SQLite's
//! `secure_delete` (their bytes overwritten, not just unlinked) and the WAL is
//! checkpointed afterwards, so the data leaves the files, not only the tables.

use anyhow::{Context as _, bail};
use rusqlite::{Connection, OptionalExtension as _, Transaction, TransactionBehavior, params};

use super::{Ledger, LedgerJob, job_from_row, select_job_sql};

/// What [`Ledger::forget`] did.
#[derive(Clone, Debug, PartialEq)]
pub enum Forgotten {
    /// Every job named was dropped; here they are as they were.
    Done(Vec<LedgerJob>),
    /// Nothing was dropped: some ids are not in the ledger, or some jobs
    /// have no results and `unfinished` was not given.
    Refused {
        /// The ids not in the ledger.
        missing: Vec<String>,
        /// The jobs without results.
        unfinished: Vec<LedgerJob>,
    },
}

/// What [`Ledger::prune`] dropped (or, for a dry run, would drop).
#[derive(Clone, Debug, PartialEq)]
pub struct Pruned {
    /// The cut-off as stored times are written (ISO 8601 UTC): jobs
    /// submitted before it were considered.
    pub before: String,
    /// The jobs dropped, oldest first.
    pub removed: Vec<LedgerJob>,
    /// Jobs from before the cut-off kept because they have no results.
    pub kept_unfinished: Vec<LedgerJob>,
    /// Submissions dropped: answered ones (their job, or the refusal, is
    /// history), and with `unfinished` those whose outcome is unknown.
    pub submissions_removed: u64,
    /// Submissions from before the cut-off whose outcome is unknown, kept.
    pub unresolved_kept: u64,
}

impl Ledger {
    /// Drops the jobs `ids` (their results, effects, webhook deliveries and
    /// submission rows), all of them or none: an id not in the ledger, or a
    /// job without results while `unfinished` is false, refuses the request.
    pub fn forget(&self, ids: &[String], unfinished: bool) -> anyhow::Result<Forgotten> {
        let mut conn = self.conn();
        let tx = writing(&mut conn)?;
        let mut found = Vec::new();
        let mut missing = Vec::new();
        let sql = format!("{} WHERE id = ?1", select_job_sql(self.version));
        for id in ids {
            match tx.query_row(&sql, [id], job_from_row).optional()? {
                Some(job) if !found.iter().any(|j: &LedgerJob| j.id == job.id) => found.push(job),
                Some(_) => {}
                None => missing.push(id.clone()),
            }
        }
        let open: Vec<LedgerJob> = found.iter().filter(|j| !j.is_settled()).cloned().collect();
        if !missing.is_empty() || (!unfinished && !open.is_empty()) {
            return Ok(Forgotten::Refused {
                missing,
                unfinished: if unfinished { Vec::new() } else { open },
            });
        }
        for job in &found {
            delete_job(&tx, &job.id)?;
        }
        tx.commit().context("dropping jobs from the ledger")?;
        checkpoint(&conn);
        Ok(Forgotten::Done(found))
    }

    /// Drops the settled jobs submitted before `before` (`YYYY-MM-DD`,
    /// `YYYY-MM-DDTHH:MM:SS[.fff]Z`, or `Nd`: N days ago), and the answered
    /// submissions from before it; with `unfinished`, the jobs without
    /// results and the submissions of unknown outcome too. `dry_run` finds
    /// the same and drops nothing.
    pub fn prune(&self, before: &str, unfinished: bool, dry_run: bool) -> anyhow::Result<Pruned> {
        let mut conn = self.conn();
        let cutoff = cutoff(&conn, before)?;
        let tx = writing(&mut conn)?;
        let sql = format!(
            "{} WHERE submitted_at < ?1 ORDER BY submitted_at, rowid",
            select_job_sql(self.version)
        );
        let old: Vec<LedgerJob> = tx
            .prepare(&sql)?
            .query_map([&cutoff], job_from_row)?
            .collect::<Result<_, _>>()?;
        let (removed, kept_unfinished): (Vec<LedgerJob>, Vec<LedgerJob>) =
            old.into_iter().partition(|job| unfinished || job.is_settled());
        let unresolved = "outcome IN ('sending', 'unknown')";
        let count = |condition: &str| -> anyhow::Result<u64> {
            let sql = format!("SELECT count(*) FROM submissions WHERE started_at < ?1 AND {condition}");
            let n: i64 = tx.query_row(&sql, [&cutoff], |row| row.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
        };
        let answered = count(&format!("NOT {unresolved}"))?;
        let open_submissions = count(unresolved)?;
        let pruned = Pruned {
            before: cutoff.clone(),
            submissions_removed: answered + if unfinished { open_submissions } else { 0 },
            unresolved_kept: if unfinished { 0 } else { open_submissions },
            removed,
            kept_unfinished,
        };
        if dry_run {
            return Ok(pruned);
        }
        for job in &pruned.removed {
            delete_job(&tx, &job.id)?;
        }
        let which = if unfinished {
            "1".to_string()
        } else {
            format!("NOT {unresolved}")
        };
        tx.execute(
            &format!("DELETE FROM submissions WHERE started_at < ?1 AND {which}"),
            [&cutoff],
        )?;
        tx.commit().context("pruning the ledger")?;
        checkpoint(&conn);
        Ok(pruned)
    }
}

/// A write transaction with `secure_delete` on, so that what it deletes is
/// overwritten in the file.
fn writing(conn: &mut Connection) -> anyhow::Result<Transaction<'_>> {
    conn.execute_batch("PRAGMA secure_delete = ON")?;
    Ok(conn.transaction_with_behavior(TransactionBehavior::Immediate)?)
}

/// Copies the WAL into the file and empties it, so deleted rows leave the
/// WAL too. Best effort: a reader holding an old snapshot keeps the WAL for
/// now, and SQLite checkpoints it later.
fn checkpoint(conn: &Connection) {
    let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
}

/// One job and every row that refers to it (a ledger open for writing has
/// every table: it was brought to the current schema).
fn delete_job(tx: &Transaction<'_>, id: &str) -> anyhow::Result<()> {
    for table in ["effects", "deliveries", "submissions"] {
        tx.execute(&format!("DELETE FROM {table} WHERE job_id = ?1"), params![id])?;
    }
    tx.execute("DELETE FROM jobs WHERE id = ?1", params![id])?;
    Ok(())
}

/// `before` as stored times are written, checked by SQLite's own date
/// functions (which answer NULL for a date they cannot read).
fn cutoff(conn: &Connection, before: &str) -> anyhow::Result<String> {
    let before = before.trim();
    let days = before
        .strip_suffix('d')
        .and_then(|n| n.parse::<u32>().ok())
        .map(|n| format!("-{n} days"));
    let shape_ok = days.is_some()
        || (before.len() >= 10
            && before.is_char_boundary(10)
            && before[..10].bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            }));
    let resolved: Option<String> = if !shape_ok {
        None
    } else if let Some(days) = &days {
        conn.query_row(
            "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?1)",
            [days],
            |row| row.get(0),
        )?
    } else {
        conn.query_row("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', ?1)", [before], |row| {
            row.get(0)
        })?
    };
    match resolved {
        // SQLite reads 2026-02-30 as March 2nd; a date must stay itself.
        Some(at) if days.is_some() || at.starts_with(&before[..10]) => Ok(at),
        _ => bail!(
            "{before:?} is not a date: give YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ (UTC), or a number of days ago \
             such as 30d"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{job, results, temp_ledger};
    use super::*;
    use crate::types::JobStatus;

    const BASE: &str = "http://127.0.0.1:1/api/v2";

    /// A ledger with a job that has its results (`done`), one that failed
    /// (`failed`) and one still running (`open`).
    fn three_jobs(name: &str) -> Ledger {
        let ledger = temp_ledger(name);
        for id in ["done", "failed", "open"] {
            ledger.record_submitted(&job(id), 1, BASE).unwrap();
        }
        ledger.store_results(&results("done")).unwrap();
        ledger.set_status("failed", &JobStatus::Failed).unwrap();
        ledger.set_status("open", &JobStatus::Processing).unwrap();
        ledger
    }

    fn ids(jobs: &[LedgerJob]) -> Vec<&str> {
        jobs.iter().map(|j| j.id.as_str()).collect()
    }

    #[test]
    fn forget_drops_finished_jobs_and_their_results_from_the_file() {
        let ledger = three_jobs("forget");
        let email = "ada@example.com";
        match ledger.forget(&["done".into(), "failed".into()], false).unwrap() {
            Forgotten::Done(jobs) => assert_eq!(ids(&jobs), ["done", "failed"]),
            other => panic!("{other:?}"),
        }
        assert_eq!(ids(&ledger.list().unwrap()), ["open"]);
        assert!(ledger.results("done").unwrap().is_none());
        for suffix in ["", "-wal"] {
            let mut name = ledger.path().as_os_str().to_owned();
            name.push(suffix);
            let bytes = std::fs::read(&name).unwrap_or_default();
            assert!(
                !bytes.windows(email.len()).any(|w| w == email.as_bytes()),
                "the forgotten results are still in {name:?}"
            );
        }
    }

    #[test]
    fn forget_refuses_an_unfinished_or_unknown_job_and_drops_nothing() {
        let ledger = three_jobs("forget-refused");
        let refused = ledger
            .forget(&["done".into(), "open".into(), "stranger".into()], false)
            .unwrap();
        let Forgotten::Refused { missing, unfinished } = refused else {
            panic!("{refused:?}")
        };
        assert_eq!(missing, ["stranger"]);
        assert_eq!(ids(&unfinished), ["open"]);
        assert_eq!(ledger.list().unwrap().len(), 3, "something was dropped");

        // Said on purpose, an unfinished job goes too.
        assert!(matches!(
            ledger.forget(&["open".into()], true).unwrap(),
            Forgotten::Done(_)
        ));
        assert!(ledger.job("open").unwrap().is_none());
    }

    #[test]
    fn prune_keeps_unfinished_jobs_unless_told() {
        let ledger = three_jobs("prune");
        // Nothing is older than a day ago.
        let pruned = ledger.prune("1d", false, false).unwrap();
        assert!(pruned.removed.is_empty() && pruned.kept_unfinished.is_empty());

        let tomorrow = ledger.prune("2999-01-01", false, true).unwrap();
        assert_eq!(tomorrow.before, "2999-01-01T00:00:00.000Z");
        assert_eq!(ids(&tomorrow.removed), ["done", "failed"]);
        assert_eq!(ids(&tomorrow.kept_unfinished), ["open"]);
        assert_eq!(ledger.list().unwrap().len(), 3, "a dry run dropped jobs");

        ledger.prune("2999-01-01", false, false).unwrap();
        assert_eq!(ids(&ledger.list().unwrap()), ["open"]);
        let all = ledger.prune("2999-01-01T00:00:00Z", true, false).unwrap();
        assert_eq!(ids(&all.removed), ["open"]);
        assert!(ledger.list().unwrap().is_empty());
    }

    #[test]
    fn prune_keeps_submissions_of_unknown_outcome_unless_told() {
        use crate::ledger::SubmissionOutcome;
        use crate::types::Records;
        let ledger = temp_ledger("prune-submissions");
        let records = Records::EmailValidation(vec!["a@example.com".into()]);
        let unknown = ledger.begin_submission("lost", &records, BASE).unwrap();
        ledger
            .submission_failed(unknown, &SubmissionOutcome::Unknown("reset".into()))
            .unwrap();
        let refused = ledger.begin_submission("refused", &records, BASE).unwrap();
        ledger
            .submission_failed(refused, &SubmissionOutcome::Refused("400".into()))
            .unwrap();
        let pruned = ledger.prune("2999-01-01", false, false).unwrap();
        assert_eq!((pruned.submissions_removed, pruned.unresolved_kept), (1, 1));
        assert_eq!(ledger.unresolved_submissions().unwrap().len(), 1);
        let pruned = ledger.prune("2999-01-01", true, false).unwrap();
        assert_eq!((pruned.submissions_removed, pruned.unresolved_kept), (1, 0));
        assert!(ledger.unresolved_submissions().unwrap().is_empty());
    }

    #[test]
    fn prune_refuses_what_is_not_a_date() {
        let ledger = temp_ledger("prune-dates");
        for wrong in [
            "yesterday",
            "2026-02-30",
            "2026-13-01",
            "30",
            "d",
            "2026/01/01",
            "",
        ] {
            let error = ledger.prune(wrong, false, true).unwrap_err();
            assert!(format!("{error}").contains("is not a date"), "{wrong}: {error}");
        }
        assert!(ledger.prune("2026-02-28", false, true).is_ok());
    }

    #[test]
    fn a_job_is_marked_as_from_a_simulator() {
        let ledger = temp_ledger("simulator");
        ledger.record_submitted(&job("sim"), 1, BASE).unwrap();
        assert!(!ledger.job("sim").unwrap().unwrap().simulator);
        assert!(ledger.mark_simulator("sim").unwrap());
        assert!(ledger.job("sim").unwrap().unwrap().simulator);
        assert!(!ledger.mark_simulator("stranger").unwrap());
    }
}
