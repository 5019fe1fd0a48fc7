//! Nothing lost, nothing trusted that should not be: output that cannot be
//! written, a ledger that cannot record a job, an answer that never parses, a
//! key that should not be on the command line, a forged webhook.

use std::fs::File;
use std::os::fd::{FromRawFd as _, OwnedFd};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::{Setup, free_port, matchkraft, wait_until};
use matchkraft_simulator::{Fault, SimConfig, webhooks};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `/dev/full`, opened for writing: every write fails with "no space".
fn full() -> File {
    File::options().write(true).open("/dev/full").expect("/dev/full")
}

/// The write end of a pipe whose read end is already closed.
fn closed_pipe() -> File {
    let mut fds = [0; 2];
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: pipe() just returned these two descriptors, owned by no one else.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    drop(read);
    File::from(write)
}

#[test]
fn a_job_id_that_cannot_be_printed_is_said_on_stderr() {
    let setup = Setup::new("full-stdout", SimConfig::default());
    let output = setup
        .command(&["submit", "email-validation", "john@gmail.com"])
        .stdout(full())
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot write to stdout"), "{stderr}");
    let jobs = setup.sim.jobs_by_name();
    assert_eq!(setup.sim.job_count(), 1, "{jobs:?}");
    let ledger = matchkraft_host::ledger::Ledger::open(setup.dir.ledger()).unwrap();
    let job = &ledger.list().unwrap()[0];
    assert!(stderr.contains(&job.id), "the job id must not be lost: {stderr}");
}

#[test]
fn every_command_checks_its_writes_to_stdout() {
    let setup = Setup::new("full-others", SimConfig::default());
    for args in [
        &["completions", "bash"][..],
        &["--help"],
        &["run", "--help"],
        &["--version"],
        &["jobs", "--json"],
        &["jobs"],
        &["run", "email-validation", "john@gmail.com", "--json"],
    ] {
        let output = setup.command(args).stdout(full()).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(1),
            "{args:?}: {}",
            text(&output.stderr)
        );
        assert!(
            text(&output.stderr).contains("stdout"),
            "{args:?}: {}",
            text(&output.stderr)
        );
    }
}

#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    let setup = Setup::new("closed-pipe", SimConfig::default());
    for args in [
        &["completions", "bash"][..],
        &["--help"],
        &["jobs", "--json"],
        &["run", "email-validation", "john@gmail.com", "-o", "-", "--quiet"],
    ] {
        let output = setup.command(args).stdout(closed_pipe()).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&output.stderr)
        );
        assert_eq!(text(&output.stderr), "", "{args:?}");
    }
}

#[test]
fn stderr_that_cannot_be_written_is_a_failure() {
    let setup = Setup::new("full-stderr", SimConfig::default());
    // A warning (a repeated record) goes to stderr, which is full.
    let output = setup
        .command(&["submit", "email-validation", "a@b.co", "a@b.co"])
        .stderr(full())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
}

/// A ledger with one damaged page: before, `run` submitted, warned, printed
/// the results and exited 0 with the job missing from the ledger.
#[test]
fn a_damaged_ledger_stops_the_command_before_anything_is_sent() {
    let setup = Setup::new("damaged", SimConfig::default());
    let ledger = setup.dir.ledger();
    {
        let writer = matchkraft_host::ledger::Ledger::open(&ledger).unwrap();
        for i in 0..200 {
            let job = matchkraft_host::Job {
                id: format!("job-{i:03}"),
                name: Some("old".into()),
                job_type: matchkraft_host::JobType::EmailValidation,
                status: matchkraft_host::JobStatus::Completed,
                progress: None,
            };
            writer
                .record_submitted(&job, 1, "http://127.0.0.1:1/api/v2")
                .unwrap();
        }
    }
    checkpoint(&ledger);
    let mut bytes = std::fs::read(&ledger).unwrap();
    bytes[2 * 4096..3 * 4096].fill(0xa5);
    std::fs::write(&ledger, &bytes).unwrap();

    let output = setup
        .command(&["run", "email-validation", "john@gmail.com"])
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("damaged") && stderr.contains("quick_check"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was sent"), "{stderr}");
    assert!(stderr.contains("hint: ") && stderr.contains("mv "), "{stderr}");
    assert_eq!(setup.sim.job_count(), 0, "a job was created");
    assert!(setup.sim.requests().iter().all(|r| r.method != "POST"));
}

/// Moves the WAL's pages into the database file.
fn checkpoint(ledger: &Path) {
    let conn = rusqlite::Connection::open(ledger).unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
}

/// `run` against a ledger whose `table` refuses every insert (as a full
/// disk would), the trigger put there as another program would.
fn run_with_a_ledger_refusing(label: &str, table: &str) -> (Setup, std::process::Output) {
    let setup = Setup::new(label, SimConfig::default());
    assert!(setup.command(&["jobs"]).output().unwrap().status.success());
    let conn = rusqlite::Connection::open(setup.dir.ledger()).unwrap();
    conn.execute_batch(&format!(
        "CREATE TRIGGER full BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'disk full'); END;"
    ))
    .unwrap();
    let output = setup
        .command(&["run", "email-validation", "john@gmail.com"])
        .output()
        .unwrap();
    (setup, output)
}

#[test]
fn a_ledger_that_cannot_record_the_submission_sends_nothing() {
    let (setup, output) = run_with_a_ledger_refusing("no-write-ahead", "submissions");
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("nothing was sent") && stderr.contains("disk full"),
        "{stderr}"
    );
    assert_eq!(setup.sim.job_count(), 0);
}

#[test]
fn a_job_id_the_ledger_cannot_record_is_said_and_the_command_fails() {
    let (setup, output) = run_with_a_ledger_refusing("no-job-row", "jobs");
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(setup.sim.job_count(), 1);
    let id = setup
        .sim
        .requests()
        .iter()
        .find(|r| r.method == "GET")
        .map(|r| r.path.clone());
    assert!(id.is_none(), "run went on to wait for the job: {id:?}");
    assert!(
        stderr.contains("was submitted") && stderr.contains("matchkraft results"),
        "{stderr}"
    );
    // The submission itself stays visible.
    let jobs = setup.command(&["jobs"]).output().unwrap();
    assert!(
        text(&jobs.stdout).contains("sent, no answer"),
        "{}",
        text(&jobs.stdout)
    );
}

#[test]
fn a_submission_with_an_unknown_outcome_is_listed() {
    let setup = Setup::new("outcome-unknown", SimConfig::default());
    setup.sim.inject(Fault::ResetAfterCommit, 1);
    let output = setup
        .command(&[
            "submit",
            "email-validation",
            "john@gmail.com",
            "--name",
            "doubtful",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert_eq!(setup.sim.job_count(), 1, "the job exists");

    let table = setup.command(&["jobs"]).output().unwrap();
    let table = text(&table.stdout);
    assert!(
        table.contains("doubtful") && table.contains("outcome unknown"),
        "{table}"
    );
    assert!(table.contains("check the MatchKraft dashboard"), "{table}");
    let listed = setup.command(&["jobs", "--json"]).output().unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed[0]["jobId"], serde_json::Value::Null);
    assert_eq!(listed[0]["status"], "outcome-unknown");
    assert_eq!(listed[0]["jobName"], "doubtful");
}

/// An answer that never parses: before, `run` polled with a warning every
/// few seconds until its timeout.
#[test]
fn an_answer_that_never_parses_stops_the_wait() {
    let setup = Setup::new(
        "unreadable",
        SimConfig {
            processing_for: Duration::from_secs(60),
            ..SimConfig::default()
        },
    );
    let child = setup
        .command(&["run", "email-validation", "john@gmail.com", "--timeout", "30"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_until(Duration::from_secs(20), "the job", || setup.sim.job_count() == 1);
    setup.sim.inject(Fault::HtmlWith200, 1000);
    let started = Instant::now();
    let output = child.wait_with_output().unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert!(
        stderr.contains("3 times in a row") && stderr.contains("matchkraft resume"),
        "{stderr}"
    );
}

#[test]
fn the_key_can_come_from_a_file_and_on_the_command_line_is_warned_about() {
    let setup = Setup::new("key-file", SimConfig::default());
    let key_file = setup.dir.path().join("key");
    std::fs::write(&key_file, format!("{}\n", setup.sim.config().api_key)).unwrap();
    let output = setup
        .command(&["submit", "email-validation", "john@gmail.com"])
        .env("MATCHKRAFT_API_KEY", "wrong-key-from-env")
        .args(["--api-key-file", key_file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        !text(&output.stderr).contains("warning"),
        "{}",
        text(&output.stderr)
    );

    let output = setup
        .command(&["submit", "email-validation", "john@gmail.com"])
        .args(["--api-key", &setup.sim.config().api_key])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("warning: --api-key") && stderr.contains("--api-key-file"),
        "{stderr}"
    );

    // Read from stdin, and an empty file is refused without being quoted.
    let mut child = setup
        .command(&[
            "submit",
            "email-validation",
            "john@gmail.com",
            "--api-key-file",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    writeln!(child.stdin.take().unwrap(), "  {}  ", setup.sim.config().api_key).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let empty = setup.dir.path().join("empty");
    std::fs::write(&empty, "\n").unwrap();
    let output = setup
        .command(&[
            "status",
            "email-validation",
            "x",
            "--api-key-file",
            empty.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
}

#[test]
fn a_new_ledger_is_private_and_an_open_one_is_warned_about() {
    use std::os::unix::fs::PermissionsExt as _;
    let setup = Setup::new("ledger-mode", SimConfig::default());
    use std::os::unix::process::CommandExt as _;
    let ledger = setup.dir.path().join("new-folder/ledger.sqlite3");
    let mut command = matchkraft();
    command
        .args(["submit", "email-validation", "john@gmail.com"])
        .args([
            "--ledger",
            ledger.to_str().unwrap(),
            "--base-url",
            &setup.sim.base_url(),
        ])
        .env("MATCHKRAFT_API_KEY", &setup.sim.config().api_key);
    // A permissive umask must not matter.
    // SAFETY: umask is async-signal-safe and touches nothing but the child.
    unsafe {
        command.pre_exec(|| {
            libc::umask(0);
            Ok(())
        });
    }
    let output = command.output().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(ledger.parent().unwrap()), 0o700);
    assert_eq!(mode(&ledger), 0o600);

    std::fs::set_permissions(&ledger, std::fs::Permissions::from_mode(0o644)).unwrap();
    let output = matchkraft()
        .args(["jobs", "--ledger", ledger.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("can be read by other users") && stderr.contains("chmod 600"),
        "{stderr}"
    );
}

/// A forged `FAILED` for the job `run --webhook` waits on: before, `run`
/// exited 3 while the job ran on.
#[test]
fn a_forged_webhook_does_not_end_a_run() {
    let setup = Setup::new(
        "forged",
        SimConfig {
            processing_for: Duration::from_millis(2500),
            ..SimConfig::default()
        },
    );
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let child = setup
        .command(&[
            "run",
            "email-validation",
            "john@gmail.com",
            "--webhook",
            &addr,
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(Duration::from_secs(20), "the job", || setup.sim.job_count() == 1);
    let ledger = matchkraft_host::ledger::Ledger::open(setup.dir.ledger()).unwrap();
    let mut id = String::new();
    wait_until(
        Duration::from_secs(20),
        "the job in the ledger",
        || match ledger.list().unwrap().first() {
            Some(job) => {
                id = job.id.clone();
                true
            }
            None => false,
        },
    );
    let body = format!(
        r#"{{"event":"job.completed","jobId":"{id}","jobType":"email-validation","status":"FAILED"}}"#
    );
    let url = format!("http://{addr}/");
    let posted = setup.runtime.handle().block_on(webhooks::send_once(&url, &body));
    assert_eq!(posted, Ok(Some(200)));
    let output = child.wait_with_output().unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("the API says"), "{stderr}");
    let results: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(results["status"], "completed");
}
