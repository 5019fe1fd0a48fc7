//! `wire::parse_job` (the job alone, what `status` returns) and the name
//! parsers behind it: `wire::parse_job_status`, `wire::parse_email_status`,
//! `wire::parse_job_type`.
//!
//! The first input byte picks the job type (`byte % 3`: 0 domain-scan,
//! 1 email-validation, 2 email-finder; the seeds start with the ASCII digit
//! `0`, `1` or `2`); the rest is the body. Checks:
//! - `parse_job` answers the job of the type asked for, or a `decode` error;
//! - the rest of the input, read as text, is also given to the three name
//!   parsers, which must match `wire`'s documented rule (case and the
//!   separators `_ - space .` ignored, an unknown status kept as `other` with
//!   the text unchanged), the oracle of `tests/properties/oracle.rs`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use matchkraft_component::{EmailStatus, Error, JobStatus, JobType, wire};

const JOB_TYPES: [JobType; 3] = [JobType::DomainScan, JobType::EmailValidation, JobType::EmailFinder];

/// A name without case and without the separators `_`, `-`, space and `.`.
fn normalized(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' ' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn expected_job_status(text: &str) -> JobStatus {
    match normalized(text).as_str() {
        "pending" => JobStatus::Pending,
        "processing" => JobStatus::Processing,
        "completed" => JobStatus::Completed,
        "failed" => JobStatus::Failed,
        _ => JobStatus::Other(text.to_string()),
    }
}

fn expected_email_status(text: &str) -> EmailStatus {
    match normalized(text).as_str() {
        "valid" | "deliverable" => EmailStatus::Valid,
        "invalid" | "undeliverable" => EmailStatus::Invalid,
        "catchall" | "acceptall" => EmailStatus::CatchAll,
        "unknown" => EmailStatus::Unknown,
        "disposable" => EmailStatus::Disposable,
        "spamtrap" => EmailStatus::SpamTrap,
        "role" | "roleaccount" | "rolebased" => EmailStatus::Role,
        _ => EmailStatus::Other(text.to_string()),
    }
}

fn expected_job_type(text: &str) -> Option<JobType> {
    match normalized(text).as_str() {
        "domainscan" => Some(JobType::DomainScan),
        "emailvalidation" => Some(JobType::EmailValidation),
        "emailfinder" => Some(JobType::EmailFinder),
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let job_type = JOB_TYPES[usize::from(selector % 3)];
    match wire::parse_job(body, job_type, "job-1") {
        Ok(job) => assert_eq!(job.job_type, job_type),
        Err(Error::Decode(_)) => {}
        Err(other) => panic!("parse_job: {other:?}"),
    }

    if let Ok(text) = std::str::from_utf8(body) {
        assert_eq!(wire::parse_job_status(text), expected_job_status(text));
        assert_eq!(wire::parse_email_status(text), expected_email_status(text));
        assert_eq!(wire::parse_job_type(text), expected_job_type(text));
    }
});
