//! Submissions: the submit body, the results path, and input validation.

use matchkraft_component::{Contact, Error, JobType, Records, validate, wire};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use serde_json::{Value, json};

use crate::text::{BLANKS, any_case, any_text};
use crate::{JOB_TYPES, fail};

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

proptest! {
    #![proptest_config(crate::config())]

    // The submit body is exact JSON for any text.

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

    // Input validation.

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
