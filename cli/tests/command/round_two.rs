//! What a new user tries first: the examples in `--help`, a bare domain, a
//! webhook address by name, `results` before the job is done, `listen
//! --json`.

use std::io::{BufRead as _, BufReader};
use std::process::Stdio;
use std::time::Duration;

use crate::common::{Setup, TempDir, free_port, matchkraft};
use matchkraft_simulator::{SimConfig, webhooks};
use serde_json::Value;

/// The `jq` filter in `results --help` names fields the document has.
#[test]
fn the_results_help_example_reads_a_real_document() {
    let setup = Setup::new("help-example", SimConfig::default());
    let help = setup.command(&["results", "--help"]).output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    let filter = help
        .split("jq '")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a jq example in results --help");
    let job = setup.submit(&["domain-scan", "https://example.com"]);
    std::thread::sleep(Duration::from_millis(600));
    let output = setup
        .command(&["results", "domain-scan", &job, "--json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let document: Value = serde_json::from_slice(&output.stdout).unwrap();
    // `.a[].b`: every element of the array `a` has the field `b`.
    let path: Vec<&str> = filter.trim_start_matches('.').split("[].").collect();
    let [array, field] = path[..] else {
        panic!("an example of the form .a[].b: {filter}")
    };
    let items = document[array]
        .as_array()
        .unwrap_or_else(|| panic!("{filter}: no {array:?} in {document}"));
    assert!(!items.is_empty());
    assert!(
        items.iter().all(|item| !item[field].is_null()),
        "{filter} on {document}"
    );
}

#[test]
fn results_of_an_unfinished_job_have_an_exit_code_of_their_own() {
    let setup = Setup::new(
        "unfinished",
        SimConfig {
            processing_for: Duration::from_secs(3600),
            ..SimConfig::default()
        },
    );
    let job = setup.submit(&["email-validation", "john@gmail.com"]);
    let output = setup
        .command(&["results", "email-validation", &job])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("not finished:"), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).contains(&job));
}

#[test]
fn a_bare_domain_is_read_as_https_and_said() {
    let output = matchkraft()
        .env("MATCHKRAFT_LEDGER", TempDir::new("bare").ledger())
        .args(["run", "domain-scan", "example.com", "--json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("as https://example.com"), "{stderr}");
    let document: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(document["results"][0]["website"], "https://example.com");
}

#[test]
fn listen_json_prints_one_object_per_event_and_webhook_takes_a_host_name() {
    let setup = Setup::new("listen-json", SimConfig::default());
    let port = free_port();
    let mut listener = setup
        .command(&["listen", "--addr", &format!("localhost:{port}"), "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(listener.stdout.take().unwrap()).lines();
    let body =
        r#"{"event":"job.completed","jobId":"stranger-1","jobType":"email-validation","status":"COMPLETED"}"#;
    let url = format!("http://127.0.0.1:{port}/");
    let mut posted = Err(String::new());
    for _ in 0..100 {
        posted = setup.runtime.handle().block_on(webhooks::send_once(&url, body));
        if posted == Ok(Some(200)) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(posted, Ok(Some(200)));
    let line = lines.next().unwrap().unwrap();
    let _ = listener.kill();
    let _ = listener.wait();
    let event: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert_eq!(event["event"], "unknown-job");
    assert_eq!(event["jobId"], "stranger-1");
    assert_eq!(event["warning"], true);
}
