//! Property-based robustness tests of the component's pure functions: fuzzing
//! where `cargo fuzz` cannot run (it needs a nightly toolchain).
//!
//! Every parser is fed arbitrary bytes, arbitrary JSON, and near misses of
//! valid documents (one field changed, cut short, bytes spliced in), and must
//! answer `Ok` or a typed error, never panic. Valid documents, generated in the
//! spellings the API may use, must parse to exactly what they say.
//!
//! Cases per property: `MATCHKRAFT_PROPTEST_CASES` (default [`DEFAULT_CASES`],
//! 20 to 40 seconds for the whole file on two cores). A fuzzing campaign is a
//! large count, for example `MATCHKRAFT_PROPTEST_CASES=200000 cargo test --test
//! parser_properties`: the dev profile keeps overflow checks and debug
//! assertions on, which is what a campaign wants. No failure file is written:
//! proptest prints the shrunk failing input, which belongs in a unit test next
//! to the fixed code.

use matchkraft_component::retry::{self, Decision, Outcome, Policy};
use matchkraft_component::transport::{self, Verb};
use matchkraft_component::{
    Contact, EmailStatus, Error, FoundEmail, Job, JobStatus, JobType, Records, ResultRecords, error,
    validate, webhook, wire,
};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::TestCaseError;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use std::cell::Cell;

/// Cases per property when `MATCHKRAFT_PROPTEST_CASES` is not set. Sized for
/// this crate built at `opt-level = 2` in the dev profile (see Cargo.toml);
/// unoptimised, a fifth of it takes as long.
const DEFAULT_CASES: u32 = 10_000;

fn config() -> ProptestConfig {
    let cases = match std::env::var("MATCHKRAFT_PROPTEST_CASES") {
        Ok(value) => value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("MATCHKRAFT_PROPTEST_CASES={value:?} is not a case count")),
        Err(_) => DEFAULT_CASES,
    };
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(cases)
    }
}

const JOB_TYPES: [JobType; 3] = [
    JobType::DomainScan,
    JobType::EmailValidation,
    JobType::EmailFinder,
];

/// The largest webhook body `webhook::parse` reads.
const MAX_WEBHOOK_BYTES: usize = 64 * 1024;

// ---------------------------------------------------------------------------
// Oracles: what the API's names mean, as the docs of `wire` define them.
// ---------------------------------------------------------------------------

/// A name without case and without the separators `_`, `-`, space and `.`.
fn normalized(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' ' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn expected_job_status(text: &str) -> JobStatus {
    match normalized(text).as_str() {
        "pending" => JobStatus::Pending,
        "processing" => JobStatus::Processing,
        "completed" => JobStatus::Completed,
        "failed" => JobStatus::Failed,
        _ => JobStatus::Other(text.to_string()),
    }
}

fn expected_email_status(text: &str) -> EmailStatus {
    match normalized(text).as_str() {
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

fn expected_job_type(text: &str) -> Option<JobType> {
    match normalized(text).as_str() {
        "domainscan" => Some(JobType::DomainScan),
        "emailvalidation" => Some(JobType::EmailValidation),
        "emailfinder" => Some(JobType::EmailFinder),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Text.
// ---------------------------------------------------------------------------

/// Characters that parsers and escapers get wrong: quotes, backslashes,
/// controls, separators, non-ASCII whose case mapping is unusual (`İ`, the
/// Kelvin sign), the largest code point, JSON punctuation.
const SPECIAL_CHARS: &[char] = &[
    '"',
    '\\',
    '/',
    '\0',
    '\u{1}',
    '\t',
    '\n',
    '\r',
    '\u{b}',
    '\u{c}',
    '\u{1f}',
    '\u{7f}',
    '\u{80}',
    '\u{85}',
    '\u{a0}',
    '\u{2003}',
    '\u{3000}',
    '\u{2028}',
    '\u{2029}',
    '\u{feff}',
    '\u{fffd}',
    '\u{10ffff}',
    '\u{d7ff}',
    '\u{e000}',
    'é',
    'ß',
    'İ',
    '\u{212a}',
    '…',
    '😀',
    '_',
    '-',
    '.',
    ' ',
    '@',
    ':',
    '%',
    '{',
    '}',
    '[',
    ']',
    ',',
];

/// Whitespace that `str::trim` removes.
const BLANKS: &[char] = &[
    ' ', '\t', '\n', '\r', '\u{b}', '\u{c}', '\u{85}', '\u{a0}', '\u{2003}', '\u{3000}',
];

fn any_char() -> BoxedStrategy<char> {
    prop_oneof![
        4 => any::<char>(),
        3 => proptest::char::range(' ', '~'),
        2 => select(SPECIAL_CHARS),
    ]
    .boxed()
}

/// Any text of at most `max` characters, control characters included.
fn any_text(max: usize) -> BoxedStrategy<String> {
    vec(any_char(), 0..=max).prop_map(String::from_iter).boxed()
}

/// Any text that `str::trim` leaves something of.
fn non_blank(max: usize) -> BoxedStrategy<String> {
    any_text(max)
        .prop_map(|s| if s.trim().is_empty() { format!("{s}x") } else { s })
        .boxed()
}

fn blank() -> BoxedStrategy<String> {
    vec(select(BLANKS), 0..6).prop_map(String::from_iter).boxed()
}

fn cased(chars: &[char], upper: &[bool]) -> String {
    chars
        .iter()
        .zip(upper)
        .map(|(c, up)| {
            if *up {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// `word` with each letter in either case (`Completed`, `cOMPLETED`, …).
fn any_case(word: &str) -> BoxedStrategy<String> {
    let chars: Vec<char> = word.chars().collect();
    vec(any::<bool>(), chars.len())
        .prop_map(move |upper| cased(&chars, &upper))
        .boxed()
}

/// `word` in either case with separators sprinkled in (`first_name`,
/// `First Name`, `FIRST-NAME`), all one name to the tolerant parsers.
fn any_spelling(word: &str) -> BoxedStrategy<String> {
    let chars: Vec<char> = word.chars().collect();
    let separator = prop_oneof![8 => Just(None), 1 => select(vec!['_', '-', ' ', '.']).prop_map(Some)];
    vec((any::<bool>(), separator), chars.len())
        .prop_map(move |letters| {
            let mut out = String::new();
            for (c, (up, separator)) in chars.iter().zip(letters) {
                out.extend(separator);
                out.push(if up {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                });
            }
            out
        })
        .boxed()
}

/// A field name that no parser knows: nothing the parsers look up starts with `x`.
fn extra_key() -> BoxedStrategy<String> {
    any_text(10).prop_map(|s| format!("x{s}")).boxed()
}

// ---------------------------------------------------------------------------
// JSON.
// ---------------------------------------------------------------------------

/// Field names the parsers look for, so that random objects reach their paths.
const FIELD_NAMES: &[&str] = &[
    "jobId",
    "id",
    "jobName",
    "name",
    "status",
    "state",
    "jobStatus",
    "progress",
    "percent",
    "results",
    "data",
    "records",
    "items",
    "email",
    "emailAddress",
    "address",
    "firstName",
    "lastName",
    "website",
    "url",
    "domain",
    "host",
    "emails",
    "contacts",
    "verified",
    "isVerified",
    "confidence",
    "score",
    "reason",
    "type",
    "kind",
    "event",
    "jobType",
    "message",
    "error",
    "detail",
    "title",
];

/// Values the parsers give a meaning to.
const VALUE_WORDS: &[&str] = &[
    "pending",
    "processing",
    "completed",
    "failed",
    "valid",
    "invalid",
    "catch-all",
    "unknown",
    "disposable",
    "spam_trap",
    "role",
    "deliverable",
    "job.completed",
    "domain-scan",
    "email-validation",
    "email-finder",
    "true",
    "yes",
    "no",
    "0",
    "1",
    "87",
    "87%",
    " 12 % ",
    "null",
    "[]",
    "{}",
    "-1e999",
];

fn json_key() -> BoxedStrategy<String> {
    prop_oneof![
        3 => select(FIELD_NAMES).prop_map(str::to_string),
        1 => select(FIELD_NAMES).prop_flat_map(any_spelling),
        2 => any_text(12),
    ]
    .boxed()
}

fn json_string() -> BoxedStrategy<String> {
    prop_oneof![
        3 => any_text(24),
        2 => select(VALUE_WORDS).prop_flat_map(any_spelling),
        1 => "[A-Za-z0-9_-]{1,40}",
    ]
    .boxed()
}

/// Numbers; `exact` keeps to those that survive printing and reparsing
/// bit for bit (serde_json reparses some shortest-printed floats one ulp off).
fn json_number(exact: bool) -> BoxedStrategy<Value> {
    let dyadic = (any::<i32>(), 0u32..10).prop_map(|(m, k)| Value::from(f64::from(m) / f64::from(1u32 << k)));
    let integers = prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (0u8..=100).prop_map(Value::from),
    ];
    if exact {
        prop_oneof![3 => integers, 1 => dyadic].boxed()
    } else {
        prop_oneof![3 => integers, 1 => dyadic, 1 => any::<f64>().prop_map(Value::from)].boxed()
    }
}

/// Any JSON value, nested a few levels deep.
fn json_value(exact: bool) -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        2 => json_number(exact),
        3 => json_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            vec((json_key(), inner), 0..6).prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
    .boxed()
}

fn json_object() -> BoxedStrategy<Map<String, Value>> {
    vec((json_key(), json_value(false)), 0..10)
        .prop_map(|fields| fields.into_iter().collect())
        .boxed()
}

/// A document: any value, an object of mostly known fields, or one wrapped in `data`.
fn json_document() -> BoxedStrategy<Value> {
    prop_oneof![
        1 => json_value(false),
        3 => json_object().prop_map(Value::Object),
        1 => json_object().prop_map(|inner| json!({ "data": inner })),
    ]
    .boxed()
}

fn to_bytes(value: &Value, pretty: bool) -> Vec<u8> {
    if pretty {
        serde_json::to_vec_pretty(value).unwrap()
    } else {
        serde_json::to_vec(value).unwrap()
    }
}

/// Bytes that look like JSON: its tokens, the known names, broken escapes.
fn json_soup() -> BoxedStrategy<Vec<u8>> {
    const TOKENS: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        " ",
        "\"",
        "\\",
        "null",
        "true",
        "false",
        "0",
        "-",
        "1e999",
        "-0.5e-3",
        "18446744073709551616",
        "\"status\"",
        "\"results\"",
        "\"data\"",
        "\"jobId\"",
        "\"event\"",
        "\"email\"",
        "\"completed\"",
        "\"job.completed\"",
        "\"\\u0000\"",
        "\"\\ud800\"",
        "\"\\uDFFF\"",
        "\"\\x\"",
        "\u{feff}",
        "\u{fffd}",
        "\u{0}",
    ];
    vec(select(TOKENS), 0..64)
        .prop_map(|tokens| tokens.concat().into_bytes())
        .boxed()
}

fn any_bytes() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![any::<Vec<u8>>(), vec(any::<u8>(), 0..2048), json_soup()].boxed()
}

// ---------------------------------------------------------------------------
// What every parser must do with any input.
// ---------------------------------------------------------------------------

fn fail(message: String) -> TestCaseError {
    TestCaseError::fail(message)
}

/// Runs every body parser on `body`: each answers `Ok` or its own typed error,
/// and the parsers that read the same fields agree.
fn check_all_parsers(body: &[u8]) -> Result<(), TestCaseError> {
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
fn check_unreadable(body: &[u8]) -> Result<(), TestCaseError> {
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

// ---------------------------------------------------------------------------
// Valid results bodies, and what they must parse to.
// ---------------------------------------------------------------------------

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

type Fields = Vec<(String, Value)>;

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

// ---------------------------------------------------------------------------
// Near misses: valid documents, damaged.
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Damage {
    /// One top-level field replaced by any JSON value, or removed (`None`).
    Field(Index, Option<Value>),
    /// Cut short before its last byte.
    Truncate(Index),
    Insert(Index, Vec<u8>),
    Overwrite(Index, Vec<u8>),
    Delete(Index, usize),
}

fn splice() -> BoxedStrategy<Vec<u8>> {
    let bytes = b"{}[]\":,\\ 0123456789-+.eEtrufalsn\x00\x1f\x7f\x80\xbf\xc3\xe2\xed\xf0\xff".to_vec();
    vec(prop_oneof![any::<u8>(), select(bytes)], 1..8).boxed()
}

fn damage() -> BoxedStrategy<Damage> {
    prop_oneof![
        2 => (any::<Index>(), option::of(json_value(false))).prop_map(|(i, v)| Damage::Field(i, v)),
        2 => any::<Index>().prop_map(Damage::Truncate),
        1 => (any::<Index>(), splice()).prop_map(|(i, b)| Damage::Insert(i, b)),
        1 => (any::<Index>(), splice()).prop_map(|(i, b)| Damage::Overwrite(i, b)),
        1 => (any::<Index>(), 1usize..16).prop_map(|(i, n)| Damage::Delete(i, n)),
    ]
    .boxed()
}

/// `body` with byte-level `damage` (`Damage::Field` is applied to the tree).
fn damaged_bytes(body: &[u8], damage: &Damage) -> Vec<u8> {
    let mut out = body.to_vec();
    match damage {
        Damage::Field(..) => {}
        Damage::Truncate(at) => out.truncate(at.index(body.len())),
        Damage::Insert(at, bytes) => {
            let at = at.index(body.len() + 1);
            out.splice(at..at, bytes.iter().copied());
        }
        Damage::Overwrite(at, bytes) => {
            let at = at.index(body.len());
            let end = (at + bytes.len()).min(body.len());
            out.splice(at..end, bytes.iter().copied());
        }
        Damage::Delete(at, n) => {
            let at = at.index(body.len());
            out.drain(at..(at + n).min(body.len()));
        }
    }
    out
}

/// Removes or replaces the `at`-th field; returns its name.
fn damage_field(doc: &mut Map<String, Value>, at: &Index, value: Option<Value>) -> String {
    let key = doc.keys().nth(at.index(doc.len())).cloned().unwrap_or_default();
    match value {
        Some(value) => {
            doc.insert(key.clone(), value);
        }
        None => {
            doc.remove(&key);
        }
    }
    key
}

// ---------------------------------------------------------------------------
// Webhooks.
// ---------------------------------------------------------------------------

const WEBHOOK_FIELDS: [&str; 4] = ["event", "jobId", "jobType", "status"];

#[derive(Clone, Debug)]
struct Hook {
    job_id: String,
    job_type: String,
    status_text: String,
    status: JobStatus,
    extras: Fields,
}

impl Hook {
    fn fields(&self) -> Fields {
        let mut fields = vec![
            ("event".to_string(), Value::from(webhook::JOB_COMPLETED)),
            ("jobId".to_string(), Value::from(self.job_id.as_str())),
            ("jobType".to_string(), Value::from(self.job_type.as_str())),
            ("status".to_string(), Value::from(self.status_text.as_str())),
        ];
        fields.extend(self.extras.iter().cloned());
        fields
    }

    fn body(&self) -> Vec<u8> {
        to_bytes(&Value::Object(self.fields().into_iter().collect()), false)
    }
}

/// A valid `job.completed` delivery, with its fields in any order.
fn hook() -> BoxedStrategy<Hook> {
    (
        "[A-Za-z0-9_-]{1,128}",
        prop_oneof![
            2 => select(vec!["domain-scan", "email-validation", "email-finder"]).prop_flat_map(any_spelling),
            1 => non_blank(24),
        ],
        prop_oneof![
            Just(("completed", JobStatus::Completed)),
            Just(("failed", JobStatus::Failed))
        ]
        .prop_flat_map(|(word, status)| (any_case(word), Just(status))),
        vec((extra_key(), json_value(false)), 0..4),
    )
        .prop_flat_map(|(job_id, job_type, (status_text, status), extras)| {
            (Just(extras).prop_shuffle()).prop_map(move |extras| Hook {
                job_id: job_id.clone(),
                job_type: job_type.clone(),
                status_text: status_text.clone(),
                status: status.clone(),
                extras,
            })
        })
        .boxed()
}

/// A value that makes one webhook field wrong: for field `i` of
/// [`WEBHOOK_FIELDS`], `None` removes it.
fn bad_field_value(field: usize) -> BoxedStrategy<Option<Value>> {
    let not_a_string = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        json_number(false),
        vec(json_value(false), 0..3).prop_map(Value::Array),
        json_object().prop_map(Value::Object),
    ];
    let wrong_text: BoxedStrategy<String> = match field {
        // Anything but exactly `job.completed`.
        0 => prop_oneof![
            non_blank(20),
            any_case("job.completed"),
            any_spelling("job.completed")
        ]
        .prop_map(|s| {
            if s == webhook::JOB_COMPLETED {
                format!("{s}.")
            } else {
                s
            }
        })
        .boxed(),
        // Not a path-safe token: a bad character somewhere, or too long.
        1 => prop_oneof![
            ("[A-Za-z0-9_-]{0,20}", any::<char>(), "[A-Za-z0-9_-]{0,20}").prop_map(|(a, c, b)| {
                let c = if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    '/'
                } else {
                    c
                };
                if format!("{a}{c}{b}").trim().is_empty() {
                    format!("{a}{c}x{b}")
                } else {
                    format!("{a}{c}{b}")
                }
            }),
            "[A-Za-z0-9_-]{129,200}",
        ]
        .boxed(),
        // Any non-blank job type is accepted (and kept by name).
        2 => Just(String::new()).boxed(),
        // Anything but a terminal status.
        _ => prop_oneof![
            select(vec!["pending", "processing", "completed!", "cancelled"]).prop_flat_map(any_case),
            non_blank(20),
        ]
        .prop_map(|s| match expected_job_status(&s) {
            JobStatus::Completed | JobStatus::Failed => format!("{s}x"),
            _ => s,
        })
        .boxed(),
    };
    let wrong_text = wrong_text.prop_map(|s| {
        if s.is_empty() {
            None
        } else {
            Some(Value::String(s))
        }
    });
    prop_oneof![
        1 => Just(None),
        2 => not_a_string.prop_map(Some),
        1 => blank().prop_map(|s| Some(Value::String(s))),
        2 => wrong_text.prop_map(|v| v.or(Some(Value::Null))),
    ]
    .boxed()
}

// ---------------------------------------------------------------------------
// Submissions.
// ---------------------------------------------------------------------------

fn any_records() -> BoxedStrategy<Records> {
    prop_oneof![
        vec(any_text(40), 0..6).prop_map(Records::DomainScan),
        vec(any_text(40), 0..6).prop_map(Records::EmailValidation),
        vec(
            (any_text(20), any_text(20), any_text(40)).prop_map(|(first_name, last_name, website)| Contact {
                first_name,
                last_name,
                website
            }),
            0..6
        )
        .prop_map(Records::EmailFinder),
    ]
    .boxed()
}

/// `local@label.label…`: what any validator must accept.
fn well_formed_email() -> BoxedStrategy<String> {
    ("[A-Za-z0-9._%+-]{1,40}", well_formed_domain())
        .prop_map(|(local, domain)| format!("{local}@{domain}"))
        .boxed()
}

fn well_formed_domain() -> BoxedStrategy<String> {
    vec("[A-Za-z0-9]([A-Za-z0-9-]{0,8}[A-Za-z0-9])?", 2..5)
        .prop_map(|labels| labels.join("."))
        .boxed()
}

fn well_formed_website() -> BoxedStrategy<String> {
    (
        prop_oneof![any_case("https://"), any_case("http://")],
        well_formed_domain(),
        option::of(1u16..),
        "(/[A-Za-z0-9._~%-]{0,12}){0,3}",
    )
        .prop_map(|(scheme, domain, port, path)| {
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            format!("{scheme}{domain}{port}{path}")
        })
        .boxed()
}

// ---------------------------------------------------------------------------
// Retries.
// ---------------------------------------------------------------------------

fn policy() -> BoxedStrategy<Policy> {
    let delay = || prop_oneof![3 => 0u64..20_000, 1 => any::<u64>()];
    (
        prop_oneof![3 => 0u32..8, 1 => any::<u32>()],
        delay(),
        delay(),
        delay(),
    )
        .prop_map(
            |(max_attempts, base_delay_ms, max_delay_ms, max_retry_after_ms)| Policy {
                max_attempts,
                base_delay_ms,
                max_delay_ms,
                max_retry_after_ms,
            },
        )
        .boxed()
}

fn outcome() -> BoxedStrategy<Outcome> {
    let status = prop_oneof![
        3 => select(vec![200u16, 201, 204, 299, 400, 401, 404, 408, 409, 422, 429, 500, 501, 502, 503, 504]),
        1 => any::<u16>(),
    ];
    let retry_after = option::of(prop_oneof![3 => 0u64..20_000, 1 => any::<u64>()]);
    prop_oneof![
        6 => (status, retry_after).prop_map(|(s, r)| Outcome::Status(s, r)),
        1 => Just(Outcome::Unusable),
        2 => any::<bool>().prop_map(|sent| Outcome::Failed { sent }),
    ]
    .boxed()
}

/// What the jitter function answers: a share of its bound, or (against the
/// contract) anything at all, which `decide` must still hold to the bound.
#[derive(Clone, Copy, Debug)]
enum Jitter {
    Share(u8),
    Anything(u64),
}

impl Jitter {
    fn of(self, n: u64) -> u64 {
        match self {
            Jitter::Share(k) => u64::try_from(u128::from(n) * u128::from(k) / 255).unwrap(),
            Jitter::Anything(x) => x,
        }
    }
}

fn jitter() -> BoxedStrategy<Jitter> {
    prop_oneof![3 => any::<u8>().prop_map(Jitter::Share), 1 => any::<u64>().prop_map(Jitter::Anything)]
        .boxed()
}

/// Where "now" is, relative to a `Retry-After` date.
#[derive(Clone, Copy, Debug)]
enum Now {
    Before(u64),
    After(u64),
    At(u64),
}

fn leap(year: u64) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Seconds since 1970 of a UTC time, counted the long way.
fn unix_seconds(year: u64, month: u64, day: u64, hour: u64, minute: u64, second: u64) -> u64 {
    let days_before_year: u64 = (1970..year).map(|y| if leap(y) { 366 } else { 365 }).sum();
    let days_before_month: u64 = (1..month).map(|m| days_in_month(year, m)).sum();
    (days_before_year + days_before_month + day - 1) * 86_400 + hour * 3600 + minute * 60 + second
}

fn verb() -> BoxedStrategy<Verb> {
    prop_oneof![Just(Verb::Get), Just(Verb::Post)].boxed()
}

// ---------------------------------------------------------------------------
// The properties.
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    // 1. No parser panics, whatever it is given.

    #[test]
    fn parsers_never_panic_on_arbitrary_bytes(body in any_bytes()) {
        check_all_parsers(&body)?;
    }

    #[test]
    fn parsers_never_panic_on_arbitrary_json(doc in json_document(), pretty in any::<bool>()) {
        check_all_parsers(&to_bytes(&doc, pretty))?;
    }

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

    #[test]
    fn near_miss_webhooks_get_typed_answers(hook in hook(), damage in damage()) {
        let body = match &damage {
            Damage::Field(at, value) => {
                let mut doc: Map<String, Value> = hook.fields().into_iter().collect();
                damage_field(&mut doc, at, value.clone());
                to_bytes(&Value::Object(doc), false)
            }
            Damage::Truncate(_) => {
                let body = damaged_bytes(&hook.body(), &damage);
                check_unreadable(&body)?;
                body
            }
            _ => damaged_bytes(&hook.body(), &damage),
        };
        check_all_parsers(&body)?;
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

    // 2. Valid results bodies parse, in order, to what they say.

    #[test]
    fn valid_results_bodies_parse_in_order_with_exact_raw(case in results_case()) {
        check_results(&case, &case.body())?;
    }

    // 3. Status names.

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

    // 4. Webhooks: valid ones parse, and one bad field is named.

    #[test]
    fn valid_webhooks_parse_and_round_trip(hook in hook()) {
        let event = webhook::parse(&hook.body())
            .map_err(|e| fail(format!("a valid webhook was refused: {e:?}")))?;
        prop_assert_eq!(event.event.as_str(), webhook::JOB_COMPLETED);
        prop_assert_eq!(&event.job_id, &hook.job_id);
        prop_assert_eq!(&event.job_type_name, &hook.job_type);
        prop_assert_eq!(event.job_type, expected_job_type(&hook.job_type));
        prop_assert_eq!(&event.status, &hook.status);
    }

    #[test]
    fn a_webhook_with_one_bad_field_names_it(
        (hook, field, value) in (hook(), 0..4usize)
            .prop_flat_map(|(hook, field)| (Just(hook), Just(field), bad_field_value(field))),
    ) {
        let name = WEBHOOK_FIELDS[field];
        let mut doc: Map<String, Value> = hook.fields().into_iter().collect();
        match value {
            Some(value) => doc.insert(name.to_string(), value),
            None => doc.remove(name),
        };
        let body = to_bytes(&Value::Object(doc), false);
        match webhook::parse(&body) {
            Err(Error::PermanentInvalidInput(e)) => {
                prop_assert_eq!(e.field.as_str(), name);
                prop_assert_eq!(e.index, None);
            }
            other => return Err(fail(format!("bad {name} gave {other:?}"))),
        }
    }

    #[test]
    fn webhook_bodies_are_limited_to_64_kib(
        hook in hook(),
        size in (MAX_WEBHOOK_BYTES - 64)..(MAX_WEBHOOK_BYTES + 64),
    ) {
        // An unknown `padding` field fills the body up to `size` bytes.
        let mut fields = hook.fields();
        fields.push(("padding".to_string(), Value::from("")));
        let mut body = to_bytes(&Value::Object(fields.into_iter().collect()), false);
        let marker = br#""padding":"""#;
        let at = body.windows(marker.len()).position(|w| w == marker).unwrap() + marker.len() - 1;
        let pad = size.saturating_sub(body.len());
        body.splice(at..at, std::iter::repeat_n(b'p', pad));
        match webhook::parse(&body) {
            Ok(event) => {
                prop_assert!(body.len() <= MAX_WEBHOOK_BYTES, "{} bytes accepted", body.len());
                prop_assert_eq!(&event.job_id, &hook.job_id);
            }
            Err(Error::PermanentInvalidInput(e)) => {
                prop_assert!(body.len() > MAX_WEBHOOK_BYTES, "{} bytes refused: {:?}", body.len(), e);
                prop_assert_eq!(e.field, "body");
            }
            Err(other) => return Err(fail(format!("{other:?}"))),
        }
    }

    // 5. The submit body is exact JSON for any text.

    #[test]
    fn submit_body_round_trips_any_text(job_name in any_text(60), records in any_records()) {
        let body = wire::submit_body(&job_name, &records);
        let value: Value = serde_json::from_slice(&body)
            .map_err(|e| fail(format!("not JSON ({e}): {:?}", String::from_utf8_lossy(&body))))?;
        let expected_records = match &records {
            Records::DomainScan(urls) => json!(urls),
            Records::EmailValidation(emails) => json!(emails),
            Records::EmailFinder(contacts) => Value::Array(
                contacts
                    .iter()
                    .map(|c| json!({"firstName": c.first_name, "lastName": c.last_name, "website": c.website}))
                    .collect(),
            ),
        };
        prop_assert_eq!(value, json!({"jobName": job_name, "records": expected_records}));
    }

    #[test]
    fn results_path_is_the_endpoint_then_the_id(job_type in select(JOB_TYPES.to_vec()), id in any_text(40)) {
        let endpoint = match job_type {
            JobType::DomainScan => "domain-scan",
            JobType::EmailValidation => "email-validation",
            JobType::EmailFinder => "email-finder",
        };
        prop_assert_eq!(wire::results_path(job_type, &id), format!("/{endpoint}/results/{id}"));
    }

    // 6. Error messages are bounded and cut on character boundaries.

    #[test]
    fn api_message_is_bounded(body in any_bytes()) {
        let message = error::api_message(&body);
        prop_assert!(!message.is_empty());
        prop_assert!(message.chars().count() <= 301);
    }

    #[test]
    fn api_message_quotes_the_message_field(
        key in select(vec!["message", "error", "detail", "title"]),
        message in prop_oneof![any_text(40), any_text(700)],
        pretty in any::<bool>(),
    ) {
        let body = to_bytes(&json!({ key: message }), pretty);
        let quoted = error::api_message(&body);
        prop_assert!(quoted.chars().count() <= 301);
        if message.is_empty() {
            prop_assert_eq!(quoted, "(no message)");
        } else {
            prop_assert_eq!(quoted, error::truncate(&message, 300));
        }
    }

    #[test]
    fn truncate_cuts_on_character_boundaries(text in any_text(80), max in 0usize..100) {
        let cut = error::truncate(&text, max);
        if text.chars().count() <= max {
            prop_assert_eq!(cut, text);
        } else {
            let expected: String = text.chars().take(max).chain(['…']).collect();
            prop_assert_eq!(cut, expected);
        }
    }

    #[test]
    fn from_status_maps_every_status(
        status in prop_oneof![select(vec![400u16, 401, 403, 404, 408, 422, 429, 500, 503, 599]), any::<u16>()],
        body in any_bytes(),
        retry_after in option::of(any::<u64>()),
    ) {
        let message = error::api_message(&body);
        let error = error::from_status(status, &body, retry_after);
        let ok = match (status, &error) {
            (400 | 422, Error::PermanentInvalidInput(e)) => e.field == "records" && e.message.contains(&message),
            (401 | 403, Error::PermanentUnauthorized(m)) => m.contains(&message),
            (404, Error::PermanentNotFound(m)) | (408, Error::Timeout(m)) => m.contains(&message),
            (429, Error::RateLimited(r)) => *r == retry_after,
            (500..=599, Error::ServerError(e)) => e.status == status && e.message == message,
            (_, Error::PermanentRejected(e)) => {
                !matches!(status, 400 | 401 | 403 | 404 | 408 | 422 | 429 | 500..=599)
                    && e.status == status
                    && e.message == message
            }
            _ => false,
        };
        prop_assert!(ok, "HTTP {} gave {:?}", status, error);
    }

    // 7. Retry decisions stay within the policy.

    #[test]
    fn decide_stays_within_the_policy(
        policy in policy(),
        verb in verb(),
        outcome in outcome(),
        attempt in prop_oneof![3 => 0u32..10, 1 => any::<u32>()],
        remaining_ms in prop_oneof![3 => 0u64..30_000, 1 => any::<u64>()],
        jitter in jitter(),
    ) {
        let asked = Cell::new(None);
        let decision = retry::decide(&policy, verb, outcome, attempt, remaining_ms, |n| {
            asked.set(Some(n));
            jitter.of(n)
        });
        if let Some(n) = asked.get() {
            prop_assert!(n <= policy.max_delay_ms, "jitter asked for up to {}", n);
        }
        if let Decision::RetryAfter(wait) = decision {
            prop_assert!(wait <= policy.max_delay_ms.max(policy.max_retry_after_ms), "waits {}", wait);
            prop_assert!(wait < remaining_ms, "waits {} with {} left", wait, remaining_ms);
            prop_assert!(attempt < policy.max_attempts, "retries after attempt {}", attempt);
            prop_assert!(!matches!(outcome, Outcome::Status(200..=299, _) | Outcome::Unusable));
            prop_assert!(verb != Verb::Post || outcome != (Outcome::Failed { sent: true }), "POST resent");
            match outcome {
                Outcome::Status(status, retry_after) => {
                    let transient: &[u16] = match verb {
                        Verb::Get => &[408, 429, 500, 502, 503, 504],
                        Verb::Post => &[429, 503],
                    };
                    prop_assert!(transient.contains(&status), "{:?} retried on {}", verb, status);
                    if let Some(retry_after) = retry_after {
                        prop_assert_eq!(wait, retry_after);
                    }
                }
                Outcome::Failed { .. } => prop_assert!(wait <= policy.max_delay_ms),
                Outcome::Unusable => {}
            }
        }
    }

    #[test]
    fn decide_retries_what_it_may(
        policy in policy(),
        attempt in 1u32..10,
        sent in any::<bool>(),
        retry_after in 0u64..20_000,
        status in select(vec![429u16, 503]),
    ) {
        let policy = Policy { max_attempts: policy.max_attempts.max(attempt + 1), ..policy };
        prop_assert_eq!(
            retry::decide(&policy, Verb::Get, Outcome::Failed { sent }, attempt, u64::MAX, |_| 0),
            Decision::RetryAfter(0)
        );
        prop_assert_eq!(
            retry::decide(&policy, Verb::Post, Outcome::Failed { sent: false }, attempt, u64::MAX, |_| 0),
            Decision::RetryAfter(0)
        );
        let expected = if retry_after <= policy.max_retry_after_ms {
            Decision::RetryAfter(retry_after)
        } else {
            Decision::Stop
        };
        for verb in [Verb::Get, Verb::Post] {
            prop_assert_eq!(
                retry::decide(&policy, verb, Outcome::Status(status, Some(retry_after)), attempt, u64::MAX, |_| 0),
                expected
            );
        }
    }

    // 8. Retry-After.

    #[test]
    fn retry_after_never_panics(
        value in prop_oneof![
            any_text(40),
            "[ \t]{0,2}[+-]?[0-9]{0,25}(\\.[0-9]{0,3})?[ \t]{0,2}",
            "(Mon|Thu|Sun|[A-Za-z]{0,4}), [0-9]{1,3} (Jan|Feb|Dec|Xyz|[a-z]{0,3}) [0-9+-]{3,5} [0-9:]{7,9} (GMT|UTC|[A-Z]{0,3})",
        ],
        now_unix_ms in any::<u64>(),
    ) {
        let parsed = transport::retry_after_ms(&value);
        // Padded whole seconds are whole seconds.
        if let Ok(seconds) = value.trim().parse::<u32>() {
            prop_assert_eq!(parsed, Some(u64::from(seconds) * 1000));
        }
        // A date is at most as far off as the latest date there is.
        if let Some(ms) = transport::retry_after_date_ms(&value, now_unix_ms) {
            prop_assert!(ms <= unix_seconds(9999, 12, 31, 23, 59, 60) * 1000, "{} ms", ms);
        }
    }

    #[test]
    fn http_dates_become_the_time_until_them(
        (year, month, day) in (1970u64..=9999, 1u64..=12)
            .prop_flat_map(|(y, m)| (Just(y), Just(m), 1..=days_in_month(y, m))),
        (hour, minute, second) in (0u64..24, 0u64..60, 0u64..=60),
        now in prop_oneof![
            (0u64..=86_400_000).prop_map(Now::Before),
            (0u64..=86_400_000).prop_map(Now::After),
            any::<u64>().prop_map(Now::At),
        ],
    ) {
        const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        let seconds = unix_seconds(year, month, day, hour, minute, second);
        let weekday = WEEKDAYS[usize::try_from(seconds / 86_400 % 7).unwrap()];
        let month_name = MONTHS[usize::try_from(month - 1).unwrap()];
        let date = format!("{weekday}, {day:02} {month_name} {year} {hour:02}:{minute:02}:{second:02} GMT");
        let at_ms = seconds * 1000;
        let now_unix_ms = match now {
            Now::Before(ms) => at_ms.saturating_sub(ms),
            Now::After(ms) => at_ms.saturating_add(ms),
            Now::At(ms) => ms,
        };
        prop_assert_eq!(
            transport::retry_after_date_ms(&date, now_unix_ms),
            Some(at_ms.saturating_sub(now_unix_ms)),
            "{}",
            date
        );
    }

    #[test]
    fn whole_seconds_become_milliseconds(seconds in any::<u32>()) {
        prop_assert_eq!(transport::retry_after_ms(&seconds.to_string()), Some(u64::from(seconds) * 1000));
    }

    // 9. Input validation.

    #[test]
    fn validation_never_panics(
        text in prop_oneof![
            any_text(80),
            (any_text(30), any_text(30)).prop_map(|(a, b)| format!("{a}@{b}")),
            (prop_oneof![any_case("https://"), any_case("http://")], any_text(40)).prop_map(|(a, b)| a + &b),
            (prop_oneof![any_case("https://"), any_case("http://")], any_text(20), any_text(6))
                .prop_map(|(a, b, port)| format!("{a}{b}:{port}/")),
            "[A-Za-z0-9._@:/?#-]{0,300}",
        ],
        job_name in any_text(250),
        records in any_records(),
    ) {
        let _ = validate::email(&text);
        let _ = validate::website(&text);
        let id = validate::job_id(&text);
        prop_assert!(matches!(id, Ok(()) | Err(Error::PermanentInvalidInput(_))), "{:?}", id);
        match validate::submission(&job_name, &records) {
            Ok(()) | Err(Error::PermanentInvalidInput(_)) => {}
            Err(other) => return Err(fail(format!("submission: {other:?}"))),
        }
    }

    #[test]
    fn well_formed_inputs_are_accepted(
        email in well_formed_email(),
        website in well_formed_website(),
        job_id in "[A-Za-z0-9_-]{1,128}",
        job_name in "[A-Za-z0-9][A-Za-z0-9 ._-]{0,100}",
        at in any::<Index>(),
        space in select(BLANKS),
    ) {
        prop_assert_eq!(validate::email(&email), Ok(()), "{:?}", email);
        prop_assert_eq!(validate::website(&website), Ok(()), "{:?}", website);
        prop_assert_eq!(validate::job_id(&job_id), Ok(()));
        let emails = Records::EmailValidation(vec![email.clone()]);
        prop_assert_eq!(validate::submission(&job_name, &emails), Ok(()));
        // ... and one blank character anywhere spoils it.
        let mut spoiled: Vec<char> = email.chars().collect();
        spoiled.insert(at.index(spoiled.len() + 1), space);
        let spoiled: String = spoiled.into_iter().collect();
        prop_assert!(validate::email(&spoiled).is_err(), "{:?} accepted", spoiled);
    }
}
