use std::process::Command;

use matchkraft_simulator::SimConfig;
use serde_json::Value;

use crate::support::{Sim, Worker, dev_server, python, unique};

/// `cross_language.py`: a workflow written with Temporal's Python SDK calls
/// `matchkraft.submit`, `.status`, `.wait` and `.results` (a page) by name
/// with plain JSON, and matches a failure by its type. What it gets back is
/// what the `matchkraft` command prints with `run --json`.
#[test]
fn a_python_workflow_calls_the_activities_by_name() {
    let Some(server) = dev_server("a_python_workflow_calls_the_activities_by_name") else {
        return;
    };
    let sim = Sim::start(SimConfig::default());
    let queue = unique("python");
    let _worker = Worker::start(server, &queue, &sim.sim.base_url(), "sim-key", &[]);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/cross_language.py");
    let output = Command::new(python())
        .arg(script)
        .args([&server.address, &queue, "email-validation"])
        .arg(r#"["john@gmail.com", "test@domain.com", {"email": "info@example.com"}]"#)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "cross_language.py failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));

    let job = &result["job"];
    assert_eq!(job["jobName"], "from-python");
    assert_eq!(job["jobType"], "email-validation");
    assert!(job["jobId"].as_str().is_some_and(|id| !id.is_empty()), "{job}");
    assert_eq!(result["status"]["jobId"], job["jobId"]);

    let results = &result["results"];
    assert_eq!(results["status"], "completed", "{results}");
    let emails: Vec<&str> = results["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["john@gmail.com", "test@domain.com", "info@example.com"]);

    let page = &result["page"];
    assert_eq!(page["total"], 3, "{page}");
    assert_eq!(page["offset"], 1);
    assert_eq!(page["nextOffset"], 2);
    assert_eq!(page["results"][0]["email"], "test@domain.com");

    let not_found = &result["notFound"];
    assert_eq!(not_found["type"], "permanent-not-found", "{result}");
    assert_eq!(not_found["nonRetryable"], true);
    // Non-retryable: one request for the unknown job, though the policy
    // allowed five attempts.
    let lookups = sim
        .sim
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/no-such-job"))
        .count();
    assert_eq!(lookups, 1, "the unknown job was asked for {lookups} times");
    assert_eq!(sim.sim.job_count(), 1);
}
