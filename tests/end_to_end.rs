//! End to end: the real component, in the real wasmtime host, against the
//! simulator on 127.0.0.1. Nothing here reaches the internet.
//!
//! Each test starts its own simulator (faults are queued per simulator, so
//! tests cannot disturb each other) and shares one compiled component.

use matchkraft_host::{
    Contact, EmailStatus, Error, HostConfig, JobResults, JobStatus, JobType, KeyMode, MatchKraft, Records,
    ResultRecords,
};
use matchkraft_simulator::{Fault, SimConfig, Simulator};
use std::time::{Duration, Instant};

/// A simulator and a host pointed at it.
struct Harness {
    sim: Simulator,
    host: MatchKraft,
}

impl Harness {
    async fn start() -> Harness {
        Harness::with_env(&[]).await
    }

    /// `env` adds `MATCHKRAFT_*` settings for the component (timeouts, …).
    async fn with_env(env: &[(&str, &str)]) -> Harness {
        let sim = Simulator::start(SimConfig::default())
            .await
            .expect("simulator starts");
        let key = sim.config().api_key.clone();
        let host = host_for(&sim.base_url(), Some(key), env);
        Harness { sim, host }
    }

    /// Submits, polls `status` until the job is terminal, then fetches results.
    async fn run(&self, records: Records) -> JobResults {
        let job_type = job_type_of(&records);
        let job = self
            .host
            .submit("e2e", records)
            .await
            .unwrap()
            .expect("submit succeeds");
        assert_eq!(job.status, JobStatus::Pending);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let current = self
                .host
                .status(job_type, &job.id)
                .await
                .unwrap()
                .expect("status succeeds");
            assert_eq!(current.id, job.id);
            if matches!(current.status, JobStatus::Completed | JobStatus::Failed) {
                break;
            }
            assert!(Instant::now() < deadline, "job did not finish: {current:?}");
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
        self.host
            .results(job_type, &job.id)
            .await
            .unwrap()
            .expect("results succeed")
    }

    fn requests_to(&self, method: &str) -> usize {
        self.sim.requests().iter().filter(|r| r.method == method).count()
    }
}

fn host_for(base_url: &str, api_key: Option<String>, env: &[(&str, &str)]) -> MatchKraft {
    let config = HostConfig {
        base_url: base_url.to_string(),
        api_key,
        extra_env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..HostConfig::default()
    };
    MatchKraft::new(matchkraft_artifacts::COMPONENT, config).expect("component loads")
}

fn job_type_of(records: &Records) -> JobType {
    match records {
        Records::DomainScan(_) => JobType::DomainScan,
        Records::EmailValidation(_) => JobType::EmailValidation,
        Records::EmailFinder(_) => JobType::EmailFinder,
    }
}

fn emails(list: &[&str]) -> Records {
    Records::EmailValidation(list.iter().map(|s| s.to_string()).collect())
}

fn raw_json(raw: &str) -> serde_json::Value {
    serde_json::from_str(raw).expect("raw is JSON")
}

#[tokio::test]
async fn email_validation_returns_typed_verdicts_and_raw_records() {
    let h = Harness::start().await;
    let input = [
        "john@gmail.com",
        "test@domain.com",
        "info@acme.com",
        "x@mailinator.com",
        "spamtrap7@foo.org",
        "who@nowhere.example",
    ];
    let results = h.run(emails(&input)).await;
    assert_eq!(results.job.status, JobStatus::Completed);
    let ResultRecords::EmailValidation(list) = results.records else {
        panic!("wrong result type")
    };
    let statuses: Vec<_> = list.iter().map(|r| r.status.clone().unwrap()).collect();
    assert_eq!(
        statuses,
        [
            EmailStatus::Valid,
            EmailStatus::CatchAll,
            EmailStatus::Role,
            EmailStatus::Disposable,
            EmailStatus::SpamTrap,
            EmailStatus::Unknown
        ]
    );
    for (record, email) in list.iter().zip(input) {
        assert_eq!(record.email.as_deref(), Some(email));
        // The raw record is exactly what the simulator computes for the input.
        let expected = serde_json::to_value(matchkraft_simulator::validate_email(email)).unwrap();
        assert_eq!(raw_json(&record.raw), expected);
    }
    assert_eq!(list[0].verified, Some(true));
    assert_eq!(list[0].reason.as_deref(), Some("mailbox exists"));
}

#[tokio::test]
async fn email_finder_returns_found_addresses_and_confidence() {
    let h = Harness::start().await;
    let contact = |first: &str, last: &str, website: &str| Contact {
        first_name: first.into(),
        last_name: last.into(),
        website: website.into(),
    };
    let results = h
        .run(Records::EmailFinder(vec![
            contact("Arseniy", "Grusha", "https://dataprana.io"),
            contact("Randi", "Zuckerberg", "https://zuckerbergmedia.com"),
            contact("Ada", "Lovelace", "https://unknown-company.example"),
        ]))
        .await;
    let ResultRecords::EmailFinder(list) = results.records else {
        panic!("wrong result type")
    };
    assert_eq!(list.len(), 3);
    assert_eq!(list[0].email.as_deref(), Some("arseniy@dataprana.io"));
    assert_eq!(list[0].confidence, Some(97.0));
    assert_eq!(
        list[1].email.as_deref(),
        Some("randi.zuckerberg@zuckerbergmedia.com")
    );
    assert_eq!(list[1].first_name.as_deref(), Some("Randi"));
    assert_eq!((list[2].email.as_ref(), list[2].confidence), (None, None));
    assert_eq!(raw_json(&list[2].raw)["pattern"], serde_json::Value::Null);
}

#[tokio::test]
async fn domain_scan_returns_emails_per_website() {
    let h = Harness::start().await;
    let results = h
        .run(Records::DomainScan(vec![
            "https://dataprana.io".into(),
            "https://nobody.example/about".into(),
        ]))
        .await;
    let ResultRecords::DomainScan(list) = results.records else {
        panic!("wrong result type")
    };
    assert_eq!(list[0].domain.as_deref(), Some("dataprana.io"));
    let found: Vec<_> = list[0]
        .emails
        .iter()
        .map(|e| (e.email.as_str(), e.verified))
        .collect();
    assert_eq!(
        found,
        [
            ("info@dataprana.io", Some(true)),
            ("press@dataprana.io", Some(false)),
            ("arseniy@dataprana.io", Some(true))
        ]
    );
    assert_eq!(list[0].emails[2].kind.as_deref(), Some("personal"));
    assert!(list[1].emails.is_empty());
    assert_eq!(raw_json(&list[1].raw)["pagesScanned"], 1);
}

#[tokio::test]
async fn a_failed_job_reports_failed_without_results() {
    let h = Harness::start().await;
    let job = h
        .host
        .submit("FAIL on purpose", emails(&["a@gmail.com"]))
        .await
        .unwrap()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let results = h
        .host
        .results(JobType::EmailValidation, &job.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(results.job.status, JobStatus::Failed);
    assert_eq!(results.records, ResultRecords::EmailValidation(vec![]));
}

#[tokio::test]
async fn requests_carry_content_length_and_the_key_header() {
    let h = Harness::start().await;
    h.host
        .submit("cl", emails(&["john@gmail.com"]))
        .await
        .unwrap()
        .unwrap();
    let posts: Vec<_> = h
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 1);
    assert!(posts[0].authorized);
    assert!(!posts[0].chunked, "the body must not be chunked");
    assert_eq!(posts[0].content_length, Some(posts[0].body.len() as u64));
    assert_eq!(
        &posts[0].body[..],
        br#"{"jobName":"cl","records":["john@gmail.com"]}"#
    );
}

#[tokio::test]
async fn ten_thousand_records_round_trip_in_order() {
    let h = Harness::start().await;
    let input: Vec<String> = (0..10_000).map(|i| format!("user{i}@gmail.com")).collect();
    let results = h.run(Records::EmailValidation(input.clone())).await;
    let ResultRecords::EmailValidation(list) = results.records else {
        panic!("wrong result type")
    };
    let returned: Vec<String> = list.into_iter().map(|r| r.email.unwrap()).collect();
    assert_eq!(returned, input);
}

#[tokio::test]
async fn a_wrong_key_is_unauthorized() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let host = host_for(&sim.base_url(), Some("wrong-key".into()), &[]);
    let err = host
        .submit("job", emails(&["john@gmail.com"]))
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, Error::PermanentUnauthorized(_)), "{err:?}");
    assert_eq!(sim.job_count(), 0);
}

#[tokio::test]
async fn a_missing_key_is_unauthorized_with_a_hint() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let host = host_for(&sim.base_url(), None, &[]);
    match host.status(JobType::DomainScan, "some-job").await.unwrap() {
        Err(Error::PermanentUnauthorized(message)) => {
            assert!(message.contains("MATCHKRAFT_API_KEY"), "{message}")
        }
        other => panic!("expected unauthorized, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unknown_job_is_not_found() {
    let h = Harness::start().await;
    let err = h
        .host
        .results(JobType::EmailFinder, "no-such-job")
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, Error::PermanentNotFound(_)), "{err:?}");
    // A job id is looked up under its own type only.
    let job = h
        .host
        .submit("typed", emails(&["john@gmail.com"]))
        .await
        .unwrap()
        .unwrap();
    let err = h
        .host
        .status(JobType::DomainScan, &job.id)
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, Error::PermanentNotFound(_)), "{err:?}");
}

#[tokio::test]
async fn invalid_input_names_the_record_and_sends_nothing() {
    let h = Harness::start().await;
    let cases = [
        (emails(&["ok@gmail.com", "not-an-email"]), Some(1), "email"),
        (
            Records::DomainScan(vec!["example.com".into()]),
            Some(0),
            "website",
        ),
        (
            Records::EmailFinder(vec![Contact {
                first_name: "".into(),
                last_name: "X".into(),
                website: "https://acme.com".into(),
            }]),
            Some(0),
            "first-name",
        ),
        (Records::EmailValidation(vec![]), None, "records"),
    ];
    for (records, index, field) in cases {
        match h.host.submit("job", records).await.unwrap() {
            Err(Error::PermanentInvalidInput(e)) => {
                assert_eq!((e.index, e.field.as_str()), (index, field), "{}", e.message)
            }
            other => panic!("expected invalid input for {field}, got {other:?}"),
        }
    }
    let err = h
        .host
        .status(JobType::EmailValidation, "../../etc/passwd")
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(err, Error::PermanentInvalidInput(ref e) if e.field == "job-id"),
        "{err:?}"
    );
    assert!(
        h.sim.requests().is_empty(),
        "nothing may be sent for invalid input"
    );
}

#[tokio::test]
async fn requests_to_any_other_origin_are_denied_by_the_host() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let port = sim.addr().port();
    let ip = format!("http://127.0.0.1:{port}/api/v2");
    let name = format!("http://localhost:{port}/api/v2");
    // (origin the host allows, base URL the component is given)
    let hostile = [
        (ip.clone(), format!("http://127.0.0.1:{}/api/v2", port + 1)), // another port
        (ip.clone(), name.clone()),                                    // a name for the allowed IP
        (name.clone(), ip.clone()),                                    // an IP literal for the allowed name
        (ip.clone(), format!("https://127.0.0.1:{port}/api/v2")),      // another scheme
        (format!("https://localhost:{port}"), name.clone()),           // an http downgrade
        (ip.clone(), format!("http://user@127.0.0.1:{port}/api/v2")),  // user info
        (ip.clone(), format!("http://127.0.0.2:{port}/api/v2")),       // another loopback host
    ];
    for (allowed, base_url) in hostile {
        let config = HostConfig {
            base_url: base_url.clone(),
            api_key: Some(sim.config().api_key.clone()),
            allowed_origin: Some(allowed.clone()),
            ..HostConfig::default()
        };
        let host = MatchKraft::new(matchkraft_artifacts::COMPONENT, config).unwrap();
        let submitted = host.submit("job", emails(&["john@gmail.com"])).await.unwrap();
        assert!(
            matches!(submitted, Err(Error::PermanentConfig(_))),
            "{base_url} under {allowed}: {submitted:?}"
        );
        let status = host.status(JobType::EmailValidation, "any-job").await.unwrap();
        assert!(
            matches!(status, Err(Error::PermanentConfig(_))),
            "{base_url}: {status:?}"
        );
    }
    assert!(sim.requests().is_empty(), "a denied request must reach no server");
}

#[tokio::test]
async fn the_key_can_live_in_the_host_or_in_the_component() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    for key_mode in [KeyMode::Host, KeyMode::Guest] {
        let config = HostConfig {
            key_mode,
            ..HostConfig::new(sim.base_url()).with_api_key(sim.config().api_key.clone())
        };
        let host = MatchKraft::new(matchkraft_artifacts::COMPONENT, config).unwrap();
        let job = host.submit("keys", emails(&["john@gmail.com"])).await.unwrap();
        assert!(job.is_ok(), "{key_mode:?}: {job:?}");
    }
    assert!(sim.requests().iter().all(|r| r.authorized));
    assert_eq!(sim.job_count(), 2);
}

#[tokio::test]
async fn reads_are_retried_on_transient_failures() {
    let h = Harness::start().await;
    let job = h
        .host
        .submit("retry", emails(&["john@gmail.com"]))
        .await
        .unwrap()
        .unwrap();
    h.sim.inject(
        Fault::Status {
            status: 503,
            retry_after: None,
        },
        1,
    );
    h.sim.inject(Fault::ResetBeforeResponse, 1);
    let status = h
        .host
        .status(JobType::EmailValidation, &job.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.id, job.id);
    assert_eq!(h.requests_to("GET"), 3, "one 503, one reset, one success");
}

#[tokio::test]
async fn reads_give_up_after_the_attempt_limit() {
    let h = Harness::start().await;
    h.sim.inject(
        Fault::Status {
            status: 502,
            retry_after: None,
        },
        10,
    );
    let err = h
        .host
        .status(JobType::EmailValidation, "any-job")
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(err, Error::ServerError(ref e) if e.status == 502),
        "{err:?}"
    );
    assert_eq!(h.requests_to("GET"), 3);
}

#[tokio::test]
async fn a_submit_the_api_refused_is_retried_with_the_same_body() {
    let h = Harness::start().await;
    h.sim.inject(
        Fault::Status {
            status: 503,
            retry_after: Some("0".into()),
        },
        1,
    );
    let job = h
        .host
        .submit("again", emails(&["john@gmail.com"]))
        .await
        .unwrap()
        .unwrap();
    assert!(!job.id.is_empty());
    let posts: Vec<_> = h
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 2);
    assert_eq!(
        posts[0].body, posts[1].body,
        "a retried submit sends the same bytes"
    );
    assert_eq!(h.sim.job_count(), 1);
}

#[tokio::test]
async fn a_submit_that_may_have_landed_is_never_resent() {
    let h = Harness::start().await;
    for fault in [
        Fault::ResetAfterCommit,
        Fault::Status {
            status: 500,
            retry_after: None,
        },
    ] {
        h.sim.inject(fault.clone(), 1);
        let before = h.requests_to("POST");
        let err = h
            .host
            .submit("once", emails(&["john@gmail.com"]))
            .await
            .unwrap()
            .unwrap_err();
        assert!(
            matches!(err, Error::SubmitOutcomeUnknown(_)),
            "{fault:?}: {err:?}"
        );
        assert_eq!(
            h.requests_to("POST") - before,
            1,
            "{fault:?}: a doubtful submit must not be resent"
        );
    }
    // The reset came after the job was stored: it exists, and the caller was told it might.
    assert_eq!(h.sim.job_count(), 1);
}

#[tokio::test]
async fn a_long_retry_after_fails_fast_as_rate_limited() {
    let h = Harness::start().await;
    h.sim.inject(
        Fault::Status {
            status: 429,
            retry_after: Some("120".into()),
        },
        1,
    );
    let started = Instant::now();
    let err = h
        .host
        .status(JobType::DomainScan, "any-job")
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err, Error::RateLimited(Some(120_000)));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "must not sleep for the Retry-After"
    );
    assert_eq!(h.requests_to("GET"), 1);
}

#[tokio::test]
async fn a_retry_after_date_is_read_against_the_wall_clock() {
    let h = Harness::start().await;
    let in_two_minutes = std::time::SystemTime::now() + Duration::from_secs(120);
    h.sim.inject(
        Fault::Status {
            status: 429,
            retry_after: Some(http_date(in_two_minutes)),
        },
        1,
    );
    match h.host.status(JobType::DomainScan, "any-job").await.unwrap() {
        Err(Error::RateLimited(Some(ms))) => assert!((115_000..=121_000).contains(&ms), "{ms} ms"),
        other => panic!("expected rate-limited, got {other:?}"),
    }
}

/// An IMF-fixdate, as servers write `Retry-After`.
fn http_date(at: std::time::SystemTime) -> String {
    let secs = at.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since the epoch (Howard Hinnant's civil_from_days).
    let z = days + 719_468;
    let (era, doe) = (z / 146_097, z % 146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{weekday}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        months[month as usize - 1],
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[tokio::test]
async fn malformed_answers_are_decode_errors() {
    let h = Harness::with_env(&[("MATCHKRAFT_MAX_RESPONSE_BYTES", "4096")]).await;
    let job = h
        .host
        .submit("bodies", emails(&["john@gmail.com"]))
        .await
        .unwrap()
        .unwrap();
    for fault in [
        Fault::TruncatedJson,
        Fault::HtmlWith200,
        Fault::Oversized(100_000),
    ] {
        h.sim.inject(fault.clone(), 1);
        let before = h.requests_to("GET");
        let result = h.host.status(JobType::EmailValidation, &job.id).await.unwrap();
        assert!(matches!(result, Err(Error::Decode(_))), "{fault:?}: {result:?}");
        assert_eq!(
            h.requests_to("GET") - before,
            1,
            "{fault:?}: an unusable answer is not asked for again"
        );
    }
    // A JSON body with the wrong content type is still JSON: accepted.
    h.sim.inject(Fault::WrongContentType, 1);
    assert!(
        h.host
            .status(JobType::EmailValidation, &job.id)
            .await
            .unwrap()
            .is_ok()
    );
}

#[tokio::test]
async fn a_stalled_body_ends_in_a_timeout_not_a_hang() {
    let h = Harness::with_env(&[
        ("MATCHKRAFT_BETWEEN_BYTES_TIMEOUT_MS", "300"),
        ("MATCHKRAFT_MAX_ATTEMPTS", "1"),
    ])
    .await;
    h.sim.inject(Fault::StallBody, 1);
    let started = Instant::now();
    let err = h
        .host
        .status(JobType::EmailValidation, "stalled-job")
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, Error::Timeout(_) | Error::Transport(_)), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn wait_returns_once_the_job_is_done_and_polls_no_more() {
    let h = Harness::with_env(&[("MATCHKRAFT_POLL_INTERVAL_MS", "20")]).await;
    let job = h
        .host
        .submit("wait", emails(&["john@gmail.com"]))
        .await
        .unwrap()
        .unwrap();
    let results = h
        .host
        .wait(JobType::EmailValidation, &job.id, Duration::from_secs(10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(results.job.status, JobStatus::Completed);
    assert!(matches!(results.records, ResultRecords::EmailValidation(ref l) if l.len() == 1));
    let polls = h.requests_to("GET");
    assert!(
        (2..=40).contains(&polls),
        "{polls} polls for a job of about 250 ms"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        h.requests_to("GET"),
        polls,
        "nothing is polled after the job is terminal"
    );
}

#[tokio::test]
async fn wait_gives_up_at_its_deadline_with_the_job_to_resume() {
    let sim = Simulator::start(SimConfig {
        processing_for: Duration::from_secs(30),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let host = host_for(
        &sim.base_url(),
        Some(sim.config().api_key.clone()),
        &[("MATCHKRAFT_POLL_INTERVAL_MS", "50")],
    );
    let job = host
        .submit("slow", emails(&["john@gmail.com"]))
        .await
        .unwrap()
        .unwrap();
    let started = Instant::now();
    let err = host
        .wait(JobType::EmailValidation, &job.id, Duration::from_millis(400))
        .await
        .unwrap()
        .unwrap_err();
    let waited = started.elapsed();
    match err {
        Error::WaitTimeout(last) => {
            assert_eq!(last.id, job.id);
            assert!(
                matches!(last.status, JobStatus::Pending | JobStatus::Processing),
                "{:?}",
                last.status
            );
        }
        other => panic!("expected wait-timeout, got {other:?}"),
    }
    assert!(
        waited >= Duration::from_millis(400) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
}

#[tokio::test]
async fn wait_polls_through_transient_errors_but_not_permanent_ones() {
    let h = Harness::with_env(&[
        ("MATCHKRAFT_POLL_INTERVAL_MS", "20"),
        ("MATCHKRAFT_MAX_ATTEMPTS", "1"),
    ])
    .await;
    let job = h
        .host
        .submit("blips", emails(&["john@gmail.com"]))
        .await
        .unwrap()
        .unwrap();
    h.sim.inject(
        Fault::Status {
            status: 503,
            retry_after: None,
        },
        3,
    );
    let results = h
        .host
        .wait(JobType::EmailValidation, &job.id, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(results.is_ok(), "{results:?}");
    let err = h
        .host
        .wait(JobType::EmailValidation, "no-such-job", Duration::from_secs(10))
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, Error::PermanentNotFound(_)), "{err:?}");
}

#[tokio::test]
async fn webhooks_are_parsed_by_the_component() {
    let h = Harness::start().await;
    let event = h
        .host
        .parse_webhook(br#"{"event":"job.completed","jobId":"20f70187-b941-4bb0-b10f-599b025fc425","jobType":"email-finder","status":"COMPLETED"}"#)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event.job_type, Some(JobType::EmailFinder));
    assert_eq!(event.status, JobStatus::Completed);
    let path = h
        .host
        .results_path(JobType::EmailFinder, &event.job_id)
        .await
        .unwrap();
    assert_eq!(path, "/email-finder/results/20f70187-b941-4bb0-b10f-599b025fc425");

    let err = h
        .host
        .parse_webhook(br#"{"event":"job.completed"}"#)
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(err, Error::PermanentInvalidInput(ref e) if e.field == "jobId"),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_key_never_appears_in_errors() {
    const SENTINEL: &str = "sentinel-key-5f3a9c";
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let host = host_for(&sim.base_url(), Some(SENTINEL.into()), &[]);
    let mut seen = Vec::new();
    seen.push(format!(
        "{:?}",
        host.submit("job", emails(&["john@gmail.com"])).await
    ));
    seen.push(format!("{:?}", host.status(JobType::DomainScan, "x").await));
    sim.inject(Fault::HtmlWith200, 1);
    seen.push(format!("{:?}", host.results(JobType::DomainScan, "x").await));
    // A key that cannot be a header value: the host refuses it when it holds
    // the key, the component refuses it when it does, neither quotes it.
    let bad_key = format!("{SENTINEL}\nX-Evil: 1");
    let refused = MatchKraft::new(
        matchkraft_artifacts::COMPONENT,
        HostConfig::new(sim.base_url()).with_api_key(bad_key.clone()),
    );
    seen.push(format!("{:?}", refused.unwrap_err()));
    let guest_held = HostConfig {
        key_mode: KeyMode::Guest,
        ..HostConfig::new(sim.base_url()).with_api_key(bad_key)
    };
    let guest_held = MatchKraft::new(matchkraft_artifacts::COMPONENT, guest_held).unwrap();
    let result = guest_held.status(JobType::DomainScan, "x").await.unwrap();
    assert!(matches!(result, Err(Error::PermanentConfig(_))), "{result:?}");
    seen.push(format!("{result:?}"));
    for text in seen {
        assert!(!text.contains(SENTINEL), "the key leaked: {text}");
    }
}
