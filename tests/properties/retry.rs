//! Retries: `retry::decide` and `Retry-After` (whole seconds and HTTP dates).

use matchkraft_component::retry::{self, Decision, Outcome, Policy, Verb};
use matchkraft_component::transport;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use std::cell::Cell;

use crate::text::any_text;

fn policy() -> BoxedStrategy<Policy> {
    let delay = || prop_oneof![3 => 0u64..20_000, 1 => any::<u64>()];
    (
        prop_oneof![3 => 0u32..8, 1 => any::<u32>()],
        delay(),
        delay(),
        delay(),
    )
        .prop_map(
            |(max_attempts, base_delay_ms, max_delay_ms, max_retry_after_ms)| Policy {
                max_attempts,
                base_delay_ms,
                max_delay_ms,
                max_retry_after_ms,
            },
        )
        .boxed()
}

fn outcome() -> BoxedStrategy<Outcome> {
    let status = prop_oneof![
        3 => select(vec![200u16, 201, 204, 299, 400, 401, 404, 408, 409, 422, 429, 500, 501, 502, 503, 504]),
        1 => any::<u16>(),
    ];
    let retry_after = option::of(prop_oneof![3 => 0u64..20_000, 1 => any::<u64>()]);
    prop_oneof![
        6 => (status, retry_after).prop_map(|(s, r)| Outcome::Status(s, r)),
        1 => Just(Outcome::Unusable),
        2 => any::<bool>().prop_map(|sent| Outcome::Failed { sent }),
    ]
    .boxed()
}

/// What the jitter function answers: a share of its bound, or (against the
/// contract) anything at all, which `decide` must still hold to the bound.
#[derive(Clone, Copy, Debug)]
enum Jitter {
    Share(u8),
    Anything(u64),
}

impl Jitter {
    fn of(self, n: u64) -> u64 {
        match self {
            Jitter::Share(k) => u64::try_from(u128::from(n) * u128::from(k) / 255).unwrap(),
            Jitter::Anything(x) => x,
        }
    }
}

fn jitter() -> BoxedStrategy<Jitter> {
    prop_oneof![3 => any::<u8>().prop_map(Jitter::Share), 1 => any::<u64>().prop_map(Jitter::Anything)]
        .boxed()
}

/// Where "now" is, relative to a `Retry-After` date.
#[derive(Clone, Copy, Debug)]
enum Now {
    Before(u64),
    After(u64),
    At(u64),
}

fn leap(year: u64) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Seconds since 1970 of a UTC time, counted the long way.
fn unix_seconds(year: u64, month: u64, day: u64, hour: u64, minute: u64, second: u64) -> u64 {
    let days_before_year: u64 = (1970..year).map(|y| if leap(y) { 366 } else { 365 }).sum();
    let days_before_month: u64 = (1..month).map(|m| days_in_month(year, m)).sum();
    (days_before_year + days_before_month + day - 1) * 86_400 + hour * 3600 + minute * 60 + second
}

fn verb() -> BoxedStrategy<Verb> {
    prop_oneof![Just(Verb::Get), Just(Verb::Post)].boxed()
}

proptest! {
    #![proptest_config(crate::config())]

    // Retry decisions stay within the policy.

    #[test]
    fn decide_stays_within_the_policy(
        policy in policy(),
        verb in verb(),
        outcome in outcome(),
        attempt in prop_oneof![3 => 0u32..10, 1 => any::<u32>()],
        remaining_ms in prop_oneof![3 => 0u64..30_000, 1 => any::<u64>()],
        jitter in jitter(),
    ) {
        let asked = Cell::new(None);
        let decision = retry::decide(&policy, verb, outcome, attempt, remaining_ms, |n| {
            asked.set(Some(n));
            jitter.of(n)
        });
        if let Some(n) = asked.get() {
            prop_assert!(n <= policy.max_delay_ms, "jitter asked for up to {}", n);
        }
        if let Decision::RetryAfter(wait) = decision {
            prop_assert!(wait <= policy.max_delay_ms.max(policy.max_retry_after_ms), "waits {}", wait);
            prop_assert!(wait < remaining_ms, "waits {} with {} left", wait, remaining_ms);
            prop_assert!(attempt < policy.max_attempts, "retries after attempt {}", attempt);
            prop_assert!(!matches!(outcome, Outcome::Status(200..=299, _) | Outcome::Unusable));
            prop_assert!(verb != Verb::Post || outcome != (Outcome::Failed { sent: true }), "POST resent");
            match outcome {
                Outcome::Status(status, retry_after) => {
                    let transient: &[u16] = match verb {
                        Verb::Get => &[408, 429, 500, 502, 503, 504],
                        Verb::Post => &[429, 503],
                    };
                    prop_assert!(transient.contains(&status), "{:?} retried on {}", verb, status);
                    if let Some(retry_after) = retry_after {
                        prop_assert_eq!(wait, retry_after);
                    }
                }
                Outcome::Failed { .. } => prop_assert!(wait <= policy.max_delay_ms),
                Outcome::Unusable => {}
            }
        }
    }

    #[test]
    fn decide_retries_what_it_may(
        policy in policy(),
        attempt in 1u32..10,
        sent in any::<bool>(),
        retry_after in 0u64..20_000,
        status in select(vec![429u16, 503]),
    ) {
        let policy = Policy { max_attempts: policy.max_attempts.max(attempt + 1), ..policy };
        prop_assert_eq!(
            retry::decide(&policy, Verb::Get, Outcome::Failed { sent }, attempt, u64::MAX, |_| 0),
            Decision::RetryAfter(0)
        );
        prop_assert_eq!(
            retry::decide(&policy, Verb::Post, Outcome::Failed { sent: false }, attempt, u64::MAX, |_| 0),
            Decision::RetryAfter(0)
        );
        let expected = if retry_after <= policy.max_retry_after_ms {
            Decision::RetryAfter(retry_after)
        } else {
            Decision::Stop
        };
        for verb in [Verb::Get, Verb::Post] {
            prop_assert_eq!(
                retry::decide(&policy, verb, Outcome::Status(status, Some(retry_after)), attempt, u64::MAX, |_| 0),
                expected
            );
        }
    }

    // Retry-After.

    #[test]
    fn retry_after_never_panics(
        value in prop_oneof![
            any_text(40),
            "[ \t]{0,2}[+-]?[0-9]{0,25}(\\.[0-9]{0,3})?[ \t]{0,2}",
            "(Mon|Thu|Sun|[A-Za-z]{0,4}), [0-9]{1,3} (Jan|Feb|Dec|Xyz|[a-z]{0,3}) [0-9+-]{3,5} [0-9:]{7,9} (GMT|UTC|[A-Z]{0,3})",
        ],
        now_unix_ms in any::<u64>(),
    ) {
        let parsed = transport::retry_after_ms(&value);
        // Padded whole seconds are whole seconds.
        if let Ok(seconds) = value.trim().parse::<u32>() {
            prop_assert_eq!(parsed, Some(u64::from(seconds) * 1000));
        }
        // A date is at most as far off as the latest date there is.
        if let Some(ms) = transport::retry_after_date_ms(&value, now_unix_ms) {
            prop_assert!(ms <= unix_seconds(9999, 12, 31, 23, 59, 60) * 1000, "{} ms", ms);
        }
    }

    #[test]
    fn http_dates_become_the_time_until_them(
        (year, month, day) in (1970u64..=9999, 1u64..=12)
            .prop_flat_map(|(y, m)| (Just(y), Just(m), 1..=days_in_month(y, m))),
        (hour, minute, second) in (0u64..24, 0u64..60, 0u64..=60),
        now in prop_oneof![
            (0u64..=86_400_000).prop_map(Now::Before),
            (0u64..=86_400_000).prop_map(Now::After),
            any::<u64>().prop_map(Now::At),
        ],
    ) {
        const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        let seconds = unix_seconds(year, month, day, hour, minute, second);
        let weekday = WEEKDAYS[usize::try_from(seconds / 86_400 % 7).unwrap()];
        let month_name = MONTHS[usize::try_from(month - 1).unwrap()];
        let date = format!("{weekday}, {day:02} {month_name} {year} {hour:02}:{minute:02}:{second:02} GMT");
        let at_ms = seconds * 1000;
        let now_unix_ms = match now {
            Now::Before(ms) => at_ms.saturating_sub(ms),
            Now::After(ms) => at_ms.saturating_add(ms),
            Now::At(ms) => ms,
        };
        prop_assert_eq!(
            transport::retry_after_date_ms(&date, now_unix_ms),
            Some(at_ms.saturating_sub(now_unix_ms)),
            "{}",
            date
        );
    }

    #[test]
    fn whole_seconds_become_milliseconds(seconds in any::<u32>()) {
        prop_assert_eq!(transport::retry_after_ms(&seconds.to_string()), Some(u64::from(seconds) * 1000));
    }
}
