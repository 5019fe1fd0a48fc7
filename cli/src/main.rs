//! `matchkraft`: submit MatchKraft jobs and read their results from the
//! command line, through the MatchKraft WebAssembly component.
//!
//! Exit codes: 0 success; 1 an error from the API or the component (or the
//! host); 2 a usage or input error (nothing submitted); 3 the job failed; 4
//! gave up waiting for the job; 130 interrupted. `--help` lists them too.
//!
//! Results go to stdout (or `--output FILE`); everything else (progress,
//! informational lines, warnings, errors) to stderr, through [`Console`].

mod cli;
mod complete;
mod console;
mod export;
mod input;
mod output;
mod poll;
mod resume;
mod term;

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Parser as _;
use matchkraft_host::{
    DEFAULT_BASE_URL, Error, HostConfig, Job, JobResults, JobStatus, JobType, Ledger, ListenerEvent,
    ListenerHandle, MatchKraft,
};
use matchkraft_simulator::{SimConfig, Simulator, WebhookConfig};
use tokio::time::Instant;

use cli::{Cli, Command, Global, JobArgs, ListenArgs, RecordArgs, ResultsArgs, RunArgs};
use complete::Waiting;
use console::Console;
use input::Input;
use term::{Surroundings, Term};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let term = Term::decide(cli.global.color, cli.global.quiet, &Surroundings::current());
    let console = Console::new(term);
    let outcome = execute(cli, &console).await;
    console.stop();
    match outcome {
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
    /// The component found a record invalid (exit 2: nothing was
    /// submitted); `origin` says where the record came from.
    Record { error: Error, origin: String },
    /// The host could not run the component, or it trapped (exit 1).
    Host(anyhow::Error),
    /// The job finished as `failed` (exit 3).
    JobFailed(Job),
    /// `run` stopped waiting (exit 4).
    Timeout { job: Job, waited: Duration },
    /// Ctrl-C while `run` was waiting (exit 130).
    Interrupted(Job),
    /// `resume` failed for several jobs, each reported already; the exit
    /// code is the first one's.
    Several { count: usize, exit_code: u8 },
}

impl Failure {
    fn exit_code(&self) -> u8 {
        match self {
            Failure::Api(_) | Failure::Host(_) => 1,
            Failure::Usage(_) | Failure::Record { .. } => 2,
            Failure::JobFailed(_) => 3,
            Failure::Timeout { .. } => 4,
            Failure::Interrupted(_) => 130,
            Failure::Several { exit_code, .. } => *exit_code,
        }
    }

    /// One `error:` line on stderr, and a `hint:` line where one helps.
    fn report(&self) {
        let (message, hint) = match self {
            Failure::Usage(message) => (message.clone(), None),
            Failure::Api(error) => (error.message().to_string(), hint(error)),
            Failure::Record { error, origin } => (
                error.message().to_string(),
                Some(format!("that record is {origin}; nothing was submitted")),
            ),
            Failure::Host(error) => (one_line(&format!("{error:#}")), None),
            Failure::JobFailed(job) => (output::job_line(job), None),
            Failure::Timeout { job, waited } => (
                format!(
                    "gave up after {:.0} s waiting for {}",
                    waited.as_secs_f64(),
                    output::job_line(job)
                ),
                Some(resume_hint(job)),
            ),
            Failure::Interrupted(job) => (
                format!("interrupted while waiting for {}", output::job_line(job)),
                Some(resume_hint(job)),
            ),
            Failure::Several { count, .. } => (format!("{count} jobs did not complete"), None),
        };
        eprintln!("error: {message}");
        if let Some(hint) = hint {
            eprintln!("hint: {hint}");
        }
    }
}

/// The way back to a job that is still running.
fn resume_hint(job: &Job) -> String {
    format!(
        "the job keeps running and is in the ledger; `matchkraft resume {}` waits for it and \
         fetches its results",
        job.id
    )
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

async fn execute(cli: Cli, console: &Console) -> Result<(), Failure> {
    let json = cli.global.json;
    match cli.command {
        Command::Run(args) => {
            let input = read_records(&args.records, console)?;
            // A job is paid for once submitted: an output file that cannot
            // be written must stop the command before that, not after.
            if let Some(path) = &args.output {
                export::check_writable(path).map_err(Failure::Usage)?;
            }
            let ledger = open_ledger(&cli.global)?;
            let session = Session::start(&cli.global, console).await?;
            run(&session, &ledger, &args, input, json, console).await
        }
        Command::Submit(args) => {
            let input = read_records(&args.records, console)?;
            let ledger = open_ledger(&cli.global)?;
            let session = Session::start(&cli.global, console).await?;
            let job = submit(&session.host, &ledger, &args.records, input, console).await?;
            if json {
                print(&output::to_text(&output::job_json(&job)));
            } else {
                print(&format!("{}\n", job.id));
            }
            Ok(())
        }
        Command::Status(args) => {
            let session = Session::start(&cli.global, console).await?;
            let job = session.host.status(args.job_type.into(), &args.job_id).await??;
            if json {
                print(&output::to_text(&output::job_json(&job)));
            } else {
                print(&format!("{}\n", output::job_line(&job)));
            }
            Ok(())
        }
        Command::Results(args) => {
            let session = Session::start(&cli.global, console).await?;
            results(&session.host, &args, json, console).await
        }
        Command::Jobs => {
            let ledger = open_ledger(&cli.global)?;
            let jobs = ledger.list()?;
            if json {
                print(&output::to_text(&output::jobs_json(&jobs)));
            } else {
                print(&output::jobs_table(&jobs, console.term()));
            }
            Ok(())
        }
        Command::Resume(args) => {
            let ledger = open_ledger(&cli.global)?;
            // The host's own deadline must not cut the wait short.
            let call_timeout = Duration::from_secs(args.timeout).saturating_add(Duration::from_secs(60));
            let host = connect(&cli.global, "resume", call_timeout)?;
            resume::resume(&host, &ledger, &args, json, console).await
        }
        Command::Listen(args) => {
            let ledger = open_ledger(&cli.global)?;
            let host = connect(&cli.global, "listen", matchkraft_host::DEFAULT_CALL_TIMEOUT)?;
            listen(host, ledger, &args, console).await
        }
        Command::Completions(args) => {
            let mut script = Vec::new();
            clap_complete::generate(
                args.shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "matchkraft",
                &mut script,
            );
            print(&String::from_utf8_lossy(&script));
            Ok(())
        }
    }
}

/// The ledger named by `--ledger` (or `MATCHKRAFT_LEDGER`), else the one in
/// the user's data folder.
fn open_ledger(global: &Global) -> Result<Ledger, Failure> {
    let path = match &global.ledger {
        Some(path) => path.clone(),
        None => Ledger::default_path().ok_or_else(|| {
            Failure::Usage("no home folder to keep the job ledger in: pass --ledger PATH".into())
        })?,
    };
    Ok(Ledger::open(path)?)
}

/// A host for the API given by the flags or environment, for the commands
/// that work on jobs already submitted and so must not fall back to the
/// built-in simulator. They need the key.
fn connect(global: &Global, command: &str, call_timeout: Duration) -> Result<MatchKraft, Failure> {
    let Some(api_key) = global.api_key.clone().filter(|k| !k.trim().is_empty()) else {
        return Err(Failure::Usage(format!(
            "`matchkraft {command}` needs the API key: set MATCHKRAFT_API_KEY or pass --api-key"
        )));
    };
    let config = HostConfig {
        base_url: global
            .base_url
            .clone()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
        api_key: Some(api_key),
        call_timeout,
        compiled_cache: compiled_cache(),
        ..HostConfig::default()
    };
    Ok(match &global.component {
        Some(path) => MatchKraft::from_file(path, config)?,
        None => MatchKraft::new(matchkraft_artifacts::COMPONENT, config)?,
    })
}

/// The records to submit; repeated records are reported, and left out with
/// `--dedupe`.
fn read_records(args: &RecordArgs, console: &Console) -> Result<Input, Failure> {
    let input = input::collect(args.job_type.into(), &args.records, args.input.as_deref())
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let repeats = input::duplicates(&input.records);
    if repeats.is_empty() {
        return Ok(input);
    }
    let pairs: Vec<String> = repeats
        .iter()
        .map(|d| format!("{} repeats {}", input.origins[d.index], input.origins[d.first]))
        .collect();
    let pairs: Vec<&str> = pairs.iter().map(String::as_str).collect();
    let pairs = input::list_some(&pairs);
    if args.dedupe {
        console.info(&format!(
            "left out {} repeated record(s) (--dedupe): {pairs}",
            repeats.len()
        ));
        Ok(input::without(input, &repeats))
    } else {
        console.warn(&format!(
            "{} repeated record(s), submitted as given (each is paid for; --dedupe leaves them out): {pairs}",
            repeats.len()
        ));
        Ok(input)
    }
}

/// The host, and the simulator it talks to when the command runs offline
/// (kept here so it serves for as long as the command runs).
struct Session {
    host: MatchKraft,
    simulator: Option<Simulator>,
}

impl Session {
    async fn start(global: &Global, console: &Console) -> Result<Session, Failure> {
        let api_key = global.api_key.clone().filter(|k| !k.trim().is_empty());
        let base_url = global.base_url.clone().filter(|u| !u.trim().is_empty());
        let (config, simulator) = match (api_key, base_url) {
            (None, None) => {
                let simulator = start_simulator().await?;
                console.info(&format!(
                    "no MATCHKRAFT_API_KEY set: using the built-in MatchKraft simulator at {} \
                     (results are simulated)",
                    simulator.base_url()
                ));
                let config = HostConfig {
                    compiled_cache: compiled_cache(),
                    ..HostConfig::new(simulator.base_url()).with_api_key(simulator.config().api_key.clone())
                };
                (config, Some(simulator))
            }
            (api_key, base_url) => {
                let config = HostConfig {
                    base_url: base_url.unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
                    api_key,
                    compiled_cache: compiled_cache(),
                    ..HostConfig::default()
                };
                (config, None)
            }
        };
        let host = match &global.component {
            Some(path) => MatchKraft::from_file(path, config)?,
            None => MatchKraft::new(matchkraft_artifacts::COMPONENT, config)?,
        };
        Ok(Session { host, simulator })
    }
}

/// Where the command keeps the compiled component between runs:
/// `$XDG_CACHE_HOME/matchkraft/compiled`, or `~/.cache/matchkraft/compiled`.
/// `MATCHKRAFT_COMPILE_CACHE=off` turns it off (every start then compiles,
/// a few hundred milliseconds).
fn compiled_cache() -> Option<std::path::PathBuf> {
    let setting = std::env::var("MATCHKRAFT_COMPILE_CACHE").unwrap_or_default();
    if ["off", "0", "false", "no"].contains(&setting.trim().to_ascii_lowercase().as_str()) {
        return None;
    }
    Some(matchkraft_host::user_folder("XDG_CACHE_HOME", ".cache")?.join("compiled"))
}

/// The built-in simulator on 127.0.0.1, on this command's runtime.
async fn start_simulator() -> Result<Simulator, Failure> {
    Simulator::start(SimConfig::default()).await.map_err(|e| {
        Failure::Host(anyhow::anyhow!(
            "cannot start the built-in simulator on 127.0.0.1: {e}"
        ))
    })
}

/// Submits the records and records the job in the ledger at once, before
/// anything else can go wrong: from then on it can be resumed.
async fn submit(
    host: &MatchKraft,
    ledger: &Ledger,
    args: &RecordArgs,
    input: Input,
    console: &Console,
) -> Result<Job, Failure> {
    let name = match &args.name {
        Some(name) => name.clone(),
        None => default_job_name(args.job_type.into()),
    };
    let record_count = input.records.len();
    let job = match host.submit(&name, input.records).await? {
        Ok(job) => job,
        Err(error) => return Err(with_origin(error, &input.origins)),
    };
    if let Err(error) = ledger.record_submitted(&job, record_count, &host.config().base_url) {
        // The job exists (and is paid for) even so: say its id.
        console.warn(&format!(
            "job {} ({}) is not in the ledger: {}; fetch its results with `matchkraft results {} {}`",
            job.id,
            job.job_type,
            one_line(&format!("{error:#}")),
            job.job_type,
            job.id
        ));
    }
    Ok(job)
}

/// An invalid record named by the component (by its index) becomes a usage
/// error that also says where the record came from.
fn with_origin(error: Error, origins: &[String]) -> Failure {
    let origin = match &error {
        Error::PermanentInvalidInput(invalid) => invalid
            .index
            .and_then(|i| origins.get(usize::try_from(i).ok()?))
            .cloned(),
        _ => None,
    };
    match origin {
        Some(origin) => Failure::Record { error, origin },
        None => Failure::Api(error),
    }
}

/// `matchkraft-cli-email-validation-1732650000`.
fn default_job_name(job_type: JobType) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("matchkraft-cli-{job_type}-{now}")
}

/// How long `run` lets its webhook receiver finish fetches for other jobs.
const RECEIVER_GRACE: Duration = Duration::from_secs(2);

async fn run(
    session: &Session,
    ledger: &Ledger,
    args: &RunArgs,
    input: Input,
    json: bool,
    console: &Console,
) -> Result<(), Failure> {
    let host = &session.host;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.timeout);
    // The receiver listens before the job exists, so no webhook can be missed.
    let receiver = match args.webhook {
        Some(addr) => Some(start_receiver(session, ledger, addr, console).await?),
        None => None,
    };
    let job = submit(host, ledger, &args.records, input, console).await?;
    console.info(&format!("submitted {}", output::job_line(&job)));

    let waiting = Waiting {
        host,
        ledger,
        started,
        deadline,
        webhook: receiver.is_some(),
        console,
    };
    console.job(&job);
    // Once the job exists, Ctrl-C says how to get back to it.
    let results = tokio::select! {
        finished = waiting.complete(job.clone()) => finished,
        _ = tokio::signal::ctrl_c() => Err(Failure::Interrupted(job.clone())),
    };
    console.stop();
    let results = results?;
    if let Some(receiver) = receiver {
        receiver.shutdown(RECEIVER_GRACE).await;
    }
    if results.job.status == JobStatus::Failed {
        if json && args.output.is_none() {
            print(&output::to_text(&output::results_json(&results)));
        }
        return Err(Failure::JobFailed(results.job));
    }
    let via = match ledger.job(&job.id).ok().flatten().and_then(|j| j.completed_via) {
        Some(source) => format!(" (completed via {})", source.as_str()),
        None => String::new(),
    };
    console.info(&format!(
        "{} with {} result(s){via}",
        output::job_line(&results.job),
        results.records.len()
    ));
    deliver(&results, json, args.output.as_deref(), console)
}

/// Starts the webhook receiver of `run --webhook`; its warnings go to stderr,
/// the rest is `run`'s business. The built-in simulator is pointed at it.
async fn start_receiver(
    session: &Session,
    ledger: &Ledger,
    addr: SocketAddr,
    console: &Console,
) -> Result<ListenerHandle, Failure> {
    let warnings = console.clone();
    let on_event = move |event: ListenerEvent| {
        if event.is_warning() {
            warnings.warn(&event.to_string());
        }
    };
    let receiver = matchkraft_host::listen(addr, session.host.clone(), ledger.clone(), on_event)
        .await
        .map_err(|e| Failure::Host(anyhow::anyhow!("cannot receive webhooks on {addr}: {e}")))?;
    console.info(&format!("receiving webhooks at {}", receiver.url()));
    if let Some(simulator) = &session.simulator {
        let url = format!("http://127.0.0.1:{}/", receiver.addr().port());
        let webhook = WebhookConfig::new(url);
        if webhook.validate().is_ok() && receiver.addr().ip().is_loopback() {
            simulator.set_webhook(Some(webhook));
        }
    }
    Ok(receiver)
}

/// `matchkraft listen`: receives webhooks until Ctrl-C, printing one line
/// per event (problems on stderr).
async fn listen(
    host: MatchKraft,
    ledger: Ledger,
    args: &ListenArgs,
    console: &Console,
) -> Result<(), Failure> {
    let pending = ledger.pending()?.len();
    let path = ledger.path().display().to_string();
    let warnings = console.clone();
    let on_event = move |event: ListenerEvent| {
        if event.is_warning() {
            warnings.warn(&event.to_string());
        } else {
            print(&format!("{event}\n"));
        }
    };
    let receiver = matchkraft_host::listen(args.addr, host, ledger, on_event)
        .await
        .map_err(|e| Failure::Host(anyhow::anyhow!("cannot listen on {}: {e}", args.addr)))?;
    console.info(&format!(
        "listening for MatchKraft webhooks at {} (ledger {path}, {pending} job(s) waiting for results); \
         Ctrl-C stops",
        receiver.url()
    ));
    let _ = tokio::signal::ctrl_c().await;
    console.info("stopping: finishing the fetches under way");
    let abandoned = receiver.shutdown(Duration::from_secs(10)).await;
    if abandoned > 0 {
        console.warn(&format!(
            "{abandoned} fetch(es) were cut short; `matchkraft resume` completes those jobs"
        ));
    }
    Ok(())
}

async fn results(
    host: &MatchKraft,
    args: &ResultsArgs,
    json: bool,
    console: &Console,
) -> Result<(), Failure> {
    let JobArgs { job_type, job_id } = &args.job;
    let results = host.results((*job_type).into(), job_id).await??;
    match results.job.status {
        JobStatus::Completed => deliver(&results, json, args.output.as_deref(), console)?,
        JobStatus::Failed => {
            if json && args.output.is_none() {
                print(&output::to_text(&output::results_json(&results)));
            }
            return Err(Failure::JobFailed(results.job));
        }
        _ => {
            if json {
                print(&output::to_text(&output::results_json(&results)));
            } else {
                print(&format!("{}\n", output::job_line(&results.job)));
            }
            console.info("the job has not finished: no results yet");
        }
    }
    Ok(())
}

/// The results to `--output FILE` when given, else to stdout as JSON or a
/// table.
fn deliver(
    results: &JobResults,
    json: bool,
    output: Option<&Path>,
    console: &Console,
) -> Result<(), Failure> {
    match output {
        Some(path) => {
            let count = export::write(path, results).map_err(|e| {
                anyhow::anyhow!(
                    "cannot write {}: {e}; nothing is lost: `matchkraft results {} {} --output FILE` \
                     fetches the results again",
                    path.display(),
                    results.job.job_type,
                    results.job.id
                )
            })?;
            console.info(&format!("wrote {count} result(s) to {}", path.display()));
        }
        None => show_results(results, json, console),
    }
    Ok(())
}

pub(crate) fn show_results(results: &JobResults, json: bool, console: &Console) {
    if json {
        print(&output::to_text(&output::results_json(results)));
    } else {
        print(&output::table(&results.records, console.term()));
    }
}

/// Writes to stdout; a closed pipe (`matchkraft … | head`) is not an error.
fn print(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
}
