//! Error bodies: `error::from_status`, `error::api_message`, `error::truncate`
//! and `error::describe`, as a failed response reaches them.
//!
//! Input layout (an 11-byte header, missing bytes read as 0):
//! bytes 0-1 the HTTP status (big-endian `u16`), byte 2 whether there is a
//! `Retry-After` (odd: yes), bytes 3-10 its milliseconds (big-endian `u64`);
//! the rest is the response body.
//!
//! Checks (those of `tests/properties/error_body.rs`):
//! - `api_message` is never empty and at most 300 characters plus `…`;
//! - a body that is not JSON is quoted as itself, trimmed and cut by
//!   `truncate` to 300 characters (`(no message)` when blank);
//! - `truncate(text, max)` (max from byte 2) keeps the text or its first
//!   `max` characters followed by `…`;
//! - `from_status` maps each status to its case, carrying the message (or
//!   the `Retry-After` for 429), as its doc comment's table says.

#![no_main]

use libfuzzer_sys::fuzz_target;
use matchkraft_component::{Error, error};

const MAX_MESSAGE_CHARS: usize = 300;

fuzz_target!(|data: &[u8]| {
    let mut header = [0u8; 11];
    let split = data.len().min(header.len());
    header[..split].copy_from_slice(&data[..split]);
    let body = &data[split..];
    let status = u16::from_be_bytes([header[0], header[1]]);
    let retry_after = (header[2] % 2 == 1).then(|| u64::from_be_bytes(header[3..11].try_into().unwrap()));

    let message = error::api_message(body);
    let chars = message.chars().count();
    assert!(chars > 0, "empty message");
    assert!(chars <= MAX_MESSAGE_CHARS + 1, "{chars} characters");
    if chars == MAX_MESSAGE_CHARS + 1 {
        assert!(message.ends_with('…'), "a cut message without the mark: {message:?}");
    }
    if serde_json::from_slice::<serde_json::Value>(body).is_err() {
        let lossy = String::from_utf8_lossy(body);
        let text = lossy.trim();
        let expected = if text.is_empty() {
            "(no message)".to_string()
        } else {
            error::truncate(text, MAX_MESSAGE_CHARS)
        };
        assert_eq!(message, expected);
    }

    let text = String::from_utf8_lossy(body);
    let max = usize::from(header[2]);
    let cut = error::truncate(&text, max);
    if text.chars().count() <= max {
        assert_eq!(cut, text);
    } else {
        let expected: String = text.chars().take(max).chain(['…']).collect();
        assert_eq!(cut, expected);
    }

    let error = error::from_status(status, body, retry_after);
    let ok = match (status, &error) {
        (400 | 422, Error::PermanentInvalidInput(e)) => {
            e.field == "records" && e.index.is_none() && e.message.contains(&message)
        }
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
    assert!(ok, "HTTP {status} gave {error:?}");
    assert!(!error::describe(&error).is_empty());
});
