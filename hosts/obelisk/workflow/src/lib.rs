//! An Obelisk workflow that chains the MatchKraft component's activities:
//! `submit`, then `wait` (again on `wait-timeout`, a bounded number of
//! times), then `results`.
//!
//! Why it exists: the component is built to be a workflow step, and this is
//! the smallest workflow that uses it as one. It is deterministic, as Obelisk
//! requires: no clock, no randomness, no I/O of its own. Each imported `api`
//! call blocks the workflow until Obelisk has run that activity (retries
//! included) and recorded its result; on replay after a crash the recorded
//! results come back, so `submit` reaches the API once.
//!
//! Built for `wasm32-wasip2` (the standard library pulls in WASI imports,
//! which the deployment stubs out with `stub_wasi = true`). `tests/obelisk.rs`
//! builds and runs it.

#![deny(unsafe_code)]

#[allow(unsafe_code, missing_docs, unreachable_pub)]
mod bindings {
    wit_bindgen::generate!({
        path: ["../../../wit", "wit"],
        world: "matchkraft:workflow/workflow",
        // The client's `types` come from ../../../wit, not from a crate.
        generate_all,
    });

    use super::Workflow;
    export!(Workflow with_types_in crate::bindings);
}

use bindings::exports::matchkraft::workflow::jobs::Guest;
use bindings::matchkraft::client::api;
use bindings::matchkraft::client::types::{Error, JobResults, JobStatus, JobType, Records};

struct Workflow;

/// The job type a set of records belongs to.
fn job_type_of(records: &Records) -> JobType {
    match records {
        Records::DomainScan(_) => JobType::DomainScan,
        Records::EmailValidation(_) => JobType::EmailValidation,
        Records::EmailFinder(_) => JobType::EmailFinder,
    }
}

/// Whether a job has finished, one way or the other.
fn is_terminal(status: &JobStatus) -> bool {
    matches!(status, JobStatus::Completed | JobStatus::Failed)
}

impl Guest for Workflow {
    fn run(
        job_name: String,
        records: Records,
        wait_timeout_ms: u64,
        max_waits: u32,
    ) -> Result<JobResults, Error> {
        let job_type = job_type_of(&records);
        let job = api::submit(&job_name, &records)?;
        let mut waits = 0;
        loop {
            waits += 1;
            match api::wait(job_type, &job.id, wait_timeout_ms) {
                Ok(seen) if is_terminal(&seen.job.status) => break,
                // `wait` returns only a terminal job; should it ever not,
                // treat it like a timeout.
                Ok(_) if waits < max_waits => {}
                Ok(seen) => return Err(Error::WaitTimeout(seen.job)),
                Err(Error::WaitTimeout(_)) if waits < max_waits => {}
                Err(error) => return Err(error),
            }
        }
        api::results(job_type, &job.id)
    }
}
