//! The webhook relay (built with `--features relay`): a
//! `wasi:http/incoming-handler` that turns the API's `job.completed` webhook
//! into a webhook that carries the job's results.
//!
//! The API's webhook says which job finished, not what it found:
//! `{"event": "job.completed", "jobId", "jobType", "status"}`. The relay
//! receives it, answers at once, fetches the results with [`Client::results`]
//! and POSTs them to `MATCHKRAFT_RELAY_DOWNSTREAM_URL`. The component still
//! exports the `matchkraft:client` interfaces; it runs under any host that
//! serves `wasi:http/proxy` components (`wasmtime serve`, or
//! `matchkraft_host::relay::serve_relay`).
//!
//! # What a delivery gets
//!
//! | request | answer | then |
//! |---|---|---|
//! | `POST`, a valid `job.completed` for a known job type | `200 {"received": true}` | fetch the results, deliver them downstream |
//! | `POST`, valid, but a job type this client does not know | `200 {"received": true, "ignored": "…"}` | a line on stderr, nothing else |
//! | `POST`, not a valid webhook (see [`webhook::parse`]) | `400 {"error": "…", "field": "…"}` | nothing |
//! | `POST`, valid, but the relay is misconfigured | `500 {"error": "…"}` | a line on stderr; the sender may redeliver later |
//! | any other method | `405 {"error": "…"}` with `Allow: POST` | nothing |
//!
//! The answer is sent, body finished, before any request leaves the
//! component: the API asks for a 200 at once, and a fetch (a large job, a
//! retry after a 503) can take seconds, long enough for a sender to give up
//! and deliver again. The price: once acknowledged, a webhook is the relay's
//! responsibility. A fetch or delivery that still fails after its retries is
//! reported on stderr only; the idempotency key below makes delivering the
//! same webhook again (by the API, or by hand) safe.
//!
//! # The downstream delivery
//!
//! `POST <MATCHKRAFT_RELAY_DOWNSTREAM_URL>` with
//! `Content-Type: application/json`, `Idempotency-Key: <jobId>` and
//! `X-MatchKraft-Job-Type: <jobType>`, and this body:
//!
//! ```json
//! {
//!   "jobId": "20f70187-b941-4bb0-b10f-599b025fc425",
//!   "jobName": "Leads",
//!   "jobType": "email-validation",
//!   "status": "COMPLETED",
//!   "results": [{"email": "john@gmail.com", "status": "valid", "…": "…"}]
//! }
//! ```
//!
//! - `jobName` is `null` when the API does not report one; `jobType` is the
//!   endpoint name (`domain-scan`, `email-validation`, `email-finder`).
//! - `status` is what the API reports when the relay fetches the job
//!   (`COMPLETED`, or `FAILED` with usually no results), not what the webhook
//!   claimed: anyone who learns the relay's URL can post to it, so the
//!   webhook is trusted for the job id and type only. A job the API does not
//!   know (404), or reports as still running, is not delivered.
//! - `results` holds every record exactly as the API sent it, in its order.
//!
//! When the component holds the key (`MATCHKRAFT_API_KEY`), it is replaced
//! by `<redacted>` in everything the relay writes: its log lines, its
//! answers, and the downstream body, where a record, the job's name or its
//! id that contains the key has it replaced inside its JSON strings (see
//! [`redact`](crate::redact)); every other byte goes as the API sent it.
//!
//! The POST carries no `apikey` header: the downstream gets a configuration
//! of its own with no key, whatever the component was given. It is retried
//! like a read (connection failures, timeouts, 408, 429, 5xx; see
//! [`retry`](crate::retry)), which is safe because a receiver deduplicates
//! on `Idempotency-Key`: the same webhook delivered twice is delivered
//! downstream twice, with the same key and the same body.
//!
//! # Configuration
//!
//! Everything the client reads (`MATCHKRAFT_BASE_URL`, `MATCHKRAFT_API_KEY`
//! unless the host adds the key, the timeouts and retries, which apply to the
//! downstream POST as well), plus `MATCHKRAFT_RELAY_DOWNSTREAM_URL`: `https://`
//! unless the host is a loopback address (see [`config::relay_downstream`]).

// Natively (unit tests) nothing calls the handler: its export exists only in
// the component, so the code it alone uses would be reported as dead.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use crate::client::Client;
use crate::config::{self, Config};
use crate::error::{describe, truncate};
use crate::redact::Redactor;
use crate::{Error, JobResults, JobStatus, JobType, ResultRecords, WebhookEvent, webhook, wire};
use serde::Serialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use wasi::clocks::monotonic_clock;
use wasi::http::types::{Fields, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam};
use wasi::io::streams::StreamError;

/// How long a sender may take to send its webhook body (about 150 bytes).
const BODY_TIMEOUT_NS: u64 = 10_000_000_000;

/// At most this many characters of a parser message go into a 400 answer
/// (the parser quotes what it got, which may be long).
const MAX_REASON_CHARS: usize = 300;

/// The type that carries the `wasi:http/incoming-handler` export.
struct Relay;

// The export exists only in the component, as for the client's exports
// (see `bindings` in lib.rs); the glue it generates is `unsafe` by nature.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod export {
    use super::Relay;
    wasi::http::proxy::export!(Relay);
}

impl wasi::exports::http::incoming_handler::Guest for Relay {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        // Everything the relay writes passes through it.
        let redactor = &Redactor::from_env();
        if !matches!(request.method(), Method::Post) {
            let answer = Answer::error(405, "only POST is accepted: this is a webhook receiver", None);
            return answer.send(response_out, redactor);
        }
        let body = match read_body(request) {
            Ok(body) => body,
            Err(why) => return Answer::error(400, &why, None).send(response_out, redactor),
        };
        let (job_type, event) = match triage(&body) {
            Triage::Invalid { field, message } => {
                return Answer::error(400, &format!("{field}: {message}"), Some(&field))
                    .send(response_out, redactor);
            }
            Triage::Ignore(event) => {
                log(
                    redactor,
                    &event,
                    &format!(
                        "ignored: the job type {:?} is unknown to this relay",
                        event.job_type_name
                    ),
                );
                return Answer::ignored(&event).send(response_out, redactor);
            }
            Triage::Relay(job_type, event) => (job_type, event),
        };
        // Checked before answering: a 200 for a webhook that can never be
        // delivered would lose it, while a 500 lets the sender try again.
        let (api, downstream) = match clients_from_env() {
            Ok(clients) => clients,
            Err(error) => {
                log(redactor, &event, &format!("not relayed: {}", describe(&error)));
                return Answer::error(500, "the relay is misconfigured (see its log)", None)
                    .send(response_out, redactor);
            }
        };
        Answer::received().send(response_out, redactor);
        relay(redactor, &api, &downstream, job_type, &event);
    }
}

/// What to do with a webhook body, decided before anything is answered.
#[derive(Debug, PartialEq)]
pub enum Triage {
    /// A valid webhook for a job type this client knows: relay it.
    Relay(JobType, WebhookEvent),
    /// A valid webhook for a job type this client does not know: acknowledge
    /// it and do nothing more.
    Ignore(WebhookEvent),
    /// Not a valid webhook: refuse it, naming the field at fault.
    Invalid {
        /// The field at fault (`body`, `event`, `jobId`, `jobType`, `status`).
        field: String,
        /// What is wrong with it, for a person to read.
        message: String,
    },
}

/// Parses and classifies one webhook body with [`webhook::parse`].
pub fn triage(body: &[u8]) -> Triage {
    match webhook::parse(body) {
        Ok(event) => match event.job_type {
            Some(job_type) => Triage::Relay(job_type, event),
            None => Triage::Ignore(event),
        },
        Err(Error::PermanentInvalidInput(invalid)) => Triage::Invalid {
            field: invalid.field,
            message: truncate(&invalid.message, MAX_REASON_CHARS),
        },
        // The parser reports nothing else; should it ever, refuse the body.
        Err(other) => Triage::Invalid {
            field: "body".into(),
            message: describe(&other),
        },
    }
}

/// The API client and the downstream client, from `wasi:cli/environment`.
fn clients_from_env() -> Result<(Client, Client), Error> {
    let vars = wasi::cli::environment::get_environment();
    let api = Config::from_vars(vars.clone())?;
    let downstream = Config {
        // Never the key: the downstream is not the API.
        api_key: None,
        base: config::relay_downstream(vars)?,
        ..api.clone()
    };
    Ok((Client::new(api), Client::new(downstream)))
}

/// Fetches the job's results and delivers them downstream, logging the
/// outcome: the webhook has been answered, so there is no one else to tell.
fn relay(redactor: &Redactor, api: &Client, downstream: &Client, job_type: JobType, event: &WebhookEvent) {
    let results = match api.results(job_type, &event.job_id) {
        Ok(results) => results,
        Err(error) => {
            return log(
                redactor,
                event,
                &format!("not relayed: fetching the results failed: {}", describe(&error)),
            );
        }
    };
    if !matches!(results.job.status, JobStatus::Completed | JobStatus::Failed) {
        return log(
            redactor,
            event,
            &format!(
                "not relayed: the API reports the job as {:?}, not finished",
                results.job.status
            ),
        );
    }
    let body = downstream_body(&event.job_id, job_type, &results, redactor);
    let headers = [
        ("idempotency-key", redactor.text(&event.job_id).into_owned()),
        ("x-matchkraft-job-type", wire::endpoint(job_type).to_string()),
    ];
    let outcome = match downstream.post_idempotent("", &headers, &body) {
        Ok(response) if (200..300).contains(&response.status) => format!(
            "relayed downstream ({} records, {}): HTTP {}",
            record_count(&results.records),
            status_text(&results.job.status),
            response.status
        ),
        Ok(response) => format!(
            "not relayed: the downstream answered HTTP {}: {}",
            response.status,
            crate::error::api_message(&response.body)
        ),
        Err(failure) => format!(
            "not relayed: the downstream POST failed: {}",
            describe(&failure.error)
        ),
    };
    log(redactor, event, &outcome);
}

/// The downstream body (see the [module docs](self)), serialised straight
/// from the records' raw JSON, without parsing them into a tree, with the key
/// replaced by `redactor`.
pub fn downstream_body<'a>(
    job_id: &'a str,
    job_type: JobType,
    results: &'a JobResults,
    redactor: &Redactor,
) -> Vec<u8> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Body<'a> {
        job_id: Cow<'a, str>,
        job_name: Option<Cow<'a, str>>,
        job_type: &'static str,
        status: Cow<'a, str>,
        results: Vec<Record<'a>>,
    }
    /// A record's raw JSON as it is; should a `raw` ever not be JSON (each is
    /// the text of a value the API sent), it goes as a string, never lost.
    #[derive(Serialize)]
    #[serde(untagged)]
    enum Record<'a> {
        Json(&'a RawValue),
        Redacted(Box<RawValue>),
        Text(Cow<'a, str>),
    }
    // A record with the key in it is valid JSON with the key redacted, or (as
    // a last resort) text.
    let record = |raw: &'a str| match redactor.json(raw) {
        Cow::Borrowed(raw) => {
            serde_json::from_str(raw).map_or(Record::Text(Cow::Borrowed(raw)), Record::Json)
        }
        Cow::Owned(redacted) => match RawValue::from_string(redacted) {
            Ok(json) => Record::Redacted(json),
            Err(_) => Record::Text(Cow::Owned(redactor.text(raw).into_owned())),
        },
    };
    let raw: Vec<&str> = match &results.records {
        ResultRecords::DomainScan(list) => list.iter().map(|r| r.raw.as_str()).collect(),
        ResultRecords::EmailValidation(list) => list.iter().map(|r| r.raw.as_str()).collect(),
        ResultRecords::EmailFinder(list) => list.iter().map(|r| r.raw.as_str()).collect(),
    };
    let body = Body {
        job_id: redactor.text(job_id),
        job_name: results.job.name.as_deref().map(|name| redactor.text(name)),
        job_type: wire::endpoint(job_type),
        status: redactor.text(status_text(&results.job.status)),
        results: raw.into_iter().map(record).collect(),
    };
    // Strings and valid raw JSON into a Vec cannot fail.
    serde_json::to_vec(&body).expect("serialising the results to JSON")
}

/// A job status as the API spells it.
fn status_text(status: &JobStatus) -> &str {
    match status {
        JobStatus::Pending => "PENDING",
        JobStatus::Processing => "PROCESSING",
        JobStatus::Completed => "COMPLETED",
        JobStatus::Failed => "FAILED",
        JobStatus::Other(text) => text,
    }
}

fn record_count(records: &ResultRecords) -> usize {
    match records {
        ResultRecords::DomainScan(list) => list.len(),
        ResultRecords::EmailValidation(list) => list.len(),
        ResultRecords::EmailFinder(list) => list.len(),
    }
}

/// One line on stderr about one webhook, with the key redacted: an error it
/// reports may quote an API answer that echoed the key.
fn log(redactor: &Redactor, event: &WebhookEvent, what: &str) {
    let line = format!(
        "matchkraft-relay: job {} ({}): {what}",
        event.job_id, event.job_type_name
    );
    eprintln!("{}", redactor.text(&line));
}

/// Reads the request body, at most one byte past what the parser accepts
/// (enough for it to refuse an oversized body, and never more memory), for at
/// most [`BODY_TIMEOUT_NS`].
fn read_body(request: IncomingRequest) -> Result<Vec<u8>, String> {
    let limit = webhook::MAX_BODY_BYTES + 1;
    let deadline = monotonic_clock::now().saturating_add(BODY_TIMEOUT_NS);
    let body = request
        .consume()
        .map_err(|()| "the request body was already taken".to_string())?;
    let stream = body
        .stream()
        .map_err(|()| "the request body stream was already taken".to_string())?;
    let mut bytes = Vec::new();
    while bytes.len() < limit {
        match stream.read((limit - bytes.len()) as u64) {
            Ok(chunk) if chunk.is_empty() => {
                let timer = monotonic_clock::subscribe_instant(deadline);
                if !wasi::io::poll::poll(&[&stream.subscribe(), &timer]).contains(&0) {
                    return Err("the body did not arrive in time".into());
                }
            }
            Ok(chunk) => bytes.extend_from_slice(&chunk),
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(_)) => return Err("the body could not be read".into()),
        }
    }
    // The stream must be dropped before its body, and the body before the request.
    drop(stream);
    drop(body);
    Ok(bytes)
}

/// An answer to a webhook delivery: a status and a small JSON body.
#[derive(Debug, PartialEq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: Vec<u8>,
}

impl Answer {
    /// `200 {"received": true}`: accepted, results on the way.
    pub fn received() -> Answer {
        Answer::json(200, &serde_json::json!({ "received": true }))
    }

    /// `200` for a webhook acknowledged and not relayed, saying why.
    pub fn ignored(event: &WebhookEvent) -> Answer {
        let why = format!("unknown job type {:?}", event.job_type_name);
        Answer::json(200, &serde_json::json!({ "received": true, "ignored": why }))
    }

    /// An error answer `{"error": message, "field": field}` (`field` only
    /// when one is at fault).
    pub fn error(status: u16, message: &str, field: Option<&str>) -> Answer {
        let body = match field {
            Some(field) => serde_json::json!({ "error": message, "field": field }),
            None => serde_json::json!({ "error": message }),
        };
        Answer::json(status, &body)
    }

    fn json(status: u16, body: &serde_json::Value) -> Answer {
        Answer {
            status,
            body: body.to_string().into_bytes(),
        }
    }

    /// Sends the answer, with the key redacted, and finishes its body, so
    /// that the sender has the whole response before the relay does anything
    /// else. A sender that has gone away is no reason to stop: failures are
    /// only logged.
    fn send(mut self, out: ResponseOutparam, redactor: &Redactor) {
        // The body is JSON that serde wrote, so UTF-8.
        if let Ok(body) = std::str::from_utf8(&self.body)
            && let Cow::Owned(redacted) = redactor.json(body)
        {
            self.body = redacted.into_bytes();
        }
        let mut headers = vec![
            ("content-type".to_string(), b"application/json".to_vec()),
            (
                "content-length".to_string(),
                self.body.len().to_string().into_bytes(),
            ),
        ];
        if self.status == 405 {
            headers.push(("allow".to_string(), b"POST".to_vec()));
        }
        let response = OutgoingResponse::new(Fields::from_list(&headers).expect("fixed, valid headers"));
        // Every status used here is valid.
        let _ = response.set_status_code(self.status);
        let Ok(outgoing) = response.body() else {
            return eprintln!("matchkraft-relay: the response body was already taken");
        };
        ResponseOutparam::set(out, Ok(response));
        let written = match outgoing.write() {
            Ok(stream) => {
                let written = crate::transport::write_all(&stream, &self.body);
                // The stream must be dropped before the body is finished.
                drop(stream);
                written.map_err(|e| describe(&e))
            }
            Err(()) => Err("the response stream was already taken".into()),
        };
        let finished = OutgoingBody::finish(outgoing, None).map_err(|code| format!("{code:?}"));
        if let Err(why) = written.and(finished) {
            let line = format!("matchkraft-relay: answering the webhook failed: {why}");
            eprintln!("{}", redactor.text(&line));
        }
    }
}

#[cfg(test)]
mod tests;
