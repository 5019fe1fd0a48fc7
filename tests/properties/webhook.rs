//! Webhooks (`webhook::parse`): valid deliveries, near misses, one bad field,
//! the size limit.

use matchkraft_component::{Error, JobStatus, webhook};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value};

use crate::all_parsers::{check_all_parsers, check_unreadable};
use crate::damage::{Damage, damage, damage_field, damaged_bytes};
use crate::fail;
use crate::json::{Fields, json_number, json_object, json_value, to_bytes};
use crate::oracle::{expected_job_status, expected_job_type};
use crate::text::{any_case, any_spelling, blank, extra_key, non_blank};

/// The largest webhook body `webhook::parse` reads.
const MAX_WEBHOOK_BYTES: usize = 64 * 1024;

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

proptest! {
    #![proptest_config(crate::config())]

    // No parser panics, whatever it is given.

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

    // Webhooks: valid ones parse, and one bad field is named.

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
}
