//! JSON input: an array of records, or a document with one.
//!
//! - an array of strings (emails or URLs; `First,Last,https://site` for the
//!   email finder) or of objects (`{"email": …}`, `{"website": …}`,
//!   `{"firstName", "lastName", "website"}`, keys compared loosely);
//! - an object holding such an array under `"results"` or `"records"`: the
//!   document `run --json` prints and `-o results.json` writes, so that a
//!   job's results can go straight back in as the next job's input. When the
//!   document names its `jobType`, it must be the job's.

use serde_json::{Map, Value};

use crate::args::contact_from_str;
use crate::error::{InputError, error};
use crate::names::{FIRST_NAME, LAST_NAME, WEBSITE, camel, normalize, single_column_names};
use crate::records::{Contact, JobType, Records};

/// Records from JSON text, each with its place (`item [3]`, or
/// `results[3]` in a document).
pub fn from_json(job_type: JobType, text: &str) -> Result<(Records, Vec<String>), InputError> {
    let value: Value = serde_json::from_str(text).map_err(|e| InputError(format!("not valid JSON: {e}")))?;
    from_value(job_type, value)
}

/// Records from a JSON value already parsed (a workflow's payload, say),
/// read as [`from_json`] reads a file.
pub fn from_value(job_type: JobType, value: Value) -> Result<(Records, Vec<String>), InputError> {
    let (items, list) = match value {
        Value::Array(items) => (items, None),
        Value::Object(mut document) => {
            check_job_type(&document, job_type)?;
            let Some((list, items)) =
                ["results", "records"]
                    .into_iter()
                    .find_map(|key| match document.remove(key) {
                        Some(Value::Array(items)) => Some((key, items)),
                        _ => None,
                    })
            else {
                return error(
                    "expected a JSON array of records, or an object with one under \"results\" or \"records\"",
                );
            };
            (items, Some(list))
        }
        other => {
            return error(format!(
                "expected a JSON array of records, found {}",
                kind(&other)
            ));
        }
    };
    let place = |i: usize| match list {
        Some(list) => format!("{list}[{i}]"),
        None => format!("item [{i}]"),
    };
    let at = |i: usize, message: String| InputError(format!("{}: {message}", place(i)));
    let records = match job_type {
        JobType::DomainScan | JobType::EmailValidation => {
            let names = single_column_names(job_type);
            let mut values = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                values.push(match item {
                    Value::String(s) => s.trim().to_string(),
                    Value::Object(object) => object_field(object, names).map_err(|m| at(i, m))?,
                    other => return Err(at(i, format!("expected a string, found {}", kind(other)))),
                });
            }
            match job_type {
                JobType::DomainScan => Records::DomainScan(values),
                _ => Records::EmailValidation(values),
            }
        }
        JobType::EmailFinder => {
            let mut contacts = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                contacts.push(match item {
                    Value::String(s) => contact_from_str(s).map_err(|m| at(i, m))?,
                    Value::Object(object) => Contact {
                        first_name: object_field(object, FIRST_NAME).map_err(|m| at(i, m))?,
                        last_name: object_field(object, LAST_NAME).map_err(|m| at(i, m))?,
                        website: object_field(object, WEBSITE).map_err(|m| at(i, m))?,
                    },
                    other => {
                        return Err(at(
                            i,
                            format!(
                                "expected an object with firstName, lastName and website, found {}",
                                kind(other)
                            ),
                        ));
                    }
                });
            }
            Records::EmailFinder(contacts)
        }
    };
    let places = (0..records.len()).map(place).collect();
    Ok((records, places))
}

/// A document's `jobType`, when it has one, must be `job_type`: the results
/// of an email validation are not a domain scan's records.
fn check_job_type(document: &Map<String, Value>, job_type: JobType) -> Result<(), InputError> {
    match document.get("jobType") {
        Some(Value::String(named)) if named != job_type.as_str() => error(format!(
            "the document is a {named} job's, not {}: give it to `{named}`, or give the {} records",
            job_type.as_str(),
            job_type.as_str()
        )),
        _ => Ok(()),
    }
}

/// The string member of `object` whose normalised key is one of `names`,
/// the first name first (a domain scan's result has both `website` and
/// `domain`: the website is the record). The first name in `names` is the
/// one reported when none is found.
fn object_field(object: &Map<String, Value>, names: &[&str]) -> Result<String, String> {
    let found = names
        .iter()
        .find_map(|name| object.iter().find(|(key, _)| normalize(key) == *name));
    match found {
        Some((_, Value::String(s))) => Ok(s.trim().to_string()),
        Some((key, other)) => Err(format!("{key:?} must be a string, found {}", kind(other))),
        None => Err(format!("no {:?} field", camel(names[0]))),
    }
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
mod tests;
