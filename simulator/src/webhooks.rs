//! Webhook delivery, like the dashboard's webhook setting: when a job
//! finishes, the simulator POSTs the documented payload to a configured URL,
//!
//! ```json
//! {"event":"job.completed","jobId":"…","jobType":"email-validation","status":"COMPLETED"}
//! ```
//!
//! (`"FAILED"` for a failed job), with `Content-Type: application/json` and a
//! Content-Length. Unlike the real service it can be told to misbehave the
//! way webhooks do in practice, so that a receiver's idempotency can be
//! tested: each job's webhook is delivered a random number of times
//! ([`WebhookConfig::deliveries`]), each copy after its own random delay
//! (which reorders deliveries across jobs), and a copy that gets a non-2xx
//! answer or no answer is retried with a backoff of 50 ms, doubling up to
//! 1.6 s, at most [`WebhookConfig::max_retries`] times.
//!
//! The rules a receiver can rely on:
//!
//! - a webhook never fires before the results endpoint reports the job
//!   `COMPLETED` or `FAILED`, so a receiver may fetch results at once;
//! - the configuration in force when a job finishes decides how many copies
//!   are sent and when; each attempt then goes to the URL configured at
//!   that moment, and none is made once the webhook is switched off with
//!   [`Simulator::set_webhook(None)`](crate::Simulator::set_webhook) (an
//!   attempt already under way still completes);
//! - the number of copies and their delays depend only on the seed and the
//!   job's place in the order of submission; the timing on the wire does not;
//! - an attempt gives up after [`ATTEMPT_TIMEOUT`] without an answer, which
//!   counts as a failed attempt;
//! - [`Simulator::shutdown`](crate::Simulator::shutdown) cancels every
//!   pending delivery.
//!
//! Only plain `http://` URLs on a loopback address are accepted, so a test
//! can never send traffic off the machine.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HOST, USER_AGENT};
use hyper::{Method, Uri};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpStream;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinSet;

use crate::jobs::JobType;
use crate::reply::JSON;
use crate::rng::Rng;
use crate::state::Shared;

/// How long one attempt may take, from connecting to the status line of the
/// answer; a receiver that takes longer counts as not answering.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

/// The wait before the first retry of a copy; it doubles for each further one.
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
/// The longest wait between retries.
const MAX_BACKOFF: Duration = Duration::from_millis(1600);
/// How long to keep reading a receiver's answer body after its status line.
const BODY_DRAIN_TIMEOUT: Duration = Duration::from_millis(500);

/// Where and how to deliver webhooks. Set it in
/// [`SimConfig::webhook`](crate::SimConfig::webhook) or at run time with
/// [`Simulator::set_webhook`](crate::Simulator::set_webhook); see the
/// [module docs](self) for the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// The receiver, `http://127.0.0.1:PORT/path` (any loopback address,
    /// `[::1]` included; the path and a query are optional). Anything else is
    /// refused.
    pub url: String,
    /// How many times each job's webhook is delivered: a number drawn
    /// uniformly from this inclusive range, e.g. `(1, 5)`. `(0, 1)` loses
    /// about half the webhooks. Default `(1, 1)`.
    pub deliveries: (u32, u32),
    /// The wait after a job finishes before its first delivery. Default 0.
    pub delay: Duration,
    /// The most random extra wait added to `delay`, drawn anew for each copy,
    /// which reorders deliveries across jobs. Default 0.
    pub jitter: Duration,
    /// How many times a copy is retried after a non-2xx answer, a refused
    /// connection or no answer. Default 3.
    pub max_retries: u32,
    /// Fixes the number of copies and the delays of each job. Default 0.
    pub seed: u64,
}

impl WebhookConfig {
    /// Delivery to `url`, once per job, at once, with up to 3 retries.
    pub fn new(url: impl Into<String>) -> WebhookConfig {
        WebhookConfig {
            url: url.into(),
            ..WebhookConfig::default()
        }
    }

    /// Why this cannot be used, if it cannot: a URL that is not plain `http`
    /// to a loopback address, or a `deliveries` range whose low end is
    /// above its high end.
    pub fn validate(&self) -> Result<(), String> {
        let (low, high) = self.deliveries;
        if low > high {
            return Err(format!("webhook deliveries range ({low}, {high}) is empty"));
        }
        Target::parse(&self.url).map(drop)
    }
}

/// Once, at once, with up to 3 retries, to no URL (set one before use).
impl Default for WebhookConfig {
    fn default() -> WebhookConfig {
        WebhookConfig {
            url: String::new(),
            deliveries: (1, 1),
            delay: Duration::ZERO,
            jitter: Duration::ZERO,
            max_retries: 3,
            seed: 0,
        }
    }
}

/// One attempt to deliver a webhook, as
/// [`Simulator::webhook_deliveries`](crate::Simulator::webhook_deliveries)
/// lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebhookDelivery {
    /// The job the webhook is about.
    pub job_id: String,
    /// Which copy of the job's webhook this is, from 1 to the number drawn
    /// from [`WebhookConfig::deliveries`].
    pub delivery: u32,
    /// 1 for the first attempt of this copy, 2 for its first retry, and so on.
    pub attempt: u32,
    /// The receiver's status code, or `None` if there was no answer (refused
    /// connection, broken connection, or [`ATTEMPT_TIMEOUT`]).
    pub status_code: Option<u16>,
    /// The URL the attempt went to.
    pub url: String,
    /// When the attempt began.
    pub at: Instant,
}

impl WebhookDelivery {
    /// Whether the receiver answered 2xx (which ends this copy's retries).
    pub fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|code| (200..300).contains(&code))
    }
}

/// A validated webhook URL, ready to connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// The URL as configured, for the delivery log.
    url: String,
    addr: SocketAddr,
    /// The `Host` header: the URL's authority.
    host: String,
    /// The request target: path and query.
    path: Uri,
}

impl Target {
    /// Accepts `http://IP[:PORT][/PATH][?QUERY]` with a loopback IP, and
    /// nothing else: no other scheme, no host name (not even `localhost`,
    /// which a resolver could send elsewhere), no user info, no fragment.
    pub(crate) fn parse(url: &str) -> Result<Target, String> {
        let refuse = |why: &str| Err(format!("webhook URL {url:?} refused: {why}"));
        let Some(rest) = url
            .get(..7)
            .filter(|scheme| scheme.eq_ignore_ascii_case("http://"))
            .map(|_| &url[7..])
        else {
            return refuse("only http:// URLs are supported");
        };
        let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(split);
        if authority.contains('@') {
            return refuse("user info is not supported");
        }
        if path.contains('#') {
            return refuse("a fragment is not supported");
        }
        let addr = match authority.parse::<SocketAddr>() {
            Ok(addr) => addr,
            Err(_) => {
                let bare = authority.strip_prefix('[').and_then(|a| a.strip_suffix(']'));
                match bare.unwrap_or(authority).parse::<IpAddr>() {
                    Ok(ip) if bare.is_some() == ip.is_ipv6() => SocketAddr::new(ip, 80),
                    _ => return refuse("the host must be a loopback IP address such as 127.0.0.1"),
                }
            }
        };
        if !addr.ip().is_loopback() {
            return refuse("the host must be a loopback address");
        }
        if addr.port() == 0 {
            return refuse("port 0 cannot be connected to");
        }
        let path = match path {
            "" => "/".to_owned(),
            query if query.starts_with('?') => format!("/{query}"),
            path => path.to_owned(),
        };
        let Ok(path) = path.parse::<Uri>() else {
            return refuse("the path is not a valid request target");
        };
        Ok(Target {
            url: url.to_owned(),
            addr,
            host: authority.to_owned(),
            path,
        })
    }
}

/// A job to deliver the webhook of, once it finishes; sent by job creation
/// to the delivery task.
#[derive(Debug, Clone)]
pub(crate) struct WatchedJob {
    pub(crate) id: String,
    pub(crate) job_type: JobType,
    /// `COMPLETED` or `FAILED`.
    pub(crate) final_status: &'static str,
    /// When the results endpoint starts showing `final_status`; `None` for
    /// never.
    pub(crate) finished_at: Option<Instant>,
    /// The job's place in the order of submission, from 0.
    pub(crate) seq: u64,
}

/// The documented payload, fields in the documented order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Payload<'a> {
    event: &'static str,
    job_id: &'a str,
    job_type: &'static str,
    status: &'static str,
}

fn payload(job: &WatchedJob) -> Bytes {
    let payload = Payload {
        event: "job.completed",
        job_id: &job.id,
        job_type: job.job_type.as_str(),
        status: job.final_status,
    };
    Bytes::from(serde_json::to_vec(&payload).expect("the payload always serialises"))
}

/// Watches every new job until the task is aborted.
///
/// Each job gets a task in a [`JoinSet`] owned by this one, so aborting this
/// task (what [`Simulator::shutdown`](crate::Simulator::shutdown) does)
/// cancels every pending delivery, as for the server's connections.
pub(crate) async fn run(mut jobs: UnboundedReceiver<WatchedJob>, shared: Arc<Shared>) {
    let mut watched = JoinSet::new();
    loop {
        tokio::select! {
            job = jobs.recv() => match job {
                Some(job) => {
                    watched.spawn(deliver_job(Arc::clone(&shared), job));
                }
                None => break,
            },
            // Reap finished jobs so the set does not grow forever.
            Some(_) = watched.join_next(), if !watched.is_empty() => {}
        }
    }
    while watched.join_next().await.is_some() {}
}

/// Waits for the job to finish, then delivers its copies as the webhook
/// configuration in force at that moment says.
async fn deliver_job(shared: Arc<Shared>, job: WatchedJob) {
    let Some(finished_at) = job.finished_at else {
        return;
    };
    // `sleep_until` rounds up to the timer's granularity, but the guarantee
    // that the results endpoint already shows the job finished is worth a
    // check of its own.
    while Instant::now() < finished_at {
        tokio::time::sleep_until(finished_at.into()).await;
    }
    let Some(config) = shared.webhook() else {
        return;
    };
    let mut rng = Rng::derived(config.seed, job.seq);
    let copies = rng.between(config.deliveries.0, config.deliveries.1);
    let body = payload(&job);
    let mut deliveries = JoinSet::new();
    for copy in 1..=copies {
        let wait = config.delay.saturating_add(rng.up_to(config.jitter));
        deliveries.spawn(deliver_copy(
            Arc::clone(&shared),
            job.id.clone(),
            copy,
            wait,
            body.clone(),
            config.max_retries,
        ));
    }
    while deliveries.join_next().await.is_some() {}
}

/// Sends one copy after `wait`, retrying with a doubling backoff until the
/// receiver answers 2xx, the retries are used up or the webhook is switched
/// off.
async fn deliver_copy(
    shared: Arc<Shared>,
    job_id: String,
    delivery: u32,
    wait: Duration,
    body: Bytes,
    max_retries: u32,
) {
    tokio::time::sleep(wait).await;
    let mut backoff = FIRST_BACKOFF;
    let mut attempt = 1;
    loop {
        let Some(target) = shared.webhook_target() else {
            return;
        };
        let at = Instant::now();
        let status_code = post(&target, body.clone()).await;
        let record = WebhookDelivery {
            job_id: job_id.clone(),
            delivery,
            attempt,
            status_code,
            url: target.url,
            at,
        };
        let succeeded = record.succeeded();
        shared.record_delivery(record);
        if succeeded || attempt > max_retries {
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
        attempt = attempt.saturating_add(1);
    }
}

/// POSTs one webhook `body` to `url` (a loopback `http://` URL, as for
/// [`WebhookConfig`]) as the sender does, once, without retrying: for tests
/// that deliver a webhook by hand, a forged one for instance. Returns the
/// answer's status code, or `None` if there was no answer in time.
///
/// # Errors
///
/// When `url` is not one the simulator delivers to.
pub async fn send_once(url: &str, body: &str) -> Result<Option<u16>, String> {
    let target = Target::parse(url)?;
    Ok(post(&target, Bytes::from(body.to_owned())).await)
}

/// POSTs `body` to the target over a fresh connection and returns the
/// answer's status code, or `None` if there was no answer in time.
async fn post(target: &Target, body: Bytes) -> Option<u16> {
    let deadline = tokio::time::Instant::now() + ATTEMPT_TIMEOUT;
    let stream = tokio::time::timeout_at(deadline, TcpStream::connect(target.addr))
        .await
        .ok()?
        .ok()?;
    let _ = stream.set_nodelay(true);
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
    // The connection is driven in a set owned here, so that returning (or
    // being cancelled) closes it whatever state the receiver left it in.
    let mut connection_task = JoinSet::new();
    connection_task.spawn(connection);

    let request = hyper::Request::builder()
        .method(Method::POST)
        .uri(target.path.clone())
        .header(HOST, &target.host)
        .header(CONTENT_TYPE, JSON)
        .header(CONTENT_LENGTH, body.len())
        .header(USER_AGENT, "matchkraft-simulator")
        .header(CONNECTION, "close")
        .body(Full::new(body))
        .ok()?;
    let response = tokio::time::timeout_at(deadline, sender.send_request(request))
        .await
        .ok()?
        .ok()?;
    let status = response.status().as_u16();
    // Reading the answer lets the receiver finish writing it; what it says
    // does not matter.
    let _ = tokio::time::timeout(BODY_DRAIN_TIMEOUT, response.into_body().collect()).await;
    Some(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_http_urls_are_accepted() {
        let target = Target::parse("http://127.0.0.1:8080/hooks/mk?x=1").unwrap();
        assert_eq!(target.addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(target.host, "127.0.0.1:8080");
        assert_eq!(target.path, "/hooks/mk?x=1");

        let bare = Target::parse("HTTP://127.0.0.1").unwrap();
        assert_eq!(bare.addr.port(), 80);
        assert_eq!(bare.path, "/");
        assert_eq!(Target::parse("http://127.0.0.1:9?q").unwrap().path, "/?q");
        assert_eq!(
            Target::parse("http://127.0.0.2:9/")
                .unwrap()
                .addr
                .ip()
                .to_string(),
            "127.0.0.2"
        );
        let v6 = Target::parse("http://[::1]:9000/h").unwrap();
        assert_eq!(v6.addr, "[::1]:9000".parse().unwrap());
        assert_eq!(Target::parse("http://[::1]/").unwrap().addr.port(), 80);
    }

    #[test]
    fn anything_that_could_leave_the_machine_is_refused() {
        for url in [
            "",
            "127.0.0.1:8080/x",
            "https://127.0.0.1:8080/x",
            "ftp://127.0.0.1/x",
            "http://localhost:8080/x",
            "http://example.com/x",
            "http://10.0.0.1:80/x",
            "http://0.0.0.0:80/x",
            "http://[::2]:80/x",
            "http://::1/x",
            "http://[127.0.0.1]/x",
            "http://user@127.0.0.1:80/x",
            "http://127.0.0.1:80/x#frag",
            "http://127.0.0.1:0/x",
            "http://127.0.0.1:99999/x",
            "http://127.0.0.1:80/a b",
        ] {
            assert!(Target::parse(url).is_err(), "{url:?} was accepted");
        }
        assert!(
            Target::parse("http://10.0.0.1/")
                .unwrap_err()
                .contains("loopback")
        );
    }

    #[test]
    fn config_validation_checks_range_and_url() {
        let ok = WebhookConfig::new("http://127.0.0.1:1/");
        assert_eq!(ok.validate(), Ok(()));
        assert_eq!(ok.deliveries, (1, 1));
        let empty_range = WebhookConfig {
            deliveries: (3, 2),
            ..ok.clone()
        };
        assert!(empty_range.validate().unwrap_err().contains("(3, 2)"));
        assert!(WebhookConfig::default().validate().is_err(), "no URL yet");
    }

    #[test]
    fn payload_is_the_documented_one() {
        let job = WatchedJob {
            id: "20f70187-b941-4bb0-b10f-599b025fc425".into(),
            job_type: JobType::EmailValidation,
            final_status: "COMPLETED",
            finished_at: None,
            seq: 0,
        };
        assert_eq!(
            &payload(&job)[..],
            br#"{"event":"job.completed","jobId":"20f70187-b941-4bb0-b10f-599b025fc425","jobType":"email-validation","status":"COMPLETED"}"#
        );
    }
}
