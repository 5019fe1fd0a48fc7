//! `wire::parse_submitted`: the answer to a submit, `{"jobId", "jobName",
//! "status"}`.
//!
//! The first input byte picks the job type (`byte % 3`: 0 domain-scan,
//! 1 email-validation, 2 email-finder; the seeds start with the ASCII digit
//! `0`, `1` or `2`); the rest is the body. Checks: the answer is the job of
//! the type asked for, or a `decode` error, never another error case.

#![no_main]

use libfuzzer_sys::fuzz_target;
use matchkraft_component::{Error, JobType, wire};

const JOB_TYPES: [JobType; 3] = [JobType::DomainScan, JobType::EmailValidation, JobType::EmailFinder];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let job_type = JOB_TYPES[usize::from(selector % 3)];
    match wire::parse_submitted(body, job_type) {
        Ok(job) => assert_eq!(job.job_type, job_type),
        Err(Error::Decode(_)) => {}
        Err(other) => panic!("parse_submitted: {other:?}"),
    }
});
