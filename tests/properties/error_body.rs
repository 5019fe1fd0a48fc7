//! Error bodies: `error::api_message`, `error::truncate` and
//! `error::from_status`.

use matchkraft_component::{Error, error};
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::json;

use crate::json::{any_bytes, to_bytes};
use crate::text::any_text;

proptest! {
    #![proptest_config(crate::config())]

    // Error messages are bounded and cut on character boundaries.

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
}
