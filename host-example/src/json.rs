//! Jobs and results as JSON documents, and back.
//!
//! One shape serves two readers: the `matchkraft` command prints it with
//! `--json`, and the job ledger stores it as a job's results, so that a job
//! completed by the webhook receiver prints exactly as if `run` had waited for
//! it. JSON uses the API's camelCase names; each result carries its record's
//! raw JSON under `"raw"`, parsed back into a value so that nothing the API sent
//! is lost.

use serde_json::{Value, json};

use crate::columns;
use crate::types::{
    DomainScanResult, EmailFinderResult, EmailStatus, EmailValidationResult, FoundEmail, Job, JobResults,
    JobStatus, JobType, ResultRecords,
};

/// A job as JSON: `{"jobId", "jobName", "jobType", "status", "progress"}`.
pub fn job_to_json(job: &Job) -> Value {
    json!({
        "jobId": job.id,
        "jobName": job.name,
        "jobType": job.job_type.as_str(),
        "status": job.status.as_str(),
        "progress": job.progress,
    })
}

/// A job and its results as one JSON object:
/// `{"jobId", "jobName", "jobType", "status", "results": [...]}`.
pub fn results_to_json(results: &JobResults) -> Value {
    let job = &results.job;
    json!({
        "jobId": job.id,
        "jobName": job.name,
        "jobType": job.job_type.as_str(),
        "status": job.status.as_str(),
        "results": result_values(&results.records),
    })
}

/// The document [`results_to_json`] made, read back into typed results (the
/// job's `progress` is not in the document, so it comes back `None`).
///
/// # Errors
///
/// A description of the first field that is not as [`results_to_json`]
/// writes it.
pub fn results_from_json(value: &Value) -> Result<JobResults, String> {
    let job_type: JobType = text(value, "jobType")?.parse().map_err(|e| format!("{e}"))?;
    let job = Job {
        id: text(value, "jobId")?.to_string(),
        name: optional_text(value, "jobName")?,
        job_type,
        status: job_status_from_str(text(value, "status")?),
        progress: None,
    };
    let list = value["results"].as_array().ok_or("\"results\" is not an array")?;
    let records = match job_type {
        JobType::EmailValidation => {
            ResultRecords::EmailValidation(list.iter().map(validation_from).collect::<Result<_, _>>()?)
        }
        JobType::EmailFinder => {
            ResultRecords::EmailFinder(list.iter().map(finder_from).collect::<Result<_, _>>()?)
        }
        JobType::DomainScan => {
            ResultRecords::DomainScan(list.iter().map(scan_from).collect::<Result<_, _>>()?)
        }
    };
    Ok(JobResults { job, records })
}

/// The status a word names: the inverse of [`JobStatus::as_str`]. A word this
/// client does not know is kept as `Other`.
pub fn job_status_from_str(word: &str) -> JobStatus {
    [
        JobStatus::Pending,
        JobStatus::Processing,
        JobStatus::Completed,
        JobStatus::Failed,
    ]
    .into_iter()
    .find(|status| status.as_str() == word)
    .unwrap_or_else(|| JobStatus::Other(word.to_string()))
}

/// The inverse of [`EmailStatus::as_str`].
fn email_status_from_str(word: &str) -> EmailStatus {
    [
        EmailStatus::Valid,
        EmailStatus::Invalid,
        EmailStatus::CatchAll,
        EmailStatus::Unknown,
        EmailStatus::Disposable,
        EmailStatus::SpamTrap,
        EmailStatus::Role,
    ]
    .into_iter()
    .find(|status| status.as_str() == word)
    .unwrap_or_else(|| EmailStatus::Other(word.to_string()))
}

/// Each record as an object with one key per column ([`crate::columns`]),
/// then its raw JSON under `"raw"`.
fn result_values(records: &ResultRecords) -> Vec<Value> {
    let columns = columns::columns(records.job_type());
    columns::rows(records)
        .into_iter()
        .map(|row| {
            let mut object = serde_json::Map::with_capacity(columns.len() + 1);
            for (column, value) in columns.iter().zip(row.values) {
                object.insert(column.key.to_string(), value_to_json(value));
            }
            object.insert("raw".to_string(), raw(row.raw));
            Value::Object(object)
        })
        .collect()
}

/// One column's value as JSON; a missing value is `null`.
fn value_to_json(value: columns::Value<'_>) -> Value {
    match value {
        columns::Value::Text(text) => json!(text),
        columns::Value::Flag(flag) => json!(flag),
        columns::Value::Number(number) => json!(number),
        columns::Value::Status(status) => json!(status.map(|s| s.as_str())),
        columns::Value::Emails(emails) => emails
            .iter()
            .map(|e| json!({"email": e.email, "kind": e.kind, "verified": e.verified}))
            .collect(),
    }
}

/// A record's raw JSON as a value; text that is not JSON stays a string.
fn raw(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

/// The inverse of [`raw`]: a string stays the text it was, anything else is
/// written back as compact JSON.
fn raw_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn validation_from(value: &Value) -> Result<EmailValidationResult, String> {
    Ok(EmailValidationResult {
        email: optional_text(value, "email")?,
        status: optional_text(value, "status")?.map(|s| email_status_from_str(&s)),
        verified: optional_bool(value, "verified")?,
        reason: optional_text(value, "reason")?,
        raw: raw_text(&value["raw"]),
    })
}

fn finder_from(value: &Value) -> Result<EmailFinderResult, String> {
    Ok(EmailFinderResult {
        first_name: optional_text(value, "firstName")?,
        last_name: optional_text(value, "lastName")?,
        website: optional_text(value, "website")?,
        email: optional_text(value, "email")?,
        confidence: match &value["confidence"] {
            Value::Null => None,
            number => Some(number.as_f64().ok_or("\"confidence\" is not a number")?),
        },
        raw: raw_text(&value["raw"]),
    })
}

fn scan_from(value: &Value) -> Result<DomainScanResult, String> {
    let emails = value["emails"]
        .as_array()
        .ok_or("\"emails\" is not an array")?
        .iter()
        .map(|e| {
            Ok(FoundEmail {
                email: text(e, "email")?.to_string(),
                kind: optional_text(e, "kind")?,
                verified: optional_bool(e, "verified")?,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(DomainScanResult {
        website: optional_text(value, "website")?,
        domain: optional_text(value, "domain")?,
        emails,
        raw: raw_text(&value["raw"]),
    })
}

fn text<'a>(value: &'a Value, field: &str) -> Result<&'a str, String> {
    value[field]
        .as_str()
        .ok_or_else(|| format!("{field:?} is not a string"))
}

fn optional_text(value: &Value, field: &str) -> Result<Option<String>, String> {
    match &value[field] {
        Value::Null => Ok(None),
        Value::String(text) => Ok(Some(text.clone())),
        _ => Err(format!("{field:?} is not a string")),
    }
}

fn optional_bool(value: &Value, field: &str) -> Result<Option<bool>, String> {
    match &value[field] {
        Value::Null => Ok(None),
        Value::Bool(flag) => Ok(Some(*flag)),
        _ => Err(format!("{field:?} is not true or false")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(job_type: JobType, status: JobStatus) -> Job {
        Job {
            id: "job-1".into(),
            name: Some("my job".into()),
            job_type,
            status,
            progress: None,
        }
    }

    fn validation() -> ResultRecords {
        ResultRecords::EmailValidation(vec![
            EmailValidationResult {
                email: Some("ada@example.com".into()),
                status: Some(EmailStatus::Valid),
                verified: Some(true),
                reason: None,
                raw: r#"{"email":"ada@example.com","status":"VALID","score":99}"#.into(),
            },
            EmailValidationResult {
                email: Some("x@catchall.example".into()),
                status: Some(EmailStatus::CatchAll),
                verified: Some(false),
                reason: Some("accepts\nall".into()),
                raw: "not json".into(),
            },
        ])
    }

    #[test]
    fn results_json_shape() {
        let results = JobResults {
            job: job(JobType::EmailValidation, JobStatus::Completed),
            records: validation(),
        };
        let value = results_to_json(&results);
        assert_eq!(
            value,
            json!({
                "jobId": "job-1",
                "jobName": "my job",
                "jobType": "email-validation",
                "status": "completed",
                "results": [
                    {
                        "email": "ada@example.com",
                        "status": "valid",
                        "verified": true,
                        "reason": null,
                        "raw": {"email": "ada@example.com", "status": "VALID", "score": 99},
                    },
                    {
                        "email": "x@catchall.example",
                        "status": "catch-all",
                        "verified": false,
                        "reason": "accepts\nall",
                        "raw": "not json",
                    },
                ],
            })
        );
        // Keys come out in the documented order.
        let text = value.to_string();
        let order: Vec<usize> = [
            "\"jobId\"",
            "\"jobName\"",
            "\"jobType\"",
            "\"status\"",
            "\"results\"",
        ]
        .iter()
        .map(|k| text.find(k).unwrap())
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    }

    #[test]
    fn finder_and_scan_json_fields_are_camel_case() {
        let finder = result_values(&ResultRecords::EmailFinder(vec![EmailFinderResult {
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
            website: Some("https://example.com".into()),
            email: None,
            confidence: Some(87.5),
            raw: r#"{"firstName":"Ada"}"#.into(),
        }]));
        assert_eq!(
            finder[0],
            json!({
                "firstName": "Ada",
                "lastName": "Lovelace",
                "website": "https://example.com",
                "email": null,
                "confidence": 87.5,
                "raw": {"firstName": "Ada"},
            })
        );
        let scan = result_values(&ResultRecords::DomainScan(vec![DomainScanResult {
            website: None,
            domain: Some("example.com".into()),
            emails: vec![FoundEmail {
                email: "info@example.com".into(),
                kind: Some("generic".into()),
                verified: Some(false),
            }],
            raw: "{}".into(),
        }]));
        assert_eq!(
            scan[0],
            json!({
                "website": null,
                "domain": "example.com",
                "emails": [{"email": "info@example.com", "kind": "generic", "verified": false}],
                "raw": {},
            })
        );
    }

    #[test]
    fn job_json_names_every_field() {
        let mut j = job(JobType::DomainScan, JobStatus::Other("QUEUED".into()));
        j.progress = Some(40.0);
        assert_eq!(
            job_to_json(&j),
            json!({"jobId": "job-1", "jobName": "my job", "jobType": "domain-scan",
                   "status": "QUEUED", "progress": 40.0})
        );
    }

    /// What the ledger stores comes back as the results that were stored.
    #[test]
    fn results_round_trip_for_every_job_type() {
        let cases = [
            validation(),
            ResultRecords::EmailFinder(vec![EmailFinderResult {
                first_name: Some("Ada".into()),
                last_name: None,
                website: Some("https://example.com".into()),
                email: Some("ada@example.com".into()),
                confidence: Some(97.0),
                raw: r#"{"firstName":"Ada","confidence":97.0}"#.into(),
            }]),
            ResultRecords::DomainScan(vec![DomainScanResult {
                website: Some("https://example.com".into()),
                domain: None,
                emails: vec![FoundEmail {
                    email: "info@example.com".into(),
                    kind: None,
                    verified: Some(true),
                }],
                raw: r#"{"website":"https://example.com"}"#.into(),
            }]),
            ResultRecords::EmailValidation(vec![EmailValidationResult {
                email: None,
                status: Some(EmailStatus::Other("greylisted".into())),
                verified: None,
                reason: None,
                raw: "{}".into(),
            }]),
        ];
        for records in cases {
            let results = JobResults {
                job: job(records.job_type(), JobStatus::Completed),
                records,
            };
            let back = results_from_json(&results_to_json(&results)).unwrap();
            assert_eq!(back, results);
        }
    }

    #[test]
    fn a_document_of_another_shape_is_refused_with_the_field() {
        let error =
            results_from_json(&json!({"jobId": "j", "jobType": "email-finder", "status": "completed"}))
                .unwrap_err();
        assert!(error.contains("results"), "{error}");
        let error =
            results_from_json(&json!({"jobId": "j", "jobType": "fax", "status": "completed", "results": []}))
                .unwrap_err();
        assert!(error.contains("fax"), "{error}");
    }

    #[test]
    fn statuses_read_back() {
        for status in [
            JobStatus::Pending,
            JobStatus::Completed,
            JobStatus::Other("QUEUED".into()),
        ] {
            assert_eq!(job_status_from_str(status.as_str()), status);
        }
        assert_eq!(email_status_from_str("spam-trap"), EmailStatus::SpamTrap);
    }
}
