//! Oracles: what the API's names mean, as the docs of `wire` define them.

use matchkraft_component::{EmailStatus, JobStatus, JobType};

/// A name without case and without the separators `_`, `-`, space and `.`.
pub(crate) fn normalized(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' ' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

pub(crate) fn expected_job_status(text: &str) -> JobStatus {
    match normalized(text).as_str() {
        "pending" => JobStatus::Pending,
        "processing" => JobStatus::Processing,
        "completed" => JobStatus::Completed,
        "failed" => JobStatus::Failed,
        _ => JobStatus::Other(text.to_string()),
    }
}

pub(crate) fn expected_email_status(text: &str) -> EmailStatus {
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

pub(crate) fn expected_job_type(text: &str) -> Option<JobType> {
    match normalized(text).as_str() {
        "domainscan" => Some(JobType::DomainScan),
        "emailvalidation" => Some(JobType::EmailValidation),
        "emailfinder" => Some(JobType::EmailFinder),
        _ => None,
    }
}
