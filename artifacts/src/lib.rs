//! The MatchKraft component, built from this workspace's sources by this crate's
//! build script (see `build.rs`).

/// Where the built component (`matchkraft_component.wasm`) is on disk.
pub const COMPONENT_PATH: &str = env!("MATCHKRAFT_COMPONENT_PATH");

/// The built component's bytes, embedded so the `matchkraft` command runs
/// without any file beside it.
pub static COMPONENT: &[u8] = include_bytes!(env!("MATCHKRAFT_COMPONENT_PATH"));
