//! The host's own guarantees, checked with the real component: the request
//! allow-list, the call deadline and the memory cap. (The API behaviour
//! end to end is tested in the workspace's `tests/`.)

use std::net::TcpListener;
use std::time::{Duration, Instant};

use matchkraft_host::{Error, HostConfig, JobType, MatchKraft};
use matchkraft_simulator::{SimConfig, Simulator};

fn host(config: HostConfig) -> MatchKraft {
    MatchKraft::new(matchkraft_artifacts::COMPONENT, config).expect("the component loads")
}

#[tokio::test]
async fn requests_outside_the_allowed_origin_never_leave_the_host() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    // Allow another port of the same host: every request the component makes
    // to the simulator must be denied.
    let elsewhere = TcpListener::bind("127.0.0.1:0").unwrap();
    let config = HostConfig {
        base_url: sim.base_url(),
        api_key: Some("sim-key".into()),
        allowed_origin: Some(format!("http://{}", elsewhere.local_addr().unwrap())),
        ..HostConfig::default()
    };
    let answer = host(config)
        .status(JobType::EmailValidation, "0b6e3c1e-0000-4000-8000-000000000000")
        .await
        .expect("a denied request is a typed error, not a trap");
    let error = answer.expect_err("the request was denied");
    // The component reports a host that denies its request as a
    // configuration error.
    assert!(
        matches!(error, Error::PermanentConfig(_)),
        "unexpected error {error:?}"
    );
    assert!(sim.requests().is_empty(), "{:?}", sim.requests());
}

#[tokio::test]
async fn a_call_past_its_deadline_fails_with_an_outer_error() {
    // Accepts connections (the kernel's backlog) and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let config = HostConfig {
        base_url: format!("http://{}/api/v2", silent.local_addr().unwrap()),
        api_key: Some("k".into()),
        call_timeout: Duration::from_millis(500),
        ..HostConfig::default()
    };
    let host = host(config);
    let started = Instant::now();
    let error = host
        .status(JobType::DomainScan, "0b6e3c1e-0000-4000-8000-000000000000")
        .await
        .expect_err("the deadline passes");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(error.to_string().contains("500 ms"), "{error:#}");
}

#[tokio::test]
async fn the_memory_cap_applies() {
    let config = HostConfig {
        memory_limit: 64 * 1024,
        ..HostConfig::default()
    };
    let error = host(config)
        .results_path(JobType::EmailFinder, "abc")
        .await
        .expect_err("the component needs more than 64 KiB");
    let text = format!("{error:#}");
    assert!(text.contains("results-path"), "{text}");
}

#[tokio::test]
async fn exports_that_need_no_network() {
    let host = host(HostConfig::new("http://127.0.0.1:9/api/v2"));
    let path = host
        .results_path(JobType::EmailValidation, "0b6e3c1e-0000-4000-8000-000000000000")
        .await
        .unwrap();
    assert_eq!(
        path,
        "/email-validation/results/0b6e3c1e-0000-4000-8000-000000000000"
    );

    let body = br#"{"event":"job.completed","jobId":"0b6e3c1e-0000-4000-8000-000000000000",
                    "jobType":"email-finder","status":"COMPLETED"}"#;
    let event = host.parse_webhook(body).await.unwrap().unwrap();
    assert_eq!(event.job_type, Some(JobType::EmailFinder));
    assert_eq!(event.job_id, "0b6e3c1e-0000-4000-8000-000000000000");

    let error = host.parse_webhook(b"not json").await.unwrap().unwrap_err();
    assert!(error.is_permanent(), "{error:?}");
}

#[test]
fn extra_env_must_be_matchkraft_variables() {
    let config = HostConfig::default().with_env("PATH", "/usr/bin");
    let error = MatchKraft::new(matchkraft_artifacts::COMPONENT, config).unwrap_err();
    assert!(error.to_string().contains("PATH"), "{error}");
}

/// With the key held by the host, the component cannot know it: the host
/// itself replaces it in what a call returns, when the API echoes it.
#[tokio::test]
async fn a_key_the_api_echoes_is_redacted_by_the_host() {
    const KEY: &str = "host-held-sentinel-9d2e";
    let sim = Simulator::start(SimConfig {
        api_key: KEY.into(),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let host = host(HostConfig::new(sim.base_url()).with_api_key(KEY));
    for status in [401, 404, 500] {
        sim.inject(matchkraft_simulator::Fault::EchoKey { status }, 3);
        let error = host
            .status(JobType::EmailValidation, "0b6e3c1e-0000-4000-8000-000000000000")
            .await
            .unwrap()
            .unwrap_err();
        let shown = format!("{error:?} {}", error.message());
        assert!(!shown.contains(KEY), "{status}: {shown}");
        assert!(shown.contains("<redacted>"), "{status}: {shown}");
    }
}
