//! Each scripted fault, seen from the client side of the socket.

use std::time::{Duration, Instant};

use matchkraft_simulator::{Fault, Simulator};

use crate::client::{self, Exchange, Response};
use crate::{KEY, get, start};

const SUBMIT_BODY: &[u8] = br#"{"jobName":"faulty","records":["john@gmail.com"]}"#;

fn submit_request() -> Vec<u8> {
    client::request("POST", "/api/v2/email-validation", Some(KEY), Some(SUBMIT_BODY))
}

/// Submits a job under whatever fault is queued and returns the raw exchange.
async fn submit_raw(sim: &Simulator, wait: Duration) -> Exchange {
    client::exchange(sim.addr(), &submit_request(), wait).await
}

async fn submit_ok(sim: &Simulator) -> Response {
    client::send(sim.addr(), &submit_request()).await
}

#[tokio::test]
async fn status_fault_answers_without_doing_the_work_then_wears_off() {
    let sim = start().await;
    sim.inject(
        Fault::Status {
            status: 503,
            retry_after: Some("2".into()),
        },
        2,
    );
    for _ in 0..2 {
        let response = submit_ok(&sim).await;
        assert_eq!(response.status, 503);
        assert_eq!(response.header("retry-after"), Some("2"));
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_eq!(response.message(), "Service Unavailable (simulated)");
    }
    assert_eq!(sim.job_count(), 0);

    assert_eq!(submit_ok(&sim).await.status, 200, "two times only");
    assert_eq!(sim.job_count(), 1);
    // Every attempt is recorded, with the same bytes each time.
    let recorded = sim.requests();
    assert_eq!(recorded.len(), 3);
    assert!(recorded.iter().all(|r| &r.body[..] == SUBMIT_BODY));
}

#[tokio::test]
async fn faults_are_used_in_order_on_any_route() {
    let sim = start().await;
    sim.inject(
        Fault::Status {
            status: 429,
            retry_after: None,
        },
        1,
    );
    sim.inject(
        Fault::Status {
            status: 502,
            retry_after: None,
        },
        1,
    );
    assert_eq!(get(&sim, "/api/v2/anything").await.status, 429);
    let second = submit_ok(&sim).await;
    assert_eq!((second.status, second.header("retry-after")), (502, None));
    assert_eq!(get(&sim, "/api/v2/anything").await.status, 404);
}

#[tokio::test]
async fn reset_before_response_closes_silently_and_creates_nothing() {
    let sim = start().await;
    sim.inject(Fault::ResetBeforeResponse, 1);
    let exchange = submit_raw(&sim, Duration::from_secs(2)).await;
    assert!(exchange.closed);
    assert!(exchange.bytes.is_empty(), "no response at all");
    assert_eq!(sim.job_count(), 0);
    assert_eq!(sim.requests().len(), 1, "the request is still recorded");
}

#[tokio::test]
async fn reset_after_commit_closes_silently_but_the_job_exists() {
    let sim = start().await;
    sim.inject(Fault::ResetAfterCommit, 1);
    let exchange = submit_raw(&sim, Duration::from_secs(2)).await;
    assert!(exchange.closed);
    assert!(exchange.bytes.is_empty(), "no response at all");
    assert_eq!(sim.job_count(), 1);
}

#[tokio::test]
async fn truncated_json_is_half_the_body_with_a_matching_length() {
    let sim = start().await;
    sim.inject(Fault::TruncatedJson, 1);
    let cut = submit_ok(&sim).await; // `send` checks Content-Length == body
    assert_eq!(cut.status, 200);
    assert!(serde_json::from_slice::<serde_json::Value>(&cut.body).is_err());
    assert!(cut.body.starts_with(br#"{"jobId":""#));
    assert_eq!(sim.job_count(), 1, "the work was done");

    let whole = submit_ok(&sim).await;
    assert_eq!(cut.body.len(), whole.body.len() / 2);
}

#[tokio::test]
async fn stall_body_sends_headers_and_part_then_holds_until_shutdown() {
    let sim = start().await;
    sim.inject(Fault::StallBody, 1);
    let stream_task = {
        let addr = sim.addr();
        tokio::spawn(
            async move { client::exchange(addr, &submit_request(), Duration::from_millis(300)).await },
        )
    };
    let exchange = stream_task.await.unwrap();
    assert!(!exchange.closed, "the connection is held open");
    let partial = Response::parse(&exchange.bytes).expect("headers arrive");
    assert_eq!(partial.status, 200);
    let declared: usize = partial.header("content-length").unwrap().parse().unwrap();
    assert!(!partial.body.is_empty() && partial.body.len() < declared);
    assert_eq!(sim.job_count(), 1);

    // Shutdown must also end a connection stuck like this.
    sim.inject(Fault::StallBody, 1);
    let addr = sim.addr();
    let held =
        tokio::spawn(async move { client::exchange(addr, &submit_request(), Duration::from_secs(3)).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    sim.shutdown();
    let exchange = held.await.unwrap();
    assert!(exchange.closed, "shutdown closes stalled connections");
}

#[tokio::test]
async fn slow_first_byte_answers_normally_after_the_delay() {
    let sim = start().await;
    sim.inject(Fault::SlowFirstByte(Duration::from_millis(200)), 1);
    let started = Instant::now();
    let response = submit_ok(&sim).await;
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(response.status, 200);
    assert!(response.json()["jobId"].is_string());
}

#[tokio::test]
async fn html_with_200_is_an_error_page_and_does_no_work() {
    let sim = start().await;
    sim.inject(Fault::HtmlWith200, 1);
    let response = submit_ok(&sim).await;
    assert_eq!(response.status, 200);
    assert!(response.header("content-type").unwrap().starts_with("text/html"));
    assert!(response.body.starts_with(b"<!DOCTYPE html>"));
    assert_eq!(sim.job_count(), 0);
}

#[tokio::test]
async fn oversized_is_valid_json_of_exactly_the_size() {
    let sim = start().await;
    sim.inject(Fault::Oversized(64 * 1024), 1);
    let response = submit_ok(&sim).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body.len(), 64 * 1024);
    let json = response.json();
    assert!(json["jobId"].is_string());
    assert!(json["padding"].as_str().unwrap().len() > 60_000);
}

#[tokio::test]
async fn wrong_content_type_labels_correct_json_as_text() {
    let sim = start().await;
    sim.inject(Fault::WrongContentType, 1);
    let response = submit_ok(&sim).await;
    assert_eq!(response.header("content-type"), Some("text/plain"));
    assert_eq!(response.json()["status"], "PENDING");
}

#[tokio::test]
async fn echo_key_quotes_the_received_key_and_does_no_work() {
    let sim = start().await;
    sim.inject(Fault::EchoKey { status: 401 }, 1);
    sim.inject(Fault::EchoKey { status: 200 }, 1);
    sim.inject(Fault::EchoKey { status: 500 }, 1);

    let wrong = client::request(
        "POST",
        "/api/v2/email-validation",
        Some("wrong-key-42"),
        Some(SUBMIT_BODY),
    );
    let refused = client::send(sim.addr(), &wrong).await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.header("content-type"), Some("application/json"));
    assert_eq!(refused.message(), "Invalid API key wrong-key-42");

    // Below 400: a bare JSON string, not the object a client expects.
    let ok = submit_ok(&sim).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json(), serde_json::json!(format!("Invalid API key {KEY}")));

    let keyless = client::request("GET", "/api/v2/email-validation/results/x", None, None);
    let failed = client::send(sim.addr(), &keyless).await;
    assert_eq!(failed.status, 500);
    assert_eq!(failed.message(), "Invalid API key (none)");

    assert_eq!(sim.job_count(), 0, "no fault did the work");
    let kinds: Vec<_> = sim.requests().into_iter().map(|r| r.fault).collect();
    assert_eq!(kinds, vec![Some("EchoKey".to_string()); 3]);
}
