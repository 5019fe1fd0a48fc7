//! The API key never shows in what the component returns, logs or delivers,
//! even when the API echoes it (`Invalid API key <the key>`), and a refused
//! key is reported as refused, not as missing.
//!
//! These run the real component in the real host with the key held by the
//! component (`KeyMode::Guest`, the key in `MATCHKRAFT_API_KEY`), against the
//! simulator's `Fault::EchoKey`, which answers with a body that quotes the
//! `apikey` header it received. The component redacts the key itself (see
//! `src/redact.rs`), for hosts that do not; this workspace's host redacts
//! what a call returns as well, so the error tests check both layers at
//! once, while the relay test checks the component's alone: no host
//! rewrites the body the relay delivers downstream.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HOST};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use matchkraft_host::relay::serve_relay;
use matchkraft_host::{Error, HostConfig, JobType, KeyMode, MatchKraft, Records};
use matchkraft_simulator::{Fault, SimConfig, Simulator};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};

/// The key, distinctive enough that finding it anywhere is a leak.
const KEY: &str = "sentinel-key-5f3a9c";

/// A simulator that accepts [`KEY`].
async fn simulator() -> Simulator {
    Simulator::start(SimConfig {
        api_key: KEY.into(),
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

/// A host that hands `key` to the component, one attempt per call (so that
/// each injected fault is the answer the call ends with).
fn guest_key_host(sim: &Simulator, key: Option<&str>) -> MatchKraft {
    let config = HostConfig {
        key_mode: KeyMode::Guest,
        api_key: key.map(str::to_string),
        ..HostConfig::new(sim.base_url()).with_env("MATCHKRAFT_MAX_ATTEMPTS", "1")
    };
    MatchKraft::new(matchkraft_artifacts::COMPONENT, config).expect("component loads")
}

fn emails(list: &[&str]) -> Records {
    Records::EmailValidation(list.iter().map(|s| s.to_string()).collect())
}

/// Fails if the key shows in the error, in its `Debug` form or its message.
fn assert_no_key(what: &str, error: &Error) {
    let debug = format!("{error:?}");
    let message = error.message().to_string();
    for text in [&debug, &message] {
        assert!(!text.contains(KEY), "{what}: the key leaked: {text}");
    }
}

#[tokio::test]
async fn an_echoed_key_is_redacted_from_every_error() {
    let sim = simulator().await;
    let host = guest_key_host(&sim, Some(KEY));
    let submit = || host.submit("echo", emails(&["john@gmail.com"]));

    sim.inject(Fault::EchoKey { status: 401 }, 1);
    let error = submit().await.unwrap().unwrap_err();
    assert_no_key("401", &error);
    match &error {
        Error::PermanentUnauthorized(m) => assert!(m.contains("Invalid API key <redacted>"), "{m}"),
        other => panic!("401: {other:?}"),
    }

    sim.inject(Fault::EchoKey { status: 400 }, 1);
    let error = submit().await.unwrap().unwrap_err();
    assert_no_key("400", &error);
    match &error {
        Error::PermanentInvalidInput(e) => {
            assert!(e.message.contains("Invalid API key <redacted>"), "{e:?}")
        }
        other => panic!("400: {other:?}"),
    }

    // A 500 after a submit: the job may exist.
    sim.inject(Fault::EchoKey { status: 500 }, 1);
    let error = submit().await.unwrap().unwrap_err();
    assert_no_key("500 on submit", &error);
    match &error {
        Error::SubmitOutcomeUnknown(m) => assert!(m.contains("Invalid API key <redacted>"), "{m}"),
        other => panic!("500 on submit: {other:?}"),
    }

    sim.inject(Fault::EchoKey { status: 500 }, 1);
    let error = host
        .status(JobType::EmailValidation, "some-job")
        .await
        .unwrap()
        .unwrap_err();
    assert_no_key("500 on a read", &error);
    match &error {
        Error::ServerError(e) => assert!(e.message.contains("Invalid API key <redacted>"), "{e:?}"),
        other => panic!("500 on a read: {other:?}"),
    }

    // A 200 whose body is not the JSON object the client expects: the decode
    // error quotes what it got.
    sim.inject(Fault::EchoKey { status: 200 }, 1);
    let error = host
        .results(JobType::EmailValidation, "some-job")
        .await
        .unwrap()
        .unwrap_err();
    assert_no_key("200 on a read", &error);
    match &error {
        Error::Decode(e) => assert!(e.message.contains("Invalid API key <redacted>"), "{e:?}"),
        other => panic!("200 on a read: {other:?}"),
    }

    sim.inject(Fault::EchoKey { status: 200 }, 1);
    let error = submit().await.unwrap().unwrap_err();
    assert_no_key("200 on submit", &error);
    match &error {
        Error::SubmitOutcomeUnknown(m) => assert!(m.contains("Invalid API key <redacted>"), "{m}"),
        other => panic!("200 on submit: {other:?}"),
    }

    // Every fault was used, each by one request that carried the key.
    let requests = sim.requests();
    assert_eq!(requests.len(), 6, "{requests:?}");
    assert!(
        requests
            .iter()
            .all(|r| r.authorized && r.fault.as_deref() == Some("EchoKey"))
    );
    assert_eq!(sim.job_count(), 0);

    // A webhook body that quotes the key is refused without quoting it.
    let error = host
        .parse_webhook(format!("{KEY:?}").as_bytes())
        .await
        .unwrap()
        .unwrap_err();
    assert_no_key("webhook", &error);
    assert!(matches!(error, Error::PermanentInvalidInput(_)), "{error:?}");
}

#[tokio::test]
async fn a_wrong_key_in_the_component_is_refused_not_missing() {
    let sim = simulator().await;
    let wrong = guest_key_host(&sim, Some("wrong-key-7d21"));
    for error in [
        wrong
            .status(JobType::DomainScan, "some-job")
            .await
            .unwrap()
            .unwrap_err(),
        wrong
            .submit("wrong", emails(&["john@gmail.com"]))
            .await
            .unwrap()
            .unwrap_err(),
    ] {
        let Error::PermanentUnauthorized(message) = &error else {
            panic!("expected unauthorized, got {error:?}");
        };
        assert!(
            message.contains("the API refused the key in MATCHKRAFT_API_KEY"),
            "{message}"
        );
        assert!(!message.contains("not set"), "{message}");
        assert!(!message.contains("wrong-key-7d21"), "{message}");
    }

    // With no key at all, the message says so.
    let keyless = guest_key_host(&sim, None);
    match keyless.status(JobType::DomainScan, "some-job").await.unwrap() {
        Err(Error::PermanentUnauthorized(message)) => {
            assert!(message.contains("MATCHKRAFT_API_KEY is not set"), "{message}");
            assert!(!message.contains("refused the key"), "{message}");
        }
        other => panic!("expected unauthorized, got {other:?}"),
    }
    assert_eq!(sim.job_count(), 0);
}

#[tokio::test]
async fn a_wrong_key_in_the_host_is_refused_as_the_hosts() {
    let sim = simulator().await;
    let config = HostConfig::new(sim.base_url()).with_api_key("wrong-key-7d21");
    assert_eq!(config.key_mode, KeyMode::Host);
    let host = MatchKraft::new(matchkraft_artifacts::COMPONENT, config).unwrap();
    match host.status(JobType::DomainScan, "some-job").await.unwrap() {
        Err(Error::PermanentUnauthorized(message)) => {
            assert!(
                message.contains("the API refused the key the host adds"),
                "{message}"
            );
            assert!(!message.contains("not set"), "{message}");
            assert!(!message.contains("wrong-key-7d21"), "{message}");
        }
        other => panic!("expected unauthorized, got {other:?}"),
    }
}

/// A downstream receiver that keeps every body it gets and answers 200.
async fn receiver() -> (SocketAddr, Arc<Mutex<Vec<Bytes>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = bodies.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let seen = seen.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                    let seen = seen.clone();
                    async move {
                        let body = request.into_body().collect().await?.to_bytes();
                        seen.lock().unwrap().push(body);
                        Ok::<_, hyper::Error>(Response::new(Full::new(Bytes::new())))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, bodies)
}

/// POSTs a webhook to the relay and returns the answer's status.
async fn post_webhook(relay: SocketAddr, body: &Value) -> StatusCode {
    let stream = TcpStream::connect(relay).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let request = Request::builder()
        .method(Method::POST)
        .uri("/webhooks/matchkraft")
        .header(HOST, relay.to_string())
        .header(CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status();
    let _ = response.into_body().collect().await;
    status
}

#[tokio::test]
async fn the_relay_never_delivers_a_key_the_api_echoed_in_the_results() {
    let sim = simulator().await;
    let (downstream, bodies) = receiver().await;
    let config = HostConfig {
        key_mode: KeyMode::Guest,
        ..HostConfig::new(sim.base_url()).with_api_key(KEY)
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay = serve_relay(
        matchkraft_artifacts::RELAY_COMPONENT,
        config.clone(),
        &format!("http://{downstream}/hooks"),
        listener,
    )
    .await
    .expect("the relay starts");

    // The simulator's results echo each input address: one that holds the
    // key stands in for an API that echoes it in a result.
    let client = MatchKraft::new(matchkraft_artifacts::COMPONENT, config).unwrap();
    let echoed = format!("{KEY}@example.com");
    let job = client
        .submit("relay", emails(&[&echoed, "john@gmail.com"]))
        .await
        .unwrap()
        .unwrap();
    client
        .wait(JobType::EmailValidation, &job.id, Duration::from_secs(10))
        .await
        .unwrap()
        .unwrap();

    let webhook = json!({
        "event": "job.completed",
        "jobId": job.id,
        "jobType": "email-validation",
        "status": "COMPLETED"
    });
    assert_eq!(post_webhook(relay.addr(), &webhook).await, StatusCode::OK);
    let deadline = Instant::now() + Duration::from_secs(15);
    let body = loop {
        if let Some(body) = bodies.lock().unwrap().first().cloned() {
            break body;
        }
        assert!(Instant::now() < deadline, "nothing was delivered downstream");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert!(!text.contains(KEY), "the key went downstream: {text}");
    let delivered: Value = serde_json::from_str(&text).expect("still JSON");
    let results = delivered["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["email"], "<redacted>@example.com");
    assert_eq!(results[1]["email"], "john@gmail.com");
    relay.shutdown().await;
}
