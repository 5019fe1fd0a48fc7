//! `matchkraft run`: submit, wait (by polling, or by webhook with polling as
//! the fallback) and deliver the results.

use std::net::SocketAddr;
use std::time::Duration;

use matchkraft_host::JobStatus;
use matchkraft_host::ledger::Ledger;
use matchkraft_host::listener::{self, ListenerEvent, ListenerHandle};
use matchkraft_simulator::WebhookConfig;
use tokio::time::Instant;

use crate::args::{Global, RunArgs};
use crate::commands::submit::{read_records, submit};
use crate::complete::Waiting;
use crate::console::Console;
use crate::deliver::deliver;
use crate::export;
use crate::failure::Failure;
use crate::output::{self, print};
use crate::session::{Session, open_ledger_to_submit, resolve};

/// How long `run` lets its webhook receiver finish fetches for other jobs.
const RECEIVER_GRACE: Duration = Duration::from_secs(2);

/// Runs one job from records to delivered results.
pub(crate) async fn execute(global: &Global, args: &RunArgs, console: &Console) -> Result<(), Failure> {
    let input = read_records(&args.records, console)?;
    // A job is paid for once submitted: an output file that cannot be
    // written must stop the command before that, not after.
    if let Some(path) = &args.output {
        export::check_writable(path).map_err(Failure::Usage)?;
    }
    let ledger = open_ledger_to_submit(global, console)?;
    let session = Session::start(global, console).await?;
    let json = global.json;
    let host = &session.host;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.timeout);
    // The receiver listens before the job exists, so no webhook can be missed.
    let receiver = match &args.webhook {
        Some(addr) => {
            let addr = resolve("--webhook", addr).await?;
            Some(start_receiver(&session, &ledger, addr, console).await?)
        }
        None => None,
    };
    let job = submit(host, &ledger, &args.records, input, console).await?;
    console.info(&format!("submitted {}", output::job_line(&job)));

    let waiting = Waiting {
        host,
        ledger: &ledger,
        started,
        deadline,
        webhook: receiver.is_some(),
        console,
    };
    console.job(&job);
    // Once the job exists, Ctrl-C says how to get back to it.
    let results = tokio::select! {
        finished = waiting.complete(job.clone()) => finished,
        _ = tokio::signal::ctrl_c() => Err(Failure::Interrupted(job.clone())),
    };
    console.stop();
    let results = results?;
    if let Some(receiver) = receiver {
        receiver.shutdown(RECEIVER_GRACE).await;
    }
    if results.job.status == JobStatus::Failed {
        if json && args.output.is_none() {
            print(&output::to_text(&output::results_json(&results))).map_err(|f| f.about(&results.job))?;
        }
        return Err(Failure::JobFailed(results.job));
    }
    let via = match ledger.job(&job.id).ok().flatten().and_then(|j| j.completed_via) {
        Some(source) => format!(" (completed via {})", source.as_str()),
        None => String::new(),
    };
    console.info(&format!(
        "{} with {} result(s){via}",
        output::job_line(&results.job),
        results.records.len()
    ));
    deliver(&results, json, args.output.as_deref(), console)
}

/// Starts the webhook receiver of `run --webhook`; its warnings go to stderr,
/// the rest is `run`'s business. The built-in simulator is pointed at it.
async fn start_receiver(
    session: &Session,
    ledger: &Ledger,
    addr: SocketAddr,
    console: &Console,
) -> Result<ListenerHandle, Failure> {
    let warnings = console.clone();
    let on_event = move |event: ListenerEvent| {
        if event.is_warning() {
            warnings.warn(&event.to_string());
        }
    };
    let receiver = listener::listen(addr, session.host.clone(), ledger.clone(), on_event)
        .await
        .map_err(|e| Failure::Host(anyhow::anyhow!("cannot receive webhooks on {addr}: {e}")))?;
    console.info(&format!("receiving webhooks at {}", receiver.url()));
    if let Some(simulator) = &session.simulator {
        let url = format!("http://127.0.0.1:{}/", receiver.addr().port());
        let webhook = WebhookConfig::new(url);
        if webhook.validate().is_ok() && receiver.addr().ip().is_loopback() {
            simulator.set_webhook(Some(webhook));
        }
    }
    Ok(receiver)
}
