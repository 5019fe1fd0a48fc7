//! The webhook relay end to end: the relay component (`--features relay`)
//! served by `matchkraft_host::relay::serve_relay`, the simulator as the API, and a
//! small downstream receiver, all on 127.0.0.1.
//!
//! Each test starts its own simulator, receiver and relay; the compiled
//! component is shared. Webhooks are POSTed by the test (or, in one test, by
//! the simulator's own webhook delivery).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HOST};
use hyper::{HeaderMap, Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use matchkraft_host::relay::{RelayServer, serve_relay};
use matchkraft_host::{HostConfig, JobStatus, JobType, KeyMode, MatchKraft, Records};
use matchkraft_simulator::{Fault, SimConfig, Simulator, WebhookConfig, validate_email};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The path the receiver is reached at: a trailing slash the relay must keep.
const DOWNSTREAM_PATH: &str = "/hooks/results/";

/// How long a webhook sender may wait for its answer before the test calls
/// the acknowledgement slow. The relay answers before it sends any request.
const ACK_BUDGET: Duration = Duration::from_millis(1000);

/// One request the downstream receiver got.
#[derive(Debug, Clone)]
struct Delivery {
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

impl Delivery {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("an ASCII header"))
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the delivery is JSON")
    }
}

/// A downstream receiver: records every request and answers the next
/// scripted status (200 once the script is used up).
struct Receiver {
    addr: SocketAddr,
    deliveries: Arc<Mutex<Vec<Delivery>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
    task: JoinHandle<()>,
}

impl Receiver {
    async fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let deliveries = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::new()));
        let (seen, next) = (deliveries.clone(), script.clone());
        let task = tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let (seen, next) = (seen.clone(), next.clone());
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                        let (seen, next) = (seen.clone(), next.clone());
                        async move {
                            let (parts, body) = request.into_parts();
                            let body = body.collect().await?.to_bytes();
                            seen.lock().unwrap().push(Delivery {
                                method: parts.method,
                                path: parts.uri.path().to_string(),
                                headers: parts.headers,
                                body,
                            });
                            let status = next.lock().unwrap().pop_front().unwrap_or(200);
                            let mut response = Response::new(Full::new(Bytes::new()));
                            *response.status_mut() = StatusCode::from_u16(status).unwrap();
                            Ok::<_, hyper::Error>(response)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Receiver {
            addr,
            deliveries,
            script,
            task,
        }
    }

    fn url(&self) -> String {
        format!("http://{}{DOWNSTREAM_PATH}", self.addr)
    }

    fn deliveries(&self) -> Vec<Delivery> {
        self.deliveries.lock().unwrap().clone()
    }

    /// Waits until `count` deliveries have arrived, and returns them.
    async fn wait_for(&self, count: usize) -> Vec<Delivery> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let deliveries = self.deliveries();
            if deliveries.len() >= count {
                return deliveries;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {count} deliveries arrived",
                deliveries.len()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The answer a webhook sender got, and how long it took to get all of it.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    json: Value,
    elapsed: Duration,
}

/// Sends `body` to the relay as a webhook sender would, on a new connection.
async fn send(relay: SocketAddr, method: Method, body: &str) -> Answer {
    let started = Instant::now();
    let stream = TcpStream::connect(relay).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let request = Request::builder()
        .method(method)
        .uri("/webhooks/matchkraft")
        .header(HOST, relay.to_string())
        .header(CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    Answer {
        status: parts.status,
        headers: parts.headers,
        json: serde_json::from_slice(&body).unwrap_or(Value::Null),
        elapsed: started.elapsed(),
    }
}

fn webhook(job_id: &str, job_type: &str, status: &str) -> String {
    json!({"event": "job.completed", "jobId": job_id, "jobType": job_type, "status": status}).to_string()
}

/// A simulator, a receiver, the relay between them, and a client host to
/// submit jobs with.
struct Harness {
    sim: Simulator,
    downstream: Receiver,
    relay: RelayServer,
    client: MatchKraft,
}

impl Harness {
    async fn start() -> Harness {
        Harness::with_key_mode(KeyMode::Host).await
    }

    async fn with_key_mode(key_mode: KeyMode) -> Harness {
        Harness::with(key_mode, SimConfig::default()).await
    }

    async fn with(key_mode: KeyMode, sim_config: SimConfig) -> Harness {
        let sim = Simulator::start(sim_config).await.unwrap();
        let downstream = Receiver::start().await;
        let config = HostConfig {
            api_key: Some(sim.config().api_key.clone()),
            key_mode,
            ..HostConfig::new(sim.base_url())
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let relay = serve_relay(
            matchkraft_artifacts::RELAY_COMPONENT,
            config.clone(),
            &downstream.url(),
            listener,
        )
        .await
        .expect("the relay starts");
        let client = MatchKraft::new(matchkraft_artifacts::COMPONENT, config).unwrap();
        Harness {
            sim,
            downstream,
            relay,
            client,
        }
    }

    /// Submits an email validation and waits until the API reports it done.
    async fn finished_job(&self, name: &str, emails: &[&str]) -> String {
        let records = Records::EmailValidation(emails.iter().map(|e| e.to_string()).collect());
        let job = self.client.submit(name, records).await.unwrap().unwrap();
        let done = self
            .client
            .wait(JobType::EmailValidation, &job.id, Duration::from_secs(10))
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(
            done.job.status,
            JobStatus::Completed | JobStatus::Failed
        ));
        job.id
    }

    /// The results GETs the simulator has seen for `job_id`.
    fn results_fetches(&self, job_id: &str) -> Vec<matchkraft_simulator::RecordedRequest> {
        let path = format!("/api/v2/email-validation/results/{job_id}");
        self.sim
            .requests()
            .into_iter()
            .filter(|r| r.method == "GET" && r.path == path)
            .collect()
    }
}

#[tokio::test]
async fn a_completed_job_is_acknowledged_at_once_then_relayed_with_its_results() {
    let h = Harness::start().await;
    let emails = ["john@gmail.com", "test@domain.com", "info@acme.com"];
    let job_id = h.finished_job("relay me", &emails).await;
    let polls = h.results_fetches(&job_id).len();

    // The API is slow to answer the relay's fetch: the webhook's answer must
    // not wait for it.
    h.sim.inject(Fault::SlowFirstByte(Duration::from_millis(1500)), 1);
    let answer = send(
        h.relay.addr(),
        Method::POST,
        &webhook(&job_id, "email-validation", "COMPLETED"),
    )
    .await;
    eprintln!(
        "webhook acknowledged in {:?} (fetch delayed 1.5 s)",
        answer.elapsed
    );
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json, json!({"received": true}));
    assert!(
        answer.elapsed < ACK_BUDGET,
        "acknowledged after {:?}",
        answer.elapsed
    );

    let deliveries = h.downstream.wait_for(1).await;
    let delivery = &deliveries[0];
    assert_eq!(delivery.method, Method::POST);
    assert_eq!(delivery.path, DOWNSTREAM_PATH);
    assert_eq!(delivery.header("idempotency-key"), Some(job_id.as_str()));
    assert_eq!(delivery.header("x-matchkraft-job-type"), Some("email-validation"));
    assert_eq!(delivery.header("content-type"), Some("application/json"));
    assert_eq!(
        delivery.header("content-length"),
        Some(delivery.body.len().to_string().as_str())
    );
    assert!(
        delivery.headers.get("apikey").is_none(),
        "the key went downstream"
    );
    let expected: Vec<Value> = emails
        .iter()
        .map(|email| serde_json::to_value(validate_email(email)).unwrap())
        .collect();
    assert_eq!(
        delivery.json(),
        json!({
            "jobId": job_id,
            "jobName": "relay me",
            "jobType": "email-validation",
            "status": "COMPLETED",
            "results": expected,
        })
    );

    // The relay fetched once, with the key the host added.
    let fetches = h.results_fetches(&job_id);
    assert_eq!(fetches.len(), polls + 1);
    let fetch = fetches.last().unwrap();
    assert!(fetch.authorized, "the relay's fetch carried the host-held key");
    assert_eq!(fetch.fault.as_deref(), Some("SlowFirstByte"));

    // Without the slow fetch, for the figures: the answer of a warm relay.
    let answer = send(
        h.relay.addr(),
        Method::POST,
        &webhook(&job_id, "email-validation", "COMPLETED"),
    )
    .await;
    eprintln!("webhook acknowledged in {:?} (warm)", answer.elapsed);
    assert_eq!(answer.status, StatusCode::OK);
    h.downstream.wait_for(2).await;
}

/// The webhook carries no signature: a forged `FAILED` for a running job is
/// acknowledged, the relay looks once, and delivers nothing, since the API
/// says the job is not finished.
#[tokio::test]
async fn a_forged_webhook_for_a_running_job_is_not_relayed() {
    let config = SimConfig {
        processing_for: Duration::from_secs(3600),
        ..SimConfig::default()
    };
    let h = Harness::with(KeyMode::Host, config).await;
    let records = Records::EmailValidation(vec!["john@gmail.com".into()]);
    let job = h.client.submit("running", records).await.unwrap().unwrap();
    let answer = send(
        h.relay.addr(),
        Method::POST,
        &webhook(&job.id, "email-validation", "FAILED"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.results_fetches(&job.id).is_empty() {
        assert!(Instant::now() < deadline, "the relay never looked");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Give a wrong delivery time to happen.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        h.downstream.deliveries().is_empty(),
        "{:?}",
        h.downstream.deliveries().len()
    );
    assert_eq!(h.results_fetches(&job.id).len(), 1);
}

#[tokio::test]
async fn the_same_webhook_twice_is_delivered_twice_with_the_same_key() {
    let h = Harness::start().await;
    let job_id = h.finished_job("twice", &["john@gmail.com"]).await;
    let body = webhook(&job_id, "email-validation", "COMPLETED");
    for _ in 0..2 {
        assert_eq!(
            send(h.relay.addr(), Method::POST, &body).await.status,
            StatusCode::OK
        );
    }
    let deliveries = h.downstream.wait_for(2).await;
    assert_eq!(deliveries.len(), 2);
    for delivery in &deliveries {
        assert_eq!(delivery.header("idempotency-key"), Some(job_id.as_str()));
    }
    assert_eq!(deliveries[0].body, deliveries[1].body);
}

#[tokio::test]
async fn a_failing_downstream_is_retried_with_the_same_key_and_body() {
    let h = Harness::start().await;
    let job_id = h.finished_job("retry", &["john@gmail.com"]).await;
    h.downstream.script.lock().unwrap().extend([503]);
    let answer = send(
        h.relay.addr(),
        Method::POST,
        &webhook(&job_id, "email-validation", "COMPLETED"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);

    let deliveries = h.downstream.wait_for(2).await;
    assert_eq!(deliveries[0].header("idempotency-key"), Some(job_id.as_str()));
    assert_eq!(deliveries[1].header("idempotency-key"), Some(job_id.as_str()));
    assert_eq!(
        deliveries[0].body, deliveries[1].body,
        "a retry resends the same body"
    );
    // The 200 ends it.
    h.relay.shutdown().await;
    assert_eq!(h.downstream.deliveries().len(), 2);
}

#[tokio::test]
async fn bad_payloads_get_400_with_a_reason_and_nothing_is_fetched() {
    let h = Harness::start().await;
    let job = "20f70187-b941-4bb0-b10f-599b025fc425";
    let cases = [
        ("not JSON", "{not json".to_string(), "body"),
        (
            "another event",
            json!({"event": "job.started", "jobId": job, "jobType": "email-validation", "status": "COMPLETED"})
                .to_string(),
            "event",
        ),
        (
            "no jobId",
            json!({"event": "job.completed", "jobType": "email-validation", "status": "COMPLETED"}).to_string(),
            "jobId",
        ),
        ("a pending job", webhook(job, "email-validation", "PENDING"), "status"),
        ("a path as job id", webhook("../../admin", "email-validation", "COMPLETED"), "jobId"),
    ];
    for (what, body, field) in cases {
        let answer = send(h.relay.addr(), Method::POST, &body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{what}");
        assert_eq!(answer.json["field"], field, "{what}: {}", answer.json);
        let reason = answer.json["error"].as_str().expect("a reason");
        assert!(reason.starts_with(&format!("{field}: ")), "{what}: {reason}");
    }
    // Every instance has finished: nothing was fetched or delivered.
    h.relay.shutdown().await;
    assert!(h.sim.requests().is_empty(), "{:?}", h.sim.requests());
    assert!(h.downstream.deliveries().is_empty());
}

#[tokio::test]
async fn an_unknown_job_type_is_acknowledged_and_ignored() {
    let h = Harness::start().await;
    let answer = send(
        h.relay.addr(),
        Method::POST,
        &webhook(
            "20f70187-b941-4bb0-b10f-599b025fc425",
            "phone-finder",
            "COMPLETED",
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json["received"], true);
    assert!(answer.json["ignored"].as_str().unwrap().contains("phone-finder"));
    h.relay.shutdown().await;
    assert!(h.sim.requests().is_empty());
    assert!(h.downstream.deliveries().is_empty());
}

#[tokio::test]
async fn only_post_is_accepted() {
    let h = Harness::start().await;
    for method in [Method::GET, Method::PUT] {
        let answer = send(h.relay.addr(), method.clone(), "").await;
        assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(answer.headers.get("allow").unwrap(), "POST");
        assert!(answer.json["error"].is_string());
    }
    h.relay.shutdown().await;
    assert!(h.sim.requests().is_empty());
    assert!(h.downstream.deliveries().is_empty());
}

/// The real flow: the simulator itself sends each webhook twice to the relay,
/// for a completed job and a failed one.
#[tokio::test]
async fn the_simulators_webhooks_are_relayed_once_per_delivery() {
    let h = Harness::start().await;
    h.sim.set_webhook(Some(WebhookConfig {
        deliveries: (2, 2),
        ..WebhookConfig::new(format!("http://{}/webhooks/matchkraft", h.relay.addr()))
    }));
    let done = h.finished_job("delivered by the API", &["john@gmail.com"]).await;
    let failed = h.finished_job("FAIL on purpose", &["john@gmail.com"]).await;

    let deliveries = h.downstream.wait_for(4).await;
    let for_job = |id: &str| -> Vec<Value> {
        deliveries
            .iter()
            .filter(|d| d.header("idempotency-key") == Some(id))
            .map(Delivery::json)
            .collect()
    };
    let (done, failed) = (for_job(&done), for_job(&failed));
    assert_eq!((done.len(), failed.len()), (2, 2));
    assert_eq!(done[0], done[1]);
    assert_eq!(done[0]["status"], "COMPLETED");
    assert_eq!(done[0]["results"].as_array().unwrap().len(), 1);
    assert_eq!(failed[0]["status"], "FAILED");
    assert_eq!(failed[0]["results"], json!([]));
    // Every delivery was acknowledged (the simulator notes an answer just
    // after it arrives, so give it a moment).
    let deadline = Instant::now() + Duration::from_secs(5);
    while h.sim.webhook_deliveries().len() < 4 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let attempts = h.sim.webhook_deliveries();
    assert_eq!(attempts.len(), 4, "{attempts:?}");
    assert!(
        attempts.iter().all(|a| a.status_code == Some(200)),
        "{attempts:?}"
    );
}

#[tokio::test]
async fn even_a_guest_held_key_never_goes_downstream() {
    let h = Harness::with_key_mode(KeyMode::Guest).await;
    let job_id = h.finished_job("guest key", &["john@gmail.com"]).await;
    let answer = send(
        h.relay.addr(),
        Method::POST,
        &webhook(&job_id, "email-validation", "COMPLETED"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    let delivery = &h.downstream.wait_for(1).await[0];
    assert!(delivery.headers.get("apikey").is_none());
    assert!(h.results_fetches(&job_id).last().unwrap().authorized);
}

#[tokio::test]
async fn a_misconfigured_relay_answers_500_and_sends_nothing() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let config = HostConfig::new(sim.base_url()).with_api_key(sim.config().api_key.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    // Plain http to a host that is not loopback: the component refuses it
    // before any request, so the sender hears of it and can deliver again.
    let relay = serve_relay(
        matchkraft_artifacts::RELAY_COMPONENT,
        config.clone(),
        "http://hooks.example.com/in",
        listener,
    )
    .await
    .unwrap();
    let answer = send(
        relay.addr(),
        Method::POST,
        &webhook(
            "20f70187-b941-4bb0-b10f-599b025fc425",
            "email-validation",
            "COMPLETED",
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(answer.json["error"].as_str().unwrap().contains("misconfigured"));
    relay.shutdown().await;
    assert!(sim.requests().is_empty());

    // The host refuses a downstream on the API's origin: it would get the key.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let same_origin = format!("{}/hooks", sim.base_url());
    let error = serve_relay(
        matchkraft_artifacts::RELAY_COMPONENT,
        config,
        &same_origin,
        listener,
    )
    .await
    .unwrap_err();
    assert!(format!("{error:#}").contains("API's origin"), "{error:#}");
}
