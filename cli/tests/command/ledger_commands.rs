//! `jobs --status`, `jobs forget` and `jobs prune`: jobs leave the ledger
//! only as asked, and never one without results unless that is said.

use std::time::Duration;

use crate::common::{Setup, ledger_files_contain, wait_until};
use matchkraft_simulator::SimConfig;
use serde_json::Value;

/// The ids `jobs ARGS --json` lists.
fn listed(setup: &Setup, args: &[&str]) -> Vec<String> {
    let output = setup
        .command(&[&["jobs", "--json"], args].concat())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let jobs: Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut ids: Vec<String> = jobs
        .as_array()
        .unwrap()
        .iter()
        .map(|job| job["jobId"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

/// A ledger with a job whose results are stored (`done`, results for
/// ada@gmail.com) and one without (`open`).
fn done_and_open(label: &str) -> (Setup, String, String) {
    let setup = Setup::new(label, SimConfig::default());
    let done = setup.submit(&["email-validation", "ada@gmail.com"]);
    wait_until(Duration::from_secs(20), "the results", || {
        setup
            .command(&["results", "email-validation", &done])
            .output()
            .unwrap()
            .status
            .success()
    });
    let open = setup.submit(&["email-validation", "john@gmail.com"]);
    (setup, done, open)
}

#[test]
fn jobs_status_filters_the_listing() {
    let (setup, done, open) = done_and_open("filter");
    assert_eq!(
        listed(&setup, &["--status", "unfinished"]),
        std::slice::from_ref(&open)
    );
    assert_eq!(
        listed(&setup, &["--status", "completed"]),
        std::slice::from_ref(&done)
    );
    assert_eq!(listed(&setup, &["--status", "pending,completed"]).len(), 2);
    assert!(listed(&setup, &["--status", "failed"]).is_empty());
    let wrong = setup.command(&["jobs", "--status", "sleeping"]).output().unwrap();
    assert_eq!(wrong.status.code(), Some(2));
}

#[test]
fn forget_drops_all_it_names_or_nothing() {
    let (setup, done, open) = done_and_open("forget");
    let ledger = setup.dir.ledger();
    assert!(ledger_files_contain(&ledger, "ada@gmail.com"));

    let refused = setup.command(&["jobs", "forget", &done, &open]).output().unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("has no results yet"), "{stderr}");
    assert!(stderr.contains("nothing was forgotten"), "{stderr}");
    assert!(stderr.contains("--unfinished"), "{stderr}");
    assert_eq!(listed(&setup, &[]).len(), 2, "a refused forget dropped a job");

    let unknown = setup
        .command(&["jobs", "forget", "no-such-job"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));

    let forgot = setup.command(&["jobs", "forget", &done]).output().unwrap();
    assert!(
        forgot.status.success(),
        "{}",
        String::from_utf8_lossy(&forgot.stderr)
    );
    assert!(String::from_utf8_lossy(&forgot.stdout).contains(&format!("forgot job {done}")));
    assert_eq!(listed(&setup, &[]), std::slice::from_ref(&open));
    assert!(
        !ledger_files_contain(&ledger, "ada@gmail.com"),
        "the forgotten results are still in the ledger's files"
    );

    let forced = setup
        .command(&["jobs", "forget", "--unfinished", &open])
        .output()
        .unwrap();
    assert!(forced.status.success());
    assert!(listed(&setup, &[]).is_empty());
}

#[test]
fn prune_keeps_unfinished_jobs_and_says_so() {
    let (setup, done, open) = done_and_open("prune");
    let wrong = setup
        .command(&["jobs", "prune", "--before", "last tuesday"])
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("is not a date"));

    let dry = setup
        .command(&["jobs", "prune", "--before", "2999-01-01", "--dry-run"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&dry.stdout).contains(&format!("would drop job {done}")));
    assert_eq!(listed(&setup, &[]).len(), 2, "a dry run dropped a job");

    let pruned = setup
        .command(&["jobs", "prune", "--before", "2999-01-01"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&pruned.stderr);
    assert!(pruned.status.success(), "{stderr}");
    assert!(stderr.contains("kept 1 job(s) without results"), "{stderr}");
    assert_eq!(listed(&setup, &[]), [open]);

    let all = setup
        .command(&["jobs", "prune", "--before", "2999-01-01", "--unfinished"])
        .output()
        .unwrap();
    assert!(all.status.success());
    assert!(listed(&setup, &[]).is_empty());
}
