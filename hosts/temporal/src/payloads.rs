//! The activities' JSON payloads, read and written by hand so that a
//! payload from any Temporal SDK gets a clear, typed failure rather than a
//! retried deserialisation error.
//!
//! - `matchkraft.submit` `{"jobName", "jobType", "records"}` → the job
//! - `matchkraft.status` `{"jobType", "jobId"}` → the job
//! - `matchkraft.results` `{"jobType", "jobId", "offset"?, "limit"?}` → the results document
//! - `matchkraft.wait` `{"jobType", "jobId", "timeoutMs"}` → the results document
//!
//! Records use the shape the `matchkraft` command reads with `--input` (a
//! JSON array of strings, or of objects with `email` / `website` /
//! `firstName`, `lastName`, `website`); the job and the results document are
//! `matchkraft_host::json`'s, which `matchkraft run --json` prints.

use matchkraft_host::{JobType, Records};
use serde_json::{Map, Value};

/// A payload that is not what the activity takes: becomes the
/// non-retryable `permanent-invalid-input` failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadPayload(pub(crate) String);

type Result<T> = std::result::Result<T, BadPayload>;

/// `matchkraft.submit`'s input.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SubmitInput {
    pub(crate) job_name: String,
    pub(crate) records: Records,
}

/// `matchkraft.status`' and `matchkraft.results`' input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JobRef {
    pub(crate) job_type: JobType,
    pub(crate) job_id: String,
}

/// A page of results: `matchkraft.results` with `offset` and/or `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Page {
    pub(crate) offset: usize,
    pub(crate) limit: Option<usize>,
}

/// `matchkraft.wait`'s input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WaitInput {
    pub(crate) job: JobRef,
    pub(crate) timeout_ms: u64,
}

fn object(value: &Value) -> Result<&Map<String, Value>> {
    value
        .as_object()
        .ok_or_else(|| BadPayload(format!("expected a JSON object, found {}", kind(value))))
}

fn string<'a>(object: &'a Map<String, Value>, key: &str) -> Result<&'a str> {
    match object.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(BadPayload(format!(
            "\"{key}\" must be a string, found {}",
            kind(other)
        ))),
        None => Err(BadPayload(format!("no \"{key}\" field"))),
    }
}

fn optional_count(object: &Map<String, Value>, key: &str) -> Result<Option<usize>> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| BadPayload(format!("\"{key}\" must be a whole number ≥ 0, found {n}"))),
        Some(other) => Err(BadPayload(format!(
            "\"{key}\" must be a number, found {}",
            kind(other)
        ))),
    }
}

fn job_type(object: &Map<String, Value>) -> Result<JobType> {
    string(object, "jobType")?
        .parse()
        .map_err(|e| BadPayload(format!("\"jobType\": {e}")))
}

impl SubmitInput {
    pub(crate) fn from_json(value: &Value) -> Result<SubmitInput> {
        let object = object(value)?;
        let job_name = string(object, "jobName")?.to_string();
        let job_type = job_type(object)?;
        let records = records_from_json(job_type, object.get("records").unwrap_or(&Value::Null))?;
        Ok(SubmitInput { job_name, records })
    }
}

impl JobRef {
    pub(crate) fn from_json(value: &Value) -> Result<JobRef> {
        let object = object(value)?;
        Ok(JobRef {
            job_type: job_type(object)?,
            job_id: string(object, "jobId")?.to_string(),
        })
    }
}

impl Page {
    /// The page asked for, or `None` for the whole document.
    pub(crate) fn from_json(value: &Value) -> Result<Option<Page>> {
        let object = object(value)?;
        let offset = optional_count(object, "offset")?;
        let limit = optional_count(object, "limit")?;
        if offset.is_none() && limit.is_none() {
            return Ok(None);
        }
        if limit == Some(0) {
            return Err(BadPayload("\"limit\" must be at least 1".into()));
        }
        Ok(Some(Page {
            offset: offset.unwrap_or(0),
            limit,
        }))
    }

    /// Cuts a results document down to this page, and says where the next
    /// page starts: adds `"offset"`, `"total"` and `"nextOffset"` (`null`
    /// after the last page).
    pub(crate) fn apply(self, mut document: Value) -> Value {
        let Some(object) = document.as_object_mut() else {
            return document;
        };
        let all = match object.remove("results") {
            Some(Value::Array(all)) => all,
            _ => Vec::new(),
        };
        let total = all.len();
        let start = self.offset.min(total);
        let end = self
            .limit
            .map_or(total, |limit| start.saturating_add(limit).min(total));
        let page: Vec<Value> = all.into_iter().skip(start).take(end - start).collect();
        object.insert("offset".into(), Value::from(start));
        object.insert("total".into(), Value::from(total));
        object.insert(
            "nextOffset".into(),
            if end < total {
                Value::from(end)
            } else {
                Value::Null
            },
        );
        object.insert("results".into(), Value::Array(page));
        document
    }
}

impl WaitInput {
    /// Without `timeoutMs`, waits `default_timeout_ms`.
    pub(crate) fn from_json(value: &Value, default_timeout_ms: u64) -> Result<WaitInput> {
        let job = JobRef::from_json(value)?;
        let timeout_ms =
            optional_count(object(value)?, "timeoutMs")?.map_or(default_timeout_ms, |ms| ms as u64);
        Ok(WaitInput { job, timeout_ms })
    }
}

/// Records in the `--input` JSON shape, read by the command's own reader
/// (`matchkraft-input`). Values are trimmed, as the command does; whether an
/// email or a URL is valid is the component's judgement.
pub(crate) fn records_from_json(job_type: JobType, value: &Value) -> Result<Records> {
    if !value.is_array() {
        return Err(BadPayload(format!(
            "\"records\" must be a JSON array, found {}",
            kind(value)
        )));
    }
    let (records, _places) = matchkraft_input::json::from_value(job_type.into(), value.clone())
        .map_err(|e| BadPayload(format!("records: {e}")))?;
    Ok(records.into())
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn submit_takes_the_input_shapes_of_the_command() {
        let input = SubmitInput::from_json(&json!({
            "jobName": "leads",
            "jobType": "email-finder",
            "records": [
                {"firstName": "Ada", "lastName": "Lovelace", "website": "https://example.com"},
                {"first_name": " Alan ", "Last Name": "Turing", "Company Website": "x"},
                "Grace,Hopper,https://navy.mil"
            ]
        }))
        .unwrap();
        assert_eq!(input.job_name, "leads");
        let Records::EmailFinder(contacts) = input.records else {
            panic!("not email-finder")
        };
        assert_eq!(contacts.len(), 3);
        assert_eq!(contacts[1].first_name, "Alan");
        assert_eq!(contacts[2].website, "https://navy.mil");

        let input = SubmitInput::from_json(&json!({
            "jobName": "v", "jobType": "email-validation",
            "records": ["a@b.c", {"email": "d@e.f"}]
        }))
        .unwrap();
        assert_eq!(
            input.records,
            Records::EmailValidation(vec!["a@b.c".into(), "d@e.f".into()])
        );
    }

    #[test]
    fn bad_payloads_say_what_is_wrong() {
        let cases = [
            (json!([]), "expected a JSON object"),
            (
                json!({"jobType": "email-validation", "records": []}),
                "no \"jobName\"",
            ),
            (
                json!({"jobName": "x", "jobType": "email", "records": []}),
                "unknown job type",
            ),
            (
                json!({"jobName": "x", "jobType": "domain-scan", "records": "a"}),
                "must be a JSON array",
            ),
            (
                json!({"jobName": "x", "jobType": "domain-scan", "records": [1]}),
                "records: item [0]: expected a string",
            ),
            (
                json!({"jobName": "x", "jobType": "email-finder", "records": [{"firstName": "a"}]}),
                "no \"lastName\"",
            ),
        ];
        for (value, expected) in cases {
            let error = SubmitInput::from_json(&value).unwrap_err().0;
            assert!(error.contains(expected), "{value}: {error}");
        }
    }

    #[test]
    fn wait_and_pages_read_their_numbers() {
        let wait = WaitInput::from_json(&json!({"jobType": "domain-scan", "jobId": "j"}), 5).unwrap();
        assert_eq!(wait.timeout_ms, 5);
        let wait = WaitInput::from_json(
            &json!({"jobType": "domain-scan", "jobId": "j", "timeoutMs": 70}),
            5,
        )
        .unwrap();
        assert_eq!(wait.timeout_ms, 70);
        assert!(
            WaitInput::from_json(
                &json!({"jobType": "domain-scan", "jobId": "j", "timeoutMs": -1}),
                5
            )
            .is_err()
        );

        assert_eq!(Page::from_json(&json!({"jobType": "x"})).unwrap(), None);
        assert!(Page::from_json(&json!({"limit": 0})).is_err());
        assert_eq!(
            Page::from_json(&json!({"limit": 2})).unwrap(),
            Some(Page {
                offset: 0,
                limit: Some(2)
            })
        );
    }

    #[test]
    fn a_page_says_where_the_next_one_starts() {
        let document = json!({"jobId": "j", "results": [1, 2, 3, 4, 5]});
        let page = Page {
            offset: 1,
            limit: Some(2),
        }
        .apply(document.clone());
        assert_eq!(page["results"], json!([2, 3]));
        assert_eq!(page["total"], 5);
        assert_eq!(page["nextOffset"], 3);
        let last = Page {
            offset: 3,
            limit: Some(10),
        }
        .apply(document.clone());
        assert_eq!(last["results"], json!([4, 5]));
        assert_eq!(last["nextOffset"], Value::Null);
        let past = Page {
            offset: 9,
            limit: None,
        }
        .apply(document);
        assert_eq!(past["results"], json!([]));
        assert_eq!(past["offset"], 5);
    }
}
