//! `matchkraft man [COMMAND]`: the manual page, generated from the same
//! command-line definition that parses the arguments, so that it cannot
//! drift from `--help`.

use clap::CommandFactory as _;

use crate::args::{Cli, ManArgs};
use crate::failure::Failure;
use crate::output::print;

/// Prints `matchkraft(1)`, or `matchkraft-COMMAND(1)`, as roff.
pub(crate) fn execute(args: &ManArgs) -> Result<(), Failure> {
    print(&String::from_utf8_lossy(&page(args.command.as_deref())?))
}

/// The roff of the page.
fn page(command: Option<&str>) -> Result<Vec<u8>, Failure> {
    let mut cli = Cli::command();
    // The subcommands' pages need the names they are known by
    // (`matchkraft-run`), which building the command sets.
    cli.build();
    let page = match command {
        None => cli,
        Some(name) => {
            let known: Vec<String> = cli
                .get_subcommands()
                .map(|sub| sub.get_name().to_string())
                .filter(|sub| sub != "help")
                .collect();
            cli.find_subcommand(name)
                .filter(|_| name != "help")
                .cloned()
                .ok_or_else(|| Failure::Usage(format!("no command {name:?}: one of {}", known.join(", "))))?
        }
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut roff)
        .map_err(|e| Failure::Host(e.into()))?;
    Ok(roff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_lists_every_command_and_the_exit_codes() {
        let roff = String::from_utf8(page(None).ok().unwrap()).unwrap();
        assert!(roff.starts_with(".ie \\n(.g .ds Aq"), "{}", &roff[..80]);
        assert!(roff.contains(".TH matchkraft 1"), "{roff}");
        for sub in Cli::command().get_subcommands() {
            assert!(roff.contains(sub.get_name()), "no {} in the page", sub.get_name());
        }
        assert!(roff.contains("130"), "no exit codes in the page");
    }

    #[test]
    fn a_subcommand_has_a_page_of_its_own() {
        let roff = String::from_utf8(page(Some("run")).ok().unwrap()).unwrap();
        assert!(roff.contains(".TH matchkraft-run 1"), "{roff}");
        assert!(roff.contains("\\-\\-timeout"), "{roff}");
        assert!(page(Some("nope")).is_err());
    }
}
