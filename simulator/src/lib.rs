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
//! Beyond the API itself it can misbehave on purpose: scripted faults
//! ([`Simulator::inject`]), faults at random for soak tests
//! ([`SimConfig::random_faults`]), and webhooks delivered late, out of order,
//! more than once or to a receiver that is down ([`SimConfig::webhook`]).
//! [`Simulator::stats`] counts what happened.
//!
//! Where to look next:
//!
//! - [`verdicts`]: the deterministic result for every record, as tables and
//!   as public functions a test can call to compute expected values;
//! - `jobs`: what a submission must look like and how a job ages;
//! - `routes`: which request gets which answer (auth, 400/404/405/413);
//! - [`faults`]: the scripted failures ([`Fault`]) and what each one does,
//!   and the random ones ([`RandomFaults`]);
//! - [`webhooks`]: when and how job webhooks are delivered;
//! - `server`, `reply`, `state`, `rng`: the plumbing.
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
//!
//! A soak-test setup: a fault on about one request in ten, and webhooks
//! delivered one to five times each, in a shuffled order.
//!
//! ```
//! use std::time::Duration;
//! use matchkraft_simulator::{Fault, RandomFaults, SimConfig, Simulator, WebhookConfig};
//!
//! let receiver = "http://127.0.0.1:9/hooks"; // a receiver the test runs
//! let config = SimConfig {
//!     random_faults: Some(RandomFaults {
//!         rate: 0.1,
//!         seed: 42,
//!         kinds: vec![Fault::ResetAfterCommit, Fault::TruncatedJson, Fault::HtmlWith200],
//!     }),
//!     webhook: Some(WebhookConfig {
//!         deliveries: (1, 5),
//!         jitter: Duration::from_millis(100),
//!         ..WebhookConfig::new(receiver)
//!     }),
//!     ..SimConfig::default()
//! };
//! let (sim, _runtime) = Simulator::spawn_in_background(config)?;
//! // ... run the client under test, then:
//! let stats = sim.stats();
//! assert!(stats.duplicate_job_names().is_empty(), "no job submitted twice");
//! # Ok::<(), std::io::Error>(())
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod faults;
mod jobs;
mod reply;
mod rng;
mod routes;
mod server;
mod state;
pub mod verdicts;
pub mod webhooks;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::runtime::{Handle, Runtime};
use tokio::task::AbortHandle;

pub use faults::{Fault, RandomFaults};
pub use verdicts::{
    DomainScan, EmailStatus, EmailValidation, FoundEmail, find_email, host_of, scan_domain, validate_email,
};
pub use webhooks::{WebhookConfig, WebhookDelivery};

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
    /// Faults for a share of all requests, drawn from a seed; scripted
    /// faults ([`Simulator::inject`]) take precedence. Default none.
    pub random_faults: Option<RandomFaults>,
    /// Where to POST a webhook when a job finishes, and how unreliably;
    /// [`Simulator::set_webhook`] changes it at run time. Default none.
    pub webhook: Option<WebhookConfig>,
}

impl SimConfig {
    /// Why this configuration cannot be used, if it cannot (see
    /// [`RandomFaults::validate`] and [`WebhookConfig::validate`]).
    pub fn validate(&self) -> Result<(), String> {
        if let Some(random_faults) = &self.random_faults {
            random_faults.validate()?;
        }
        if let Some(webhook) = &self.webhook {
            webhook.validate()?;
        }
        Ok(())
    }
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            api_key: "sim-key".to_owned(),
            pending_for: Duration::from_millis(50),
            processing_for: Duration::from_millis(200),
            random_faults: None,
            webhook: None,
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
            .field("random_faults", &self.random_faults)
            .field("webhook", &self.webhook)
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
    /// The fault the request got, scripted or random, by
    /// [`Fault::kind_name`] (e.g. `"StallBody"`); `None` for a normal answer.
    pub fault: Option<String>,
}

/// Counts of what a simulator has done so far, from [`Simulator::stats`]:
/// what a soak test checks at the end (e.g. "no job name was submitted
/// twice", "about 10% of requests were faulted").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Requests received, faulted ones included (the length of
    /// [`Simulator::requests`]).
    pub requests: usize,
    /// Requests that got a fault, scripted or random.
    pub faults: usize,
    /// Requests that got a fault queued with [`Simulator::inject`].
    pub scripted_faults: usize,
    /// Requests that got a fault from [`SimConfig::random_faults`].
    pub random_faults: usize,
    /// Faults applied, scripted and random, by [`Fault::kind_name`].
    pub faults_by_kind: BTreeMap<String, usize>,
    /// Jobs created (the same as [`Simulator::job_count`]).
    pub jobs_created: usize,
    /// Jobs created per `jobName`: a count above 1 means a name was
    /// submitted more than once.
    pub jobs_by_name: HashMap<String, usize>,
    /// Webhook delivery attempts made, retries included.
    pub webhook_attempts: usize,
    /// Webhook delivery attempts the receiver answered with 2xx.
    pub webhook_successes: usize,
}

impl Stats {
    /// The job names submitted more than once, with how many jobs each
    /// created: a client that gives its jobs unique names submitted these
    /// twice.
    pub fn duplicate_job_names(&self) -> BTreeMap<String, usize> {
        self.jobs_by_name
            .iter()
            .filter(|&(_, &count)| count > 1)
            .map(|(name, &count)| (name.clone(), count))
            .collect()
    }
}

/// A running simulator. Dropping it shuts the server down.
pub struct Simulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: AbortHandle,
    webhooks: AbortHandle,
}

impl Simulator {
    /// Binds `127.0.0.1:0` and serves on the current tokio runtime, in
    /// spawned tasks; the simulator runs while that runtime does.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a configuration that fails
    /// [`SimConfig::validate`]; otherwise whatever binding the port returns.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub async fn start(config: SimConfig) -> std::io::Result<Simulator> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let port = listener.local_addr()?.port();
        Simulator::start_on(config, listener, u64::from(port), &Handle::current())
    }

    /// Binds `addr` (e.g. `127.0.0.1:8790`, or port 0 for one the OS picks)
    /// and serves on the current tokio runtime: for a simulator that other
    /// processes use, such as `matchkraft simulator`.
    ///
    /// Its job ids are seeded by the port *and* the time it started, so a
    /// simulator restarted on the same port hands out ids the last one did
    /// not: a ledger that kept the old jobs never mistakes a new job for one
    /// of them.
    ///
    /// # Errors
    ///
    /// As for [`Simulator::start`], or whatever binding `addr` returns.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub async fn start_at(config: SimConfig, addr: SocketAddr) -> std::io::Result<Simulator> {
        let listener = std::net::TcpListener::bind(addr)?;
        let port = listener.local_addr()?.port();
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let seed = started ^ (u64::from(port) << 48);
        Simulator::start_on(config, listener, seed, &Handle::current())
    }

    /// Starts a simulator on a runtime of its own, for synchronous callers
    /// such as a CLI's `main` or a plain `#[test]`.
    ///
    /// The runtime has one worker thread, which runs the server while the
    /// returned [`BackgroundRuntime`] is alive; drop the `Simulator` or the
    /// runtime to stop it. Works from any thread, inside an async context
    /// or not.
    ///
    /// # Errors
    ///
    /// As for [`Simulator::start`], or if the runtime cannot be built.
    pub fn spawn_in_background(config: SimConfig) -> std::io::Result<(Simulator, BackgroundRuntime)> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("matchkraft-simulator")
            .enable_all()
            .build()?;
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let port = listener.local_addr()?.port();
        let simulator = Simulator::start_on(config, listener, u64::from(port), runtime.handle())?;
        Ok((
            simulator,
            BackgroundRuntime {
                runtime: Some(runtime),
            },
        ))
    }

    /// Serves on `listener`, bound synchronously (instant on loopback) so
    /// that starting needs no `.await` and works the same from every entry
    /// point; `id_seed` makes the job ids this simulator's own (a test's
    /// simulator uses its port, so a failing run replays).
    fn start_on(
        config: SimConfig,
        listener: std::net::TcpListener,
        id_seed: u64,
        runtime: &Handle,
    ) -> std::io::Result<Simulator> {
        config
            .validate()
            .map_err(|problem| io::Error::new(io::ErrorKind::InvalidInput, problem))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let listener = {
            let _entered = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        let (watch_jobs, watched_jobs) = tokio::sync::mpsc::unbounded_channel();
        let shared = Arc::new(Shared::new(config, id_seed, watch_jobs));
        let server = runtime
            .spawn(server::run(listener, Arc::clone(&shared)))
            .abort_handle();
        let webhooks = runtime
            .spawn(webhooks::run(watched_jobs, Arc::clone(&shared)))
            .abort_handle();
        Ok(Simulator {
            addr,
            shared,
            server,
            webhooks,
        })
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

    /// The configuration the simulator was started with (e.g. to print the
    /// key). Its `webhook` stays as started; [`Simulator::webhook`] has the
    /// current setting.
    pub fn config(&self) -> &SimConfig {
        &self.shared.config
    }

    /// Every request received so far, in the order their bodies finished
    /// arriving, faulted ones included.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests()
    }

    /// How many times each job's results were read (GET
    /// `/{jobType}/results/{jobId}`), per job id: what a test checks to show
    /// that results were fetched once.
    pub fn results_gets(&self) -> HashMap<String, usize> {
        let mut gets = HashMap::new();
        for request in self.requests() {
            if request.method == "GET"
                && let Some((_, id)) = request.path.split_once("/results/")
            {
                *gets.entry(id.to_string()).or_default() += 1;
            }
        }
        gets
    }

    /// How many jobs have been created so far.
    pub fn job_count(&self) -> usize {
        self.shared.job_count()
    }

    /// Counts of requests, faults, jobs and webhook attempts so far.
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// How many jobs have been created per `jobName` (also in [`Stats`]).
    pub fn jobs_by_name(&self) -> HashMap<String, usize> {
        self.shared.jobs_by_name()
    }

    /// Changes the webhook setting from now on, as saving it in the
    /// dashboard would; `None` switches webhooks off, which also stops the
    /// deliveries and retries still pending. See [`webhooks`] for which
    /// setting a job's webhook follows.
    ///
    /// # Panics
    ///
    /// If the setting fails [`WebhookConfig::validate`] (e.g. a URL that is
    /// not loopback `http`); check it first if it comes from a user.
    pub fn set_webhook(&self, webhook: Option<WebhookConfig>) {
        if let Some(problem) = webhook.as_ref().and_then(|w| w.validate().err()) {
            panic!("{problem}");
        }
        self.shared.set_webhook(webhook);
    }

    /// The webhook setting in force now.
    pub fn webhook(&self) -> Option<WebhookConfig> {
        self.shared.webhook()
    }

    /// Every webhook delivery attempt so far, retries included, in the order
    /// their outcomes became known.
    pub fn webhook_deliveries(&self) -> Vec<WebhookDelivery> {
        self.shared.deliveries()
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
    /// open connection (stalled ones included), and cancels every pending
    /// webhook delivery. Takes effect as soon as the runtime next runs the
    /// tasks; calling it twice is harmless.
    pub fn shutdown(&self) {
        self.server.abort();
        self.webhooks.abort();
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
