//! A small wasmtime host for the MatchKraft client component
//! (`wit/matchkraft.wit`, world `client`).
//!
//! [`MatchKraft`] compiles the component once and then runs each call in a
//! fresh, sandboxed instance:
//!
//! - the component sees only `MATCHKRAFT_*` environment variables (the API key,
//!   the base URL and whatever [`HostConfig::extra_env`] adds): no inherited
//!   environment, no arguments, no files, no stdin, no sockets;
//! - its outgoing HTTP requests may go to the base URL's scheme, host and port
//!   only; any other request fails inside the component with the typed
//!   `wasi:http` error `HTTP-request-denied`;
//! - its memory is capped ([`HostConfig::memory_limit`]) and each call has a
//!   deadline ([`HostConfig::call_timeout`]).
//!
//! ```no_run
//! # async fn example() -> anyhow::Result<()> {
//! use matchkraft_host::{HostConfig, MatchKraft, Records};
//!
//! let host = MatchKraft::new(
//!     matchkraft_artifacts::COMPONENT,
//!     HostConfig {
//!         base_url: "http://127.0.0.1:8080/api/v2".into(),
//!         api_key: Some("sim-key".into()),
//!         ..HostConfig::default()
//!     },
//! )?;
//! let records = Records::EmailValidation(vec!["ada@example.com".into()]);
//! match host.submit("my job", records).await? {
//!     Ok(job) => println!("submitted {}", job.id),
//!     Err(error) => eprintln!("the API said no: {}", error.message()),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Every call returns `anyhow::Result<Result<T, Error>>`: the outer error is a
//! failure of the host or a trap in the component (including a passed
//! deadline); the inner [`Error`] is the component's own typed error.
//!
//! How it is put together, top to bottom:
//!
//! | module | what it holds |
//! |---|---|
//! | `config` | [`HostConfig`] and [`KeyMode`]: what the embedder decides |
//! | `host` | [`MatchKraft`]: one call, one fresh sandboxed instance |
//! | `engine` | the shared wasmtime engine, compiling, deadlines, trap messages |
//! | `precompiled` | the on-disk cache of compiled components |
//! | `private` | files and folders only this user can read |
//! | `sandbox` | the `wasi:http` hook: the allow-list and the host-held key |
//! | `pool` | keep-alive connections per allowed origin, shared by a host's calls |
//! | `redact` | the key replaced in every text a call returns, and in the component's stderr |
//! | `state` | what a store holds: WASI, HTTP, the sandbox, memory limits |
//! | `bindings` | the code `bindgen!` generates from `wit/` |
//! | `types` | the WIT types (re-exported here) with names and messages |
//! | [`columns`] | the result columns of each job type, for every format |
//! | [`json`] | jobs and results as the JSON document the command prints |
//! | [`ledger`] | the job ledger: an SQLite file of submitted jobs |
//! | [`listener`] | the `job.completed` webhook receiver |
//! | [`relay`] | serving the webhook relay component over HTTP |
//! | [`text`] | one-line text for messages |
//!
//! The `matchkraft` command (`cli/`) is built on this crate; this crate
//! knows nothing of it.

#![warn(missing_docs)]

mod bindings;
mod config;
mod engine;
mod host;
mod pool;
mod precompiled;
mod private;
mod redact;
mod sandbox;
mod state;
mod types;

pub mod columns;
pub mod json;
pub mod ledger;
pub mod listener;
pub mod relay;
pub mod text;

pub use config::{HostConfig, KeyMode};
pub use host::MatchKraft;
pub use types::{
    Contact, DecodeError, DomainScanResult, EmailFinderResult, EmailStatus, EmailValidationResult, Error,
    ErrorMessage, FoundEmail, HttpError, InvalidInput, Job, JobResults, JobStatus, JobType, Records,
    ResultRecords, UnknownJobType, WebhookEvent,
};
