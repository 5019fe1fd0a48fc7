//! [`MatchKraft`]: the component compiled and linked once, and each call run
//! in a fresh, sandboxed instance of it.
//!
//! A call gets a store of its own ([`MatchKraft::new_store`]): the WASI
//! context with only the `MATCHKRAFT_*` variables, the request sandbox, the
//! memory cap and the epoch deadline. Instances are never reused, so nothing
//! one call leaves behind (memory, a half-read stream) reaches the next. Only
//! the host's keep-alive connections (`pool`) outlive a call: those whose
//! response was read to its end, kept per origin.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use http::HeaderValue;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Store, StoreLimitsBuilder};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi_http::WasiHttpCtx;

use crate::bindings::{Client, ClientPre};
use crate::config::{HostConfig, KeyMode};
use crate::engine::{compile, deadline_ticks, describe_trap, human_duration, into_anyhow, shared_engine};
use crate::pool::{ConnectionPool, PoolLimits};
use crate::redact::{Redact, RedactingStderr, redact_text};
use crate::sandbox::{Origin, Sandbox};
use crate::state::{Limits, State};
use crate::types::{Error, Job, JobResults, JobType, Records, WebhookEvent};

/// The MatchKraft component, compiled and linked once, ready to be called.
///
/// Cloning is cheap (the compiled code is shared), and each call runs in an
/// instance of its own, so one `MatchKraft` can serve many tasks at once.
#[derive(Clone)]
pub struct MatchKraft {
    pub(crate) pre: ClientPre<State>,
    pub(crate) config: Arc<HostConfig>,
    env: Arc<[(String, String)]>,
    pub(crate) origin: Option<Origin>,
    /// The `apikey` header the host adds in [`KeyMode::Host`].
    api_key_header: Option<HeaderValue>,
    /// The most linear memory any call's instance has held, in bytes.
    peak_memory: Arc<AtomicUsize>,
    /// The keep-alive connections all calls (and clones) share; `None` when
    /// `pool_max_idle_per_origin` is 0.
    pool: Option<ConnectionPool>,
}

impl fmt::Debug for MatchKraft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MatchKraft")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl MatchKraft {
    /// Compiles the component (`component` holds its bytes, for example
    /// `matchkraft_artifacts::COMPONENT`) and links it against WASI and
    /// `wasi:http`. Fails when the bytes are not a component, when the
    /// component imports something this host does not provide, or when
    /// `config.extra_env` names a variable it may not.
    ///
    /// Compiling takes a moment, so it happens once per process and set of
    /// bytes: later calls with the same bytes reuse the compiled code (all
    /// hosts share one engine).
    pub fn new(component: &[u8], config: HostConfig) -> anyhow::Result<Self> {
        let engine = shared_engine()?;
        let component = compile(&engine, component, config.compiled_cache.as_deref())?;
        Self::link(engine, component, config)
    }

    /// Like [`MatchKraft::new`], reading the component from a file.
    pub fn from_file(path: impl AsRef<Path>, config: HostConfig) -> anyhow::Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        Self::new(&bytes, config).with_context(|| format!("loading {}", path.display()))
    }

    fn link(engine: Engine, component: Component, config: HostConfig) -> anyhow::Result<Self> {
        let env = config.guest_env()?;
        let origin = match &config.allowed_origin {
            None => Origin::from_base_url(&config.base_url).ok(),
            Some(origin) => Some(
                Origin::from_base_url(origin)
                    .map_err(|e| anyhow::anyhow!("allowed_origin {origin:?}: {e}"))?,
            ),
        };

        let api_key_header = match (&config.api_key, config.key_mode) {
            (Some(key), KeyMode::Host) => Some(api_key_header(key)?),
            _ => None,
        };

        let mut linker = Linker::<State>::new(&engine);
        into_anyhow(wasmtime_wasi::p2::add_to_linker_async(&mut linker))?;
        into_anyhow(wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker))?;
        let instance_pre =
            into_anyhow(linker.instantiate_pre(&component)).context("linking the MatchKraft component")?;
        let pre = into_anyhow(ClientPre::new(instance_pre))
            .context("the component does not export the `client` world")?;

        let pool = (config.pool_max_idle_per_origin > 0).then(|| {
            ConnectionPool::new(PoolLimits {
                idle_timeout: config.pool_idle_timeout,
                max_idle_per_origin: config.pool_max_idle_per_origin,
            })
        });

        Ok(MatchKraft {
            pool,
            pre,
            config: Arc::new(config),
            env: env.into(),
            origin,
            api_key_header,
            peak_memory: Arc::default(),
        })
    }

    /// The most linear memory any call of this host (or a clone of it) has
    /// held, in bytes: what a large job costs the guest.
    pub fn peak_memory_bytes(&self) -> usize {
        self.peak_memory.load(Ordering::Relaxed)
    }

    /// The configuration this host was made with.
    pub fn config(&self) -> &HostConfig {
        &self.config
    }

    /// Validates `records` and posts them as a new job named `job_name`
    /// (the `api.submit` export).
    pub async fn submit(&self, job_name: &str, records: Records) -> anyhow::Result<Result<Job, Error>> {
        self.call("submit", async |store, client| {
            client
                .matchkraft_client_api()
                .call_submit(store, job_name, &records)
                .await
        })
        .await
    }

    /// The current state of a job, without its results (`api.status`).
    pub async fn status(&self, job_type: JobType, job_id: &str) -> anyhow::Result<Result<Job, Error>> {
        self.call("status", async |store, client| {
            client
                .matchkraft_client_api()
                .call_status(store, job_type, job_id)
                .await
        })
        .await
    }

    /// The job and, once it has completed, its typed results (`api.results`).
    pub async fn results(
        &self,
        job_type: JobType,
        job_id: &str,
    ) -> anyhow::Result<Result<JobResults, Error>> {
        self.call("results", async |store, client| {
            client
                .matchkraft_client_api()
                .call_results(store, job_type, job_id)
                .await
        })
        .await
    }

    /// Polls until the job is terminal or `timeout` has passed (`api.wait`);
    /// past it, the inner error is `Error::WaitTimeout` with the job as last
    /// seen. The host's own `call_timeout` still bounds the call.
    pub async fn wait(
        &self,
        job_type: JobType,
        job_id: &str,
        timeout: Duration,
    ) -> anyhow::Result<Result<JobResults, Error>> {
        let timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        self.call("wait", async |store, client| {
            client
                .matchkraft_client_api()
                .call_wait(store, job_type, job_id, timeout_ms)
                .await
        })
        .await
    }

    /// Parses and validates a `job.completed` webhook body
    /// (`webhooks.parse-webhook`). Sends no request.
    pub async fn parse_webhook(&self, body: &[u8]) -> anyhow::Result<Result<WebhookEvent, Error>> {
        self.call("parse-webhook", async |store, client| {
            client
                .matchkraft_client_webhooks()
                .call_parse_webhook(store, body)
                .await
        })
        .await
    }

    /// A job's results path relative to the base URL
    /// (`webhooks.results-path`), for example
    /// `/email-validation/results/{job-id}`.
    pub async fn results_path(&self, job_type: JobType, job_id: &str) -> anyhow::Result<String> {
        self.call("results-path", async |store, client| {
            client
                .matchkraft_client_webhooks()
                .call_results_path(store, job_type, job_id)
                .await
        })
        .await
    }

    /// Runs one export in a fresh store under the call deadline.
    ///
    /// Whatever the call returns has the API key replaced in its texts (see
    /// `redact`), whoever held the key.
    async fn call<R: Redact>(
        &self,
        export: &str,
        body: impl AsyncFnOnce(&mut Store<State>, &Client) -> wasmtime::Result<R>,
    ) -> anyhow::Result<R> {
        let timeout = self.config.call_timeout;
        let run = async {
            let mut store = self.new_store();
            let client = self.pre.instantiate_async(&mut store).await?;
            body(&mut store, &client).await
        };
        let outcome = match tokio::time::timeout(timeout, run).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(describe_trap(error, export, timeout)),
            Err(_elapsed) => Err(anyhow::anyhow!(
                "the component's `{export}` did not finish within {}",
                human_duration(timeout)
            )),
        };
        let Some(key) = self.config.api_key.as_deref() else {
            return outcome;
        };
        match outcome {
            Ok(mut value) => {
                value.redact(key);
                Ok(value)
            }
            // A trap's text can quote what the component held.
            Err(error) => {
                let mut text = format!("{error:#}");
                if !text.contains(key) {
                    return Err(error);
                }
                redact_text(&mut text, key);
                Err(anyhow::anyhow!(text))
            }
        }
    }

    /// A store for one call: the sandboxed WASI context, the limits and the
    /// epoch deadline that stops a component computing past `call_timeout`.
    pub(crate) fn new_store(&self) -> Store<State> {
        let wasi = WasiCtxBuilder::new()
            .envs(&self.env)
            .stderr(RedactingStderr::new(
                self.config.api_key.as_deref().map(Arc::from),
            ))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .socket_addr_check(|_, _| Box::pin(async { false }))
            .build();
        let limits = StoreLimitsBuilder::new()
            .memory_size(self.config.memory_limit)
            .instances(64)
            .tables(64)
            .memories(16)
            .build();
        let mut sandbox = Sandbox::new(self.origin.clone(), self.api_key_header.clone());
        sandbox.use_pool(self.pool.clone());
        let state = State {
            wasi,
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            sandbox,
            limits: Limits {
                limits,
                peak_memory: self.peak_memory.clone(),
            },
        };
        let mut store = Store::new(self.pre.engine(), state);
        store.limiter(|state| &mut state.limits);
        store.set_epoch_deadline(deadline_ticks(self.config.call_timeout));
        store.epoch_deadline_trap();
        store
    }
}

/// The key as a header value, marked sensitive so that `Debug` hides it.
/// The error never quotes the key.
fn api_key_header(key: &str) -> anyhow::Result<HeaderValue> {
    let mut value = HeaderValue::from_str(key).map_err(|_| {
        anyhow::anyhow!("the API key is not a valid header value (one line of visible characters)")
    })?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<MatchKraft>();
    }

    /// The calls' futures can be spawned on a multi-threaded runtime.
    #[allow(dead_code)]
    fn futures_are_send(host: &MatchKraft) {
        fn send<T: Send>(_: T) {}
        send(host.submit("x", Records::EmailValidation(Vec::new())));
        send(host.status(JobType::DomainScan, "x"));
        send(host.results(JobType::DomainScan, "x"));
        send(host.parse_webhook(b"{}"));
        send(host.results_path(JobType::DomainScan, "x"));
    }

    #[test]
    fn garbage_is_not_a_component() {
        let error = MatchKraft::new(b"not wasm", HostConfig::default()).unwrap_err();
        assert!(format!("{error:#}").contains("compiling"), "{error:#}");
    }
}
