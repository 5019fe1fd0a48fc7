//! The component host the activities call through: `matchkraft-host` with
//! the key held by the host (`KeyMode::Host`), requests limited to the API's
//! origin, the memory cap, the call deadline and the compiled-component
//! cache, set from the command line.

use std::path::PathBuf;

use anyhow::Context as _;
use matchkraft_host::{HostConfig, KeyMode, MatchKraft};
use matchkraft_simulator::{BackgroundRuntime, SimConfig, Simulator};

use crate::args::{Args, read_key_file};

/// The host, and the simulator it talks to when `--simulator` started one
/// (kept alive as long as the host is).
pub(crate) struct Host {
    pub(crate) matchkraft: MatchKraft,
    pub(crate) simulator: Option<(Simulator, BackgroundRuntime)>,
}

/// The MatchKraft key: `--api-key-file`, else `MATCHKRAFT_API_KEY`.
fn api_key(args: &Args) -> anyhow::Result<String> {
    if let Some(path) = &args.api_key_file {
        return read_key_file(path);
    }
    std::env::var("MATCHKRAFT_API_KEY")
        .ok()
        .map(|key| key.trim().to_string())
        .filter(|key| !key.is_empty())
        .context(
            "no MatchKraft API key: set MATCHKRAFT_API_KEY or --api-key-file FILE \
             (or --simulator to try the worker without one)",
        )
}

/// Where the compiled component is kept between starts, as the
/// `matchkraft` command does: `$XDG_CACHE_HOME/matchkraft/compiled` (or
/// `~/.cache/…`); `MATCHKRAFT_COMPILE_CACHE=off` turns it off.
fn compiled_cache() -> Option<PathBuf> {
    let setting = std::env::var("MATCHKRAFT_COMPILE_CACHE").unwrap_or_default();
    if ["off", "0", "false", "no"].contains(&setting.trim().to_ascii_lowercase().as_str()) {
        return None;
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(base.join("matchkraft").join("compiled"))
}

/// Compiles the component and configures its sandbox.
pub(crate) fn build(args: &Args) -> anyhow::Result<Host> {
    let (base_url, api_key, simulator) = if args.simulator {
        let key = format!("sim-{:x}", std::process::id());
        let config = SimConfig {
            api_key: key.clone(),
            ..SimConfig::default()
        };
        let (simulator, runtime) =
            Simulator::spawn_in_background(config).context("starting the built-in simulator")?;
        (simulator.base_url(), key, Some((simulator, runtime)))
    } else {
        (args.base_url.clone(), api_key(args)?, None)
    };
    let config = HostConfig {
        base_url,
        api_key: Some(api_key),
        key_mode: KeyMode::Host,
        call_timeout: args.call_timeout(),
        compiled_cache: compiled_cache(),
        ..HostConfig::default()
    }
    .with_env("MATCHKRAFT_MAX_ATTEMPTS", args.component_attempts.to_string());
    let matchkraft = MatchKraft::new(matchkraft_artifacts::COMPONENT, config)?;
    Ok(Host {
        matchkraft,
        simulator,
    })
}
