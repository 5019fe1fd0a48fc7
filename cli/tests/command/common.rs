//! Helpers shared by the command's tests (CLI, terminal, ledger, webhooks):
//! temporary folders, the `matchkraft` binary with a clean environment, and a
//! bare HTTP POST.

#![allow(dead_code)] // each test file uses its own share of these

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use matchkraft_simulator::RecordedRequest;

/// A folder removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "matchkraft-{label}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("a temporary folder");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A ledger path inside the folder.
    pub fn ledger(&self) -> PathBuf {
        self.0.join("ledger.sqlite3")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
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

/// The results GETs the simulator received, per job id.
pub fn results_gets(requests: &[RecordedRequest]) -> std::collections::HashMap<String, usize> {
    let mut gets = std::collections::HashMap::new();
    for request in requests {
        if request.method == "GET"
            && let Some((_, id)) = request.path.split_once("/results/")
        {
            *gets.entry(id.to_string()).or_default() += 1;
        }
    }
    gets
}

/// POSTs `body` to `addr` over HTTP/1.1 and returns the status code and the
/// body of the answer.
pub fn post(addr: SocketAddr, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("the receiver accepts");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        stream,
        "POST /hooks HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
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
