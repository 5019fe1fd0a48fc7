//! `Retry-After` parsing: `transport::retry_after_ms` (whole seconds) and
//! `transport::retry_after_date_ms` (an IMF-fixdate, relative to now).
//!
//! Input layout: bytes 0-7 are "now" in Unix milliseconds (big-endian `u64`,
//! missing bytes read as 0); the rest is the header value, decoded as the
//! transport decodes header bytes (`String::from_utf8_lossy`). Checks:
//! - seconds become whole milliseconds (saturating at `u64::MAX`), and the
//!   canonical spelling of the same number of seconds reads the same;
//! - a date reads as `date - now`, 0 for a date in the past: the answer at
//!   any `now` is the answer at `now = 0` minus `now`, saturating;
//! - a date is whole seconds, no later than 9999-12-31 23:59:60, and ends in
//!   ` GMT` (the only zone IMF-fixdate allows).

#![no_main]

use libfuzzer_sys::fuzz_target;
use matchkraft_component::transport;

/// 9999-12-31 23:59:60 UTC in Unix milliseconds: the latest 4-digit-year date.
const LATEST_MS: u64 = (253_402_300_799 + 1) * 1000;

fuzz_target!(|data: &[u8]| {
    let mut now = [0u8; 8];
    let split = data.len().min(now.len());
    now[..split].copy_from_slice(&data[..split]);
    let now = u64::from_be_bytes(now);
    let value = String::from_utf8_lossy(&data[split..]);

    if let Some(ms) = transport::retry_after_ms(&value) {
        assert!(ms % 1000 == 0 || ms == u64::MAX, "{value:?} gave {ms} ms");
        if ms != u64::MAX {
            assert_eq!(transport::retry_after_ms(&(ms / 1000).to_string()), Some(ms));
        }
    }

    let at = transport::retry_after_date_ms(&value, 0);
    assert_eq!(
        transport::retry_after_date_ms(&value, now),
        at.map(|at| at.saturating_sub(now)),
        "{value:?} at {now}"
    );
    if let Some(at) = at {
        assert_eq!(at % 1000, 0, "{value:?}");
        assert!(at <= LATEST_MS, "{value:?} is {at} ms");
        assert!(value.trim().ends_with(" GMT"), "{value:?}");
    }
});
