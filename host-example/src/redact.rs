//! Keeping the API key out of what the host returns.
//!
//! The API may echo the key it was sent (`Invalid API key <the key>`), and the
//! component turns error bodies into error messages. Whichever side holds the
//! key, the host replaces it in every text a call returns before the caller
//! sees it, so no message, log line, ledger row or webhook event built from a
//! call's answer can carry it.

use std::io::Write as _;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

use crate::types::{Error, Job, JobResults};

/// What replaces the key.
pub(crate) const REDACTED: &str = "<redacted>";

/// A value whose texts may quote the key.
pub(crate) trait Redact {
    /// Replaces every occurrence of `key` in the value's texts.
    fn redact(&mut self, key: &str);
}

/// `text` with every occurrence of `key` replaced. An empty key redacts
/// nothing (it would match everywhere).
pub(crate) fn redact_text(text: &mut String, key: &str) {
    if !key.is_empty() && text.contains(key) {
        *text = text.replace(key, REDACTED);
    }
}

impl Redact for String {
    fn redact(&mut self, key: &str) {
        redact_text(self, key);
    }
}

impl Redact for Job {
    fn redact(&mut self, key: &str) {
        redact_text(&mut self.id, key);
        if let Some(name) = &mut self.name {
            redact_text(name, key);
        }
    }
}

impl Redact for JobResults {
    /// The job only: results are the records' own data, kept exact.
    fn redact(&mut self, key: &str) {
        self.job.redact(key);
    }
}

impl Redact for crate::types::WebhookEvent {
    fn redact(&mut self, key: &str) {
        redact_text(&mut self.job_id, key);
    }
}

impl Redact for Error {
    fn redact(&mut self, key: &str) {
        match self {
            Error::ExecutionFailed | Error::RateLimited(_) => {}
            Error::PermanentInvalidInput(invalid) => {
                redact_text(&mut invalid.field, key);
                redact_text(&mut invalid.message, key);
            }
            Error::PermanentUnauthorized(text)
            | Error::PermanentNotFound(text)
            | Error::PermanentConfig(text)
            | Error::Transport(text)
            | Error::Timeout(text)
            | Error::SubmitOutcomeUnknown(text) => redact_text(text, key),
            Error::PermanentRejected(http) | Error::ServerError(http) => redact_text(&mut http.message, key),
            Error::Decode(decode) => {
                redact_text(&mut decode.expected, key);
                redact_text(&mut decode.message, key);
            }
            Error::WaitTimeout(job) => job.redact(key),
        }
    }
}

impl<T: Redact> Redact for Result<T, Error> {
    fn redact(&mut self, key: &str) {
        match self {
            Ok(value) => value.redact(key),
            Err(error) => error.redact(key),
        }
    }
}

/// The component's stderr: the host process's stderr, a line at a time, with
/// the key replaced. Lines are written whole so that a key split across two
/// writes of the component is still found; a line longer than
/// [`MAX_LINE`] is written in pieces (and a key across that cut is not).
#[derive(Clone)]
pub(crate) struct RedactingStderr {
    key: Option<Arc<str>>,
}

/// The longest line held back waiting for its end.
const MAX_LINE: usize = 64 * 1024;

impl RedactingStderr {
    pub(crate) fn new(key: Option<Arc<str>>) -> Self {
        RedactingStderr { key }
    }
}

impl IsTerminal for RedactingStderr {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for RedactingStderr {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(LineWriter {
            key: self.key.clone(),
            line: Vec::new(),
        })
    }
}

/// One instance's stderr stream: complete lines go out redacted.
struct LineWriter {
    key: Option<Arc<str>>,
    line: Vec<u8>,
}

impl LineWriter {
    /// Writes `bytes` (whole lines, or a cut-off piece) to stderr, redacted.
    fn emit(&self, bytes: &[u8]) {
        let mut text = String::from_utf8_lossy(bytes).into_owned();
        if let Some(key) = &self.key {
            redact_text(&mut text, key);
        }
        // The host's stderr failing is nothing the component can act on.
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }
}

impl AsyncWrite for LineWriter {
    fn poll_write(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        self.line.extend_from_slice(buf);
        if let Some(end) = self.line.iter().rposition(|&b| b == b'\n') {
            let rest = self.line.split_off(end + 1);
            let lines = std::mem::replace(&mut self.line, rest);
            self.emit(&lines);
        }
        if self.line.len() > MAX_LINE {
            let piece = std::mem::take(&mut self.line);
            self.emit(&piece);
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let rest = std::mem::take(&mut self.line);
        if !rest.is_empty() {
            self.emit(&rest);
        }
        Poll::Ready(Ok(()))
    }
}

impl Drop for LineWriter {
    /// A last line without its line break still goes out.
    fn drop(&mut self) {
        if !self.line.is_empty() {
            self.emit(&self.line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{HttpError, JobStatus, JobType};

    #[test]
    fn every_occurrence_of_the_key_goes() {
        let mut text = "Invalid API key k3y (k3yk3y)".to_string();
        redact_text(&mut text, "k3y");
        assert_eq!(text, "Invalid API key <redacted> (<redacted><redacted>)");
        let mut untouched = "nothing here".to_string();
        redact_text(&mut untouched, "");
        assert_eq!(untouched, "nothing here");
    }

    #[test]
    fn errors_lose_the_key_in_every_text() {
        let key = "sk-live-123";
        let mut errors = [
            Error::PermanentUnauthorized(format!("Invalid API key {key}")),
            Error::ServerError(HttpError {
                status: 500,
                message: format!("{key} broke"),
            }),
            Error::WaitTimeout(Job {
                id: "j".into(),
                name: Some(format!("named {key}")),
                job_type: JobType::DomainScan,
                status: JobStatus::Processing,
                progress: None,
            }),
        ];
        for error in &mut errors {
            error.redact(key);
            let shown = format!("{error:?} {}", error.message());
            assert!(!shown.contains(key), "{shown}");
            assert!(shown.contains(REDACTED), "{shown}");
        }
    }
}
