//! What a command works with: the host running the component, the built-in
//! simulator when the command runs offline, and the job ledger.
//!
//! Commands that submit ([`Session::start`]) fall back to the built-in
//! simulator when neither a key nor a base URL is set; commands that work on
//! jobs already submitted ([`connect`]) must not, since the simulator's jobs
//! die with the process, so they need the key.

use std::time::Duration;

use matchkraft_host::ledger::Ledger;
use matchkraft_host::{HostConfig, MatchKraft};
use matchkraft_simulator::{SimConfig, Simulator};

use crate::args::Global;
use crate::console::Console;
use crate::failure::Failure;
use crate::folders;

/// The host, and the simulator it talks to when the command runs offline
/// (kept here so it serves for as long as the command runs).
pub(crate) struct Session {
    pub(crate) host: MatchKraft,
    pub(crate) simulator: Option<Simulator>,
}

impl Session {
    /// A host for the API the flags name, or for a built-in simulator when
    /// they name none.
    pub(crate) async fn start(global: &Global, console: &Console) -> Result<Session, Failure> {
        let api_key = global.api_key.clone().filter(|k| !k.trim().is_empty());
        let base_url = global.base_url.clone().filter(|u| !u.trim().is_empty());
        let (config, simulator) = match (api_key, base_url) {
            (None, None) => {
                let simulator = start_simulator().await?;
                console.info(&format!(
                    "no MATCHKRAFT_API_KEY set: using the built-in MatchKraft simulator at {} \
                     (results are simulated)",
                    simulator.base_url()
                ));
                let config =
                    HostConfig::new(simulator.base_url()).with_api_key(simulator.config().api_key.clone());
                (config, Some(simulator))
            }
            (api_key, base_url) => {
                let config = HostConfig {
                    base_url: base_url.unwrap_or_else(|| HostConfig::DEFAULT_BASE_URL.to_string()),
                    api_key,
                    ..HostConfig::default()
                };
                (config, None)
            }
        };
        let host = load(global, config)?;
        Ok(Session { host, simulator })
    }
}

/// A host for the API given by the flags or environment, for the commands
/// that work on jobs already submitted and so must not fall back to the
/// built-in simulator. They need the key.
pub(crate) fn connect(global: &Global, command: &str, call_timeout: Duration) -> Result<MatchKraft, Failure> {
    let Some(api_key) = global.api_key.clone().filter(|k| !k.trim().is_empty()) else {
        return Err(Failure::Usage(format!(
            "`matchkraft {command}` needs the API key: set MATCHKRAFT_API_KEY or pass --api-key"
        )));
    };
    let config = HostConfig {
        base_url: global
            .base_url
            .clone()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| HostConfig::DEFAULT_BASE_URL.to_string()),
        api_key: Some(api_key),
        call_timeout,
        ..HostConfig::default()
    };
    load(global, config)
}

/// The ledger named by `--ledger` (or `MATCHKRAFT_LEDGER`), else the one in
/// the user's data folder.
pub(crate) fn open_ledger(global: &Global) -> Result<Ledger, Failure> {
    let path = match &global.ledger {
        Some(path) => path.clone(),
        None => folders::default_ledger().ok_or_else(|| {
            Failure::Usage("no home folder to keep the job ledger in: pass --ledger PATH".into())
        })?,
    };
    Ok(Ledger::open(path)?)
}

/// The component (`--component PATH`, else the one built in) loaded under
/// `config`, with the command's compiled-component cache.
fn load(global: &Global, config: HostConfig) -> Result<MatchKraft, Failure> {
    let config = HostConfig {
        compiled_cache: folders::compiled_cache(),
        ..config
    };
    Ok(match &global.component {
        Some(path) => MatchKraft::from_file(path, config)?,
        None => MatchKraft::new(matchkraft_artifacts::COMPONENT, config)?,
    })
}

/// The built-in simulator on 127.0.0.1, on this command's runtime.
async fn start_simulator() -> Result<Simulator, Failure> {
    Simulator::start(SimConfig::default()).await.map_err(|e| {
        Failure::Host(anyhow::anyhow!(
            "cannot start the built-in simulator on 127.0.0.1: {e}"
        ))
    })
}
