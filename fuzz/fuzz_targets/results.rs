//! `wire::parse_results`: a results-endpoint body, read as the job type that
//! the first input byte picks (`byte % 3`: 0 domain-scan, 1 email-validation,
//! 2 email-finder; the seeds start with the ASCII digit `0`, `1` or `2`).
//! The rest of the input is the body.
//!
//! Besides "never panics", it checks what `wire`'s documentation and
//! `tests/properties/all_parsers.rs` promise:
//! - `parse_results` and `parse_job` agree: both accept the body with the
//!   same job, or both refuse it with a `decode` error;
//! - an accepted body gives records of the job type asked for;
//! - "every result record keeps its exact JSON text in `raw`": each `raw` is
//!   valid JSON and the records' texts occur in the body, in order, without
//!   overlapping.

#![no_main]

use libfuzzer_sys::fuzz_target;
use matchkraft_component::{Error, Job, JobType, ResultRecords, wire};
use serde_json::value::RawValue;

const JOB_TYPES: [JobType; 3] = [JobType::DomainScan, JobType::EmailValidation, JobType::EmailFinder];

/// `Job`'s `==`, except that a progress of NaN equals itself: a progress
/// written as the string `"NaN"` parses to NaN (see fuzz/README.md), and that
/// is not what this target is about.
fn same_job(a: &Job, b: &Job) -> bool {
    a.id == b.id
        && a.name == b.name
        && a.job_type == b.job_type
        && a.status == b.status
        && a.progress.map(f64::to_bits) == b.progress.map(f64::to_bits)
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let job_type = JOB_TYPES[usize::from(selector % 3)];
    let results = wire::parse_results(body, job_type, "job-1");
    let job = wire::parse_job(body, job_type, "job-1");
    let (results, job) = match (results, job) {
        (Ok(results), Ok(job)) => (results, job),
        (Err(Error::Decode(_)), Err(Error::Decode(_))) => return,
        (results, job) => panic!("parse_results and parse_job disagree: {results:?} / {job:?}"),
    };
    assert!(same_job(&results.job, &job), "{:?} != {job:?}", results.job);
    assert_eq!(job.job_type, job_type);

    let raws: Vec<&str> = match (&results.records, job_type) {
        (ResultRecords::DomainScan(list), JobType::DomainScan) => list.iter().map(|r| r.raw.as_str()).collect(),
        (ResultRecords::EmailValidation(list), JobType::EmailValidation) => {
            list.iter().map(|r| r.raw.as_str()).collect()
        }
        (ResultRecords::EmailFinder(list), JobType::EmailFinder) => list.iter().map(|r| r.raw.as_str()).collect(),
        (records, _) => panic!("{job_type:?} results came back as {records:?}"),
    };
    // A body that parsed is UTF-8 (JSON text is), so `str::find` can search it.
    let text = std::str::from_utf8(body).expect("an accepted body is UTF-8");
    let mut from = 0;
    for raw in raws {
        assert!(serde_json::from_str::<&RawValue>(raw).is_ok(), "raw is not JSON: {raw:?}");
        let at = text[from..]
            .find(raw)
            .unwrap_or_else(|| panic!("raw {raw:?} is not in the body after byte {from}"));
        from += at + raw.len();
    }
});
