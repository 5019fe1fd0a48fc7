//! The worker against a real Temporal dev server and the MatchKraft
//! simulator. One test binary; each module one topic:

/// A workflow written with Temporal's Python SDK calling the activities by name.
mod cross_language;
/// `matchkraft.enrich` for all three job types, the CLI's `--input` JSON, the signal.
mod enrich;
/// Failures: a wrong key, an unknown submit outcome, rate limiting, payload limits.
mod failures;
/// The README's measured figures (ignored; run by hand).
mod figures;
/// Two workers, 100 workflows with faults, one worker killed part-way.
mod scale_out;
/// The dev server, the simulator, worker processes, a client.
mod support;
