//! What every Temporal test needs: a dev server (the Temporal CLI that
//! `hosts/setup.sh` installs), the simulator, worker processes, a client.
//!
//! The dev server is started once per test binary, on free loopback ports
//! with a throwaway database, and stopped when the test binary exits: it
//! runs under a small shell that kills it when its stdin (a pipe from this
//! process) closes. Workers are this package's own binary, started per test
//! with a task queue of their own and killed when the test ends.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use matchkraft_simulator::{BackgroundRuntime, SimConfig, Simulator};
use serde_json::Value;
use temporalio_client::{Client, ClientOptions, Connection, ConnectionOptions, Url};
use temporalio_common::{HasWorkflowDefinition, SignalDefinition, WorkflowDefinition};

/// The Temporal CLI as `hosts/setup.sh` installs it.
pub fn temporal_cli() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/temporal")
}

/// The Python that has `temporalio` (the same virtual environment).
pub fn python() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python")
}

/// A running dev server.
pub struct DevServer {
    pub address: String,
    _watchdog: Mutex<(Child, ChildStdin)>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The shared dev server, or `None` (after saying SKIPPED) when the
/// Temporal CLI is not installed.
pub fn dev_server(test: &str) -> Option<&'static DevServer> {
    static SERVER: OnceLock<Option<DevServer>> = OnceLock::new();
    let server = SERVER.get_or_init(|| {
        let cli = temporal_cli();
        if !cli.exists() {
            return None;
        }
        Some(start_dev_server(&cli))
    });
    if server.is_none() {
        eprintln!(
            "SKIPPED {test}: the Temporal CLI is not installed at {} (run hosts/setup.sh)",
            temporal_cli().display()
        );
    }
    server.as_ref()
}

fn start_dev_server(cli: &Path) -> DevServer {
    let dir = tempdir("temporal-dev");
    let (port, http_port, metrics_port) = (free_port(), free_port(), free_port());
    let address = format!("127.0.0.1:{port}");
    let mut watchdog = Command::new("sh")
        .arg("-c")
        .arg(r#""$@" >"$LOG" 2>&1 </dev/null & pid=$!; cat >/dev/null; kill $pid; wait $pid"#)
        .arg("sh")
        .arg(cli)
        .args([
            "server",
            "start-dev",
            "--headless",
            "--ip",
            "127.0.0.1",
            "--log-level",
            "warn",
        ])
        .args(["--port", &port.to_string()])
        .args(["--http-port", &http_port.to_string()])
        .args(["--metrics-port", &metrics_port.to_string()])
        .arg("--db-filename")
        .arg(dir.join("temporal.sqlite"))
        .env("LOG", dir.join("server.log"))
        .stdin(Stdio::piped())
        .spawn()
        .expect("the Temporal CLI starts");
    let stdin = watchdog.stdin.take().unwrap();
    let started = Instant::now();
    loop {
        let health = Command::new(cli)
            .args(["operator", "cluster", "health", "--address", &address])
            .output()
            .unwrap();
        if health.status.success() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the dev server did not come up in 90 s: {}",
            std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    eprintln!(
        "dev server at {address} after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    DevServer {
        address,
        _watchdog: Mutex::new((watchdog, stdin)),
    }
}

/// A fresh folder under the target directory's temporary folder.
pub fn tempdir(what: &str) -> PathBuf {
    static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{what}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A unique name for a task queue or a workflow id.
pub fn unique(what: &str) -> String {
    static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{what}-{}-{n}-{nanos:x}", std::process::id())
}

/// A simulator on a runtime of its own.
pub struct Sim {
    pub sim: Simulator,
    _runtime: BackgroundRuntime,
}

impl Sim {
    pub fn start(config: SimConfig) -> Sim {
        let (sim, runtime) = Simulator::spawn_in_background(config).expect("simulator starts");
        Sim {
            sim,
            _runtime: runtime,
        }
    }

    /// POSTs received (submissions, whatever their answer).
    pub fn posts(&self) -> usize {
        self.sim.requests().iter().filter(|r| r.method == "POST").count()
    }
}

/// A worker process, killed when dropped.
pub struct Worker {
    child: Child,
    pub log: Arc<Mutex<String>>,
}

impl Worker {
    /// Starts `matchkraft-temporal` on `task_queue` against `base_url` with
    /// `api_key` (through `MATCHKRAFT_API_KEY`), and waits until it serves.
    pub fn start(
        server: &DevServer,
        task_queue: &str,
        base_url: &str,
        api_key: &str,
        extra: &[&str],
    ) -> Worker {
        let mut child = Command::new(env!("CARGO_BIN_EXE_matchkraft-temporal"))
            .args([
                "--address",
                &server.address,
                "--task-queue",
                task_queue,
                "--base-url",
                base_url,
            ])
            .args(extra)
            .env("MATCHKRAFT_API_KEY", api_key)
            .env(
                "XDG_CACHE_HOME",
                Path::new(env!("CARGO_TARGET_TMPDIR")).join("xdg-cache"),
            )
            .env_remove("TEMPORAL_ADDRESS")
            .env_remove("TEMPORAL_API_KEY")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the worker starts");
        let log = Arc::new(Mutex::new(String::new()));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if line.contains("serving task queue") {
                    let _ = ready_tx.send(());
                }
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        if ready_rx.recv_timeout(Duration::from_secs(120)).is_err() {
            let _ = child.kill();
            panic!("the worker did not start: {}", log.lock().unwrap());
        }
        Worker { child, log }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: the worker gets no chance to finish anything.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `matchkraft.enrich`, by name, with JSON in and out.
pub struct Enrich;

impl WorkflowDefinition for Enrich {
    type Input = Value;
    type Output = Value;
    fn name(&self) -> &str {
        "matchkraft.enrich"
    }
}

impl HasWorkflowDefinition for Enrich {
    type Run = Enrich;
}

/// The `job-completed` signal.
pub struct JobCompleted;

impl SignalDefinition for JobCompleted {
    type Workflow = Enrich;
    type Input = Value;
    fn name(&self) -> &str {
        "job-completed"
    }
}

/// A client of the dev server's `default` namespace.
pub async fn client(server: &DevServer) -> Client {
    let url = Url::parse(&format!("http://{}", server.address)).unwrap();
    let connection = Connection::connect(ConnectionOptions::new(url).build())
        .await
        .unwrap();
    Client::new(connection, ClientOptions::new("default").build()).unwrap()
}

/// Runs the Temporal CLI against the server; its stdout, or a panic with
/// its stderr.
pub fn cli(server: &DevServer, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(temporal_cli())
        .args(args)
        .args(["--address", &server.address])
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A workflow's whole history as JSON text (`temporal workflow show`).
pub fn history(server: &DevServer, workflow_id: &str) -> String {
    let (ok, stdout, stderr) = cli(
        server,
        &[
            "workflow",
            "show",
            "--workflow-id",
            workflow_id,
            "--output",
            "json",
        ],
    );
    assert!(ok, "temporal workflow show: {stderr}");
    stdout
}

/// The history's events.
pub fn events(history: &str) -> Vec<Value> {
    let value: Value = serde_json::from_str(history).expect("history is JSON");
    value["events"].as_array().cloned().unwrap_or_default()
}

/// Polls `condition` every 100 ms for up to `limit`.
pub fn eventually(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    condition()
}

/// Writes nothing to stdout: a helper for tests that print progress.
pub fn note(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// The history with every payload's base64 `data` decoded and appended, so
/// that a search for a secret finds it whether the CLI printed it as JSON
/// or as base64.
pub fn history_text(history: &str) -> String {
    use base64::Engine as _;
    let mut text = history.to_string();
    fn walk(value: &Value, out: &mut String) {
        match value {
            Value::Object(map) => {
                for (key, value) in map {
                    if key == "data"
                        && let Some(data) = value.as_str()
                        && let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(data)
                    {
                        out.push('\n');
                        out.push_str(&String::from_utf8_lossy(&bytes));
                    }
                    walk(value, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    if let Ok(value) = serde_json::from_str::<Value>(history) {
        walk(&value, &mut text);
    }
    text
}
