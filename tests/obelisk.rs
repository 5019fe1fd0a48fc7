//! Obelisk for real: the Obelisk workflow engine (0.38.3, the binary
//! `hosts/obelisk/install.sh` builds once into a cache folder) runs the real
//! component as an activity, and the workflow in `hosts/obelisk/workflow/`
//! chains it, against the simulator on 127.0.0.1.
//!
//! Each test copies `hosts/obelisk/server.toml` and `deployment.toml` into a
//! temporary folder of its own, with the `.wasm` files beside them, replaces
//! the two ports they name (Obelisk's API, the simulator), starts
//! `obelisk server run` there as a child process with the API key in its
//! environment, and drives it with the `obelisk execution …` commands the
//! README shows. The server is stopped by its process id (SIGTERM, or
//! SIGKILL for the crash-recovery check), never by name.
//!
//! The key is a sentinel string: after each test every file Obelisk wrote
//! (database, compiled-code caches, logs) and everything it printed is
//! searched for it, and a failure message never quotes it.
//!
//! The folder is removed afterwards, unless a test failed or
//! `MATCHKRAFT_OBELISK_KEEP=1` is set (the commands' output is in
//! `cli-N.stdout`, the server's in `server-N.stderr`).
//!
//! Without the Obelisk binary the tests print `SKIPPED` and why, and pass:
//! `bash hosts/setup.sh` installs it (the README's test command does), or
//! `OBELISK=/path/to/obelisk` names one.

#![cfg(unix)]

use matchkraft_simulator::{Fault, SimConfig, Simulator, find_email, scan_domain, validate_email};
use serde_json::{Value, json};
use std::fs;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// The Obelisk release the configuration and the README were written for.
const OBELISK_VERSION: &str = "0.38.3";
/// The API key: a string that must not turn up anywhere Obelisk writes.
const SENTINEL_KEY: &str = "mk-sentinel-3f9c2a7d51e84b06";
/// A key the simulator does not accept.
const WRONG_KEY: &str = "mk-wrong-key-0000";
/// `deployment.toml`'s activity lock expiry and retries (checked against the file).
const LOCK_EXPIRY: Duration = Duration::from_secs(5);
const MAX_RETRIES: usize = 2;
/// A generous bound for one CLI command (a server start compiles the
/// component; a stalled call takes (1 + retries) lock expiries).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(180);

const API: &str = "matchkraft:client/api@0.1.0";
const WORKFLOW: &str = "matchkraft:workflow/jobs@0.1.0.run";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The Obelisk binary, or `None` after printing why the test is skipped.
fn obelisk_binary(test: &str) -> Option<PathBuf> {
    let path = match std::env::var_os("OBELISK") {
        Some(path) => PathBuf::from(path),
        None => {
            let cache = std::env::var_os("OBELISK_CACHE")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
                        .join(".cache/matchkraft-component/obelisk")
                });
            cache.join(OBELISK_VERSION).join("bin/obelisk")
        }
    };
    if path.is_file() {
        return Some(path);
    }
    eprintln!(
        "SKIPPED {test}: no Obelisk binary at {} (run `bash hosts/setup.sh`, which builds Obelisk \
         {OBELISK_VERSION} once, or set OBELISK=/path/to/obelisk)",
        path.display()
    );
    None
}

/// Builds the workflow component (its own crate and target folder) and
/// returns its path. A no-op taking well under a second when it is fresh.
fn workflow_wasm() -> PathBuf {
    let crate_dir = repo().join("hosts/obelisk/workflow");
    let target = crate_dir.join("target");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--quiet",
            "--manifest-path",
        ])
        .arg(crate_dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .status()
        .expect("cargo runs");
    assert!(
        status.success(),
        "building hosts/obelisk/workflow failed: {status}"
    );
    target.join("wasm32-wasip2/release/matchkraft_obelisk_workflow.wasm")
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// `text` with the sentinel key blanked, for failure messages.
fn redacted(text: &str) -> String {
    text.replace(SENTINEL_KEY, "<SENTINEL KEY>")
}

/// Waits for `child` until `deadline`; kills it (by its pid) when it is late.
fn wait_until(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// What an `obelisk execution …` command printed and how it ended.
struct CliOutput {
    command: String,
    /// The execution's id, when the command submitted one with `call`.
    execution_id: String,
    status: ExitStatus,
    stdout: String,
    stderr: String,
    took: Duration,
}

impl CliOutput {
    /// The last JSON value on stdout: with `--follow --json`, Obelisk's
    /// `RetVal`, `{"ok": …}`, `{"error": …}` or `{"execution_failure": …}`.
    fn result(&self) -> Value {
        serde_json::Deserializer::from_str(&self.stdout)
            .into_iter::<Value>()
            .filter_map(Result::ok)
            .last()
            .unwrap_or_else(|| panic!("no JSON on stdout\n{self}"))
    }

    /// The `ok` value of the result.
    fn ok(&self) -> Value {
        assert!(self.status.success(), "the command failed\n{self}");
        self.result()
            .get("ok")
            .cloned()
            .unwrap_or_else(|| panic!("no `ok` in the result\n{self}"))
    }

    /// The `error` value of the result: the WIT `err`, in Obelisk's JSON.
    fn error(&self) -> Value {
        self.result()
            .get("error")
            .cloned()
            .unwrap_or_else(|| panic!("no `error` in the result\n{self}"))
    }
}

impl std::fmt::Display for CliOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "$ {} ({}, {:.1} s)\n--- stdout\n{}\n--- stderr\n{}",
            self.command,
            self.status,
            self.took.as_secs_f64(),
            redacted(&self.stdout),
            redacted(&self.stderr)
        )
    }
}

/// One Obelisk server in a temporary folder of its own.
struct Obelisk {
    binary: PathBuf,
    dir: PathBuf,
    port: u16,
    server: Option<Child>,
    starts: usize,
    commands: AtomicUsize,
}

impl Obelisk {
    /// Prepares the folder: `server.toml` and `deployment.toml` from
    /// `hosts/obelisk/` with their ports replaced, and both `.wasm` files.
    fn prepare(binary: PathBuf, test: &str, sim: &Simulator, workflow: &Path) -> Obelisk {
        let dir = std::env::temp_dir().join(format!("matchkraft-obelisk-{test}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("temporary folder");
        let port = free_port();
        let hosts = repo().join("hosts/obelisk");
        let server = fs::read_to_string(hosts.join("server.toml")).unwrap();
        assert_eq!(
            server.matches("127.0.0.1:5005").count(),
            1,
            "server.toml names port 5005 once"
        );
        fs::write(
            dir.join("server.toml"),
            server.replace("127.0.0.1:5005", &format!("127.0.0.1:{port}")),
        )
        .unwrap();
        let deployment = fs::read_to_string(hosts.join("deployment.toml")).unwrap();
        assert_eq!(
            deployment.matches("127.0.0.1:8790").count(),
            1,
            "deployment.toml names port 8790 once"
        );
        assert!(deployment.contains(&format!("max_retries = {MAX_RETRIES}\n")));
        assert!(deployment.contains(&format!("exec.lock_expiry.seconds = {}\n", LOCK_EXPIRY.as_secs())));
        let sim_origin = format!("127.0.0.1:{}", sim.addr().port());
        fs::write(
            dir.join("deployment.toml"),
            deployment.replace("127.0.0.1:8790", &sim_origin),
        )
        .unwrap();
        fs::copy(
            matchkraft_artifacts::COMPONENT_PATH,
            dir.join("matchkraft_component.wasm"),
        )
        .unwrap();
        fs::copy(workflow, dir.join("matchkraft_obelisk_workflow.wasm")).unwrap();
        Obelisk {
            binary,
            dir,
            port,
            server: None,
            starts: 0,
            commands: AtomicUsize::new(0),
        }
    }

    fn api_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A command with only what Obelisk needs in its environment; `HOME` is
    /// the test's folder, so that nothing is written outside it.
    fn command(&self) -> Command {
        let mut command = Command::new(&self.binary);
        command.env_clear().env("HOME", &self.dir).current_dir(&self.dir);
        if let Some(path) = std::env::var_os("PATH") {
            command.env("PATH", path);
        }
        command
    }

    /// Starts the server with `key` and waits until its API answers.
    fn start(&mut self, key: &str, sim: &Simulator) {
        assert!(self.server.is_none(), "the server already runs");
        self.starts += 1;
        let log =
            |name: &str| fs::File::create(self.dir.join(format!("server-{}.{name}", self.starts))).unwrap();
        let started = Instant::now();
        let mut child = self
            .command()
            .args([
                "server",
                "run",
                "--server-config",
                "server.toml",
                "--deployment",
                "deployment.toml",
            ])
            .env("MATCHKRAFT_API_KEY", key)
            .env("MATCHKRAFT_BASE_URL", sim.base_url())
            .stdin(Stdio::null())
            .stdout(log("stdout"))
            .stderr(log("stderr"))
            .spawn()
            .expect("obelisk starts");
        let deadline = started + COMMAND_TIMEOUT;
        while TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).is_err() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("obelisk server exited: {status}\n{}", self.server_log());
            }
            assert!(
                Instant::now() < deadline,
                "obelisk's API did not come up\n{}",
                self.server_log()
            );
            thread::sleep(Duration::from_millis(100));
        }
        eprintln!(
            "obelisk server (pid {}) up on port {} in {:.1} s",
            child.id(),
            self.port,
            started.elapsed().as_secs_f64()
        );
        self.server = Some(child);
    }

    /// Stops the server by its process id: SIGTERM, or SIGKILL with `kill`.
    fn stop(&mut self, signal: &str) {
        let mut child = self.server.take().expect("the server runs");
        let pid = child.id().to_string();
        let status = Command::new("kill")
            .args([signal, &pid])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal} {pid}: {status}");
        let exited = wait_until(&mut child, Duration::from_secs(30));
        eprintln!("obelisk server (pid {pid}) stopped with {signal}: {exited:?}");
        assert!(exited.is_some(), "obelisk did not exit on {signal}");
    }

    /// Everything the server printed, key redacted.
    fn server_log(&self) -> String {
        let mut text = String::new();
        for start in 1..=self.starts {
            for name in ["stdout", "stderr"] {
                let path = self.dir.join(format!("server-{start}.{name}"));
                let content = fs::read_to_string(&path).unwrap_or_default();
                let tail: Vec<&str> = content.lines().rev().take(40).collect();
                text.push_str(&format!("--- {} (last lines)\n", path.display()));
                for line in tail.into_iter().rev() {
                    text.push_str(&redacted(line));
                    text.push('\n');
                }
            }
        }
        text
    }

    /// Runs `obelisk execution <args>` with the API URL, output kept in files.
    fn execution(&self, args: &[&str]) -> CliOutput {
        let n = self.commands.fetch_add(1, Ordering::Relaxed) + 1;
        let stdout_path = self.dir.join(format!("cli-{n}.stdout"));
        let stderr_path = self.dir.join(format!("cli-{n}.stderr"));
        let mut command = self.command();
        command
            .arg("execution")
            .args(&args[..1])
            .args(["--api-url", &self.api_url()])
            .args(&args[1..])
            .stdin(Stdio::null())
            .stdout(fs::File::create(&stdout_path).unwrap())
            .stderr(fs::File::create(&stderr_path).unwrap());
        let shown = format!("obelisk execution {}", args.join(" "));
        let started = Instant::now();
        let mut child = command.spawn().expect("obelisk runs");
        let status = wait_until(&mut child, COMMAND_TIMEOUT);
        let output = CliOutput {
            command: shown,
            execution_id: String::new(),
            status: status.unwrap_or_default(),
            stdout: fs::read_to_string(&stdout_path).unwrap_or_default(),
            stderr: fs::read_to_string(&stderr_path).unwrap_or_default(),
            took: started.elapsed(),
        };
        assert!(
            status.is_some(),
            "timed out after {COMMAND_TIMEOUT:?}\n{output}\n{}",
            self.server_log()
        );
        eprintln!(
            "{} -> {} in {:.1} s",
            output.command,
            output.status,
            output.took.as_secs_f64()
        );
        output
    }

    /// A new execution id from `obelisk generate execution-id`, for a
    /// submission whose result is fetched later.
    fn execution_id(&self) -> String {
        let output = self
            .command()
            .args(["generate", "execution-id"])
            .output()
            .expect("obelisk runs");
        assert!(output.status.success(), "{output:?}");
        let id = String::from_utf8(output.stdout).unwrap().trim().to_string();
        assert!(id.starts_with("E_"), "{id}");
        id
    }

    /// `obelisk execution submit --execution-id ID FUNCTION PARAMS --follow
    /// --json`; the id is in the output, for [`Obelisk::events`].
    fn call(&self, function: &str, params: Value) -> CliOutput {
        let id = self.execution_id();
        let params = params.to_string();
        let mut output = self.execution(&[
            "submit",
            "--execution-id",
            &id,
            function,
            &params,
            "--follow",
            "--no-reconnect",
            "--json",
        ]);
        output.execution_id = id;
        output
    }

    /// The kinds of an execution's events (`locked`, `temporarily_timed_out`,
    /// `history_event`, `finished`, …), from `obelisk execution events --json`.
    fn events(&self, id: &str) -> Vec<String> {
        let output = self.execution(&["events", id, "--json", "--limit", "200"]);
        assert!(output.status.success(), "{output}");
        let events = output.result();
        events["events"]
            .as_array()
            .unwrap_or_else(|| panic!("no events\n{output}"))
            .iter()
            .map(|event| {
                let event = event["event"].as_object().expect("an event object");
                event.keys().next().expect("one kind").clone()
            })
            .collect()
    }

    /// The ids of the child executions of a workflow that called `function`.
    fn children(&self, workflow_id: &str, function: &str) -> Vec<String> {
        let output = self.execution(&[
            "list",
            "--show-derived",
            "--execution-id",
            workflow_id,
            "--limit",
            "100",
            "--json",
        ]);
        assert!(output.status.success(), "{output}");
        let listed = output.result();
        let mut ids: Vec<String> = listed
            .as_array()
            .unwrap_or_else(|| panic!("not a list\n{output}"))
            .iter()
            .filter(|execution| execution["ffqn"] == format!("{API}.{function}"))
            .map(|execution| execution["execution_id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    }

    /// Every file under the folder (and what the server and the commands
    /// printed) that holds the sentinel key.
    fn files_with_key(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, found: &mut Vec<PathBuf>, scanned: &mut usize) {
            for entry in fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, found, scanned);
                } else if let Ok(bytes) = fs::read(&path) {
                    *scanned += 1;
                    if bytes
                        .windows(SENTINEL_KEY.len())
                        .any(|w| w == SENTINEL_KEY.as_bytes())
                    {
                        found.push(path);
                    }
                }
            }
        }
        let mut found = Vec::new();
        let mut scanned = 0;
        walk(&self.dir, &mut found, &mut scanned);
        eprintln!(
            "sentinel key: searched {scanned} files under {}",
            self.dir.display()
        );
        assert!(
            scanned > 5,
            "too few files to search: is the folder the one Obelisk used?"
        );
        assert!(
            self.dir.join("sqlite").is_dir(),
            "no sqlite folder: the database is elsewhere"
        );
        found
    }
}

impl Drop for Obelisk {
    fn drop(&mut self) {
        if let Some(mut child) = self.server.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let keep = std::env::var_os("MATCHKRAFT_OBELISK_KEEP").is_some();
        if thread::panicking() || keep {
            eprintln!("kept {} for inspection", self.dir.display());
        } else {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// A simulator that accepts the sentinel key.
fn simulator(
    pending_for: Duration,
    processing_for: Duration,
) -> (Simulator, matchkraft_simulator::BackgroundRuntime) {
    Simulator::spawn_in_background(SimConfig {
        api_key: SENTINEL_KEY.into(),
        pending_for,
        processing_for,
        ..SimConfig::default()
    })
    .expect("simulator starts")
}

/// How many of `events` are of `kind`.
fn count(events: &[String], kind: &str) -> usize {
    events.iter().filter(|event| *event == kind).count()
}

/// Requests the simulator saw for `path` (without `/api/v2`).
fn requests_to(sim: &Simulator, path: &str) -> usize {
    let path = format!("/api/v2{path}");
    sim.requests()
        .iter()
        .filter(|request| request.path == path)
        .count()
}

/// The three jobs the checks run, as Obelisk JSON, with the expected results.
struct Case {
    job_type: &'static str,
    records: Value,
    expected: Value,
}

fn cases() -> Vec<Case> {
    let emails = ["john@gmail.com", "test@domain.com", "info@acme.com"];
    let validation: Vec<Value> = emails
        .iter()
        .map(|email| {
            let verdict = validate_email(email);
            json!({ "email": email, "status": verdict.status.as_str(), "verified": verdict.verified })
        })
        .collect();
    let sites = ["https://dataprana.io", "https://unknown-site.example"];
    let scans: Vec<Value> = sites
        .iter()
        .map(|site| {
            let scan = scan_domain(site);
            let emails: Vec<&str> = scan.emails.iter().map(|found| found.email.as_str()).collect();
            json!({ "website": site, "emails": emails })
        })
        .collect();
    let found = find_email("Arseniy", "Grusha", "https://dataprana.io");
    vec![
        Case {
            job_type: "email_validation",
            records: json!({ "email_validation": emails }),
            expected: Value::Array(validation),
        },
        Case {
            job_type: "domain_scan",
            records: json!({ "domain_scan": sites }),
            expected: Value::Array(scans),
        },
        Case {
            job_type: "email_finder",
            records: json!({ "email_finder": [
                { "first_name": "Arseniy", "last_name": "Grusha", "website": "https://dataprana.io" }
            ] }),
            expected: json!([{ "email": found.email, "confidence": found.confidence }]),
        },
    ]
}

/// Checks `job_results` (Obelisk's JSON of the WIT `job-results`) against
/// the simulator's verdicts for `case`.
fn assert_results(case: &Case, job_results: &Value) {
    let job = &job_results["job"];
    assert_eq!(job["job_type"], case.job_type, "{job_results:#}");
    assert_eq!(job["status"], "completed", "{job_results:#}");
    let records = job_results["records"][case.job_type]
        .as_array()
        .unwrap_or_else(|| panic!("records.{} is not a list: {job_results:#}", case.job_type));
    let expected = case.expected.as_array().unwrap();
    assert_eq!(records.len(), expected.len(), "{job_results:#}");
    for (record, expected) in records.iter().zip(expected) {
        match case.job_type {
            "email_validation" => {
                assert_eq!(record["email"], expected["email"], "{record:#}");
                assert_eq!(record["verified"], expected["verified"], "{record:#}");
                // WIT `email-status` cases in Obelisk's snake_case
                // (`catch-all` is `catch_all`).
                assert_eq!(record["status"], expected["status"], "{record:#}");
            }
            "domain_scan" => {
                assert_eq!(record["website"], expected["website"], "{record:#}");
                let emails: Vec<&Value> = record["emails"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|found| &found["email"])
                    .collect();
                let expected: Vec<&Value> = expected["emails"].as_array().unwrap().iter().collect();
                assert_eq!(emails, expected, "{record:#}");
            }
            _ => {
                assert_eq!(record["first_name"], "Arseniy", "{record:#}");
                assert_eq!(record["email"], expected["email"], "{record:#}");
                assert_eq!(
                    record["confidence"].as_f64(),
                    expected["confidence"].as_f64(),
                    "{record:#}"
                );
            }
        }
        let raw: Value = serde_json::from_str(record["raw"].as_str().expect("raw is a string")).unwrap();
        assert!(raw.is_object(), "raw keeps the API's record: {record:#}");
    }
}

/// The activities, one Obelisk execution per call: all three job types, an
/// unknown job, transient faults, a stalled API, a wrong key; then the
/// sentinel key in none of Obelisk's files.
#[test]
fn the_component_as_an_obelisk_activity() {
    let Some(binary) = obelisk_binary("the_component_as_an_obelisk_activity") else {
        return;
    };
    let test_started = Instant::now();
    let (sim, _runtime) = simulator(Duration::from_millis(100), Duration::from_millis(400));
    let workflow = workflow_wasm();
    let mut obelisk = Obelisk::prepare(binary, "activity", &sim, &workflow);
    obelisk.start(SENTINEL_KEY, &sim);
    let mut executions = 0;

    // submit -> wait -> results, for every job type.
    let mut job_ids = Vec::new();
    for case in cases() {
        let started = Instant::now();
        let job = obelisk
            .call(
                &format!("{API}.submit"),
                json!([format!("obelisk-{}", case.job_type), case.records]),
            )
            .ok();
        assert_eq!(job["job_type"], case.job_type, "{job:#}");
        assert_eq!(job["status"], "pending", "{job:#}");
        let id = job["id"].as_str().expect("a job id").to_string();
        // The short form of the name works as well as the versioned one.
        let waited = obelisk
            .call(".../api.wait", json!([case.job_type, id, 2_000]))
            .ok();
        assert_results(&case, &waited);
        let results = obelisk
            .call(&format!("{API}.results"), json!([case.job_type, id]))
            .ok();
        assert_results(&case, &results);
        executions += 3;
        eprintln!(
            "{}: submit, wait, results in {:.1} s",
            case.job_type,
            started.elapsed().as_secs_f64()
        );
        job_ids.push(id);
    }
    assert_eq!(sim.job_count(), 3, "one job per submit");

    // What the README warns about: a name without the interface's version,
    // and values in WIT spelling (0.38.3's submit handler panics on them;
    // without --no-reconnect the CLI would retry for ever).
    let unversioned = obelisk.execution(&[
        "submit",
        "matchkraft:client/api.status",
        r#"["email_validation","x"]"#,
        "--follow",
        "--no-reconnect",
        "--json",
    ]);
    assert!(!unversioned.status.success(), "{unversioned}");
    assert!(unversioned.stderr.contains("ffqn not found"), "{unversioned}");
    let kebab = obelisk.execution(&[
        "submit",
        ".../api.status",
        r#"["email-validation","x"]"#,
        "--follow",
        "--no-reconnect",
        "--json",
    ]);
    assert!(!kebab.status.success(), "{kebab}");
    assert!(
        requests_to(&sim, "/email-validation/results/x") == 0,
        "nothing ran"
    );

    // An unknown job: `permanent-not-found`, which Obelisk does not retry.
    let output = obelisk.call(
        &format!("{API}.status"),
        json!(["email_validation", "no-such-job"]),
    );
    let err = output.error();
    assert!(err.get("permanent_not_found").is_some(), "{err:#}");
    assert_eq!(obelisk.events(&output.execution_id), ["locked", "finished"]);
    assert_eq!(
        requests_to(&sim, "/email-validation/results/no-such-job"),
        1,
        "not retried"
    );
    executions += 1;

    // Transient faults heal inside one execution: a 503, then a 429 with
    // Retry-After: 1, then the answer; the component retries them itself.
    let path = format!("/email-validation/results/{}", job_ids[0]);
    let before = requests_to(&sim, &path);
    sim.inject(
        Fault::Status {
            status: 503,
            retry_after: Some("1".into()),
        },
        1,
    );
    sim.inject(
        Fault::Status {
            status: 429,
            retry_after: Some("1".into()),
        },
        1,
    );
    let output = obelisk.call(&format!("{API}.status"), json!(["email_validation", &job_ids[0]]));
    let job = output.ok();
    assert_eq!(job["status"], "completed", "{job:#}");
    assert_eq!(requests_to(&sim, &path) - before, 3, "503, 429, then 200");
    assert!(output.took >= Duration::from_secs(1), "Retry-After was honoured");
    let events = obelisk.events(&output.execution_id);
    assert_eq!(count(&events, "locked"), 1, "one run of the activity: {events:?}");
    assert_eq!(count(&events, "finished"), 1, "{events:?}");
    executions += 1;

    // A stalled API: every attempt outlives the lock, so Obelisk times the
    // run out at the lock expiry and retries it `max_retries` times.
    let path = format!("/domain-scan/results/{}", job_ids[1]);
    let before = requests_to(&sim, &path);
    sim.inject(Fault::SlowFirstByte(Duration::from_secs(600)), MAX_RETRIES + 1);
    let stalled = obelisk.call(&format!("{API}.status"), json!(["domain_scan", &job_ids[1]]));
    let result = stalled.result();
    eprintln!("stalled API: {result} after {:.1} s", stalled.took.as_secs_f64());
    assert_eq!(result["execution_failure"]["kind"], "timed_out", "{stalled}");
    assert_eq!(
        requests_to(&sim, &path) - before,
        MAX_RETRIES + 1,
        "one request per run"
    );
    let runs = (MAX_RETRIES + 1) as u32;
    assert!(stalled.took >= LOCK_EXPIRY * runs, "{stalled}");
    assert!(stalled.took < LOCK_EXPIRY * (runs + 3), "{stalled}");
    let events = obelisk.events(&stalled.execution_id);
    assert_eq!(count(&events, "locked"), MAX_RETRIES + 1, "{events:?}");
    assert_eq!(count(&events, "temporarily_timed_out"), MAX_RETRIES, "{events:?}");
    assert_eq!(events.last().map(String::as_str), Some("finished"), "{events:?}");
    executions += 1;

    obelisk.stop("-TERM");

    // A wrong key: `permanent-unauthorized`, one request, not retried.
    obelisk.start(WRONG_KEY, &sim);
    let unauthorized_before = sim
        .requests()
        .iter()
        .filter(|request| !request.authorized)
        .count();
    let output = obelisk.call(&format!("{API}.status"), json!(["email_finder", &job_ids[2]]));
    let err = output.error();
    assert!(err.get("permanent_unauthorized").is_some(), "{err:#}");
    assert_eq!(obelisk.events(&output.execution_id), ["locked", "finished"]);
    let unauthorized = sim
        .requests()
        .iter()
        .filter(|request| !request.authorized)
        .count();
    assert_eq!(
        unauthorized - unauthorized_before,
        1,
        "exactly one request with the wrong key"
    );
    executions += 1;
    obelisk.stop("-TERM");

    let with_key = obelisk.files_with_key();
    assert!(with_key.is_empty(), "the API key was written to {with_key:?}");
    eprintln!(
        "activity checks: {executions} executions, {} requests at the simulator, {:.1} s in all",
        sim.requests().len(),
        test_started.elapsed().as_secs_f64()
    );
}

/// The workflow: one execution per job type, then crash recovery: the
/// server is killed (SIGKILL) while the workflow waits for its job, started
/// again, and the workflow finishes with the job submitted once.
#[test]
fn a_workflow_chains_the_activities_and_survives_a_crash() {
    let Some(binary) = obelisk_binary("a_workflow_chains_the_activities_and_survives_a_crash") else {
        return;
    };
    let test_started = Instant::now();
    // Jobs that take 5 s. A `wait` of 1 s ends in `wait-timeout`, an `err`
    // that is not `permanent-*`, so Obelisk runs the same wait again, up to
    // `max_retries` times (about 3.3 s in all); then the workflow sees
    // `wait-timeout` and starts a second wait, which sees the job finish.
    let (sim, _runtime) = simulator(Duration::from_millis(500), Duration::from_millis(4_500));
    let workflow = workflow_wasm();
    let mut obelisk = Obelisk::prepare(binary, "workflow", &sim, &workflow);
    obelisk.start(SENTINEL_KEY, &sim);

    for case in cases() {
        let name = format!("workflow-{}", case.job_type);
        let output = obelisk.call(WORKFLOW, json!([name, case.records, 1_000, 10]));
        assert_results(&case, &output.ok());
        let id = &output.execution_id;
        assert_eq!(obelisk.children(id, "submit").len(), 1);
        assert_eq!(obelisk.children(id, "results").len(), 1);
        let waits = obelisk.children(id, "wait");
        let first = obelisk.events(&waits[0]);
        eprintln!("workflow {}: the first wait's events: {first:?}", case.job_type);
        assert_eq!(count(&first, "temporarily_failed"), MAX_RETRIES, "{first:?}");
        assert_eq!(count(&first, "locked"), MAX_RETRIES + 1, "{first:?}");
        let waits = waits.len();
        assert!((2..=10).contains(&waits), "{waits} waits");
        eprintln!(
            "workflow {}: {:.1} s, {waits} waits",
            case.job_type,
            output.took.as_secs_f64()
        );
    }
    let jobs = sim.jobs_by_name();
    for case in cases() {
        assert_eq!(
            jobs.get(&format!("workflow-{}", case.job_type)),
            Some(&1),
            "{jobs:?}"
        );
    }
    let polls = sim
        .requests()
        .iter()
        .filter(|request| request.method == "GET")
        .count();
    eprintln!(
        "workflows: {} requests at the simulator, {polls} of them GETs",
        sim.requests().len()
    );

    // Crash recovery.
    let case = &cases()[0];
    let name = "workflow-crash";
    let id = obelisk.execution_id();
    let submitted = obelisk.execution(&[
        "submit",
        "--execution-id",
        &id,
        WORKFLOW,
        &json!([name, case.records, 1_000, 10]).to_string(),
    ]);
    assert!(submitted.status.success(), "{submitted}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !sim.jobs_by_name().contains_key(name) {
        assert!(Instant::now() < deadline, "the workflow never submitted its job");
        thread::sleep(Duration::from_millis(20));
    }
    // The job exists and runs for about 4 s; the workflow is in its first wait.
    thread::sleep(Duration::from_millis(500));
    obelisk.stop("-KILL");
    let killed_at = Instant::now();
    obelisk.start(SENTINEL_KEY, &sim);
    let output = obelisk.execution(&["result", &id, "--follow", "--no-reconnect", "--json"]);
    assert_results(case, &output.ok());
    eprintln!(
        "crash recovery: finished {:.1} s after the SIGKILL",
        killed_at.elapsed().as_secs_f64()
    );
    assert_eq!(
        sim.jobs_by_name().get(name),
        Some(&1),
        "the job was submitted once"
    );
    let submits = obelisk.children(&id, "submit");
    assert_eq!(submits.len(), 1);
    assert_eq!(
        obelisk.events(&submits[0]),
        ["locked", "finished"],
        "submit ran once"
    );
    // The wait that the SIGKILL interrupted: its lock expired, Obelisk
    // counted that run as timed out, and ran it again.
    let waits = obelisk.children(&id, "wait");
    let interrupted = obelisk.events(waits.first().expect("a wait"));
    eprintln!(
        "crash recovery: {} wait(s); the first one's events: {interrupted:?}",
        waits.len()
    );
    assert_eq!(count(&interrupted, "temporarily_timed_out"), 1, "{interrupted:?}");
    assert_eq!(interrupted.last().map(String::as_str), Some("finished"));
    obelisk.stop("-TERM");

    let with_key = obelisk.files_with_key();
    assert!(with_key.is_empty(), "the API key was written to {with_key:?}");
    eprintln!(
        "workflow checks: {} requests at the simulator, {:.1} s in all",
        sim.requests().len(),
        test_started.elapsed().as_secs_f64()
    );
}
