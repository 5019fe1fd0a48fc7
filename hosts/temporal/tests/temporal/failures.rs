use std::time::Duration;

use matchkraft_simulator::{Fault, SimConfig};
use serde_json::{Value, json};
use temporalio_client::{WorkflowGetResultOptions, WorkflowStartOptions};

use crate::support::{Enrich, Sim, Worker, client, dev_server, events, history, history_text, unique};

const SENTINEL_KEY: &str = "sentinel-key-wrong-8c2d";

/// Runs `matchkraft.enrich` to its end; `Ok(document)` or `Err(history)`.
fn enrich(server: &crate::support::DevServer, queue: &str, input: Value) -> (String, Result<Value, String>) {
    let id = unique("wf");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let outcome = runtime.block_on(async {
        let client = client(server).await;
        let handle = client
            .start_workflow(
                Enrich,
                input,
                WorkflowStartOptions::new(queue, id.as_str()).build(),
            )
            .await
            .unwrap();
        handle
            .get_result(WorkflowGetResultOptions::default())
            .await
            .map_err(|e| format!("{e:?}"))
    });
    (id, outcome)
}

/// The failures recorded for activities in a history: `(type, non-retryable, message)`.
fn activity_failures(history: &str) -> Vec<(String, bool, String)> {
    events(history)
        .iter()
        .filter_map(|event| {
            let failure = &event["activityTaskFailedEventAttributes"]["failure"];
            let info = &failure["applicationFailureInfo"];
            failure.is_object().then(|| {
                (
                    info["type"].as_str().unwrap_or_default().to_string(),
                    info["nonRetryable"].as_bool().unwrap_or(false),
                    failure["message"].as_str().unwrap_or_default().to_string(),
                )
            })
        })
        .collect()
}

/// The attempt numbers of the history's started activities.
fn attempts(history: &str) -> Vec<u64> {
    events(history)
        .iter()
        .filter_map(|event| event["activityTaskStartedEventAttributes"]["attempt"].as_u64())
        .collect()
}

/// A wrong key: one request, one non-retried `permanent-unauthorized`
/// failure, and the key in neither the history nor the worker's output.
#[test]
fn a_wrong_key_fails_once_and_is_not_retried() {
    let Some(server) = dev_server("a_wrong_key_fails_once_and_is_not_retried") else {
        return;
    };
    let sim = Sim::start(SimConfig::default()); // expects "sim-key"
    let queue = unique("wrong-key");
    let worker = Worker::start(server, &queue, &sim.sim.base_url(), SENTINEL_KEY, &[]);
    let (id, outcome) = enrich(
        server,
        &queue,
        json!({"jobName": "wrong key", "jobType": "email-validation", "records": ["john@gmail.com"]}),
    );
    assert!(outcome.is_err(), "{outcome:?}");
    let history = history(server, &id);
    let failures = activity_failures(&history);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].0, "permanent-unauthorized");
    assert!(failures[0].1, "not marked non-retryable");
    assert_eq!(
        sim.sim.requests().len(),
        1,
        "exactly one request at the simulator"
    );
    assert_eq!(sim.sim.job_count(), 0);
    assert!(
        !history_text(&history).contains(SENTINEL_KEY),
        "the key is in the history"
    );
    assert!(!worker.log().contains(SENTINEL_KEY), "{}", worker.log());
}

/// The API did the work, then the connection dropped: the outcome of the
/// submit is unknown, so it is never retried: one POST, one job. A 500 to
/// the POST is the same (the API may have created the job before failing).
#[test]
fn an_unknown_submit_outcome_is_never_retried() {
    let Some(server) = dev_server("an_unknown_submit_outcome_is_never_retried") else {
        return;
    };
    for (fault, jobs) in [
        (Fault::ResetAfterCommit, 1),
        (
            Fault::Status {
                status: 500,
                retry_after: None,
            },
            0,
        ),
    ] {
        let sim = Sim::start(SimConfig::default());
        sim.sim.inject(fault.clone(), 1);
        let queue = unique("outcome");
        let _worker = Worker::start(server, &queue, &sim.sim.base_url(), "sim-key", &[]);
        let (id, outcome) = enrich(
            server,
            &queue,
            json!({"jobName": "once", "jobType": "domain-scan", "records": ["https://example.com"]}),
        );
        assert!(outcome.is_err(), "{fault:?}: {outcome:?}");
        let history = history(server, &id);
        let failures = activity_failures(&history);
        assert_eq!(failures.len(), 1, "{fault:?}: {failures:?}");
        assert_eq!(failures[0].0, "submit-outcome-unknown", "{fault:?}");
        assert!(failures[0].1, "{fault:?}: not marked non-retryable");
        assert_eq!(sim.posts(), 1, "{fault:?}: submitted more than once");
        assert_eq!(sim.sim.job_count(), jobs, "{fault:?}");
    }
}

/// 429 with `Retry-After: 2`: the submit is retried (nothing was sent),
/// no sooner than two seconds later, and creates exactly one job.
#[test]
fn rate_limiting_retries_after_the_delay_the_api_asked_for() {
    let Some(server) = dev_server("rate_limiting_retries_after_the_delay_the_api_asked_for") else {
        return;
    };
    let sim = Sim::start(SimConfig::default());
    sim.sim.inject(
        Fault::Status {
            status: 429,
            retry_after: Some("2".into()),
        },
        1,
    );
    let queue = unique("rate");
    let _worker = Worker::start(server, &queue, &sim.sim.base_url(), "sim-key", &[]);
    let started = std::time::Instant::now();
    let (id, outcome) = enrich(
        server,
        &queue,
        json!({"jobName": "patient", "jobType": "email-validation", "records": ["john@gmail.com"]}),
    );
    let elapsed = started.elapsed();
    let document = outcome.unwrap();
    assert_eq!(document["status"], "completed");
    let history = history(server, &id);
    assert_eq!(sim.posts(), 2, "one refused, one accepted");
    assert_eq!(sim.sim.job_count(), 1);
    // The second attempt of submit completed (the first failed with the
    // retryable rate-limited, which the history records only as the
    // attempt count of the completion).
    assert!(attempts(&history).contains(&2), "{:?}", attempts(&history));
    assert!(
        elapsed >= Duration::from_secs(2),
        "retried after {elapsed:?}, before Retry-After"
    );
}

/// A results document above the payload limit fails non-retryably with
/// `results-too-large`, saying how to page; `matchkraft.results` then
/// serves it in pages that fit.
#[test]
fn results_above_the_payload_limit_fail_with_a_way_out() {
    let Some(server) = dev_server("results_above_the_payload_limit_fail_with_a_way_out") else {
        return;
    };
    let sim = Sim::start(SimConfig::default());
    let queue = unique("large");
    let _worker = Worker::start(
        server,
        &queue,
        &sim.sim.base_url(),
        "sim-key",
        &["--max-payload-bytes", "3000"],
    );
    let records: Vec<String> = (0..40).map(|i| format!("person{i}@gmail.com")).collect();
    let (id, outcome) = enrich(
        server,
        &queue,
        json!({"jobName": "large", "jobType": "email-validation", "records": records}),
    );
    assert!(outcome.is_err(), "{outcome:?}");
    let history = history(server, &id);
    let failures = activity_failures(&history);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].0, "results-too-large");
    assert!(failures[0].1);
    assert!(failures[0].2.contains("\"offset\""), "{}", failures[0].2);
    assert_eq!(sim.sim.job_count(), 1);
}
