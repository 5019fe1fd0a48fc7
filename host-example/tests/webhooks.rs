//! The webhook receiver, driven in-process through `matchkraft_host::listener::listen`:
//! its answers to bad and foreign bodies, and 1,000 jobs whose webhooks come
//! one to five times each, concurrently and out of order.

use std::collections::HashMap;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use matchkraft_host::ledger::{EffectSource, Ledger};
use matchkraft_host::listener::{ListenerEvent, ListenerHandle, listen};
use matchkraft_host::{Contact, HostConfig, JobStatus, MatchKraft, Records};
use matchkraft_simulator::{SimConfig, Simulator, WebhookConfig};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

fn host(sim: &Simulator) -> MatchKraft {
    let config = HostConfig::new(sim.base_url()).with_api_key(sim.config().api_key.clone());
    MatchKraft::new(matchkraft_artifacts::COMPONENT, config).expect("the component loads")
}

/// Job `i`'s records: the three job types in turn.
fn records(i: usize) -> Records {
    match i % 3 {
        0 => Records::EmailValidation(vec![format!("user{i}@example.com")]),
        1 => Records::DomainScan(vec![format!("https://site{i}.example")]),
        _ => Records::EmailFinder(vec![Contact {
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            website: format!("https://site{i}.example"),
        }]),
    }
}

/// POSTs from a blocking thread: the receiver runs on this test's runtime.
async fn post_async(addr: std::net::SocketAddr, body: String) -> (u16, String) {
    tokio::task::spawn_blocking(move || post(addr, &body))
        .await
        .unwrap()
}

/// A receiver on a free loopback port, and the events it has emitted so far.
async fn receiver(host: MatchKraft, ledger: Ledger) -> (ListenerHandle, Arc<Mutex<Vec<ListenerEvent>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    let receiver = listen("127.0.0.1:0".parse().unwrap(), host, ledger, move |event| {
        seen.lock().unwrap().push(event);
    })
    .await
    .unwrap();
    (receiver, events)
}

fn webhook_body(job_id: &str, job_type: &str, status: &str) -> String {
    format!(r#"{{"event":"job.completed","jobId":"{job_id}","jobType":"{job_type}","status":"{status}"}}"#)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receiver_refuses_bad_bodies_ignores_strangers_and_acts_once() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::TempDir::with_prefix("matchkraft-receiver-").unwrap();
    let ledger = Ledger::open(dir.path().join("ledger.sqlite3")).unwrap();
    let host = host(&sim);
    let (receiver, events) = receiver(host.clone(), ledger.clone()).await;
    let addr = receiver.addr();

    // Refused by the component's validation, with the reason.
    let (status, body) = post_async(addr, "not json".into()).await;
    assert_eq!(status, 400);
    assert!(body.contains("body"), "{body}");
    let (status, body) = post_async(addr, webhook_body("a1", "email-validation", "PROCESSING")).await;
    assert_eq!(status, 400);
    assert!(body.contains("status"), "{body}");

    // A job that is not ours: acknowledged, ignored.
    let (status, _) = post_async(addr, webhook_body("stranger-1", "email-validation", "COMPLETED")).await;
    assert_eq!(status, 200);

    // A job of ours, delivered three times once it is done.
    let job = host
        .submit("ours", Records::EmailValidation(vec!["john@gmail.com".into()]))
        .await
        .unwrap()
        .unwrap();
    ledger.record_submitted(&job, 1, &sim.base_url()).unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    for _ in 0..3 {
        let (status, _) = post_async(addr, webhook_body(&job.id, "email-validation", "COMPLETED")).await;
        assert_eq!(status, 200);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while ledger.results(&job.id).unwrap().is_none() {
        assert!(Instant::now() < deadline, "the results were never stored");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stored = ledger.job(&job.id).unwrap().unwrap();
    assert_eq!(stored.status, JobStatus::Completed);
    assert_eq!(stored.completed_via, Some(EffectSource::Webhook));
    assert_eq!(ledger.effect_count().unwrap(), 1);
    assert_eq!(sim.results_gets()[&job.id], 1);

    let stats = receiver.stats();
    assert_eq!(
        (
            stats.invalid,
            stats.unknown_jobs,
            stats.effects,
            stats.duplicates,
            stats.fetches
        ),
        (2, 1, 1, 2, 1),
        "{stats:?}"
    );
    assert_eq!(receiver.shutdown(Duration::from_secs(5)).await, 0);

    let events = events.lock().unwrap();
    let count = |wanted: fn(&ListenerEvent) -> bool| events.iter().filter(|e| wanted(e)).count();
    assert_eq!(count(|e| matches!(e, ListenerEvent::Invalid { .. })), 2);
    assert_eq!(count(|e| matches!(e, ListenerEvent::UnknownJob { .. })), 1);
    assert_eq!(count(|e| matches!(e, ListenerEvent::Accepted { .. })), 1);
    assert_eq!(count(|e| matches!(e, ListenerEvent::Duplicate { .. })), 2);
    assert_eq!(
        count(|e| matches!(e, ListenerEvent::Stored { results: 1, .. })),
        1
    );
}

/// The webhook carries no signature: a forged `FAILED` (or an early
/// `COMPLETED`) for a running job only makes the receiver look at the API,
/// and the ledger keeps what the API says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_webhook_changes_nothing_the_api_does_not_confirm() {
    let config = SimConfig {
        processing_for: Duration::from_secs(3600),
        ..SimConfig::default()
    };
    let sim = Simulator::start(config).await.unwrap();
    let dir = tempfile::TempDir::with_prefix("matchkraft-forged-").unwrap();
    let ledger = Ledger::open(dir.path().join("ledger.sqlite3")).unwrap();
    let host = host(&sim);
    let (receiver, events) = receiver(host.clone(), ledger.clone()).await;
    let job = host
        .submit("running", Records::EmailValidation(vec!["john@gmail.com".into()]))
        .await
        .unwrap()
        .unwrap();
    ledger.record_submitted(&job, 1, &sim.base_url()).unwrap();

    for (n, claimed) in ["FAILED", "COMPLETED"].into_iter().enumerate() {
        let (status, _) = post_async(
            receiver.addr(),
            webhook_body(&job.id, "email-validation", claimed),
        )
        .await;
        assert_eq!(status, 200);
        let deadline = Instant::now() + Duration::from_secs(20);
        while events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| matches!(e, ListenerEvent::NotFinished { .. }))
            .count()
            <= n
        {
            assert!(Instant::now() < deadline, "{:?}", events.lock().unwrap());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let recorded = ledger.job(&job.id).unwrap().unwrap();
        assert!(!recorded.status.is_terminal(), "{claimed}: {recorded:?}");
        assert_eq!(recorded.completed_via, None, "{claimed}");
        assert!(
            ledger.pending().unwrap().iter().any(|p| p.id == job.id),
            "{claimed}"
        );
        assert!(!ledger.has_terminal_effect(&job.id).unwrap(), "{claimed}");
    }
    // One look at the API per claim, and no other reads.
    assert_eq!(sim.results_gets()[&job.id], 2);
    assert_eq!(receiver.shutdown(Duration::from_secs(5)).await, 0);
    let events = events.lock().unwrap();
    assert!(
        events
            .iter()
            .all(|e| !matches!(e, ListenerEvent::Failed { .. } | ListenerEvent::Stored { .. })),
        "{events:?}"
    );
    let warning = events
        .iter()
        .find(|e| matches!(e, ListenerEvent::NotFinished { .. }))
        .unwrap();
    assert!(warning.is_warning());
    assert!(warning.to_string().contains("the API says"), "{warning}");
}

/// Anyone who knows the URL can post junk; the warnings it causes are
/// summarised, not one line each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_strangers_does_not_flood_the_log() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::TempDir::with_prefix("matchkraft-flood-").unwrap();
    let ledger = Ledger::open(dir.path().join("ledger.sqlite3")).unwrap();
    let (receiver, events) = receiver(host(&sim), ledger).await;
    for i in 0..200 {
        let (status, _) = post_async(
            receiver.addr(),
            webhook_body(&format!("stranger-{i}"), "email-validation", "COMPLETED"),
        )
        .await;
        assert_eq!(status, 200);
    }
    assert_eq!(receiver.stats().unknown_jobs, 200);
    assert_eq!(receiver.shutdown(Duration::from_secs(5)).await, 0);
    let events = events.lock().unwrap();
    let warnings = events.iter().filter(|e| e.is_warning()).count();
    assert!(warnings <= 25, "{warnings} warnings for 200 posts");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ListenerEvent::Suppressed { count: 180, .. })),
        "{events:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_of_another_api_is_not_ours() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::TempDir::with_prefix("matchkraft-other-api-").unwrap();
    let ledger = Ledger::open(dir.path().join("ledger.sqlite3")).unwrap();
    let job = host(&sim)
        .submit(
            "elsewhere",
            Records::EmailValidation(vec!["john@gmail.com".into()]),
        )
        .await
        .unwrap()
        .unwrap();
    ledger
        .record_submitted(&job, 1, "https://app.matchkraft.com/api/v2")
        .unwrap();
    let receiver = listen("127.0.0.1:0".parse().unwrap(), host(&sim), ledger.clone(), |_| {})
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (status, _) = post_async(
        receiver.addr(),
        webhook_body(&job.id, "email-validation", "COMPLETED"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(receiver.stats().unknown_jobs, 1);
    assert_eq!(ledger.effect_count().unwrap(), 0);
    assert!(!sim.results_gets().contains_key(&job.id));
}

/// 1,000 jobs of all three types; each webhook is delivered one to five
/// times, each copy after its own random delay (so deliveries of different
/// jobs interleave out of order), into the receiver: one completion effect
/// and one results fetch per job, whatever the number of copies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_jobs_with_repeated_reordered_webhooks_complete_once_each() {
    const JOBS: usize = 1000;
    let started = Instant::now();
    let sim = Simulator::start(SimConfig {
        // Long enough that a job is always in the ledger before its webhook.
        pending_for: Duration::from_millis(200),
        processing_for: Duration::from_millis(300),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::TempDir::with_prefix("matchkraft-thousand-").unwrap();
    let ledger = Ledger::open(dir.path().join("ledger.sqlite3")).unwrap();
    let host = host(&sim);
    let receiver = listen(
        "127.0.0.1:0".parse().unwrap(),
        host.clone(),
        ledger.clone(),
        |_| {},
    )
    .await
    .unwrap();
    sim.set_webhook(Some(WebhookConfig {
        deliveries: (1, 5),
        jitter: Duration::from_millis(400),
        seed: 1000,
        ..WebhookConfig::new(receiver.url())
    }));

    // Submit, recording each job right after its submit returns.
    let base_url = sim.base_url();
    let permits = Arc::new(Semaphore::new(32));
    let mut submits = JoinSet::new();
    for i in 0..JOBS {
        let permit = Arc::clone(&permits).acquire_owned().await.unwrap();
        let (host, ledger, base_url) = (host.clone(), ledger.clone(), base_url.clone());
        submits.spawn(async move {
            let job = host
                .submit(&format!("load-{i}"), records(i))
                .await
                .unwrap()
                .unwrap();
            ledger.record_submitted(&job, 1, &base_url).unwrap();
            drop(permit);
            job.id
        });
    }
    let mut ids = Vec::with_capacity(JOBS);
    while let Some(id) = submits.join_next().await {
        ids.push(id.unwrap());
    }
    let submitted = started.elapsed();

    // Wait until every job has its results, then for the last copies to land.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ledger.pending().unwrap().is_empty() {
        assert!(
            Instant::now() < deadline,
            "{} jobs never completed",
            ledger.pending().unwrap().len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut attempts = sim.webhook_deliveries().len();
    loop {
        tokio::time::sleep(Duration::from_millis(700)).await;
        let now = sim.webhook_deliveries().len();
        if now == attempts {
            break;
        }
        attempts = now;
    }
    let elapsed = started.elapsed();

    let deliveries = sim.webhook_deliveries();
    assert!(
        deliveries.iter().all(|d| d.succeeded()),
        "a delivery was not acknowledged"
    );
    let mut copies: HashMap<&str, u32> = HashMap::new();
    for delivery in &deliveries {
        *copies.entry(delivery.job_id.as_str()).or_default() += 1;
    }
    assert_eq!(copies.len(), JOBS);
    let repeated = copies.values().filter(|&&n| n > 1).count();
    assert!(repeated > JOBS / 2, "only {repeated} jobs got more than one copy");
    // Out of order: some job's first webhook came after a later job's.
    let submission_order: HashMap<&str, usize> =
        ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
    let mut first_seen = Vec::new();
    for delivery in &deliveries {
        let position = submission_order[delivery.job_id.as_str()];
        if !first_seen.contains(&position) {
            first_seen.push(position);
        }
    }
    let inversions = first_seen.windows(2).filter(|w| w[0] > w[1]).count();
    assert!(inversions > 0, "the webhooks came in submission order");

    // Exactly one completion effect per job, every job has its results, and
    // no job's results were fetched twice.
    assert_eq!(ledger.effect_count().unwrap(), JOBS as u64);
    for id in &ids {
        let job = ledger.job(id).unwrap().unwrap();
        assert_eq!(job.status, JobStatus::Completed, "{job:?}");
        assert_eq!(job.result_count, Some(1), "{job:?}");
        assert_eq!(job.completed_via, Some(EffectSource::Webhook));
    }
    let gets = sim.results_gets();
    assert_eq!(gets.len(), JOBS);
    let fetched_twice = gets.values().filter(|&&n| n > 1).count();
    assert_eq!(fetched_twice, 0);

    let stats = receiver.stats();
    assert_eq!(stats.effects, JOBS as u64);
    assert_eq!(stats.duplicates as usize, deliveries.len() - JOBS);
    assert_eq!(
        (
            stats.unknown_jobs,
            stats.invalid,
            stats.errors,
            stats.fetch_failures
        ),
        (0, 0, 0, 0)
    );
    println!(
        "1,000 jobs: {} webhook deliveries ({repeated} jobs delivered more than once, {inversions} order \
         inversions), {} completion effects, {fetched_twice} results fetched twice; webhook ack latency \
         p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; submitted in {:.1} s, all done in {:.1} s",
        deliveries.len(),
        stats.effects,
        stats.ack_percentile(50.0).as_secs_f64() * 1000.0,
        stats.ack_percentile(99.0).as_secs_f64() * 1000.0,
        stats.ack_percentile(100.0).as_secs_f64() * 1000.0,
        submitted.as_secs_f64(),
        elapsed.as_secs_f64(),
    );
    assert_eq!(receiver.shutdown(Duration::from_secs(5)).await, 0);
}

/// POSTs `body` to `addr` over HTTP/1.1 and returns the status code and the
/// body of the answer.
fn post(addr: SocketAddr, body: &str) -> (u16, String) {
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
