//! The command line, as clap parses it.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;
use matchkraft_host::JobType;

use crate::term::ColorChoice;

/// The command line, parsed. `--help` and `--version` are printed here on
/// stdout, and a write that fails is an error (exit 1; a closed pipe ends
/// quietly); usage errors go to stderr (exit 2). Either way the exit code
/// comes back as the `Err`.
pub(crate) fn parse() -> Result<Cli, ExitCode> {
    let matches = Cli::command().try_get_matches().map_err(clap_exit)?;
    let mut cli = Cli::from_arg_matches(&matches).map_err(clap_exit)?;
    cli.global.api_key_on_command_line = matches.value_source("api_key") == Some(ValueSource::CommandLine);
    Ok(cli)
}

/// Prints what clap has to say (help, version, or a usage error) and
/// returns the exit code.
fn clap_exit(error: clap::Error) -> ExitCode {
    let code = u8::try_from(error.exit_code()).unwrap_or(2);
    if error.use_stderr() || !matches!(error.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = error.print();
        return ExitCode::from(code);
    }
    let rendered = error.render();
    let text = if std::io::stdout().is_terminal() {
        rendered.ansi().to_string()
    } else {
        rendered.to_string()
    };
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::from(code),
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "error: cannot write to stdout: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The exit codes, in `--help` and in the README.
const EXIT_CODES: &str = "\
Exit codes:
  0    success
  1    an error from the API, the component or the host (the message says which)
  2    a usage or input error: nothing was submitted
  3    the job finished as failed
  4    gave up waiting (--timeout); the job keeps running: `matchkraft resume`
  5    `results`: the job has not finished yet (its status is printed)
  130  interrupted (Ctrl-C) while waiting; `matchkraft resume` finishes the job

Environment: MATCHKRAFT_API_KEY, MATCHKRAFT_BASE_URL, MATCHKRAFT_LEDGER, NO_COLOR
(and the component's MATCHKRAFT_* settings, listed in the README).";

/// Run MatchKraft jobs (domain scan, email validation, email finder) through
/// the MatchKraft WebAssembly component.
///
/// With neither MATCHKRAFT_API_KEY nor MATCHKRAFT_BASE_URL set, the command
/// starts a built-in simulator of the API on 127.0.0.1 and uses it, so it can
/// be tried offline (its results are simulated).
#[derive(Debug, Parser)]
#[command(name = "matchkraft", version, max_term_width = 100, after_help = EXIT_CODES)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,

    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Flags every subcommand accepts.
#[derive(Debug, Args)]
pub(crate) struct Global {
    /// The MatchKraft API key (sent as the `apikey` header; never printed).
    /// Prefer MATCHKRAFT_API_KEY or --api-key-file: a key on the command line
    /// is visible to every user of the machine (`ps`) while the command runs.
    #[arg(long, env = "MATCHKRAFT_API_KEY", hide_env_values = true, global = true)]
    pub(crate) api_key: Option<String>,

    /// Read the API key from FILE (`-` for stdin): its first line, without
    /// surrounding whitespace. Wins over --api-key and MATCHKRAFT_API_KEY.
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) api_key_file: Option<PathBuf>,

    /// Whether `--api-key` itself was on the command line (rather than
    /// MATCHKRAFT_API_KEY), which is worth a warning.
    #[arg(skip)]
    pub(crate) api_key_on_command_line: bool,

    // The doc comment is clap's help text, where a bare URL reads best.
    #[allow(rustdoc::bare_urls)]
    /// The API base URL [default: https://app.matchkraft.com/api/v2]. The
    /// component may send requests to this URL's scheme, host and port only.
    #[arg(long, env = "MATCHKRAFT_BASE_URL", global = true, value_name = "URL")]
    pub(crate) base_url: Option<String>,

    /// Run this component file instead of the one built into the command.
    #[arg(long, global = true, value_name = "PATH")]
    pub(crate) component: Option<PathBuf>,

    /// Print JSON on stdout instead of text.
    #[arg(long, global = true)]
    pub(crate) json: bool,

    /// The job ledger, an SQLite file that records every submitted job
    /// [default: $XDG_DATA_HOME/matchkraft/ledger.sqlite3, or
    /// ~/.local/share/matchkraft/ledger.sqlite3].
    #[arg(long, env = "MATCHKRAFT_LEDGER", global = true, value_name = "PATH")]
    pub(crate) ledger: Option<PathBuf>,

    /// No progress line and no informational messages on stderr: only
    /// results (stdout), warnings and errors.
    #[arg(long, short, global = true)]
    pub(crate) quiet: bool,

    /// When to colour the output [auto: when stdout is a terminal and
    /// NO_COLOR is not set].
    #[arg(long, global = true, value_enum, default_value_t, value_name = "WHEN")]
    pub(crate) color: ColorChoice,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Submit a job, wait for it to finish, and print its results.
    #[command(after_help = "\
Examples:
  matchkraft run email-validation john@gmail.com test@domain.com
  matchkraft run email-finder 'Ada,Lovelace,https://example.com'
  matchkraft run domain-scan --input sites.csv --output found.csv
  matchkraft run email-validation --input - --json < emails.txt
  matchkraft run email-validation --input leads.csv --dedupe --webhook 127.0.0.1:8787")]
    Run(RunArgs),
    /// Submit a job and print its id without waiting.
    #[command(after_help = "\
Examples:
  matchkraft submit email-validation --input leads.csv --name 'November leads'
  job=$(matchkraft submit domain-scan https://example.com)")]
    Submit(SubmitArgs),
    /// Print the status of a job.
    #[command(after_help = "\
Examples:
  matchkraft status email-validation 0b6e4f2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b
  matchkraft status domain-scan \"$job\" --json")]
    Status(JobArgs),
    /// Print the results of a job (its status while it is not finished).
    #[command(after_help = "\
Examples:
  matchkraft results email-validation 0b6e4f2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b
  matchkraft results email-finder \"$job\" --output contacts.csv
  matchkraft results domain-scan \"$job\" --json | jq '.results[].emails'")]
    Results(ResultsArgs),
    /// List the jobs in the ledger, newest first; forget or prune them.
    #[command(after_help = "\
Examples:
  matchkraft jobs
  matchkraft jobs --status unfinished
  matchkraft jobs --json --ledger ./project-ledger.sqlite3
  matchkraft jobs forget 0b6e4f2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b
  matchkraft jobs prune --before 30d --dry-run")]
    Jobs(JobsArgs),
    /// Wait for a job of the ledger (or every job without results yet),
    /// fetch its results into the ledger and print them.
    #[command(after_help = "\
Examples:
  matchkraft resume
  matchkraft resume 0b6e4f2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b --json --timeout 1800")]
    Resume(ResumeArgs),
    /// Receive MatchKraft's job.completed webhooks and complete the ledger's
    /// jobs (Ctrl-C stops).
    #[command(after_help = "\
Examples:
  matchkraft listen
  matchkraft listen --addr 0.0.0.0:8787   # behind a tunnel or a reverse proxy")]
    Listen(ListenArgs),
    /// Print a shell completion script.
    #[command(after_help = "\
Examples:
  matchkraft completions bash > ~/.local/share/bash-completion/completions/matchkraft
  matchkraft completions zsh > \"${fpath[1]}/_matchkraft\"
  matchkraft completions fish > ~/.config/fish/completions/matchkraft.fish")]
    Completions(CompletionsArgs),
    /// Serve the built-in simulator of the API until Ctrl-C, so that jobs
    /// outlive the command that submitted them (results are simulated).
    #[command(after_help = "\
Examples:
  matchkraft simulator                  # then, in another shell, the two export lines it prints
  matchkraft simulator --addr 127.0.0.1:0 --job-secs 30
  matchkraft simulator --faults 0.2 --webhook-url http://127.0.0.1:8787/")]
    Simulator(SimulatorArgs),
    /// Write the component this command runs (or the webhook relay, or the
    /// WIT package) to a file, for other hosts, and print its SHA-256.
    #[command(after_help = "\
Examples:
  matchkraft component -o matchkraft_component.wasm
  matchkraft component --relay -o matchkraft_relay.wasm
  matchkraft component --wit -o matchkraft.wasm   # as `wasm-tools component wit --wasm` writes it")]
    Component(ComponentArgs),
    /// Print the manual page (roff), generated from the same definition as
    /// `--help`.
    #[command(after_help = "\
Examples:
  matchkraft man > ~/.local/share/man/man1/matchkraft.1
  matchkraft man run | man -l -")]
    Man(ManArgs),
}

/// `matchkraft jobs`: a listing, or a change to the ledger.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct JobsArgs {
    /// Only the jobs with this status (repeat it, or separate with commas);
    /// `unfinished` is every job without results that has not failed, and
    /// the submissions whose outcome is unknown.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "STATUS")]
    pub(crate) status: Vec<StatusFilter>,

    #[command(subcommand)]
    pub(crate) action: Option<JobsAction>,
}

/// A status `jobs --status` selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum StatusFilter {
    /// Submitted, not started.
    Pending,
    /// Running.
    Processing,
    /// Finished with results (stored or not).
    Completed,
    /// Finished as failed.
    Failed,
    /// Without results and not failed: what `resume` would wait for.
    Unfinished,
}

/// What `jobs` can change in the ledger.
#[derive(Debug, Subcommand)]
pub(crate) enum JobsAction {
    /// Drop jobs from the ledger, results included. A job without results
    /// is kept unless --unfinished is given: its id is the only way back to
    /// a job that is paid for.
    Forget(ForgetArgs),
    /// Drop the finished jobs submitted before a date (failed, or with their
    /// results stored). Unfinished jobs are kept, and counted, unless
    /// --unfinished is given.
    Prune(PruneArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ForgetArgs {
    /// The jobs to forget.
    #[arg(value_name = "JOB_ID", required = true)]
    pub(crate) job_ids: Vec<String>,

    /// Forget jobs without results too.
    #[arg(long)]
    pub(crate) unfinished: bool,
}

#[derive(Debug, Args)]
pub(crate) struct PruneArgs {
    /// Jobs submitted before DATE: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SSZ`
    /// (UTC), or a number of days ago (`30d`).
    #[arg(long, value_name = "DATE")]
    pub(crate) before: String,

    /// Drop jobs without results too, and submissions whose outcome is
    /// unknown.
    #[arg(long)]
    pub(crate) unfinished: bool,

    /// Say what would be dropped, and drop nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SimulatorArgs {
    /// The address to serve on (port 0: one the system picks, printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8790")]
    pub(crate) addr: String,

    /// Fail a share of the requests on purpose, as a flaky network would:
    /// RATE from 0 to 1, then optionally `:` and the kinds to draw from
    /// (status-NNN, reset-before-response, reset-after-commit, truncated-json,
    /// html-with-200, wrong-content-type, slow, stall-body) [default kinds:
    /// status-503, status-429, reset-before-response, reset-after-commit,
    /// truncated-json].
    #[arg(long, value_name = "RATE[:KIND,...]", value_parser = crate::commands::simulator::parse_faults)]
    pub(crate) faults: Option<crate::commands::simulator::FaultsArg>,

    /// The seed of --faults: the same seed and requests give the same faults.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub(crate) seed: u64,

    /// POST each finished job's webhook to URL (plain http to a loopback
    /// address, e.g. `matchkraft listen`'s http://127.0.0.1:8787/).
    #[arg(long, value_name = "URL")]
    pub(crate) webhook_url: Option<String>,

    /// How long each job takes to finish, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 0.25)]
    pub(crate) job_secs: f64,
}

#[derive(Debug, Args)]
pub(crate) struct ComponentArgs {
    /// The webhook relay instead: the client's exports plus
    /// `wasi:http/incoming-handler`.
    #[arg(long, conflicts_with = "wit")]
    pub(crate) relay: bool,

    /// The WIT package `matchkraft:client` instead, encoded as a binary
    /// WebAssembly file.
    #[arg(long)]
    pub(crate) wit: bool,

    /// Where to write it (`-`: stdout, which must not be a terminal).
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// The page of this subcommand (`matchkraft-run(1)`) instead of the
    /// command's.
    #[arg(value_name = "COMMAND")]
    pub(crate) command: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub(crate) shell: Shell,
}

/// The records of a new job, from arguments, a file, or both.
#[derive(Debug, Args)]
pub(crate) struct RecordArgs {
    /// The job type.
    #[arg(value_enum)]
    pub(crate) job_type: JobTypeArg,

    /// Records: email addresses (email-validation), website URLs
    /// (domain-scan), or `First,Last,https://site` (email-finder).
    #[arg(value_name = "RECORD")]
    pub(crate) records: Vec<String>,

    /// Read records from FILE (`-` for stdin): JSON (a `.json` name, or text
    /// starting with `[` or `{`: an array of records, or the document `--json`
    /// prints) or CSV (`.csv`, `.tsv`, `.txt`, or anything else: one column of
    /// emails or URLs, header optional; for email-finder a header
    /// `firstName,lastName,website` or exactly those three columns).
    #[arg(long, short, value_name = "FILE")]
    pub(crate) input: Option<PathBuf>,

    /// The character between the fields of a CSV --input: `,` `;` `|` or
    /// `tab` [default: found in the file's first lines; a tab for `.tsv`].
    #[arg(long, value_name = "CHAR", value_parser = clap::value_parser!(matchkraft_input::Delimiter))]
    pub(crate) delimiter: Option<matchkraft_input::Delimiter>,

    /// The job name [default: matchkraft-cli-TYPE-UNIXTIME].
    #[arg(long, short)]
    pub(crate) name: Option<String>,

    /// Leave out records that repeat an earlier one (same email or URL
    /// whatever the case; same contact). Without it, repeats are reported
    /// and submitted as given.
    #[arg(long)]
    pub(crate) dedupe: bool,

    /// Refuse an --input larger than BYTES (256 MiB by default): reading
    /// stops there, and nothing is sent.
    #[arg(
        long,
        value_name = "BYTES",
        default_value_t = matchkraft_input::limits::DEFAULT_MAX_INPUT_BYTES,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub(crate) max_input_bytes: u64,

    /// Refuse a CSV --input with a line longer than BYTES (1 MiB by default),
    /// naming the line; nothing is sent. (A JSON file may be one long line.)
    #[arg(
        long,
        value_name = "BYTES",
        default_value_t = matchkraft_input::limits::DEFAULT_MAX_LINE_BYTES,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub(crate) max_line_bytes: u64,
}

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    pub(crate) records: RecordArgs,

    /// Give up waiting for the job after this many seconds (exit code 4; the
    /// job keeps running and its results can be fetched later).
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    pub(crate) timeout: u64,

    /// Also receive the job's webhook on ADDR (for example 127.0.0.1:8787)
    /// and complete the job on the webhook or on polling, whichever comes
    /// first. Without it, `run` polls.
    #[arg(long, value_name = "ADDR")]
    pub(crate) webhook: Option<String>,

    /// Write the results to FILE instead of printing them: CSV, one row per
    /// result with the input columns first (JSON when FILE ends in .json).
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ResumeArgs {
    /// The job to resume [default: every job in the ledger without results].
    pub(crate) job_id: Option<String>,

    /// Give up waiting after this many seconds (exit code 4; run `resume`
    /// again later).
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    pub(crate) timeout: u64,
}

#[derive(Debug, Args)]
pub(crate) struct ListenArgs {
    /// The address to receive webhooks on; put it (or a tunnel to it) in the
    /// dashboard as the webhook URL.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8787")]
    pub(crate) addr: String,
}

#[derive(Debug, Args)]
pub(crate) struct SubmitArgs {
    #[command(flatten)]
    pub(crate) records: RecordArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ResultsArgs {
    #[command(flatten)]
    pub(crate) job: JobArgs,

    /// Write the results to FILE instead of printing them: CSV, one row per
    /// result with the input columns first (JSON when FILE ends in .json).
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

/// A job that exists already.
#[derive(Debug, Args)]
pub(crate) struct JobArgs {
    /// The job type (a job id belongs to one type).
    #[arg(value_enum)]
    pub(crate) job_type: JobTypeArg,

    /// The job id `submit` printed.
    pub(crate) job_id: String,
}

/// The job types as the command line spells them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum JobTypeArg {
    /// Extract contact emails from company websites.
    DomainScan,
    /// Check email addresses for deliverability.
    EmailValidation,
    /// Find a professional email from a name and a website.
    EmailFinder,
}

impl From<JobTypeArg> for JobType {
    fn from(arg: JobTypeArg) -> JobType {
        match arg {
            JobTypeArg::DomainScan => JobType::DomainScan,
            JobTypeArg::EmailValidation => JobType::EmailValidation,
            JobTypeArg::EmailFinder => JobType::EmailFinder,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_run_with_global_flags_anywhere() {
        let cli = Cli::try_parse_from([
            "matchkraft",
            "--base-url",
            "http://127.0.0.1:1/api/v2",
            "run",
            "email-finder",
            "Ada,Lovelace,https://example.com",
            "--json",
            "--timeout",
            "5",
        ])
        .unwrap();
        assert!(cli.global.json);
        assert_eq!(cli.global.base_url.as_deref(), Some("http://127.0.0.1:1/api/v2"));
        let Command::Run(run) = cli.command else {
            panic!("not run")
        };
        assert_eq!(run.timeout, 5);
        assert_eq!(run.records.job_type, JobTypeArg::EmailFinder);
        assert_eq!(run.records.records, ["Ada,Lovelace,https://example.com"]);
    }

    #[test]
    fn parses_the_ledger_commands() {
        let cli =
            Cli::try_parse_from(["matchkraft", "resume", "job-1", "--ledger", "/tmp/l.sqlite3"]).unwrap();
        assert_eq!(cli.global.ledger, Some(PathBuf::from("/tmp/l.sqlite3")));
        let Command::Resume(resume) = cli.command else {
            panic!("not resume")
        };
        assert_eq!(resume.job_id.as_deref(), Some("job-1"));

        let cli = Cli::try_parse_from(["matchkraft", "listen"]).unwrap();
        let Command::Listen(listen) = cli.command else {
            panic!("not listen")
        };
        assert_eq!(listen.addr, "127.0.0.1:8787");

        let cli = Cli::try_parse_from([
            "matchkraft",
            "run",
            "domain-scan",
            "https://example.com",
            "--webhook",
            "127.0.0.1:0",
        ])
        .unwrap();
        let Command::Run(run) = cli.command else {
            panic!("not run")
        };
        assert_eq!(run.webhook.as_deref(), Some("127.0.0.1:0"));
        assert!(
            Cli::try_parse_from(["matchkraft", "jobs", "--json"])
                .unwrap()
                .global
                .json
        );
    }

    #[test]
    fn every_subcommand_has_examples() {
        for sub in Cli::command().get_subcommands() {
            let help = sub.get_after_help().map(|h| h.to_string()).unwrap_or_default();
            assert!(
                help.starts_with("Examples:\n") && help.contains(&format!("matchkraft {}", sub.get_name())),
                "`matchkraft {} --help` has no examples of itself",
                sub.get_name()
            );
        }
    }

    #[test]
    fn unknown_job_type_is_a_usage_error() {
        let error = Cli::try_parse_from(["matchkraft", "status", "email", "id"]).unwrap_err();
        assert_eq!(error.exit_code(), 2);
    }
}
