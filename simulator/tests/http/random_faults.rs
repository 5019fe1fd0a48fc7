//! Random faults and the counts a soak test checks at the end.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use matchkraft_simulator::{Fault, RandomFaults, SimConfig, Simulator};

use crate::client::{self, Response};
use crate::{KEY, post};

const SUBMIT_BODY: &[u8] = br#"{"jobName":"soak","records":["john@gmail.com"]}"#;

async fn with_random_faults(rate: f64, seed: u64, kinds: Vec<Fault>) -> Simulator {
    Simulator::start(SimConfig {
        random_faults: Some(RandomFaults { rate, seed, kinds }),
        ..SimConfig::default()
    })
    .await
    .expect("start the simulator")
}

fn status(code: u16) -> Fault {
    Fault::Status {
        status: code,
        retry_after: None,
    }
}

/// Sends one submit and returns whatever came back (nothing, for a reset).
async fn submit_raw(sim: &Simulator) -> Option<Response> {
    let request = client::request("POST", "/api/v2/email-validation", Some(KEY), Some(SUBMIT_BODY));
    let exchange = client::exchange(sim.addr(), &request, Duration::from_secs(2)).await;
    assert!(exchange.closed);
    Response::parse(&exchange.bytes)
}

fn recorded_faults(sim: &Simulator) -> Vec<Option<String>> {
    sim.requests().into_iter().map(|r| r.fault).collect()
}

#[tokio::test]
async fn rate_zero_faults_nothing() {
    let sim = with_random_faults(0.0, 1, vec![Fault::HtmlWith200]).await;
    for _ in 0..20 {
        let response = submit_raw(&sim).await.expect("an answer");
        assert_eq!(response.status, 200);
        assert_eq!(response.json()["status"], "PENDING");
    }
    assert!(recorded_faults(&sim).iter().all(Option::is_none));
    let stats = sim.stats();
    assert_eq!((stats.requests, stats.faults, stats.jobs_created), (20, 0, 20));
    assert!(stats.faults_by_kind.is_empty());
}

#[tokio::test]
async fn rate_one_faults_every_request_as_recorded() {
    let kinds = vec![status(503), Fault::HtmlWith200, Fault::WrongContentType];
    let sim = with_random_faults(1.0, 3, kinds).await;
    let mut seen = Vec::new();
    for _ in 0..30 {
        seen.push(submit_raw(&sim).await.expect("an answer"));
    }
    let faults = recorded_faults(&sim);
    for (response, fault) in seen.iter().zip(&faults) {
        // The answer is the one the recorded fault gives.
        let content_type = response.header("content-type").unwrap();
        match fault.as_deref() {
            Some("Status") => assert_eq!(response.status, 503),
            Some("HtmlWith200") => assert!(content_type.starts_with("text/html")),
            Some("WrongContentType") => assert_eq!(content_type, "text/plain"),
            other => panic!("unexpected fault {other:?}"),
        }
    }
    let stats = sim.stats();
    assert_eq!((stats.requests, stats.faults, stats.random_faults), (30, 30, 30));
    assert_eq!(stats.scripted_faults, 0);
    assert_eq!(stats.faults_by_kind.values().sum::<usize>(), 30);
    assert_eq!(
        stats.faults_by_kind.len(),
        3,
        "every kind turns up: {:?}",
        stats.faults_by_kind
    );
    // Only WrongContentType does the work, so only it creates jobs.
    assert_eq!(stats.jobs_created, stats.faults_by_kind["WrongContentType"]);
}

#[tokio::test]
async fn the_same_seed_gives_the_same_faults_in_the_same_order() {
    let kinds = || {
        vec![
            status(500),
            Fault::HtmlWith200,
            Fault::TruncatedJson,
            Fault::ResetBeforeResponse,
        ]
    };
    let run = |seed| async move {
        let sim = with_random_faults(0.5, seed, kinds()).await;
        for _ in 0..40 {
            submit_raw(&sim).await;
        }
        recorded_faults(&sim)
    };
    let first = run(11).await;
    assert_eq!(first, run(11).await);
    assert_ne!(first, run(12).await);
    let faulted = first.iter().flatten().count();
    assert!((8..=32).contains(&faulted), "about half of 40: {faulted}");
}

#[tokio::test]
async fn scripted_faults_win_without_shifting_the_random_ones() {
    let kinds = || vec![Fault::HtmlWith200, Fault::WrongContentType];
    let plain = with_random_faults(0.5, 5, kinds()).await;
    let scripted = with_random_faults(0.5, 5, kinds()).await;
    scripted.inject(status(429), 2);
    for sim in [&plain, &scripted] {
        for _ in 0..12 {
            submit_raw(sim).await;
        }
    }
    let (plain_faults, scripted_faults) = (recorded_faults(&plain), recorded_faults(&scripted));
    assert_eq!(
        scripted_faults[..2],
        [Some("Status".into()), Some("Status".into())]
    );
    assert_eq!(scripted_faults[2..], plain_faults[2..]);

    let stats = scripted.stats();
    let random = plain_faults[2..].iter().flatten().count();
    assert_eq!((stats.scripted_faults, stats.random_faults), (2, random));
    assert_eq!(stats.faults, 2 + random);
    assert_eq!(stats.faults_by_kind["Status"], 2);
}

#[tokio::test]
async fn stats_count_jobs_by_name_even_when_the_client_saw_no_answer() {
    let sim = crate::start().await;
    let submit = |name: &str| serde_json::json!({"jobName": name, "records": ["a@b.c"]});
    post(&sim, "/api/v2/email-validation", &submit("a")).await;
    // The job is created but the client sees nothing: its retry duplicates it.
    sim.inject(Fault::ResetAfterCommit, 1);
    let request = client::request(
        "POST",
        "/api/v2/email-validation",
        Some(KEY),
        Some(submit("b").to_string().as_bytes()),
    );
    let lost = client::exchange(sim.addr(), &request, Duration::from_secs(2)).await;
    assert!(lost.bytes.is_empty());
    post(&sim, "/api/v2/email-validation", &submit("b")).await;
    let rejected = post(
        &sim,
        "/api/v2/email-validation",
        &serde_json::json!({"jobName": "c"}),
    )
    .await;
    assert_eq!(rejected.status, 400);

    let stats = sim.stats();
    assert_eq!((stats.requests, stats.jobs_created), (4, 3));
    let expected: HashMap<String, usize> = [("a".into(), 1), ("b".into(), 2)].into();
    assert_eq!(stats.jobs_by_name, expected);
    assert_eq!(sim.jobs_by_name(), expected);
    assert_eq!(stats.duplicate_job_names(), BTreeMap::from([("b".into(), 2)]));
    assert_eq!(
        stats.faults_by_kind,
        BTreeMap::from([("ResetAfterCommit".into(), 1)])
    );
    assert_eq!(sim.requests()[1].fault.as_deref(), Some("ResetAfterCommit"));
}

#[tokio::test]
async fn impossible_random_fault_settings_are_refused_at_start() {
    for random_faults in [
        RandomFaults {
            rate: 1.5,
            seed: 0,
            kinds: vec![Fault::HtmlWith200],
        },
        RandomFaults {
            rate: 0.5,
            seed: 0,
            kinds: Vec::new(),
        },
        RandomFaults {
            rate: 0.5,
            seed: 0,
            kinds: vec![status(42)],
        },
    ] {
        let refused = Simulator::start(SimConfig {
            random_faults: Some(random_faults),
            ..SimConfig::default()
        })
        .await
        .unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::InvalidInput);
    }
}
