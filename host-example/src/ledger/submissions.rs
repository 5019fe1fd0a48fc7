//! Write-ahead submissions: a job is recorded *before* its records are sent.
//!
//! A job is paid for the moment the API takes it, and can only be found again
//! by its id. So the ledger records the submission (type, name, record count,
//! a digest of the records, the API, the time) before the POST; if that write
//! fails, nothing is sent. When the API answers, the submission gets the job's
//! id (and the job its row in `jobs`) or the reason it was refused. A
//! submission still `sending`, or `unknown` (the POST may have created a job
//! the API never named), is shown by `matchkraft jobs`, so that no paid job is
//! silently invisible.

use anyhow::Context as _;
use rusqlite::params;
use sha2::{Digest as _, Sha256};

use super::{Ledger, NOW, insert_job};
use crate::types::{Job, JobType, Records};

/// A submission's row, from [`Ledger::begin_submission`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubmissionId(i64);

/// What became of a submission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubmissionOutcome {
    /// Recorded, not answered yet: either being sent now, or its sender died
    /// before the API answered (the job may exist).
    Sending,
    /// The API took it; the job's id.
    Submitted(String),
    /// The API (or the component, before sending) refused it: no job exists.
    Refused(String),
    /// The request may have reached the API, but no job id came back: a job
    /// may exist, and can't be looked up by name.
    Unknown(String),
}

impl SubmissionOutcome {
    fn word(&self) -> &'static str {
        match self {
            SubmissionOutcome::Sending => "sending",
            SubmissionOutcome::Submitted(_) => "submitted",
            SubmissionOutcome::Refused(_) => "refused",
            SubmissionOutcome::Unknown(_) => "unknown",
        }
    }
}

/// A submission whose outcome is not known: `matchkraft jobs` lists these.
#[derive(Clone, Debug, PartialEq)]
pub struct UnresolvedSubmission {
    /// The job type.
    pub job_type: JobType,
    /// The job name sent.
    pub name: String,
    /// How many records were sent.
    pub record_count: u64,
    /// The SHA-256 of the records (see [`records_digest`]), to recognise the
    /// same records later.
    pub records_digest: String,
    /// The API it was sent to.
    pub base_url: String,
    /// When it was recorded, ISO 8601 UTC.
    pub started_at: String,
    /// `Sending` or `Unknown`.
    pub outcome: SubmissionOutcome,
}

/// The SHA-256 of the records, hex: the same records (in the same order)
/// always give the same digest. Fields are separated by control characters
/// that no field may contain as they stand, so no two lists collide.
pub fn records_digest(records: &Records) -> String {
    let mut hash = Sha256::new();
    hash.update(records.job_type().as_str());
    let mut field = |text: &str| {
        hash.update([0x1f]);
        hash.update(text.len().to_le_bytes());
        hash.update(text);
    };
    match records {
        Records::DomainScan(list) | Records::EmailValidation(list) => list.iter().for_each(|r| field(r)),
        Records::EmailFinder(list) => {
            for contact in list {
                field(&contact.first_name);
                field(&contact.last_name);
                field(&contact.website);
            }
        }
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl Ledger {
    /// Records a submission about to be sent. Call it before the POST, and
    /// send nothing if it fails: a job the ledger cannot record could be
    /// lost.
    pub fn begin_submission(
        &self,
        name: &str,
        records: &Records,
        base_url: &str,
    ) -> anyhow::Result<SubmissionId> {
        let sql = format!(
            "INSERT INTO submissions (job_type, name, record_count, records_digest, base_url, started_at,
                                      outcome, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, {NOW}, 'sending', {NOW})"
        );
        let inserted = {
            let conn = self.conn();
            conn.execute(
                &sql,
                params![
                    records.job_type().as_str(),
                    name,
                    i64::try_from(records.len()).unwrap_or(i64::MAX),
                    records_digest(records),
                    base_url,
                ],
            )
            .map(|_| conn.last_insert_rowid())
        };
        let id = inserted
            .map_err(|e| self.explain(e.into()))
            .context("recording the submission")?;
        Ok(SubmissionId(id))
    }

    /// The API took the submission as `job`: records the job (as
    /// [`Ledger::record_submitted`] does) and the submission's outcome, in
    /// one transaction.
    pub fn submission_accepted(
        &self,
        id: SubmissionId,
        job: &Job,
        record_count: usize,
        base_url: &str,
    ) -> anyhow::Result<()> {
        let written = {
            let mut conn = self.conn();
            let mut write = || -> anyhow::Result<()> {
                let tx = conn.transaction()?;
                insert_job(&tx, job, record_count, base_url)?;
                let sql = format!(
                    "UPDATE submissions SET outcome = 'submitted', job_id = ?2, updated_at = {NOW} WHERE id = ?1"
                );
                tx.execute(&sql, params![id.0, job.id])?;
                tx.commit()?;
                Ok(())
            };
            write()
        };
        written
            .map_err(|e| self.explain(e))
            .with_context(|| format!("recording job {} in the ledger", job.id))
    }

    /// The submission ended without a job id: `Refused` (no job exists) or
    /// `Unknown` (one may).
    pub fn submission_failed(&self, id: SubmissionId, outcome: &SubmissionOutcome) -> anyhow::Result<()> {
        let reason = match outcome {
            SubmissionOutcome::Refused(reason) | SubmissionOutcome::Unknown(reason) => reason.as_str(),
            SubmissionOutcome::Sending | SubmissionOutcome::Submitted(_) => "",
        };
        let sql =
            format!("UPDATE submissions SET outcome = ?2, reason = ?3, updated_at = {NOW} WHERE id = ?1");
        let written = self.conn().execute(&sql, params![id.0, outcome.word(), reason]);
        written.map_err(|e| self.explain(e.into()))?;
        Ok(())
    }

    /// The submissions that may have created a job nobody knows the id of:
    /// still `sending` (their sender died), or `unknown`. Newest first.
    pub fn unresolved_submissions(&self) -> anyhow::Result<Vec<UnresolvedSubmission>> {
        // A ledger of schema 1, opened read-only, has no submissions table.
        if self.schema_version()? < 2 {
            return Ok(Vec::new());
        }
        let conn = self.conn();
        let mut statement = conn.prepare(
            "SELECT job_type, name, record_count, records_digest, base_url, started_at, outcome, reason
             FROM submissions WHERE outcome IN ('sending', 'unknown') ORDER BY started_at DESC, id DESC",
        )?;
        let rows = statement.query_map([], |row| {
            let job_type: String = row.get(0)?;
            let outcome: String = row.get(6)?;
            let reason: Option<String> = row.get(7)?;
            Ok((
                job_type,
                UnresolvedSubmission {
                    job_type: JobType::DomainScan,
                    name: row.get(1)?,
                    record_count: u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
                    records_digest: row.get(3)?,
                    base_url: row.get(4)?,
                    started_at: row.get(5)?,
                    outcome: match outcome.as_str() {
                        "unknown" => SubmissionOutcome::Unknown(reason.unwrap_or_default()),
                        _ => SubmissionOutcome::Sending,
                    },
                },
            ))
        })?;
        let mut unresolved = Vec::new();
        for row in rows {
            let (job_type, mut submission) = row?;
            submission.job_type = job_type.parse()?;
            unresolved.push(submission);
        }
        Ok(unresolved)
    }
}
