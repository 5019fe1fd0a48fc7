//! Keep-alive connections for the component's requests, so that a call does
//! not pay for a new TCP connection (and, against the real API, a new TLS
//! handshake) on every request.
//!
//! wasmtime-wasi-http's `default_send_request` connects afresh for each
//! request. [`ConnectionPool`] keeps HTTP/1.1 connections open after a
//! response has been read to its end and hands them to the next request for
//! the same origin: one pool per [`MatchKraft`](crate::MatchKraft), shared by
//! all its calls and clones.
//!
//! What stays as it was:
//! - the sandbox decides first: only a request it has admitted (allow-list
//!   checked, key added or stripped) reaches [`ConnectionPool::send`];
//! - connections are kept per origin (scheme, host, port), so a connection
//!   opened for one origin never carries a request for another;
//! - the timeouts the component asks for (`request-options`) apply as in
//!   `default_send_request`: connect (TCP, TLS and the HTTP handshake of a
//!   new connection), first byte (the response head) and between bytes (each
//!   frame of the body);
//! - https uses rustls with the webpki roots, as `default_send_request` does.
//!
//! The pool is bounded: a connection idle longer than the idle timeout is
//! closed and never reused, and at most `max_idle_per_origin` idle
//! connections are kept per origin (more are closed when they become idle).
//! A connection goes back to the pool only once its response body has been
//! read to the end; one whose response was abandoned, or that the server
//! closed, is dropped. A request that a pooled connection could not even
//! start to send (the server closed it while it sat idle) is sent again on
//! another one: nothing of it reached the server.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody};

use crate::sandbox::Origin;

/// wasmtime-wasi-http's default for a timeout the component did not set.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// The longest an idle connection may take to become ready for its next
/// request before a new connection is opened instead; hyper takes
/// microseconds once a response has been read.
const READY_WAIT: Duration = Duration::from_secs(1);

/// What `send` returns: the response, and the future `send_request` hands
/// back to wasmtime for errors of the request's own processing.
pub(crate) type Sent = (
    http::Response<WasiBody>,
    Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
);

/// How many idle connections to keep, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PoolLimits {
    pub(crate) idle_timeout: Duration,
    pub(crate) max_idle_per_origin: usize,
}

/// Idle keep-alive connections by origin. Cloning shares the pool.
#[derive(Clone)]
pub(crate) struct ConnectionPool {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ConnectionPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionPool")
            .field("limits", &self.inner.limits)
            .finish_non_exhaustive()
    }
}

struct Inner {
    limits: PoolLimits,
    idle: Mutex<HashMap<Origin, Vec<Idle>>>,
    /// Whether a task is closing expired connections (one per pool at most).
    reaping: AtomicBool,
    /// The TLS client configuration, built on first use.
    tls: OnceLock<Arc<rustls::ClientConfig>>,
}

/// A connection waiting for its next request.
struct Idle {
    sender: SendRequest<WasiBody>,
    since: Instant,
}

impl ConnectionPool {
    /// An empty pool with these limits.
    pub(crate) fn new(limits: PoolLimits) -> ConnectionPool {
        ConnectionPool {
            inner: Arc::new(Inner {
                limits,
                idle: Mutex::new(HashMap::new()),
                reaping: AtomicBool::new(false),
                tls: OnceLock::new(),
            }),
        }
    }

    /// An empty pool that trusts `tls` instead of the webpki roots (tests
    /// with a certificate of their own).
    #[cfg(test)]
    pub(crate) fn with_tls(limits: PoolLimits, tls: rustls::ClientConfig) -> ConnectionPool {
        let pool = ConnectionPool::new(limits);
        let _ = pool.inner.tls.set(Arc::new(tls));
        pool
    }

    /// Sends `request`, which the sandbox has admitted for `origin`, on an
    /// idle connection to that origin or on a new one.
    pub(crate) async fn send(
        &self,
        origin: Origin,
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
    ) -> wasmtime_wasi_http::Result<Sent> {
        let timeout = |pick: fn(&RequestOptions) -> Option<Duration>| {
            options.as_ref().and_then(pick).unwrap_or(DEFAULT_TIMEOUT)
        };
        let connect_timeout = timeout(|o| o.connect_timeout);
        let first_byte_timeout = timeout(|o| o.first_byte_timeout);
        let between_bytes_timeout = timeout(|o| o.between_bytes_timeout);

        // The request line carries the path only (the `host` header is
        // already set), as in `default_send_request`.
        *request.uri_mut() = http::Uri::builder()
            .path_and_query(request.uri().path_and_query().map_or("/", |p| p.as_str()))
            .build()
            .map_err(|_| HttpError::HttpRequestUriInvalid)?;

        loop {
            let (mut sender, reused) = match self.checkout(&origin, connect_timeout).await {
                Some(sender) => (sender, true),
                None => (self.inner.connect(&origin, connect_timeout).await?, false),
            };
            let response =
                match tokio::time::timeout(first_byte_timeout, sender.try_send_request(request)).await {
                    Err(_elapsed) => return Err(HttpError::ConnectionReadTimeout),
                    Ok(Ok(response)) => response,
                    Ok(Err(mut error)) => match error.take_message() {
                        // Not a byte of it was written: the idle connection had
                        // been closed. Try the next one, or a new one.
                        Some(unsent) if reused => {
                            request = unsent;
                            continue;
                        }
                        _ => return Err(HttpError::from(error.into_error())),
                    },
                };
            // Tokio panics on a zero interval; 1 ns is as good as zero.
            let mut between_bytes = tokio::time::interval(between_bytes_timeout.max(Duration::from_nanos(1)));
            between_bytes.reset();
            let response = response.map(|incoming| {
                PooledBody {
                    incoming,
                    between_bytes,
                    give_back: Some((Arc::downgrade(&self.inner), origin, sender)),
                }
                .boxed_unsync()
            });
            let io: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send> =
                Box::new(async { Ok(()) });
            return Ok((response, io));
        }
    }

    /// The most recently used idle connection to `origin` that is still
    /// open, younger than the idle timeout, and ready for a request.
    async fn checkout(&self, origin: &Origin, wait_at_most: Duration) -> Option<SendRequest<WasiBody>> {
        loop {
            let mut sender = {
                let mut idle = self.inner.idle.lock().expect("the pool lock");
                let list = idle.get_mut(origin)?;
                let now = Instant::now();
                list.retain(|c| {
                    !c.sender.is_closed() && now.duration_since(c.since) < self.inner.limits.idle_timeout
                });
                let Some(found) = list.pop() else {
                    idle.remove(origin);
                    return None;
                };
                found.sender
            };
            // A connection goes back at the end of its response body; hyper
            // may need a moment to finish with it. One still busy after that
            // (a request body never finished) is dropped, not waited for.
            let wait = wait_at_most.min(READY_WAIT);
            if let Ok(Ok(())) = tokio::time::timeout(wait, sender.ready()).await {
                return Some(sender);
            }
        }
    }

    /// How many idle connections the pool holds for `origin` (tests).
    #[cfg(test)]
    pub(crate) fn idle_count(&self, origin: &Origin) -> usize {
        let idle = self.inner.idle.lock().expect("the pool lock");
        idle.get(origin).map_or(0, Vec::len)
    }
}

impl Inner {
    /// A new connection to `origin`: TCP, TLS for https, the HTTP/1.1
    /// handshake, all within `timeout`. Its I/O runs on a task of its own
    /// until the last handle to it is dropped.
    async fn connect(
        &self,
        origin: &Origin,
        timeout: Duration,
    ) -> wasmtime_wasi_http::Result<SendRequest<WasiBody>> {
        let connecting = async {
            let stream = TcpStream::connect((origin.host_unbracketed(), origin.port()))
                .await
                .map_err(HttpError::Connect)?;
            // Requests are small and answered at once: do not hold back
            // their last segment waiting for an acknowledgement.
            let _ = stream.set_nodelay(true);
            if origin.is_https() {
                let name = server_name(origin)?;
                let stream = tokio_rustls::TlsConnector::from(self.tls_config())
                    .connect(name, stream)
                    .await
                    .map_err(HttpError::Tls)?;
                let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
                tokio::spawn(connection);
                Ok(sender)
            } else {
                let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
                tokio::spawn(connection);
                Ok(sender)
            }
        };
        match tokio::time::timeout(timeout, connecting).await {
            Ok(connected) => connected,
            Err(_elapsed) => Err(HttpError::ConnectionTimeout),
        }
    }

    /// rustls with the webpki roots, the configuration `default_send_request`
    /// builds for every request, built once here.
    fn tls_config(&self) -> Arc<rustls::ClientConfig> {
        self.tls
            .get_or_init(|| {
                let roots = rustls::RootCertStore {
                    roots: webpki_roots::TLS_SERVER_ROOTS.into(),
                };
                Arc::new(
                    rustls::ClientConfig::builder()
                        .with_root_certificates(roots)
                        .with_no_client_auth(),
                )
            })
            .clone()
    }

    /// Keeps a connection whose response was read to its end, unless its
    /// origin already has as many idle connections as allowed.
    fn give_back(self: &Arc<Self>, origin: Origin, sender: SendRequest<WasiBody>) {
        if sender.is_closed() {
            return;
        }
        {
            let mut idle = self.idle.lock().expect("the pool lock");
            let list = idle.entry(origin).or_default();
            if list.len() >= self.limits.max_idle_per_origin {
                return;
            }
            list.push(Idle {
                sender,
                since: Instant::now(),
            });
        }
        self.start_reaping();
    }

    /// Starts, unless one runs, the task that closes connections idle past
    /// the timeout, so that an unused pool holds no sockets. It ends when the
    /// pool is empty or gone.
    fn start_reaping(self: &Arc<Self>) {
        if self.reaping.swap(true, Ordering::AcqRel) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.reaping.store(false, Ordering::Release);
            return;
        };
        let pool = Arc::downgrade(self);
        let period = self.limits.idle_timeout;
        runtime.spawn(reap(pool, period));
    }
}

/// Closes expired connections every `period` until the pool is empty or gone.
async fn reap(pool: Weak<Inner>, period: Duration) {
    loop {
        tokio::time::sleep(period).await;
        let Some(inner) = pool.upgrade() else { return };
        let mut idle = inner.idle.lock().expect("the pool lock");
        let now = Instant::now();
        idle.retain(|_, list| {
            list.retain(|c| !c.sender.is_closed() && now.duration_since(c.since) < period);
            !list.is_empty()
        });
        if idle.is_empty() {
            inner.reaping.store(false, Ordering::Release);
            return;
        }
    }
}

/// The name the server's certificate must carry: the origin's host, or its
/// IP address.
fn server_name(origin: &Origin) -> wasmtime_wasi_http::Result<rustls::pki_types::ServerName<'static>> {
    let host = origin.host_unbracketed();
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return Ok(rustls::pki_types::ServerName::from(ip));
    }
    Ok(rustls::pki_types::ServerName::try_from(host.to_string())?)
}

/// A response body that enforces the between-bytes timeout, and gives its
/// connection back to the pool once read to the end.
struct PooledBody {
    incoming: hyper::body::Incoming,
    between_bytes: tokio::time::Interval,
    give_back: Option<(Weak<Inner>, Origin, SendRequest<WasiBody>)>,
}

impl PooledBody {
    fn finished(&mut self) {
        if let Some((pool, origin, sender)) = self.give_back.take()
            && let Some(pool) = pool.upgrade()
        {
            pool.give_back(origin, sender);
        }
    }
}

impl http_body::Body for PooledBody {
    type Data = bytes::Bytes;
    type Error = HttpError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.incoming).poll_frame(cx) {
            Poll::Ready(None) => {
                this.finished();
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(error))) => {
                this.give_back = None;
                Poll::Ready(Some(Err(if error.is_timeout() {
                    HttpError::HttpResponseTimeout
                } else {
                    HttpError::from(error)
                })))
            }
            Poll::Ready(Some(Ok(frame))) => {
                this.between_bytes.reset();
                if this.incoming.is_end_stream() {
                    this.finished();
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => {
                ready!(this.between_bytes.poll_tick(cx));
                this.give_back = None;
                Poll::Ready(Some(Err(HttpError::ConnectionReadTimeout)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.incoming.size_hint()
    }
}

#[cfg(test)]
mod tests {
    //! Against small local servers that count the connections they accept and
    //! note the `apikey` header of each request.

    use std::net::SocketAddr;
    use std::sync::atomic::AtomicUsize;

    use http::HeaderValue;
    use http_body_util::{Empty, Full};
    use hyper::service::service_fn;
    use tokio::net::TcpListener;
    use wasmtime_wasi_http::WasiHttpHooks;

    use super::*;
    use crate::sandbox::Sandbox;

    const KEY: &str = "host-held-test-key";

    /// A local HTTP/1.1 server. `/slow-head` answers after 2 s, `/slow-body`
    /// sends one byte and then stalls for 2 s; anything else answers `ok`.
    struct Server {
        addr: SocketAddr,
        accepted: Arc<AtomicUsize>,
        /// The `apikey` header of each request, in order.
        keys: Arc<Mutex<Vec<Option<String>>>>,
    }

    impl Server {
        async fn start(keep_alive: bool) -> Server {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let accepted = Arc::new(AtomicUsize::new(0));
            let keys = Arc::new(Mutex::new(Vec::new()));
            let (count, seen) = (accepted.clone(), keys.clone());
            tokio::spawn(async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        return;
                    };
                    count.fetch_add(1, Ordering::SeqCst);
                    let seen = seen.clone();
                    let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
                        let seen = seen.clone();
                        async move {
                            let key = request
                                .headers()
                                .get("apikey")
                                .map(|v| v.to_str().unwrap().to_string());
                            seen.lock().unwrap().push(key);
                            let body: WasiBody = match request.uri().path() {
                                "/slow-head" => {
                                    tokio::time::sleep(Duration::from_secs(2)).await;
                                    text("late")
                                }
                                "/slow-body" => Stalling {
                                    sent: false,
                                    stall: Box::pin(tokio::time::sleep(Duration::from_secs(2))),
                                }
                                .boxed_unsync(),
                                _ => text("ok"),
                            };
                            Ok::<_, std::convert::Infallible>(http::Response::new(body))
                        }
                    });
                    tokio::spawn(
                        hyper::server::conn::http1::Builder::new()
                            .keep_alive(keep_alive)
                            .serve_connection(TokioIo::new(stream), service),
                    );
                }
            });
            Server { addr, accepted, keys }
        }

        fn origin(&self) -> Origin {
            Origin::from_base_url(&self.url("/")).unwrap()
        }

        fn url(&self, path: &str) -> String {
            format!("http://{}{path}", self.addr)
        }

        fn accepted(&self) -> usize {
            self.accepted.load(Ordering::SeqCst)
        }

        fn keys(&self) -> Vec<Option<String>> {
            self.keys.lock().unwrap().clone()
        }
    }

    fn text(body: &'static str) -> WasiBody {
        Full::new(bytes::Bytes::from_static(body.as_bytes()))
            .map_err(|never| match never {})
            .boxed_unsync()
    }

    /// A body that sends one byte, then nothing until its sleep ends.
    struct Stalling {
        sent: bool,
        stall: Pin<Box<tokio::time::Sleep>>,
    }

    impl http_body::Body for Stalling {
        type Data = bytes::Bytes;
        type Error = HttpError;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<http_body::Frame<bytes::Bytes>, HttpError>>> {
            if !self.sent {
                self.sent = true;
                return Poll::Ready(Some(Ok(http_body::Frame::data(bytes::Bytes::from_static(b"x")))));
            }
            ready!(self.stall.as_mut().poll(cx));
            Poll::Ready(None)
        }
    }

    fn limits(idle_timeout: Duration, max_idle_per_origin: usize) -> PoolLimits {
        PoolLimits {
            idle_timeout,
            max_idle_per_origin,
        }
    }

    /// A sandbox for `api` (with the host-held key) using `pool`.
    fn sandbox(api: &Server, pool: Option<ConnectionPool>) -> Sandbox {
        let mut key = HeaderValue::from_static(KEY);
        key.set_sensitive(true);
        let mut sandbox = Sandbox::new(Some(api.origin()), Some(key));
        sandbox.use_pool(pool);
        sandbox
    }

    fn request(url: &str) -> http::Request<WasiBody> {
        let authority = url.split('/').nth(2).unwrap().to_string();
        http::Request::get(url)
            .header("host", authority)
            .body(
                Empty::<bytes::Bytes>::new()
                    .map_err(|never| match never {})
                    .boxed_unsync(),
            )
            .unwrap()
    }

    /// Sends through the sandbox's hook, as wasmtime does for the component.
    async fn send(
        sandbox: &mut Sandbox,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
    ) -> wasmtime_wasi_http::Result<http::Response<WasiBody>> {
        let future = sandbox.send_request(request, options, Box::new(async { Ok(()) }));
        let (response, _io) = Pin::from(future).await?;
        Ok(response)
    }

    /// Sends and reads the whole body.
    async fn get(sandbox: &mut Sandbox, url: &str) -> String {
        let response = send(sandbox, request(url), None).await.expect("a response");
        let body = response
            .into_body()
            .collect()
            .await
            .expect("the whole body")
            .to_bytes();
        String::from_utf8(body.to_vec()).unwrap()
    }

    fn default_pool() -> ConnectionPool {
        ConnectionPool::new(limits(Duration::from_secs(30), 4))
    }

    #[tokio::test]
    async fn sequential_requests_share_one_connection() {
        let api = Server::start(true).await;
        let pool = default_pool();
        for _ in 0..5 {
            // A store per call, as `MatchKraft` makes: the pool is shared.
            let mut sandbox = sandbox(&api, Some(pool.clone()));
            assert_eq!(get(&mut sandbox, &api.url("/x")).await, "ok");
        }
        assert_eq!(api.accepted(), 1);
        assert_eq!(api.keys(), vec![Some(KEY.to_string()); 5]);
    }

    #[tokio::test]
    async fn without_a_pool_every_request_connects() {
        let api = Server::start(true).await;
        let mut sandbox = sandbox(&api, None);
        for _ in 0..3 {
            assert_eq!(get(&mut sandbox, &api.url("/x")).await, "ok");
        }
        assert_eq!(api.accepted(), 3);
    }

    #[tokio::test]
    async fn origins_never_share_a_connection_and_only_the_api_gets_the_key() {
        let (api, other) = (Server::start(true).await, Server::start(true).await);
        let pool = default_pool();
        let mut sandbox = sandbox(&api, Some(pool.clone()));
        sandbox.allow_without_key(other.origin());
        for _ in 0..3 {
            assert_eq!(get(&mut sandbox, &api.url("/a")).await, "ok");
            // Even a key the request itself carries is removed.
            let mut to_other = request(&other.url("/b"));
            to_other
                .headers_mut()
                .insert("apikey", HeaderValue::from_static(KEY));
            let response = send(&mut sandbox, to_other, None).await.unwrap();
            response.into_body().collect().await.unwrap();
        }
        assert_eq!((api.accepted(), other.accepted()), (1, 1));
        assert_eq!(api.keys(), vec![Some(KEY.to_string()); 3]);
        assert_eq!(other.keys(), vec![None; 3]);
        assert_eq!(
            (pool.idle_count(&api.origin()), pool.idle_count(&other.origin())),
            (1, 1)
        );
    }

    #[tokio::test]
    async fn a_denied_request_opens_no_connection() {
        let (api, elsewhere) = (Server::start(true).await, Server::start(true).await);
        let pool = default_pool();
        let mut sandbox = sandbox(&api, Some(pool.clone()));
        assert_eq!(get(&mut sandbox, &api.url("/a")).await, "ok");
        // An idle connection to the API exists; a request elsewhere must not
        // use it, nor open one of its own.
        for url in [elsewhere.url("/x"), format!("https://{}/x", api.addr)] {
            match send(&mut sandbox, request(&url), None).await {
                Err(HttpError::HttpRequestDenied) => {}
                Err(other) => panic!("{url}: expected HttpRequestDenied, got {other}"),
                Ok(_) => panic!("{url}: a denied request was sent"),
            }
        }
        assert_eq!(elsewhere.accepted(), 0);
        assert_eq!(api.keys().len(), 1, "nothing else reached the API's connection");
        assert_eq!(pool.idle_count(&elsewhere.origin()), 0);
    }

    #[tokio::test]
    async fn a_connection_idle_past_the_timeout_is_closed_not_reused() {
        let api = Server::start(true).await;
        let pool = ConnectionPool::new(limits(Duration::from_millis(200), 4));
        let mut sandbox = sandbox(&api, Some(pool.clone()));
        assert_eq!(get(&mut sandbox, &api.url("/a")).await, "ok");
        assert_eq!(pool.idle_count(&api.origin()), 1);
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(
            pool.idle_count(&api.origin()),
            0,
            "closed by the pool while unused"
        );
        assert_eq!(get(&mut sandbox, &api.url("/a")).await, "ok");
        assert_eq!(api.accepted(), 2);
    }

    #[tokio::test]
    async fn at_most_max_idle_connections_are_kept_per_origin() {
        let api = Server::start(true).await;
        let pool = ConnectionPool::new(limits(Duration::from_secs(30), 2));
        let mut sandbox = sandbox(&api, Some(pool.clone()));
        // Four responses open at once need four connections...
        let mut open = Vec::new();
        for _ in 0..4 {
            open.push(send(&mut sandbox, request(&api.url("/a")), None).await.unwrap());
        }
        assert_eq!(api.accepted(), 4);
        for response in open {
            response.into_body().collect().await.unwrap();
        }
        // ...of which two are kept.
        assert_eq!(pool.idle_count(&api.origin()), 2);
        for _ in 0..2 {
            assert_eq!(get(&mut sandbox, &api.url("/a")).await, "ok");
        }
        assert_eq!(api.accepted(), 4);
    }

    #[tokio::test]
    async fn the_components_timeouts_apply_on_a_reused_connection() {
        let api = Server::start(true).await;
        let pool = default_pool();
        let mut sandbox = sandbox(&api, Some(pool.clone()));
        assert_eq!(get(&mut sandbox, &api.url("/a")).await, "ok");
        let options = RequestOptions {
            connect_timeout: Some(Duration::from_secs(5)),
            first_byte_timeout: Some(Duration::from_millis(200)),
            between_bytes_timeout: Some(Duration::from_millis(200)),
        };

        let started = Instant::now();
        match send(&mut sandbox, request(&api.url("/slow-head")), Some(options)).await {
            Err(HttpError::ConnectionReadTimeout) => {}
            Err(other) => panic!("expected ConnectionReadTimeout, got {other}"),
            Ok(_) => panic!("the slow head arrived within the first-byte timeout"),
        }
        assert!(started.elapsed() < Duration::from_millis(1500));
        assert_eq!(
            api.accepted(),
            1,
            "the first-byte timeout ran on the reused connection"
        );

        // That connection was abandoned mid-request: the next one is new.
        assert_eq!(get(&mut sandbox, &api.url("/a")).await, "ok");
        assert_eq!(api.accepted(), 2);

        let response = send(&mut sandbox, request(&api.url("/slow-body")), Some(options))
            .await
            .expect("the head arrives at once");
        assert_eq!(api.accepted(), 2, "the body is read on the reused connection");
        let started = Instant::now();
        match response.into_body().collect().await {
            Err(HttpError::ConnectionReadTimeout) => {}
            Err(other) => panic!("expected ConnectionReadTimeout, got {other}"),
            Ok(_) => panic!("the stalled body completed"),
        }
        assert!(started.elapsed() < Duration::from_millis(1500));
        // A connection whose body failed is not kept.
        assert_eq!(pool.idle_count(&api.origin()), 0);
    }

    #[tokio::test]
    async fn a_connection_the_server_closes_is_not_reused() {
        let api = Server::start(false).await;
        let pool = default_pool();
        let mut sandbox = sandbox(&api, Some(pool.clone()));
        for _ in 0..3 {
            assert_eq!(get(&mut sandbox, &api.url("/a")).await, "ok");
        }
        assert_eq!(api.accepted(), 3);
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_connect_error() {
        // Nothing listens on this port once the listener is dropped.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let pool = default_pool();
        let origin = Origin::from_base_url(&format!("http://{addr}/")).unwrap();
        let mut sandbox = Sandbox::new(Some(origin.clone()), None);
        sandbox.use_pool(Some(pool.clone()));
        let options = RequestOptions {
            connect_timeout: Some(Duration::from_secs(2)),
            ..RequestOptions::default()
        };
        match send(&mut sandbox, request(&format!("http://{addr}/x")), Some(options)).await {
            Err(HttpError::Connect(_)) => {}
            Err(other) => panic!("expected a connect error, got {other}"),
            Ok(_) => panic!("nothing listens there"),
        }
        assert_eq!(pool.idle_count(&origin), 0);
    }

    /// A TCP proxy in front of `target` that counts the connections it
    /// accepts; returns its address.
    async fn counting_proxy(target: SocketAddr, accepted: Arc<AtomicUsize>) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                accepted.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut outbound = TcpStream::connect(target).await.unwrap();
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                });
            }
        });
        addr
    }

    /// Through the component: calls of one host, and of its clones, share a
    /// connection; with pooling off each request has its own.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn calls_of_one_host_share_one_connection() {
        use crate::{HostConfig, JobType, MatchKraft, Records};
        use matchkraft_simulator::{SimConfig, Simulator};

        let sim = Simulator::start(SimConfig::default()).await.unwrap();
        let key = sim.config().api_key.clone();
        for (max_idle, expected) in [(HostConfig::DEFAULT_POOL_MAX_IDLE_PER_ORIGIN, 1), (0, 6)] {
            let accepted = Arc::new(AtomicUsize::new(0));
            let proxy = counting_proxy(sim.addr(), accepted.clone()).await;
            let config = HostConfig {
                pool_max_idle_per_origin: max_idle,
                ..HostConfig::new(format!("http://{proxy}/api/v2")).with_api_key(key.clone())
            };
            let host = MatchKraft::new(matchkraft_artifacts::COMPONENT, config).unwrap();
            let job = host
                .submit("pool", Records::EmailValidation(vec!["ada@example.com".into()]))
                .await
                .unwrap()
                .unwrap();
            for _ in 0..5 {
                let host = host.clone();
                host.status(JobType::EmailValidation, &job.id)
                    .await
                    .unwrap()
                    .unwrap();
            }
            assert_eq!(accepted.load(Ordering::SeqCst), expected, "max idle {max_idle}");
        }
    }

    /// https: the connection (and its TLS session) is kept too, and the
    /// server's certificate is checked against the trusted roots.
    #[tokio::test]
    async fn https_connections_are_kept_and_verified() {
        use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

        let ca = CertificateDer::from(include_bytes!("../testdata/tls/ca.der").to_vec());
        let cert = CertificateDer::from(include_bytes!("../testdata/tls/server.der").to_vec());
        let key = PrivateKeyDer::from(PrivatePkcs8KeyDer::from(
            include_bytes!("../testdata/tls/server.key.der").to_vec(),
        ));
        let server = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (accepted, handshakes) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (count, shaken) = (accepted.clone(), handshakes.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                count.fetch_add(1, Ordering::SeqCst);
                let (acceptor, shaken) = (acceptor.clone(), shaken.clone());
                tokio::spawn(async move {
                    let Ok(stream) = acceptor.accept(stream).await else {
                        return;
                    };
                    shaken.fetch_add(1, Ordering::SeqCst);
                    let service = service_fn(|_request: http::Request<hyper::body::Incoming>| async {
                        Ok::<_, std::convert::Infallible>(http::Response::new(text("ok")))
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        let url = format!("https://{addr}/x");
        let origin = Origin::from_base_url(&url).unwrap();

        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca).unwrap();
        let trusting = rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let pool = ConnectionPool::with_tls(limits(Duration::from_secs(30), 4), trusting);
        let mut sandbox = Sandbox::new(Some(origin.clone()), None);
        sandbox.use_pool(Some(pool.clone()));
        for _ in 0..3 {
            assert_eq!(get(&mut sandbox, &url).await, "ok");
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
        assert_eq!(handshakes.load(Ordering::SeqCst), 1);

        // With the webpki roots only, the test authority is not trusted.
        let mut sandbox = Sandbox::new(Some(origin), None);
        sandbox.use_pool(Some(default_pool()));
        match send(&mut sandbox, request(&url), None).await {
            Err(HttpError::Tls(_)) => {}
            Err(other) => panic!("expected a TLS error, got {other}"),
            Ok(_) => panic!("an untrusted certificate was accepted"),
        }
        assert_eq!(handshakes.load(Ordering::SeqCst), 1);
    }
}
