//! Property: whatever records a caller submits, of any job type, come back
//! from `results` all there and in the same order, through the real component,
//! host and simulator.

use matchkraft_host::{Contact, HostConfig, JobType, MatchKraft, Records, ResultRecords};
use matchkraft_simulator::{SimConfig, Simulator};
use proptest::prelude::*;
use std::time::Duration;

/// Cases per run; each is a real job, so keep it modest (override with
/// `MATCHKRAFT_ROUND_TRIP_CASES`).
fn cases() -> u32 {
    std::env::var("MATCHKRAFT_ROUND_TRIP_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(24)
}

fn domain() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("gmail.com".to_string()),
        Just("acme.com".to_string()),
        Just("mailinator.com".to_string()),
        "[a-z][a-z0-9-]{0,10}[a-z0-9]\\.(com|io|org|co\\.uk)",
    ]
}

fn email() -> impl Strategy<Value = String> {
    ("[a-zA-Z0-9][a-zA-Z0-9._+-]{0,20}", domain()).prop_map(|(local, domain)| format!("{local}@{domain}"))
}

fn website() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("https"), Just("http")],
        domain(),
        "(/[a-z0-9]{1,8}){0,2}",
    )
        .prop_map(|(scheme, domain, path)| format!("{scheme}://{domain}{path}"))
}

/// Names of any script, with quotes, commas and inner spaces, never blank.
fn name() -> impl Strategy<Value = String> {
    "[\\p{L}'\",.-][\\p{L} '\",.-]{0,15}".prop_filter("not blank", |s| !s.trim().is_empty())
}

fn records() -> impl Strategy<Value = Records> {
    prop_oneof![
        prop::collection::vec(email(), 1..60).prop_map(Records::EmailValidation),
        prop::collection::vec(website(), 1..60).prop_map(Records::DomainScan),
        prop::collection::vec((name(), name(), website()), 1..60).prop_map(|contacts| {
            Records::EmailFinder(
                contacts
                    .into_iter()
                    .map(|(first_name, last_name, website)| Contact {
                        first_name,
                        last_name,
                        website,
                    })
                    .collect(),
            )
        }),
    ]
}

/// The echoed identity of each result, in order.
fn identities(results: &ResultRecords) -> Vec<String> {
    match results {
        ResultRecords::EmailValidation(list) => {
            list.iter().map(|r| r.email.clone().unwrap_or_default()).collect()
        }
        ResultRecords::DomainScan(list) => list
            .iter()
            .map(|r| r.website.clone().unwrap_or_default())
            .collect(),
        ResultRecords::EmailFinder(list) => list
            .iter()
            .map(|r| {
                let field = |f: &Option<String>| f.clone().unwrap_or_default();
                format!(
                    "{}|{}|{}",
                    field(&r.first_name),
                    field(&r.last_name),
                    field(&r.website)
                )
            })
            .collect(),
    }
}

fn input_identities(records: &Records) -> Vec<String> {
    match records {
        Records::EmailValidation(list) | Records::DomainScan(list) => list.clone(),
        Records::EmailFinder(list) => list
            .iter()
            .map(|c| format!("{}|{}|{}", c.first_name, c.last_name, c.website))
            .collect(),
    }
}

#[test]
fn any_records_round_trip_without_loss_or_reordering() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim = runtime
        .block_on(Simulator::start(SimConfig {
            pending_for: Duration::from_millis(1),
            processing_for: Duration::from_millis(5),
            ..SimConfig::default()
        }))
        .unwrap();
    let host = MatchKraft::new(
        matchkraft_artifacts::COMPONENT,
        HostConfig::new(sim.base_url()).with_api_key(sim.config().api_key.clone()),
    )
    .unwrap();
    let config = ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    };

    proptest!(config, |(records in records())| {
        let job_type = match &records {
            Records::EmailValidation(_) => JobType::EmailValidation,
            Records::DomainScan(_) => JobType::DomainScan,
            Records::EmailFinder(_) => JobType::EmailFinder,
        };
        let expected = input_identities(&records);
        let results = runtime.block_on(async {
            let job = host.submit("round trip", records).await.unwrap().expect("valid records are accepted");
            loop {
                let results = host.results(job_type, &job.id).await.unwrap().unwrap();
                if results.job.status.is_terminal() {
                    break results;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
        prop_assert_eq!(identities(&results.records), expected);
    });
}
