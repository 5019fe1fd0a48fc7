//! The MatchKraft component, built from this workspace's sources by this crate's
//! build script (see `build.rs`).

/// Where the built component (`matchkraft_component.wasm`) is on disk.
pub const COMPONENT_PATH: &str = env!("MATCHKRAFT_COMPONENT_PATH");

/// The built component's bytes, embedded so the `matchkraft` command runs
/// without any file beside it.
pub static COMPONENT: &[u8] = include_bytes!(env!("MATCHKRAFT_COMPONENT_PATH"));

/// Where the built webhook relay (the component with the `relay` feature,
/// also named `matchkraft_component.wasm`) is on disk.
pub const RELAY_COMPONENT_PATH: &str = env!("MATCHKRAFT_RELAY_COMPONENT_PATH");

/// The built webhook relay's bytes: the client's exports plus
/// `wasi:http/incoming-handler` (see `src/relay.rs`).
pub static RELAY_COMPONENT: &[u8] = include_bytes!(env!("MATCHKRAFT_RELAY_COMPONENT_PATH"));

/// The WIT package `matchkraft:client` (`wit/`) in binary form, as
/// `wasm-tools component wit --wasm wit/` writes it: what bindings generators
/// for other languages read, without the text files.
pub static WIT_PACKAGE: &[u8] = include_bytes!(env!("MATCHKRAFT_WIT_PACKAGE_PATH"));
