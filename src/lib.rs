//! The MatchKraft client component.
//!
//! This crate builds, for `wasm32-wasip2`, a WebAssembly component that
//! exports the `matchkraft:client` WIT package (`wit/matchkraft.wit`): submit a
//! job, read its status, fetch its typed results, and parse the API's
//! `job.completed` webhook.
//!
//! How it is put together, top to bottom:
//! - [`config`]: settings read from `wasi:cli/environment`.
//! - [`validate`]: input checks, so bad records are refused before any request.
//! - [`wire`]: the JSON sent and received, parsed tolerantly.
//! - [`transport`]: the one module that speaks `wasi:http`.
//! - [`retry`]: when a failed request is tried again (a pure decision table).
//! - [`client`]: the operations, composed from the above.
//! - [`webhook`]: the webhook payload parser.
//! - [`error`]: constructors for the WIT `error` variant, the one error type.
//! - [`redact`]: the configured API key replaced in every text that leaves
//!   the component; applied once to each export's error, below, and to what
//!   the relay logs and delivers.
//! - `relay` (with `--features relay`): a `wasi:http/incoming-handler` that
//!   turns the `job.completed` webhook into one that carries the results.
//!
//! The pure modules (`validate`, `wire`, `webhook`, `error`, `redact`) are unit-tested
//! natively; everything that needs `wasi:http` is tested end to end under
//! `tests/`, in the real host against the simulator.

#![deny(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

/// The generated bindings, and the export of [`Component`] through them. The
/// glue is `unsafe` by nature; it is generated, and confined to this module.
#[allow(missing_docs, unsafe_code, unreachable_pub)]
mod bindings {
    wit_bindgen::generate!({
        path: "wit",
        world: "client",
        additional_derives: [PartialEq],
    });

    // Exports exist only in the component. Natively (for unit tests) their
    // names, such as `matchkraft:client/api@0.1.0#submit`, are not valid
    // linker symbols.
    #[cfg(target_arch = "wasm32")]
    use super::Component;
    #[cfg(target_arch = "wasm32")]
    export!(Component with_types_in crate::bindings);
}

pub mod client;
pub mod config;
pub mod error;
pub mod redact;
#[cfg(feature = "relay")]
pub mod relay;
pub mod retry;
pub mod transport;
pub mod validate;
pub mod webhook;
pub mod wire;

pub use bindings::exports::matchkraft::client::types::{
    Contact, DecodeError, DomainScanResult, EmailFinderResult, EmailStatus, EmailValidationResult, Error,
    FoundEmail, HttpError, InvalidInput, Job, JobResults, JobStatus, JobType, Records, ResultRecords,
};
pub use bindings::exports::matchkraft::client::webhooks::WebhookEvent;

/// The type that carries the component's exports.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct Component;

impl bindings::exports::matchkraft::client::api::Guest for Component {
    fn submit(job_name: String, records: Records) -> Result<Job, Error> {
        with_client(|client| client.submit(&job_name, &records))
    }

    fn status(job_type: JobType, job_id: String) -> Result<Job, Error> {
        with_client(|client| client.status(job_type, &job_id))
    }

    fn results(job_type: JobType, job_id: String) -> Result<JobResults, Error> {
        with_client(|client| client.results(job_type, &job_id))
    }

    fn wait(job_type: JobType, job_id: String, timeout_ms: u64) -> Result<JobResults, Error> {
        with_client(|client| client.wait(job_type, &job_id, timeout_ms))
    }
}

impl bindings::exports::matchkraft::client::webhooks::Guest for Component {
    fn parse_webhook(body: Vec<u8>) -> Result<WebhookEvent, Error> {
        webhook::parse(&body).map_err(|error| redact::Redactor::from_env().error(error))
    }

    fn results_path(job_type: JobType, job_id: String) -> String {
        wire::results_path(job_type, &job_id)
    }
}

/// Runs one operation with a client configured from `wasi:cli/environment`.
///
/// Every error the exports return passes through here, so this is where the
/// key (when the component holds it) is replaced in them, whichever module
/// built the message: an API body that echoes the key, a decode error that
/// quotes a body, a transport or configuration error.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn with_client<T>(operation: impl FnOnce(&client::Client) -> Result<T, Error>) -> Result<T, Error> {
    let vars = wasi::cli::environment::get_environment();
    let redactor = redact::Redactor::from_vars(&vars);
    config::Config::from_vars(vars)
        .and_then(|config| operation(&client::Client::new(config)))
        .map_err(|error| redactor.error(error))
}
