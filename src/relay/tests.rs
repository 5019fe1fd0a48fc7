//! The unit tests of `relay`.

use super::*;
use crate::{EmailValidationResult, Job};

const JOB: &str = "20f70187-b941-4bb0-b10f-599b025fc425";

fn body(job_type: &str, status: &str) -> String {
    format!(r#"{{"event":"job.completed","jobId":"{JOB}","jobType":"{job_type}","status":"{status}"}}"#)
}

#[test]
fn a_valid_webhook_is_relayed_and_an_unknown_type_ignored() {
    match triage(body("email-validation", "COMPLETED").as_bytes()) {
        Triage::Relay(JobType::EmailValidation, event) => assert_eq!(event.job_id, JOB),
        other => panic!("{other:?}"),
    }
    match triage(body("phone-finder", "COMPLETED").as_bytes()) {
        Triage::Ignore(event) => {
            assert_eq!(event.job_type_name, "phone-finder");
            let answer = Answer::ignored(&event);
            assert_eq!(answer.status, 200);
            let json: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
            assert_eq!(json["received"], true);
            assert!(json["ignored"].as_str().unwrap().contains("phone-finder"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_invalid_webhook_names_its_field_briefly() {
    let field = |body: &str| match triage(body.as_bytes()) {
        Triage::Invalid { field, .. } => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(field("not json"), "body");
    assert_eq!(field(&body("email-validation", "PENDING")), "status");
    assert_eq!(
        field(r#"{"event":"job.completed","jobType":"domain-scan","status":"FAILED"}"#),
        "jobId"
    );
    let long = format!(r#"{{"event":"{}"}}"#, "x".repeat(10_000));
    match triage(long.as_bytes()) {
        Triage::Invalid { field, message } => {
            assert_eq!(field, "event");
            assert!(
                message.chars().count() <= MAX_REASON_CHARS + 1,
                "{}",
                message.len()
            );
        }
        other => panic!("{other:?}"),
    }
    let answer = Answer::error(400, "jobId: is missing", Some("jobId"));
    assert_eq!(answer.body, br#"{"error":"jobId: is missing","field":"jobId"}"#);
}

#[test]
fn the_downstream_body_carries_the_raw_records_in_order() {
    let record = |raw: &str| EmailValidationResult {
        email: None,
        status: None,
        verified: None,
        reason: None,
        raw: raw.into(),
    };
    let results = JobResults {
        job: Job {
            id: JOB.into(),
            name: Some("Leads".into()),
            job_type: JobType::EmailValidation,
            status: JobStatus::Completed,
            progress: None,
        },
        records: ResultRecords::EmailValidation(vec![
            record(r#"{"email":"a@b.co","status":"valid","extra":{"k":[1,2]}}"#),
            record(r#""c@d.co""#),
            record("not json"),
        ]),
    };
    let body = downstream_body(JOB, JobType::EmailValidation, &results, &Redactor::default());
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "jobId": JOB,
            "jobName": "Leads",
            "jobType": "email-validation",
            "status": "COMPLETED",
            "results": [
                {"email": "a@b.co", "status": "valid", "extra": {"k": [1, 2]}},
                "c@d.co",
                "not json"
            ]
        })
    );
    // The raw text goes out byte for byte.
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains(r#"{"email":"a@b.co","status":"valid","extra":{"k":[1,2]}}"#)
    );
}

#[test]
fn the_key_never_goes_downstream_and_the_rest_goes_byte_for_byte() {
    let key = "k3y-5f3a9c";
    let redactor = Redactor::new(Some(key));
    let record = |raw: &str| EmailValidationResult {
        email: None,
        status: None,
        verified: None,
        reason: None,
        raw: raw.into(),
    };
    let results = JobResults {
        job: Job {
            id: JOB.into(),
            name: Some(format!("Leads {key}")),
            job_type: JobType::EmailValidation,
            status: JobStatus::Other(key.into()),
            progress: None,
        },
        records: ResultRecords::EmailValidation(vec![
            record(&format!(r#"{{"email":"{key}@x.co", "n":1.50}}"#)),
            record(r#"{"email":"a@b.co", "n":1.50}"#),
            record(&format!("not json {key}")),
        ]),
    };
    let job_id = format!("{JOB}{key}");
    let body = downstream_body(&job_id, JobType::EmailValidation, &results, &redactor);
    let text = String::from_utf8(body).unwrap();
    assert!(!text.contains(key), "{text}");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["jobId"], format!("{JOB}<redacted>"));
    assert_eq!(json["jobName"], "Leads <redacted>");
    assert_eq!(json["status"], "<redacted>");
    assert_eq!(json["results"][2], "not json <redacted>");
    // Only the strings that held the key changed.
    assert!(
        text.contains(r#"{"email":"<redacted>@x.co", "n":1.50}"#),
        "{text}"
    );
    assert!(text.contains(r#"{"email":"a@b.co", "n":1.50}"#), "{text}");

    // Without a key, nothing changes.
    let plain = downstream_body(&job_id, JobType::EmailValidation, &results, &Redactor::default());
    assert!(
        String::from_utf8(plain)
            .unwrap()
            .contains(&format!(r#""{key}@x.co""#))
    );
}

#[test]
fn answers_are_redacted_and_stay_json() {
    let key = "k3y-5f3a9c";
    let redactor = Redactor::new(Some(key));
    let answer = Answer::error(400, &format!("event: not {key:?}"), Some("event"));
    let body = redactor
        .json(std::str::from_utf8(&answer.body).unwrap())
        .into_owned();
    assert!(!body.contains(key), "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["error"], r#"event: not "<redacted>""#);
}
