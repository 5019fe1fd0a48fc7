//! Serving the webhook relay: the component built with the `relay` feature
//! (`matchkraft_artifacts::RELAY_COMPONENT`, see `src/relay.rs`), which
//! exports `wasi:http/incoming-handler` beside the client interfaces.
//!
//! [`serve_relay`] does what `wasmtime serve` does (HTTP/1.1 with hyper, one
//! fresh instance per request, the instance left running after it has
//! answered), in the sandbox of [`MatchKraft`]'s calls:
//!
//! - the component sees only `MATCHKRAFT_*` variables, plus
//!   `MATCHKRAFT_RELAY_DOWNSTREAM_URL` set to the downstream URL;
//! - it may send requests to the API's origin, with the host-held `apikey`
//!   header added there only ([`KeyMode::Host`]), and to the downstream's
//!   origin, never with that header; anything else is `HTTP-request-denied`;
//! - each request's instance has the memory cap and the deadline
//!   ([`HostConfig::call_timeout`]) of a call, its answer, fetch and delivery
//!   included.
//!
//! ```no_run
//! # async fn example() -> anyhow::Result<()> {
//! use matchkraft_host::HostConfig;
//! use matchkraft_host::relay::serve_relay;
//!
//! let config = HostConfig::new("https://app.matchkraft.com/api/v2")
//!     .with_api_key(std::env::var("MATCHKRAFT_API_KEY")?);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! let relay = serve_relay(
//!     matchkraft_artifacts::RELAY_COMPONENT,
//!     config,
//!     "https://hooks.example.com/matchkraft-results",
//!     listener,
//! )
//! .await?;
//! println!("point the MatchKraft webhook at http://{}/", relay.addr());
//! tokio::signal::ctrl_c().await?;
//! relay.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! [`KeyMode::Host`]: crate::KeyMode::Host

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

use crate::config::HostConfig;
use crate::engine::{describe_trap, human_duration, into_anyhow};
use crate::host::MatchKraft;
use crate::sandbox::Origin;
use crate::state::State;

/// The variable the relay reads its downstream URL from.
const DOWNSTREAM_URL_VAR: &str = "MATCHKRAFT_RELAY_DOWNSTREAM_URL";

/// A running relay, from [`serve_relay`]. Dropping it stops accepting
/// connections; requests already handed to the component run to their end.
#[derive(Debug)]
pub struct RelayServer {
    addr: SocketAddr,
    accept: JoinHandle<()>,
    /// Closed, and so ready, once every sender is gone: the relay's own (in the
    /// accept loop) and the one each request's instance holds while it runs.
    in_flight: mpsc::Receiver<()>,
}

impl RelayServer {
    /// The address the relay listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections, closes the open ones, and waits until
    /// every request already handed to the component has finished (its
    /// delivery included), which each does within
    /// [`HostConfig::call_timeout`].
    pub async fn shutdown(mut self) {
        self.accept.abort();
        while self.in_flight.recv().await.is_some() {}
    }
}

impl Drop for RelayServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Serves the webhook relay on `listener` until the returned server is shut
/// down or dropped.
///
/// `component` is the relay (`matchkraft_artifacts::RELAY_COMPONENT`): it must
/// export the `client` world and `wasi:http/incoming-handler`. `config` is
/// that of a [`MatchKraft`] host: the API's base URL and key, limits, extra
/// `MATCHKRAFT_*` variables (which may not set the downstream URL themselves).
/// `downstream_url` is where results are delivered, handed to the component
/// as `MATCHKRAFT_RELAY_DOWNSTREAM_URL`; its origin must differ from the
/// API's, because every request to the API's origin gets the key.
///
/// Fails when the component cannot be compiled or lacks either export, when
/// `config` is refused as by [`MatchKraft::new`], or when `downstream_url` has
/// no usable origin. Must be called within a tokio runtime, which the relay
/// then runs on.
pub async fn serve_relay(
    component: &[u8],
    mut config: HostConfig,
    downstream_url: &str,
    listener: TcpListener,
) -> anyhow::Result<RelayServer> {
    if config
        .extra_env
        .iter()
        .any(|(name, _)| name == DOWNSTREAM_URL_VAR)
    {
        bail!("extra_env: pass {DOWNSTREAM_URL_VAR} as serve_relay's downstream_url");
    }
    let downstream = Origin::from_base_url(downstream_url)
        .map_err(|e| anyhow::anyhow!("downstream_url {downstream_url:?}: {e}"))?;
    config
        .extra_env
        .push((DOWNSTREAM_URL_VAR.to_string(), downstream_url.to_string()));

    // The client host already builds everything a request needs (the
    // compiled component, the environment, the API's origin and key, the
    // store's limits); the relay adds the HTTP entry point and one origin.
    let host = MatchKraft::new(component, config)?;
    if host.origin.as_ref() == Some(&downstream) {
        bail!("downstream_url {downstream_url:?} is on the API's origin, whose requests get the API key");
    }
    let proxy = into_anyhow(ProxyPre::new(host.pre.instance_pre().clone()))
        .context("the component does not export wasi:http/incoming-handler")?;

    let addr = listener.local_addr().context("reading the listener's address")?;
    let (in_flight, in_flight_done) = mpsc::channel(1);
    let relay = Arc::new(Relay {
        host,
        proxy,
        downstream,
        in_flight,
    });
    let accept = tokio::spawn(accept_loop(listener, relay));
    Ok(RelayServer {
        addr,
        accept,
        in_flight: in_flight_done,
    })
}

/// Accepts connections and serves each in a task of its own, until aborted;
/// aborting drops the set, which closes every open connection.
async fn accept_loop(listener: TcpListener, relay: Arc<Relay>) {
    let mut connections = JoinSet::new();
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _peer)) => stream,
            // Out of file descriptors and the like: pause rather than spin.
            Err(error) => {
                eprintln!("matchkraft relay: accepting a connection failed: {error}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let relay = relay.clone();
        connections.spawn(async move {
            let service = service_fn(move |request| relay.clone().handle(request));
            // A client that goes away mid-request is its own business.
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
        // Forget the connections that have ended.
        while connections.try_join_next().is_some() {}
    }
}

/// What every request needs.
struct Relay {
    host: MatchKraft,
    proxy: ProxyPre<State>,
    downstream: Origin,
    in_flight: mpsc::Sender<()>,
}

impl Relay {
    /// Hands one request to a fresh instance and returns its answer, or a
    /// plain 500 when it gives none.
    async fn handle(
        self: Arc<Self>,
        request: hyper::Request<Incoming>,
    ) -> Result<hyper::Response<HyperOutgoingBody>, Infallible> {
        Ok(self.dispatch(request).await.unwrap_or_else(|error| {
            eprintln!("matchkraft relay: {error:#}");
            internal_error()
        }))
    }

    async fn dispatch(
        &self,
        request: hyper::Request<Incoming>,
    ) -> anyhow::Result<hyper::Response<HyperOutgoingBody>> {
        let mut store = self.host.new_store();
        let (answer, answered) = oneshot::channel();
        let (request, outparam) = {
            let state = store.data_mut();
            state.sandbox.allow_without_key(self.downstream.clone());
            let mut http = state.http();
            let request = into_anyhow(http.new_incoming_request(Scheme::Http, request))?;
            (request, into_anyhow(http.new_response_outparam(answer))?)
        };

        // The instance runs in a task of its own, which goes on after it has
        // answered: that is when the relay fetches and delivers. Its failures
        // have no one to go to but the log.
        let proxy = self.proxy.clone();
        let timeout = self.host.config.call_timeout;
        let in_flight = self.in_flight.clone();
        tokio::spawn(async move {
            let _in_flight = in_flight;
            let run = async {
                let instance = proxy.instantiate_async(&mut store).await?;
                instance
                    .wasi_http_incoming_handler()
                    .call_handle(&mut store, request, outparam)
                    .await
            };
            let error = match tokio::time::timeout(timeout, run).await {
                Ok(Ok(())) => return,
                Ok(Err(error)) => describe_trap(error, "handle", timeout),
                Err(_elapsed) => anyhow::anyhow!(
                    "the relay's `handle` did not finish within {}",
                    human_duration(timeout)
                ),
            };
            eprintln!("matchkraft relay: {error:#}");
        });

        match answered.await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(code)) => bail!("the relay answered with the error {code:?}"),
            Err(_dropped) => bail!("the relay ended without answering"),
        }
    }
}

/// A bare 500 for a request the component did not answer.
fn internal_error() -> hyper::Response<HyperOutgoingBody> {
    let body = Full::new(Bytes::from_static(b"the relay failed; see its log\n"))
        .map_err(|never| match never {})
        .boxed_unsync();
    let mut response = hyper::Response::new(body);
    *response.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
    response
}
