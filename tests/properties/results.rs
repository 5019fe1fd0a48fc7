//! Results bodies (`wire::parse_results`, `parse_job`) and the status names:
//! valid results bodies, and what they must parse to; near misses.

use matchkraft_component::{EmailStatus, FoundEmail, Job, JobStatus, JobType, ResultRecords, wire};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::TestCaseError;
use serde_json::{Map, Value, json};

use crate::all_parsers::{check_all_parsers, check_unreadable};
use crate::damage::{Damage, damage, damage_field, damaged_bytes};
use crate::json::{Fields, VALUE_WORDS, json_value, to_bytes};
use crate::oracle::{expected_email_status, expected_job_status, expected_job_type, normalized};
use crate::text::{any_case, any_char, any_spelling, any_text, extra_key};
use crate::{JOB_TYPES, fail};

/// What one generated record must parse to.
#[derive(Clone, Debug)]
enum Expect {
    Validation {
        email: String,
        status: Option<EmailStatus>,
        verified: Option<bool>,
        reason: Option<String>,
    },
    Finder {
        first_name: String,
        last_name: String,
        website: String,
        email: Option<String>,
        confidence: Option<f64>,
    },
    Scan {
        website: String,
        domain: Option<String>,
        emails: Vec<FoundEmail>,
    },
    /// A bare string: the record's subject (its email or website).
    Subject(String),
    /// Any other JSON: only its place and its raw text are checked.
    Opaque,
}

/// An object of `fields` plus `extras`, in random order.
fn object(fields: Fields, extras: Fields, expect: Expect) -> BoxedStrategy<(Value, Expect)> {
    let all: Fields = fields.into_iter().chain(extras).collect();
    (Just(all).prop_shuffle(), Just(expect))
        .prop_map(|(fields, expect)| (Value::Object(fields.into_iter().collect()), expect))
        .boxed()
}

fn extras() -> BoxedStrategy<Fields> {
    vec((extra_key(), json_value(true)), 0..3).boxed()
}

const VERDICTS: &[&str] = &[
    "valid",
    "deliverable",
    "invalid",
    "undeliverable",
    "catch-all",
    "catch_all",
    "catchall",
    "accept-all",
    "unknown",
    "disposable",
    "spam-trap",
    "spamtrap",
    "role",
    "role-account",
    "role_based",
];

fn verdict_text() -> BoxedStrategy<String> {
    prop_oneof![3 => select(VERDICTS).prop_flat_map(any_case), 1 => any_text(12)].boxed()
}

fn validation_record() -> BoxedStrategy<(Value, Expect)> {
    (
        any_spelling("email"),
        any_text(30),
        option::of((any_spelling("status"), verdict_text())),
        option::of((any_spelling("verified"), any::<bool>())),
        option::of((any_spelling("reason"), option::of(any_text(20)))),
        extras(),
    )
        .prop_flat_map(|(email_key, email, status, verified, reason, extras)| {
            let mut fields = vec![(email_key, Value::from(email.as_str()))];
            fields.extend(status.clone().map(|(k, v)| (k, Value::from(v))));
            fields.extend(verified.clone().map(|(k, v)| (k, Value::from(v))));
            fields.extend(
                reason
                    .clone()
                    .map(|(k, v)| (k, v.map_or(Value::Null, Value::from))),
            );
            let expect = Expect::Validation {
                email,
                status: status.map(|(_, s)| expected_email_status(&s)),
                verified: verified.map(|(_, v)| v),
                reason: reason.and_then(|(_, r)| r),
            };
            object(fields, extras, expect)
        })
        .boxed()
}

/// A confidence as the API may write it (`87`, `"87"`, `"87%"`), and its value.
fn confidence() -> BoxedStrategy<(Value, f64)> {
    (0u8..=100, 0..4)
        .prop_map(|(n, form)| {
            let value = match form {
                0 => Value::from(n),
                1 => Value::from(n.to_string()),
                2 => Value::from(format!("{n}%")),
                _ => Value::from(format!(" {n} % ")),
            };
            (value, f64::from(n))
        })
        .boxed()
}

fn finder_record() -> BoxedStrategy<(Value, Expect)> {
    (
        (any_spelling("firstName"), any_text(20)),
        (any_spelling("lastName"), any_text(20)),
        (any_spelling("website"), any_text(30)),
        (any_spelling("email"), option::of(any_text(30))),
        option::of((any_spelling("confidence"), confidence())),
        extras(),
    )
        .prop_flat_map(|(first, last, website, email, confidence, extras)| {
            let mut fields = vec![
                (first.0, Value::from(first.1.as_str())),
                (last.0, Value::from(last.1.as_str())),
                (website.0, Value::from(website.1.as_str())),
                (email.0, email.1.clone().map_or(Value::Null, Value::from)),
            ];
            fields.extend(confidence.clone().map(|(k, (v, _))| (k, v)));
            let expect = Expect::Finder {
                first_name: first.1,
                last_name: last.1,
                website: website.1,
                email: email.1,
                confidence: confidence.map(|(_, (_, n))| n),
            };
            object(fields, extras, expect)
        })
        .boxed()
}

/// One entry of a scanned site's `emails`, and what it must parse to.
fn found_email() -> BoxedStrategy<(Value, Option<FoundEmail>)> {
    prop_oneof![
        any_text(20).prop_map(|email| (
            Value::from(email.as_str()),
            Some(FoundEmail {
                email,
                kind: None,
                verified: None
            })
        )),
        (
            any_spelling("email"),
            any_text(20),
            option::of((any_spelling("type"), any_text(10))),
            option::of((any_spelling("verified"), any::<bool>())),
        )
            .prop_map(|(key, email, kind, verified)| {
                let mut fields = Map::new();
                fields.insert(key, Value::from(email.as_str()));
                if let Some((k, v)) = &kind {
                    fields.insert(k.clone(), Value::from(v.as_str()));
                }
                if let Some((k, v)) = &verified {
                    fields.insert(k.clone(), Value::from(*v));
                }
                let found = FoundEmail {
                    email,
                    kind: kind.map(|(_, v)| v),
                    verified: verified.map(|(_, v)| v),
                };
                (Value::Object(fields), Some(found))
            }),
        // Entries without an address are dropped.
        (any_spelling("kind"), any_text(10)).prop_map(|(k, v)| (json!({ k: v }), None)),
        any::<i64>().prop_map(|n| (Value::from(n), None)),
    ]
    .boxed()
}

fn scan_record() -> BoxedStrategy<(Value, Expect)> {
    (
        (any_spelling("website"), any_text(30)),
        option::of((any_spelling("domain"), any_text(20))),
        option::of((any_spelling("emails"), vec(found_email(), 0..4))),
        extras(),
    )
        .prop_flat_map(|(website, domain, emails, extras)| {
            let mut fields = vec![(website.0, Value::from(website.1.as_str()))];
            fields.extend(domain.clone().map(|(k, v)| (k, Value::from(v))));
            let mut found = Vec::new();
            if let Some((key, list)) = emails {
                let (values, expected): (Vec<Value>, Vec<Option<FoundEmail>>) = list.into_iter().unzip();
                fields.push((key, Value::Array(values)));
                found = expected.into_iter().flatten().collect();
            }
            let expect = Expect::Scan {
                website: website.1,
                domain: domain.map(|(_, v)| v),
                emails: found,
            };
            object(fields, extras, expect)
        })
        .boxed()
}

/// A record of `job_type`: mostly a typed object, sometimes a bare string or
/// any JSON at all (which must be passed on, never refused).
fn result_record(job_type: JobType) -> BoxedStrategy<(Value, Expect)> {
    let typed = match job_type {
        JobType::EmailValidation => validation_record(),
        JobType::EmailFinder => finder_record(),
        JobType::DomainScan => scan_record(),
    };
    prop_oneof![
        6 => typed,
        1 => any_text(20).prop_map(|s| (Value::from(s.as_str()), Expect::Subject(s))),
        1 => json_value(true).prop_map(|v| (v, Expect::Opaque)),
    ]
    .boxed()
}

const JOB_STATUSES: &[&str] = &["pending", "processing", "completed", "failed"];

fn job_status_text() -> BoxedStrategy<String> {
    prop_oneof![3 => select(JOB_STATUSES).prop_flat_map(any_case), 1 => any_text(12)].boxed()
}

#[derive(Clone, Debug)]
struct ResultsCase {
    job_type: JobType,
    /// The id the caller asked for (the job's id when the body has none).
    job_id: String,
    doc: Map<String, Value>,
    pretty: bool,
    job: Job,
    records: Vec<Value>,
    expect: Vec<Expect>,
}

impl ResultsCase {
    fn body(&self) -> Vec<u8> {
        to_bytes(&Value::Object(self.doc.clone()), self.pretty)
    }
}

/// A valid results answer in one of the shapes the tolerant parser accepts.
fn results_case() -> BoxedStrategy<ResultsCase> {
    select(JOB_TYPES.to_vec())
        .prop_flat_map(|job_type| {
            (
                Just(job_type),
                vec(result_record(job_type), 0..6),
                option::of((
                    select(vec!["status", "state", "jobStatus"]).prop_flat_map(any_spelling),
                    job_status_text(),
                )),
                option::of((any_spelling("jobId"), any_text(20))),
                option::of((any_spelling("jobName"), any_text(20))),
                option::of((any_spelling("progress"), 0u8..=100)),
                select(vec!["results", "records", "data", "items"]).prop_flat_map(any_spelling),
                vec((extra_key(), json_value(true)), 0..3),
                any::<bool>(),
                any::<bool>(),
                "[A-Za-z0-9_-]{1,36}",
            )
        })
        .prop_map(
            |(job_type, records, status, id, name, progress, list_key, extras, wrap, pretty, job_id)| {
                let (records, expect): (Vec<Value>, Vec<Expect>) = records.into_iter().unzip();
                let mut fields = Map::new();
                if let Some((k, v)) = &status {
                    fields.insert(k.clone(), Value::from(v.as_str()));
                }
                if let Some((k, v)) = &id {
                    fields.insert(k.clone(), Value::from(v.as_str()));
                }
                if let Some((k, v)) = &name {
                    fields.insert(k.clone(), Value::from(v.as_str()));
                }
                if let Some((k, v)) = &progress {
                    fields.insert(k.clone(), Value::from(*v));
                }
                // A job wrapped in `data` keeps its list under another name.
                let wrap = wrap && normalized(&list_key) != "data";
                fields.insert(list_key, Value::Array(records.clone()));
                let mut doc = if wrap {
                    Map::from_iter([("data".to_string(), Value::Object(fields))])
                } else {
                    fields
                };
                doc.extend(extras);
                let job = Job {
                    id: id.map_or_else(|| job_id.clone(), |(_, v)| v),
                    name: name.map(|(_, v)| v),
                    job_type,
                    // Results without a status mean the job is done.
                    status: status.map_or(JobStatus::Completed, |(_, s)| expected_job_status(&s)),
                    progress: progress.map(|(_, p)| f64::from(p)),
                };
                ResultsCase {
                    job_type,
                    job_id,
                    doc,
                    pretty,
                    job,
                    records,
                    expect,
                }
            },
        )
        .boxed()
}

fn check_raw(raw: &str, input: &Value) -> Result<(), TestCaseError> {
    let back: Value = serde_json::from_str(raw).map_err(|e| fail(format!("raw {raw:?} is not JSON: {e}")))?;
    prop_assert_eq!(&back, input, "raw {:?}", raw);
    Ok(())
}

fn unexpected(expect: &Expect, job_type: JobType) -> TestCaseError {
    fail(format!("generator bug: {expect:?} for {job_type:?}"))
}

/// Checks a parse of `case`'s body against what the case says.
fn check_results(case: &ResultsCase, body: &[u8]) -> Result<(), TestCaseError> {
    let results = wire::parse_results(body, case.job_type, &case.job_id)
        .map_err(|e| fail(format!("a valid body was refused: {e:?}")))?;
    prop_assert_eq!(&results.job, &case.job);
    prop_assert_eq!(
        wire::parse_job(body, case.job_type, &case.job_id),
        Ok(case.job.clone())
    );
    let pairs = case.records.iter().zip(&case.expect);
    match &results.records {
        ResultRecords::EmailValidation(list) if case.job_type == JobType::EmailValidation => {
            prop_assert_eq!(list.len(), case.records.len());
            for (record, (input, expect)) in list.iter().zip(pairs) {
                check_raw(&record.raw, input)?;
                match expect {
                    Expect::Validation {
                        email,
                        status,
                        verified,
                        reason,
                    } => {
                        prop_assert_eq!(record.email.as_ref(), Some(email));
                        prop_assert_eq!(&record.status, status);
                        prop_assert_eq!(&record.verified, verified);
                        prop_assert_eq!(&record.reason, reason);
                    }
                    Expect::Subject(subject) => prop_assert_eq!(record.email.as_ref(), Some(subject)),
                    Expect::Opaque => {}
                    other => return Err(unexpected(other, case.job_type)),
                }
            }
        }
        ResultRecords::EmailFinder(list) if case.job_type == JobType::EmailFinder => {
            prop_assert_eq!(list.len(), case.records.len());
            for (record, (input, expect)) in list.iter().zip(pairs) {
                check_raw(&record.raw, input)?;
                match expect {
                    Expect::Finder {
                        first_name,
                        last_name,
                        website,
                        email,
                        confidence,
                    } => {
                        prop_assert_eq!(record.first_name.as_ref(), Some(first_name));
                        prop_assert_eq!(record.last_name.as_ref(), Some(last_name));
                        prop_assert_eq!(record.website.as_ref(), Some(website));
                        prop_assert_eq!(&record.email, email);
                        prop_assert_eq!(&record.confidence, confidence);
                    }
                    Expect::Subject(subject) => {
                        prop_assert_eq!(record.email.as_ref(), Some(subject));
                        prop_assert_eq!(record.website.as_ref(), Some(subject));
                    }
                    Expect::Opaque => {}
                    other => return Err(unexpected(other, case.job_type)),
                }
            }
        }
        ResultRecords::DomainScan(list) if case.job_type == JobType::DomainScan => {
            prop_assert_eq!(list.len(), case.records.len());
            for (record, (input, expect)) in list.iter().zip(pairs) {
                check_raw(&record.raw, input)?;
                match expect {
                    Expect::Scan {
                        website,
                        domain,
                        emails,
                    } => {
                        prop_assert_eq!(record.website.as_ref(), Some(website));
                        prop_assert_eq!(&record.domain, domain);
                        prop_assert_eq!(&record.emails, emails);
                    }
                    Expect::Subject(subject) => {
                        prop_assert_eq!(record.website.as_ref(), Some(subject));
                        prop_assert!(record.emails.is_empty());
                    }
                    Expect::Opaque => {}
                    other => return Err(unexpected(other, case.job_type)),
                }
            }
        }
        other => {
            return Err(fail(format!(
                "{:?} results came back as {other:?}",
                case.job_type
            )));
        }
    }
    // Read as another job type, the same body is just as acceptable.
    for job_type in JOB_TYPES {
        let other = wire::parse_results(body, job_type, &case.job_id)
            .map_err(|e| fail(format!("refused as {job_type:?}: {e:?}")))?;
        let count = match &other.records {
            ResultRecords::DomainScan(list) => list.len(),
            ResultRecords::EmailValidation(list) => list.len(),
            ResultRecords::EmailFinder(list) => list.len(),
        };
        prop_assert_eq!(count, case.records.len());
    }
    Ok(())
}

proptest! {
    #![proptest_config(crate::config())]

    // No parser panics, whatever it is given.

    #[test]
    fn near_miss_results_bodies_get_typed_answers(case in results_case(), damage in damage()) {
        let body = match &damage {
            Damage::Field(at, value) => {
                let mut doc = case.doc.clone();
                let key = damage_field(&mut doc, at, value.clone());
                let body = to_bytes(&Value::Object(doc), case.pretty);
                // A field that says neither the status nor where the results are
                // can be anything: it is read as absent, never as an error.
                let structural = ["status", "state", "jobstatus", "results", "records", "data", "items"];
                if !structural.contains(&normalized(&key).as_str()) {
                    let results = wire::parse_results(&body, case.job_type, &case.job_id)
                        .map_err(|e| fail(format!("damaging {key:?} made the body unreadable: {e:?}")))?;
                    prop_assert_eq!(&results.job.status, &case.job.status);
                    let count = match &results.records {
                        ResultRecords::DomainScan(list) => list.len(),
                        ResultRecords::EmailValidation(list) => list.len(),
                        ResultRecords::EmailFinder(list) => list.len(),
                    };
                    prop_assert_eq!(count, case.records.len());
                }
                body
            }
            Damage::Truncate(_) => {
                let body = damaged_bytes(&case.body(), &damage);
                check_unreadable(&body)?;
                body
            }
            _ => damaged_bytes(&case.body(), &damage),
        };
        check_all_parsers(&body)?;
    }

    // Valid results bodies parse, in order, to what they say.

    #[test]
    fn valid_results_bodies_parse_in_order_with_exact_raw(case in results_case()) {
        check_results(&case, &case.body())?;
    }

    // Status names.

    #[test]
    fn status_names_are_read_case_and_separator_insensitively(
        text in prop_oneof![
            2 => any_text(16),
            2 => select(JOB_STATUSES).prop_flat_map(any_spelling),
            2 => select(VERDICTS).prop_flat_map(any_spelling),
            1 => select(vec!["domain-scan", "email-validation", "email-finder"]).prop_flat_map(any_spelling),
            // A known name with one character added.
            2 => (select(VALUE_WORDS), any::<Index>(), any_char()).prop_map(|(word, at, c)| {
                let mut chars: Vec<char> = word.chars().collect();
                chars.insert(at.index(chars.len() + 1), c);
                chars.into_iter().collect()
            }),
        ],
    ) {
        let status = wire::parse_job_status(&text);
        prop_assert_eq!(&status, &expected_job_status(&text));
        if let JobStatus::Other(kept) = &status {
            prop_assert_eq!(kept, &text);
        }
        let verdict = wire::parse_email_status(&text);
        prop_assert_eq!(&verdict, &expected_email_status(&text));
        if let EmailStatus::Other(kept) = &verdict {
            prop_assert_eq!(kept, &text);
        }
        prop_assert_eq!(wire::parse_job_type(&text), expected_job_type(&text));
    }

    #[test]
    fn known_status_names_are_known_in_any_case(
        (word, text) in select(JOB_STATUSES).prop_flat_map(|w| (Just(w), any_spelling(w))),
        (verdict, verdict_text) in select(VERDICTS).prop_flat_map(|w| (Just(w), any_spelling(w))),
    ) {
        let expected = match word {
            "pending" => JobStatus::Pending,
            "processing" => JobStatus::Processing,
            "completed" => JobStatus::Completed,
            _ => JobStatus::Failed,
        };
        prop_assert_eq!(wire::parse_job_status(&text), expected);
        let expected = match verdict {
            "valid" | "deliverable" => EmailStatus::Valid,
            "invalid" | "undeliverable" => EmailStatus::Invalid,
            "unknown" => EmailStatus::Unknown,
            "disposable" => EmailStatus::Disposable,
            "spam-trap" | "spamtrap" => EmailStatus::SpamTrap,
            "role" | "role-account" | "role_based" => EmailStatus::Role,
            _ => EmailStatus::CatchAll,
        };
        prop_assert_eq!(wire::parse_email_status(&verdict_text), expected);
    }
}
