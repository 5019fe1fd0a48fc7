//! The server loop: accepting connections, reading and recording each
//! request, then answering it through the fault layer.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{HeaderMap, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::faults::{self, DropConnection};
use crate::reply::SimBody;
use crate::routes::{self, ApiKey, ReceivedBody, Request};
use crate::state::Shared;
use crate::{MAX_REQUEST_BODY_BYTES, RecordedRequest};

/// Accepts connections until the task is aborted.
///
/// Connection tasks live in a [`JoinSet`] owned by this task, so aborting it
/// (what [`Simulator::shutdown`](crate::Simulator::shutdown) does) drops the
/// set and aborts every connection too: a stalled body does not outlive the
/// simulator.
pub(crate) async fn run(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    connections.spawn(serve_connection(stream, Arc::clone(&shared)));
                }
                // Typically "too many open files": back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            // Reap finished connections so the set does not grow forever.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    // Faults send partial responses; without NODELAY the first bytes of a
    // stalled body could sit in the kernel waiting for more.
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |request| answer(Arc::clone(&shared), request));
    // An error here is a client going away or a fault dropping the connection
    // on purpose; either way there is nobody to tell.
    let _ = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// Reads the whole request, records it with the fault it gets (scripted or
/// random), then answers it. The body is read before any fault acts so the
/// log always holds what the client sent.
async fn answer(
    shared: Arc<Shared>,
    request: hyper::Request<Incoming>,
) -> Result<Response<SimBody>, DropConnection> {
    let (parts, body) = request.into_parts();
    let content_length = header_str(&parts.headers, CONTENT_LENGTH).and_then(|v| v.parse().ok());
    let chunked = parts.headers.get_all(TRANSFER_ENCODING).iter().any(|v| {
        v.to_str()
            .is_ok_and(|v| v.to_ascii_lowercase().contains("chunked"))
    });
    let api_key = ApiKey::check(parts.headers.get("apikey"), &shared.config.api_key);
    let received = read_body(body, content_length).await;

    let record = RecordedRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        authorized: api_key == ApiKey::Accepted,
        content_length,
        chunked,
        content_type: header_str(&parts.headers, CONTENT_TYPE).map(str::to_owned),
        body: match &received {
            Some(ReceivedBody::Complete(body)) => body.clone(),
            _ => Bytes::new(),
        },
        fault: None,
    };
    // The client went away in the middle of its body: nobody to answer.
    let Some(body) = received else {
        shared.record_unanswered(record);
        return Err(DropConnection);
    };

    let fault = shared.record_and_pick_fault(record);
    let request = Request {
        method: &parts.method,
        path: parts.uri.path(),
        api_key,
        body: &body,
    };
    faults::respond(fault, parts.headers.get("apikey"), || {
        routes::handle(&shared, &request)
    })
    .await
}

fn header_str(headers: &HeaderMap, name: hyper::header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// Reads a body of at most [`MAX_REQUEST_BODY_BYTES`], whether sent with a
/// Content-Length or chunked (hyper decodes both). An announced length over
/// the limit is refused without reading a byte. `None` means the client went
/// away before the body was complete.
async fn read_body(body: Incoming, declared_length: Option<u64>) -> Option<ReceivedBody> {
    if declared_length.is_some_and(|n| n > MAX_REQUEST_BODY_BYTES as u64) {
        return Some(ReceivedBody::TooLarge);
    }
    match Limited::new(body, MAX_REQUEST_BODY_BYTES).collect().await {
        Ok(collected) => Some(ReceivedBody::Complete(collected.to_bytes())),
        Err(e) if e.is::<LengthLimitError>() => Some(ReceivedBody::TooLarge),
        Err(_) => None,
    }
}
