//! Webhook deliveries: hints to look at a job, never facts about it.
//!
//! The MatchKraft webhook carries no signature, so anyone who learns the
//! receiver's URL and a job id can post one. A delivery is therefore only
//! noted here, once per (job, status it claims), so that a repeated delivery
//! does nothing; the job's recorded state changes only through what the API
//! itself answers when the receiver looks ([`Ledger::mark_effect`] with the
//! API's status).

use rusqlite::{TransactionBehavior, params};

use super::{Ledger, LedgerJob, NOW, select_job};
use crate::types::JobStatus;

/// What [`Ledger::note_delivery`] found.
#[derive(Clone, Debug, PartialEq)]
pub enum Delivery {
    /// The first delivery claiming this status for this job: worth one look
    /// at the API. Holds the job as recorded.
    New(LedgerJob),
    /// The same claim again: nothing to do.
    Repeat,
    /// No such job in the ledger: not one of ours.
    UnknownJob,
}

impl Ledger {
    /// Notes a webhook delivery for `job_id` claiming `claimed`, without
    /// changing anything about the job.
    pub fn note_delivery(&self, job_id: &str, claimed: &JobStatus) -> anyhow::Result<Delivery> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(job) = select_job(&tx, job_id)? else {
            return Ok(Delivery::UnknownJob);
        };
        let insert = format!(
            "INSERT INTO deliveries (job_id, status, first_at, count) VALUES (?1, ?2, {NOW}, 1)
             ON CONFLICT (job_id, status) DO UPDATE SET count = count + 1"
        );
        tx.execute(&insert, params![job_id, claimed.as_str()])?;
        let count: i64 = tx.query_row(
            "SELECT count FROM deliveries WHERE job_id = ?1 AND status = ?2",
            params![job_id, claimed.as_str()],
            |row| row.get(0),
        )?;
        tx.commit()?;
        Ok(if count == 1 {
            Delivery::New(job)
        } else {
            Delivery::Repeat
        })
    }

    /// How many deliveries claimed `claimed` for `job_id`, repeats included.
    pub fn delivery_count(&self, job_id: &str, claimed: &JobStatus) -> anyhow::Result<u64> {
        let count: Option<i64> = rusqlite::OptionalExtension::optional(self.conn().query_row(
            "SELECT count FROM deliveries WHERE job_id = ?1 AND status = ?2",
            params![job_id, claimed.as_str()],
            |row| row.get(0),
        ))?;
        Ok(count.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
    }
}
