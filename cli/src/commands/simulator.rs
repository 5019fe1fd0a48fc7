//! `matchkraft simulator`: the built-in simulator of the API as a server that
//! runs until Ctrl-C, so that jobs outlive the command that submitted them.
//!
//! Every other command starts a simulator of its own when no key is set, and
//! its jobs end with it: `submit` then `status` cannot work that way. This
//! one serves on a fixed address (`127.0.0.1:8790` by default) and prints the
//! two `export` lines that point the other commands (and jco, Python or the
//! wasmtime CLI running the component) at it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use matchkraft_simulator::{Fault, RandomFaults, SimConfig, Simulator, WebhookConfig};

use crate::args::SimulatorArgs;
use crate::console::Console;
use crate::failure::Failure;
use crate::output::print;
use crate::session::resolve;

/// The fault kinds `--faults RATE` draws from when it names none: those a
/// flaky network or proxy produces and that end at once.
const DEFAULT_FAULTS: &str = "status-503,status-429,reset-before-response,reset-after-commit,truncated-json";

/// `--faults RATE[:KIND,…]`, as parsed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FaultsArg {
    rate: f64,
    kinds: Vec<Fault>,
}

/// Parses `--faults`: a rate from 0 to 1, then optionally `:` and fault kinds.
pub(crate) fn parse_faults(text: &str) -> Result<FaultsArg, String> {
    let (rate, kinds) = text.split_once(':').unwrap_or((text, DEFAULT_FAULTS));
    let rate: f64 = rate
        .trim()
        .parse()
        .ok()
        .filter(|rate| (0.0..=1.0).contains(rate))
        .ok_or_else(|| format!("{rate:?} is not a rate from 0 to 1 (e.g. 0.2: one request in five)"))?;
    let kinds = kinds
        .split(',')
        .map(|kind| fault(kind.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(FaultsArg { rate, kinds })
}

/// The fault a kind names.
fn fault(kind: &str) -> Result<Fault, String> {
    if let Some(status) = kind.strip_prefix("status-") {
        let status: u16 = status
            .parse()
            .ok()
            .filter(|s| (200..=599).contains(s))
            .ok_or_else(|| format!("{kind}: the status must be a number from 200 to 599"))?;
        // A throttling or unavailable answer says when to come back.
        let retry_after = matches!(status, 429 | 503).then(|| "1".to_string());
        return Ok(Fault::Status { status, retry_after });
    }
    Ok(match kind {
        "reset-before-response" => Fault::ResetBeforeResponse,
        "reset-after-commit" => Fault::ResetAfterCommit,
        "truncated-json" => Fault::TruncatedJson,
        "html-with-200" => Fault::HtmlWith200,
        "wrong-content-type" => Fault::WrongContentType,
        "slow" => Fault::SlowFirstByte(Duration::from_secs(2)),
        "stall-body" => Fault::StallBody,
        _ => {
            return Err(format!(
                "{kind:?} is not a fault kind: status-NNN, reset-before-response, reset-after-commit, \
                 truncated-json, html-with-200, wrong-content-type, slow, stall-body"
            ));
        }
    })
}

/// Serves until Ctrl-C or SIGTERM.
pub(crate) async fn execute(args: &SimulatorArgs, console: &Console) -> Result<(), Failure> {
    let config = config(args)?;
    let addr = resolve("--addr", &args.addr).await?;
    let simulator = Simulator::start_at(config, addr).await.map_err(|e| {
        Failure::Host(anyhow::anyhow!(
            "cannot serve the simulator on {addr}: {e} (another one may run there: --addr picks another address)"
        ))
    })?;
    let base_url = reachable_base_url(simulator.addr());
    print(&format!(
        "export MATCHKRAFT_BASE_URL={base_url}\nexport MATCHKRAFT_API_KEY={}\n",
        simulator.config().api_key
    ))?;
    console.info(&format!(
        "the MatchKraft simulator serves at {base_url} (results are simulated; its jobs last while it \
         runs); run the two export lines above in another shell. Ctrl-C stops"
    ));
    if let Some(webhook) = simulator.webhook() {
        console.info(&format!("webhooks go to {}", webhook.url));
    }
    stopped().await;
    let jobs = simulator.job_count();
    simulator.shutdown();
    console.info(&format!(
        "stopped after {jobs} job(s); the ledger still lists them (`matchkraft jobs forget` drops them)"
    ));
    Ok(())
}

/// The simulator's settings from the flags.
fn config(args: &SimulatorArgs) -> Result<SimConfig, Failure> {
    let processing_for = Duration::try_from_secs_f64(args.job_secs)
        .ok()
        .filter(|d| *d <= Duration::from_secs(24 * 3600))
        .ok_or_else(|| Failure::Usage(format!("--job-secs {}: give 0 to 86400 seconds", args.job_secs)))?;
    let webhook = match &args.webhook_url {
        Some(url) => {
            let webhook = WebhookConfig::new(url.clone());
            webhook
                .validate()
                .map_err(|problem| Failure::Usage(format!("--webhook-url {url}: {problem}")))?;
            Some(webhook)
        }
        None => None,
    };
    let random_faults = args.faults.as_ref().map(|faults| RandomFaults {
        rate: faults.rate,
        seed: args.seed,
        kinds: faults.kinds.clone(),
    });
    Ok(SimConfig {
        // A fifth of a job's time pending, the rest processing.
        pending_for: processing_for / 5,
        processing_for: processing_for - processing_for / 5,
        random_faults,
        webhook,
        ..SimConfig::default()
    })
}

/// The base URL another process uses: a simulator listening on every
/// address (`0.0.0.0`) is reached on loopback.
fn reachable_base_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/api/v2", SocketAddr::new(ip, addr.port()))
}

/// Resolves on Ctrl-C, or on SIGTERM (`kill`, a service manager).
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_take_a_rate_and_kinds() {
        let faults = parse_faults("0.25:status-500,reset-after-commit").unwrap();
        assert_eq!(faults.rate, 0.25);
        assert_eq!(
            faults.kinds,
            [
                Fault::Status {
                    status: 500,
                    retry_after: None
                },
                Fault::ResetAfterCommit
            ]
        );
        assert_eq!(parse_faults("0.1").unwrap().kinds.len(), 5);
        for wrong in ["1.5", "x", "0.1:teapot", "0.1:status-99", "-0.1"] {
            assert!(parse_faults(wrong).is_err(), "{wrong} was accepted");
        }
    }

    #[test]
    fn a_simulator_on_every_address_is_reached_on_loopback() {
        assert_eq!(
            reachable_base_url("0.0.0.0:8790".parse().unwrap()),
            "http://127.0.0.1:8790/api/v2"
        );
        assert_eq!(
            reachable_base_url("[::]:8790".parse().unwrap()),
            "http://[::1]:8790/api/v2"
        );
        assert_eq!(
            reachable_base_url("127.0.0.2:1".parse().unwrap()),
            "http://127.0.0.2:1/api/v2"
        );
    }
}
