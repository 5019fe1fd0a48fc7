use std::time::Duration;

use matchkraft_simulator::SimConfig;
use serde_json::{Value, json};
use temporalio_client::{WorkflowGetResultOptions, WorkflowStartOptions};

use crate::support::{
    Enrich, JobCompleted, Sim, Worker, cli, client, dev_server, history, history_text, unique,
};

const SENTINEL_KEY: &str = "sentinel-key-3f9a1c7e";

fn sim() -> Sim {
    Sim::start(SimConfig {
        api_key: SENTINEL_KEY.into(),
        ..SimConfig::default()
    })
}

/// All three job types through `matchkraft.enrich`, started by name with
/// JSON input from the Rust client; the results are the simulator's
/// verdicts in the `run --json` document shape, and the key is nowhere in
/// any history or in the worker's output.
#[test]
fn enrich_runs_every_job_type() {
    let Some(server) = dev_server("enrich_runs_every_job_type") else {
        return;
    };
    let sim = sim();
    let queue = unique("enrich");
    let worker = Worker::start(server, &queue, &sim.sim.base_url(), SENTINEL_KEY, &[]);

    let cases = [
        (
            "email-validation",
            json!(["john@gmail.com", {"email": "test@domain.com"}]),
            vec!["john@gmail.com", "test@domain.com"],
        ),
        (
            "domain-scan",
            json!(["https://example.com"]),
            vec!["https://example.com"],
        ),
        (
            "email-finder",
            json!([{"firstName": "Ada", "lastName": "Lovelace", "website": "https://example.com"}]),
            vec!["https://example.com"],
        ),
    ];
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut ids = Vec::new();
    for (job_type, records, inputs) in cases {
        let id = unique(job_type);
        let document: Value = runtime.block_on(async {
            let client = client(server).await;
            let handle = client
                .start_workflow(
                    Enrich,
                    json!({"jobName": id, "jobType": job_type, "records": records}),
                    WorkflowStartOptions::new(queue.as_str(), id.as_str()).build(),
                )
                .await
                .unwrap();
            handle
                .get_result(WorkflowGetResultOptions::default())
                .await
                .unwrap()
        });
        assert_eq!(document["jobType"], job_type, "{document}");
        assert_eq!(document["jobName"], id.as_str());
        assert_eq!(document["status"], "completed");
        let results = document["results"].as_array().unwrap();
        assert_eq!(results.len(), inputs.len(), "{document}");
        for (result, input) in results.iter().zip(inputs) {
            let text = result.to_string();
            assert!(text.contains(input), "{input} not in {text}");
            assert!(result["raw"].is_object(), "{result}");
        }
        if job_type == "email-validation" {
            assert_eq!(results[0]["status"], "valid", "{document}");
            assert_eq!(results[1]["status"], "catch-all", "{document}");
        }
        ids.push(id);
    }
    assert_eq!(sim.sim.job_count(), 3, "one job per workflow");
    for id in &ids {
        let history = history(server, id);
        assert!(history.contains("matchkraft.submit") && history.contains("matchkraft.wait"));
        assert!(
            !history_text(&history).contains(SENTINEL_KEY),
            "the key is in the history of {id}"
        );
    }
    assert!(!worker.log().contains(SENTINEL_KEY), "{}", worker.log());
}

/// The Temporal CLI starts the workflow by name with the `--input` JSON the
/// `matchkraft` command reads, and prints the `run --json` document.
#[test]
fn the_cli_runs_enrich_with_plain_json() {
    let Some(server) = dev_server("the_cli_runs_enrich_with_plain_json") else {
        return;
    };
    let sim = sim();
    let queue = unique("cli");
    let _worker = Worker::start(server, &queue, &sim.sim.base_url(), SENTINEL_KEY, &[]);
    let id = unique("cli-enrich");
    let input = json!({
        "jobName": "from the CLI",
        "jobType": "email-validation",
        "records": ["john@gmail.com"]
    })
    .to_string();
    let (ok, stdout, stderr) = cli(
        server,
        &[
            "workflow",
            "execute",
            "--task-queue",
            &queue,
            "--type",
            "matchkraft.enrich",
            "--workflow-id",
            &id,
            "--input",
            &input,
            "--output",
            "json",
        ],
    );
    assert!(ok, "temporal workflow execute: {stderr}\n{stdout}");
    let output: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let document = &output["result"];
    assert_eq!(document["jobName"], "from the CLI", "{output}");
    assert_eq!(document["results"][0]["email"], "john@gmail.com", "{output}");
    assert_eq!(document["results"][0]["status"], "valid", "{output}");
}

/// A `job-completed` signal ends the wait at once: the job is fetched with
/// `matchkraft.results` instead of waiting for the next poll.
#[test]
fn a_signal_completes_the_wait_early() {
    let Some(server) = dev_server("a_signal_completes_the_wait_early") else {
        return;
    };
    // The job is done half a second after it is submitted; `wait`
    // polls once at once, then not for five seconds: the signal, sent as
    // 0.6 s after the job id is in the history, is what finishes the workflow.
    let sim = Sim::start(SimConfig {
        api_key: SENTINEL_KEY.into(),
        pending_for: Duration::from_millis(50),
        processing_for: Duration::from_millis(400),
        ..SimConfig::default()
    });
    let queue = unique("signal");
    let _worker = Worker::start(
        server,
        &queue,
        &sim.sim.base_url(),
        SENTINEL_KEY,
        &["--first-poll-ms", "5000"],
    );
    let id = unique("signal");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let document: Value = runtime.block_on(async {
        let client = client(server).await;
        let handle = client
            .start_workflow(
                Enrich,
                json!({"jobName": id, "jobType": "domain-scan", "records": ["https://example.com"]}),
                WorkflowStartOptions::new(queue.as_str(), id.as_str()).build(),
            )
            .await
            .unwrap();
        // The job id, once submit has returned it.
        let job_id = loop {
            let history = history(server, &id);
            if let Some(job_id) = submitted_job_id(&history) {
                break job_id;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        // Wait until the job is done at the API, then say so.
        tokio::time::sleep(Duration::from_millis(600)).await;
        handle
            .signal(
                JobCompleted,
                json!({"jobId": job_id, "status": "COMPLETED"}),
                Default::default(),
            )
            .await
            .unwrap();
        handle
            .get_result(WorkflowGetResultOptions::default())
            .await
            .unwrap()
    });
    assert_eq!(document["status"], "completed", "{document}");
    let history = history(server, &id);
    assert!(history.contains("job-completed"), "no signal in the history");
    assert!(
        history.contains("matchkraft.results"),
        "the signal did not lead to matchkraft.results"
    );
}

/// The job id in the result of the history's `matchkraft.submit`, if it has
/// completed.
pub(crate) fn submitted_job_id(history: &str) -> Option<String> {
    let marker = "\"jobId\":\"";
    // Payload data is base64 in the JSON history; decode what looks like it.
    let value: Value = serde_json::from_str(history).ok()?;
    for event in value["events"].as_array()? {
        let attributes = &event["activityTaskCompletedEventAttributes"];
        let Some(payloads) = attributes["result"]["payloads"].as_array() else {
            continue;
        };
        for payload in payloads {
            let data = payload["data"].as_str().unwrap_or_default();
            let text = decode_payload(data);
            if let Some(start) = text.find(marker) {
                let rest = &text[start + marker.len()..];
                return rest.split('"').next().map(str::to_string);
            }
        }
    }
    None
}

/// A payload's `data` as the CLI prints it: base64, or already the JSON.
pub(crate) fn decode_payload(data: &str) -> String {
    use base64::Engine as _;
    match base64::engine::general_purpose::STANDARD.decode(data) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => data.to_string(),
    }
}
