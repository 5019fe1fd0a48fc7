//! When to try a request again, and how long to wait first.
//!
//! The policy follows the AWS SDKs' "standard" mode and Stripe's clients: a
//! few attempts (3 by default), exponential backoff with full jitter, a cap on
//! every wait, and `Retry-After` honoured up to a cap. Above that cap the call
//! fails fast with `rate-limited(retry-after)` instead of sleeping for minutes
//! inside a workflow step; the engine can reschedule the step.
//!
//! Reads (GET) are idempotent and retried freely. A submit (POST) creates a
//! job that costs money, so it is retried only when the API provably did not
//! take it: the connection was never made, or the API said 429 or 503.
//!
//! The decision is a pure function ([`decide`]) so that every row of the
//! table below is tested without a network or a clock.
//!
//! | operation | outcome                                            | decision                          |
//! |-----------|----------------------------------------------------|-----------------------------------|
//! | any       | 2xx                                                | done                              |
//! | any       | a response that cannot be used (over the size cap) | stop: `decode`                    |
//! | any       | 429 or 503 with `Retry-After` above the cap        | stop: `rate-limited` / server error |
//! | any       | attempts used up, or the deadline would pass       | stop with the last error          |
//! | GET       | connection failed, timed out, or was cut off       | retry                             |
//! | GET       | 408, 429, 500, 502, 503, 504                       | retry                             |
//! | GET       | any other status                                   | stop                              |
//! | POST      | failed before the request was sent                 | retry                             |
//! | POST      | failed after the request may have been sent        | stop: `submit-outcome-unknown`    |
//! | POST      | 429 or 503 (the API refused the job)               | retry                             |
//! | POST      | 408, 500, 502, 504 (the job may exist)             | stop: `submit-outcome-unknown`    |
//! | POST      | any other status                                   | stop                              |
//!
//! A wait is `Retry-After` when the answer carried one, else a random time
//! between 0 and `min(max_delay, base_delay × 2^(attempt-1))`.
//!
//! A POST that its receiver deduplicates (the webhook relay's delivery, which
//! carries an `Idempotency-Key`) follows the GET rows: see
//! `Client::post_idempotent`.

/// The HTTP methods the API uses. It lives here, with the decision table
/// that tells them apart, so that this module depends on nothing else in the
/// crate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    /// Read a job.
    Get,
    /// Submit a job.
    Post,
}

/// How persistent to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Attempts in all, the first included (`MATCHKRAFT_MAX_ATTEMPTS`).
    pub max_attempts: u32,
    /// The first backoff step.
    pub base_delay_ms: u64,
    /// No computed backoff is longer than this.
    pub max_delay_ms: u64,
    /// A `Retry-After` longer than this is not waited for
    /// (`MATCHKRAFT_MAX_RETRY_AFTER_MS`).
    pub max_retry_after_ms: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_attempts: 3,
            base_delay_ms: 200,
            max_delay_ms: 5_000,
            max_retry_after_ms: 10_000,
        }
    }
}

/// What one attempt came to, as far as retrying is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A complete response with this status and `Retry-After` (milliseconds).
    Status(u16, Option<u64>),
    /// A response arrived that cannot be used, and would not improve if asked
    /// for again (larger than the size cap).
    Unusable,
    /// No complete response; `sent` says whether the request may have reached
    /// the server.
    Failed {
        /// Whether the server may have seen the request.
        sent: bool,
    },
}

/// What to do after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long, then try again.
    RetryAfter(u64),
    /// Stop here and report the attempt's outcome.
    Stop,
}

/// Decides after attempt number `attempt` (1-based). `remaining_ms` is the time
/// left before the call's deadline; `jitter(n)` returns a number in `0..=n`.
pub fn decide(
    policy: &Policy,
    verb: Verb,
    outcome: Outcome,
    attempt: u32,
    remaining_ms: u64,
    jitter: impl FnOnce(u64) -> u64,
) -> Decision {
    let retryable = match (verb, outcome) {
        (_, Outcome::Status(200..=299, _) | Outcome::Unusable) => false,
        (Verb::Get, Outcome::Failed { .. }) => true,
        (Verb::Get, Outcome::Status(status, _)) => matches!(status, 408 | 429 | 500 | 502 | 503 | 504),
        (Verb::Post, Outcome::Failed { sent }) => !sent,
        (Verb::Post, Outcome::Status(status, _)) => matches!(status, 429 | 503),
    };
    if !retryable || attempt >= policy.max_attempts {
        return Decision::Stop;
    }
    let wait = match outcome {
        Outcome::Status(_, Some(retry_after)) if retry_after > policy.max_retry_after_ms => {
            return Decision::Stop;
        }
        Outcome::Status(_, Some(retry_after)) => retry_after,
        _ => {
            let exponent = attempt.saturating_sub(1).min(20);
            let ceiling = policy
                .base_delay_ms
                .saturating_mul(1 << exponent)
                .min(policy.max_delay_ms);
            jitter(ceiling).min(ceiling)
        }
    };
    if wait >= remaining_ms {
        return Decision::Stop;
    }
    Decision::RetryAfter(wait)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Verb::{Get, Post};

    const P: Policy = Policy {
        max_attempts: 3,
        base_delay_ms: 200,
        max_delay_ms: 5_000,
        max_retry_after_ms: 10_000,
    };
    const PLENTY: u64 = 60_000;

    fn after_first(verb: Verb, outcome: Outcome) -> Decision {
        decide(&P, verb, outcome, 1, PLENTY, |n| n)
    }

    /// Every row of the table in the module docs, in order.
    #[test]
    fn the_decision_table() {
        let status = |s| Outcome::Status(s, None);
        let retry = |ms| Decision::RetryAfter(ms);
        // any: 2xx is done.
        for verb in [Get, Post] {
            assert_eq!(after_first(verb, status(200)), Decision::Stop);
            assert_eq!(after_first(verb, status(204)), Decision::Stop);
        }
        // any: an unusable response stops.
        for verb in [Get, Post] {
            assert_eq!(after_first(verb, Outcome::Unusable), Decision::Stop);
        }
        // any: Retry-After above the cap fails fast; at the cap it is waited for.
        for verb in [Get, Post] {
            assert_eq!(
                after_first(verb, Outcome::Status(429, Some(10_001))),
                Decision::Stop
            );
            assert_eq!(
                after_first(verb, Outcome::Status(503, Some(60_000))),
                Decision::Stop
            );
            assert_eq!(
                after_first(verb, Outcome::Status(429, Some(10_000))),
                retry(10_000)
            );
        }
        // any: attempts used up, or the wait would outlast the deadline.
        assert_eq!(decide(&P, Get, status(503), 3, PLENTY, |n| n), Decision::Stop);
        assert_eq!(decide(&P, Get, status(503), 1, 150, |n| n), Decision::Stop);
        assert_eq!(
            decide(&P, Get, Outcome::Status(429, Some(2_000)), 1, 1_000, |n| n),
            Decision::Stop
        );
        // GET: connection failures of every kind are retried.
        assert_eq!(after_first(Get, Outcome::Failed { sent: false }), retry(200));
        assert_eq!(after_first(Get, Outcome::Failed { sent: true }), retry(200));
        // GET: transient statuses are retried.
        for s in [408, 429, 500, 502, 503, 504] {
            assert_eq!(after_first(Get, status(s)), retry(200), "GET {s}");
        }
        // GET: any other status stops.
        for s in [400, 401, 403, 404, 409, 422, 501, 505] {
            assert_eq!(after_first(Get, status(s)), Decision::Stop, "GET {s}");
        }
        // POST: retried only when provably not sent ...
        assert_eq!(after_first(Post, Outcome::Failed { sent: false }), retry(200));
        assert_eq!(after_first(Post, Outcome::Failed { sent: true }), Decision::Stop);
        // ... or explicitly refused.
        assert_eq!(after_first(Post, status(429)), retry(200));
        assert_eq!(after_first(Post, status(503)), retry(200));
        // POST: ambiguous server failures and everything else stop.
        for s in [408, 500, 502, 504, 400, 401, 404, 409] {
            assert_eq!(after_first(Post, status(s)), Decision::Stop, "POST {s}");
        }
    }

    #[test]
    fn backoff_grows_exponentially_is_capped_and_jittered() {
        let ceiling = |attempt| match decide(&P, Get, Outcome::Failed { sent: true }, attempt, PLENTY, |n| n)
        {
            Decision::RetryAfter(ms) => ms,
            Decision::Stop => panic!("stopped"),
        };
        let many = Policy {
            max_attempts: 10,
            ..P
        };
        let ceiling_many =
            |attempt| match decide(&many, Get, Outcome::Failed { sent: true }, attempt, PLENTY, |n| n) {
                Decision::RetryAfter(ms) => ms,
                Decision::Stop => panic!("stopped"),
            };
        assert_eq!((ceiling(1), ceiling(2)), (200, 400));
        assert_eq!(ceiling_many(5), 3_200);
        assert_eq!(ceiling_many(6), 5_000);
        assert_eq!(ceiling_many(9), 5_000);
        // Full jitter: the wait is whatever the jitter picks below the ceiling.
        assert_eq!(
            decide(&P, Get, Outcome::Failed { sent: true }, 2, PLENTY, |_| 17),
            Decision::RetryAfter(17)
        );
        // A jitter that overshoots is held to the ceiling.
        assert_eq!(
            decide(&P, Get, Outcome::Failed { sent: true }, 1, PLENTY, |n| n * 10),
            Decision::RetryAfter(200)
        );
    }
}
