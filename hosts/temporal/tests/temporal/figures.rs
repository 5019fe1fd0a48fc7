//! The README's measured figures (run by hand: `cargo test --release -p
//! matchkraft-temporal -- --ignored --nocapture figures`): workflows per
//! second with one and two workers, and what an activity adds to a direct
//! call of the component.

use std::time::{Duration, Instant};

use matchkraft_host::{HostConfig, MatchKraft, Records};
use matchkraft_simulator::SimConfig;
use serde_json::{Value, json};
use temporalio_client::{WorkflowGetResultOptions, WorkflowStartOptions};

use crate::support::{Enrich, Sim, Worker, client, dev_server, events, history, note, unique};

/// Jobs that finish at once, so that only the machinery is measured.
fn instant_sim() -> Sim {
    Sim::start(SimConfig {
        pending_for: Duration::ZERO,
        processing_for: Duration::ZERO,
        ..SimConfig::default()
    })
}

fn input(id: &str) -> Value {
    json!({"jobName": id, "jobType": "email-validation", "records": ["john@gmail.com"]})
}

/// Runs `count` workflows at once on `queue`; workflows per second.
fn throughput(server: &crate::support::DevServer, queue: &str, count: usize) -> f64 {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = client(server).await;
        let started = Instant::now();
        let mut handles = Vec::new();
        for _ in 0..count {
            let id = unique("tp");
            let options = WorkflowStartOptions::new(queue, id.as_str()).build();
            handles.push(client.start_workflow(Enrich, input(&id), options).await.unwrap());
        }
        for handle in handles {
            let document = handle
                .get_result(WorkflowGetResultOptions::default())
                .await
                .unwrap();
            assert_eq!(document["status"], "completed");
        }
        count as f64 / started.elapsed().as_secs_f64()
    })
}

/// Milliseconds from an RFC 3339 time's seconds and fraction (same day).
fn millis(time: &str) -> f64 {
    let clock = time.split('T').nth(1).unwrap().trim_end_matches('Z');
    let mut parts = clock.split(':');
    let h: f64 = parts.next().unwrap().parse().unwrap();
    let m: f64 = parts.next().unwrap().parse().unwrap();
    let s: f64 = parts.next().unwrap().parse().unwrap();
    ((h * 60.0 + m) * 60.0 + s) * 1000.0
}

#[test]
#[ignore = "measurements for the README, run by hand"]
fn figures() {
    let Some(server) = dev_server("figures") else {
        return;
    };
    let sim = instant_sim();
    let queue = unique("figures");
    let mut first = Worker::start(server, &queue, &sim.sim.base_url(), "sim-key", &[]);
    // Warm up: the first workflow compiles nothing, but fills caches.
    throughput(server, &queue, 5);
    let one = throughput(server, &queue, 200);
    let second = Worker::start(server, &queue, &sim.sim.base_url(), "sim-key", &[]);
    throughput(server, &queue, 5);
    let two = throughput(server, &queue, 200);
    note(&format!("workflows/s: one worker {one:.1}, two workers {two:.1}"));
    drop(second);

    // Activity latency: scheduled → completed in the history, against the
    // same call made directly through the host library.
    let mut activity_ms = Vec::new();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for _ in 0..20 {
        let id = unique("lat");
        runtime.block_on(async {
            let client = client(server).await;
            let options = WorkflowStartOptions::new(queue.as_str(), id.as_str()).build();
            let handle = client.start_workflow(Enrich, input(&id), options).await.unwrap();
            handle
                .get_result(WorkflowGetResultOptions::default())
                .await
                .unwrap();
        });
        let events = events(&history(server, &id));
        let scheduled: Vec<f64> = events
            .iter()
            .filter(|e| {
                e["activityTaskScheduledEventAttributes"]["activityType"]["name"] == "matchkraft.submit"
            })
            .map(|e| millis(e["eventTime"].as_str().unwrap()))
            .collect();
        let completed: Vec<f64> = events
            .iter()
            .filter(|e| e["activityTaskCompletedEventAttributes"].is_object())
            .map(|e| millis(e["eventTime"].as_str().unwrap()))
            .collect();
        activity_ms.push(completed[0] - scheduled[0]);
    }
    let host = MatchKraft::new(
        matchkraft_artifacts::COMPONENT,
        HostConfig::new(sim.sim.base_url()).with_api_key("sim-key"),
    )
    .unwrap();
    let mut direct_ms = Vec::new();
    runtime.block_on(async {
        for i in 0..20 {
            let started = Instant::now();
            let records = Records::EmailValidation(vec!["john@gmail.com".into()]);
            host.submit(&format!("direct-{i}"), records)
                .await
                .unwrap()
                .unwrap();
            direct_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    });
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    note(&format!(
        "submit: {:.1} ms as an activity (scheduled → completed, median of 20), {:.1} ms direct",
        median(&mut activity_ms),
        median(&mut direct_ms)
    ));
    first.kill();
}
