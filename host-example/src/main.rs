//! `matchkraft`: submit MatchKraft jobs and read their results from the
//! command line, through the MatchKraft WebAssembly component.
//!
//! Exit codes: 0 success; 1 an error from the API or the component (or the
//! host); 2 a usage or input error; 3 the job failed; 4 gave up waiting for
//! the job; 130 interrupted.

mod cli;
mod input;
mod output;
mod poll;

use std::io::Write as _;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Parser as _;
use matchkraft_host::{
    DEFAULT_BASE_URL, Error, HostConfig, Job, JobResults, JobStatus, JobType, MatchKraft, Records,
    ResultRecords,
};
use matchkraft_simulator::{SimConfig, Simulator};
use tokio::time::Instant;

use cli::{Cli, Command, Global, JobArgs, RecordArgs, RunArgs};
use poll::Backoff;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            failure.report();
            ExitCode::from(failure.exit_code())
        }
    }
}

/// Why the command did not succeed; each kind has its exit code.
enum Failure {
    /// Bad arguments or an unreadable input file (exit 2).
    Usage(String),
    /// The component's typed error (exit 1).
    Api(Error),
    /// The host could not run the component, or it trapped (exit 1).
    Host(anyhow::Error),
    /// The job finished as `failed` (exit 3).
    JobFailed(Job),
    /// `run` stopped waiting (exit 4).
    Timeout { job: Job, waited: Duration },
    /// Ctrl-C while `run` was waiting (exit 130).
    Interrupted(Job),
}

impl Failure {
    fn exit_code(&self) -> u8 {
        match self {
            Failure::Api(_) | Failure::Host(_) => 1,
            Failure::Usage(_) => 2,
            Failure::JobFailed(_) => 3,
            Failure::Timeout { .. } => 4,
            Failure::Interrupted(_) => 130,
        }
    }

    /// One `error:` line on stderr, and a `hint:` line where one helps.
    fn report(&self) {
        let (message, hint) = match self {
            Failure::Usage(message) => (message.clone(), None),
            Failure::Api(error) => (error.message().to_string(), hint(error)),
            Failure::Host(error) => (one_line(&format!("{error:#}")), None),
            Failure::JobFailed(job) => (output::job_line(job), None),
            Failure::Timeout { job, waited } => (
                format!(
                    "gave up after {:.0} s waiting for {}",
                    waited.as_secs_f64(),
                    output::job_line(job)
                ),
                Some(format!(
                    "the job keeps running; fetch its results later with \
                     `matchkraft results {} {}`",
                    job.job_type, job.id
                )),
            ),
            Failure::Interrupted(job) => (
                format!("interrupted while waiting for {}", output::job_line(job)),
                Some(format!(
                    "the job keeps running; fetch its results later with \
                     `matchkraft results {} {}`",
                    job.job_type, job.id
                )),
            ),
        };
        eprintln!("error: {message}");
        if let Some(hint) = hint {
            eprintln!("hint: {hint}");
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Failure {
        Failure::Host(error)
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure::Api(error)
    }
}

/// The text with its line breaks and indentation folded into single spaces.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What to try next for an error, where the error alone does not say.
fn hint(error: &Error) -> Option<String> {
    let hint = match error {
        Error::PermanentUnauthorized(_) => "check MATCHKRAFT_API_KEY (or --api-key)",
        Error::PermanentConfig(_) => "check MATCHKRAFT_BASE_URL (or --base-url)",
        Error::PermanentNotFound(_) => "check the job id and the job type: a job id belongs to one job type",
        Error::SubmitOutcomeUnknown(_) => {
            "the job may have been created; check before submitting the same records again"
        }
        Error::RateLimited(_) | Error::ServerError(_) | Error::Transport(_) | Error::Timeout(_) => {
            "this may pass: try again later"
        }
        _ => return None,
    };
    Some(hint.to_string())
}

async fn execute(cli: Cli) -> Result<(), Failure> {
    let json = cli.global.json;
    match cli.command {
        Command::Run(args) => {
            let records = read_records(&args.records)?;
            let session = Session::start(&cli.global).await?;
            run(&session.host, &args, records, json).await
        }
        Command::Submit(args) => {
            let records = read_records(&args.records)?;
            let session = Session::start(&cli.global).await?;
            let job = submit(&session.host, &args.records, records).await?;
            if json {
                print(&output::to_text(&output::job_json(&job)));
            } else {
                print(&format!("{}\n", job.id));
            }
            Ok(())
        }
        Command::Status(args) => {
            let session = Session::start(&cli.global).await?;
            let job = session.host.status(args.job_type.into(), &args.job_id).await??;
            if json {
                print(&output::to_text(&output::job_json(&job)));
            } else {
                print(&format!("{}\n", output::job_line(&job)));
            }
            Ok(())
        }
        Command::Results(args) => {
            let session = Session::start(&cli.global).await?;
            results(&session.host, &args, json).await
        }
    }
}

fn read_records(args: &RecordArgs) -> Result<Records, Failure> {
    input::collect(args.job_type.into(), &args.records, args.input.as_deref())
        .map_err(|e| Failure::Usage(e.to_string()))
}

/// The host, and the simulator it talks to when the command runs offline
/// (kept here so it serves for as long as the command runs).
struct Session {
    host: MatchKraft,
    _simulator: Option<Simulator>,
}

impl Session {
    async fn start(global: &Global) -> Result<Session, Failure> {
        let api_key = global.api_key.clone().filter(|k| !k.trim().is_empty());
        let base_url = global.base_url.clone().filter(|u| !u.trim().is_empty());
        let (config, simulator) = match (api_key, base_url) {
            (None, None) => {
                let simulator = start_simulator().await?;
                eprintln!(
                    "no MATCHKRAFT_API_KEY set: using the built-in MatchKraft simulator at {} \
                     (results are simulated)",
                    simulator.base_url()
                );
                let config =
                    HostConfig::new(simulator.base_url()).with_api_key(simulator.config().api_key.clone());
                (config, Some(simulator))
            }
            (api_key, base_url) => {
                let config = HostConfig {
                    base_url: base_url.unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
                    api_key,
                    ..HostConfig::default()
                };
                (config, None)
            }
        };
        let host = match &global.component {
            Some(path) => MatchKraft::from_file(path, config)?,
            None => MatchKraft::new(matchkraft_artifacts::COMPONENT, config)?,
        };
        Ok(Session {
            host,
            _simulator: simulator,
        })
    }
}

/// The built-in simulator on 127.0.0.1, on this command's runtime.
async fn start_simulator() -> Result<Simulator, Failure> {
    Simulator::start(SimConfig::default()).await.map_err(|e| {
        Failure::Host(anyhow::anyhow!(
            "cannot start the built-in simulator on 127.0.0.1: {e}"
        ))
    })
}

async fn submit(host: &MatchKraft, args: &RecordArgs, records: Records) -> Result<Job, Failure> {
    let name = match &args.name {
        Some(name) => name.clone(),
        None => default_job_name(args.job_type.into()),
    };
    Ok(host.submit(&name, records).await??)
}

/// `matchkraft-cli-email-validation-1732650000`.
fn default_job_name(job_type: JobType) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("matchkraft-cli-{job_type}-{now}")
}

async fn run(host: &MatchKraft, args: &RunArgs, records: Records, json: bool) -> Result<(), Failure> {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.timeout);
    let job = submit(host, &args.records, records).await?;
    eprintln!("submitted {}", output::job_line(&job));

    // Once the job exists, Ctrl-C says how to get back to it.
    let results = tokio::select! {
        finished = wait_and_fetch(host, job.clone(), started, deadline) => finished?,
        _ = tokio::signal::ctrl_c() => return Err(Failure::Interrupted(job)),
    };
    if results.job.status == JobStatus::Failed {
        if json {
            print(&output::to_text(&output::results_json(&results)));
        }
        return Err(Failure::JobFailed(results.job));
    }
    eprintln!(
        "{} with {} result(s)",
        output::job_line(&results.job),
        results.records.len()
    );
    show_results(&results, json);
    Ok(())
}

/// Waits for `job` to finish, then reads its results (none for a failed job).
async fn wait_and_fetch(
    host: &MatchKraft,
    job: Job,
    started: Instant,
    deadline: Instant,
) -> Result<JobResults, Failure> {
    let job = wait(host, job, started, deadline).await?;
    if job.status == JobStatus::Failed {
        return Ok(empty_results(job));
    }
    Ok(host.results(job.job_type, &job.id).await??)
}

/// Polls `job` until it is `completed` or `failed`, or `deadline` passes.
/// Errors that may pass (rate limits, 5xx, timeouts) are retried.
async fn wait(host: &MatchKraft, mut job: Job, started: Instant, deadline: Instant) -> Result<Job, Failure> {
    let mut backoff = Backoff::new();
    let timeout = |job: Job| Failure::Timeout {
        job,
        waited: started.elapsed(),
    };
    while !job.status.is_terminal() {
        let now = Instant::now();
        if now >= deadline {
            return Err(timeout(job));
        }
        tokio::time::sleep(backoff.next_interval().min(deadline - now)).await;
        if Instant::now() >= deadline {
            return Err(timeout(job));
        }
        let Ok(answer) = tokio::time::timeout_at(deadline, host.status(job.job_type, &job.id)).await else {
            return Err(timeout(job));
        };
        match answer? {
            Ok(latest) => job = latest,
            Err(error) if !error.is_permanent() => {
                if let Error::RateLimited(Some(ms)) = error {
                    backoff.at_least(Duration::from_millis(ms));
                }
                eprintln!("warning: {}; retrying", error.message());
            }
            Err(error) => return Err(Failure::Api(error)),
        }
    }
    Ok(job)
}

/// A job with no results, for printing a failed job in the results shape.
fn empty_results(job: Job) -> JobResults {
    let records = match job.job_type {
        JobType::DomainScan => ResultRecords::DomainScan(Vec::new()),
        JobType::EmailValidation => ResultRecords::EmailValidation(Vec::new()),
        JobType::EmailFinder => ResultRecords::EmailFinder(Vec::new()),
    };
    JobResults { job, records }
}

async fn results(host: &MatchKraft, args: &JobArgs, json: bool) -> Result<(), Failure> {
    let results = host.results(args.job_type.into(), &args.job_id).await??;
    match results.job.status {
        JobStatus::Completed => show_results(&results, json),
        JobStatus::Failed => {
            if json {
                print(&output::to_text(&output::results_json(&results)));
            }
            return Err(Failure::JobFailed(results.job));
        }
        _ => {
            if json {
                print(&output::to_text(&output::results_json(&results)));
            } else {
                print(&format!("{}\n", output::job_line(&results.job)));
                eprintln!("the job has not finished: no results yet");
            }
        }
    }
    Ok(())
}

fn show_results(results: &JobResults, json: bool) {
    if json {
        print(&output::to_text(&output::results_json(results)));
    } else {
        print(&output::table(&results.records));
    }
}

/// Writes to stdout; a closed pipe (`matchkraft … | head`) is not an error.
fn print(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
}
