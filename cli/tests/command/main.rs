//! The `matchkraft` command, run as a user runs it: real processes, the
//! component built into the binary, simulators on 127.0.0.1. One test binary,
//! one module per topic.

#![cfg(unix)]

/// Helpers: temporary folders, the binary with a clean environment.
mod common;
/// A `run` killed while it waits loses nothing; `resume` finishes it.
mod crash_resume;
/// Files the command writes and reads: CSV cells that look like formulas;
/// `--input` without end, and its limits.
mod files;
/// `run --webhook` and `listen` against a simulator that delivers webhooks.
mod run_webhook;
/// Colours and the progress line on a real pseudo-terminal.
mod terminal;
/// Every command into a pipe: records, files, output, errors, exit codes.
mod usage;
