//! Constructors and classification for the WIT `error` variant.
//!
//! The generated [`Error`] is the component's one error type: every module
//! returns it, so what a caller sees is exactly what the code decided, with no
//! translation layer in between. This module keeps the decisions in one place:
//! which HTTP status becomes which case, and how a message is made safe to show.

use crate::config::KeySource;
use crate::{DecodeError, Error, HttpError, InvalidInput};
use std::fmt;

/// At most this many characters of a response body are quoted in an error.
const MAX_MESSAGE_CHARS: usize = 300;

/// Input rejected before anything was sent.
pub fn invalid_input(index: Option<usize>, field: &str, message: impl Into<String>) -> Error {
    Error::PermanentInvalidInput(InvalidInput {
        index: index.map(|i| u32::try_from(i).unwrap_or(u32::MAX)),
        field: field.to_string(),
        message: message.into(),
    })
}

/// A response body that did not have the expected shape.
pub fn decode(expected: &str, message: impl Into<String>) -> Error {
    Error::Decode(DecodeError {
        expected: expected.to_string(),
        message: message.into(),
    })
}

/// Maps a non-success HTTP status to the error case a caller should act on.
///
/// `body` is the response body; its `message` or `error` field (or its start)
/// becomes the error's message. `retry_after_ms` is the parsed `Retry-After`.
pub fn from_status(status: u16, body: &[u8], retry_after_ms: Option<u64>) -> Error {
    let message = api_message(body);
    match status {
        400 | 422 => invalid_input(
            None,
            "records",
            format!("the API rejected the request: {message}"),
        ),
        401 | 403 => {
            Error::PermanentUnauthorized(format!("the API refused the key (HTTP {status}): {message}"))
        }
        404 => Error::PermanentNotFound(format!("no such job (HTTP 404): {message}")),
        408 => Error::Timeout(format!("the API timed out the request (HTTP 408): {message}")),
        429 => Error::RateLimited(retry_after_ms),
        500..=599 => Error::ServerError(HttpError { status, message }),
        _ => Error::PermanentRejected(HttpError { status, message }),
    }
}

/// The error for a 401 or 403: the API's message, and which key it refused
/// or that none was sent, so the reader knows what to fix. It names where the
/// key comes from and never quotes it (the API's message may; see
/// [`redact`](crate::redact)).
pub fn unauthorized(status: u16, body: &[u8], key: KeySource) -> Error {
    Error::PermanentUnauthorized(unauthorized_message(status, &api_message(body), key))
}

/// The message of [`unauthorized`], from the API's own message.
pub fn unauthorized_message(status: u16, api_message: &str, key: KeySource) -> String {
    match key {
        KeySource::Missing => format!(
            "the API refused the request (HTTP {status}): {api_message}; no key was sent: \
             MATCHKRAFT_API_KEY is not set in the component's environment, and the host \
             does not add one"
        ),
        KeySource::Component => format!(
            "the API refused the key in MATCHKRAFT_API_KEY (HTTP {status}): {api_message}; \
             check that variable's value"
        ),
        KeySource::Host => format!(
            "the API refused the key the host adds (HTTP {status}): {api_message}; check the \
             key configured in the host (for the `matchkraft` command, its MATCHKRAFT_API_KEY \
             or --api-key)"
        ),
    }
}

/// The human part of an error body: a JSON `message`/`error`/`detail` field if
/// there is one, else the body's start, cut to a readable length.
pub fn api_message(body: &[u8]) -> String {
    let from_json = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|value| {
            ["message", "error", "detail", "title"]
                .iter()
                .find_map(|key| value.get(key).and_then(|v| v.as_str()).map(str::to_string))
        });
    let text = from_json.unwrap_or_else(|| String::from_utf8_lossy(body).trim().to_string());
    if text.is_empty() {
        return "(no message)".to_string();
    }
    truncate(&text, MAX_MESSAGE_CHARS)
}

/// Cuts `text` to `max` characters, marking the cut.
pub fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// One line describing an error, for messages that wrap another error.
/// (The bindings generate `Display` for the WIT variant as its `Debug` form;
/// this is the readable one.)
pub fn describe(error: &Error) -> String {
    Describe(error).to_string()
}

struct Describe<'a>(&'a Error);

impl fmt::Display for Describe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Error::ExecutionFailed => write!(f, "execution failed"),
            Error::PermanentInvalidInput(e) => match e.index {
                Some(i) => write!(f, "invalid input: record {i}, {}: {}", e.field, e.message),
                None => write!(f, "invalid input: {}: {}", e.field, e.message),
            },
            Error::PermanentUnauthorized(m) => write!(f, "unauthorized: {m}"),
            Error::PermanentNotFound(m) => write!(f, "not found: {m}"),
            Error::PermanentRejected(e) => write!(f, "rejected (HTTP {}): {}", e.status, e.message),
            Error::PermanentConfig(m) => write!(f, "configuration: {m}"),
            Error::RateLimited(Some(ms)) => write!(f, "rate limited: retry after {ms} ms"),
            Error::RateLimited(None) => write!(f, "rate limited"),
            Error::ServerError(e) => write!(f, "server error (HTTP {}): {}", e.status, e.message),
            Error::Transport(m) => write!(f, "transport: {m}"),
            Error::Timeout(m) => write!(f, "timeout: {m}"),
            Error::Decode(e) => write!(f, "decode: expected {}: {}", e.expected, e.message),
            Error::SubmitOutcomeUnknown(m) => write!(f, "submit outcome unknown: {m}"),
            Error::WaitTimeout(job) => write!(f, "gave up waiting for job {} ({:?})", job.id, job.status),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_the_case_a_caller_acts_on() {
        assert!(matches!(
            from_status(401, b"", None),
            Error::PermanentUnauthorized(_)
        ));
        assert!(matches!(
            from_status(403, b"", None),
            Error::PermanentUnauthorized(_)
        ));
        assert!(matches!(from_status(404, b"", None), Error::PermanentNotFound(_)));
        assert!(matches!(
            from_status(429, b"", Some(1500)),
            Error::RateLimited(Some(1500))
        ));
        assert!(matches!(
            from_status(503, b"", None),
            Error::ServerError(HttpError { status: 503, .. })
        ));
        assert!(matches!(
            from_status(409, b"", None),
            Error::PermanentRejected(HttpError { status: 409, .. })
        ));
        match from_status(400, br#"{"message":"records must be a list"}"#, None) {
            Error::PermanentInvalidInput(e) => {
                assert_eq!(e.index, None);
                assert!(e.message.contains("records must be a list"), "{}", e.message);
            }
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn an_unauthorized_message_says_which_key_or_that_there_was_none() {
        let body = br#"{"message":"Invalid API key"}"#;
        let message = |key| match unauthorized(401, body, key) {
            Error::PermanentUnauthorized(m) => m,
            other => panic!("{other:?}"),
        };

        let missing = message(KeySource::Missing);
        assert!(missing.contains("MATCHKRAFT_API_KEY is not set"), "{missing}");
        assert!(missing.contains("no key was sent"), "{missing}");

        let component = message(KeySource::Component);
        assert!(
            component.contains("the API refused the key in MATCHKRAFT_API_KEY"),
            "{component}"
        );

        let host = message(KeySource::Host);
        assert!(host.contains("the API refused the key the host adds"), "{host}");
        assert!(host.contains("key configured in the host"), "{host}");

        for (text, source) in [(&component, "component"), (&host, "host")] {
            assert!(!text.contains("not set"), "{source}: {text}");
            assert!(!text.contains("no key was sent"), "{source}: {text}");
        }
        for text in [&missing, &component, &host] {
            assert!(text.contains("(HTTP 401): Invalid API key;"), "{text}");
        }
        assert!(unauthorized_message(403, "Forbidden", KeySource::Host).contains("(HTTP 403): Forbidden"));
    }

    #[test]
    fn api_message_prefers_json_fields_and_cuts_long_bodies() {
        assert_eq!(api_message(br#"{"error":"bad key","code":7}"#), "bad key");
        assert_eq!(api_message(b""), "(no message)");
        let long = "x".repeat(1000);
        let cut = api_message(long.as_bytes());
        assert_eq!(cut.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn truncate_respects_character_boundaries() {
        assert_eq!(truncate("héllo", 2), "hé…");
        assert_eq!(truncate("hé", 5), "hé");
    }
}
