//! [`HostConfig`]: what the embedder decides about a host (where the
//! component may send requests, who holds the key, the limits of a call), and
//! [`KeyMode`].
//!
//! The configuration is plain data, checked when a [`MatchKraft`] is made
//! from it; the component's environment is derived here, so that the rule
//! "only `MATCHKRAFT_*` variables, never the key in host-key mode" lives in one
//! place.
//!
//! [`MatchKraft`]: crate::MatchKraft

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;

/// The environment variables the host itself sets; `extra_env` may not
/// override them.
const RESERVED_ENV: [&str; 3] = [
    "MATCHKRAFT_API_KEY",
    "MATCHKRAFT_BASE_URL",
    "MATCHKRAFT_KEY_FROM_HOST",
];

/// How the host runs the component: where it may send requests, which key it
/// passes, and the limits of each call.
///
/// `Debug` never shows the API key.
#[derive(Clone)]
pub struct HostConfig {
    /// The API base URL, passed to the component as `MATCHKRAFT_BASE_URL`.
    /// Its scheme, host and port are the only origin the component may send
    /// requests to. A URL the host cannot parse allows no request at all (the
    /// component then reports its own configuration error).
    pub base_url: String,
    /// The API key, passed to the component as `MATCHKRAFT_API_KEY`; `None`
    /// leaves the variable unset (the component reports a missing key as a
    /// typed error).
    pub api_key: Option<String>,
    /// More `MATCHKRAFT_*` variables for the component, such as
    /// `MATCHKRAFT_FIRST_BYTE_TIMEOUT_MS`. Any other name, and the two
    /// variables above, are refused by [`MatchKraft::new`](crate::MatchKraft::new): the component must
    /// never see the host's secrets by accident.
    pub extra_env: Vec<(String, String)>,
    /// The most linear memory the component may hold, in bytes.
    pub memory_limit: usize,
    /// The deadline of one call, instantiation included. Past it the call
    /// fails (outer error) whether the component is computing or waiting.
    pub call_timeout: Duration,
    /// The one origin (`scheme://host:port`) the component may send requests
    /// to, when it should not be `base_url`'s. Leave it `None`: it exists so
    /// that tests can show what the component does when the host denies its
    /// requests (set it to any other origin and every request is denied).
    pub allowed_origin: Option<String>,
    /// Who holds the API key: the host (the default) or the component.
    pub key_mode: KeyMode,
    /// A folder to keep the compiled component in, so that the next process
    /// loads it in about a millisecond instead of compiling it for hundreds
    /// (see the `precompiled` module for how the files are protected).
    /// `None`, the default, compiles in memory only: right for a long-lived
    /// host, which compiles once.
    pub compiled_cache: Option<PathBuf>,
    /// How long a connection the component's requests used may wait, open,
    /// for the next request to the same origin. Reusing a connection saves a
    /// TCP connect and, against the real API, a TLS handshake on every
    /// request; the limit closes connections a quiet host no longer needs.
    /// The default (30 s) covers the gaps between a `wait`'s polls and stays
    /// below the keep-alive timeouts common servers and load balancers use
    /// (60–75 s), so the host, not the server, usually closes first. A
    /// server that closes earlier is harmless: a request that finds its
    /// connection closed before sending a byte is sent on a new one.
    pub pool_idle_timeout: Duration,
    /// The most idle connections kept per origin; more are closed as they
    /// become idle. The default (16) keeps as many as 16 calls at a time use,
    /// and bounds the sockets a burst of calls leaves open. `0` turns
    /// pooling off: every request opens its own connection, as
    /// wasmtime-wasi-http's `default_send_request` does.
    pub pool_max_idle_per_origin: usize,
}

/// Who holds the API key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KeyMode {
    /// The host keeps the key and adds the `apikey` header itself, in its
    /// `send_request` hook, to requests for the allowed origin only. The
    /// component never sees the key, so nothing it does (a log line, an error
    /// message, a request elsewhere) can leak it. This is how workflow engines
    /// such as Obelisk handle secrets.
    #[default]
    Host,
    /// The key is handed to the component as `MATCHKRAFT_API_KEY`, the way
    /// hosts without a request hook (the wasmtime CLI, jco) run it.
    Guest,
}

impl Default for HostConfig {
    /// The production base URL, no key, no extra variables, default limits.
    fn default() -> Self {
        HostConfig {
            base_url: HostConfig::DEFAULT_BASE_URL.to_string(),
            api_key: None,
            extra_env: Vec::new(),
            memory_limit: HostConfig::DEFAULT_MEMORY_LIMIT,
            call_timeout: HostConfig::DEFAULT_CALL_TIMEOUT,
            allowed_origin: None,
            key_mode: KeyMode::default(),
            compiled_cache: None,
            pool_idle_timeout: HostConfig::DEFAULT_POOL_IDLE_TIMEOUT,
            pool_max_idle_per_origin: HostConfig::DEFAULT_POOL_MAX_IDLE_PER_ORIGIN,
        }
    }
}

impl HostConfig {
    /// The API's production base URL, which the component also uses when
    /// `MATCHKRAFT_BASE_URL` is unset.
    pub const DEFAULT_BASE_URL: &str = "https://app.matchkraft.com/api/v2";

    /// The default cap on the component's linear memory: far above what a
    /// client needs for large result sets, far below what would hurt the
    /// machine.
    pub const DEFAULT_MEMORY_LIMIT: usize = 512 << 20;

    /// The default deadline of one call: generous, since a call waits on the
    /// network, but finite so a stuck component cannot hold a caller forever.
    pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(600);

    /// The default [`pool_idle_timeout`](HostConfig::pool_idle_timeout).
    pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

    /// The default [`pool_max_idle_per_origin`](HostConfig::pool_max_idle_per_origin).
    pub const DEFAULT_POOL_MAX_IDLE_PER_ORIGIN: usize = 16;

    /// A configuration for `base_url` with default limits and no key.
    pub fn new(base_url: impl Into<String>) -> Self {
        HostConfig {
            base_url: base_url.into(),
            ..HostConfig::default()
        }
    }

    /// The same configuration with `api_key` set.
    pub fn with_api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(api_key.into());
        self
    }

    /// The same configuration with one more `MATCHKRAFT_*` variable.
    pub fn with_env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_env.push((name.into(), value.into()));
        self
    }

    /// The component's whole environment, or why it cannot be built.
    pub(crate) fn guest_env(&self) -> anyhow::Result<Vec<(String, String)>> {
        let mut env = Vec::with_capacity(self.extra_env.len() + 2);
        match (&self.api_key, self.key_mode) {
            (Some(key), KeyMode::Guest) => env.push(("MATCHKRAFT_API_KEY".to_string(), key.clone())),
            // The component never sees the key, but knows one is sent, so a
            // 401 can say "refused" rather than "not set".
            (Some(_), KeyMode::Host) => env.push(("MATCHKRAFT_KEY_FROM_HOST".to_string(), "1".to_string())),
            (None, _) => {}
        }
        env.push(("MATCHKRAFT_BASE_URL".to_string(), self.base_url.clone()));
        for (name, value) in &self.extra_env {
            if !name.starts_with("MATCHKRAFT_") {
                bail!("extra_env: {name:?} is not a MATCHKRAFT_* variable");
            }
            if RESERVED_ENV.contains(&name.as_str()) {
                bail!("extra_env: set {name} through HostConfig's own field");
            }
            env.push((name.clone(), value.clone()));
        }
        Ok(env)
    }
}

impl fmt::Debug for HostConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("extra_env", &self.extra_env)
            .field("memory_limit", &self.memory_limit)
            .field("call_timeout", &self.call_timeout)
            .field("allowed_origin", &self.allowed_origin)
            .field("key_mode", &self.key_mode)
            .field("compiled_cache", &self.compiled_cache)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field("pool_max_idle_per_origin", &self.pool_max_idle_per_origin)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_the_key() {
        let config = HostConfig::new("http://127.0.0.1:1/api/v2").with_api_key("s3cr3t-key");
        let debug = format!("{config:?} {config:#?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
        assert!(debug.contains("<redacted>"));
    }

    #[test]
    fn guest_env_has_only_matchkraft_variables() {
        let mut config = HostConfig::new("http://127.0.0.1:1/api/v2")
            .with_api_key("k")
            .with_env("MATCHKRAFT_FIRST_BYTE_TIMEOUT_MS", "500");
        // By default the host holds the key: the component never sees it.
        let env = config.guest_env().unwrap();
        assert!(
            env.iter()
                .all(|(name, value)| name != "MATCHKRAFT_API_KEY" && value != "k"),
            "{env:?}"
        );
        assert!(env.contains(&("MATCHKRAFT_KEY_FROM_HOST".to_string(), "1".to_string())));

        config.key_mode = KeyMode::Guest;
        let env = config.guest_env().unwrap();
        assert_eq!(
            env,
            vec![
                ("MATCHKRAFT_API_KEY".to_string(), "k".to_string()),
                (
                    "MATCHKRAFT_BASE_URL".to_string(),
                    "http://127.0.0.1:1/api/v2".to_string()
                ),
                ("MATCHKRAFT_FIRST_BYTE_TIMEOUT_MS".to_string(), "500".to_string()),
            ]
        );
        let no_key = HostConfig::new("x").guest_env().unwrap();
        assert_eq!(no_key.len(), 1);
    }

    #[test]
    fn guest_env_refuses_foreign_and_reserved_names() {
        assert!(
            HostConfig::default()
                .with_env("HOME", "/root")
                .guest_env()
                .is_err()
        );
        assert!(
            HostConfig::default()
                .with_env("matchkraft_lower", "x")
                .guest_env()
                .is_err()
        );
        assert!(
            HostConfig::default()
                .with_env("MATCHKRAFT_API_KEY", "x")
                .guest_env()
                .is_err()
        );
        assert!(
            HostConfig::default()
                .with_env("MATCHKRAFT_KEY_FROM_HOST", "1")
                .guest_env()
                .is_err()
        );
    }
}
