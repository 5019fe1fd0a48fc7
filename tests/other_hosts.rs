//! The same `.wasm` in hosts other than this workspace's wasmtime embedding:
//! Node.js through jco, Python through wasmtime-py, and the wasmtime CLI.
//!
//! Each test starts the simulator on 127.0.0.1, runs that host's own test
//! script from `hosts/` as a child process (with a timeout) with
//! `MATCHKRAFT_BASE_URL`, `MATCHKRAFT_API_KEY` and the component's path in its
//! environment, and checks the exit status, the output, and that the jobs
//! reached the simulator. The hosts' tools are installed by `hosts/setup.sh`;
//! without them these tests fail, unless `MATCHKRAFT_SKIP_OTHER_HOSTS=1` is
//! set, in which case a missing host is reported and its test returns.

#![cfg(unix)]

use matchkraft_simulator::{BackgroundRuntime, SimConfig, Simulator};
use std::collections::HashMap;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Far above what a host takes here (about 3 to 15 s each on two busy cores),
/// so that only a hung host trips it.
const HOST_TIMEOUT: Duration = Duration::from_secs(300);

fn hosts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("hosts")
}

/// Whether `tool` (a file `hosts/setup.sh` installs) is there. Fails the test
/// when it is not, unless `MATCHKRAFT_SKIP_OTHER_HOSTS=1`.
fn installed(host: &str, tool: &Path) -> bool {
    if tool.exists() {
        return true;
    }
    let skip = std::env::var("MATCHKRAFT_SKIP_OTHER_HOSTS").is_ok_and(|v| v == "1");
    assert!(
        skip,
        "{host}: {} is missing: run hosts/setup.sh (or set MATCHKRAFT_SKIP_OTHER_HOSTS=1 to skip)",
        tool.display()
    );
    eprintln!(
        "notice: skipping the {host} host test: {} is missing and MATCHKRAFT_SKIP_OTHER_HOSTS=1",
        tool.display()
    );
    false
}

/// A simulator on a runtime of its own, for a plain `#[test]`.
struct Sim {
    sim: Simulator,
    _runtime: BackgroundRuntime,
}

impl Sim {
    fn start() -> Sim {
        let (sim, runtime) = Simulator::spawn_in_background(SimConfig::default()).expect("simulator starts");
        Sim {
            sim,
            _runtime: runtime,
        }
    }

    /// A command with only what a host needs in its environment: no key or
    /// proxy setting of the developer's leaks into it.
    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command.env_clear();
        for name in ["PATH", "HOME", "TMPDIR"] {
            if let Some(value) = std::env::var_os(name) {
                command.env(name, value);
            }
        }
        command
            .env("MATCHKRAFT_BASE_URL", self.sim.base_url())
            .env("MATCHKRAFT_API_KEY", &self.sim.config().api_key)
            .env("MATCHKRAFT_COMPONENT", matchkraft_artifacts::COMPONENT_PATH);
        command
    }

    /// Jobs created per job name: the hosts' jobs must have reached this
    /// simulator, and the rejected submissions must not have created any.
    fn assert_jobs(&self, created: &[&str], not_created: &[&str]) {
        let jobs: HashMap<String, usize> = self.sim.jobs_by_name();
        for name in created {
            assert_eq!(jobs.get(*name), Some(&1), "job {name:?}; all jobs: {jobs:?}");
        }
        for name in not_created {
            assert!(
                !jobs.contains_key(*name),
                "job {name:?} was created; all jobs: {jobs:?}"
            );
        }
        assert!(
            self.sim.requests().iter().any(|request| !request.authorized),
            "the wrong key never reached the simulator"
        );
    }
}

struct Output {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Output {
    fn assert_success(&self, what: &str) {
        assert!(self.status.success(), "{what} failed: {}\n{self}", self.status);
    }

    fn assert_contains(&self, what: &str, text: &str) {
        assert!(
            self.stdout.contains(text) || self.stderr.contains(text),
            "{what}: the output lacks {text:?}\n{self}"
        );
    }
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "--- stdout\n{}--- stderr\n{}---", self.stdout, self.stderr)
    }
}

/// Runs `command` to completion, or kills its process group after `timeout`
/// (node and the CLI wrapper start processes of their own).
fn run(what: &str, mut command: Command, timeout: Duration) -> Output {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let started = Instant::now();
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: cannot start {command:?}: {e}"));
    let drain = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the host") {
            break status;
        }
        if started.elapsed() > timeout {
            // The group this test started, by its id.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            panic!("{what} did not finish within {timeout:?}; killed it");
        }
        thread::sleep(Duration::from_millis(20));
    };
    let output = Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    eprintln!("{what}: {:.1} s", started.elapsed().as_secs_f64());
    output
}

/// Removes a directory when dropped.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Node.js 20 + jco: `hosts/node/transpile.mjs`, then `hosts/node/test/component.test.mjs`.
#[test]
fn node_jco() {
    let node_dir = hosts_dir().join("node");
    if !installed("node (jco)", &node_dir.join("node_modules/.bin/jco")) {
        return;
    }
    let sim = Sim::start();
    // A folder of this process's own, under hosts/node so that the transpiled
    // module resolves @bytecodealliance/preview2-shim from node_modules.
    let out = node_dir.join(".jco").join(format!("test-{}", std::process::id()));
    let _cleanup = RemoveOnDrop(out.clone());

    let mut transpile = sim.command("node");
    transpile
        .current_dir(&node_dir)
        .arg("transpile.mjs")
        .env("MATCHKRAFT_JCO_OUT", &out);
    run("jco transpile", transpile, HOST_TIMEOUT).assert_success("jco transpile");

    let mut test = sim.command("node");
    test.current_dir(&node_dir)
        .arg("test/component.test.mjs")
        .env("MATCHKRAFT_JCO_OUT", &out);
    let output = run("node test", test, HOST_TIMEOUT);
    output.assert_success("node test/component.test.mjs");
    output.assert_contains("node", "node: john@gmail.com -> valid");
    output.assert_contains("node", "# fail 0");
    assert!(
        output.stdout.lines().any(|line| line
            .strip_prefix("# pass ")
            .and_then(|n| n.trim().parse::<u32>().ok())
            .is_some_and(|n| n >= 6)),
        "node: fewer tests passed than the file has\n{output}"
    );
    sim.assert_jobs(
        &["node-jco", "node-jco-finder"],
        &["node-jco-bad-key", "node-jco-invalid"],
    );
}

/// Python + wasmtime-py 50: `hosts/python/test_component.py`.
#[test]
fn python_wasmtime_py() {
    let python = hosts_dir().join(".venv/bin/python");
    if !installed("python (wasmtime-py)", &python) {
        return;
    }
    let sim = Sim::start();
    let mut test = sim.command(&python);
    test.current_dir(hosts_dir().join("python"))
        .arg("test_component.py")
        // Keep the checkout free of __pycache__ folders.
        .env("PYTHONDONTWRITEBYTECODE", "1");
    let output = run("python test", test, HOST_TIMEOUT);
    output.assert_success("python test_component.py");
    output.assert_contains("python", "python: john@gmail.com -> valid");
    output.assert_contains("python", "\nOK");
    sim.assert_jobs(
        &["python-wasmtime", "python-wasmtime-finder"],
        &["python-bad-key", "python-invalid"],
    );
}

/// The wasmtime CLI 48.0.2 (`wasmtime run -S http --invoke ...`): `hosts/wasmtime-cli/run.sh`.
#[test]
fn wasmtime_cli() {
    let wasmtime = hosts_dir().join(".venv/bin/wasmtime");
    if !installed("wasmtime CLI", &wasmtime) {
        return;
    }
    let sim = Sim::start();
    let mut test = sim.command("bash");
    test.arg(hosts_dir().join("wasmtime-cli/run.sh"))
        .arg(matchkraft_artifacts::COMPONENT_PATH)
        .env("WASMTIME", &wasmtime);
    let output = run("wasmtime CLI", test, HOST_TIMEOUT);
    output.assert_success("hosts/wasmtime-cli/run.sh");
    output.assert_contains("wasmtime CLI", "wasmtime-cli: john@gmail.com -> valid");
    output.assert_contains("wasmtime CLI", " passed, 0 failed");
    sim.assert_jobs(
        &["wasmtime-cli"],
        &["wasmtime-cli-bad-key", "wasmtime-cli-invalid"],
    );
}
