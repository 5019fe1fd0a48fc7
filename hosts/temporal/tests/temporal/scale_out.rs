use std::time::{Duration, Instant};

use matchkraft_simulator::{Fault, RandomFaults, SimConfig};
use serde_json::{Value, json};
use temporalio_client::{WorkflowGetResultOptions, WorkflowStartOptions};

use crate::support::{
    Enrich, Sim, Worker, client, dev_server, eventually, history, history_text, note, unique,
};

const SENTINEL_KEY: &str = "sentinel-key-scale-51e0";
const WORKFLOWS: usize = 100;

/// Two workers on one task queue, 100 workflows, a tenth of all requests
/// faulted (429 with `Retry-After`, 503), and one worker killed with
/// SIGKILL while the jobs run: every workflow completes with its own
/// results, every job is submitted exactly once, and the key is in no
/// history.
#[test]
fn two_workers_survive_losing_one() {
    let Some(server) = dev_server("two_workers_survive_losing_one") else {
        return;
    };
    let sim = Sim::start(SimConfig {
        api_key: SENTINEL_KEY.into(),
        pending_for: Duration::from_millis(500),
        processing_for: Duration::from_secs(4),
        random_faults: Some(RandomFaults {
            rate: 0.1,
            seed: 11,
            kinds: vec![
                Fault::Status {
                    status: 429,
                    retry_after: Some("1".into()),
                },
                Fault::Status {
                    status: 503,
                    retry_after: None,
                },
            ],
        }),
        ..SimConfig::default()
    });
    let queue = unique("scale");
    let mut first = Worker::start(server, &queue, &sim.sim.base_url(), SENTINEL_KEY, &[]);
    let second = Worker::start(server, &queue, &sim.sim.base_url(), SENTINEL_KEY, &[]);
    let started = Instant::now();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = runtime.block_on(client(server));
    let ids: Vec<String> = (0..WORKFLOWS)
        .map(|i| format!("{}-{i}", unique("scale")))
        .collect();
    let handles: Vec<_> = runtime.block_on(async {
        let mut handles = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            let input = json!({
                "jobName": id,
                "jobType": "email-validation",
                "records": [format!("person{i}@gmail.com"), "test@domain.com"],
            });
            let options = WorkflowStartOptions::new(queue.as_str(), id.as_str()).build();
            handles.push(client.start_workflow(Enrich, input, options).await.unwrap());
        }
        handles
    });

    // Every job submitted (and so every workflow waiting), then one worker
    // goes, with the waits it was running.
    assert!(
        eventually(Duration::from_secs(120), || sim.sim.job_count() >= WORKFLOWS),
        "only {} jobs submitted",
        sim.sim.job_count()
    );
    std::thread::sleep(Duration::from_millis(500));
    note(&format!(
        "killing worker {} after {:.1} s, {} jobs submitted",
        first.pid(),
        started.elapsed().as_secs_f64(),
        sim.sim.job_count()
    ));
    first.kill();

    let results: Vec<Value> = runtime.block_on(async {
        let mut results = Vec::new();
        for handle in handles {
            let result = tokio::time::timeout(
                Duration::from_secs(180),
                handle.get_result(WorkflowGetResultOptions::default()),
            )
            .await
            .expect("a workflow did not finish in 180 s");
            results.push(result.unwrap());
        }
        results
    });
    note(&format!(
        "{WORKFLOWS} workflows done in {:.1} s",
        started.elapsed().as_secs_f64()
    ));

    for (i, (id, document)) in ids.iter().zip(&results).enumerate() {
        assert_eq!(document["jobName"], id.as_str(), "{document}");
        assert_eq!(document["status"], "completed", "{document}");
        assert_eq!(
            document["results"][0]["email"],
            format!("person{i}@gmail.com"),
            "{document}"
        );
        assert_eq!(document["results"][0]["status"], "valid", "{document}");
        assert_eq!(document["results"][1]["status"], "catch-all", "{document}");
    }
    let stats = sim.sim.stats();
    assert_eq!(stats.jobs_created, WORKFLOWS, "jobs created");
    assert!(
        stats.duplicate_job_names().is_empty(),
        "{:?}",
        stats.duplicate_job_names()
    );
    assert!(stats.faults > 0, "no fault was injected: {stats:?}");
    note(&format!("simulator: {stats:?}"));

    for id in &ids {
        assert!(
            !history_text(&history(server, id)).contains(SENTINEL_KEY),
            "the key is in {id}'s history"
        );
    }
    assert!(!second.log().contains(SENTINEL_KEY));
    assert!(!first.log().contains(SENTINEL_KEY));
}
