//! Property-based robustness tests of the component's pure functions, quick
//! enough for every CI run; the cargo-fuzz targets in `fuzz/` cover the same
//! parsers for longer, by hand.
//!
//! Every parser is fed arbitrary bytes, arbitrary JSON, and near misses of
//! valid documents (one field changed, cut short, bytes spliced in), and must
//! answer `Ok` or a typed error, never panic. Valid documents, generated in the
//! spellings the API may use, must parse to exactly what they say.
//!
//! One module per parser holds that parser's properties and the generators
//! only it uses; the generators and oracles they share have modules of their
//! own.
//!
//! Cases per property: `MATCHKRAFT_PROPTEST_CASES` (default [`DEFAULT_CASES`],
//! 20 to 40 seconds for the whole binary on two cores). A fuzzing campaign is a
//! large count, for example
//! `MATCHKRAFT_PROPTEST_CASES=200000 cargo test --test properties`: the dev
//! profile keeps overflow checks and debug assertions on, which is what a
//! campaign wants. No failure file is written: proptest prints the shrunk
//! failing input, which belongs in a unit test next to the fixed code.

// Generators and oracles.
mod damage;
mod json;
mod oracle;
mod text;

// The properties, one module per parser.
mod all_parsers;
mod error_body;
mod results;
mod retry;
mod submit;
mod webhook;

use matchkraft_component::JobType;
use proptest::prelude::ProptestConfig;
use proptest::test_runner::TestCaseError;

/// Cases per property when `MATCHKRAFT_PROPTEST_CASES` is not set. Sized for
/// this crate built at `opt-level = 2` in the dev profile (see Cargo.toml);
/// unoptimised, a fifth of it takes as long.
const DEFAULT_CASES: u32 = 10_000;

pub(crate) fn config() -> ProptestConfig {
    let cases = match std::env::var("MATCHKRAFT_PROPTEST_CASES") {
        Ok(value) => value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("MATCHKRAFT_PROPTEST_CASES={value:?} is not a case count")),
        Err(_) => DEFAULT_CASES,
    };
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(cases)
    }
}

pub(crate) const JOB_TYPES: [JobType; 3] = [
    JobType::DomainScan,
    JobType::EmailValidation,
    JobType::EmailFinder,
];

pub(crate) fn fail(message: String) -> TestCaseError {
    TestCaseError::fail(message)
}
