//! The listener's unit tests.

use super::*;
use crate::types::JobType;

#[test]
fn percentiles_use_the_nearest_rank() {
    let stats = ListenerStats {
        ack_latencies: (1..=100).rev().map(Duration::from_millis).collect(),
        ..ListenerStats::default()
    };
    assert_eq!(stats.ack_percentile(50.0), Duration::from_millis(50));
    assert_eq!(stats.ack_percentile(99.0), Duration::from_millis(99));
    assert_eq!(stats.ack_percentile(100.0), Duration::from_millis(100));
    assert_eq!(stats.ack_percentile(0.0), Duration::from_millis(1));
    assert_eq!(ListenerStats::default().ack_percentile(50.0), Duration::ZERO);
}

#[test]
fn base_urls_compare_without_a_trailing_slash() {
    assert!(same_api(
        "http://127.0.0.1:1/api/v2/",
        "http://127.0.0.1:1/api/v2"
    ));
    assert!(!same_api(
        "http://127.0.0.1:1/api/v2",
        "http://127.0.0.1:2/api/v2"
    ));
}

#[test]
fn events_read_as_one_line() {
    let event = ListenerEvent::Stored {
        job_id: "j1".into(),
        job_type: JobType::DomainScan,
        results: 3,
    };
    assert_eq!(event.to_string(), "job j1 (domain-scan): 3 result(s) stored");
    assert!(!event.is_warning());
    assert!(ListenerEvent::UnknownJob { job_id: "x".into() }.is_warning());
}
