//! What every parser must do with any input: arbitrary bytes, arbitrary JSON,
//! deep nesting.

use matchkraft_component::{Error, JobStatus, JobType, ResultRecords, error, validate, webhook, wire};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::value::RawValue;

use crate::json::{any_bytes, json_document, to_bytes};
use crate::oracle::expected_job_type;
use crate::{JOB_TYPES, fail};

/// Runs every body parser on `body`: each answers `Ok` or its own typed error,
/// and the parsers that read the same fields agree.
pub(crate) fn check_all_parsers(body: &[u8]) -> Result<(), TestCaseError> {
    let mut outcomes = Vec::new();
    for job_type in JOB_TYPES {
        let results = wire::parse_results(body, job_type, "job-1");
        let job = wire::parse_job(body, job_type, "job-1");
        match (&results, &job) {
            (Ok(results), Ok(job)) => {
                prop_assert_eq!(&results.job, job);
                prop_assert_eq!(job.job_type, job_type);
                let raws: Vec<&str> = match (&results.records, job_type) {
                    (ResultRecords::DomainScan(list), JobType::DomainScan) => {
                        list.iter().map(|r| r.raw.as_str()).collect()
                    }
                    (ResultRecords::EmailValidation(list), JobType::EmailValidation) => {
                        list.iter().map(|r| r.raw.as_str()).collect()
                    }
                    (ResultRecords::EmailFinder(list), JobType::EmailFinder) => {
                        list.iter().map(|r| r.raw.as_str()).collect()
                    }
                    (records, _) => {
                        return Err(fail(format!("{job_type:?} results came back as {records:?}")));
                    }
                };
                for raw in &raws {
                    prop_assert!(
                        serde_json::from_str::<&RawValue>(raw).is_ok(),
                        "raw is not JSON: {:?}",
                        raw
                    );
                }
                outcomes.push(Ok((raws.len(), job.status.clone(), job.id.clone())));
            }
            (Err(a), Err(b)) => {
                prop_assert!(matches!(a, Error::Decode(_)), "parse_results: {:?}", a);
                prop_assert!(matches!(b, Error::Decode(_)), "parse_job: {:?}", b);
                outcomes.push(Err(()));
            }
            _ => {
                return Err(fail(format!(
                    "parse_results and parse_job disagree: {results:?} / {job:?}"
                )));
            }
        }
        match wire::parse_submitted(body, job_type) {
            Ok(job) => prop_assert_eq!(job.job_type, job_type),
            Err(e) => prop_assert!(matches!(e, Error::Decode(_)), "parse_submitted: {:?}", e),
        }
    }
    // The job type picks the record type, never whether or how the body parses.
    prop_assert!(
        outcomes.windows(2).all(|w| w[0] == w[1]),
        "job types disagree: {:?}",
        outcomes
    );

    match webhook::parse(body) {
        Ok(event) => {
            prop_assert_eq!(event.event.as_str(), webhook::JOB_COMPLETED);
            prop_assert!(validate::job_id(&event.job_id).is_ok());
            prop_assert!(matches!(event.status, JobStatus::Completed | JobStatus::Failed));
            prop_assert_eq!(event.job_type, expected_job_type(&event.job_type_name));
        }
        Err(Error::PermanentInvalidInput(e)) => {
            prop_assert!(
                ["body", "event", "jobId", "jobType", "status"].contains(&e.field.as_str()),
                "webhook field {:?}",
                e.field
            );
            prop_assert_eq!(e.index, None);
        }
        Err(other) => return Err(fail(format!("webhook::parse: {other:?}"))),
    }

    let message = error::api_message(body);
    prop_assert!(!message.is_empty());
    prop_assert!(
        message.chars().count() <= 301,
        "{} chars",
        message.chars().count()
    );
    Ok(())
}

/// A body that is not JSON: every parser says so with its own error.
pub(crate) fn check_unreadable(body: &[u8]) -> Result<(), TestCaseError> {
    for job_type in JOB_TYPES {
        let results = wire::parse_results(body, job_type, "job-1");
        prop_assert!(matches!(results, Err(Error::Decode(_))), "{:?}", results);
        let job = wire::parse_job(body, job_type, "job-1");
        prop_assert!(matches!(job, Err(Error::Decode(_))), "{:?}", job);
        let submitted = wire::parse_submitted(body, job_type);
        prop_assert!(matches!(submitted, Err(Error::Decode(_))), "{:?}", submitted);
    }
    match webhook::parse(body) {
        Err(Error::PermanentInvalidInput(e)) => prop_assert_eq!(e.field, "body"),
        other => return Err(fail(format!("webhook::parse of a cut body: {other:?}"))),
    }
    Ok(())
}

proptest! {
    #![proptest_config(crate::config())]

    // No parser panics, whatever it is given.

    #[test]
    fn parsers_never_panic_on_arbitrary_bytes(body in any_bytes()) {
        check_all_parsers(&body)?;
    }

    #[test]
    fn parsers_never_panic_on_arbitrary_json(doc in json_document(), pretty in any::<bool>()) {
        check_all_parsers(&to_bytes(&doc, pretty))?;
    }

    #[test]
    fn deep_nesting_never_overflows_the_stack(
        depth in prop_oneof![3 => 0usize..200, 1 => 0usize..5_000],
        object in any::<bool>(),
        place in 0..4,
    ) {
        let (open, close) = if object { (r#"{"a":"#, "}") } else { ("[", "]") };
        let nested = format!("{}0{}", open.repeat(depth), close.repeat(depth));
        let body = match place {
            0 => format!(r#"{{"status":"completed","results":[{nested}]}}"#),
            1 => format!(r#"{{"data":{{"status":"completed","results":[{nested}]}},"x":{nested}}}"#),
            2 => format!(
                r#"{{"event":"job.completed","jobId":"a1","jobType":"domain-scan","status":"COMPLETED","x":{nested}}}"#
            ),
            _ => format!(r#"{{"status":{nested},"message":{nested}}}"#),
        };
        check_all_parsers(body.as_bytes())?;
    }
}
