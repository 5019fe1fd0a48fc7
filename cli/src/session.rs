//! What a command works with: the host running the component, the built-in
//! simulator when the command runs offline, and the job ledger.
//!
//! Commands that submit ([`Session::start`]) fall back to the built-in
//! simulator when neither a key nor a base URL is set; commands that work on
//! jobs already submitted ([`connect`]) must not, since the simulator's jobs
//! die with the process, so they need the key.

use std::io::Read as _;
use std::net::SocketAddr;
use std::path::Path;
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
        let api_key = api_key(global, console)?;
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

/// Whether `key` is a simulator's (`sim-key`: the built-in simulator's, and
/// the one `matchkraft simulator` prints); a MatchKraft key never is. Jobs
/// submitted with it end when their simulator stops, which the ledger notes.
pub(crate) fn is_simulator_key(key: Option<&str>) -> bool {
    key == Some(SimConfig::default().api_key.as_str())
}

/// A host for the API given by the flags or environment, for the commands
/// that work on jobs already submitted and so must not fall back to the
/// built-in simulator. They need the key.
pub(crate) fn connect(
    global: &Global,
    command: &str,
    call_timeout: Duration,
    console: &Console,
) -> Result<MatchKraft, Failure> {
    let Some(api_key) = api_key(global, console)? else {
        return Err(Failure::Usage(format!(
            "`matchkraft {command}` needs the API key: set MATCHKRAFT_API_KEY or pass --api-key-file FILE"
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

/// The address `flag` names: `IP:PORT`, or `HOST:PORT` (`localhost:8787`)
/// looked up, its first address taken.
pub(crate) async fn resolve(flag: &str, addr: &str) -> Result<SocketAddr, Failure> {
    let mut found = tokio::net::lookup_host(addr).await.map_err(|e| {
        Failure::Usage(format!(
            "{flag} {addr}: not an address to listen on ({e}); give HOST:PORT, e.g. 127.0.0.1:8787"
        ))
    })?;
    found
        .next()
        .ok_or_else(|| Failure::Usage(format!("{flag} {addr}: the name has no address")))
}

/// The API key: the first line of `--api-key-file`, else `--api-key` or
/// MATCHKRAFT_API_KEY; `None` when none is set. A key given as `--api-key`
/// is visible to every user of the machine (`ps`, `/proc/*/cmdline`) while
/// the command runs, which is worth a warning.
fn api_key(global: &Global, console: &Console) -> Result<Option<String>, Failure> {
    if let Some(path) = &global.api_key_file {
        return read_key_file(path).map(Some);
    }
    if global.api_key_on_command_line {
        console.warn(
            "--api-key shows the key to every user of this machine (`ps`) while the command runs; \
             prefer MATCHKRAFT_API_KEY or --api-key-file FILE",
        );
    }
    Ok(global.api_key.clone().filter(|k| !k.trim().is_empty()))
}

/// The key in `path` (`-`: stdin): its first line without surrounding
/// whitespace. Errors never quote the file's content.
fn read_key_file(path: &Path) -> Result<String, Failure> {
    /// Far more than any key; a bigger file is not a key file.
    const MAX_BYTES: u64 = 64 * 1024;
    let shown = if path == Path::new("-") {
        "stdin".to_string()
    } else {
        path.display().to_string()
    };
    let mut bytes = Vec::new();
    let read = if path == Path::new("-") {
        std::io::stdin().lock().take(MAX_BYTES).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|file| file.take(MAX_BYTES).read_to_end(&mut bytes))
    };
    read.map_err(|e| Failure::Usage(format!("--api-key-file {shown}: cannot read it: {e}")))?;
    let text =
        String::from_utf8(bytes).map_err(|_| Failure::Usage(format!("--api-key-file {shown}: not text")))?;
    let key = text.lines().next().unwrap_or_default().trim();
    if key.is_empty() {
        return Err(Failure::Usage(format!(
            "--api-key-file {shown}: its first line is empty (it should hold the key)"
        )));
    }
    Ok(key.to_string())
}

/// The ledger named by `--ledger` (or `MATCHKRAFT_LEDGER`), else the one in
/// the user's data folder, open for writing.
pub(crate) fn open_ledger(global: &Global, console: &Console) -> Result<Ledger, Failure> {
    let ledger = Ledger::open(ledger_path(global)?)?;
    warn_about(&ledger, console);
    Ok(ledger)
}

/// The ledger open for writing, for the commands that submit: they cannot
/// do without, and nothing has been sent when this fails.
pub(crate) fn open_ledger_to_submit(global: &Global, console: &Console) -> Result<Ledger, Failure> {
    let path = ledger_path(global)?;
    let ledger = Ledger::open(&path).map_err(|error| Failure::LedgerBeforeSubmit { ledger: path, error })?;
    warn_about(&ledger, console);
    Ok(ledger)
}

/// The ledger for `status` and `results`, which note what they learn about
/// a job in it, but do not need it: `None` (and nothing created) when there
/// is no ledger file yet, and a warning when it cannot be opened.
pub(crate) fn ledger_if_any(global: &Global, console: &Console) -> Option<Ledger> {
    let path = ledger_path(global).ok()?;
    if !path.exists() {
        return None;
    }
    match Ledger::open_or_read_only(&path) {
        Ok(ledger) => Some(ledger),
        Err(error) => {
            console.warn(&format!(
                "the ledger {} cannot be opened, so it is not updated: {}",
                path.display(),
                matchkraft_host::text::one_line(&format!("{error:#}"))
            ));
            None
        }
    }
}

/// The ledger, open for writing where it can be, else for reading only
/// (`jobs` lists a read-only ledger; `resume` prints what it cannot store).
pub(crate) fn open_ledger_to_read(global: &Global, console: &Console) -> Result<Ledger, Failure> {
    let ledger = Ledger::open_or_read_only(ledger_path(global)?)?;
    warn_about(&ledger, console);
    if ledger.is_read_only() {
        console.warn(&format!(
            "the ledger {} cannot be written: opened read-only, nothing will be stored in it",
            ledger.path().display()
        ));
    }
    Ok(ledger)
}

fn ledger_path(global: &Global) -> Result<std::path::PathBuf, Failure> {
    match &global.ledger {
        Some(path) => Ok(path.clone()),
        None => folders::default_ledger().ok_or_else(|| {
            Failure::Usage("no home folder to keep the job ledger in: pass --ledger PATH".into())
        }),
    }
}

/// Says what opening the ledger found worth saying (its permissions).
fn warn_about(ledger: &Ledger, console: &Console) {
    if let Some(warning) = ledger.permission_warning() {
        console.warn(warning);
    }
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
