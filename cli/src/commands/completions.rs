//! `matchkraft completions SHELL`: a completion script generated from the
//! same command-line definition that parses the arguments.

use clap::CommandFactory as _;

use crate::args::{Cli, CompletionsArgs};
use crate::failure::Failure;
use crate::output::print;

/// Prints the script for `args.shell`.
pub(crate) fn execute(args: &CompletionsArgs) -> Result<(), Failure> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "matchkraft", &mut script);
    print(&String::from_utf8_lossy(&script))
}
