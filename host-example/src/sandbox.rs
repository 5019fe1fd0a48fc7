//! The outgoing-request allow-list: the component may talk to the configured
//! API origin and nowhere else.
//!
//! The check is made on the request's scheme, host and port only. Paths, query
//! strings, headers and bodies are the component's business: the host needs no
//! knowledge of the MatchKraft API beyond its base URL.

use std::fmt;
use std::pin::Pin;

use http::header::HeaderName;
use http::{HeaderValue, Uri};

/// The header the MatchKraft API reads its key from.
const API_KEY_HEADER: HeaderName = HeaderName::from_static("apikey");
use http_body_util::BodyExt;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks, default_send_request};

use crate::pool::ConnectionPool;

/// A scheme, host and port triple: the unit an HTTP request is allowed for.
///
/// The host is kept lower-cased and the port is always explicit (80 for
/// `http`, 443 for `https` when the URL names none), so that two spellings of
/// the same origin compare equal and nothing else does.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Origin {
    https: bool,
    host: String,
    port: u16,
}

/// Why a base URL cannot serve as the allowed origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OriginError(String);

impl fmt::Display for OriginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OriginError {}

impl Origin {
    /// The origin of a configured base URL such as
    /// `https://app.matchkraft.com/api/v2`.
    pub(crate) fn from_base_url(base_url: &str) -> Result<Origin, OriginError> {
        let uri: Uri = base_url
            .trim()
            .parse()
            .map_err(|e| OriginError(format!("not a URL ({e})")))?;
        Origin::of_uri(&uri).ok_or_else(|| {
            OriginError(
                "must be an absolute http:// or https:// URL with a host and no user name".to_string(),
            )
        })
    }

    /// The origin a request URI targets, or `None` when it has none this host
    /// would ever allow: no scheme, a scheme other than `http`/`https`, no host,
    /// or user information (`user:password@`) in the authority.
    pub(crate) fn of_uri(uri: &Uri) -> Option<Origin> {
        let https = match uri.scheme_str()?.to_ascii_lowercase().as_str() {
            "https" => true,
            "http" => false,
            _ => return None,
        };
        let authority = uri.authority()?;
        if authority.as_str().contains('@') {
            return None;
        }
        let host = authority.host();
        if host.is_empty() {
            return None;
        }
        let port = match authority.port() {
            Some(port) => port.as_u16(),
            None if authority.as_str().ends_with(':') => return None,
            None if https => 443,
            None => 80,
        };
        Some(Origin {
            https,
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// Whether a request to `uri` goes to exactly this origin.
    pub(crate) fn allows(&self, uri: &Uri) -> bool {
        Origin::of_uri(uri).as_ref() == Some(self)
    }

    /// Whether the scheme is `https`.
    pub(crate) fn is_https(&self) -> bool {
        self.https
    }

    /// The host without the brackets of an IPv6 literal: what a socket
    /// address or a TLS server name is made from.
    pub(crate) fn host_unbracketed(&self) -> &str {
        self.host.trim_start_matches('[').trim_end_matches(']')
    }

    /// The port, explicit or the scheme's default.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        write!(f, "{scheme}://{}:{}", self.host, self.port)
    }
}

/// The response future type `WasiHttpHooks::send_request` returns.
type SendFuture = Box<
    dyn Future<
            Output = wasmtime_wasi_http::Result<(
                http::Response<WasiBody>,
                Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            )>,
        > + Send,
>;

/// The `wasi:http` hooks of one store: requests to the allowed origin are
/// sent as usual, every other request fails with `HttpRequestDenied`, which
/// the component receives as a typed `error-code` (not a trap).
///
/// `allowed: None` (a base URL that does not parse) denies everything; the
/// component then reports its own configuration error.
///
/// A second origin may be allowed without the key ([`Sandbox::allow_without_key`]):
/// the webhook relay's downstream receiver, which must never see it.
///
/// Admitted requests go out on the host's keep-alive connections
/// ([`Sandbox::use_pool`]), or each on a new connection when the host has no
/// pool.
#[derive(Clone, Debug)]
pub(crate) struct Sandbox {
    allowed: Option<Origin>,
    /// The `apikey` header to add to allowed requests, when the host holds the key.
    api_key: Option<HeaderValue>,
    /// An origin allowed as well, never with an `apikey` header.
    keyless: Option<Origin>,
    /// The keep-alive connections admitted requests are sent on.
    pool: Option<ConnectionPool>,
}

impl Sandbox {
    /// A sandbox allowing only `allowed`, or nothing at all.
    pub(crate) fn new(allowed: Option<Origin>, api_key: Option<HeaderValue>) -> Sandbox {
        Sandbox {
            allowed,
            api_key,
            keyless: None,
            pool: None,
        }
    }

    /// Sends admitted requests on `pool`'s keep-alive connections (kept per
    /// origin) instead of a new connection each.
    pub(crate) fn use_pool(&mut self, pool: Option<ConnectionPool>) {
        self.pool = pool;
    }

    /// Also allows requests to `origin`, never with an `apikey` header. The
    /// caller makes sure it is not the allowed origin itself, whose requests
    /// get the key.
    pub(crate) fn allow_without_key(&mut self, origin: Origin) {
        self.keyless = Some(origin);
    }

    /// The whole policy for one request: refused unless it is for an allowed
    /// origin; given the key (when the host holds it) only for the API's
    /// origin; stripped of any `apikey` header for the key-less origin, in
    /// case a component that holds the key itself would send it there.
    pub(crate) fn admit(
        &self,
        mut request: http::Request<WasiBody>,
    ) -> Result<http::Request<WasiBody>, HttpError> {
        if !self.permits(request.uri()) {
            return Err(HttpError::HttpRequestDenied);
        }
        if self.allowed.as_ref().is_some_and(|api| api.allows(request.uri())) {
            if let Some(key) = &self.api_key {
                request.headers_mut().insert(API_KEY_HEADER, key.clone());
            }
        } else {
            request.headers_mut().remove(API_KEY_HEADER);
        }
        Ok(request)
    }

    /// Whether a request to `uri` may leave the host.
    pub(crate) fn permits(&self, uri: &Uri) -> bool {
        [&self.allowed, &self.keyless]
            .into_iter()
            .any(|origin| origin.as_ref().is_some_and(|o| o.allows(uri)))
    }
}

impl WasiHttpHooks for Sandbox {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> SendFuture {
        // The policy first: nothing reaches a connection, pooled or new,
        // before the request has been admitted.
        let request = match self.admit(request) {
            Ok(request) => request,
            Err(denied) => return Box::new(async move { Err(denied) }),
        };
        if let Some(pool) = self.pool.clone() {
            // `admit` accepted the URI, so it has an origin.
            let Some(origin) = Origin::of_uri(request.uri()) else {
                return Box::new(async move { Err(HttpError::HttpRequestDenied) });
            };
            return Box::new(async move { pool.send(origin, request, options).await });
        }
        Box::new(async move {
            let (response, io) = default_send_request(request, options).await?;
            let io: Pin<Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>> = Box::pin(io);
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(base: &str) -> Origin {
        Origin::from_base_url(base).expect("a valid base URL")
    }

    fn allows(base: &str, request: &str) -> bool {
        let uri: Uri = request.parse().expect("a valid request URI");
        origin(base).allows(&uri)
    }

    #[test]
    fn exact_origin_is_allowed_whatever_the_path() {
        let base = "https://app.matchkraft.com/api/v2";
        assert!(allows(base, "https://app.matchkraft.com/api/v2/email-validation"));
        assert!(allows(base, "https://app.matchkraft.com/other?x=1"));
        assert!(allows(base, "https://APP.MatchKraft.com/api/v2"));
        assert!(allows(base, "HTTPS://app.matchkraft.com/api/v2"));
    }

    #[test]
    fn default_ports_follow_the_scheme() {
        assert!(allows("https://api.example.com", "https://api.example.com:443/x"));
        assert!(allows(
            "https://api.example.com:443/v2",
            "https://api.example.com/x"
        ));
        assert!(allows("http://api.example.com/v2", "http://api.example.com:80/x"));
        assert!(!allows(
            "http://api.example.com/v2",
            "http://api.example.com:443/x"
        ));
    }

    #[test]
    fn loopback_with_port() {
        let base = "http://127.0.0.1:40123/api/v2";
        assert!(allows(base, "http://127.0.0.1:40123/api/v2/domain-scan"));
        assert!(!allows(base, "http://127.0.0.1:40124/api/v2/domain-scan"));
        assert!(!allows(base, "http://127.0.0.1/api/v2/domain-scan"));
        assert!(!allows(base, "http://localhost:40123/api/v2/domain-scan"));
        assert!(!allows(base, "https://127.0.0.1:40123/api/v2/domain-scan"));
    }

    #[test]
    fn other_hosts_are_denied() {
        let base = "https://app.matchkraft.com/api/v2";
        assert!(!allows(base, "https://evil.example/api/v2"));
        assert!(!allows(base, "https://app.matchkraft.com.evil.example/api/v2"));
        assert!(!allows(base, "https://matchkraft.com/api/v2"));
        assert!(!allows(base, "https://app.matchkraft.com./api/v2"));
    }

    #[test]
    fn other_ports_and_schemes_are_denied() {
        let base = "https://app.matchkraft.com/api/v2";
        assert!(!allows(base, "https://app.matchkraft.com:8443/api/v2"));
        assert!(!allows(base, "http://app.matchkraft.com/api/v2"));
        assert!(!allows(base, "http://app.matchkraft.com:443/api/v2"));
        assert!(!allows(base, "ftp://app.matchkraft.com/api/v2"));
    }

    #[test]
    fn ip_literals_do_not_match_a_name() {
        let base = "https://app.matchkraft.com/api/v2";
        assert!(!allows(base, "https://93.184.216.34/api/v2"));
        assert!(!allows(base, "https://[::1]/api/v2"));
        assert!(allows("http://[::1]:8080/", "http://[::1]:8080/api"));
        assert!(!allows("http://[::1]:8080/", "http://127.0.0.1:8080/api"));
    }

    #[test]
    fn userinfo_is_never_allowed() {
        let base = "http://127.0.0.1:8080/api/v2";
        // `http::Uri` accepts user information in an authority; the allow-list
        // must not be fooled by it.
        let uri: Uri = "http://user:secret@127.0.0.1:8080/api/v2"
            .parse()
            .expect("http::Uri parses userinfo");
        assert_eq!(uri.host(), Some("127.0.0.1"));
        assert!(!origin(base).allows(&uri));
        assert!(!allows(base, "http://127.0.0.1:8080@evil.example/api/v2"));
        assert!(Origin::from_base_url("http://user@127.0.0.1:8080/").is_err());
    }

    #[test]
    fn relative_and_odd_uris_are_denied() {
        let base = "https://app.matchkraft.com/api/v2";
        assert!(!allows(base, "/api/v2/domain-scan"));
        assert!(!allows(base, "https://app.matchkraft.com:/api/v2"));
    }

    #[test]
    fn bad_base_urls_are_rejected() {
        for bad in ["", "not a url", "app.matchkraft.com/api", "/api/v2", "ftp://x/y"] {
            assert!(Origin::from_base_url(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn origin_displays_with_explicit_port() {
        assert_eq!(
            origin("https://App.MatchKraft.com/api/v2").to_string(),
            "https://app.matchkraft.com:443"
        );
    }

    fn empty_request(uri: &str) -> http::Request<WasiBody> {
        let body = http_body_util::Empty::<bytes::Bytes>::new()
            .map_err(|never| match never {})
            .boxed_unsync();
        http::Request::get(uri).body(body).expect("a request")
    }

    #[tokio::test]
    async fn denied_request_resolves_to_http_request_denied() {
        let mut sandbox = Sandbox::new(Some(origin("http://127.0.0.1:9/api/v2")), None);
        let future = sandbox.send_request(
            empty_request("http://10.0.0.1:9/api/v2/email-validation"),
            None,
            Box::new(async { Ok(()) }),
        );
        match Pin::from(future).await {
            Err(HttpError::HttpRequestDenied) => {}
            Err(other) => panic!("expected HttpRequestDenied, got {other}"),
            Ok(_) => panic!("a denied request was sent"),
        }
    }

    #[tokio::test]
    async fn no_origin_denies_everything() {
        let mut sandbox = Sandbox::new(None, None);
        assert!(!sandbox.permits(&"http://127.0.0.1:9/".parse().unwrap()));
        let future = sandbox.send_request(
            empty_request("http://127.0.0.1:9/"),
            None,
            Box::new(async { Ok(()) }),
        );
        assert!(matches!(
            Pin::from(future).await,
            Err(HttpError::HttpRequestDenied)
        ));
    }

    #[test]
    fn the_host_adds_the_key_to_allowed_requests_only() {
        let mut key = HeaderValue::from_static("host-held-key");
        key.set_sensitive(true);
        let sandbox = Sandbox::new(Some(origin("https://app.matchkraft.com/api/v2")), Some(key));

        let admitted = sandbox
            .admit(empty_request(
                "https://app.matchkraft.com/api/v2/email-validation",
            ))
            .expect("the allowed origin is admitted");
        assert_eq!(admitted.headers()["apikey"], "host-held-key");
        assert!(
            !format!("{:?}", admitted.headers()).contains("host-held-key"),
            "Debug hides the key"
        );

        for elsewhere in [
            "https://evil.example/api/v2",
            "http://app.matchkraft.com/api/v2",
            "https://app.matchkraft.com:8443/",
        ] {
            assert!(
                matches!(
                    sandbox.admit(empty_request(elsewhere)),
                    Err(HttpError::HttpRequestDenied)
                ),
                "{elsewhere}"
            );
        }
        let without_key = Sandbox::new(Some(origin("https://app.matchkraft.com/api/v2")), None);
        let admitted = without_key
            .admit(empty_request("https://app.matchkraft.com/x"))
            .unwrap();
        assert!(admitted.headers().get("apikey").is_none());
    }

    #[test]
    fn the_key_less_origin_is_allowed_and_never_gets_the_key() {
        let mut sandbox = Sandbox::new(
            Some(origin("https://app.matchkraft.com/api/v2")),
            Some(HeaderValue::from_static("host-held-key")),
        );
        sandbox.allow_without_key(origin("http://127.0.0.1:9000/hooks"));

        let mut request = empty_request("http://127.0.0.1:9000/hooks");
        // A component that holds the key itself might set the header.
        request
            .headers_mut()
            .insert("apikey", HeaderValue::from_static("guest-held-key"));
        let admitted = sandbox.admit(request).expect("the key-less origin is admitted");
        assert!(admitted.headers().get("apikey").is_none());

        let admitted = sandbox
            .admit(empty_request("https://app.matchkraft.com/api/v2/x"))
            .expect("the API is still admitted");
        assert_eq!(admitted.headers()["apikey"], "host-held-key");

        for elsewhere in ["http://127.0.0.1:9001/hooks", "https://127.0.0.1:9000/hooks"] {
            assert!(
                matches!(
                    sandbox.admit(empty_request(elsewhere)),
                    Err(HttpError::HttpRequestDenied)
                ),
                "{elsewhere}"
            );
        }
        assert!(sandbox.permits(&"http://127.0.0.1:9000/other".parse().unwrap()));
    }
}
