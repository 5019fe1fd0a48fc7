//! The command line, as clap parses it.

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
    fn unknown_job_type_is_a_usage_error() {
        let error = Cli::try_parse_from(["matchkraft", "status", "email", "id"]).unwrap_err();
        assert_eq!(error.exit_code(), 2);
    }
}
