//! How often `run` asks for a job's status while waiting for it.

use std::time::Duration;

/// Intervals that start short, for jobs that finish in a second, and grow
/// ×1.5 up to a cap, for jobs that take minutes.
#[derive(Clone, Debug)]
pub(crate) struct Backoff {
    next: Duration,
    cap: Duration,
}

/// The first interval.
const FIRST: Duration = Duration::from_millis(200);
/// The longest interval.
const CAP: Duration = Duration::from_secs(5);
/// The first interval when a webhook is expected.
const FALLBACK_FIRST: Duration = Duration::from_secs(2);
/// The longest interval when a webhook is expected.
const FALLBACK_CAP: Duration = Duration::from_secs(15);

impl Backoff {
    /// 200 ms, 300 ms, 450 ms, … up to 5 s.
    pub(crate) fn new() -> Backoff {
        Backoff {
            next: FIRST,
            cap: CAP,
        }
    }

    /// For polling that only backs up a webhook: 2 s, 3 s, 4.5 s, … up to
    /// 15 s, so that a webhook that arrives on time saves every poll.
    pub(crate) fn fallback() -> Backoff {
        Backoff {
            next: FALLBACK_FIRST,
            cap: FALLBACK_CAP,
        }
    }

    /// The interval to wait now; the following one will be 1.5 times longer.
    pub(crate) fn next_interval(&mut self) -> Duration {
        let current = self.next;
        self.next = self.next.mul_f64(1.5).min(self.cap);
        current
    }

    /// Makes the next interval at least `wait`, even past the cap: the API
    /// asked for it (`Retry-After`).
    pub(crate) fn at_least(&mut self, wait: Duration) {
        self.next = self.next.max(wait);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_by_half_up_to_the_cap() {
        let mut backoff = Backoff::new();
        let millis: Vec<u128> = (0..12).map(|_| backoff.next_interval().as_millis()).collect();
        assert_eq!(
            millis,
            [200, 300, 450, 675, 1012, 1518, 2278, 3417, 5000, 5000, 5000, 5000]
        );
    }

    #[test]
    fn the_webhook_fallback_polls_less() {
        let mut backoff = Backoff::fallback();
        let secs: Vec<f64> = (0..6).map(|_| backoff.next_interval().as_secs_f64()).collect();
        assert_eq!(secs, [2.0, 3.0, 4.5, 6.75, 10.125, 15.0]);
    }

    #[test]
    fn retry_after_is_honoured_once() {
        let mut backoff = Backoff::new();
        backoff.at_least(Duration::from_secs(7));
        assert_eq!(backoff.next_interval(), Duration::from_secs(7));
        assert_eq!(backoff.next_interval(), Duration::from_secs(5));
    }
}
