//! `webhook::parse`: a `job.completed` webhook body, from anyone.
//!
//! The whole input is the body. Checks (those of
//! `tests/properties/all_parsers.rs`, from `webhook`'s documentation):
//! - an accepted body is at most `MAX_BODY_BYTES`, says `job.completed`, has
//!   a job id that `validate::job_id` accepts, a non-blank job type whose
//!   `job_type` is what its name means (case and `_ - space .` ignored), and
//!   the status `completed` or `failed`;
//! - a refused body gets `permanent-invalid-input` naming one of the fields
//!   `body`, `event`, `jobId`, `jobType`, `status`, with no record index.

#![no_main]

use libfuzzer_sys::fuzz_target;
use matchkraft_component::{Error, JobStatus, JobType, validate, webhook};

fn normalized(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' ' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn expected_job_type(text: &str) -> Option<JobType> {
    match normalized(text).as_str() {
        "domainscan" => Some(JobType::DomainScan),
        "emailvalidation" => Some(JobType::EmailValidation),
        "emailfinder" => Some(JobType::EmailFinder),
        _ => None,
    }
}

fuzz_target!(|body: &[u8]| {
    match webhook::parse(body) {
        Ok(event) => {
            assert!(body.len() <= webhook::MAX_BODY_BYTES);
            assert_eq!(event.event, webhook::JOB_COMPLETED);
            assert!(validate::job_id(&event.job_id).is_ok(), "job id {:?}", event.job_id);
            assert!(!event.job_type_name.trim().is_empty());
            assert_eq!(event.job_type, expected_job_type(&event.job_type_name));
            assert!(matches!(event.status, JobStatus::Completed | JobStatus::Failed));
        }
        Err(Error::PermanentInvalidInput(e)) => {
            assert!(
                ["body", "event", "jobId", "jobType", "status"].contains(&e.field.as_str()),
                "field {:?}",
                e.field
            );
            assert_eq!(e.index, None);
            if body.len() > webhook::MAX_BODY_BYTES {
                assert_eq!(e.field, "body");
            }
        }
        Err(other) => panic!("webhook::parse: {other:?}"),
    }
});
