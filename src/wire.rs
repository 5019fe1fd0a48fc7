//! The JSON that goes over the wire, both ways.
//!
//! Requests are documented and built exactly. Responses beyond the submit
//! answer are not documented, so they are read tolerantly:
//! - field names match whatever their case or separators (`firstName`,
//!   `first_name` and `First Name` are one name), and a few common aliases
//!   are accepted (`results`, `data` or `records` for the result list);
//! - an unknown field is skipped, an unknown status is kept as `other`;
//! - a value of an unexpected type makes that one field `none`, never an error;
//! - every result record keeps its exact JSON text in `raw`.
//!
//! Only a body that is not JSON at all, or a job with neither a status nor
//! results, is a decode error.

use crate::error::decode;
use crate::{
    Contact, DomainScanResult, EmailFinderResult, EmailStatus, EmailValidationResult, Error, FoundEmail, Job,
    JobResults, JobStatus, JobType, Records, ResultRecords,
};
use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The endpoint segment of a job type (`email-validation`, …).
pub fn endpoint(job_type: JobType) -> &'static str {
    match job_type {
        JobType::DomainScan => "domain-scan",
        JobType::EmailValidation => "email-validation",
        JobType::EmailFinder => "email-finder",
    }
}

/// Parses a job type as the API names it, ignoring case and separators.
pub fn parse_job_type(name: &str) -> Option<JobType> {
    match normalize(name).as_str() {
        "domainscan" => Some(JobType::DomainScan),
        "emailvalidation" => Some(JobType::EmailValidation),
        "emailfinder" => Some(JobType::EmailFinder),
        _ => None,
    }
}

/// The job type that a set of records belongs to.
pub fn job_type_of(records: &Records) -> JobType {
    match records {
        Records::DomainScan(_) => JobType::DomainScan,
        Records::EmailValidation(_) => JobType::EmailValidation,
        Records::EmailFinder(_) => JobType::EmailFinder,
    }
}

/// The results path of a job, relative to the base URL.
pub fn results_path(job_type: JobType, job_id: &str) -> String {
    format!("/{}/results/{job_id}", endpoint(job_type))
}

/// The submit body, `{"jobName": …, "records": […]}`, serialised straight from
/// the WIT types (no intermediate JSON tree).
pub fn submit_body(job_name: &str, records: &Records) -> Vec<u8> {
    struct Body<'a>(&'a str, &'a Records);
    impl Serialize for Body<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut body = s.serialize_struct("Body", 2)?;
            body.serialize_field("jobName", self.0)?;
            match self.1 {
                Records::DomainScan(urls) => body.serialize_field("records", urls)?,
                Records::EmailValidation(emails) => body.serialize_field("records", emails)?,
                Records::EmailFinder(contacts) => body.serialize_field("records", &Contacts(contacts))?,
            }
            body.end()
        }
    }
    struct Contacts<'a>(&'a [Contact]);
    impl Serialize for Contacts<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(self.0.iter().map(|c| ContactBody {
                first_name: &c.first_name,
                last_name: &c.last_name,
                website: &c.website,
            }))
        }
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct ContactBody<'a> {
        first_name: &'a str,
        last_name: &'a str,
        website: &'a str,
    }
    // Serialising strings into a Vec cannot fail.
    serde_json::to_vec(&Body(job_name, records)).expect("serialising records to JSON")
}

/// Parses the submit answer, `{"jobId", "jobName", "status"}`.
pub fn parse_submitted(body: &[u8], job_type: JobType) -> Result<Job, Error> {
    const EXPECTED: &str = "a JSON object with a jobId";
    let fields = Fields::parse(body, EXPECTED)?;
    let id = fields
        .text(&["jobId", "id"])
        .ok_or_else(|| decode(EXPECTED, "the answer has no jobId"))?;
    Ok(Job {
        id,
        name: fields.text(&["jobName", "name"]),
        job_type,
        status: fields
            .text(&["status", "state"])
            .map_or(JobStatus::Pending, |s| parse_job_status(&s)),
        progress: fields.number(&["progress"]),
    })
}

/// Parses a results-endpoint answer into the job alone (for `status`).
pub fn parse_job(body: &[u8], job_type: JobType, job_id: &str) -> Result<Job, Error> {
    let fields = Fields::parse(body, EXPECTED_JOB)?;
    job_from(&fields, job_type, job_id, fields.raw_list().is_some())
}

/// Parses a results-endpoint answer into the job and its typed records.
pub fn parse_results(body: &[u8], job_type: JobType, job_id: &str) -> Result<JobResults, Error> {
    let fields = Fields::parse(body, EXPECTED_JOB)?;
    let raw = match fields.raw_list() {
        Some(list) => Some(
            serde_json::from_str::<Vec<&RawValue>>(list.get())
                .map_err(|e| decode("the results as a JSON array", e.to_string()))?,
        ),
        None => None,
    };
    let job = job_from(&fields, job_type, job_id, raw.is_some())?;
    let raw = raw.unwrap_or_default();
    let records = match job_type {
        JobType::DomainScan => ResultRecords::DomainScan(raw.iter().map(|r| domain_scan(r)).collect()),
        JobType::EmailValidation => {
            ResultRecords::EmailValidation(raw.iter().map(|r| email_validation(r)).collect())
        }
        JobType::EmailFinder => ResultRecords::EmailFinder(raw.iter().map(|r| email_finder(r)).collect()),
    };
    Ok(JobResults { job, records })
}

const EXPECTED_JOB: &str = "a JSON object with a job status or results";

fn job_from(fields: &Fields<'_>, job_type: JobType, job_id: &str, has_results: bool) -> Result<Job, Error> {
    let status = match fields.text(&["status", "state", "jobStatus"]) {
        Some(status) => parse_job_status(&status),
        // An answer that carries results but no status is a finished job.
        None if has_results => JobStatus::Completed,
        None => {
            return Err(decode(
                EXPECTED_JOB,
                "the answer has neither a status nor results",
            ));
        }
    };
    Ok(Job {
        id: fields
            .text(&["jobId", "id"])
            .unwrap_or_else(|| job_id.to_string()),
        name: fields.text(&["jobName", "name"]),
        job_type,
        status,
        progress: fields.number(&["progress", "percent", "percentage"]),
    })
}

/// A job status, case-insensitively; anything else is kept as `other`.
pub fn parse_job_status(text: &str) -> JobStatus {
    match normalize(text).as_str() {
        "pending" => JobStatus::Pending,
        "processing" => JobStatus::Processing,
        "completed" => JobStatus::Completed,
        "failed" => JobStatus::Failed,
        _ => JobStatus::Other(text.to_string()),
    }
}

/// An email verdict, ignoring case and separators, with common synonyms.
pub fn parse_email_status(text: &str) -> EmailStatus {
    match normalize(text).as_str() {
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

fn email_validation(raw: &RawValue) -> EmailValidationResult {
    let record = record(raw);
    EmailValidationResult {
        email: text(&record, &["email", "emailAddress", "address"]),
        status: text(&record, &["status", "result", "verdict"]).map(|s| parse_email_status(&s)),
        verified: flag(&record, &["verified", "isVerified"]),
        reason: text(&record, &["reason", "subStatus", "message"]),
        raw: raw.get().to_string(),
    }
}

fn email_finder(raw: &RawValue) -> EmailFinderResult {
    let record = record(raw);
    EmailFinderResult {
        first_name: text(&record, &["firstName"]),
        last_name: text(&record, &["lastName"]),
        website: text(&record, &["website", "url", "domain"]),
        email: text(&record, &["email", "emailAddress", "foundEmail"]),
        confidence: number(&record, &["confidence", "score", "confidenceScore"]),
        raw: raw.get().to_string(),
    }
}

fn domain_scan(raw: &RawValue) -> DomainScanResult {
    let record = record(raw);
    let emails = lookup(&record, &["emails", "contacts", "foundEmails"])
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(found_email).collect())
        .unwrap_or_default();
    DomainScanResult {
        website: text(&record, &["website", "url"]),
        domain: text(&record, &["domain", "host"]),
        emails,
        raw: raw.get().to_string(),
    }
}

fn found_email(value: &Value) -> Option<FoundEmail> {
    match value {
        Value::String(email) => Some(FoundEmail {
            email: email.clone(),
            kind: None,
            verified: None,
        }),
        Value::Object(map) => Some(FoundEmail {
            email: text(map, &["email", "emailAddress", "address"])?,
            kind: text(map, &["type", "kind", "category"]),
            verified: flag(map, &["verified", "isVerified"]),
        }),
        _ => None,
    }
}

/// A field name with case and separators removed, for tolerant matching.
fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' ' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The top-level fields of a response, kept as raw JSON so that a large result
/// list is not parsed into a tree before it is needed.
struct Fields<'a> {
    fields: BTreeMap<String, &'a RawValue>,
    /// The fields of a `data` object, for APIs that wrap the job in one.
    inner: BTreeMap<String, &'a RawValue>,
}

impl<'a> Fields<'a> {
    fn parse(body: &'a [u8], expected: &str) -> Result<Fields<'a>, Error> {
        let top: BTreeMap<String, &RawValue> = serde_json::from_slice(body)
            .map_err(|e| decode(expected, format!("the body is not a JSON object: {e}")))?;
        let fields: BTreeMap<String, &RawValue> = top.into_iter().map(|(k, v)| (normalize(&k), v)).collect();
        let inner = fields
            .get("data")
            .and_then(|data| serde_json::from_str::<BTreeMap<String, &RawValue>>(data.get()).ok())
            .map(|map| map.into_iter().map(|(k, v)| (normalize(&k), v)).collect())
            .unwrap_or_default();
        Ok(Fields { fields, inner })
    }

    fn get(&self, names: &[&str]) -> Option<&'a RawValue> {
        names.iter().map(|n| normalize(n)).find_map(|n| {
            self.fields
                .get(&n)
                .or_else(|| self.inner.get(&n))
                .copied()
                .filter(|v| v.get() != "null")
        })
    }

    fn text(&self, names: &[&str]) -> Option<String> {
        self.get(names)
            .and_then(|v| scalar_text(&serde_json::from_str(v.get()).ok()?))
    }

    fn number(&self, names: &[&str]) -> Option<f64> {
        self.get(names)
            .and_then(|v| scalar_number(&serde_json::from_str(v.get()).ok()?))
    }

    /// The result list: the first of `results`, `records`, `data`, `items`
    /// that holds a JSON array.
    fn raw_list(&self) -> Option<&'a RawValue> {
        ["results", "records", "data", "items"]
            .iter()
            .filter_map(|name| self.get(&[name]))
            .find(|v| v.get().starts_with('['))
    }
}

/// One result record, parsed (records are small) so that its fields can be
/// found under any spelling. A bare string is taken as the record's subject
/// (the email or website it is about); any other non-object has no fields.
fn record(raw: &RawValue) -> Map<String, Value> {
    match serde_json::from_str::<Value>(raw.get()) {
        Ok(Value::Object(map)) => map,
        Ok(Value::String(subject)) => {
            let mut map = Map::new();
            map.insert("email".into(), Value::String(subject.clone()));
            map.insert("website".into(), Value::String(subject));
            map
        }
        _ => Map::new(),
    }
}

/// The first non-null field whose name matches one of `names` (tolerantly).
fn lookup<'m>(map: &'m Map<String, Value>, names: &[&str]) -> Option<&'m Value> {
    names.iter().find_map(|name| {
        let wanted = normalize(name);
        map.iter()
            .find(|(key, value)| !value.is_null() && normalize(key) == wanted)
            .map(|(_, value)| value)
    })
}

fn text(map: &Map<String, Value>, names: &[&str]) -> Option<String> {
    lookup(map, names).and_then(scalar_text)
}

fn number(map: &Map<String, Value>, names: &[&str]) -> Option<f64> {
    lookup(map, names).and_then(scalar_number)
}

fn flag(map: &Map<String, Value>, names: &[&str]) -> Option<bool> {
    match lookup(map, names)? {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_u64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Value::String(s) => match normalize(s).as_str() {
            "true" | "yes" | "1" => Some(true),
            "false" | "no" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A string, or a number written as one (ids are sometimes numeric).
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A number, or a string holding one (`"87"`, `"87%"`).
fn scalar_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().trim_end_matches('%').trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn results(body: &str, job_type: JobType) -> JobResults {
        parse_results(body.as_bytes(), job_type, "job-1").unwrap()
    }

    #[test]
    fn submit_body_matches_the_documented_shape() {
        let body = submit_body("Leads", &Records::EmailValidation(vec!["john@gmail.com".into()]));
        assert_eq!(body, br#"{"jobName":"Leads","records":["john@gmail.com"]}"#);
        let contacts = vec![Contact {
            first_name: "Arseniy".into(),
            last_name: "Grusha".into(),
            website: "https://dataprana.io".into(),
        }];
        let body = submit_body("Finder \"q\"", &Records::EmailFinder(contacts));
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"jobName":"Finder \"q\"","records":[{"firstName":"Arseniy","lastName":"Grusha","website":"https://dataprana.io"}]}"#
        );
    }

    #[test]
    fn submitted_job_needs_an_id() {
        let job = parse_submitted(
            br#"{"jobId":"20f7","jobName":"My Job","status":"PENDING"}"#,
            JobType::DomainScan,
        )
        .unwrap();
        assert_eq!(
            (job.id.as_str(), job.name.as_deref(), job.status),
            ("20f7", Some("My Job"), JobStatus::Pending)
        );
        assert!(matches!(
            parse_submitted(br#"{"status":"PENDING"}"#, JobType::DomainScan),
            Err(Error::Decode(_))
        ));
        assert!(matches!(
            parse_submitted(b"<html>", JobType::DomainScan),
            Err(Error::Decode(_))
        ));
    }

    #[test]
    fn statuses_are_case_insensitive_and_unknown_ones_are_kept() {
        assert_eq!(parse_job_status("COMPLETED"), JobStatus::Completed);
        assert_eq!(parse_job_status("Completed"), JobStatus::Completed);
        assert_eq!(parse_job_status("processing"), JobStatus::Processing);
        assert_eq!(parse_job_status("ARCHIVED"), JobStatus::Other("ARCHIVED".into()));
        assert_eq!(parse_email_status("catch_all"), EmailStatus::CatchAll);
        assert_eq!(parse_email_status("Spam-Trap"), EmailStatus::SpamTrap);
        assert_eq!(parse_email_status("DELIVERABLE"), EmailStatus::Valid);
        assert_eq!(
            parse_email_status("greylisted"),
            EmailStatus::Other("greylisted".into())
        );
    }

    #[test]
    fn a_running_job_has_a_status_and_no_records() {
        let r = results(
            r#"{"jobId":"job-1","status":"PROCESSING","progress":40}"#,
            JobType::EmailValidation,
        );
        assert_eq!(r.job.status, JobStatus::Processing);
        assert_eq!(r.job.progress, Some(40.0));
        assert_eq!(r.records, ResultRecords::EmailValidation(vec![]));
    }

    #[test]
    fn results_are_found_under_results_data_or_records() {
        for key in ["results", "data", "records", "Results"] {
            let body = format!(r#"{{"status":"COMPLETED","{key}":[{{"email":"a@b.co","status":"valid"}}]}}"#);
            match results(&body, JobType::EmailValidation).records {
                ResultRecords::EmailValidation(list) => assert_eq!(list.len(), 1, "{key}"),
                other => panic!("{other:?}"),
            }
        }
        // A job wrapped in a `data` object.
        let wrapped = results(
            r#"{"data":{"status":"completed","results":[{"email":"a@b.co"}]}}"#,
            JobType::EmailValidation,
        );
        assert_eq!(wrapped.job.status, JobStatus::Completed);
        assert!(matches!(wrapped.records, ResultRecords::EmailValidation(ref l) if l.len() == 1));
    }

    #[test]
    fn unknown_fields_and_values_are_kept_never_fatal() {
        let body = r#"{"status":"COMPLETED","newTopLevel":{"x":1},"results":[
            {"email":"a@b.co","status":"greylisted","verified":"yes","reason":null,"score":9,"nested":{"k":[1,2]}},
            {"Email_Address":"c@d.co","RESULT":"catch-all","is_verified":false},
            "e@f.co",
            42
        ]}"#;
        let ResultRecords::EmailValidation(list) = results(body, JobType::EmailValidation).records else {
            panic!()
        };
        assert_eq!(list.len(), 4);
        assert_eq!(list[0].status, Some(EmailStatus::Other("greylisted".into())));
        assert_eq!(list[0].verified, Some(true));
        assert_eq!(list[0].reason, None);
        assert_eq!(
            list[0].raw,
            r#"{"email":"a@b.co","status":"greylisted","verified":"yes","reason":null,"score":9,"nested":{"k":[1,2]}}"#
        );
        assert_eq!(list[1].email.as_deref(), Some("c@d.co"));
        assert_eq!(list[1].status, Some(EmailStatus::CatchAll));
        assert_eq!(list[1].verified, Some(false));
        assert_eq!(list[2].email.as_deref(), Some("e@f.co"));
        assert_eq!((list[3].email.as_ref(), list[3].raw.as_str()), (None, "42"));
    }

    #[test]
    fn finder_and_scan_records_are_typed() {
        let body = r#"{"status":"COMPLETED","results":[
            {"firstName":"Arseniy","last_name":"Grusha","website":"https://dataprana.io","email":"arseniy@dataprana.io","confidence":"97"},
            {"firstName":"Nobody","lastName":"Here","website":"https://nowhere.example","email":null,"confidence":null}]}"#;
        let ResultRecords::EmailFinder(list) = results(body, JobType::EmailFinder).records else {
            panic!()
        };
        assert_eq!(list[0].last_name.as_deref(), Some("Grusha"));
        assert_eq!(list[0].email.as_deref(), Some("arseniy@dataprana.io"));
        assert_eq!(list[0].confidence, Some(97.0));
        assert_eq!((list[1].email.as_ref(), list[1].confidence), (None, None));

        let body = r#"{"status":"COMPLETED","results":[{"website":"https://acme.com","domain":"acme.com",
            "emails":[{"email":"info@acme.com","type":"generic","verified":true},"press@acme.com",{"kind":"no address"}]}]}"#;
        let ResultRecords::DomainScan(list) = results(body, JobType::DomainScan).records else {
            panic!()
        };
        assert_eq!(list[0].domain.as_deref(), Some("acme.com"));
        assert_eq!(list[0].emails.len(), 2);
        assert_eq!(list[0].emails[0].kind.as_deref(), Some("generic"));
        assert_eq!(
            list[0].emails[1],
            FoundEmail {
                email: "press@acme.com".into(),
                kind: None,
                verified: None
            }
        );
    }

    #[test]
    fn only_unreadable_bodies_are_decode_errors() {
        for body in [
            "",
            "<html>error</html>",
            r#"{"status":"COMPLETED","results":[1,2"#,
            r#"{"progress":5}"#,
            "[]",
        ] {
            assert!(
                matches!(
                    parse_results(body.as_bytes(), JobType::DomainScan, "j"),
                    Err(Error::Decode(_))
                ),
                "{body:?}"
            );
        }
        // Results without a status mean the job is done.
        let r = results(r#"{"results":[]}"#, JobType::DomainScan);
        assert_eq!(r.job.status, JobStatus::Completed);
        assert_eq!(r.job.id, "job-1");
    }

    #[test]
    fn paths_and_job_types() {
        assert_eq!(
            results_path(JobType::EmailValidation, "abc"),
            "/email-validation/results/abc"
        );
        assert_eq!(parse_job_type("EMAIL_FINDER"), Some(JobType::EmailFinder));
        assert_eq!(parse_job_type("domain-scan"), Some(JobType::DomainScan));
        assert_eq!(parse_job_type("phone"), None);
    }
}
