//! Webhook delivery, seen from a receiver on the other end of the socket.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use matchkraft_simulator::{SimConfig, Simulator, WebhookConfig};
use serde_json::json;

use crate::receiver::Receiver;
use crate::{poll_until_done, start, submit};

const ONE_EMAIL: &str = "john@gmail.com";

/// Submits `n` email-validation jobs named `{prefix}-{i}` and returns their ids.
async fn submit_jobs(sim: &Simulator, prefix: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(
            submit(
                sim,
                "email-validation",
                &format!("{prefix}-{i}"),
                json!([ONE_EMAIL]),
            )
            .await,
        );
    }
    ids
}

#[tokio::test]
async fn each_job_is_announced_one_to_five_times_with_the_documented_payload() {
    let sim = start().await;
    // The receiver fetches results on arrival, as the docs tell it to.
    let receiver = Receiver::start(Vec::new(), Some(sim.addr())).await;
    sim.set_webhook(Some(WebhookConfig {
        url: receiver.url("/hooks/mk"),
        deliveries: (1, 5),
        delay: Duration::from_millis(10),
        jitter: Duration::from_millis(80),
        max_retries: 0,
        seed: 7,
    }));

    let mut jobs = BTreeMap::new(); // id -> (jobType, final status)
    for (job_type, name, records, status) in [
        ("email-validation", "v", json!([ONE_EMAIL]), "COMPLETED"),
        ("domain-scan", "d", json!(["https://example.com"]), "COMPLETED"),
        (
            "email-finder",
            "f",
            json!([{"firstName": "A", "lastName": "B", "website": "https://acme.com"}]),
            "COMPLETED",
        ),
        ("email-validation", "FAIL v", json!([ONE_EMAIL]), "FAILED"),
    ] {
        let id = submit(&sim, job_type, name, records).await;
        jobs.insert(id, (job_type, status));
    }
    for id in submit_jobs(&sim, "bulk", 8).await {
        jobs.insert(id, ("email-validation", "COMPLETED"));
    }

    let received = receiver.settle(jobs.len(), Duration::from_millis(250)).await;
    let mut per_job: HashMap<String, usize> = HashMap::new();
    for webhook in &received {
        assert_eq!(
            (webhook.method.as_str(), webhook.path.as_str()),
            ("POST", "/hooks/mk")
        );
        assert_eq!(webhook.header("content-type"), Some("application/json"));
        assert_eq!(
            webhook.header("content-length"),
            Some(webhook.body.len().to_string().as_str())
        );
        let id = webhook.job_id();
        let (job_type, status) = jobs[&id];
        // Byte for byte, in the documented field order.
        let expected = format!(
            r#"{{"event":"job.completed","jobId":"{id}","jobType":"{job_type}","status":"{status}"}}"#
        );
        assert_eq!(String::from_utf8_lossy(&webhook.body), expected);
        assert_eq!(
            webhook.results_status.as_deref(),
            Some(status),
            "the results endpoint already shows the job finished"
        );
        *per_job.entry(id).or_default() += 1;
    }
    assert_eq!(per_job.len(), jobs.len(), "every job is announced");
    assert!(per_job.values().all(|n| (1..=5).contains(n)), "{per_job:?}");
    assert!(
        per_job.values().any(|&n| n > 1),
        "some are duplicated: {per_job:?}"
    );

    // The simulator's log agrees with what arrived.
    let deliveries = sim.webhook_deliveries();
    assert_eq!(deliveries.len(), received.len());
    assert!(
        deliveries
            .iter()
            .all(|d| d.status_code == Some(200) && d.attempt == 1)
    );
    for (id, &n) in &per_job {
        let mut copies: Vec<u32> = deliveries
            .iter()
            .filter(|d| &d.job_id == id)
            .map(|d| d.delivery)
            .collect();
        copies.sort_unstable();
        assert_eq!(copies, (1..=n as u32).collect::<Vec<_>>());
    }
    let stats = sim.stats();
    assert_eq!(
        (stats.webhook_attempts, stats.webhook_successes),
        (received.len(), received.len())
    );
}

#[tokio::test]
async fn a_receiver_answering_500_is_retried_with_a_growing_backoff() {
    let sim = start().await;
    let receiver = Receiver::start(vec![500, 503], None).await;
    sim.set_webhook(Some(WebhookConfig {
        max_retries: 3,
        ..WebhookConfig::new(receiver.url("/retry"))
    }));
    let id = submit_jobs(&sim, "retry", 1).await.remove(0);

    let received = receiver.settle(3, Duration::from_millis(250)).await;
    let answered: Vec<u16> = received.iter().map(|r| r.answered).collect();
    assert_eq!(answered, [500, 503, 200], "retried until a 2xx, then no more");
    assert!(received.iter().all(|r| r.job_id() == id));
    assert!(received[1].at - received[0].at >= Duration::from_millis(50));
    assert!(received[2].at - received[1].at >= Duration::from_millis(100));

    let deliveries = sim.webhook_deliveries();
    let log: Vec<(u32, u32, Option<u16>)> = deliveries
        .iter()
        .map(|d| (d.delivery, d.attempt, d.status_code))
        .collect();
    assert_eq!(log, [(1, 1, Some(500)), (1, 2, Some(503)), (1, 3, Some(200))]);
    assert!(deliveries.iter().all(|d| d.url == receiver.url("/retry")));
}

#[tokio::test]
async fn retries_stop_when_they_are_used_up() {
    let sim = start().await;
    let receiver = Receiver::start(vec![500; 10], None).await;
    sim.set_webhook(Some(WebhookConfig {
        max_retries: 1,
        ..WebhookConfig::new(receiver.url("/"))
    }));
    submit_jobs(&sim, "give-up", 1).await;
    let received = receiver.settle(2, Duration::from_millis(250)).await;
    assert_eq!(received.len(), 2, "the attempt and one retry");
    let stats = sim.stats();
    assert_eq!((stats.webhook_attempts, stats.webhook_successes), (2, 0));
}

#[tokio::test]
async fn a_receiver_that_is_down_does_not_break_the_simulator() {
    // A port that was free a moment ago and has nobody listening now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sim = Simulator::start(SimConfig {
        pending_for: Duration::from_millis(10),
        processing_for: Duration::from_millis(20),
        webhook: Some(WebhookConfig {
            deliveries: (2, 2),
            max_retries: 2,
            ..WebhookConfig::new(format!("http://127.0.0.1:{port}/down"))
        }),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let ids = submit_jobs(&sim, "down", 3).await;
    for id in &ids {
        assert_eq!(
            poll_until_done(&sim, "email-validation", id).await["status"],
            "COMPLETED"
        );
    }

    // 3 jobs × 2 copies × (1 attempt + 2 retries), none answered.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while sim.webhook_deliveries().len() < 18 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let deliveries = sim.webhook_deliveries();
    assert_eq!(deliveries.len(), 18);
    assert!(
        deliveries
            .iter()
            .all(|d| d.status_code.is_none() && !d.succeeded())
    );
    for id in &ids {
        for copy in 1..=2 {
            let mut attempts: Vec<u32> = deliveries
                .iter()
                .filter(|d| &d.job_id == id && d.delivery == copy)
                .map(|d| d.attempt)
                .collect();
            attempts.sort_unstable();
            assert_eq!(attempts, [1, 2, 3]);
        }
    }
    // Still serving.
    submit_jobs(&sim, "after", 1).await;
    assert_eq!(sim.job_count(), 4);
}

#[tokio::test]
async fn switching_the_webhook_off_stops_deliveries_and_on_again_resumes() {
    let sim = start().await;
    let receiver = Receiver::start(Vec::new(), None).await;
    let config = WebhookConfig {
        delay: Duration::from_millis(250),
        ..WebhookConfig::new(receiver.url("/toggle"))
    };
    sim.set_webhook(Some(config.clone()));
    assert_eq!(sim.webhook(), Some(config.clone()));
    // These finish (and so are due) while the webhook is on, but it is
    // switched off before their delay has passed.
    let ids = submit_jobs(&sim, "off", 3).await;
    for id in &ids {
        poll_until_done(&sim, "email-validation", id).await;
    }
    sim.set_webhook(None);
    assert_eq!(sim.webhook(), None);
    assert_eq!(sim.config().webhook, None, "config() keeps the start setting");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(receiver.received().is_empty());
    assert!(sim.webhook_deliveries().is_empty());

    // Jobs that finish while it is on again are announced; the abandoned
    // ones stay abandoned.
    sim.set_webhook(Some(WebhookConfig {
        delay: Duration::ZERO,
        ..config
    }));
    let id = submit_jobs(&sim, "on", 1).await.remove(0);
    let received = receiver.settle(1, Duration::from_millis(250)).await;
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].job_id(), id);
}

#[tokio::test]
async fn shutdown_cancels_pending_deliveries() {
    let sim = start().await;
    let receiver = Receiver::start(Vec::new(), None).await;
    sim.set_webhook(Some(WebhookConfig {
        delay: Duration::from_millis(200),
        ..WebhookConfig::new(receiver.url("/"))
    }));
    let id = submit_jobs(&sim, "late", 1).await.remove(0);
    poll_until_done(&sim, "email-validation", &id).await;
    sim.shutdown();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn webhook_urls_off_the_machine_are_refused() {
    let refused = Simulator::start(SimConfig {
        webhook: Some(WebhookConfig::new("http://example.com/hook")),
        ..SimConfig::default()
    })
    .await
    .unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::InvalidInput);
    assert!(refused.to_string().contains("example.com"), "{refused}");

    let sim = start().await;
    let https = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        sim.set_webhook(Some(WebhookConfig::new("https://127.0.0.1:1/")));
    }));
    assert!(https.is_err(), "set_webhook refuses it");
    assert_eq!(sim.webhook(), None, "and keeps the previous setting");
}
