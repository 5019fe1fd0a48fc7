//! The job ledger: every submitted job in one SQLite file, so that no job is
//! lost when the command that submitted it dies.
//!
//! A MatchKraft job is paid for the moment `submit` returns, and its results
//! can only be read with its id. The ledger keeps that id (with the job's type,
//! name, record count, the API base URL and the time) from right after the
//! submit until the results are stored in it, so that `matchkraft resume` can
//! finish what a killed `run` started, and a webhook receiver can tell a job of
//! ours from a stranger's.
//!
//! What is stored where:
//!
//! - `jobs`: one row per job. `results` holds the job's results as the JSON
//!   document `matchkraft run --json` prints ([`crate::json::results_to_json`]),
//!   `NULL` until they are fetched; `fetch_error` the last reason they could
//!   not be.
//! - `effects`: one row per (job, terminal status) that something acted on, a
//!   webhook, a poll or a resume. Its primary key makes the row the *claim*
//!   on a job's completion: whoever inserts it first fetches the results, and a
//!   repeated webhook delivery finds the row there and does nothing.
//!
//! The API key is never stored: the ledger has no column for it, and the base
//! URL carries none (the key travels in a header).
//!
//! The file is opened in WAL mode so that `matchkraft jobs` can read while a
//! receiver writes; writers wait up to [`BUSY_TIMEOUT`] for each other. Each
//! method is one short transaction; a [`Ledger`] is shared between threads
//! through one connection behind a mutex.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use anyhow::{Context as _, bail};
use rusqlite::{Connection, OptionalExtension as _, Row, TransactionBehavior, params};

use crate::json::{job_status_from_str, results_from_json, results_to_json};
use crate::types::{Job, JobResults, JobStatus, JobType};

mod deliveries;
mod file;
mod forget;
mod schema;
mod submissions;
#[cfg(test)]
mod tests;

pub use deliveries::Delivery;
pub use forget::{Forgotten, Pruned};
use schema::migrate;
pub use submissions::{SubmissionId, SubmissionOutcome, UnresolvedSubmission, records_digest};

/// The schema this build writes, kept in SQLite's `user_version`. A ledger
/// from a newer build is refused rather than misread.
pub const SCHEMA_VERSION: i64 = 3;

/// How long a write waits for another process's write to finish.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The current time as SQLite writes it: ISO 8601, UTC, milliseconds, so
/// that text order is time order.
const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/// The job ledger. Cloning is cheap: clones share one connection.
#[derive(Clone)]
pub struct Ledger {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
    /// The schema version of the file: a ledger opened read-only may be
    /// older than [`SCHEMA_VERSION`], and lack a column.
    version: i64,
    /// Why the file's permissions deserve a look, found at opening.
    warning: Option<String>,
    read_only: bool,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// A job as the ledger knows it.
#[derive(Clone, Debug, PartialEq)]
pub struct LedgerJob {
    /// The id the API gave the job.
    pub id: String,
    /// Which endpoint the job belongs to.
    pub job_type: JobType,
    /// The job name sent with the submit.
    pub name: Option<String>,
    /// How many records were submitted.
    pub record_count: u64,
    /// The API base URL the job was submitted to: a job id means nothing to
    /// another API.
    pub base_url: String,
    /// When the job was recorded (right after the submit returned), ISO 8601 UTC.
    pub submitted_at: String,
    /// The last status seen.
    pub status: JobStatus,
    /// How many result records are stored, once they are.
    pub result_count: Option<u64>,
    /// When the results were stored, ISO 8601 UTC.
    pub results_at: Option<String>,
    /// Why the results could not be fetched the last time they were tried.
    pub fetch_error: Option<String>,
    /// What completed the job (the source of its terminal-status effect).
    pub completed_via: Option<EffectSource>,
    /// Whether the job was submitted to a simulator of the API, whose jobs
    /// end with it (see [`Ledger::mark_simulator`]).
    pub simulator: bool,
}

impl LedgerJob {
    /// Whether the job's results (or its failure) are known, so that nothing
    /// is left to fetch.
    pub fn is_settled(&self) -> bool {
        self.results_at.is_some() || self.status == JobStatus::Failed
    }

    /// The job in the API's terms, with the last status seen.
    pub fn to_job(&self) -> Job {
        Job {
            id: self.id.clone(),
            name: self.name.clone(),
            job_type: self.job_type,
            status: self.status.clone(),
            progress: None,
        }
    }
}

/// What acted on a job's terminal status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EffectSource {
    /// A `job.completed` webhook delivery.
    Webhook,
    /// Polling, by `matchkraft run`.
    Poll,
    /// `matchkraft resume`.
    Resume,
    /// `matchkraft results` or `status`, asked about a job of the ledger.
    Results,
}

impl EffectSource {
    /// `webhook`, `poll` or `resume`: the word stored in the ledger.
    pub fn as_str(self) -> &'static str {
        match self {
            EffectSource::Webhook => "webhook",
            EffectSource::Poll => "poll",
            EffectSource::Resume => "resume",
            EffectSource::Results => "results",
        }
    }

    fn from_word(word: &str) -> Option<EffectSource> {
        [
            EffectSource::Webhook,
            EffectSource::Poll,
            EffectSource::Resume,
            EffectSource::Results,
        ]
        .into_iter()
        .find(|source| source.as_str() == word)
    }
}

/// What [`Ledger::mark_effect`] found.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// The first for this (job, status): the caller has the claim and acts on
    /// it (fetches the results). Holds the job as recorded.
    New(LedgerJob),
    /// Already recorded: a repeated delivery, or someone else acted first.
    /// The caller does nothing.
    Duplicate(LedgerJob),
    /// No such job in the ledger: not one of ours.
    UnknownJob,
}

impl Ledger {
    /// Opens (creating it and its folder if need be) the ledger at `path`,
    /// switches it to WAL mode and brings its schema up to
    /// [`SCHEMA_VERSION`].
    ///
    /// # Errors
    ///
    /// When the file cannot be created or opened, is not an SQLite database,
    /// or was written by a newer schema.
    pub fn open(path: impl AsRef<Path>) -> anyhow::Result<Ledger> {
        let path = path.as_ref().to_path_buf();
        let warning = file::prepare(&path)?;
        let conn =
            Connection::open(&path).with_context(|| format!("opening the ledger {}", path.display()))?;
        let ledger = Ledger {
            conn: Arc::new(Mutex::new(conn)),
            path,
            version: SCHEMA_VERSION,
            warning,
            read_only: false,
        };
        if let Err(error) = ledger.setup() {
            if file::is_damage(&error) {
                return Err(ledger.explain(error));
            }
            return Err(error.context(format!("opening the ledger {}", ledger.path.display())));
        }
        Ok(ledger)
    }

    /// Opens the ledger at `path` for reading only: for a file this process
    /// cannot write. Every method that writes then fails.
    ///
    /// # Errors
    ///
    /// When the file does not exist, is damaged, or was written by a newer
    /// schema.
    pub fn open_read_only(path: impl AsRef<Path>) -> anyhow::Result<Ledger> {
        let path = path.as_ref().to_path_buf();
        let conn = file::open_read_only(&path)
            .with_context(|| format!("opening the ledger {} to read it", path.display()))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let mut ledger = Ledger {
            conn: Arc::new(Mutex::new(conn)),
            warning: None,
            read_only: true,
            version: 0,
            path,
        };
        let version = ledger.schema_version().map_err(|e| ledger.explain(e))?;
        ledger.version = version;
        if version > SCHEMA_VERSION {
            bail!(
                "the ledger {} has schema version {version}, newer than this matchkraft's {SCHEMA_VERSION}",
                ledger.path.display()
            );
        }
        Ok(ledger)
    }

    /// Opens the ledger for writing where it can be written, else for
    /// reading only (see [`Ledger::is_read_only`]).
    pub fn open_or_read_only(path: impl AsRef<Path>) -> anyhow::Result<Ledger> {
        match Ledger::open(&path) {
            Err(error) if file::is_read_only(&error) && path.as_ref().exists() => {
                Ledger::open_read_only(path)
            }
            opened => opened,
        }
    }

    /// Whether the ledger was opened for reading only.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The file the ledger is in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sets the connection up, waiting for other processes that open the
    /// same file at the same moment.
    ///
    /// SQLite's busy timeout covers ordinary writes, but not every step of
    /// opening: switching a new file to WAL needs the file to itself and
    /// answers "database is locked" at once while another connection is
    /// opening it too. Those steps are retried here, within the same
    /// [`BUSY_TIMEOUT`].
    fn setup(&self) -> anyhow::Result<()> {
        let started = std::time::Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            match self.try_setup() {
                Err(error) if is_busy(&error) && started.elapsed() + pause < BUSY_TIMEOUT => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                outcome => return outcome,
            }
        }
    }

    fn try_setup(&self) -> anyhow::Result<()> {
        let mut conn = self.conn();
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // WAL: readers do not block the writer; NORMAL: a commit survives a
        // killed process (only a power loss may undo the last ones), without
        // an fsync per webhook. WAL is stored in the file, so only the first
        // opener switches it.
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") && !mode.eq_ignore_ascii_case("memory") {
                bail!("SQLite would not switch to WAL mode (journal mode {mode:?})");
            }
        }
        conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")?;
        migrate(&mut conn)
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves the connection usable: every
        // change is a transaction that SQLite rolls back if unfinished.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The schema version stored in the file.
    pub fn schema_version(&self) -> anyhow::Result<i64> {
        Ok(self
            .conn()
            .query_row("PRAGMA user_version", [], |row| row.get(0))?)
    }

    /// SQLite's journal mode for the file (`wal`).
    pub fn journal_mode(&self) -> anyhow::Result<String> {
        Ok(self
            .conn()
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))?)
    }

    /// Records a job the API has just accepted. Call it right after `submit`
    /// returns, before anything else can fail: from then on the job can be
    /// resumed. Recording the same job again changes nothing.
    pub fn record_submitted(&self, job: &Job, record_count: usize, base_url: &str) -> anyhow::Result<()> {
        insert_job(&self.conn(), job, record_count, base_url)
            .with_context(|| format!("recording job {} in the ledger", job.id))
    }

    /// Notes that the job was submitted to a simulator of the API, whose jobs
    /// end when it stops: errors about the job can then say so rather than
    /// "not found". Returns whether the job is in the ledger.
    pub fn mark_simulator(&self, job_id: &str) -> anyhow::Result<bool> {
        let sql = format!("UPDATE jobs SET simulator = 1, updated_at = {NOW} WHERE id = ?1");
        Ok(self.conn().execute(&sql, [job_id])? == 1)
    }

    /// Notes the job's latest status, unless the job has finished: a
    /// terminal status is never changed. Returns whether the status was
    /// noted (the job is in the ledger and not finished).
    pub fn set_status(&self, job_id: &str, status: &JobStatus) -> anyhow::Result<bool> {
        let sql = format!(
            "UPDATE jobs SET status = ?2, updated_at = {NOW}
             WHERE id = ?1 AND status NOT IN ('completed', 'failed')"
        );
        let changed = self.conn().execute(&sql, params![job_id, status.as_str()])?;
        Ok(changed == 1)
    }

    /// Stores a job's results (and its status) and clears any fetch error.
    /// Returns whether the job is in the ledger.
    pub fn store_results(&self, results: &JobResults) -> anyhow::Result<bool> {
        let job = &results.job;
        let document = results_to_json(results).to_string();
        let sql = format!(
            "UPDATE jobs SET status = ?2, results = ?3, result_count = ?4, results_at = {NOW},
                 fetch_error = NULL, updated_at = {NOW}
             WHERE id = ?1"
        );
        let count = i64::try_from(results.records.len()).unwrap_or(i64::MAX);
        let changed = self
            .conn()
            .execute(&sql, params![job.id, job.status.as_str(), document, count])
            .with_context(|| format!("storing the results of job {} in the ledger", job.id))?;
        Ok(changed == 1)
    }

    /// Notes why a job's results could not be fetched, for `matchkraft jobs`
    /// and for whoever waits on the ledger.
    pub fn record_fetch_error(&self, job_id: &str, message: &str) -> anyhow::Result<()> {
        let sql = format!("UPDATE jobs SET fetch_error = ?2, updated_at = {NOW} WHERE id = ?1");
        self.conn().execute(&sql, params![job_id, message])?;
        Ok(())
    }

    /// Claims the effect of a job reaching `status`: in one transaction,
    /// checks the job is ours, inserts the (job, status) effect (whose primary
    /// key refuses a second one) and notes the status. Only the caller that
    /// gets [`Effect::New`] acts on it.
    pub fn mark_effect(
        &self,
        job_id: &str,
        status: &JobStatus,
        source: EffectSource,
    ) -> anyhow::Result<Effect> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(mut job) = select_job(&tx, job_id)? else {
            return Ok(Effect::UnknownJob);
        };
        // A finished job stays as it finished: no later status, whoever
        // claims it, changes that.
        if status.is_terminal() && job.completed_via.is_some() {
            return Ok(Effect::Duplicate(job));
        }
        let insert = format!(
            "INSERT INTO effects (job_id, status, source, at) VALUES (?1, ?2, ?3, {NOW})
             ON CONFLICT (job_id, status) DO NOTHING"
        );
        let inserted = tx.execute(&insert, params![job_id, status.as_str(), source.as_str()])? == 1;
        if inserted {
            let update = format!("UPDATE jobs SET status = ?2, updated_at = {NOW} WHERE id = ?1");
            tx.execute(&update, params![job_id, status.as_str()])?;
            job.status = status.clone();
            if status.is_terminal() {
                job.completed_via = Some(source);
            }
        }
        tx.commit()?;
        Ok(if inserted {
            Effect::New(job)
        } else {
            Effect::Duplicate(job)
        })
    }

    /// Whether anything has claimed the job's terminal status yet.
    pub fn has_terminal_effect(&self, job_id: &str) -> anyhow::Result<bool> {
        let found = self
            .conn()
            .query_row(
                "SELECT 1 FROM effects WHERE job_id = ?1 AND status IN ('completed', 'failed')",
                [job_id],
                |_| Ok(()),
            )
            .optional()?;
        Ok(found.is_some())
    }

    /// How many effects are recorded in all: each is one (job, status) acted on.
    pub fn effect_count(&self) -> anyhow::Result<u64> {
        let count: i64 = self
            .conn()
            .query_row("SELECT count(*) FROM effects", [], |row| row.get(0))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// One job, if it is in the ledger.
    pub fn job(&self, job_id: &str) -> anyhow::Result<Option<LedgerJob>> {
        let sql = format!("{} WHERE id = ?1", select_job_sql(self.version));
        let job = self.conn().query_row(&sql, [job_id], job_from_row).optional()?;
        Ok(job)
    }

    /// A job's stored results, if they are stored.
    pub fn results(&self, job_id: &str) -> anyhow::Result<Option<JobResults>> {
        let document: Option<Option<String>> = self
            .conn()
            .query_row("SELECT results FROM jobs WHERE id = ?1", [job_id], |row| {
                row.get(0)
            })
            .optional()?;
        let Some(Some(document)) = document else {
            return Ok(None);
        };
        let value: serde_json::Value = serde_json::from_str(&document)
            .with_context(|| format!("the ledger's results of job {job_id} are not JSON"))?;
        let results = results_from_json(&value)
            .map_err(|e| anyhow::anyhow!("the ledger's results of job {job_id} are unreadable: {e}"))?;
        Ok(Some(results))
    }

    /// A job's stored results exactly as stored: the `run --json` document.
    pub fn results_document(&self, job_id: &str) -> anyhow::Result<Option<String>> {
        let document: Option<Option<String>> = self
            .conn()
            .query_row("SELECT results FROM jobs WHERE id = ?1", [job_id], |row| {
                row.get(0)
            })
            .optional()?;
        Ok(document.flatten())
    }

    /// Every job, newest first.
    pub fn list(&self) -> anyhow::Result<Vec<LedgerJob>> {
        self.select_jobs("ORDER BY submitted_at DESC, rowid DESC")
    }

    /// The jobs still waiting for their results (not stored, and not failed),
    /// oldest first: what `matchkraft resume` completes.
    pub fn pending(&self) -> anyhow::Result<Vec<LedgerJob>> {
        self.select_jobs("WHERE results_at IS NULL AND status <> 'failed' ORDER BY submitted_at, rowid")
    }

    fn select_jobs(&self, tail: &str) -> anyhow::Result<Vec<LedgerJob>> {
        let conn = self.conn();
        let mut statement = conn.prepare(&format!("{} {tail}", select_job_sql(self.version)))?;
        let jobs = statement
            .query_map([], job_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(jobs)
    }
}

/// Inserts a job the API has accepted (nothing if it is there already).
fn insert_job(conn: &Connection, job: &Job, record_count: usize, base_url: &str) -> anyhow::Result<()> {
    let sql = format!(
        "INSERT INTO jobs (id, job_type, name, record_count, base_url, submitted_at, status, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, {NOW}, ?6, {NOW})
         ON CONFLICT (id) DO NOTHING"
    );
    conn.execute(
        &sql,
        params![
            job.id,
            job.job_type.as_str(),
            job.name,
            i64::try_from(record_count).unwrap_or(i64::MAX),
            base_url,
            job.status.as_str(),
        ],
    )?;
    Ok(())
}

/// The columns of a [`LedgerJob`], with the source of its terminal effect.
const SELECT_JOB: &str = "
SELECT id, job_type, name, record_count, base_url, submitted_at, status, result_count, results_at,
       fetch_error,
       (SELECT source FROM effects e
         WHERE e.job_id = jobs.id AND e.status IN ('completed', 'failed')
         ORDER BY e.at LIMIT 1),
       simulator
FROM jobs";

/// [`SELECT_JOB`] for a file of schema `version`: one older than 3 (opened
/// read-only) has no `simulator` column.
fn select_job_sql(version: i64) -> String {
    if version >= 3 {
        SELECT_JOB.to_string()
    } else {
        SELECT_JOB.replace("simulator\nFROM", "0\nFROM")
    }
}

fn select_job(conn: &Connection, job_id: &str) -> anyhow::Result<Option<LedgerJob>> {
    let job = conn
        .query_row(&format!("{SELECT_JOB} WHERE id = ?1"), [job_id], job_from_row)
        .optional()?;
    Ok(job)
}

fn job_from_row(row: &Row<'_>) -> rusqlite::Result<LedgerJob> {
    let job_type: String = row.get(1)?;
    let job_type = job_type.parse::<JobType>().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e))
    })?;
    let count = |value: Option<i64>| value.map(|n| u64::try_from(n).unwrap_or(0));
    Ok(LedgerJob {
        id: row.get(0)?,
        job_type,
        name: row.get(2)?,
        record_count: count(row.get(3)?).unwrap_or(0),
        base_url: row.get(4)?,
        submitted_at: row.get(5)?,
        status: job_status_from_str(&row.get::<_, String>(6)?),
        result_count: count(row.get(7)?),
        results_at: row.get(8)?,
        fetch_error: row.get(9)?,
        completed_via: row
            .get::<_, Option<String>>(10)?
            .and_then(|word| EffectSource::from_word(&word)),
        simulator: row.get::<_, i64>(11)? != 0,
    })
}

/// Whether `error` is SQLite saying another connection holds the lock it
/// needs, which waiting cures.
fn is_busy(error: &anyhow::Error) -> bool {
    matches!(
        error
            .downcast_ref::<rusqlite::Error>()
            .and_then(rusqlite::Error::sqlite_error_code),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}
