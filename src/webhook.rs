//! The `job.completed` webhook: parse, validate, never trust.
//!
//! A webhook endpoint is reachable by anyone who learns its URL, so a body is
//! accepted only when every field is what the API documents:
//! `{"event": "job.completed", "jobId": "…", "jobType": "…", "status": "COMPLETED" | "FAILED"}`.
//! Unknown extra fields are ignored; an unknown job type is kept by name so a
//! receiver can acknowledge it and move on.

use crate::error::invalid_input;
use crate::{Error, JobStatus, WebhookEvent, validate, wire};
use serde::Deserialize;

/// The only event the API documents.
pub const JOB_COMPLETED: &str = "job.completed";

/// Largest webhook body accepted; the documented payload is about 150 bytes.
/// (Public so that a receiver can stop reading a body past it.)
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    event: Option<serde_json::Value>,
    job_id: Option<serde_json::Value>,
    job_type: Option<serde_json::Value>,
    status: Option<serde_json::Value>,
}

/// Parses and validates a webhook body.
pub fn parse(body: &[u8]) -> Result<WebhookEvent, Error> {
    if body.len() > MAX_BODY_BYTES {
        return Err(invalid_input(
            None,
            "body",
            format!("the body is larger than {MAX_BODY_BYTES} bytes"),
        ));
    }
    let payload: Payload = serde_json::from_slice(body)
        .map_err(|e| invalid_input(None, "body", format!("the body is not a JSON object: {e}")))?;

    let event = required_text(payload.event, "event")?;
    if event != JOB_COMPLETED {
        return Err(invalid_input(
            None,
            "event",
            format!("expected {JOB_COMPLETED:?}, got {event:?}"),
        ));
    }
    let job_id = required_text(payload.job_id, "jobId")?;
    validate::job_id(&job_id)
        .map_err(|_| invalid_input(None, "jobId", format!("{job_id:?} is not a well-formed job id")))?;
    let job_type_name = required_text(payload.job_type, "jobType")?;
    let status_text = required_text(payload.status, "status")?;
    let status = match wire::parse_job_status(&status_text) {
        status @ (JobStatus::Completed | JobStatus::Failed) => status,
        _ => {
            return Err(invalid_input(
                None,
                "status",
                format!("expected COMPLETED or FAILED, got {status_text:?}"),
            ));
        }
    };
    Ok(WebhookEvent {
        event,
        job_id,
        job_type: wire::parse_job_type(&job_type_name),
        job_type_name,
        status,
    })
}

fn required_text(value: Option<serde_json::Value>, field: &str) -> Result<String, Error> {
    match value {
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(serde_json::Value::String(_)) => Err(invalid_input(None, field, "is blank")),
        None | Some(serde_json::Value::Null) => Err(invalid_input(None, field, "is missing")),
        Some(_) => Err(invalid_input(None, field, "is not a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::JobType;

    fn field_of(body: &str) -> String {
        match parse(body.as_bytes()) {
            Err(Error::PermanentInvalidInput(e)) => e.field,
            other => panic!("expected invalid input for {body}, got {other:?}"),
        }
    }

    #[test]
    fn parses_the_documented_payload() {
        let event = parse(br#"{"event":"job.completed","jobId":"20f70187-b941-4bb0-b10f-599b025fc425","jobType":"email-validation","status":"COMPLETED","extra":1}"#).unwrap();
        assert_eq!(event.job_id, "20f70187-b941-4bb0-b10f-599b025fc425");
        assert_eq!(event.job_type, Some(JobType::EmailValidation));
        assert_eq!(event.status, JobStatus::Completed);
        let failed =
            parse(br#"{"event":"job.completed","jobId":"a1","jobType":"domain-scan","status":"failed"}"#)
                .unwrap();
        assert_eq!(failed.status, JobStatus::Failed);
    }

    #[test]
    fn keeps_unknown_job_types_by_name() {
        let event =
            parse(br#"{"event":"job.completed","jobId":"a1","jobType":"phone-finder","status":"COMPLETED"}"#)
                .unwrap();
        assert_eq!(event.job_type, None);
        assert_eq!(event.job_type_name, "phone-finder");
    }

    #[test]
    fn names_the_wrong_field() {
        assert_eq!(field_of("not json"), "body");
        assert_eq!(field_of("[]"), "body");
        assert_eq!(
            field_of(r#"{"jobId":"a1","jobType":"domain-scan","status":"COMPLETED"}"#),
            "event"
        );
        assert_eq!(
            field_of(r#"{"event":"job.started","jobId":"a1","jobType":"domain-scan","status":"COMPLETED"}"#),
            "event"
        );
        assert_eq!(
            field_of(r#"{"event":"job.completed","jobType":"domain-scan","status":"COMPLETED"}"#),
            "jobId"
        );
        assert_eq!(
            field_of(
                r#"{"event":"job.completed","jobId":"../x","jobType":"domain-scan","status":"COMPLETED"}"#
            ),
            "jobId"
        );
        assert_eq!(
            field_of(r#"{"event":"job.completed","jobId":7,"jobType":"domain-scan","status":"COMPLETED"}"#),
            "jobId"
        );
        assert_eq!(
            field_of(r#"{"event":"job.completed","jobId":"a1","status":"COMPLETED"}"#),
            "jobType"
        );
        assert_eq!(
            field_of(r#"{"event":"job.completed","jobId":"a1","jobType":"domain-scan","status":"PENDING"}"#),
            "status"
        );
        let huge = format!(r#"{{"event":"{}"}}"#, "x".repeat(MAX_BODY_BYTES));
        assert_eq!(field_of(&huge), "body");
    }
}
