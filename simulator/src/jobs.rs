//! Jobs: what a submission must look like, how a job moves through its
//! states as time passes, and how job ids are made.
//!
//! A job's state is never stored; it is derived from the time since
//! submission, so a job "progresses" without any background task and a test
//! can reason about it from the [`SimConfig`](crate::SimConfig) durations:
//!
//! | Time since submission                   | `status`     | `progress`                    |
//! |-----------------------------------------|--------------|-------------------------------|
//! | `< pending_for`                         | `PENDING`    | 0                             |
//! | `< pending_for + processing_for`        | `PROCESSING` | 1..=99, linear in time        |
//! | later, jobName not starting with `FAIL` | `COMPLETED`  | 100, with `results`           |
//! | later, jobName starting with `FAIL`     | `FAILED`     | 100, with `error`, no results |

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use crate::rng::splitmix64;
use crate::verdicts::{self, DomainScan, EmailValidation, FoundEmail};

/// The three kinds of job, one per submit endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobType {
    DomainScan,
    EmailValidation,
    EmailFinder,
}

impl JobType {
    /// The job type named by a path segment such as `email-finder`.
    pub(crate) fn from_segment(segment: &str) -> Option<JobType> {
        match segment {
            "domain-scan" => Some(JobType::DomainScan),
            "email-validation" => Some(JobType::EmailValidation),
            "email-finder" => Some(JobType::EmailFinder),
            _ => None,
        }
    }

    /// The path segment and `jobType` value for this type.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            JobType::DomainScan => "domain-scan",
            JobType::EmailValidation => "email-validation",
            JobType::EmailFinder => "email-finder",
        }
    }
}

/// One email-finder input record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Contact {
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) website: String,
}

/// The records of a job, already checked to have the shape its type needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Records {
    Websites(Vec<String>),
    Emails(Vec<String>),
    Contacts(Vec<Contact>),
}

/// A submit request body that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Submission {
    pub(crate) job_name: String,
    pub(crate) records: Records,
}

/// Checks a submit body and says precisely what is wrong if it is not
/// acceptable, so that a client's 400 handling can be tested with a useful
/// message. Unknown extra fields are ignored, as a lenient real API would.
pub(crate) fn parse_submission(job_type: JobType, body: &[u8]) -> Result<Submission, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("request body is not valid JSON: {e}"))?;
    let Value::Object(mut body) = value else {
        return Err("request body must be a JSON object".into());
    };
    let job_name = match body.remove("jobName") {
        Some(Value::String(name)) => name,
        Some(_) => return Err("jobName must be a string".into()),
        None => return Err("jobName is required".into()),
    };
    let records = match body.remove("records") {
        Some(Value::Array(records)) if !records.is_empty() => records,
        Some(Value::Array(_)) => return Err("records must not be empty".into()),
        Some(_) => return Err("records must be an array".into()),
        None => return Err("records is required".into()),
    };
    let records = match job_type {
        JobType::DomainScan => Records::Websites(strings(records, "a website URL")?),
        JobType::EmailValidation => Records::Emails(strings(records, "an email address")?),
        JobType::EmailFinder => Records::Contacts(contacts(records)?),
    };
    Ok(Submission { job_name, records })
}

fn strings(records: Vec<Value>, what: &str) -> Result<Vec<String>, String> {
    records
        .into_iter()
        .enumerate()
        .map(|(i, record)| match record {
            Value::String(s) => Ok(s),
            _ => Err(format!("records[{i}] must be a string ({what})")),
        })
        .collect()
}

fn contacts(records: Vec<Value>) -> Result<Vec<Contact>, String> {
    records
        .into_iter()
        .enumerate()
        .map(|(i, record)| {
            let Value::Object(mut fields) = record else {
                return Err(format!(
                    "records[{i}] must be an object with firstName, lastName and website"
                ));
            };
            let mut field = |name: &str| match fields.remove(name) {
                Some(Value::String(s)) => Ok(s),
                _ => Err(format!("records[{i}].{name} must be a string")),
            };
            Ok(Contact {
                first_name: field("firstName")?,
                last_name: field("lastName")?,
                website: field("website")?,
            })
        })
        .collect()
}

/// Where a job is in its life at some moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Pending,
    Processing { progress: u8 },
    Finished,
}

/// The phase after `elapsed`, given the configured durations (see the table
/// in the module docs). Progress runs from 1 to 99 so that "processing" is
/// never mistaken for "not started" or "done".
pub(crate) fn phase(elapsed: Duration, pending_for: Duration, processing_for: Duration) -> Phase {
    if elapsed < pending_for {
        return Phase::Pending;
    }
    let into_processing = elapsed - pending_for;
    if into_processing < processing_for {
        let fraction = into_processing.as_secs_f64() / processing_for.as_secs_f64();
        // 1 + floor(fraction * 99) stays within 1..=99 because fraction < 1.
        let progress = 1 + (fraction * 99.0) as u8;
        return Phase::Processing {
            progress: progress.min(99),
        };
    }
    Phase::Finished
}

/// A submitted job. Only the input is kept; state and results are derived
/// when someone asks.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub(crate) id: String,
    pub(crate) job_type: JobType,
    pub(crate) name: String,
    pub(crate) records: Records,
    pub(crate) submitted_at: Instant,
}

impl Job {
    /// Whether the job ends FAILED rather than COMPLETED: a test scripts a
    /// failure through the job name alone, with no extra API.
    pub(crate) fn fails(&self) -> bool {
        self.name.starts_with("FAIL")
    }

    /// The status the job ends with: `FAILED` or `COMPLETED`.
    pub(crate) fn final_status(&self) -> &'static str {
        if self.fails() { "FAILED" } else { "COMPLETED" }
    }

    /// The moment from which [`view`](Job::view) shows the job finished, or
    /// `None` if the durations are too long for an `Instant` to hold (the
    /// job then never finishes).
    pub(crate) fn finished_at(&self, pending_for: Duration, processing_for: Duration) -> Option<Instant> {
        self.submitted_at
            .checked_add(pending_for)?
            .checked_add(processing_for)
    }

    /// The results-endpoint body for this job as of `now`.
    pub(crate) fn view(&self, now: Instant, pending_for: Duration, processing_for: Duration) -> JobView<'_> {
        let elapsed = now.saturating_duration_since(self.submitted_at);
        let (status, progress, results, error) = match phase(elapsed, pending_for, processing_for) {
            Phase::Pending => ("PENDING", 0, None, None),
            Phase::Processing { progress } => ("PROCESSING", progress, None, None),
            Phase::Finished if self.fails() => (self.final_status(), 100, None, Some("simulated failure")),
            Phase::Finished => (self.final_status(), 100, Some(self.results()), None),
        };
        JobView {
            job_id: &self.id,
            job_name: &self.name,
            job_type: self.job_type.as_str(),
            status,
            progress,
            results,
            error,
        }
    }

    /// One result per record, in submission order.
    fn results(&self) -> Vec<RecordResult> {
        match &self.records {
            Records::Websites(urls) => urls
                .iter()
                .map(|url| RecordResult::Scan(verdicts::scan_domain(url)))
                .collect(),
            Records::Emails(emails) => emails
                .iter()
                .map(|email| RecordResult::Validation(verdicts::validate_email(email)))
                .collect(),
            Records::Contacts(contacts) => contacts
                .iter()
                .map(|c| RecordResult::Found(verdicts::find_email(&c.first_name, &c.last_name, &c.website)))
                .collect(),
        }
    }
}

/// The JSON body of `GET …/results/{jobId}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobView<'a> {
    job_id: &'a str,
    job_name: &'a str,
    job_type: &'static str,
    status: &'static str,
    progress: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    results: Option<Vec<RecordResult>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
}

/// A result of any job type; serialised as the inner value alone.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum RecordResult {
    Scan(DomainScan),
    Validation(EmailValidation),
    Found(FoundEmail),
}

/// Makes job ids that look like UUID v4s without a UUID crate.
///
/// Ids are a pure function of a seed and a counter: the same simulator run
/// hands out the same sequence, which makes a failing test replayable, while
/// two simulators with different seeds (the server uses its port) hand out
/// different ids, so a client that mixes up servers is caught.
#[derive(Debug)]
pub(crate) struct JobIds {
    seed: u64,
    issued: u64,
}

impl JobIds {
    pub(crate) fn new(seed: u64) -> JobIds {
        JobIds { seed, issued: 0 }
    }

    pub(crate) fn next_id(&mut self) -> String {
        let n = self.issued;
        self.issued += 1;
        let hi = splitmix64(self.seed.wrapping_add(n.wrapping_mul(2)));
        let lo = splitmix64(self.seed.wrapping_add(n.wrapping_mul(2) + 1));
        // Version 4 in the 13th hex digit, RFC 4122 variant (8..b) in the 17th.
        let hi = (hi & !0xF000) | 0x4000;
        let lo = (lo & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            hi >> 32,
            (hi >> 16) & 0xFFFF,
            hi & 0xFFFF,
            lo >> 48,
            lo & 0xFFFF_FFFF_FFFF
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(job_type: JobType, body: Value) -> Result<Submission, String> {
        parse_submission(job_type, body.to_string().as_bytes())
    }

    #[test]
    fn accepts_each_record_shape() {
        let urls = parse(JobType::DomainScan, json!({"jobName": "j", "records": ["a.com"]}));
        assert_eq!(urls.unwrap().records, Records::Websites(vec!["a.com".into()]));
        let emails = parse(
            JobType::EmailValidation,
            json!({"jobName": "j", "records": ["x@a.com"], "extra": 1}),
        );
        assert_eq!(emails.unwrap().records, Records::Emails(vec!["x@a.com".into()]));
        let contacts = parse(
            JobType::EmailFinder,
            json!({"jobName": "j", "records": [{"firstName": "A", "lastName": "B", "website": "w"}]}),
        );
        assert_eq!(
            contacts.unwrap().records,
            Records::Contacts(vec![Contact {
                first_name: "A".into(),
                last_name: "B".into(),
                website: "w".into()
            }])
        );
    }

    #[test]
    fn rejections_say_what_is_wrong() {
        let err = |job_type, body: &str| parse_submission(job_type, body.as_bytes()).unwrap_err();
        let dv = JobType::EmailValidation;
        assert!(err(dv, "{not json").starts_with("request body is not valid JSON"));
        assert_eq!(err(dv, "[]"), "request body must be a JSON object");
        assert_eq!(err(dv, r#"{"records":["a@b.c"]}"#), "jobName is required");
        assert_eq!(
            err(dv, r#"{"jobName":1,"records":["a@b.c"]}"#),
            "jobName must be a string"
        );
        assert_eq!(err(dv, r#"{"jobName":"j"}"#), "records is required");
        assert_eq!(
            err(dv, r#"{"jobName":"j","records":[]}"#),
            "records must not be empty"
        );
        assert_eq!(
            err(dv, r#"{"jobName":"j","records":"a"}"#),
            "records must be an array"
        );
        assert_eq!(
            err(dv, r#"{"jobName":"j","records":["a@b.c",{}]}"#),
            "records[1] must be a string (an email address)"
        );
        assert_eq!(
            err(JobType::DomainScan, r#"{"jobName":"j","records":[1]}"#),
            "records[0] must be a string (a website URL)"
        );
        let finder = JobType::EmailFinder;
        assert_eq!(
            err(finder, r#"{"jobName":"j","records":["a"]}"#),
            "records[0] must be an object with firstName, lastName and website"
        );
        assert_eq!(
            err(
                finder,
                r#"{"jobName":"j","records":[{"firstName":"A","lastName":"B"}]}"#
            ),
            "records[0].website must be a string"
        );
    }

    #[test]
    fn phase_follows_the_configured_durations() {
        let ms = Duration::from_millis;
        let (pending, processing) = (ms(50), ms(200));
        assert_eq!(phase(ms(0), pending, processing), Phase::Pending);
        assert_eq!(phase(ms(49), pending, processing), Phase::Pending);
        assert_eq!(
            phase(ms(50), pending, processing),
            Phase::Processing { progress: 1 }
        );
        assert_eq!(
            phase(ms(150), pending, processing),
            Phase::Processing { progress: 50 }
        );
        assert_eq!(
            phase(ms(249), pending, processing),
            Phase::Processing { progress: 99 }
        );
        assert_eq!(phase(ms(250), pending, processing), Phase::Finished);
        assert_eq!(phase(ms(0), ms(0), ms(0)), Phase::Finished);
    }

    fn job(name: &str, records: Records, age: Duration) -> Job {
        Job {
            id: "id-1".into(),
            job_type: JobType::EmailValidation,
            name: name.into(),
            records,
            submitted_at: Instant::now() - age,
        }
    }

    #[test]
    fn views_show_status_progress_and_results() {
        let ms = Duration::from_millis;
        let records = Records::Emails(vec!["john@gmail.com".into(), "bad".into()]);
        let young = job("j", records.clone(), ms(0));
        let view = serde_json::to_value(young.view(Instant::now(), ms(1000), ms(1000))).unwrap();
        assert_eq!(
            view,
            json!({"jobId": "id-1", "jobName": "j", "jobType": "email-validation",
                   "status": "PENDING", "progress": 0})
        );

        let done = job("j", records, ms(10));
        let view = serde_json::to_value(done.view(Instant::now(), ms(1), ms(1))).unwrap();
        assert_eq!(view["status"], "COMPLETED");
        assert_eq!(view["progress"], 100);
        assert_eq!(view["results"][0]["status"], "valid");
        assert_eq!(view["results"][1]["status"], "invalid");
    }

    #[test]
    fn finished_at_is_when_the_view_turns_final() {
        let ms = Duration::from_millis;
        let ok = job("j", Records::Emails(vec!["a@b.c".into()]), ms(0));
        let at = ok.finished_at(ms(30), ms(60)).unwrap();
        assert_eq!(at, ok.submitted_at + ms(90));
        let view = |now| ok.view(now, ms(30), ms(60)).status;
        assert_eq!(view(at - Duration::from_nanos(1)), "PROCESSING");
        assert_eq!(view(at), ok.final_status());
        assert_eq!(ok.final_status(), "COMPLETED");
        assert_eq!(job("FAIL", ok.records.clone(), ms(0)).final_status(), "FAILED");
        assert_eq!(ok.finished_at(Duration::MAX, ms(1)), None, "never");
    }

    #[test]
    fn jobs_named_fail_end_failed_without_results() {
        let ms = Duration::from_millis;
        let failing = job("FAIL me", Records::Emails(vec!["a@b.c".into()]), ms(10));
        let view = serde_json::to_value(failing.view(Instant::now(), ms(1), ms(1))).unwrap();
        assert_eq!(view["status"], "FAILED");
        assert_eq!(view["error"], "simulated failure");
        assert!(view.get("results").is_none());
    }

    #[test]
    fn ids_look_like_uuid_v4_and_do_not_repeat() {
        let mut ids = JobIds::new(4242);
        let first = ids.next_id();
        let parts: Vec<&str> = first.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(
            first
                .chars()
                .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert!(parts[2].starts_with('4'));
        assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));

        let mut seen = std::collections::HashSet::from([first.clone()]);
        assert!((0..1000).all(|_| seen.insert(ids.next_id())));
        assert_eq!(JobIds::new(4242).next_id(), first, "same seed, same sequence");
        assert_ne!(JobIds::new(4243).next_id(), first, "other seed, other ids");
    }
}
