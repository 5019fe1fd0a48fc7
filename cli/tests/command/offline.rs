//! Offline across commands: `matchkraft simulator` serving jobs to separate
//! `submit`, `status`, `results` and `jobs` processes; jobs of a simulator
//! that has stopped; `resume` against nothing at all.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Setup, TempDir, matchkraft, wait_until};
use matchkraft_simulator::SimConfig;
use serde_json::Value;

/// A `matchkraft simulator` child, and what its export lines say.
struct Served {
    child: Child,
    base_url: String,
    key: String,
}

impl Served {
    fn start(args: &[&str]) -> Served {
        let mut child = matchkraft()
            .args(["simulator", "--addr", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut export = |name: &str| {
            let line = lines.next().unwrap().unwrap();
            line.strip_prefix(&format!("export {name}="))
                .unwrap_or_else(|| panic!("not an export of {name}: {line}"))
                .to_string()
        };
        let base_url = export("MATCHKRAFT_BASE_URL");
        let key = export("MATCHKRAFT_API_KEY");
        Served { child, base_url, key }
    }

    /// `matchkraft ARGS` pointed at this simulator, as the export lines do.
    fn command(&self, ledger: &TempDir, args: &[&str]) -> Command {
        let mut command = matchkraft();
        command
            .args(args)
            .env("MATCHKRAFT_BASE_URL", &self.base_url)
            .env("MATCHKRAFT_API_KEY", &self.key)
            .env("MATCHKRAFT_LEDGER", ledger.ledger());
        command
    }

    /// SIGTERM, as a service manager stops it; its exit status and stderr.
    fn stop(self) -> (Option<i32>, String) {
        let pid = i32::try_from(self.child.id()).unwrap();
        // SAFETY: a plain kill(2) of our own child.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let output = self.child.wait_with_output().unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

fn run(mut command: Command) -> (Option<i32>, String, String) {
    let output = command.output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn ledger_job(served: &Served, ledger: &TempDir, id: &str) -> Value {
    let (code, stdout, stderr) = run(served.command(ledger, &["jobs", "--json"]));
    assert_eq!(code, Some(0), "{stderr}");
    let jobs: Value = serde_json::from_str(&stdout).unwrap();
    jobs.as_array()
        .unwrap()
        .iter()
        .find(|job| job["jobId"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("no job {id} in {jobs}"))
}

#[test]
fn the_simulator_command_serves_jobs_across_commands_and_they_update_the_ledger() {
    let served = Served::start(&["--job-secs", "0.3"]);
    assert!(
        served.base_url.starts_with("http://127.0.0.1:"),
        "{}",
        served.base_url
    );
    let ledger = TempDir::new("served");
    let (code, job, stderr) = run(served.command(&ledger, &["submit", "email-validation", "john@gmail.com"]));
    assert_eq!(code, Some(0), "{stderr}");
    let job = job.trim().to_string();
    assert_eq!(ledger_job(&served, &ledger, &job)["status"], "pending");

    // Another process knows the job; `status` notes what it saw.
    wait_until(Duration::from_secs(20), "the job to complete", || {
        let (code, line, _) = run(served.command(&ledger, &["status", "email-validation", &job]));
        code == Some(0) && line.contains("completed")
    });
    let noted = ledger_job(&served, &ledger, &job);
    assert_eq!(noted["status"], "completed", "{noted}");
    assert!(noted["resultsStoredAt"].is_null(), "{noted}");

    // `results` stores them.
    let (code, document, stderr) =
        run(served.command(&ledger, &["results", "email-validation", &job, "--json"]));
    assert_eq!(code, Some(0), "{stderr}");
    let document: Value = serde_json::from_str(&document).unwrap();
    assert_eq!(document["results"][0]["email"], "john@gmail.com");
    let stored = ledger_job(&served, &ledger, &job);
    assert_eq!(stored["resultCount"], 1, "{stored}");
    assert_eq!(stored["completedVia"], "results", "{stored}");

    let (code, stderr) = served.stop();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("stopped after 1 job(s)"), "{stderr}");
}

#[test]
fn the_simulator_command_refuses_what_it_cannot_serve() {
    for (args, said) in [
        (&["--faults", "2"][..], "not a rate"),
        (&["--faults", "0.1:teapot"][..], "not a fault kind"),
        (&["--webhook-url", "https://example.com/"][..], "--webhook-url"),
    ] {
        let output = matchkraft()
            .args(["simulator", "--addr", "127.0.0.1:0"])
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(said), "{args:?}: {stderr}");
    }
}

#[test]
fn a_job_of_the_built_in_simulator_is_said_to_be_gone_afterwards() {
    let dir = TempDir::new("gone");
    let ledger = dir.ledger();
    let ledger = ledger.to_str().unwrap();
    // No key: each command runs a simulator of its own.
    let output = matchkraft()
        .args(["submit", "email-validation", "john@gmail.com", "--ledger", ledger])
        .output()
        .unwrap();
    assert!(output.status.success());
    let job = String::from_utf8(output.stdout).unwrap().trim().to_string();
    for command in ["status", "results"] {
        let output = matchkraft()
            .args([command, "email-validation", &job, "--ledger", ledger])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{command}: {stderr}");
        assert!(
            stderr.contains(&format!("job {job} came from")),
            "{command}: {stderr}"
        );
        assert!(
            stderr.contains("a simulator's jobs end when it stops"),
            "{command}: {stderr}"
        );
        assert!(stderr.contains("`matchkraft simulator`"), "{command}: {stderr}");
    }
}

#[test]
fn resume_reports_a_refused_connection_after_a_few_attempts() {
    let setup = Setup::new(
        "refused",
        SimConfig {
            processing_for: Duration::from_secs(3600),
            ..SimConfig::default()
        },
    );
    let job = setup.submit(&["email-validation", "john@gmail.com"]);
    setup.sim.shutdown();
    let started = Instant::now();
    let output = setup
        .command(&["resume", &job, "--timeout", "600"])
        .output()
        .unwrap();
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(took < Duration::from_secs(60), "took {took:?}: {stderr}");
    assert!(stderr.contains("which no longer runs"), "{stderr}");
    eprintln!("resume on a refused connection reported after {took:?}");
}
