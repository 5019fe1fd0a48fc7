//! The `matchkraft` command, run as a user runs it: real processes, the
//! component built into the binary, simulators on 127.0.0.1. One test binary,
//! one module per topic.

#![cfg(unix)]

/// Helpers: temporary folders, the binary with a clean environment.
mod common;
/// A `run` killed while it waits loses nothing; `resume` finishes it.
mod crash_resume;
/// Every example in `--help` and in the README, run.
mod examples;
/// `--output` into symlinks, FIFOs, devices and stdout; CSV cells that look
/// like formulas; `--input` limits.
mod files;
/// `jobs --status`, `jobs forget`, `jobs prune`.
mod ledger_commands;
/// `matchkraft simulator` across commands; jobs of a simulator that stopped.
mod offline;
/// A new user's first tries: help examples, bare domains, host names,
/// unfinished results, `listen --json`.
mod round_two;
/// `run --webhook` and `listen` against a simulator that delivers webhooks.
mod run_webhook;
/// Output that cannot be written, a ledger that cannot record, forged
/// webhooks, the key on the command line.
mod safety;
/// `matchkraft component` and `matchkraft man`.
mod ships;
/// Colours and the progress line on a real pseudo-terminal.
mod terminal;
/// Every command into a pipe: records, files, output, errors, exit codes.
mod usage;
