//! Helpers shared by the command's tests: temporary folders, the
//! `matchkraft` binary with a clean environment, waiting for a condition.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use matchkraft_simulator::{BackgroundRuntime, SimConfig, Simulator};

/// A temporary folder (removed when dropped) with a ledger path inside.
pub struct TempDir(tempfile::TempDir);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        let prefix = format!("matchkraft-{label}-");
        TempDir(tempfile::TempDir::with_prefix(prefix).expect("a temporary folder"))
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }

    /// A ledger path inside the folder.
    pub fn ledger(&self) -> PathBuf {
        self.0.path().join("ledger.sqlite3")
    }
}

/// A simulator in the background, and a ledger folder: what most tests of
/// a command against a given API need.
pub struct Setup {
    pub sim: Simulator,
    pub runtime: BackgroundRuntime,
    pub dir: TempDir,
}

impl Setup {
    pub fn new(label: &str, config: SimConfig) -> Setup {
        let (sim, runtime) = Simulator::spawn_in_background(config).unwrap();
        Setup {
            sim,
            runtime,
            dir: TempDir::new(label),
        }
    }

    /// `matchkraft ARGS` against this simulator and ledger, the key from the
    /// environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = matchkraft();
        command
            .args(args)
            .args(["--ledger", self.dir.ledger().to_str().unwrap()])
            .args(["--base-url", &self.sim.base_url()])
            .env("MATCHKRAFT_API_KEY", &self.sim.config().api_key);
        command
    }

    /// `matchkraft submit ARGS`, which must succeed: the job id.
    pub fn submit(&self, args: &[&str]) -> String {
        let output = self.command(&[&["submit"], args].concat()).output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_string()
    }
}

/// `matchkraft` with no key, base URL or ledger inherited from whoever runs
/// the tests.
pub fn matchkraft() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_matchkraft"));
    command
        .env_remove("MATCHKRAFT_API_KEY")
        .env_remove("MATCHKRAFT_BASE_URL")
        .env_remove("MATCHKRAFT_LEDGER")
        .env("NO_COLOR", "1")
        // The compiled component goes to a cache of the tests', not the user's.
        .env(
            "XDG_CACHE_HOME",
            std::env::temp_dir().join("matchkraft-test-cache"),
        );
    command
}

/// A port that was free a moment ago (for a child process to bind).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes.
pub fn wait_until(timeout: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether `needle` occurs anywhere in the bytes of the ledger's files (the
/// database, its WAL and shared memory).
pub fn ledger_files_contain(ledger: &Path, needle: &str) -> bool {
    let mut files = vec![ledger.to_path_buf()];
    for suffix in ["-wal", "-shm"] {
        let mut name = ledger.as_os_str().to_owned();
        name.push(suffix);
        files.push(PathBuf::from(name));
    }
    files.iter().any(|file| {
        std::fs::read(file).is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
    })
}
