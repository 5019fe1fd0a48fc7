//! `matchkraft-temporal`: a Temporal worker for the MatchKraft component.
//! Glue only: the flags (`args`), the component host (`host`), the
//! connection (`connection`), then the SDK's worker running the activities
//! (`activities`) and the workflow (`workflow`).
//!
//! | module | what it holds |
//! |---|---|
//! | `args` | the command line |
//! | `host` | the sandboxed component host, or the built-in simulator |
//! | `connection` | Temporal address, namespace, TLS, API key |
//! | `payloads` | the activities' JSON inputs, read by hand |
//! | `failure` | WIT errors as Temporal application failures |
//! | `activities` | `matchkraft.submit`, `.status`, `.results`, `.wait` |
//! | `workflow` | `matchkraft.enrich` and its activity options |

#![deny(unsafe_code)]
#![warn(unreachable_pub)]

mod activities;
mod args;
mod connection;
mod failure;
mod host;
mod payloads;
mod workflow;

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;
use temporalio_client::{Client, ClientOptions, Connection};
use temporalio_sdk::runtime::RuntimeOptions;
use temporalio_sdk::{Runtime, Worker, WorkerOptions};

use crate::activities::MatchKraftActivities;
use crate::workflow::EnrichWorkflow;

#[tokio::main]
async fn main() -> ExitCode {
    let args = args::Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("matchkraft-temporal: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: args::Args) -> anyhow::Result<()> {
    let host = host::build(&args)?;
    let base_url = host.matchkraft.config().base_url.clone();
    let connection = Connection::connect(connection::options(&args)?)
        .await
        .with_context(|| format!("connecting to Temporal at {}", args.address))?;
    let client = Client::new(connection, ClientOptions::new(args.namespace.clone()).build())
        .context("creating the Temporal client")?;
    let runtime = Runtime::from_current_tokio(RuntimeOptions::default())?;
    let options = WorkerOptions::new(args.task_queue.clone())
        .register_workflow::<EnrichWorkflow>()?
        .register_activities(MatchKraftActivities {
            host: host.matchkraft.clone(),
            max_payload_bytes: args.max_payload_bytes,
            first_poll: std::time::Duration::from_millis(args.first_poll_ms),
        })
        .build();
    let mut worker = Worker::new(&runtime, client, options).context("creating the worker")?;

    let shutdown = worker.shutdown_handle();
    tokio::spawn(async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { match term.as_mut() { Some(term) => { term.recv().await; } None => std::future::pending().await } } => {}
        }
        eprintln!("matchkraft-temporal: stopping (running activities may finish first)");
        shutdown();
    });

    let simulated = if host.simulator.is_some() {
        " (built-in simulator)"
    } else {
        ""
    };
    eprintln!(
        "matchkraft-temporal: connected to {} (namespace {}), serving task queue {:?}: \
         activities {}, workflow {}; MatchKraft API at {base_url}{simulated}",
        args.address,
        args.namespace,
        args.task_queue,
        activities::registered_names().join(", "),
        workflow::NAME,
    );
    worker.run().await.context("the worker stopped")?;
    drop(host);
    Ok(())
}
