//! A `run` killed while it waits loses nothing: the job is in the ledger
//! from right after the submit, and `resume` finishes it.

use std::os::unix::process::ExitStatusExt as _;
use std::process::Stdio;
use std::time::Duration;

use crate::common::{TempDir, ledger_files_contain, matchkraft, wait_until};
use matchkraft_host::JobStatus;
use matchkraft_host::ledger::{EffectSource, Ledger};
use matchkraft_simulator::{SimConfig, Simulator};

/// A key that must never show up in output or in the ledger.
const KEY: &str = "sentinel-key-3f9a1c77";

#[test]
fn a_killed_run_is_completed_by_resume() {
    let config = SimConfig {
        api_key: KEY.into(),
        processing_for: Duration::from_secs(3),
        ..SimConfig::default()
    };
    let (sim, _runtime) = Simulator::spawn_in_background(config).unwrap();
    let base = sim.base_url();
    let dir = TempDir::new("crash-resume");
    let ledger_path = dir.ledger();
    let ledger_arg = ledger_path.to_str().unwrap();
    let common = ["--ledger", ledger_arg, "--base-url", &base, "--api-key", KEY];

    let mut run = matchkraft()
        .args(["run", "email-validation", "john@gmail.com", "test@domain.com"])
        .args(common)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // The job must be in the ledger before `run` does anything else with it.
    let mut job_id = String::new();
    wait_until(Duration::from_secs(60), "the job in the ledger", || {
        let Some(ledger) = ledger_path
            .exists()
            .then(|| Ledger::open(&ledger_path).ok())
            .flatten()
        else {
            return false;
        };
        match ledger.list().unwrap().first() {
            Some(job) => {
                job_id = job.id.clone();
                true
            }
            None => false,
        }
    });
    run.kill().unwrap(); // SIGKILL: no chance to clean up
    let killed = run.wait_with_output().unwrap();
    assert_eq!(killed.status.signal(), Some(9), "{killed:?}");

    let ledger = Ledger::open(&ledger_path).unwrap();
    let before = ledger.job(&job_id).unwrap().unwrap();
    assert!(!before.status.is_terminal(), "{before:?}");
    assert_eq!(before.record_count, 2);
    assert_eq!(before.base_url, base);
    assert_eq!(ledger.pending().unwrap().len(), 1);

    let resumed = matchkraft().args(["resume"]).args(common).output().unwrap();
    let stdout = String::from_utf8_lossy(&resumed.stdout);
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    assert!(resumed.status.success(), "{stderr}");
    for expected in ["john@gmail.com", "valid", "test@domain.com", "catch-all"] {
        assert!(stdout.contains(expected), "{expected:?} missing from:\n{stdout}");
    }

    let after = ledger.job(&job_id).unwrap().unwrap();
    assert_eq!(after.status, JobStatus::Completed);
    assert_eq!(after.result_count, Some(2));
    assert_eq!(after.completed_via, Some(EffectSource::Resume));
    assert_eq!(ledger.results(&job_id).unwrap().unwrap().records.len(), 2);
    assert!(ledger.pending().unwrap().is_empty());
    assert_eq!(sim.job_count(), 1, "resume must never submit again");

    // Resuming again has nothing to do; resuming the job by id prints the
    // stored results without asking the API.
    let gets = sim.results_gets()[&job_id];
    let again = matchkraft().args(["resume"]).args(common).output().unwrap();
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("nothing to resume"));
    let by_id = matchkraft()
        .args(["resume", &job_id, "--json"])
        .args(common)
        .output()
        .unwrap();
    assert!(
        by_id.status.success(),
        "{}",
        String::from_utf8_lossy(&by_id.stderr)
    );
    let document: serde_json::Value = serde_json::from_slice(&by_id.stdout).unwrap();
    assert_eq!(document["jobId"], job_id.as_str());
    assert_eq!(document["results"][0]["email"], "john@gmail.com");
    assert_eq!(sim.results_gets()[&job_id], gets);

    // `jobs` lists it.
    let jobs = matchkraft()
        .args(["jobs", "--json"])
        .args(common)
        .output()
        .unwrap();
    let jobs: serde_json::Value = serde_json::from_slice(&jobs.stdout).unwrap();
    assert_eq!(jobs[0]["jobId"], job_id.as_str());
    assert_eq!(jobs[0]["resultCount"], 2);
    assert_eq!(jobs[0]["completedVia"], "resume");

    // The key appears nowhere: not in output, errors or the ledger's files.
    for output in [&killed, &resumed, &again, &by_id] {
        assert!(!String::from_utf8_lossy(&output.stdout).contains(KEY));
        assert!(!String::from_utf8_lossy(&output.stderr).contains(KEY));
    }
    drop(ledger);
    assert!(
        !ledger_files_contain(&ledger_path, KEY),
        "the key is in the ledger"
    );
}

#[test]
fn resume_needs_the_key_and_names_a_missing_job() {
    let dir = TempDir::new("resume-usage");
    let ledger = dir.ledger();
    let ledger = ledger.to_str().unwrap();
    let no_key = matchkraft()
        .args(["resume", "--ledger", ledger])
        .output()
        .unwrap();
    assert_eq!(no_key.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_key.stderr).contains("MATCHKRAFT_API_KEY"));

    let unknown = matchkraft()
        .args([
            "resume",
            "nope",
            "--ledger",
            ledger,
            "--api-key",
            "k",
            "--base-url",
            "http://127.0.0.1:9/api/v2",
        ])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("not in the ledger"));

    let empty = matchkraft().args(["jobs", "--ledger", ledger]).output().unwrap();
    assert!(empty.status.success());
    assert_eq!(
        String::from_utf8_lossy(&empty.stdout),
        "(no jobs in the ledger)\n"
    );
}
