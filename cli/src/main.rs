//! `matchkraft`: submit MatchKraft jobs and read their results from the
//! command line, through the MatchKraft WebAssembly component.
//!
//! This crate is glue and flag definitions; the host that runs the component,
//! the job ledger and the webhook receiver are the `matchkraft-host` library.
//!
//! | module | what it holds |
//! |---|---|
//! | `args` | the command line, as clap parses it |
//! | `commands` | one module per subcommand, each with its `execute` |
//! | `failure` | why a command failed: exit codes, `error:` and `hint:` lines |
//! | `session` | the host, the built-in simulator, the ledger a command uses |
//! | `folders` | where files are kept between runs (XDG) |
//! | `input` | records from arguments, CSV and JSON files |
//! | `complete`, `poll` | waiting for a job: polling, webhooks, backoff |
//! | `output`, `export`, `deliver` | tables, JSON, CSV files, and where results go |
//! | `console`, `term` | stderr: progress line, info and warnings; colours |
//! | `tracked` | what `status` and `results` learn, noted in the ledger |
//!
//! Results go to stdout (or `--output FILE`); everything else (progress,
//! informational lines, warnings, errors) to stderr, through `Console`.

mod args;
mod commands;
mod complete;
mod console;
mod deliver;
mod export;
mod failure;
mod folders;
mod input;
mod output;
mod poll;
mod session;
mod term;
mod tracked;

use std::process::ExitCode;

use args::{Cli, Command};
use console::Console;
use failure::Failure;
use term::{Surroundings, Term};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match args::parse() {
        Ok(cli) => cli,
        Err(exit) => return exit,
    };
    let term = Term::decide(cli.global.color, cli.global.quiet, &Surroundings::current());
    let console = Console::new(term);
    let outcome = execute(cli, &console).await;
    console.stop();
    let code = match outcome {
        Ok(()) => 0,
        Err(failure) => {
            failure.report(&console);
            failure.exit_code()
        }
    };
    // Lines that never reached stderr make a success a failure.
    ExitCode::from(if code == 0 && console.failed() { 1 } else { code })
}

/// Runs the subcommand.
async fn execute(cli: Cli, console: &Console) -> Result<(), Failure> {
    let global = &cli.global;
    match &cli.command {
        Command::Run(args) => commands::run::execute(global, args, console).await,
        Command::Submit(args) => commands::submit::execute(global, args, console).await,
        Command::Status(args) => commands::status::execute(global, args, console).await,
        Command::Results(args) => commands::results::execute(global, args, console).await,
        Command::Jobs(args) => commands::jobs::execute(global, args, console),
        Command::Resume(args) => commands::resume::execute(global, args, console).await,
        Command::Listen(args) => commands::listen::execute(global, args, console).await,
        Command::Completions(args) => commands::completions::execute(args),
        Command::Simulator(args) => commands::simulator::execute(args, console).await,
        Command::Component(args) => commands::component::execute(args, console),
        Command::Man(args) => commands::man::execute(args),
    }
}
