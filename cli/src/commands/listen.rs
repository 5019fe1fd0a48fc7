//! `matchkraft listen`: receive webhooks until Ctrl-C, printing one line per
//! event (problems on stderr).

use std::time::Duration;

use matchkraft_host::HostConfig;
use matchkraft_host::listener::{self, ListenerEvent};
use matchkraft_host::text::printable;

use crate::args::{Global, ListenArgs};
use crate::console::Console;
use crate::failure::Failure;
use crate::output::{self, print};
use crate::session::{connect, open_ledger, resolve};

/// How long a stopping receiver lets the fetches under way finish.
const GRACE: Duration = Duration::from_secs(10);

/// Serves the receiver on `args.addr` until Ctrl-C.
pub(crate) async fn execute(global: &Global, args: &ListenArgs, console: &Console) -> Result<(), Failure> {
    let ledger = open_ledger(global, console)?;
    let host = connect(global, "listen", HostConfig::DEFAULT_CALL_TIMEOUT, console)?;
    let pending = ledger.pending()?.len();
    let path = ledger.path().display().to_string();
    let warnings = console.clone();
    // The first failed write to stdout ends the command (a closed pipe
    // quietly): nobody reads the events any more.
    let (output_failed, mut failure) = tokio::sync::mpsc::unbounded_channel();
    // With --json every event is one JSON object per line on stdout (the
    // warnings too, marked so); without, warnings go to stderr.
    let json = global.json;
    let on_event = move |event: ListenerEvent| {
        let printed = if json {
            print(&output::to_line(&output::event_json(&event)))
        } else if event.is_warning() {
            warnings.warn(&event.to_string());
            Ok(())
        } else {
            print(&format!("{}\n", printable(&event.to_string())))
        };
        if let Err(failure) = printed {
            let _ = output_failed.send(failure);
        }
    };
    let addr = resolve("--addr", &args.addr).await?;
    let receiver = listener::listen(addr, host, ledger, on_event)
        .await
        .map_err(|e| Failure::Host(anyhow::anyhow!("cannot listen on {addr}: {e}")))?;
    console.info(&format!(
        "listening for MatchKraft webhooks at {} (ledger {path}, {pending} job(s) waiting for results); \
         Ctrl-C stops",
        receiver.url()
    ));
    let failed = tokio::select! {
        _ = tokio::signal::ctrl_c() => None,
        failure = failure.recv() => failure,
    };
    console.info("stopping: finishing the fetches under way");
    let abandoned = receiver.shutdown(GRACE).await;
    if abandoned > 0 {
        console.warn(&format!(
            "{abandoned} fetch(es) were cut short; `matchkraft resume` completes those jobs"
        ));
    }
    failed.map_or(Ok(()), Err)
}
