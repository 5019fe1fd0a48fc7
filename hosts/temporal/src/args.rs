//! The worker's command line, as clap parses it: where Temporal is, which
//! task queue to serve, and the usual `MATCHKRAFT_*` settings for the API.
//!
//! Secrets (the MatchKraft key, a Temporal Cloud API key) come from the
//! environment or a file, never from an argument: a key on the command line
//! is visible to every user of the machine for as long as the worker runs,
//! which is days.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// A Temporal worker that serves the MatchKraft component's calls as
/// activities (`matchkraft.submit`, `matchkraft.status`, `matchkraft.results`,
/// `matchkraft.wait`) and a ready workflow, `matchkraft.enrich`.
#[derive(Debug, Parser)]
#[command(name = "matchkraft-temporal", version, after_help = EXAMPLES)]
pub(crate) struct Args {
    /// The Temporal frontend, `host:port` (or a URL).
    #[arg(long, env = "TEMPORAL_ADDRESS", default_value = "127.0.0.1:7233")]
    pub(crate) address: String,

    /// The Temporal namespace.
    #[arg(long, env = "TEMPORAL_NAMESPACE", default_value = "default")]
    pub(crate) namespace: String,

    /// The task queue to poll, for both the activities and the workflow.
    /// Run more workers on the same queue to share the load.
    #[arg(long, env = "MATCHKRAFT_TASK_QUEUE", default_value = "matchkraft")]
    pub(crate) task_queue: String,

    /// Connect to Temporal over TLS (implied by the TLS files and by a
    /// Temporal API key).
    #[arg(long, env = "TEMPORAL_TLS")]
    pub(crate) tls: bool,

    /// A PEM file of the CA that signed the server's certificate, when the
    /// system's roots do not.
    #[arg(long, env = "TEMPORAL_TLS_CA_PATH", value_name = "FILE")]
    pub(crate) tls_ca: Option<PathBuf>,

    /// The client certificate (PEM) for mutual TLS, with --tls-key.
    #[arg(
        long,
        env = "TEMPORAL_TLS_CLIENT_CERT_PATH",
        value_name = "FILE",
        requires = "tls_key"
    )]
    pub(crate) tls_cert: Option<PathBuf>,

    /// The client certificate's private key (PEM), with --tls-cert.
    #[arg(
        long,
        env = "TEMPORAL_TLS_CLIENT_KEY_PATH",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    pub(crate) tls_key: Option<PathBuf>,

    /// The server name to verify the certificate against, when it is not the
    /// address's host.
    #[arg(long, env = "TEMPORAL_TLS_SERVER_NAME", value_name = "NAME")]
    pub(crate) tls_server_name: Option<String>,

    /// A file whose first line is the Temporal API key (hosted namespaces).
    /// `TEMPORAL_API_KEY` works too.
    #[arg(long, value_name = "FILE")]
    pub(crate) temporal_api_key_file: Option<PathBuf>,

    /// A file whose first line is the MatchKraft API key. `MATCHKRAFT_API_KEY`
    /// works too. The worker keeps the key: the component never sees it,
    /// and no payload, failure or heartbeat carries it.
    #[arg(long, value_name = "FILE")]
    pub(crate) api_key_file: Option<PathBuf>,

    /// The MatchKraft API base URL. The component may send requests to its
    /// scheme, host and port only.
    #[arg(long, env = "MATCHKRAFT_BASE_URL", default_value = matchkraft_host::HostConfig::DEFAULT_BASE_URL)]
    pub(crate) base_url: String,

    /// Serve against a MatchKraft simulator started inside the worker
    /// (no key, no network; results are simulated): for trying the worker
    /// and for measuring it.
    #[arg(long, conflicts_with_all = ["api_key_file", "base_url"])]
    pub(crate) simulator: bool,

    /// The deadline of one call into the component, in seconds (at most
    /// 150: the ready workflow's activity timeouts are 180 s, and a call must
    /// end with the component's own error before its activity times out).
    #[arg(long, default_value_t = 120, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(1..=150))]
    pub(crate) call_timeout: u64,

    /// The largest results document an activity returns, in bytes. Temporal
    /// refuses payloads above its blob limit (2 MiB by default); past this
    /// size `matchkraft.results` and `matchkraft.wait` fail with the
    /// non-retryable type `results-too-large`, and `matchkraft.results`
    /// serves the results in pages (`offset`, `limit`).
    #[arg(long, default_value_t = DEFAULT_MAX_PAYLOAD_BYTES, value_name = "BYTES")]
    pub(crate) max_payload_bytes: usize,

    /// Attempts the component makes of one request before it returns an
    /// error (`MATCHKRAFT_MAX_ATTEMPTS`). One by default: retries are
    /// Temporal's, by the activity's retry policy, visible in the history
    /// and durable across workers.
    #[arg(long, default_value_t = 1, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=10))]
    pub(crate) component_attempts: u32,

    /// `matchkraft.wait`'s first interval between polls, in milliseconds;
    /// it grows ×1.5 up to 5 s. Longer saves requests when webhooks
    /// (`job-completed` signals) usually arrive first.
    #[arg(long, default_value_t = 200, value_name = "MS")]
    pub(crate) first_poll_ms: u64,
}

/// 1.5 MiB: under the server's default 2 MiB blob limit, with room for the
/// rest of the message that carries the payload.
pub(crate) const DEFAULT_MAX_PAYLOAD_BYTES: usize = 3 << 19;

impl Args {
    /// The component's call deadline.
    pub(crate) fn call_timeout(&self) -> Duration {
        Duration::from_secs(self.call_timeout)
    }
}

const EXAMPLES: &str = "\
Examples:
  # a local dev server (temporal server start-dev), the real API
  MATCHKRAFT_API_KEY=... matchkraft-temporal

  # a hosted namespace
  TEMPORAL_API_KEY=... MATCHKRAFT_API_KEY=... matchkraft-temporal \\
      --address my-ns.a1b2c.tmprl.cloud:7233 --namespace my-ns.a1b2c

  # then, from anywhere:
  temporal workflow execute --task-queue matchkraft --type matchkraft.enrich \\
      --input '{\"jobName\":\"leads\",\"jobType\":\"email-validation\",\"records\":[\"ada@example.com\"]}'";

/// The first line of a key file, trimmed; an error names the file, never
/// the content.
pub(crate) fn read_key_file(path: &std::path::Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("reading the key file {}: {e}", path.display()))?;
    let key = text.lines().next().unwrap_or("").trim().to_string();
    if key.is_empty() {
        anyhow::bail!("the key file {} is empty", path.display());
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn the_command_line_is_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let args = Args::try_parse_from(["matchkraft-temporal"]).unwrap();
        // The environment of the test run may set these; check only what
        // it does not.
        if std::env::var_os("TEMPORAL_ADDRESS").is_none() {
            assert_eq!(args.address, "127.0.0.1:7233");
        }
        if std::env::var_os("MATCHKRAFT_TASK_QUEUE").is_none() {
            assert_eq!(args.task_queue, "matchkraft");
        }
        assert_eq!(args.call_timeout(), Duration::from_secs(120));
        assert!(args.max_payload_bytes < 2 << 20);
    }

    #[test]
    fn a_key_file_gives_its_first_line_and_an_error_never_the_key() {
        let dir = std::env::temp_dir().join(format!("mk-temporal-args-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("key");
        std::fs::write(&file, "  s3cr3t-key \nsecond line\n").unwrap();
        assert_eq!(read_key_file(&file).unwrap(), "s3cr3t-key");
        std::fs::write(&file, "\n").unwrap();
        let error = read_key_file(&file).unwrap_err().to_string();
        assert!(error.contains("empty"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
