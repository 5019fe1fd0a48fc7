//! The webhook receiver: an HTTP server that takes MatchKraft's
//! `job.completed` webhooks and completes the jobs in the [`Ledger`].
//!
//! For each POST, whatever its path:
//!
//! 1. the body is parsed and validated by the component
//!    ([`MatchKraft::parse_webhook`]); a body it refuses is answered `400` with
//!    the reason;
//! 2. a job that is not in the ledger (or was submitted to another API base
//!    URL) is answered `200` and ignored, with an [`ListenerEvent::UnknownJob`]
//!    event: anyone who learns the URL can post to it, and the sender should not
//!    retry;
//! 3. otherwise the (job, status) effect is claimed in the ledger in one
//!    transaction ([`Ledger::mark_effect`]); a repeated delivery finds it
//!    claimed and has no further effect;
//! 4. the answer is `200`, sent before anything is fetched: a `200` means the
//!    event is in the ledger, so the sender may forget it;
//! 5. for the first `completed` delivery of a job, a background task fetches
//!    the results once and stores them in the ledger. If that fails the job
//!    stays pending (with the reason noted) for `matchkraft resume`.
//!
//! A failure of the ledger or the host is answered `500`, so that the sender
//! retries later.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Bytes;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::host::MatchKraft;
use crate::ledger::{Delivery, Effect, EffectSource, Ledger, LedgerJob};
use crate::types::{JobStatus, WebhookEvent};

mod event;
mod gate;

pub use event::ListenerEvent;
use gate::Gate;

/// The largest body read; the documented payload is about 150 bytes (the
/// component refuses more than 64 KiB anyway).
const MAX_BODY_BYTES: usize = 64 * 1024;

/// How long a client may take to send its request headers, and then its body.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How many recent acknowledgement latencies [`ListenerStats`] keeps.
const LATENCY_SAMPLES: usize = 100_000;

/// What the receiver has done so far, from [`ListenerHandle::stats`].
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct ListenerStats {
    /// Requests answered, whatever the answer.
    pub requests: u64,
    /// Deliveries that claimed an effect (one per job and status).
    pub effects: u64,
    /// Deliveries of an effect already claimed.
    pub duplicates: u64,
    /// Deliveries for jobs not in the ledger.
    pub unknown_jobs: u64,
    /// Bodies refused with `400`.
    pub invalid: u64,
    /// Requests answered `500`.
    pub errors: u64,
    /// Results fetches started.
    pub fetches: u64,
    /// Results fetches that failed.
    pub fetch_failures: u64,
    /// How long the most recent requests (up to 100,000) took from the
    /// request's headers to the answer, in arrival order.
    pub ack_latencies: Vec<Duration>,
}

impl ListenerStats {
    /// The `p`-th percentile (0 to 100) of [`Self::ack_latencies`], or zero
    /// with no samples.
    pub fn ack_percentile(&self, p: f64) -> Duration {
        let mut sorted = self.ack_latencies.clone();
        sorted.sort_unstable();
        let Some(last) = sorted.len().checked_sub(1) else {
            return Duration::ZERO;
        };
        // Nearest rank: the smallest sample with at least p% at or below it.
        let rank = ((p.clamp(0.0, 100.0) / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.saturating_sub(1).min(last)]
    }
}

/// A running receiver. Dropping it stops the server at once (fetches under
/// way are abandoned: their jobs stay pending); [`ListenerHandle::shutdown`]
/// stops it gracefully.
pub struct ListenerHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
}

impl fmt::Debug for ListenerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListenerHandle")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// What the server's tasks share.
struct Shared {
    host: MatchKraft,
    ledger: Ledger,
    on_event: Box<dyn Fn(ListenerEvent) + Send + Sync>,
    /// The background results fetches, so that shutdown can wait for them.
    fetches: Mutex<JoinSet<()>>,
    stats: Mutex<Counters>,
    gate: Mutex<Gate>,
}

#[derive(Default)]
struct Counters {
    stats: ListenerStats,
    latencies: VecDeque<Duration>,
}

/// Starts a webhook receiver on `addr` (port 0 picks a free one) that
/// completes the jobs of `ledger` through `host`, and calls `on_event` for each
/// thing it does (from the server's tasks: keep it quick).
///
/// Serves on the current tokio runtime until the handle is shut down or
/// dropped.
///
/// # Errors
///
/// When `addr` cannot be bound.
///
/// # Example
///
/// ```no_run
/// # async fn example() -> anyhow::Result<()> {
/// use matchkraft_host::ledger::Ledger;
/// use matchkraft_host::listener::listen;
/// use matchkraft_host::{HostConfig, MatchKraft};
///
/// let host = MatchKraft::new(matchkraft_artifacts::COMPONENT, HostConfig::new("http://127.0.0.1:8080/api/v2"))?;
/// let ledger = Ledger::open("/tmp/ledger.sqlite3")?;
/// let receiver = listen("127.0.0.1:0".parse()?, host, ledger, |event| println!("{event}")).await?;
/// println!("configure {} as the webhook URL", receiver.url());
/// # Ok(())
/// # }
/// ```
pub async fn listen(
    addr: SocketAddr,
    host: MatchKraft,
    ledger: Ledger,
    on_event: impl Fn(ListenerEvent) + Send + Sync + 'static,
) -> io::Result<ListenerHandle> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        host,
        ledger,
        on_event: Box::new(on_event),
        fetches: Mutex::new(JoinSet::new()),
        stats: Mutex::default(),
        gate: Mutex::default(),
    });
    let (stop, stopped) = watch::channel(false);
    let server = tokio::spawn(serve(listener, Arc::clone(&shared), stopped));
    Ok(ListenerHandle {
        addr,
        shared,
        stop,
        server: Some(server),
    })
}

impl ListenerHandle {
    /// The address the receiver listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL to configure as the webhook URL: `http://ADDR/` (any path is
    /// accepted).
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Counts and acknowledgement latencies so far.
    pub fn stats(&self) -> ListenerStats {
        let counters = lock(&self.shared.stats);
        ListenerStats {
            ack_latencies: counters.latencies.iter().copied().collect(),
            ..counters.stats.clone()
        }
    }

    /// Stops accepting connections, lets the requests under way finish, then
    /// waits up to `grace` for the results fetches under way. Returns how many
    /// fetches were abandoned (their jobs stay pending for `matchkraft
    /// resume`).
    pub async fn shutdown(mut self, grace: Duration) -> usize {
        let _ = self.stop.send(true);
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        // No request is under way now, so no fetch can be added.
        let mut fetches = std::mem::take(&mut *lock(&self.shared.fetches));
        let drained = async { while fetches.join_next().await.is_some() {} };
        let _ = tokio::time::timeout(grace, drained).await;
        let abandoned = fetches.len();
        fetches.shutdown().await;
        let summaries = lock(&self.shared.gate).summaries();
        for summary in summaries {
            (self.shared.on_event)(summary);
        }
        abandoned
    }
}

impl Drop for ListenerHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(server) = self.server.take() {
            server.abort();
        }
        lock(&self.shared.fetches).abort_all();
    }
}

/// Accepts connections until told to stop, then waits for the open ones to
/// finish their request.
async fn serve(listener: TcpListener, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, Arc::clone(&shared), stop.clone()));
                }
                // Out of file descriptors and the like: wait rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
            _ = stop.changed() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |request| {
        let shared = Arc::clone(&shared);
        async move { Ok::<_, Infallible>(handle(&shared, request).await) }
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(READ_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service);
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = stop.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

/// Answers one request and notes how long the answer took.
async fn handle(shared: &Arc<Shared>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let response = respond(shared, request).await;
    let mut counters = lock(&shared.stats);
    counters.stats.requests += 1;
    match response.status() {
        StatusCode::BAD_REQUEST => counters.stats.invalid += 1,
        StatusCode::INTERNAL_SERVER_ERROR => counters.stats.errors += 1,
        _ => {}
    }
    if counters.latencies.len() == LATENCY_SAMPLES {
        counters.latencies.pop_front();
    }
    counters.latencies.push_back(started.elapsed());
    response
}

async fn respond(shared: &Arc<Shared>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    if request.method() != Method::POST {
        let mut response = text(
            StatusCode::METHOD_NOT_ALLOWED,
            "POST a job.completed webhook here",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, "POST".parse().expect("a valid header"));
        return response;
    }
    let body = Limited::new(request.into_body(), MAX_BODY_BYTES).collect();
    let body = match tokio::time::timeout(READ_TIMEOUT, body).await {
        Ok(Ok(body)) => body.to_bytes(),
        Ok(Err(_)) => return text(StatusCode::PAYLOAD_TOO_LARGE, "the body is too large or broken"),
        Err(_) => return text(StatusCode::REQUEST_TIMEOUT, "the body did not arrive in time"),
    };
    let event = match shared.host.parse_webhook(&body).await {
        Ok(Ok(event)) => event,
        Ok(Err(error)) => {
            let reason = error.message().to_string();
            shared.emit(ListenerEvent::Invalid {
                reason: reason.clone(),
            });
            return text(StatusCode::BAD_REQUEST, &reason);
        }
        Err(failure) => return shared.fail(format!("the component failed: {failure:#}")),
    };
    match claim(shared, &event).await {
        Ok(Claim::New(job)) => {
            shared.count(|s| s.effects += 1);
            shared.emit(ListenerEvent::Accepted {
                job_id: job.id.clone(),
                job_type: job.job_type,
                status: event.status.clone(),
            });
            // Whatever it claims, a webhook only triggers a look at the API.
            shared.start_fetch(job, event.status);
        }
        Ok(Claim::Duplicate) => {
            shared.count(|s| s.duplicates += 1);
            shared.emit(ListenerEvent::Duplicate {
                job_id: event.job_id,
                status: event.status,
            });
        }
        Ok(Claim::NotOurs) => {
            shared.count(|s| s.unknown_jobs += 1);
            shared.emit(ListenerEvent::UnknownJob { job_id: event.job_id });
        }
        Err(failure) => return shared.fail(format!("the ledger failed: {failure:#}")),
    }
    text(StatusCode::OK, "ok")
}

/// What claiming a delivery's effect found.
enum Claim {
    New(LedgerJob),
    Duplicate,
    NotOurs,
}

/// Notes the delivery of (job, claimed status) in the ledger, on a blocking
/// thread (a write may wait for another process's): the first is worth a look
/// at the API, a repeat is not.
async fn claim(shared: &Arc<Shared>, event: &WebhookEvent) -> anyhow::Result<Claim> {
    let ledger = shared.ledger.clone();
    let base_url = shared.host.config().base_url.clone();
    let (job_id, status) = (event.job_id.clone(), event.status.clone());
    let work = move || -> anyhow::Result<Claim> {
        match ledger.job(&job_id)? {
            Some(job) if same_api(&job.base_url, &base_url) => {}
            _ => return Ok(Claim::NotOurs),
        }
        Ok(match ledger.note_delivery(&job_id, &status)? {
            Delivery::New(job) => Claim::New(job),
            Delivery::Repeat => Claim::Duplicate,
            Delivery::UnknownJob => Claim::NotOurs,
        })
    };
    tokio::task::spawn_blocking(work).await?
}

/// Whether two base URLs name the same API (a trailing slash aside).
fn same_api(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

impl Shared {
    /// Hands `event` to the caller's callback; floodable warnings pass
    /// through the [`Gate`].
    fn emit(&self, event: ListenerEvent) {
        let kind = match &event {
            ListenerEvent::UnknownJob { .. } => 0,
            ListenerEvent::Invalid { .. } => 1,
            _ => return (self.on_event)(event),
        };
        let (admitted, summaries) = lock(&self.gate).admit(kind, Instant::now());
        for summary in summaries {
            (self.on_event)(summary);
        }
        if admitted {
            (self.on_event)(event);
        }
    }

    fn count(&self, update: impl FnOnce(&mut ListenerStats)) {
        update(&mut lock(&self.stats).stats);
    }

    fn fail(&self, reason: String) -> Response<Full<Bytes>> {
        self.emit(ListenerEvent::Error { reason });
        text(StatusCode::INTERNAL_SERVER_ERROR, "internal error; retry later")
    }

    /// Fetches and stores a job's results in a task of its own, so that the
    /// webhook is answered at once.
    fn start_fetch(self: &Arc<Self>, job: LedgerJob, claimed: JobStatus) {
        self.count(|s| s.fetches += 1);
        let shared = Arc::clone(self);
        let mut fetches = lock(&self.fetches);
        // Forget the finished ones so the set does not grow forever.
        while fetches.try_join_next().is_some() {}
        fetches.spawn(async move { shared.fetch(job, claimed).await });
    }

    async fn fetch(&self, job: LedgerJob, claimed: JobStatus) {
        let event = match self.look(&job).await {
            Ok(Look::Stored(results)) => ListenerEvent::Stored {
                job_id: job.id,
                job_type: job.job_type,
                results,
            },
            Ok(Look::Failed) => ListenerEvent::Failed {
                job_id: job.id,
                job_type: job.job_type,
            },
            Ok(Look::Settled) => ListenerEvent::Settled { job_id: job.id },
            Ok(Look::NotFinished(actual)) => ListenerEvent::NotFinished {
                job_id: job.id,
                claimed,
                actual,
            },
            Err(reason) => {
                self.count(|s| s.fetch_failures += 1);
                let ledger = self.ledger.clone();
                let (id, noted) = (job.id.clone(), reason.clone());
                let _ = tokio::task::spawn_blocking(move || ledger.record_fetch_error(&id, &noted)).await;
                ListenerEvent::FetchFailed {
                    job_id: job.id,
                    reason,
                }
            }
        };
        self.emit(event);
    }

    /// One results call, and what the API's answer (never the webhook's
    /// claim) means for the ledger: a finished job is claimed, as finished
    /// *by the API's word*, and its results stored; a job the API still
    /// reports running only has that status noted, and stays pending for
    /// `run`'s polling or `resume`.
    async fn look(&self, job: &LedgerJob) -> Result<Look, String> {
        let results = match self.host.results(job.job_type, &job.id).await {
            Ok(Ok(results)) => results,
            Ok(Err(error)) => return Err(error.message().to_string()),
            Err(failure) => return Err(format!("{failure:#}")),
        };
        let ledger = self.ledger.clone();
        let id = job.id.clone();
        let record = move || -> anyhow::Result<Look> {
            let status = results.job.status.clone();
            if !status.is_terminal() {
                ledger.set_status(&id, &status)?;
                return Ok(Look::NotFinished(status));
            }
            match ledger.mark_effect(&id, &status, EffectSource::Webhook)? {
                Effect::New(_) if status == JobStatus::Completed => {
                    ledger.store_results(&results)?;
                    Ok(Look::Stored(results.records.len()))
                }
                Effect::New(_) => Ok(Look::Failed),
                Effect::Duplicate(_) | Effect::UnknownJob => Ok(Look::Settled),
            }
        };
        tokio::task::spawn_blocking(record)
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("{e:#}"))
    }
}

/// What one look at the API found, and did.
enum Look {
    /// Completed: its results are stored, this many records.
    Stored(usize),
    /// Failed, by the API's word.
    Failed,
    /// Finished, and someone (a poll, a resume) had already claimed it.
    Settled,
    /// Not finished, whatever the webhook said: this is its status.
    NotFinished(JobStatus),
}

fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(format!("{body}\n"))));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        "text/plain; charset=utf-8".parse().expect("a valid header"),
    );
    response
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests;
