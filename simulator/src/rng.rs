//! A tiny deterministic random number generator (splitmix64), so that random
//! faults and webhook duplicates replay exactly from a seed without pulling
//! in a crate.
//!
//! Nothing here is meant to be unpredictable: a failing soak test must be
//! replayable from the seed it printed.

use std::time::Duration;

/// The splitmix64 increment (the golden ratio in 64-bit fixed point).
const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// A well-known 64-bit mixer: consecutive inputs give unrelated-looking
/// outputs, and distinct inputs give distinct outputs.
pub(crate) fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(GOLDEN_GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The splitmix64 generator: the `n`-th output is `splitmix64(seed + n·γ)`.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    state: u64,
}

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    /// The generator for item `index` of a seeded family (e.g. the n-th job),
    /// independent of how many numbers the other items drew.
    pub(crate) fn derived(seed: u64, index: u64) -> Rng {
        Rng::new(splitmix64(seed ^ splitmix64(index)))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let out = splitmix64(self.state);
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        out
    }

    /// Uniform in `[0, 1)`, with the 53 bits an `f64` can hold.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n` (`n > 0`), by multiply-high; the bias is below
    /// `n / 2^64`, far too small to matter here.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `low..=high` (`low <= high`).
    pub(crate) fn between(&mut self, low: u32, high: u32) -> u32 {
        debug_assert!(low <= high);
        let span = u64::from(high - low) + 1;
        low + self.below(span) as u32
    }

    /// Uniform in `[0, max]`, to the nanosecond.
    pub(crate) fn up_to(&mut self, max: Duration) -> Duration {
        let nanos = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(self.below(nanos.saturating_add(1).max(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_other_seed_other_stream() {
        let take = |seed| {
            let mut rng = Rng::new(seed);
            (0..8).map(|_| rng.next_u64()).collect::<Vec<_>>()
        };
        assert_eq!(take(7), take(7));
        assert_ne!(take(7), take(8));
        // The first output is the classic splitmix64 of the seed.
        assert_eq!(Rng::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn derived_streams_differ_per_index() {
        let first = |seed, index| Rng::derived(seed, index).next_u64();
        assert_eq!(first(1, 5), first(1, 5));
        assert_ne!(first(1, 5), first(1, 6));
        assert_ne!(first(1, 5), first(2, 5));
    }

    #[test]
    fn ranges_stay_in_bounds_and_cover_them() {
        let mut rng = Rng::new(42);
        let mut seen = [false; 5];
        for _ in 0..1000 {
            let n = rng.between(1, 5);
            assert!((1..=5).contains(&n));
            seen[n as usize - 1] = true;
            let u = rng.unit();
            assert!((0.0..1.0).contains(&u));
            assert!(rng.up_to(Duration::from_millis(3)) <= Duration::from_millis(3));
        }
        assert!(seen.iter().all(|&s| s), "every value turns up");
        assert_eq!(rng.between(3, 3), 3);
        assert_eq!(rng.up_to(Duration::ZERO), Duration::ZERO);
        assert!(rng.up_to(Duration::MAX) <= Duration::MAX);
    }
}
