//! Replies: a complete answer held in memory ([`Reply`]) and the body type
//! that puts it on the wire ([`SimBody`]).
//!
//! Handlers build a `Reply` first and only then turn it into an HTTP
//! response. The gap between the two is where the faults act: they can cut
//! the body, change its content type or replace it before anything is sent.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::{Response, StatusCode};
use serde::Serialize;

/// The content type of every normal answer.
pub(crate) const JSON: &str = "application/json";

/// An answer not yet sent.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) content_type: &'static str,
    pub(crate) body: Bytes,
    /// Headers beyond Content-Type and Content-Length (Allow, Retry-After).
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
}

impl Reply {
    /// A JSON answer.
    pub(crate) fn json(status: StatusCode, value: &impl Serialize) -> Reply {
        let body = serde_json::to_vec(value).expect("simulator replies always serialise");
        Reply {
            status,
            content_type: JSON,
            body: Bytes::from(body),
            headers: Vec::new(),
        }
    }

    /// The API's error shape, `{"message": "..."}`.
    pub(crate) fn message(status: StatusCode, message: &str) -> Reply {
        #[derive(Serialize)]
        struct Message<'a> {
            message: &'a str,
        }
        Reply::json(status, &Message { message })
    }

    /// Adds a header such as `Allow` or `Retry-After`.
    pub(crate) fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Reply {
        self.headers.push((name, value));
        self
    }

    /// The response with the whole body and a matching Content-Length.
    pub(crate) fn into_response(self) -> Response<SimBody> {
        let body = SimBody::full(self.body.clone());
        self.response_with(body)
    }

    /// The response announcing the whole body's length but carrying only its
    /// first half, after which the body never ends: the client has headers
    /// and some data and then waits forever.
    pub(crate) fn into_stalled_response(self) -> Response<SimBody> {
        let half = self.body.slice(..self.body.len() / 2);
        self.response_with(SimBody::stalling(half))
    }

    fn response_with(self, body: SimBody) -> Response<SimBody> {
        let mut response = Response::new(body);
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        headers.insert(CONTENT_LENGTH, HeaderValue::from(self.body.len()));
        for (name, value) in self.headers {
            headers.insert(name, value);
        }
        response
    }
}

/// A response body: some bytes, then either the end or an endless wait.
///
/// A hand-written [`Body`] rather than `http_body_util::Full` because the
/// stalling variant has to return `Pending` forever, which none of the
/// ready-made bodies do.
#[derive(Debug)]
pub(crate) struct SimBody {
    data: Option<Bytes>,
    stall_after_data: bool,
}

impl SimBody {
    /// A body that sends `data` and ends.
    pub(crate) fn full(data: Bytes) -> SimBody {
        SimBody {
            data: Some(data),
            stall_after_data: false,
        }
    }

    /// A body that sends `data` and then never sends anything again. The
    /// connection stays open until the client gives up or the simulator
    /// shuts down.
    pub(crate) fn stalling(data: Bytes) -> SimBody {
        SimBody {
            data: Some(data),
            stall_after_data: true,
        }
    }
}

impl Body for SimBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        match this.data.take() {
            Some(data) => Poll::Ready(Some(Ok(Frame::data(data)))),
            // Nothing will ever wake this task again, which is the point: the
            // task is only dropped with the connection.
            None if this.stall_after_data => Poll::Pending,
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none() && !self.stall_after_data
    }

    fn size_hint(&self) -> SizeHint {
        match (&self.data, self.stall_after_data) {
            (Some(data), false) => SizeHint::with_exact(data.len() as u64),
            (None, false) => SizeHint::with_exact(0),
            (_, true) => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use std::time::Duration;

    #[tokio::test]
    async fn full_body_yields_its_bytes_then_ends() {
        let body = SimBody::full(Bytes::from_static(b"{}"));
        let collected = body.collect().await.unwrap().to_bytes();
        assert_eq!(collected, Bytes::from_static(b"{}"));
    }

    #[tokio::test]
    async fn stalling_body_yields_its_bytes_then_waits_forever() {
        let mut body = SimBody::stalling(Bytes::from_static(b"{\"a\""));
        let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(first, Bytes::from_static(b"{\"a\""));
        let next = tokio::time::timeout(Duration::from_millis(50), body.frame()).await;
        assert!(next.is_err(), "the body must never produce another frame");
    }

    #[test]
    fn responses_carry_content_type_length_and_extra_headers() {
        let response = Reply::message(StatusCode::METHOD_NOT_ALLOWED, "no")
            .with_header(hyper::header::ALLOW, HeaderValue::from_static("GET"))
            .into_response();
        assert_eq!(response.status(), 405);
        assert_eq!(response.headers()[CONTENT_TYPE], JSON);
        assert_eq!(
            response.headers()[CONTENT_LENGTH],
            r#"{"message":"no"}"#.len().to_string()
        );
        assert_eq!(response.headers()[hyper::header::ALLOW], "GET");
    }

    #[test]
    fn stalled_response_announces_the_full_length() {
        let reply = Reply::message(StatusCode::OK, "abcdef");
        let full_len = reply.body.len();
        let response = reply.into_stalled_response();
        assert_eq!(response.headers()[CONTENT_LENGTH], full_len.to_string());
    }
}
