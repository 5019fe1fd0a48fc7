//! Keeping the API key out of every text the component hands back or writes.
//!
//! When the component holds the key (`MATCHKRAFT_API_KEY` in its
//! environment), an API that echoes it (`Invalid API key <the key>`) would
//! otherwise put it in error messages built from response bodies, in decode
//! errors that quote a body, and in the relay's log lines and deliveries.
//! A [`Redactor`] made from the configured key is applied where text leaves
//! the component, not where each message is built:
//! - every [`Error`] an export returns, in one pass at the export boundary
//!   (`lib.rs`), whichever module built it;
//! - in the relay, every line it logs, every answer it sends and the body it
//!   delivers downstream.
//!
//! When the host holds the key the component never sees it and there is
//! nothing to redact here; the host redacts what it returns itself.
//!
//! # The rule
//!
//! - What is looked for is the key with surrounding whitespace trimmed (HTTP
//!   trims header values, so that is what an API can echo). A key that is
//!   empty after trimming redacts nothing: an empty needle matches everywhere.
//! - Any other key is redacted exactly, however short. A key of a character
//!   or two makes messages hard to read, but a secret is never shown, and the
//!   API refuses such a key anyway.
//! - Matching is exact and case-sensitive. Besides the key itself its
//!   JSON-escaped forms are looked for (`"` and `\` escaped; `/` also as `\/`,
//!   as some servers write it), so a message that quotes a raw body is
//!   covered too.
//! - Every occurrence is replaced by [`REDACTED`]. Occurrences that overlap
//!   (`abab` twice in `ababab`) become one `<redacted>`, so no part of the key
//!   is left showing.
//! - In JSON ([`Redactor::json`]) the key is replaced inside strings, object
//!   keys included, after their escapes are decoded, so the JSON stays valid.
//!   Only if it also occurs outside every string (a key that looks like a
//!   number) is the text redacted as plain text, which may break the JSON:
//!   the key is never sent on.

use crate::{DecodeError, Error, HttpError, InvalidInput, Job, JobStatus};
use std::borrow::Cow;
use std::fmt;

/// What replaces the key.
pub const REDACTED: &str = "<redacted>";

/// Replaces the configured API key in texts; with no key, changes nothing.
///
/// `Debug` never shows the key.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Redactor {
    /// The forms of the key looked for (see the module docs); empty when
    /// there is no key.
    needles: Vec<String>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("key", &self.is_active().then_some(REDACTED))
            .finish()
    }
}

impl Redactor {
    /// A redactor for `key` (see [the rule](self#the-rule)); `None`, or a key
    /// that is empty once trimmed, redacts nothing.
    pub fn new(key: Option<&str>) -> Redactor {
        let Some(key) = key.map(str::trim).filter(|key| !key.is_empty()) else {
            return Redactor::default();
        };
        let escaped = json_escape(key);
        let slashed = escaped.replace('/', "\\/");
        let mut needles = vec![key.to_string()];
        for form in [escaped, slashed] {
            if !needles.contains(&form) {
                needles.push(form);
            }
        }
        Redactor { needles }
    }

    /// A redactor for the key in `MATCHKRAFT_API_KEY` among `(name, value)`
    /// pairs, read as [`Config::from_vars`](crate::config::Config::from_vars)
    /// reads it.
    pub fn from_vars<'a>(vars: impl IntoIterator<Item = &'a (String, String)>) -> Redactor {
        let key = vars
            .into_iter()
            .filter(|(name, _)| name == crate::config::API_KEY)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
            .last();
        Redactor::new(key)
    }

    /// A redactor for the key in `wasi:cli/environment`, if there is one.
    pub fn from_env() -> Redactor {
        Redactor::from_vars(&wasi::cli::environment::get_environment())
    }

    /// Whether there is a key to redact.
    pub fn is_active(&self) -> bool {
        !self.needles.is_empty()
    }

    /// `text` with every occurrence of the key replaced by [`REDACTED`];
    /// borrowed when there was none.
    pub fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let spans = self.spans(text);
        if spans.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        for (start, end) in spans {
            out.push_str(&text[copied..start]);
            out.push_str(REDACTED);
            copied = end;
        }
        out.push_str(&text[copied..]);
        Cow::Owned(out)
    }

    /// [`Redactor::text`] for an owned string.
    pub fn string(&self, text: String) -> String {
        match self.text(&text) {
            Cow::Borrowed(_) => text,
            Cow::Owned(redacted) => redacted,
        }
    }

    /// The error with the key replaced in every text it carries.
    pub fn error(&self, error: Error) -> Error {
        if !self.is_active() {
            return error;
        }
        let text = |message: String| self.string(message);
        let http = |e: HttpError| HttpError {
            status: e.status,
            message: text(e.message),
        };
        match error {
            Error::ExecutionFailed | Error::RateLimited(_) => error,
            Error::PermanentInvalidInput(e) => Error::PermanentInvalidInput(InvalidInput {
                index: e.index,
                field: text(e.field),
                message: text(e.message),
            }),
            Error::PermanentUnauthorized(m) => Error::PermanentUnauthorized(text(m)),
            Error::PermanentNotFound(m) => Error::PermanentNotFound(text(m)),
            Error::PermanentRejected(e) => Error::PermanentRejected(http(e)),
            Error::PermanentConfig(m) => Error::PermanentConfig(text(m)),
            Error::ServerError(e) => Error::ServerError(http(e)),
            Error::Transport(m) => Error::Transport(text(m)),
            Error::Timeout(m) => Error::Timeout(text(m)),
            Error::Decode(e) => Error::Decode(DecodeError {
                expected: text(e.expected),
                message: text(e.message),
            }),
            Error::SubmitOutcomeUnknown(m) => Error::SubmitOutcomeUnknown(text(m)),
            Error::WaitTimeout(job) => Error::WaitTimeout(Job {
                id: text(job.id),
                name: job.name.map(text),
                job_type: job.job_type,
                status: match job.status {
                    JobStatus::Other(status) => JobStatus::Other(text(status)),
                    known => known,
                },
                progress: job.progress,
            }),
        }
    }

    /// A JSON text with the key replaced inside its strings (see
    /// [the rule](self#the-rule)); borrowed when there was nothing to do.
    pub fn json<'a>(&self, json: &'a str) -> Cow<'a, str> {
        let spans = self.spans(json);
        // Without a backslash every string's value is its text, so the key is
        // in a string only if it is in the text.
        if !self.is_active() || (spans.is_empty() && !json.contains('\\')) {
            return Cow::Borrowed(json);
        }
        let mut out = String::new();
        let mut copied = 0;
        // The strings whose value was read (and redacted where needed).
        let mut strings = Vec::new();
        for (start, end) in string_literals(json) {
            let Ok(value) = serde_json::from_str::<String>(&json[start..end]) else {
                continue;
            };
            strings.push((start, end));
            if let Cow::Owned(redacted) = self.text(&value) {
                out.push_str(&json[copied..start]);
                // A string always serialises.
                out.push_str(&serde_json::to_string(&redacted).unwrap_or_default());
                copied = end;
            }
        }
        let inside_a_string =
            |&(start, end): &(usize, usize)| strings.iter().any(|&(from, to)| from <= start && end <= to);
        if !spans.iter().all(inside_a_string) {
            // The last resort: the key must not leave, even at the cost of the JSON.
            return Cow::Owned(self.text(json).into_owned());
        }
        if copied == 0 {
            return Cow::Borrowed(json);
        }
        out.push_str(&json[copied..]);
        Cow::Owned(out)
    }

    /// Where the key occurs in `text`, as byte ranges, sorted; overlapping
    /// occurrences merged into one range.
    fn spans(&self, text: &str) -> Vec<(usize, usize)> {
        let mut spans = Vec::new();
        for needle in &self.needles {
            // Step past the first character only, to find overlapping occurrences.
            let step = needle.chars().next().map_or(1, char::len_utf8);
            let mut from = 0;
            while let Some(at) = text[from..].find(needle.as_str()) {
                let start = from + at;
                spans.push((start, start + needle.len()));
                from = start + step;
            }
        }
        spans.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
        for (start, end) in spans {
            match merged.last_mut() {
                Some(last) if start < last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        merged
    }
}

/// `text` as it appears inside a JSON string, without the quotes.
fn json_escape(text: &str) -> String {
    let quoted = serde_json::to_string(text).unwrap_or_default();
    quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or(&quoted)
        .to_string()
}

/// The byte ranges of the string literals of a JSON text, quotes included.
/// An unterminated string runs to the end.
fn string_literals(json: &str) -> Vec<(usize, usize)> {
    let bytes = json.as_bytes();
    let mut literals = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] != b'"' {
            at += 1;
            continue;
        }
        let start = at;
        at += 1;
        while at < bytes.len() && bytes[at] != b'"' {
            // An escape: the next byte is never the end of the string.
            at += if bytes[at] == b'\\' { 2 } else { 1 };
        }
        // Past the closing quote (both ends are ASCII: char boundaries).
        at = (at + 1).min(bytes.len());
        literals.push((start, at));
    }
    literals
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redact(key: &str, text: &str) -> String {
        Redactor::new(Some(key)).text(text).into_owned()
    }

    #[test]
    fn every_occurrence_is_replaced_at_the_edges_too() {
        assert_eq!(
            redact(
                "s3cret-KEY",
                "s3cret-KEY: Invalid API key s3cret-KEY, s3cret-KEYs3cret-KEY"
            ),
            "<redacted>: Invalid API key <redacted>, <redacted><redacted>"
        );
        assert_eq!(redact("s3cret-KEY", "s3cret-KEY"), "<redacted>");
        assert_eq!(redact("s3cret-KEY", "no key here"), "no key here");
        // Case-sensitive and exact: a part of the key is not the key.
        assert_eq!(
            redact("s3cret-KEY", "S3CRET-key s3cret-KE"),
            "S3CRET-key s3cret-KE"
        );
        // Multi-byte characters around and inside the key.
        assert_eq!(redact("ключ", "«ключ»ключ"), "«<redacted>»<redacted>");
    }

    #[test]
    fn overlapping_occurrences_leave_no_part_of_the_key() {
        assert_eq!(redact("abab", "xababab y"), "x<redacted> y");
        assert_eq!(redact("aaa", "aaaaa"), "<redacted>");
        assert_eq!(redact("abcab", "abcabcab"), "<redacted>");
        assert_eq!(redact("aa", "aaXaa"), "<redacted>X<redacted>");
    }

    #[test]
    fn an_empty_key_redacts_nothing_and_a_short_one_exactly() {
        for empty in [None, Some(""), Some("   ")] {
            let none = Redactor::new(empty);
            assert!(!none.is_active());
            assert!(matches!(none.text("any text"), Cow::Borrowed("any text")));
            let error = Error::Transport("any text".into());
            assert_eq!(none.error(error.clone()), error);
        }
        // A short key is still redacted, exactly, wherever it occurs.
        assert_eq!(redact("k1", "k1 k k1k1"), "<redacted> k <redacted><redacted>");
        assert_eq!(redact("x", "box"), "bo<redacted>");
        // Surrounding whitespace is not part of what an API can echo.
        assert_eq!(redact("  k3y\t", "bad key k3y"), "bad key <redacted>");
    }

    #[test]
    fn json_escaped_forms_of_the_key_are_redacted() {
        let key = r#"ab/c"d\e"#;
        assert_eq!(redact(key, key), REDACTED);
        assert_eq!(
            redact(key, r#"{"error":"ab/c\"d\\e"}"#),
            r#"{"error":"<redacted>"}"#
        );
        assert_eq!(
            redact(key, r#"{"error":"ab\/c\"d\\e"}"#),
            r#"{"error":"<redacted>"}"#
        );
        assert_eq!(redact(key, r#"Debug: "ab/c\"d\\e""#), r#"Debug: "<redacted>""#);
    }

    #[test]
    fn every_text_of_an_error_is_redacted() {
        let key = "sentinel-key-5f3a9c";
        let r = Redactor::new(Some(key));
        let said = format!("Invalid API key {key}");
        let errors = [
            Error::PermanentUnauthorized(said.clone()),
            Error::PermanentInvalidInput(InvalidInput {
                index: Some(2),
                field: key.into(),
                message: said.clone(),
            }),
            Error::ServerError(HttpError {
                status: 500,
                message: said.clone(),
            }),
            Error::Decode(DecodeError {
                expected: said.clone(),
                message: said.clone(),
            }),
            Error::SubmitOutcomeUnknown(said.clone()),
            Error::WaitTimeout(Job {
                id: key.into(),
                name: Some(said.clone()),
                job_type: crate::JobType::DomainScan,
                status: JobStatus::Other(said.clone()),
                progress: Some(0.5),
            }),
        ];
        for error in errors {
            let redacted = r.error(error.clone());
            let shown = format!("{redacted:?}");
            assert!(!shown.contains(key), "{shown}");
            assert!(shown.contains(REDACTED), "{shown}");
            assert_eq!(std::mem::discriminant(&redacted), std::mem::discriminant(&error));
        }
        assert_eq!(r.error(Error::RateLimited(Some(5))), Error::RateLimited(Some(5)));
        assert!(!format!("{r:?}").contains(key));
    }

    #[test]
    fn json_stays_valid_and_byte_exact_elsewhere() {
        let r = Redactor::new(Some("k3y/9"));
        let untouched = r#"{"a": [1, 2.50, "x"], "b":{"c":null}}"#;
        assert!(matches!(r.json(untouched), Cow::Borrowed(_)));
        let with_escapes = r#"{"a":"line\nnext \u00e9"}"#;
        assert!(matches!(r.json(with_escapes), Cow::Borrowed(_)));

        let cases = [
            (
                r#"{"email":"k3y/9@x.co", "n": 1.50}"#,
                r#"{"email":"<redacted>@x.co", "n": 1.50}"#,
            ),
            // Escaped in the raw text, and in an object key.
            (r#"{"k3y\/9":"\u006b3y/9"}"#, r#"{"<redacted>":"<redacted>"}"#),
            // The key right after an escape: the escape survives.
            (r#"["\nk3y/9\""]"#, r#"["\n<redacted>\""]"#),
        ];
        for (json, expected) in cases {
            let redacted = r.json(json);
            assert_eq!(redacted, expected);
            serde_json::from_str::<serde_json::Value>(&redacted).unwrap();
        }
    }

    #[test]
    fn a_key_outside_every_json_string_is_redacted_as_text() {
        let r = Redactor::new(Some("1234"));
        assert_eq!(
            r.json(r#"{"n":12345,"s":"1234"}"#),
            r#"{"n":<redacted>5,"s":"<redacted>"}"#
        );
        // Inside a string only: valid JSON.
        assert_eq!(r.json(r#"{"s":"a1234"}"#), r#"{"s":"a<redacted>"}"#);
        // Not JSON at all, or a string that never ends: as text.
        assert_eq!(r.json("not json 1234"), "not json <redacted>");
        assert_eq!(r.json(r#"["x", "1234"#), r#"["x", "<redacted>"#);
        // A key that is part of the mark itself, in strings and in `true`.
        let r = Redactor::new(Some("e"));
        let redacted = r.json(r#"{"e":true}"#);
        assert!(!redacted.replace(REDACTED, "").contains('e'), "{redacted}");
    }
}
