//! Scripted faults: the ways a real API, proxy or network misbehaves, on
//! demand and in a fixed order, so a client's error handling can be tested
//! deterministically.
//!
//! [`Simulator::inject`](crate::Simulator::inject) queues a fault for the
//! next `times` requests, whatever their route; queued faults are used first
//! in, first out. Every request is still recorded, and its body is read in
//! full before the fault acts (a client that goes away mid-body uses up no
//! fault: nothing could be answered anyway).
//!
//! Some faults stand in for a broken proxy in front of the API and so never
//! reach it ("work" not done: no job is created); others break the answer of
//! an API that did its work (a POST created its job; the client just cannot
//! tell). The difference matters to a client deciding whether a retry might
//! submit a job twice.
//!
//! | Fault                   | Work done | What the client sees                                                   |
//! |-------------------------|-----------|------------------------------------------------------------------------|
//! | `Status`                | no        | that status, `{"message": …}`, and `Retry-After` if given              |
//! | `SlowFirstByte(d)`      | yes       | the normal answer, `d` later                                           |
//! | `StallBody`             | yes       | headers with the full Content-Length, half the body, then nothing      |
//! | `ResetBeforeResponse`   | no        | the connection closes with no response                                 |
//! | `ResetAfterCommit`      | yes       | the connection closes with no response                                 |
//! | `TruncatedJson`         | yes       | the normal status and the first half of the JSON, Content-Length to match |
//! | `HtmlWith200`           | no        | `200`, `text/html`, an HTML error page                                 |
//! | `Oversized(n)`          | yes       | the normal answer padded with a `"padding"` string to `n` bytes        |
//! | `WrongContentType`      | yes       | the normal answer labelled `text/plain`                                |
//! | `EchoKey { status }`    | no        | that status and a body quoting the request's `apikey` header           |
//!
//! "The normal answer" is whatever the request would have got without the
//! fault, a 401 or 404 included.
//!
//! # Random faults
//!
//! For a soak test, [`SimConfig::random_faults`](crate::SimConfig::random_faults)
//! gives a share of all requests a fault drawn from a list ([`RandomFaults`]).
//! The draw for the n-th request (in the order of
//! [`Simulator::requests`](crate::Simulator::requests)) depends only on the
//! seed and n, so a run with the same seed and the same request order gets
//! the same faults. A scripted fault takes precedence: a request that uses
//! one ignores its random draw, and the draws of later requests stay the
//! same. Which fault a request got, if any, is in
//! [`RecordedRequest::fault`](crate::RecordedRequest::fault).

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use hyper::header::{HeaderValue, RETRY_AFTER};
use hyper::{Response, StatusCode};

use crate::reply::{Reply, SimBody};
use crate::rng::Rng;

/// A misbehaviour to script with [`Simulator::inject`](crate::Simulator::inject).
/// See the [module docs](self) for what each does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer `status` (200..=599) with a small `{"message": …}` JSON body and,
    /// if given, a `Retry-After` header with this exact value, without doing
    /// the work.
    Status {
        /// The HTTP status code.
        status: u16,
        /// The `Retry-After` value, e.g. `"2"` or an HTTP date; sent verbatim.
        retry_after: Option<String>,
    },
    /// Do the work, then wait this long before sending the answer.
    SlowFirstByte(Duration),
    /// Do the work, send headers and half the body, then hold the connection
    /// open without sending more.
    StallBody,
    /// Close the connection without a response and without doing the work.
    ResetBeforeResponse,
    /// Do the work (a POST creates its job), then close the connection
    /// without a response.
    ResetAfterCommit,
    /// Do the work and send the first half of the JSON body, with a
    /// Content-Length that matches the cut body.
    TruncatedJson,
    /// Answer `200` with an HTML error page, as a misconfigured proxy might,
    /// without doing the work.
    HtmlWith200,
    /// Do the work and pad the JSON answer with a long `"padding"` string
    /// field to this many bytes (or to the shortest padded size, if the
    /// answer plus an empty padding field is already longer).
    Oversized(usize),
    /// Do the work and send the correct JSON labelled `text/plain`.
    WrongContentType,
    /// Answer `status` (200..=599) with a body that quotes the `apikey`
    /// header the request carried, as an API that echoes a wrong key does
    /// (`Invalid API key <the key>`), without doing the work; for a test
    /// that a client never shows the key. With no such header the body says
    /// `(none)`. From 400 on the body is the API's error shape,
    /// `{"message": "Invalid API key <the key>"}`; below 400 it is the JSON
    /// string `"Invalid API key <the key>"`: valid JSON, but not the object
    /// a client expects, and the kind of value a JSON parser quotes in its
    /// error message. Either way `application/json`.
    EchoKey {
        /// The HTTP status code.
        status: u16,
    },
}

impl Fault {
    /// The variant's name, e.g. `"Status"` or `"StallBody"`: the key of
    /// [`Stats::faults_by_kind`](crate::Stats::faults_by_kind) and the value
    /// of [`RecordedRequest::fault`](crate::RecordedRequest::fault).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Fault::Status { .. } => "Status",
            Fault::SlowFirstByte(_) => "SlowFirstByte",
            Fault::StallBody => "StallBody",
            Fault::ResetBeforeResponse => "ResetBeforeResponse",
            Fault::ResetAfterCommit => "ResetAfterCommit",
            Fault::TruncatedJson => "TruncatedJson",
            Fault::HtmlWith200 => "HtmlWith200",
            Fault::Oversized(_) => "Oversized",
            Fault::WrongContentType => "WrongContentType",
            Fault::EchoKey { .. } => "EchoKey",
        }
    }

    /// Rejects a fault that cannot be put on the wire, at `inject` time, so a
    /// mistake in a test script fails loudly where it was made.
    pub(crate) fn check(&self) {
        if let Err(problem) = self.validate() {
            panic!("{problem}");
        }
    }

    /// What makes this fault impossible to send, if anything.
    fn validate(&self) -> Result<(), String> {
        if let Fault::EchoKey { status } = self
            && !(200..=599).contains(status)
        {
            return Err(format!(
                "Fault::EchoKey needs a status in 200..=599, got {status}"
            ));
        }
        if let Fault::Status { status, retry_after } = self {
            if !(200..=599).contains(status) {
                return Err(format!("Fault::Status needs a status in 200..=599, got {status}"));
            }
            if let Some(value) = retry_after
                && HeaderValue::from_str(value).is_err()
            {
                return Err(format!(
                    "Fault::Status retry_after {value:?} is not a valid header value"
                ));
            }
        }
        Ok(())
    }
}

/// Faults sprinkled at random over all requests, for a soak test: each
/// request gets one with probability `rate`, its kind chosen uniformly from
/// `kinds`. See [Random faults](self#random-faults).
#[derive(Debug, Clone, PartialEq)]
pub struct RandomFaults {
    /// The share of requests that get a fault, `0.0..=1.0`: `0.0` never,
    /// `1.0` every request.
    pub rate: f64,
    /// Fixes the sequence of draws; the same seed and request order give the
    /// same faults.
    pub seed: u64,
    /// The faults to choose from, uniformly; a kind listed twice is chosen
    /// twice as often. Must not be empty unless `rate` is `0.0`.
    pub kinds: Vec<Fault>,
}

impl RandomFaults {
    /// Why this cannot be used, if it cannot: a rate outside `0.0..=1.0`
    /// (NaN included), no kinds to choose from, or a kind that cannot be
    /// sent (see [`Simulator::inject`](crate::Simulator::inject)).
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.rate) {
            return Err(format!(
                "RandomFaults rate must be within 0.0..=1.0, got {}",
                self.rate
            ));
        }
        if self.rate > 0.0 && self.kinds.is_empty() {
            return Err("RandomFaults kinds must not be empty when rate is above 0".into());
        }
        self.kinds.iter().try_for_each(Fault::validate)
    }
}

/// Draws the random fault of each request in turn.
#[derive(Debug)]
pub(crate) struct RandomFaultPicker {
    rate: f64,
    kinds: Vec<Fault>,
    rng: Rng,
}

impl RandomFaultPicker {
    /// A picker for a configuration that passed [`RandomFaults::validate`].
    pub(crate) fn new(config: &RandomFaults) -> RandomFaultPicker {
        RandomFaultPicker {
            rate: config.rate,
            kinds: config.kinds.clone(),
            rng: Rng::new(config.seed),
        }
    }

    /// The random fault for the next request, if it gets one. Always draws
    /// two numbers, fault or not, so that the n-th draw depends on n alone
    /// and not on what earlier requests got.
    pub(crate) fn next_fault(&mut self) -> Option<Fault> {
        let hit = self.rng.unit() < self.rate;
        let pick = self.rng.next_u64();
        if !hit || self.kinds.is_empty() {
            return None;
        }
        let index = ((u128::from(pick) * self.kinds.len() as u128) >> 64) as usize;
        Some(self.kinds[index].clone())
    }
}

/// The queue behind `inject`: each entry is a fault and how many more
/// requests it applies to.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    entries: VecDeque<(Fault, usize)>,
}

impl FaultQueue {
    /// Queues `fault` for the next `times` requests after those already queued.
    pub(crate) fn push(&mut self, fault: Fault, times: usize) {
        if times > 0 {
            self.entries.push_back((fault, times));
        }
    }

    /// The fault for the request at hand, if any.
    pub(crate) fn next_fault(&mut self) -> Option<Fault> {
        let (fault, remaining) = self.entries.front_mut()?;
        let fault = fault.clone();
        *remaining -= 1;
        if *remaining == 0 {
            self.entries.pop_front();
        }
        Some(fault)
    }
}

/// The error a request's service returns to make hyper drop the connection
/// without writing a response.
#[derive(Debug)]
pub(crate) struct DropConnection;

impl fmt::Display for DropConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped on purpose (simulated fault)")
    }
}

impl std::error::Error for DropConnection {}

/// Answers a request under `fault`. `work` is the normal handler; it runs
/// only for faults that do the work. `api_key` is the request's `apikey`
/// header, for [`Fault::EchoKey`].
pub(crate) async fn respond(
    fault: Option<Fault>,
    api_key: Option<&HeaderValue>,
    work: impl FnOnce() -> Reply,
) -> Result<Response<SimBody>, DropConnection> {
    let Some(fault) = fault else {
        return Ok(work().into_response());
    };
    match fault {
        Fault::Status { status, retry_after } => Ok(status_reply(status, retry_after).into_response()),
        Fault::SlowFirstByte(delay) => {
            let reply = work();
            tokio::time::sleep(delay).await;
            Ok(reply.into_response())
        }
        Fault::StallBody => Ok(work().into_stalled_response()),
        Fault::ResetBeforeResponse => Err(DropConnection),
        Fault::ResetAfterCommit => {
            work();
            Err(DropConnection)
        }
        Fault::TruncatedJson => {
            let mut reply = work();
            reply.body = reply.body.slice(..reply.body.len() / 2);
            Ok(reply.into_response())
        }
        Fault::HtmlWith200 => Ok(html_error_page().into_response()),
        Fault::Oversized(size) => {
            let mut reply = work();
            reply.body = pad_json(&reply.body, size);
            Ok(reply.into_response())
        }
        Fault::WrongContentType => {
            let mut reply = work();
            reply.content_type = "text/plain";
            Ok(reply.into_response())
        }
        Fault::EchoKey { status } => Ok(echo_key_reply(status, api_key).into_response()),
    }
}

fn echo_key_reply(status: u16, api_key: Option<&HeaderValue>) -> Reply {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::UNAUTHORIZED);
    let key = api_key.map_or_else(
        || "(none)".into(),
        |value| String::from_utf8_lossy(value.as_bytes()).into_owned(),
    );
    let message = format!("Invalid API key {key}");
    if status.as_u16() >= 400 {
        Reply::message(status, &message)
    } else {
        Reply::json(status, &message)
    }
}

fn status_reply(status: u16, retry_after: Option<String>) -> Reply {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let reason = status.canonical_reason().unwrap_or("Error");
    let reply = Reply::message(status, &format!("{reason} (simulated)"));
    match retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
        Some(value) => reply.with_header(RETRY_AFTER, value),
        None => reply,
    }
}

fn html_error_page() -> Reply {
    Reply {
        status: StatusCode::OK,
        content_type: "text/html; charset=utf-8",
        body: Bytes::from_static(
            b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n\
              <body><h1>502 Bad Gateway</h1><p>The upstream server did not answer.</p></body></html>\n",
        ),
        headers: Vec::new(),
    }
}

/// Adds `"padding":"xxx…"` at the end of a JSON object so the whole is
/// `size` bytes long, keeping it valid JSON of the same shape: a client that
/// ignores its size limit would happily accept it, which is what a test of
/// that limit needs to rule out.
fn pad_json(object: &[u8], size: usize) -> Bytes {
    let Some(without_brace) = object.strip_suffix(b"}") else {
        return Bytes::copy_from_slice(object);
    };
    let separator: &[u8] = if without_brace.ends_with(b"{") { b"" } else { b"," };
    let overhead = without_brace.len() + separator.len() + br#""padding":""}"#.len();
    let mut padded = Vec::with_capacity(size.max(overhead));
    padded.extend_from_slice(without_brace);
    padded.extend_from_slice(separator);
    padded.extend_from_slice(br#""padding":""#);
    padded.resize(padded.len() + size.saturating_sub(overhead), b'x');
    padded.extend_from_slice(b"\"}");
    Bytes::from(padded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_is_fifo_and_counts_down() {
        let mut queue = FaultQueue::default();
        queue.push(Fault::StallBody, 2);
        queue.push(Fault::HtmlWith200, 0);
        queue.push(Fault::TruncatedJson, 1);
        assert_eq!(queue.next_fault(), Some(Fault::StallBody));
        assert_eq!(queue.next_fault(), Some(Fault::StallBody));
        assert_eq!(queue.next_fault(), Some(Fault::TruncatedJson));
        assert_eq!(queue.next_fault(), None);
    }

    fn random(rate: f64, seed: u64, kinds: Vec<Fault>) -> RandomFaultPicker {
        let config = RandomFaults { rate, seed, kinds };
        config.validate().unwrap();
        RandomFaultPicker::new(&config)
    }

    fn kinds() -> Vec<Fault> {
        vec![Fault::StallBody, Fault::HtmlWith200, Fault::TruncatedJson]
    }

    #[test]
    fn random_rate_zero_never_faults_and_one_always_does() {
        let mut never = random(0.0, 1, kinds());
        assert!((0..1000).all(|_| never.next_fault().is_none()));
        let mut always = random(1.0, 1, kinds());
        assert!((0..1000).all(|_| always.next_fault().is_some()));
        // No kinds is fine when nothing is ever drawn.
        assert!(random(0.0, 1, Vec::new()).next_fault().is_none());
    }

    #[test]
    fn random_faults_replay_from_the_seed_and_use_every_kind() {
        let draw = |seed| {
            let mut picker = random(0.5, seed, kinds());
            (0..200).map(|_| picker.next_fault()).collect::<Vec<_>>()
        };
        let first = draw(9);
        assert_eq!(first, draw(9));
        assert_ne!(first, draw(10));
        let hits = first.iter().flatten().count();
        assert!((70..=130).contains(&hits), "about half: {hits}");
        for kind in kinds() {
            assert!(first.contains(&Some(kind.clone())), "{kind:?} never drawn");
        }
    }

    #[test]
    fn random_faults_refuse_impossible_settings() {
        let check = |rate, kinds| RandomFaults { rate, seed: 0, kinds }.validate();
        assert!(check(0.3, kinds()).is_ok());
        assert!(check(1.5, kinds()).unwrap_err().contains("0.0..=1.0"));
        assert!(check(-0.1, kinds()).is_err());
        assert!(check(f64::NAN, kinds()).is_err());
        assert!(check(0.3, Vec::new()).unwrap_err().contains("empty"));
        let bad = Fault::Status {
            status: 99,
            retry_after: None,
        };
        assert!(check(0.3, vec![bad]).unwrap_err().contains("200..=599"));
    }

    #[test]
    fn kind_names_are_the_variant_names() {
        let oversized = Fault::Oversized(3);
        assert_eq!(oversized.kind_name(), "Oversized");
        assert!(format!("{oversized:?}").starts_with(oversized.kind_name()));
        assert_eq!(
            Fault::Status {
                status: 500,
                retry_after: None
            }
            .kind_name(),
            "Status"
        );
    }

    #[test]
    fn padding_reaches_the_size_and_stays_valid_json() {
        let padded = pad_json(br#"{"jobId":"x"}"#, 1000);
        assert_eq!(padded.len(), 1000);
        let value: serde_json::Value = serde_json::from_slice(&padded).unwrap();
        assert_eq!(value["jobId"], "x");

        let tiny = pad_json(br#"{"a":1}"#, 3);
        assert_eq!(&tiny[..], br#"{"a":1,"padding":""}"#);
        assert_eq!(&pad_json(b"{}", 0)[..], br#"{"padding":""}"#);
    }

    #[test]
    fn status_fault_has_message_and_retry_after() {
        let reply = status_reply(503, Some("2".into()));
        assert_eq!(reply.status, 503);
        assert_eq!(
            &reply.body[..],
            br#"{"message":"Service Unavailable (simulated)"}"#
        );
        assert_eq!(reply.headers, [(RETRY_AFTER, HeaderValue::from_static("2"))]);
    }

    #[test]
    fn echo_key_quotes_the_key_as_an_error_or_as_a_bare_string() {
        let key = HeaderValue::from_static("wrong-key");
        let error = echo_key_reply(401, Some(&key));
        assert_eq!(error.status, 401);
        assert_eq!(&error.body[..], br#"{"message":"Invalid API key wrong-key"}"#);
        let ok = echo_key_reply(200, Some(&key));
        assert_eq!((ok.status, ok.content_type), (StatusCode::OK, "application/json"));
        assert_eq!(&ok.body[..], br#""Invalid API key wrong-key""#);
        assert_eq!(
            &echo_key_reply(500, None).body[..],
            br#"{"message":"Invalid API key (none)"}"#
        );
        assert!(
            RandomFaults {
                rate: 0.5,
                seed: 0,
                kinds: vec![Fault::EchoKey { status: 600 }],
            }
            .validate()
            .unwrap_err()
            .contains("EchoKey")
        );
    }

    #[test]
    #[should_panic(expected = "200..=599")]
    fn impossible_status_is_rejected_when_injected() {
        Fault::Status {
            status: 42,
            retry_after: None,
        }
        .check();
    }

    #[tokio::test]
    async fn work_runs_only_for_faults_that_do_the_work() {
        let mut ran = 0;
        let ok = || Reply::message(StatusCode::OK, "done");
        for (fault, does_work) in [
            (Fault::ResetBeforeResponse, false),
            (Fault::HtmlWith200, false),
            (
                Fault::Status {
                    status: 500,
                    retry_after: None,
                },
                false,
            ),
            (Fault::EchoKey { status: 401 }, false),
            (Fault::ResetAfterCommit, true),
            (Fault::TruncatedJson, true),
            (Fault::WrongContentType, true),
            (Fault::Oversized(10), true),
            (Fault::StallBody, true),
            (Fault::SlowFirstByte(Duration::ZERO), true),
        ] {
            let before = ran;
            let _ = respond(Some(fault.clone()), None, || {
                ran += 1;
                ok()
            })
            .await;
            assert_eq!(ran > before, does_work, "{fault:?}");
        }
    }
}
