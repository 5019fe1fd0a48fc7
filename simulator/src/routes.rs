//! Routing: which handler answers a request, and what each handler answers.
//!
//! Checks run in this order, so a request gets the first answer that applies:
//!
//! | Request                                          | Answer                                          |
//! |--------------------------------------------------|-------------------------------------------------|
//! | no `apikey` header                               | 401 `{"message":"Missing API key"}`             |
//! | `apikey` is not the configured key               | 401 `{"message":"Invalid API key"}`             |
//! | body over [`MAX_REQUEST_BODY_BYTES`]             | 413                                             |
//! | `POST /api/v2/{type}`, body acceptable           | 200 `{"jobId","jobName","status":"PENDING"}`    |
//! | `POST /api/v2/{type}`, body not acceptable       | 400 `{"message": what is wrong}`                |
//! | `GET /api/v2/{type}/results/{jobId}`             | 200 job view, or 404 `Job not found` when the id is unknown or belongs to another type |
//! | another method on one of those paths             | 405 with `Allow`                                |
//! | any other path                                   | 404 `{"message":"Not found"}`                   |
//!
//! `{type}` is `domain-scan`, `email-validation` or `email-finder`. Auth
//! comes first, as on a real API gateway: an unauthenticated caller learns
//! nothing, not even which paths exist.
//!
//! [`MAX_REQUEST_BODY_BYTES`]: crate::MAX_REQUEST_BODY_BYTES

use std::time::Instant;

use bytes::Bytes;
use hyper::header::{ALLOW, HeaderValue};
use hyper::{Method, StatusCode};
use serde::Serialize;

use crate::jobs::{self, JobType};
use crate::reply::Reply;
use crate::state::Shared;

/// How a request's `apikey` header compares with the configured key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApiKey {
    Missing,
    Wrong,
    Accepted,
}

impl ApiKey {
    /// Compares the header with the expected key. Only this verdict is kept,
    /// never the value, so the key cannot leak through the request log.
    pub(crate) fn check(header: Option<&HeaderValue>, expected: &str) -> ApiKey {
        match header {
            None => ApiKey::Missing,
            Some(value) if value.as_bytes() == expected.as_bytes() => ApiKey::Accepted,
            Some(_) => ApiKey::Wrong,
        }
    }
}

/// A request body as the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReceivedBody {
    /// The whole body.
    Complete(Bytes),
    /// The body was (or was announced to be) over the limit; it was not kept.
    TooLarge,
}

/// The parts of a request the handlers look at.
#[derive(Debug)]
pub(crate) struct Request<'a> {
    pub(crate) method: &'a Method,
    pub(crate) path: &'a str,
    pub(crate) api_key: ApiKey,
    pub(crate) body: &'a ReceivedBody,
}

/// The places a path can lead to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route<'a> {
    Submit(JobType),
    Results(JobType, &'a str),
}

/// Paths match exactly: a trailing slash or an extra segment is a 404, so a
/// client that builds URLs sloppily finds out here rather than in production.
fn route(path: &str) -> Option<Route<'_>> {
    let rest = path.strip_prefix("/api/v2/")?;
    let mut segments = rest.split('/');
    let job_type = JobType::from_segment(segments.next()?)?;
    match (segments.next(), segments.next(), segments.next()) {
        (None, _, _) => Some(Route::Submit(job_type)),
        (Some("results"), Some(id), None) if !id.is_empty() => Some(Route::Results(job_type, id)),
        _ => None,
    }
}

/// The normal answer to a request (what it gets when no fault is queued).
pub(crate) fn handle(shared: &Shared, request: &Request<'_>) -> Reply {
    match request.api_key {
        ApiKey::Missing => return Reply::message(StatusCode::UNAUTHORIZED, "Missing API key"),
        ApiKey::Wrong => return Reply::message(StatusCode::UNAUTHORIZED, "Invalid API key"),
        ApiKey::Accepted => {}
    }
    let body = match request.body {
        ReceivedBody::Complete(body) => body,
        ReceivedBody::TooLarge => {
            return Reply::message(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body is larger than 256 MiB",
            );
        }
    };
    match (route(request.path), request.method) {
        (Some(Route::Submit(job_type)), &Method::POST) => submit(shared, job_type, body),
        (Some(Route::Results(job_type, id)), &Method::GET) => results(shared, job_type, id),
        (Some(Route::Submit(_)), _) => method_not_allowed("POST"),
        (Some(Route::Results(..)), _) => method_not_allowed("GET"),
        (None, _) => Reply::message(StatusCode::NOT_FOUND, "Not found"),
    }
}

fn method_not_allowed(allow: &'static str) -> Reply {
    Reply::message(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")
        .with_header(ALLOW, HeaderValue::from_static(allow))
}

/// The body of a successful submit.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Submitted<'a> {
    job_id: &'a str,
    job_name: &'a str,
    status: &'static str,
}

fn submit(shared: &Shared, job_type: JobType, body: &Bytes) -> Reply {
    match jobs::parse_submission(job_type, body) {
        Err(message) => Reply::message(StatusCode::BAD_REQUEST, &message),
        Ok(submission) => {
            let job_name = submission.job_name.clone();
            let job_id = shared.create_job(job_type, submission, Instant::now());
            // 200 rather than 201: the real API answers 200 and clients
            // should be tested against what it does.
            Reply::json(
                StatusCode::OK,
                &Submitted {
                    job_id: &job_id,
                    job_name: &job_name,
                    status: "PENDING",
                },
            )
        }
    }
}

fn results(shared: &Shared, job_type: JobType, id: &str) -> Reply {
    let now = Instant::now();
    let config = &shared.config;
    shared
        .with_job(id, |job| {
            (job.job_type == job_type).then(|| {
                Reply::json(
                    StatusCode::OK,
                    &job.view(now, config.pending_for, config.processing_for),
                )
            })
        })
        .flatten()
        .unwrap_or_else(|| Reply::message(StatusCode::NOT_FOUND, "Job not found"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_exactly() {
        assert_eq!(
            route("/api/v2/email-finder"),
            Some(Route::Submit(JobType::EmailFinder))
        );
        assert_eq!(
            route("/api/v2/domain-scan/results/abc"),
            Some(Route::Results(JobType::DomainScan, "abc"))
        );
        for path in [
            "/api/v2/email-finder/",
            "/api/v2/email-finders",
            "/api/v2/domain-scan/results/",
            "/api/v2/domain-scan/results/abc/x",
            "/api/v2/domain-scan/status/abc",
            "/api/v1/domain-scan",
            "/",
        ] {
            assert_eq!(route(path), None, "{path}");
        }
    }

    #[test]
    fn api_key_is_compared_exactly() {
        let check = |value: Option<&'static str>| {
            let header = value.map(HeaderValue::from_static);
            ApiKey::check(header.as_ref(), "sim-key")
        };
        assert_eq!(check(None), ApiKey::Missing);
        assert_eq!(check(Some("sim-key")), ApiKey::Accepted);
        assert_eq!(check(Some("SIM-KEY")), ApiKey::Wrong);
        assert_eq!(check(Some("")), ApiKey::Wrong);
    }
}
