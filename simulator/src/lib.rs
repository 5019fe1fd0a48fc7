//! A local HTTP/1.1 server that behaves like the MatchKraft API.
//!
//! It exists for two callers: the end-to-end tests of the WebAssembly client
//! component, which need a real server whose answers they can predict and
//! whose failures they can script; and the CLI, which falls back to it when
//! no API key is given so the tool can be tried offline.
//!
//! It listens on `127.0.0.1` on a port the OS picks, accepts one API key
//! (`sim-key` by default) in the `apikey` header, and serves the three job
//! endpoints under `/api/v2`:
//!
//! - `POST /api/v2/{domain-scan|email-validation|email-finder}` submits a job
//!   (`{"jobName": …, "records": […]}`) and answers `200` with its `jobId`;
//! - `GET /api/v2/{type}/results/{jobId}` shows the job: `PENDING`, then
//!   `PROCESSING`, then `COMPLETED` with one result per record (or `FAILED`
//!   when the job name starts with `FAIL`), driven by [`SimConfig`] times.
//!
//! Errors are JSON `{"message": …}`: 401 for a missing or wrong key (checked
//! before anything else), 400 for a bad submit body, 404 for an unknown job,
//! a job asked for under another type or an unknown path, 405 for a wrong
//! method, 413 for a body over [`MAX_REQUEST_BODY_BYTES`].
//!
//! Where to look next:
//!
//! - [`verdicts`]: the deterministic result for every record, as tables and
//!   as public functions a test can call to compute expected values;
//! - `jobs`: what a submission must look like and how a job ages;
//! - `routes`: which request gets which answer (auth, 400/404/405/413);
//! - [`faults`]: the scripted failures ([`Fault`]) and what each one does;
//! - `server`, `reply`, `state`: the plumbing.
//!
//! # Example
//!
//! ```
//! use matchkraft_simulator::{Fault, SimConfig, Simulator};
//!
//! // From synchronous code; in async code use `Simulator::start(..).await`.
//! let (sim, _runtime) = Simulator::spawn_in_background(SimConfig::default())?;
//! assert!(sim.base_url().starts_with("http://127.0.0.1:"));
//!
//! // The next request will get a 503 with `Retry-After: 1`.
//! sim.inject(Fault::Status { status: 503, retry_after: Some("1".into()) }, 1);
//! // ... point the client under test at `sim.base_url()` with `apikey: sim-key` ...
//! assert_eq!(sim.job_count(), 0);
//! # Ok::<(), std::io::Error>(())
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod faults;
mod jobs;
mod reply;
mod routes;
mod server;
mod state;
pub mod verdicts;

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::runtime::{Handle, Runtime};
use tokio::task::AbortHandle;

pub use faults::Fault;
pub use verdicts::{
    DomainScan, EmailStatus, EmailValidation, FoundEmail, find_email, host_of, scan_domain, validate_email,
};

use state::Shared;

/// The largest request body accepted; a larger one is answered `413`.
pub const MAX_REQUEST_BODY_BYTES: usize = 256 * 1024 * 1024;

/// How a simulator behaves. Start from [`SimConfig::default`] and change
/// what a test needs, e.g. shorter durations for a fast test.
#[derive(Clone)]
pub struct SimConfig {
    /// The only API key accepted in the `apikey` header. Default `"sim-key"`.
    pub api_key: String,
    /// How long a new job stays `PENDING`. Default 50 ms.
    pub pending_for: Duration,
    /// How long it is then `PROCESSING` before it finishes. Default 200 ms.
    pub processing_for: Duration,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            api_key: "sim-key".to_owned(),
            pending_for: Duration::from_millis(50),
            processing_for: Duration::from_millis(200),
        }
    }
}

/// Leaves the key out, so that logging a config never prints a key.
impl fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimConfig")
            .field("api_key", &"<redacted>")
            .field("pending_for", &self.pending_for)
            .field("processing_for", &self.processing_for)
            .finish()
    }
}

/// One request as the simulator received it, for tests to assert on
/// (e.g. "exactly two attempts, with byte-identical bodies").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The method, e.g. `"POST"`.
    pub method: String,
    /// The path without the query, e.g. `"/api/v2/email-finder"`.
    pub path: String,
    /// Whether the `apikey` header held the configured key. The key itself
    /// is never stored.
    pub authorized: bool,
    /// The `Content-Length` header, if present and a number.
    pub content_length: Option<u64>,
    /// Whether the body came with `Transfer-Encoding: chunked`.
    pub chunked: bool,
    /// The `Content-Type` header, if present.
    pub content_type: Option<String>,
    /// The whole body (empty if it was over the size limit or the client
    /// went away mid-body).
    pub body: Bytes,
}

/// A running simulator. Dropping it shuts the server down.
pub struct Simulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: AbortHandle,
}

impl Simulator {
    /// Binds `127.0.0.1:0` and serves on the current tokio runtime, in
    /// spawned tasks; the simulator runs while that runtime does.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub async fn start(config: SimConfig) -> std::io::Result<Simulator> {
        Simulator::start_on(config, &Handle::current())
    }

    /// Starts a simulator on a runtime of its own, for synchronous callers
    /// such as a CLI's `main` or a plain `#[test]`.
    ///
    /// The runtime has one worker thread, which runs the server while the
    /// returned [`BackgroundRuntime`] is alive; drop the `Simulator` or the
    /// runtime to stop it. Works from any thread, inside an async context
    /// or not.
    pub fn spawn_in_background(config: SimConfig) -> std::io::Result<(Simulator, BackgroundRuntime)> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("matchkraft-simulator")
            .enable_all()
            .build()?;
        let simulator = Simulator::start_on(config, runtime.handle())?;
        Ok((
            simulator,
            BackgroundRuntime {
                runtime: Some(runtime),
            },
        ))
    }

    /// Binds synchronously (instant on loopback) so that starting needs no
    /// `.await` and works the same from both entry points.
    fn start_on(config: SimConfig, runtime: &Handle) -> std::io::Result<Simulator> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let listener = {
            let _entered = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        let shared = Arc::new(Shared::new(config, u64::from(addr.port())));
        let server = runtime
            .spawn(server::run(listener, Arc::clone(&shared)))
            .abort_handle();
        Ok(Simulator { addr, shared, server })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API base URL, `http://127.0.0.1:PORT/api/v2`, without a trailing
    /// slash.
    pub fn base_url(&self) -> String {
        format!("http://{}/api/v2", self.addr)
    }

    /// The configuration the simulator runs with (e.g. to print the key).
    pub fn config(&self) -> &SimConfig {
        &self.shared.config
    }

    /// Every request received so far, in the order their bodies finished
    /// arriving, faulted ones included.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests()
    }

    /// How many jobs have been created so far.
    pub fn job_count(&self) -> usize {
        self.shared.job_count()
    }

    /// Queues `fault` for the next `times` requests, on any route, after the
    /// faults already queued. See [`Fault`] for what each one does.
    ///
    /// # Panics
    ///
    /// If the fault cannot be sent at all: a [`Fault::Status`] outside
    /// 200..=599 or with a `retry_after` that is not a valid header value.
    pub fn inject(&self, fault: Fault, times: usize) {
        fault.check();
        self.shared.inject(fault, times);
    }

    /// Stops accepting connections and ends the server task, closing every
    /// open connection (stalled ones included). Takes effect as soon as the
    /// runtime next runs the task; calling it twice is harmless.
    pub fn shutdown(&self) {
        self.server.abort();
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl fmt::Debug for Simulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulator")
            .field("addr", &self.addr)
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

/// The runtime behind [`Simulator::spawn_in_background`]. Keep it alive as
/// long as the simulator should serve.
#[derive(Debug)]
pub struct BackgroundRuntime {
    runtime: Option<Runtime>,
}

impl BackgroundRuntime {
    /// A handle to the runtime, e.g. to run other async work on it.
    pub fn handle(&self) -> &Handle {
        self.runtime.as_ref().expect("present until dropped").handle()
    }
}

/// Shuts the runtime down without waiting for its tasks, which also makes
/// dropping it safe inside an async context (a plain `Runtime` panics there).
impl Drop for BackgroundRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
