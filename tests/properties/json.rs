//! JSON: any values and documents, nested, with the field names and values
//! the parsers know; bytes that look like JSON; any bytes.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};

use crate::text::{any_spelling, any_text};

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
pub(crate) const VALUE_WORDS: &[&str] = &[
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
pub(crate) fn json_number(exact: bool) -> BoxedStrategy<Value> {
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
pub(crate) fn json_value(exact: bool) -> BoxedStrategy<Value> {
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

pub(crate) fn json_object() -> BoxedStrategy<Map<String, Value>> {
    vec((json_key(), json_value(false)), 0..10)
        .prop_map(|fields| fields.into_iter().collect())
        .boxed()
}

/// A document: any value, an object of mostly known fields, or one wrapped in `data`.
pub(crate) fn json_document() -> BoxedStrategy<Value> {
    prop_oneof![
        1 => json_value(false),
        3 => json_object().prop_map(Value::Object),
        1 => json_object().prop_map(|inner| json!({ "data": inner })),
    ]
    .boxed()
}

pub(crate) type Fields = Vec<(String, Value)>;

pub(crate) fn to_bytes(value: &Value, pretty: bool) -> Vec<u8> {
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

pub(crate) fn any_bytes() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![any::<Vec<u8>>(), vec(any::<u8>(), 0..2048), json_soup()].boxed()
}
