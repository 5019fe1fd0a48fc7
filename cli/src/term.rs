//! What the command may do to the terminal: colours and a live progress line.
//!
//! Both are for a person watching, so both are off when the output goes to a
//! file or a pipe, where escape codes and carriage returns would garble what
//! a script reads. Colours also follow the `NO_COLOR` convention (set and
//! not empty: no colour) and `TERM=dumb`, unless `--color always` asks for
//! them; `--quiet` turns progress (and the informational lines) off.

use std::io::IsTerminal as _;

use clap::ValueEnum;

/// `--color`: when to colour the output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    /// When stdout is a terminal, `NO_COLOR` is unset or empty, and `TERM`
    /// is not `dumb`.
    #[default]
    Auto,
    /// Always, even into a pipe (`less -R`).
    Always,
    /// Never.
    Never,
}

/// The decisions, made once at start-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Term {
    /// Colour the tables' status words.
    pub(crate) color: bool,
    /// Draw a progress line on stderr while waiting.
    pub(crate) progress: bool,
    /// Print informational lines on stderr (`submitted job …`).
    pub(crate) chatty: bool,
}

/// What the environment says, read in one place so that the decision is a
/// pure function that tests can cover case by case.
#[derive(Clone, Debug, Default)]
pub(crate) struct Surroundings {
    pub(crate) stdout_is_terminal: bool,
    pub(crate) stderr_is_terminal: bool,
    pub(crate) no_color: Option<String>,
    pub(crate) term: Option<String>,
}

impl Surroundings {
    pub(crate) fn current() -> Surroundings {
        Surroundings {
            stdout_is_terminal: std::io::stdout().is_terminal(),
            stderr_is_terminal: std::io::stderr().is_terminal(),
            no_color: std::env::var("NO_COLOR").ok(),
            term: std::env::var("TERM").ok(),
        }
    }
}

impl Term {
    pub(crate) fn decide(choice: ColorChoice, quiet: bool, around: &Surroundings) -> Term {
        let dumb = around.term.as_deref() == Some("dumb");
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                around.stdout_is_terminal && around.no_color.as_deref().is_none_or(str::is_empty) && !dumb
            }
        };
        Term {
            color,
            // The progress line is redrawn with `\r`: only where a person sees
            // both streams, so that a redirected stdout stays clean and a log
            // of stderr holds no half-drawn lines.
            progress: !quiet && around.stdout_is_terminal && around.stderr_is_terminal && !dumb,
            chatty: !quiet,
        }
    }

    /// `text` in `tone`, or as it is without colour.
    pub(crate) fn paint(&self, text: &str, tone: Tone) -> String {
        if !self.color || tone == Tone::Plain {
            return text.to_string();
        }
        let code = match tone {
            Tone::Good => "32",
            Tone::Bad => "31",
            Tone::Doubtful => "33",
            Tone::Dim => "2",
            Tone::Plain => unreachable!(),
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }
}

/// How a value reads at a glance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tone {
    /// Deliverable, found, completed.
    Good,
    /// Invalid, failed.
    Bad,
    /// Risky or unknown: catch-all, role, disposable, unknown.
    Doubtful,
    /// A missing value.
    Dim,
    Plain,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn around(stdout: bool, stderr: bool, no_color: Option<&str>, term: Option<&str>) -> Surroundings {
        Surroundings {
            stdout_is_terminal: stdout,
            stderr_is_terminal: stderr,
            no_color: no_color.map(String::from),
            term: term.map(String::from),
        }
    }

    #[test]
    fn colour_follows_the_terminal_no_color_and_the_flag() {
        let decide = |choice, around: &Surroundings| Term::decide(choice, false, around).color;
        let xterm = Some("xterm-256color");
        assert!(decide(ColorChoice::Auto, &around(true, true, None, xterm)));
        // NO_COLOR set to anything but the empty string turns colour off.
        assert!(!decide(ColorChoice::Auto, &around(true, true, Some("1"), xterm)));
        assert!(!decide(ColorChoice::Auto, &around(true, true, Some("0"), xterm)));
        assert!(decide(ColorChoice::Auto, &around(true, true, Some(""), xterm)));
        // Into a pipe, or on a dumb terminal: none.
        assert!(!decide(ColorChoice::Auto, &around(false, true, None, xterm)));
        assert!(!decide(
            ColorChoice::Auto,
            &around(true, true, None, Some("dumb"))
        ));
        // The flag wins over the environment, as the convention asks.
        assert!(decide(
            ColorChoice::Always,
            &around(false, false, Some("1"), None)
        ));
        assert!(!decide(ColorChoice::Never, &around(true, true, None, xterm)));
    }

    #[test]
    fn progress_needs_both_streams_on_a_terminal_and_no_quiet() {
        let progress = |quiet, stdout, stderr| {
            Term::decide(ColorChoice::Auto, quiet, &around(stdout, stderr, None, None))
        };
        assert!(progress(false, true, true).progress);
        assert!(!progress(true, true, true).progress);
        assert!(!progress(false, false, true).progress);
        assert!(!progress(false, true, false).progress);
        assert!(progress(false, false, false).chatty);
        assert!(!progress(true, true, true).chatty);
        // NO_COLOR is about colour only.
        let no_color = Term::decide(ColorChoice::Auto, false, &around(true, true, Some("1"), None));
        assert!(no_color.progress && !no_color.color);
    }

    #[test]
    fn paint_adds_codes_only_with_colour() {
        let on = Term::decide(ColorChoice::Always, false, &Surroundings::default());
        let off = Term::decide(ColorChoice::Never, false, &Surroundings::default());
        assert_eq!(on.paint("valid", Tone::Good), "\x1b[32mvalid\x1b[0m");
        assert_eq!(on.paint("x", Tone::Plain), "x");
        assert_eq!(off.paint("valid", Tone::Good), "valid");
    }
}
