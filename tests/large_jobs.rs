//! A 100,000-record job through the real component: everything comes back, in
//! order, and the guest's memory stays a small multiple of the payload.

use matchkraft_host::{HostConfig, JobStatus, JobType, MatchKraft, Records, ResultRecords};
use matchkraft_simulator::{SimConfig, Simulator};
use std::time::{Duration, Instant};

const RECORDS: usize = 100_000;

#[tokio::test]
async fn a_hundred_thousand_records_round_trip_with_bounded_memory() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let host = MatchKraft::new(
        matchkraft_artifacts::COMPONENT,
        HostConfig::new(sim.base_url()).with_api_key(sim.config().api_key.clone()),
    )
    .unwrap();
    let input: Vec<String> = (0..RECORDS).map(|i| format!("user.{i}@example.com")).collect();

    let started = Instant::now();
    let job = host
        .submit("large", Records::EmailValidation(input.clone()))
        .await
        .unwrap()
        .unwrap();
    let submitted_in = started.elapsed();
    let request_bytes = sim.requests()[0].body.len();

    let deadline = Instant::now() + Duration::from_secs(60);
    while !host
        .status(JobType::EmailValidation, &job.id)
        .await
        .unwrap()
        .unwrap()
        .status
        .is_terminal()
    {
        assert!(Instant::now() < deadline, "the job did not finish");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let started = Instant::now();
    let results = host
        .results(JobType::EmailValidation, &job.id)
        .await
        .unwrap()
        .unwrap();
    let fetched_in = started.elapsed();

    assert_eq!(results.job.status, JobStatus::Completed);
    let ResultRecords::EmailValidation(list) = results.records else {
        panic!("wrong result type")
    };
    assert_eq!(list.len(), RECORDS);
    assert!(
        list.iter()
            .zip(&input)
            .all(|(record, email)| record.email.as_deref() == Some(email.as_str()))
    );

    let response_bytes: usize = list.iter().map(|r| r.raw.len() + 1).sum::<usize>() + 100;
    let peak = host.peak_memory_bytes();
    println!(
        "{RECORDS} records: request {:.1} MB sent in {submitted_in:.2?}, results {:.1} MB parsed in {fetched_in:.2?}, \
         guest peak linear memory {:.1} MB ({:.2}x the results body)",
        request_bytes as f64 / 1e6,
        response_bytes as f64 / 1e6,
        peak as f64 / 1e6,
        peak as f64 / response_bytes as f64
    );
    // The body, its records with their raw JSON, and the lifted results all
    // live at once; more than 6x would mean a needless copy.
    assert!(
        peak < 6 * response_bytes,
        "peak {peak} bytes for a {response_bytes}-byte body"
    );
}
