//! The `matchkraft` command, run as a user runs it: a real process, the
//! component built into it, and a simulator on 127.0.0.1 (its own, or one this
//! test starts).

use matchkraft_simulator::{SimConfig, Simulator};
use serde_json::Value;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// `matchkraft ARGS` with a clean environment: no key or base URL inherited
/// from whoever runs the tests, and a job ledger of this call's own rather
/// than the user's (or another test's: tests run in parallel).
fn matchkraft(args: &[&str]) -> Output {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let ledger = std::env::temp_dir().join(format!(
        "matchkraft-cli-test-{}-{}.sqlite3",
        std::process::id(),
        CALLS.fetch_add(1, Ordering::Relaxed)
    ));
    Command::new(env!("CARGO_BIN_EXE_matchkraft"))
        .args(args)
        .env_remove("MATCHKRAFT_API_KEY")
        .env_remove("MATCHKRAFT_BASE_URL")
        .env("MATCHKRAFT_LEDGER", ledger)
        .env("NO_COLOR", "1")
        .output()
        .expect("the matchkraft binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn json(output: &Output) -> Value {
    assert!(output.status.success(), "failed: {}", stderr(output));
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(output)))
}

#[test]
fn run_email_validation_against_the_built_in_simulator() {
    let output = matchkraft(&["run", "email-validation", "john@gmail.com", "test@domain.com"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("simulator"),
        "must say it uses the simulator: {}",
        stderr(&output)
    );
    let table = stdout(&output);
    for expected in ["john@gmail.com", "valid", "test@domain.com", "catch-all"] {
        assert!(table.contains(expected), "{expected:?} missing from:\n{table}");
    }
}

#[test]
fn run_prints_one_json_object_per_job_for_every_type() {
    let cases: [(&str, &[&str]); 3] = [
        ("email-validation", &["john@gmail.com", "info@acme.com"]),
        (
            "email-finder",
            &[
                "Arseniy,Grusha,https://dataprana.io",
                "Randi,Zuckerberg,https://zuckerbergmedia.com",
            ],
        ),
        ("domain-scan", &["https://acme.com", "https://nobody.example"]),
    ];
    for (job_type, records) in cases {
        let mut args = vec!["run", job_type, "--json"];
        args.extend_from_slice(records);
        let value = json(&matchkraft(&args));
        assert_eq!(value["jobType"], job_type);
        assert_eq!(value["status"], "completed", "{value}");
        assert!(value["jobId"].as_str().is_some_and(|id| !id.is_empty()));
        let results = value["results"].as_array().expect("results array");
        assert_eq!(results.len(), records.len(), "{value}");
        for result in results {
            assert!(
                result["raw"].is_object(),
                "every result carries its raw record: {result}"
            );
        }
    }
}

#[test]
fn run_json_has_typed_fields_with_raw_records() {
    let value = json(&matchkraft(&[
        "run",
        "email-finder",
        "--json",
        "Arseniy,Grusha,https://dataprana.io",
    ]));
    let first = &value["results"][0];
    assert_eq!(first["email"], "arseniy@dataprana.io");
    assert_eq!(first["confidence"], 97.0);
    assert_eq!(first["raw"]["pattern"], "first");
}

#[test]
fn submit_status_and_results_against_a_given_base_url() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim = runtime.block_on(Simulator::start(SimConfig::default())).unwrap();
    let base = sim.base_url();
    let key = sim.config().api_key.clone();
    let common = ["--base-url", base.as_str(), "--api-key", key.as_str()];

    let mut args = vec!["submit", "domain-scan", "https://dataprana.io"];
    args.extend_from_slice(&common);
    let output = matchkraft(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    let job_id = stdout(&output).trim().to_string();
    assert!(
        !job_id.is_empty() && !job_id.contains(char::is_whitespace),
        "{job_id:?}"
    );

    std::thread::sleep(std::time::Duration::from_millis(400));
    let mut args = vec!["status", "domain-scan", job_id.as_str(), "--json"];
    args.extend_from_slice(&common);
    let status = json(&matchkraft(&args));
    assert_eq!(status["status"], "completed", "{status}");

    let mut args = vec!["results", "domain-scan", job_id.as_str(), "--json"];
    args.extend_from_slice(&common);
    let results = json(&matchkraft(&args));
    assert_eq!(results["results"][0]["domain"], "dataprana.io", "{results}");
    assert_eq!(sim.job_count(), 1);
}

#[test]
fn errors_are_one_line_with_a_hint_and_never_show_the_key() {
    const SENTINEL: &str = "sentinel-key-8d21e7";
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim = runtime.block_on(Simulator::start(SimConfig::default())).unwrap();
    let base = sim.base_url();
    let output = matchkraft(&[
        "submit",
        "email-validation",
        "john@gmail.com",
        "--base-url",
        &base,
        "--api-key",
        SENTINEL,
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("unauthorized"), "{err}");
    assert!(
        err.contains("MATCHKRAFT_API_KEY"),
        "a hint names the setting: {err}"
    );
    assert!(
        !err.contains(SENTINEL) && !stdout(&output).contains(SENTINEL),
        "the key leaked: {err}"
    );
    assert_eq!(sim.job_count(), 0);
}

#[test]
fn invalid_records_are_refused_before_anything_is_sent() {
    let output = matchkraft(&["run", "email-validation", "john@gmail.com", "not-an-email"]);
    assert!(!output.status.success());
    let err = stderr(&output);
    assert!(err.contains("record 1"), "names the record: {err}");
    assert!(err.contains("not-an-email"), "{err}");
}
