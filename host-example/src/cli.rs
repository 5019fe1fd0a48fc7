//! The command line, as clap parses it.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use matchkraft_host::JobType;

/// Run MatchKraft jobs (domain scan, email validation, email finder) through
/// the MatchKraft WebAssembly component.
///
/// With neither MATCHKRAFT_API_KEY nor MATCHKRAFT_BASE_URL set, the command
/// starts a built-in simulator of the API on 127.0.0.1 and uses it, so it can
/// be tried offline (its results are simulated).
#[derive(Debug, Parser)]
#[command(name = "matchkraft", version, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,

    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Flags every subcommand accepts.
#[derive(Debug, Args)]
pub(crate) struct Global {
    /// The MatchKraft API key (sent by the component as the `apikey` header;
    /// never printed).
    #[arg(long, env = "MATCHKRAFT_API_KEY", hide_env_values = true, global = true)]
    pub(crate) api_key: Option<String>,

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
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Submit a job, wait for it to finish, and print its results.
    Run(RunArgs),
    /// Submit a job and print its id without waiting.
    Submit(SubmitArgs),
    /// Print the status of a job.
    Status(JobArgs),
    /// Print the results of a job (its status while it is not finished).
    Results(JobArgs),
    /// List the jobs in the ledger, newest first.
    Jobs,
    /// Wait for a job of the ledger (or every job without results yet),
    /// fetch its results into the ledger and print them.
    Resume(ResumeArgs),
    /// Receive MatchKraft's job.completed webhooks and complete the ledger's
    /// jobs (Ctrl-C stops).
    Listen(ListenArgs),
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

    /// Read records from FILE (`-` for stdin): a JSON array, or CSV (one
    /// column of emails or URLs, header optional; for email-finder a header
    /// `firstName,lastName,website` or exactly those three columns).
    #[arg(long, short, value_name = "FILE")]
    pub(crate) input: Option<PathBuf>,

    /// The job name [default: matchkraft-cli-TYPE-UNIXTIME].
    #[arg(long, short)]
    pub(crate) name: Option<String>,
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
    pub(crate) webhook: Option<SocketAddr>,
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
    pub(crate) addr: SocketAddr,
}

#[derive(Debug, Args)]
pub(crate) struct SubmitArgs {
    #[command(flatten)]
    pub(crate) records: RecordArgs,
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
        assert_eq!(listen.addr, "127.0.0.1:8787".parse().unwrap());

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
        assert_eq!(run.webhook, Some("127.0.0.1:0".parse().unwrap()));
        assert!(
            Cli::try_parse_from(["matchkraft", "jobs", "--json"])
                .unwrap()
                .global
                .json
        );
    }

    #[test]
    fn unknown_job_type_is_a_usage_error() {
        let error = Cli::try_parse_from(["matchkraft", "status", "email", "id"]).unwrap_err();
        assert_eq!(error.exit_code(), 2);
    }
}
