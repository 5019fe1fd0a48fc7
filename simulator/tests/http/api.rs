//! The API as a well-behaved client sees it: jobs, results, auth and errors.

use std::io::{Read, Write};
use std::time::Duration;

use matchkraft_simulator::{SimConfig, Simulator, find_email, scan_domain, validate_email};
use serde_json::{Value, json};

use crate::client::{self, Response};
use crate::{KEY, get, poll_until_done, post, start, submit};

fn to_json(value: impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap()
}

#[tokio::test]
async fn email_validation_results_follow_the_verdict_table() {
    let sim = start().await;
    let emails = [
        "john@gmail.com",
        "test@domain.com",
        "not-an-email",
        "x@mailinator.com",
        "spamtrap1@gmail.com",
        "info@acme.com",
        "someone@nowhere.example",
    ];
    let id = submit(&sim, "email-validation", "Leads", json!(emails)).await;
    let done = poll_until_done(&sim, "email-validation", &id).await;

    assert_eq!(done["status"], "COMPLETED");
    assert_eq!(done["progress"], 100);
    let expected: Vec<Value> = emails.iter().map(|e| to_json(validate_email(e))).collect();
    assert_eq!(done["results"], json!(expected));
    let statuses: Vec<&str> = expected.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(
        statuses,
        [
            "valid",
            "catch_all",
            "invalid",
            "disposable",
            "spam_trap",
            "role",
            "unknown"
        ]
    );
}

#[tokio::test]
async fn email_finder_results_follow_the_verdict_table() {
    let sim = start().await;
    let records = json!([
        {"firstName": "Arseniy", "lastName": "Grusha", "website": "https://dataprana.io"},
        {"firstName": "Randi", "lastName": "Zuckerberg", "website": "https://zuckerbergmedia.com"},
        {"firstName": "Wile", "lastName": "Coyote", "website": "http://www.acme.com/about"},
        {"firstName": "No", "lastName": "Body", "website": "https://unknown.org"}
    ]);
    let id = submit(&sim, "email-finder", "Finder", records.clone()).await;
    let done = poll_until_done(&sim, "email-finder", &id).await;

    let expected: Vec<Value> = records
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let field = |name: &str| r[name].as_str().unwrap();
            to_json(find_email(
                field("firstName"),
                field("lastName"),
                field("website"),
            ))
        })
        .collect();
    assert_eq!(done["results"], json!(expected));
    assert_eq!(done["results"][0]["email"], "arseniy@dataprana.io");
    assert_eq!(done["results"][0]["confidence"], 97);
    assert_eq!(done["results"][2]["email"], "wcoyote@acme.com");
    assert_eq!(done["results"][3]["email"], Value::Null);
}

#[tokio::test]
async fn domain_scan_results_follow_the_verdict_table() {
    let sim = start().await;
    let urls = [
        "https://dataprana.io",
        "https://example.com",
        "https://example2.com",
    ];
    let id = submit(&sim, "domain-scan", "Domain Scan", json!(urls)).await;
    let done = poll_until_done(&sim, "domain-scan", &id).await;

    let expected: Vec<Value> = urls.iter().map(|u| to_json(scan_domain(u))).collect();
    assert_eq!(done["results"], json!(expected));
    assert_eq!(done["results"][0]["emails"][2]["email"], "arseniy@dataprana.io");
    assert_eq!(done["results"][2]["emails"], json!([]));
}

#[tokio::test]
async fn a_job_is_pending_then_processing_then_done() {
    let sim = Simulator::start(SimConfig {
        pending_for: Duration::from_millis(150),
        processing_for: Duration::from_millis(400),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let id = submit(&sim, "domain-scan", "slow", json!(["acme.com"])).await;
    let path = format!("/api/v2/domain-scan/results/{id}");
    let first = get(&sim, &path).await.json();
    assert_eq!(
        first,
        json!({"jobId": id, "jobName": "slow", "jobType": "domain-scan",
               "status": "PENDING", "progress": 0})
    );
    // Well inside the PROCESSING window (150..550 ms) even on a busy machine.
    tokio::time::sleep(Duration::from_millis(250)).await;
    let middle = get(&sim, &path).await.json();
    assert_eq!(middle["status"], "PROCESSING");
    assert!(middle.get("results").is_none());
    assert_eq!(
        poll_until_done(&sim, "domain-scan", &id).await["status"],
        "COMPLETED"
    );
}

#[tokio::test]
async fn a_job_named_fail_ends_failed() {
    let sim = start().await;
    let id = submit(&sim, "email-validation", "FAIL please", json!(["john@gmail.com"])).await;
    let done = poll_until_done(&sim, "email-validation", &id).await;
    assert_eq!(done["status"], "FAILED");
    assert_eq!(done["error"], "simulated failure");
    assert!(done.get("results").is_none());
}

#[tokio::test]
async fn submit_answers_200_json_with_a_uuid_like_id() {
    let sim = start().await;
    let body = br#"{"jobName":"My Job","records":["john@gmail.com"]}"#;
    let response = client::send(
        sim.addr(),
        &client::request("POST", "/api/v2/email-validation", Some(KEY), Some(body)),
    )
    .await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let id = response.json()["jobId"].as_str().unwrap().to_owned();
    let lengths: Vec<usize> = id.split('-').map(str::len).collect();
    assert_eq!(lengths, [8, 4, 4, 4, 12]);
    assert_eq!(sim.job_count(), 1);

    let recorded = sim.requests();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].method, "POST");
    assert_eq!(recorded[0].path, "/api/v2/email-validation");
    assert!(recorded[0].authorized);
    assert_eq!(recorded[0].content_length, Some(body.len() as u64));
    assert!(!recorded[0].chunked);
    assert_eq!(recorded[0].content_type.as_deref(), Some("application/json"));
    assert_eq!(&recorded[0].body[..], body);
}

#[tokio::test]
async fn a_chunked_body_is_accepted_and_recorded_whole() {
    let sim = start().await;
    let chunks: [&[u8]; 3] = [
        br#"{"jobName":"chunky","#,
        br#""records":["john@"#,
        br#"gmail.com"]}"#,
    ];
    let response = client::send(
        sim.addr(),
        &client::chunked_post("/api/v2/email-validation", KEY, &chunks),
    )
    .await;
    assert_eq!(response.status, 200);
    let id = response.json()["jobId"].as_str().unwrap().to_owned();
    let done = poll_until_done(&sim, "email-validation", &id).await;
    assert_eq!(done["results"][0]["status"], "valid");

    let recorded = &sim.requests()[0];
    assert!(recorded.chunked);
    assert_eq!(recorded.content_length, None);
    assert_eq!(&recorded.body[..], chunks.concat());
}

#[tokio::test]
async fn requests_without_the_right_key_get_401_and_do_nothing() {
    let sim = start().await;
    let body = br#"{"jobName":"j","records":["a@b.co"]}"#;
    let path = "/api/v2/email-validation";
    let missing = client::send(sim.addr(), &client::request("POST", path, None, Some(body))).await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.message(), "Missing API key");

    let wrong_key = "not-the-key-123";
    let request = client::request("POST", path, Some(wrong_key), Some(body));
    let wrong = client::send(sim.addr(), &request).await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.message(), "Invalid API key");
    assert!(!String::from_utf8_lossy(&wrong.body).contains(wrong_key));

    // Auth comes before routing: unknown paths do not leak either.
    let unknown = client::send(sim.addr(), &client::request("GET", "/nope", None, None)).await;
    assert_eq!(unknown.status, 401);

    assert_eq!(sim.job_count(), 0);
    assert!(sim.requests().iter().all(|r| !r.authorized));
}

#[tokio::test]
async fn bad_submit_bodies_get_400_saying_what_is_wrong() {
    let sim = start().await;
    let cases: [(&str, &[u8], &str); 6] = [
        ("email-validation", b"{oops", "request body is not valid JSON"),
        (
            "email-validation",
            br#"{"records":["a@b.co"]}"#,
            "jobName is required",
        ),
        (
            "email-validation",
            br#"{"jobName":7,"records":["a@b.co"]}"#,
            "jobName must be a string",
        ),
        (
            "domain-scan",
            br#"{"jobName":"j","records":[]}"#,
            "records must not be empty",
        ),
        (
            "domain-scan",
            br#"{"jobName":"j","records":[{"url":"x"}]}"#,
            "records[0] must be a string",
        ),
        (
            "email-finder",
            br#"{"jobName":"j","records":[{"firstName":"A"}]}"#,
            "records[0].lastName",
        ),
    ];
    for (job_type, body, expected) in cases {
        let path = format!("/api/v2/{job_type}");
        let request = client::request("POST", &path, Some(KEY), Some(body));
        let response = client::send(sim.addr(), &request).await;
        assert_eq!(response.status, 400, "{}", String::from_utf8_lossy(body));
        assert!(
            response.message().starts_with(expected),
            "{:?} should start with {expected:?}",
            response.message()
        );
    }
    assert_eq!(sim.job_count(), 0);
}

#[tokio::test]
async fn a_body_announced_over_256_mib_gets_413_unread() {
    let sim = start().await;
    let request = format!(
        "POST /api/v2/domain-scan HTTP/1.1\r\nHost: x\r\nConnection: close\r\napikey: {KEY}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        256 * 1024 * 1024 + 1
    );
    let response = client::send(sim.addr(), request.as_bytes()).await;
    assert_eq!(response.status, 413);
    assert_eq!(sim.requests()[0].body.len(), 0);
}

#[tokio::test]
async fn unknown_jobs_wrong_types_paths_and_methods_get_json_errors() {
    let sim = start().await;
    let id = submit(&sim, "domain-scan", "j", json!(["acme.com"])).await;

    let unknown = get(
        &sim,
        "/api/v2/domain-scan/results/00000000-0000-4000-8000-000000000000",
    )
    .await;
    assert_eq!((unknown.status, unknown.message()), (404, "Job not found".into()));
    let wrong_type = get(&sim, &format!("/api/v2/email-finder/results/{id}")).await;
    assert_eq!(
        (wrong_type.status, wrong_type.message()),
        (404, "Job not found".into())
    );
    let right_type = get(&sim, &format!("/api/v2/domain-scan/results/{id}")).await;
    assert_eq!(right_type.status, 200);

    let no_route = get(&sim, "/api/v2/phone-finder").await;
    assert_eq!(
        (no_route.status, no_route.header("content-type")),
        (404, Some("application/json"))
    );

    let get_submit = get(&sim, "/api/v2/domain-scan").await;
    assert_eq!(
        (get_submit.status, get_submit.header("allow")),
        (405, Some("POST"))
    );
    let post_results = post(&sim, &format!("/api/v2/domain-scan/results/{id}"), &json!({})).await;
    assert_eq!(
        (post_results.status, post_results.header("allow")),
        (405, Some("GET"))
    );
}

#[tokio::test]
async fn shutdown_stops_accepting() {
    let sim = start().await;
    let addr = sim.addr();
    assert_eq!(get(&sim, "/api/v2/x").await.status, 404);
    sim.shutdown();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

/// The synchronous entry point, as a CLI's `main` would use it.
#[test]
fn a_background_simulator_serves_synchronous_callers() {
    let (sim, runtime) = Simulator::spawn_in_background(SimConfig::default()).unwrap();
    assert_eq!(sim.base_url(), format!("http://{}/api/v2", sim.addr()));

    let mut stream = std::net::TcpStream::connect(sim.addr()).unwrap();
    let body = br#"{"jobName":"sync","records":["https://acme.com"]}"#;
    stream
        .write_all(&client::request(
            "POST",
            "/api/v2/domain-scan",
            Some(KEY),
            Some(body),
        ))
        .unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).unwrap();
    let response = Response::parse(&bytes).unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(sim.job_count(), 1);

    // Shutting the runtime down does not wait for it, so give it a moment.
    drop(runtime);
    let gone = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(10));
        std::net::TcpStream::connect(sim.addr()).is_err()
    });
    assert!(gone, "runtime gone, server gone");
}

#[tokio::test]
async fn a_simulator_restarted_on_its_port_hands_out_new_job_ids() {
    // `matchkraft simulator` serves on a fixed port across restarts; a
    // ledger that kept the last run's jobs must never meet one of their ids
    // again (the port alone as the seed would repeat them).
    let first = Simulator::start_at(SimConfig::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .expect("bind");
    let addr = first.addr();
    let first_id = submit(&first, "email-validation", "a", json!(["john@gmail.com"])).await;
    first.shutdown();
    drop(first);
    let second = loop {
        // The port is free again once the server task has ended.
        match Simulator::start_at(SimConfig::default(), addr).await {
            Ok(sim) => break sim,
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    };
    assert_eq!(second.addr(), addr);
    assert_eq!(second.base_url(), format!("http://{addr}/api/v2"));
    let second_id = submit(&second, "email-validation", "a", json!(["john@gmail.com"])).await;
    assert_ne!(first_id, second_id, "a restarted simulator repeated a job id");
}
