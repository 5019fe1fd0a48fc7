//! End-to-end tests: a real simulator on a real socket, spoken to in raw
//! HTTP/1.1 so that what is asserted is what goes over the wire.

mod api;
mod client;
mod faults;
mod random_faults;
mod receiver;
mod webhooks;

use std::time::{Duration, Instant};

use matchkraft_simulator::{SimConfig, Simulator};
use serde_json::{Value, json};

use client::Response;

/// The default key, spelled out so the tests read like a client's requests.
const KEY: &str = "sim-key";

/// Short durations keep each end-to-end test around a tenth of a second
/// while leaving PENDING and PROCESSING long enough to be observed.
async fn start() -> Simulator {
    Simulator::start(SimConfig {
        pending_for: Duration::from_millis(30),
        processing_for: Duration::from_millis(60),
        ..SimConfig::default()
    })
    .await
    .expect("start the simulator")
}

async fn get(sim: &Simulator, path: &str) -> Response {
    client::send(sim.addr(), &client::request("GET", path, Some(KEY), None)).await
}

async fn post(sim: &Simulator, path: &str, body: &Value) -> Response {
    let body = body.to_string();
    client::send(
        sim.addr(),
        &client::request("POST", path, Some(KEY), Some(body.as_bytes())),
    )
    .await
}

/// Submits a job and returns its id, checking the submit answer's shape.
async fn submit(sim: &Simulator, job_type: &str, job_name: &str, records: Value) -> String {
    let body = json!({"jobName": job_name, "records": records});
    let response = post(sim, &format!("/api/v2/{job_type}"), &body).await;
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    let json = response.json();
    assert_eq!(json["jobName"], job_name);
    assert_eq!(json["status"], "PENDING");
    json["jobId"].as_str().expect("a jobId").to_owned()
}

/// Polls a job until it finishes and returns the final body, checking on the
/// way that it only ever moves forward through PENDING and PROCESSING.
async fn poll_until_done(sim: &Simulator, job_type: &str, job_id: &str) -> Value {
    let path = format!("/api/v2/{job_type}/results/{job_id}");
    let started = Instant::now();
    let mut last_progress = 0;
    loop {
        let response = get(sim, &path).await;
        assert_eq!(response.status, 200);
        let json = response.json();
        assert_eq!(json["jobId"], job_id);
        assert_eq!(json["jobType"], job_type);
        let progress = json["progress"].as_u64().unwrap();
        assert!(progress >= last_progress, "progress went backwards: {json}");
        last_progress = progress;
        match json["status"].as_str().unwrap() {
            "PENDING" => assert_eq!(progress, 0),
            "PROCESSING" => assert!((1..=99).contains(&progress), "{json}"),
            "COMPLETED" | "FAILED" => return json,
            other => panic!("unexpected status {other}"),
        }
        assert!(started.elapsed() < Duration::from_secs(3), "job never finished");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
