//! Settings, read from the environment the host hands the component.
//!
//! Configuration is never a function argument: workflow engines persist
//! arguments in their execution history, and the API key must not end up
//! there. The host decides which variables the component sees.
//!
//! The key arrives one of two ways. Either the component holds it,
//! `MATCHKRAFT_API_KEY` (for hosts without a request hook), and sends the
//! `apikey` header itself; or the host holds it and adds the header to each
//! request, out of the component's sight, and then says so with
//! `MATCHKRAFT_KEY_FROM_HOST=1` ([`KeySource`]). The second variable carries
//! no secret: it only lets a refused key be reported as the host's rather
//! than as a key nobody set.

use crate::Error;
use crate::retry::Policy;
use std::fmt;

/// The API's documented base URL.
pub const DEFAULT_BASE_URL: &str = "https://app.matchkraft.com/api/v2";

/// The variable that holds the API key when the component holds it.
pub const API_KEY: &str = "MATCHKRAFT_API_KEY";

/// The variable a host sets to `1` when it adds the `apikey` header itself.
pub const KEY_FROM_HOST: &str = "MATCHKRAFT_KEY_FROM_HOST";

/// Who supplies the `apikey` header, as far as the component can tell: what
/// a 401 or 403 from the API is blamed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// Neither `MATCHKRAFT_API_KEY` nor `MATCHKRAFT_KEY_FROM_HOST=1`: no key
    /// is sent.
    Missing,
    /// `MATCHKRAFT_API_KEY`: the component sends it.
    Component,
    /// `MATCHKRAFT_KEY_FROM_HOST=1`: the host adds it to each request. This
    /// wins when both are set, since a host that adds the header replaces
    /// the component's.
    Host,
}

/// Everything the component needs to make a request.
#[derive(Clone, PartialEq)]
pub struct Config {
    /// The `apikey` header's value (`MATCHKRAFT_API_KEY`); `None` when the
    /// host adds the header itself, or nobody does.
    pub api_key: Option<String>,
    /// Whether the host adds the `apikey` header itself
    /// (`MATCHKRAFT_KEY_FROM_HOST`: `1` or `true`; anything else, or unset,
    /// means no). Only error messages use it.
    pub key_from_host: bool,
    /// Where the API lives, split into what `wasi:http` asks for.
    pub base: BaseUrl,
    /// Per-request timeouts and limits.
    pub limits: Limits,
    /// When to retry.
    pub retry: Policy,
    /// How `wait` polls.
    pub polling: Polling,
}

/// The polling schedule of `wait`: a growing interval, capped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Polling {
    /// The first interval (`MATCHKRAFT_POLL_INTERVAL_MS`).
    pub first_interval_ms: u64,
    /// The longest interval (`MATCHKRAFT_MAX_POLL_INTERVAL_MS`).
    pub max_interval_ms: u64,
}

impl Default for Polling {
    fn default() -> Self {
        Polling {
            first_interval_ms: 1_000,
            max_interval_ms: 15_000,
        }
    }
}

impl Polling {
    /// The interval after `interval`: half as long again, capped.
    pub fn next(&self, interval_ms: u64) -> u64 {
        interval_ms
            .saturating_add(interval_ms / 2)
            .min(self.max_interval_ms)
            .max(1)
    }
}

/// A base URL split into scheme, authority and path prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseUrl {
    /// `true` for `https`.
    pub https: bool,
    /// `host` or `host:port`.
    pub authority: String,
    /// The path before the endpoint, without a trailing slash (`/api/v2`).
    pub path: String,
}

/// Timeouts and size limits, each overridable through the environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Time to establish a connection (`MATCHKRAFT_CONNECT_TIMEOUT_MS`).
    pub connect_timeout_ms: u64,
    /// Time from sending to the response's first byte (`MATCHKRAFT_FIRST_BYTE_TIMEOUT_MS`).
    pub first_byte_timeout_ms: u64,
    /// Longest silence while the body arrives (`MATCHKRAFT_BETWEEN_BYTES_TIMEOUT_MS`).
    pub between_bytes_timeout_ms: u64,
    /// The largest response body accepted (`MATCHKRAFT_MAX_RESPONSE_BYTES`).
    pub max_response_bytes: u64,
    /// The longest one operation may take, retries and waits included
    /// (`MATCHKRAFT_CALL_TIMEOUT_MS`).
    pub call_timeout_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect_timeout_ms: 10_000,
            first_byte_timeout_ms: 30_000,
            between_bytes_timeout_ms: 30_000,
            max_response_bytes: 64 * 1024 * 1024,
            call_timeout_ms: 120_000,
        }
    }
}

// The key must never reach a log line, so Debug prints whether it is set, not it.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("key_from_host", &self.key_from_host)
            .field("base", &self.base)
            .field("limits", &self.limits)
            .field("retry", &self.retry)
            .field("polling", &self.polling)
            .finish()
    }
}

impl Config {
    /// Reads the configuration from `wasi:cli/environment`.
    pub fn from_env() -> Result<Config, Error> {
        Config::from_vars(wasi::cli::environment::get_environment())
    }

    /// Who supplies the `apikey` header (see [`KeySource`]).
    pub fn key_source(&self) -> KeySource {
        match (self.key_from_host, &self.api_key) {
            (true, _) => KeySource::Host,
            (false, Some(_)) => KeySource::Component,
            (false, None) => KeySource::Missing,
        }
    }

    /// Builds a configuration from `(name, value)` pairs; unknown names are ignored.
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Result<Config, Error> {
        let mut api_key = None;
        let mut key_from_host = false;
        let mut base_url = None;
        let mut limits = Limits::default();
        let mut retry = Policy::default();
        let mut allow_http = false;
        let mut polling = Polling::default();
        for (name, value) in vars {
            match name.as_str() {
                API_KEY if !value.is_empty() => api_key = Some(value),
                KEY_FROM_HOST => key_from_host = value == "1" || value.eq_ignore_ascii_case("true"),
                "MATCHKRAFT_BASE_URL" if !value.is_empty() => base_url = Some(value),
                "MATCHKRAFT_CONNECT_TIMEOUT_MS" => limits.connect_timeout_ms = number(&name, &value)?,
                "MATCHKRAFT_FIRST_BYTE_TIMEOUT_MS" => limits.first_byte_timeout_ms = number(&name, &value)?,
                "MATCHKRAFT_BETWEEN_BYTES_TIMEOUT_MS" => {
                    limits.between_bytes_timeout_ms = number(&name, &value)?
                }
                "MATCHKRAFT_MAX_RESPONSE_BYTES" => limits.max_response_bytes = number(&name, &value)?,
                "MATCHKRAFT_CALL_TIMEOUT_MS" => limits.call_timeout_ms = number(&name, &value)?,
                "MATCHKRAFT_POLL_INTERVAL_MS" => polling.first_interval_ms = number(&name, &value)?,
                "MATCHKRAFT_MAX_POLL_INTERVAL_MS" => polling.max_interval_ms = number(&name, &value)?,
                "MATCHKRAFT_MAX_ATTEMPTS" => {
                    retry.max_attempts = u32::try_from(number(&name, &value)?).unwrap_or(u32::MAX)
                }
                "MATCHKRAFT_MAX_RETRY_AFTER_MS" => retry.max_retry_after_ms = number(&name, &value)?,
                "MATCHKRAFT_ALLOW_INSECURE_HTTP" => {
                    allow_http = value == "1" || value.eq_ignore_ascii_case("true")
                }
                _ => {}
            }
        }
        let base = BaseUrl::parse(base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;
        // The key travels in a header: over plain HTTP anyone on the path reads it.
        require_https("MATCHKRAFT_BASE_URL", &base, allow_http)?;
        Ok(Config {
            api_key,
            key_from_host,
            base,
            limits,
            retry,
            polling,
        })
    }
}

/// The variable that names where the webhook relay delivers results.
pub const RELAY_DOWNSTREAM_URL: &str = "MATCHKRAFT_RELAY_DOWNSTREAM_URL";

/// The webhook relay's downstream URL (`MATCHKRAFT_RELAY_DOWNSTREAM_URL`),
/// from `(name, value)` pairs.
///
/// It is checked like the base URL, for the same reasons: `https://` unless
/// the host is a loopback address or `MATCHKRAFT_ALLOW_INSECURE_HTTP=1` is set
/// (the results it receives are personal data), and no user name, query or
/// fragment. Unlike the base URL it is an endpoint, not a prefix, so its path
/// is kept exactly as written (`/` when it has none): to a receiver `/hooks/`
/// and `/hooks` may be two different routes.
pub fn relay_downstream(vars: impl IntoIterator<Item = (String, String)>) -> Result<BaseUrl, Error> {
    let mut url = None;
    let mut allow_http = false;
    for (name, value) in vars {
        match name.as_str() {
            RELAY_DOWNSTREAM_URL if !value.is_empty() => url = Some(value),
            "MATCHKRAFT_ALLOW_INSECURE_HTTP" => {
                allow_http = value == "1" || value.eq_ignore_ascii_case("true")
            }
            _ => {}
        }
    }
    let url = url.ok_or_else(|| Error::PermanentConfig(format!("{RELAY_DOWNSTREAM_URL} is not set")))?;
    let (mut base, exact_path) = BaseUrl::parse_setting(RELAY_DOWNSTREAM_URL, &url)?;
    require_https(RELAY_DOWNSTREAM_URL, &base, allow_http)?;
    base.path = if exact_path.is_empty() {
        "/".into()
    } else {
        exact_path
    };
    Ok(base)
}

/// Refuses plain `http://` to anything but a loopback address, unless the
/// operator opted in with `MATCHKRAFT_ALLOW_INSECURE_HTTP=1`.
fn require_https(name: &str, base: &BaseUrl, allow_http: bool) -> Result<(), Error> {
    if base.https || base.is_loopback() || allow_http {
        return Ok(());
    }
    Err(Error::PermanentConfig(format!(
        "{name} must use https:// for {} (plain http is allowed only for loopback \
         addresses, or with MATCHKRAFT_ALLOW_INSECURE_HTTP=1)",
        base.authority
    )))
}

fn number(name: &str, value: &str) -> Result<u64, Error> {
    match value.trim().parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(Error::PermanentConfig(format!(
            "{name} must be a positive whole number, not {value:?}"
        ))),
    }
}

impl BaseUrl {
    /// Parses `http(s)://authority[/path]`. Query strings, fragments and user
    /// names are refused: they have no meaning for a base URL, and a user name
    /// in a URL is a classic way to smuggle a different host past a reader.
    pub fn parse(url: &str) -> Result<BaseUrl, Error> {
        BaseUrl::parse_setting("MATCHKRAFT_BASE_URL", url).map(|(base, _)| base)
    }

    /// [`BaseUrl::parse`] for the variable `name` (errors name it), which
    /// also returns the path exactly as written.
    fn parse_setting(name: &str, url: &str) -> Result<(BaseUrl, String), Error> {
        let bad = |why: &str| Error::PermanentConfig(format!("{name} {url:?} {why}"));
        let (https, rest) = if let Some(rest) = strip_prefix_ignore_case(url, "https://") {
            (true, rest)
        } else if let Some(rest) = strip_prefix_ignore_case(url, "http://") {
            (false, rest)
        } else {
            return Err(bad("must start with https:// or http://"));
        };
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, ""),
        };
        if authority.is_empty() {
            return Err(bad("has no host"));
        }
        if authority.contains('@') {
            return Err(bad("must not contain a user name"));
        }
        if url.contains(['?', '#']) || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("must not contain a query, a fragment or whitespace"));
        }
        let base = BaseUrl {
            https,
            authority: authority.to_string(),
            path: path.trim_end_matches('/').to_string(),
        };
        Ok((base, path.to_string()))
    }
}

impl BaseUrl {
    /// Whether the host is a loopback address (`localhost`, `127.0.0.0/8`,
    /// `[::1]`), where plain HTTP never leaves the machine.
    pub fn is_loopback(&self) -> bool {
        let host = match self.authority.rsplit_once(':') {
            Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) && !host.ends_with(':') => host,
            _ => self.authority.as_str(),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost")
            || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_to_the_documented_api() {
        let config = Config::from_vars(vars(&[])).unwrap();
        assert_eq!(
            config.base,
            BaseUrl {
                https: true,
                authority: "app.matchkraft.com".into(),
                path: "/api/v2".into()
            }
        );
        assert_eq!(config.api_key, None);
        assert_eq!(config.limits, Limits::default());
    }

    #[test]
    fn reads_overrides() {
        let config = Config::from_vars(vars(&[
            ("MATCHKRAFT_API_KEY", "k"),
            ("MATCHKRAFT_BASE_URL", "http://127.0.0.1:8080/api/v2/"),
            ("MATCHKRAFT_FIRST_BYTE_TIMEOUT_MS", "1500"),
            ("PATH", "/bin"),
        ]))
        .unwrap();
        assert_eq!(config.api_key.as_deref(), Some("k"));
        assert_eq!(config.base.authority, "127.0.0.1:8080");
        assert_eq!(config.base.path, "/api/v2");
        assert!(!config.base.https);
        assert_eq!(config.limits.first_byte_timeout_ms, 1500);

        let config = Config::from_vars(vars(&[
            ("MATCHKRAFT_MAX_ATTEMPTS", "5"),
            ("MATCHKRAFT_CALL_TIMEOUT_MS", "9000"),
        ]));
        let config = config.unwrap();
        assert_eq!(
            (config.retry.max_attempts, config.limits.call_timeout_ms),
            (5, 9000)
        );
    }

    #[test]
    fn refuses_bad_values() {
        for url in [
            "ftp://x.com",
            "https://",
            "https://user@x.com",
            "https://x.com/?a=1",
            "x.com",
        ] {
            let err = Config::from_vars(vars(&[("MATCHKRAFT_BASE_URL", url)])).unwrap_err();
            assert!(matches!(err, Error::PermanentConfig(_)), "{url}: {err:?}");
        }
        for (name, value) in [
            ("MATCHKRAFT_CONNECT_TIMEOUT_MS", "soon"),
            ("MATCHKRAFT_MAX_ATTEMPTS", "0"),
        ] {
            let err = Config::from_vars(vars(&[(name, value)])).unwrap_err();
            assert!(matches!(err, Error::PermanentConfig(_)), "{name}={value}");
        }
    }

    #[test]
    fn plain_http_only_for_loopback_unless_allowed() {
        for url in [
            "http://127.0.0.1:8080/api/v2",
            "http://localhost/api",
            "http://[::1]:9/api",
            "http://127.9.9.9",
        ] {
            assert!(
                Config::from_vars(vars(&[("MATCHKRAFT_BASE_URL", url)])).is_ok(),
                "{url}"
            );
        }
        for url in [
            "http://app.matchkraft.com/api/v2",
            "http://10.0.0.1/api",
            "http://localhost.evil.com/",
        ] {
            let err = Config::from_vars(vars(&[("MATCHKRAFT_BASE_URL", url)])).unwrap_err();
            assert!(
                matches!(err, Error::PermanentConfig(ref m) if m.contains("https")),
                "{url}: {err:?}"
            );
            let allowed = vars(&[
                ("MATCHKRAFT_BASE_URL", url),
                ("MATCHKRAFT_ALLOW_INSECURE_HTTP", "1"),
            ]);
            assert!(Config::from_vars(allowed).is_ok(), "{url}");
        }
    }

    #[test]
    fn the_relay_downstream_is_checked_like_the_base_url_and_kept_exact() {
        let downstream = |pairs: &[(&str, &str)]| relay_downstream(vars(pairs));
        let base = downstream(&[(RELAY_DOWNSTREAM_URL, "https://hooks.example.com/in/")]).unwrap();
        assert_eq!(
            base,
            BaseUrl {
                https: true,
                authority: "hooks.example.com".into(),
                path: "/in/".into()
            }
        );
        let bare = downstream(&[(RELAY_DOWNSTREAM_URL, "http://127.0.0.1:9000")]).unwrap();
        assert_eq!(
            (bare.authority.as_str(), bare.path.as_str()),
            ("127.0.0.1:9000", "/")
        );

        let missing = downstream(&[("MATCHKRAFT_BASE_URL", "https://x.com")]).unwrap_err();
        assert!(matches!(missing, Error::PermanentConfig(ref m) if m.contains(RELAY_DOWNSTREAM_URL)));
        for url in [
            "http://hooks.example.com/in",
            "https://user@x.com/",
            "https://x.com/?t=1",
            "x.com",
        ] {
            let err = downstream(&[(RELAY_DOWNSTREAM_URL, url)]).unwrap_err();
            assert!(
                matches!(err, Error::PermanentConfig(ref m) if m.contains(RELAY_DOWNSTREAM_URL)),
                "{url}: {err:?}"
            );
        }
        assert!(
            downstream(&[
                (RELAY_DOWNSTREAM_URL, "http://hooks.example.com/in"),
                ("MATCHKRAFT_ALLOW_INSECURE_HTTP", "1")
            ])
            .is_ok()
        );
    }

    #[test]
    fn the_key_source_is_the_host_when_it_says_so() {
        let source = |pairs: &[(&str, &str)]| Config::from_vars(vars(pairs)).unwrap().key_source();
        assert_eq!(source(&[]), KeySource::Missing);
        assert_eq!(source(&[(API_KEY, "")]), KeySource::Missing);
        assert_eq!(source(&[(API_KEY, "k")]), KeySource::Component);
        assert_eq!(source(&[(KEY_FROM_HOST, "1")]), KeySource::Host);
        assert_eq!(source(&[(KEY_FROM_HOST, "TRUE")]), KeySource::Host);
        assert_eq!(source(&[(KEY_FROM_HOST, "0")]), KeySource::Missing);
        assert_eq!(source(&[(KEY_FROM_HOST, "")]), KeySource::Missing);
        // The host's header replaces the component's.
        assert_eq!(source(&[(API_KEY, "k"), (KEY_FROM_HOST, "1")]), KeySource::Host);
    }

    #[test]
    fn debug_never_shows_the_key() {
        let config = Config::from_vars(vars(&[("MATCHKRAFT_API_KEY", "sentinel-secret-123")])).unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("sentinel-secret-123"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn polling_grows_by_half_and_is_capped() {
        let polling = Config::from_vars(vars(&[
            ("MATCHKRAFT_POLL_INTERVAL_MS", "100"),
            ("MATCHKRAFT_MAX_POLL_INTERVAL_MS", "300"),
        ]))
        .unwrap()
        .polling;
        let mut interval = polling.first_interval_ms;
        let mut seen = vec![interval];
        for _ in 0..4 {
            interval = polling.next(interval);
            seen.push(interval);
        }
        assert_eq!(seen, [100, 150, 225, 300, 300]);
    }
}
