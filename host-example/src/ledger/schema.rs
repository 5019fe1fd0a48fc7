//! The ledger's tables, version by version, and the migration that brings a
//! file up to [`SCHEMA_VERSION`].

use anyhow::bail;
use rusqlite::{Connection, TransactionBehavior};

use super::SCHEMA_VERSION;

/// Version 1: jobs and the effects claimed on them.
const SCHEMA_V1: &str = "
CREATE TABLE jobs (
    id           TEXT PRIMARY KEY NOT NULL,
    job_type     TEXT NOT NULL,
    name         TEXT,
    record_count INTEGER NOT NULL,
    base_url     TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    status       TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    results      TEXT,
    result_count INTEGER,
    results_at   TEXT,
    fetch_error  TEXT
);
CREATE INDEX jobs_submitted_at ON jobs (submitted_at);
CREATE TABLE effects (
    job_id TEXT NOT NULL REFERENCES jobs (id),
    status TEXT NOT NULL,
    source TEXT NOT NULL,
    at     TEXT NOT NULL,
    PRIMARY KEY (job_id, status)
);
";

/// Version 2: submissions recorded before they are sent (write-ahead), and
/// webhook deliveries, which are hints to look at a job, kept apart from the
/// effects that only the API's own answer claims.
const SCHEMA_V2: &str = "
CREATE TABLE submissions (
    id             INTEGER PRIMARY KEY,
    job_type       TEXT NOT NULL,
    name           TEXT NOT NULL,
    record_count   INTEGER NOT NULL,
    records_digest TEXT NOT NULL,
    base_url       TEXT NOT NULL,
    started_at     TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    job_id         TEXT,
    reason         TEXT,
    updated_at     TEXT NOT NULL
);
CREATE TABLE deliveries (
    job_id   TEXT NOT NULL REFERENCES jobs (id),
    status   TEXT NOT NULL,
    first_at TEXT NOT NULL,
    count    INTEGER NOT NULL,
    PRIMARY KEY (job_id, status)
);
";

/// Version 3: whether a job was submitted to a simulator of the API (the
/// one built into the `matchkraft` command, or `matchkraft simulator`), whose
/// jobs end with it: an error about such a job can then say why.
const SCHEMA_V3: &str = "
ALTER TABLE jobs ADD COLUMN simulator INTEGER NOT NULL DEFAULT 0;
";

/// Brings the schema from the file's `user_version` up to
/// [`SCHEMA_VERSION`], in one transaction that waits for any other process
/// migrating the same file.
pub(super) fn migrate(conn: &mut Connection) -> anyhow::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if version > SCHEMA_VERSION {
        bail!(
            "the ledger has schema version {version}, newer than this matchkraft's {SCHEMA_VERSION}: \
             use a newer matchkraft, or another --ledger file"
        );
    }
    if version < 1 {
        tx.execute_batch(SCHEMA_V1)?;
    }
    if version < 2 {
        tx.execute_batch(SCHEMA_V2)?;
    }
    if version < 3 {
        tx.execute_batch(SCHEMA_V3)?;
    }
    // Later versions add their steps here: `if version < 4 { … }`.
    tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))?;
    tx.commit()?;
    Ok(())
}
