//! Soak: many jobs through the real component, in the real wasmtime host,
//! against the simulator on 127.0.0.1, with a fifth of all requests faulted at
//! random (every fault kind the simulator has).
//!
//! The test plays a workflow engine: every operation that fails with a
//! retryable (not `permanent-*`) error is tried again, except a submit that
//! ended in `submit-outcome-unknown`, which is never resent blindly (the job
//! may exist). At the end it checks what must hold whatever the faults:
//!
//! - no job is lost: every submission that got a job id completes, with its
//!   records in order;
//! - no job exists on the server that its caller was not told about (no
//!   duplicate, no job behind a submit the caller saw fail cleanly);
//! - every call returns a typed result: no trap, no host error, no hang, and
//!   none outlives `MATCHKRAFT_CALL_TIMEOUT_MS` by more than a little slack.
//!
//! Knobs (environment of the test process):
//! - `MATCHKRAFT_SOAK_N`: submissions (default 800, about 10 s in the dev profile on 2 cores);
//! - `MATCHKRAFT_SOAK_CONCURRENCY`: concurrent tasks (default 16);
//! - `MATCHKRAFT_SOAK_SEED`: the simulator's fault seed (default below).
//!   With concurrency the request order varies between runs, so a seed fixes
//!   the fault sequence by request number, not which operation gets which.
//!
//! Run with `cargo test --test soak -- --nocapture` to see the figures.

use matchkraft_host::{Contact, Error, HostConfig, JobStatus, JobType, MatchKraft, Records, ResultRecords};
use matchkraft_simulator::{Fault, RandomFaults, RecordedRequest, SimConfig, Simulator, Stats};
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The guest's own deadline per call, retries included.
const CALL_TIMEOUT_MS: u64 = 5_000;
/// The host's deadline per call (an outer error past it): well above the
/// guest's, so that a guest that honours its deadline never meets it.
const HOST_CALL_TIMEOUT: Duration = Duration::from_secs(15);
/// How far past `CALL_TIMEOUT_MS` a call may end (instantiation, scheduling on
/// a busy 2-core machine).
const DEADLINE_SLACK: Duration = Duration::from_millis(2_500);
/// How long one job may take from its first submit to its verified results.
const JOB_DEADLINE: Duration = Duration::from_secs(60);
/// The wait between two `status` polls of a running job.
const POLL_INTERVAL: Duration = Duration::from_millis(10);
const DEFAULT_SEED: u64 = 0x5eed_2024_0bad_cafe;

/// Limits low enough that the slow and stalled faults trip them.
const GUEST_ENV: [(&str, &str); 7] = [
    ("MATCHKRAFT_CONNECT_TIMEOUT_MS", "1000"),
    ("MATCHKRAFT_FIRST_BYTE_TIMEOUT_MS", "300"),
    ("MATCHKRAFT_BETWEEN_BYTES_TIMEOUT_MS", "300"),
    ("MATCHKRAFT_MAX_RESPONSE_BYTES", "1048576"),
    ("MATCHKRAFT_CALL_TIMEOUT_MS", "5000"),
    ("MATCHKRAFT_MAX_ATTEMPTS", "3"),
    ("MATCHKRAFT_MAX_RETRY_AFTER_MS", "2000"),
];

/// Every fault kind, some in two strengths; drawn uniformly.
fn fault_mix() -> Vec<Fault> {
    let status = |status, retry_after: Option<&str>| Fault::Status {
        status,
        retry_after: retry_after.map(str::to_owned),
    };
    vec![
        status(429, Some("0")),
        status(429, Some("1")),
        status(500, None),
        status(502, None),
        status(503, Some("0")),
        status(503, None),
        status(504, None),
        // Below and above MATCHKRAFT_FIRST_BYTE_TIMEOUT_MS.
        Fault::SlowFirstByte(Duration::from_millis(50)),
        Fault::SlowFirstByte(Duration::from_millis(500)),
        Fault::StallBody,
        Fault::ResetBeforeResponse,
        Fault::ResetAfterCommit,
        Fault::TruncatedJson,
        Fault::HtmlWith200,
        // Twice MATCHKRAFT_MAX_RESPONSE_BYTES.
        Fault::Oversized(2 << 20),
        Fault::WrongContentType,
    ]
}

/// The simulator's fault kind names (`Fault::kind_name`), all of which the
/// mix above uses.
const FAULT_KINDS: [&str; 9] = [
    "Status",
    "SlowFirstByte",
    "StallBody",
    "ResetBeforeResponse",
    "ResetAfterCommit",
    "TruncatedJson",
    "HtmlWith200",
    "Oversized",
    "WrongContentType",
];

fn sim_config(api_key: &str, seed: u64) -> SimConfig {
    SimConfig {
        api_key: api_key.to_owned(),
        pending_for: Duration::from_millis(5),
        processing_for: Duration::from_millis(10),
        random_faults: Some(RandomFaults {
            rate: 0.2,
            seed,
            kinds: fault_mix(),
        }),
        ..SimConfig::default()
    }
}

fn host_for(sim: &Simulator, api_key: &str) -> MatchKraft {
    try_host_for(sim, api_key).expect("component loads")
}

/// A host, or everything its refusal prints (`Debug` and alternate `Display`).
fn try_host_for(sim: &Simulator, api_key: &str) -> Result<MatchKraft, String> {
    let mut config = HostConfig::new(sim.base_url()).with_api_key(api_key);
    config.call_timeout = HOST_CALL_TIMEOUT;
    for (name, value) in GUEST_ENV {
        config = config.with_env(name, value);
    }
    MatchKraft::new(matchkraft_artifacts::COMPONENT, config).map_err(|e| format!("{e:?} / {e:#} / {e}"))
}

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(value) => {
            let value = value.trim();
            let parsed = match value.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => value.parse(),
            };
            parsed.unwrap_or_else(|_| panic!("{name}={value:?} is not a number"))
        }
        Err(_) => default,
    }
}

// ---------------------------------------------------------------------------
// Jobs and their expected results
// ---------------------------------------------------------------------------

/// One submission: a unique name and 1 to 4 records of one of the three types.
#[derive(Clone, Debug)]
struct Spec {
    name: String,
    records: Records,
    /// Named `FAIL…`, so the simulator ends it FAILED without results.
    fails: bool,
}

fn spec(seed: u64, i: usize) -> Spec {
    // One job in 25 is scripted to fail, to exercise the FAILED ending too.
    let fails = i % 25 == 7;
    let name = format!("{}soak-{seed:x}-{i:06}", if fails { "FAIL-" } else { "" });
    let count = 1 + i % 4;
    const HOSTS: [&str; 4] = ["dataprana.io", "acme.com", "example.com", "nobody.example"];
    const DOMAINS: [&str; 5] = [
        "gmail.com",
        "domain.com",
        "mailinator.com",
        "acme.com",
        "nowhere.example",
    ];
    let records = match i % 3 {
        0 => Records::DomainScan(
            (0..count)
                .map(|k| format!("https://{}/p{i}-{k}", HOSTS[(i + k) % HOSTS.len()]))
                .collect(),
        ),
        1 => Records::EmailValidation(
            (0..count)
                .map(|k| {
                    let local = if (i + k).is_multiple_of(7) {
                        "info".to_owned()
                    } else {
                        format!("user{i}.{k}")
                    };
                    format!("{local}@{}", DOMAINS[(i + k) % DOMAINS.len()])
                })
                .collect(),
        ),
        _ => Records::EmailFinder(
            (0..count)
                .map(|k| Contact {
                    first_name: format!("Ada{k}"),
                    last_name: format!("Lovelace{i}"),
                    website: format!("https://{}/", HOSTS[(i + k) % HOSTS.len()]),
                })
                .collect(),
        ),
    };
    Spec { name, records, fails }
}

/// The raw JSON the simulator computes for each record, in order.
fn expected_raw(records: &Records) -> Vec<serde_json::Value> {
    let to_value = |v: Result<serde_json::Value, serde_json::Error>| v.expect("serialises");
    match records {
        Records::DomainScan(urls) => urls
            .iter()
            .map(|u| to_value(serde_json::to_value(matchkraft_simulator::scan_domain(u))))
            .collect(),
        Records::EmailValidation(emails) => emails
            .iter()
            .map(|e| to_value(serde_json::to_value(matchkraft_simulator::validate_email(e))))
            .collect(),
        Records::EmailFinder(contacts) => contacts
            .iter()
            .map(|c| {
                to_value(serde_json::to_value(matchkraft_simulator::find_email(
                    &c.first_name,
                    &c.last_name,
                    &c.website,
                )))
            })
            .collect(),
    }
}

fn raw_of(records: &ResultRecords) -> Vec<&str> {
    match records {
        ResultRecords::DomainScan(list) => list.iter().map(|r| r.raw.as_str()).collect(),
        ResultRecords::EmailValidation(list) => list.iter().map(|r| r.raw.as_str()).collect(),
        ResultRecords::EmailFinder(list) => list.iter().map(|r| r.raw.as_str()).collect(),
    }
}

/// Why the results are not the expected ones, if they are not.
fn check_results(spec: &Spec, results: &matchkraft_host::JobResults) -> Result<(), String> {
    if results.job.name.as_deref() != Some(spec.name.as_str()) {
        return Err(format!(
            "results name {:?}, expected {:?}",
            results.job.name, spec.name
        ));
    }
    if results.records.job_type() != spec.records.job_type() {
        return Err(format!("results of type {}", results.records.job_type()));
    }
    let (want_status, want) = if spec.fails {
        (JobStatus::Failed, Vec::new())
    } else {
        (JobStatus::Completed, expected_raw(&spec.records))
    };
    if results.job.status != want_status {
        return Err(format!(
            "results status {}, expected {want_status}",
            results.job.status
        ));
    }
    let got = raw_of(&results.records);
    if got.len() != want.len() {
        return Err(format!("{} records, expected {}", got.len(), want.len()));
    }
    for (index, (raw, want)) in got.iter().zip(&want).enumerate() {
        let raw: serde_json::Value =
            serde_json::from_str(raw).map_err(|e| format!("record {index}: raw is not JSON: {e}"))?;
        if raw != *want {
            return Err(format!(
                "record {index}: {raw} differs from {want} (order or content)"
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Measuring calls
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Op {
    Submit,
    Status,
    Results,
}

impl Op {
    const ALL: [Op; 3] = [Op::Submit, Op::Status, Op::Results];

    fn as_str(self) -> &'static str {
        match self {
            Op::Submit => "submit",
            Op::Status => "status",
            Op::Results => "results",
        }
    }
}

/// The WIT case name of an error, e.g. `submit-outcome-unknown`; taken from
/// its `Debug` form so that a case added to the contract needs no change here.
fn error_kind(error: &Error) -> String {
    let debug = format!("{error:?}");
    let name = debug.split(['(', ' ', '{']).next().unwrap_or_default();
    let name = name.rsplit("::").next().unwrap_or_default();
    let mut kebab = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            kebab.push('-');
        }
        kebab.push(c.to_ascii_lowercase());
    }
    kebab
}

/// What one task saw; merged at the end.
#[derive(Default)]
struct Metrics {
    /// Operations as the workflow sees them (one submit, one poll, one fetch),
    /// however many host calls each took.
    logical_ops: BTreeMap<Op, usize>,
    host_calls: BTreeMap<Op, usize>,
    latencies: BTreeMap<Op, Vec<Duration>>,
    /// Typed errors by operation and kind.
    errors: BTreeMap<(Op, String), usize>,
    /// One example message per error kind.
    examples: BTreeMap<String, String>,
    /// Host failures, traps and hangs: each a test failure.
    outer_errors: Vec<String>,
    /// Calls that ended later than the guest's deadline plus slack.
    late_calls: Vec<(Op, Duration)>,
}

impl Metrics {
    fn merge(&mut self, other: Metrics) {
        for (op, n) in other.logical_ops {
            *self.logical_ops.entry(op).or_default() += n;
        }
        for (op, n) in other.host_calls {
            *self.host_calls.entry(op).or_default() += n;
        }
        for (op, list) in other.latencies {
            self.latencies.entry(op).or_default().extend(list);
        }
        for (key, n) in other.errors {
            *self.errors.entry(key).or_default() += n;
        }
        for (kind, message) in other.examples {
            self.examples.entry(kind).or_insert(message);
        }
        self.outer_errors.extend(other.outer_errors);
        self.late_calls.extend(other.late_calls);
    }

    /// Logical operations of every kind.
    fn logical_total(&self) -> usize {
        self.logical_ops.values().sum()
    }

    /// Host calls of every kind.
    fn host_total(&self) -> usize {
        self.host_calls.values().sum()
    }

    /// Every call's latency, sorted.
    fn all_latencies(&self) -> Vec<Duration> {
        let mut all: Vec<Duration> = self.latencies.values().flatten().copied().collect();
        all.sort();
        all
    }

    /// Runs one host call, timing it and sorting its result. `None` is an
    /// outer error (host failure, trap, or no answer at all).
    async fn call<T, E>(
        &mut self,
        op: Op,
        what: &str,
        call: impl Future<Output = Result<Result<T, Error>, E>>,
    ) -> Option<Result<T, Error>>
    where
        E: fmt::Display,
    {
        *self.host_calls.entry(op).or_default() += 1;
        let started = Instant::now();
        // The host has its own deadline; this one catches a host that ignores it.
        let result = tokio::time::timeout(HOST_CALL_TIMEOUT + Duration::from_secs(5), call).await;
        let elapsed = started.elapsed();
        self.latencies.entry(op).or_default().push(elapsed);
        if elapsed > Duration::from_millis(CALL_TIMEOUT_MS) + DEADLINE_SLACK {
            self.late_calls.push((op, elapsed));
        }
        match result {
            Err(_) => {
                self.outer_errors.push(format!(
                    "{} {what}: no answer after {elapsed:?} (hang)",
                    op.as_str()
                ));
                None
            }
            Ok(Err(outer)) => {
                self.outer_errors
                    .push(format!("{} {what}: {outer:#}", op.as_str()));
                None
            }
            Ok(Ok(Err(error))) => {
                let kind = error_kind(&error);
                *self.errors.entry((op, kind.clone())).or_default() += 1;
                self.examples
                    .entry(kind)
                    .or_insert_with(|| format!("{} {what}: {}", op.as_str(), error.message()));
                Some(Err(error))
            }
            Ok(Ok(Ok(value))) => Some(Ok(value)),
        }
    }
}

/// The pause before the workflow tries an operation again.
fn backoff(retry: u32, error: Option<&Error>) -> Duration {
    match error {
        Some(Error::RateLimited(Some(ms))) => Duration::from_millis((*ms).clamp(10, 2_000)),
        _ => Duration::from_millis((10u64 << retry.min(6)).min(500)),
    }
}

// ---------------------------------------------------------------------------
// One job, as a workflow engine would run it
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Outcome {
    /// Results fetched and checked (for a `FAIL…` job: FAILED, no records).
    Completed,
    /// The submit said `submit-outcome-unknown` (or the host failed during
    /// it): not resent, and the API has no way to look the job up by name.
    Unknown,
    /// The submit failed without a job, cleanly, until the deadline (or
    /// permanently): the API must not have the job.
    SubmitFailed(String),
    /// A job id was returned but the job never completed: MUST NOT happen.
    Lost { id: String, why: String },
    /// The results came back wrong: MUST NOT happen.
    Wrong { id: String, why: String },
}

impl Outcome {
    fn got_id(&self) -> bool {
        matches!(
            self,
            Outcome::Completed | Outcome::Lost { .. } | Outcome::Wrong { .. }
        )
    }
}

/// Repeats a read until it succeeds, fails permanently or the deadline passes.
async fn read<T, E, F, Fut>(
    m: &mut Metrics,
    op: Op,
    what: &str,
    deadline: Instant,
    mut call: F,
) -> Result<T, String>
where
    E: fmt::Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Result<T, Error>, E>>,
{
    *m.logical_ops.entry(op).or_default() += 1;
    let mut retry = 0;
    loop {
        let last = match m.call(op, what, call()).await {
            Some(Ok(value)) => return Ok(value),
            Some(Err(error)) if error.is_permanent() => {
                return Err(format!("{} failed permanently: {}", op.as_str(), error.message()));
            }
            Some(Err(error)) => Some(error),
            None => None,
        };
        if Instant::now() >= deadline {
            let last = last.map_or("a host failure".to_owned(), |e| e.message().to_string());
            return Err(format!("{} still failing at the deadline: {last}", op.as_str()));
        }
        tokio::time::sleep(backoff(retry, last.as_ref())).await;
        retry += 1;
    }
}

async fn run_job(host: &MatchKraft, spec: &Spec, m: &mut Metrics) -> Outcome {
    let deadline = Instant::now() + JOB_DEADLINE;
    let job_type = spec.records.job_type();

    // Submit: resent only after an error that proves the API did not take it.
    *m.logical_ops.entry(Op::Submit).or_default() += 1;
    let mut retry = 0;
    let job = loop {
        let last = match m
            .call(
                Op::Submit,
                &spec.name,
                host.submit(&spec.name, spec.records.clone()),
            )
            .await
        {
            Some(Ok(job)) => break job,
            // A host failure mid-submit leaves the outcome just as open.
            Some(Err(Error::SubmitOutcomeUnknown(_))) | None => return Outcome::Unknown,
            Some(Err(error)) if error.is_permanent() => {
                return Outcome::SubmitFailed(error.message().to_string());
            }
            Some(Err(error)) => error,
        };
        if Instant::now() >= deadline {
            return Outcome::SubmitFailed(format!("still failing at the deadline: {}", last.message()));
        }
        tokio::time::sleep(backoff(retry, Some(&last))).await;
        retry += 1;
    };
    let id = job.id;
    if job.job_type != job_type {
        return Outcome::Wrong {
            id,
            why: format!("submit answered a {} job", job.job_type),
        };
    }

    // Poll until the job is finished.
    loop {
        let what = format!("{} {id}", spec.name);
        match read(m, Op::Status, &what, deadline, || host.status(job_type, &id)).await {
            Ok(current) if current.id != id => {
                return Outcome::Wrong {
                    why: format!("status answered for job {}", current.id),
                    id,
                };
            }
            Ok(current) if current.status.is_terminal() => break,
            Ok(_) => {}
            Err(why) => return Outcome::Lost { id, why },
        }
        if Instant::now() >= deadline {
            return Outcome::Lost {
                id,
                why: "not finished by the deadline".into(),
            };
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }

    let what = format!("{} {id}", spec.name);
    match read(m, Op::Results, &what, deadline, || host.results(job_type, &id)).await {
        Ok(results) => match check_results(spec, &results) {
            Ok(()) if results.job.id == id => Outcome::Completed,
            Ok(()) => Outcome::Wrong {
                why: format!("results answered for job {}", results.job.id),
                id,
            },
            Err(why) => Outcome::Wrong { id, why },
        },
        Err(why) => Outcome::Lost { id, why },
    }
}

// ---------------------------------------------------------------------------
// Reporting
// ---------------------------------------------------------------------------

/// The nearest-rank percentile of sorted durations, in milliseconds.
fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

// ---------------------------------------------------------------------------
// The soak
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak() {
    let knobs = Knobs::from_env();
    let (sim, host) = start(knobs.seed).await;
    let specs: Arc<Vec<Spec>> = Arc::new((0..knobs.n).map(|i| spec(knobs.seed, i)).collect());

    let (joined, wall) = run_workflows(&host, &specs, knobs).await;
    let run = Run::collect(joined, knobs.n, wall);

    // What the server did.
    let stats = sim.stats();
    let requests = sim.requests();
    let server = Server::tally(stats, &requests);

    // Accounting per job.
    let jobs = Jobs::account(&specs, &run.outcomes, &server.stats);

    let soak = Soak {
        knobs,
        run,
        server,
        jobs,
    };
    // ---- The figures ----
    soak.print_figures();
    // ---- What must hold ----
    soak.check();
}

/// The knobs (see the top of the file), read from the environment.
#[derive(Clone, Copy, Debug)]
struct Knobs {
    /// `MATCHKRAFT_SOAK_N`: submissions.
    n: usize,
    /// `MATCHKRAFT_SOAK_CONCURRENCY`: concurrent tasks, at least one.
    concurrency: usize,
    /// `MATCHKRAFT_SOAK_SEED`: the simulator's fault seed.
    seed: u64,
}

impl Knobs {
    fn from_env() -> Knobs {
        let n = env_number("MATCHKRAFT_SOAK_N", 800) as usize;
        let concurrency = env_number("MATCHKRAFT_SOAK_CONCURRENCY", 16).max(1) as usize;
        let seed = env_number("MATCHKRAFT_SOAK_SEED", DEFAULT_SEED);
        Knobs { n, concurrency, seed }
    }
}

/// Starts the simulator, its faults drawn from `seed`, and a host
/// for it with the component already compiled.
async fn start(seed: u64) -> (Simulator, MatchKraft) {
    let sim = Simulator::start(sim_config("sim-key", seed))
        .await
        .expect("simulator starts");
    let host = host_for(&sim, "sim-key");
    // Compile (or fetch from the cache) before the clock starts.
    let _ = host.results_path(JobType::DomainScan, "warm-up").await;
    (sim, host)
}

/// What one workflow task returns: its metrics, and each job it ran with
/// its index in the specs, its outcome and how long it took.
type TaskResult = (Metrics, Vec<(usize, Outcome, Duration)>);

/// Runs every spec through `run_job` on `concurrency` tasks, each
/// taking the next spec until none is left. Returns what each task returned
/// (or how it panicked) and the wall time, and panics if the tasks hang.
async fn run_workflows(
    host: &MatchKraft,
    specs: &Arc<Vec<Spec>>,
    knobs: Knobs,
) -> (Vec<Result<TaskResult, tokio::task::JoinError>>, Duration) {
    let Knobs { n, concurrency, .. } = knobs;
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency.min(n.max(1)) {
        let (host, specs, next) = (host.clone(), Arc::clone(specs), Arc::clone(&next));
        tasks.push(tokio::spawn(async move {
            let mut metrics = Metrics::default();
            let mut outcomes = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(spec) = specs.get(i) else { break };
                let job_started = Instant::now();
                let outcome = run_job(&host, spec, &mut metrics).await;
                outcomes.push((i, outcome, job_started.elapsed()));
            }
            (metrics, outcomes)
        }));
    }
    // Only a hang gets here: every job has its own deadline.
    let watchdog = JOB_DEADLINE * 2 + Duration::from_secs(n as u64 / concurrency as u64 * 10 + 60);
    let joined = tokio::time::timeout(watchdog, futures_join(tasks))
        .await
        .unwrap_or_else(|_| panic!("the soak did not finish within {watchdog:?}: something hangs"));
    let wall = started.elapsed();
    (joined, wall)
}

/// What the workflow saw, all tasks together.
struct Run {
    metrics: Metrics,
    /// By spec index: how the job ended and how long it took; `None` if no
    /// task got to it.
    outcomes: Vec<Option<(Outcome, Duration)>>,
    /// The tasks that panicked, as their join errors print.
    task_panics: Vec<String>,
    /// From the first submit to the end of the last task.
    wall: Duration,
}

impl Run {
    /// Merges the tasks' metrics and puts each outcome in its spec's
    /// place (`n` specs in all).
    fn collect(joined: Vec<Result<TaskResult, tokio::task::JoinError>>, n: usize, wall: Duration) -> Run {
        let mut metrics = Metrics::default();
        let mut outcomes: Vec<Option<(Outcome, Duration)>> = vec![None; n];
        let mut task_panics = Vec::new();
        for result in joined {
            match result {
                Ok((m, list)) => {
                    metrics.merge(m);
                    for (i, outcome, took) in list {
                        outcomes[i] = Some((outcome, took));
                    }
                }
                Err(join_error) => task_panics.push(format!("{join_error}")),
            }
        }
        Run {
            metrics,
            outcomes,
            task_panics,
            wall,
        }
    }
}

/// What the server did, from its stats and its request log.
struct Server<'a> {
    stats: Stats,
    requests_by_method: BTreeMap<&'a str, usize>,
    faults_by_method_kind: BTreeMap<(&'a str, &'a str), usize>,
    /// Requests without the right key.
    unauthorized: usize,
}

impl<'a> Server<'a> {
    /// Counts the requests by method, the faults by method and kind,
    /// and the requests without the right key.
    fn tally(stats: Stats, requests: &'a [RecordedRequest]) -> Server<'a> {
        let mut requests_by_method: BTreeMap<&str, usize> = BTreeMap::new();
        let mut faults_by_method_kind: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for r in requests {
            *requests_by_method.entry(r.method.as_str()).or_default() += 1;
            if let Some(fault) = &r.fault {
                *faults_by_method_kind
                    .entry((r.method.as_str(), fault.as_str()))
                    .or_default() += 1;
            }
        }
        let unauthorized = requests.iter().filter(|r| !r.authorized).count();
        Server {
            stats,
            requests_by_method,
            faults_by_method_kind,
            unauthorized,
        }
    }
}

/// The accounting per job: what the caller saw, against what the server has.
struct Jobs {
    /// Results fetched and verified.
    completed: usize,
    /// Of those, the jobs that FAILED as scripted.
    completed_failed: usize,
    /// Submits whose outcome stayed unknown.
    unknown: usize,
    /// Of those, the ones the server has a job for.
    unknown_landed: usize,
    submit_failed: Vec<String>,
    lost: Vec<String>,
    wrong: Vec<String>,
    /// Server-side jobs the caller was not told about, duplicates included.
    unreported: Vec<String>,
    /// Job ids the caller got that the server has no job for.
    phantom: Vec<String>,
    /// Submit to verified results, per completed job, sorted.
    job_times: Vec<Duration>,
    /// Server-side job names that no spec has.
    foreign: Vec<String>,
}

impl Jobs {
    /// Sorts each spec's outcome into the counts and lists above,
    /// checking it against the jobs the server created under its name.
    fn account(specs: &[Spec], outcomes: &[Option<(Outcome, Duration)>], stats: &Stats) -> Jobs {
        let mut completed = 0;
        let mut completed_failed = 0;
        let mut unknown = 0;
        let mut unknown_landed = 0;
        let mut submit_failed = Vec::new();
        let mut lost = Vec::new();
        let mut wrong = Vec::new();
        let mut unreported = Vec::new();
        let mut phantom = Vec::new();
        let mut job_times = Vec::new();
        for (i, entry) in outcomes.iter().enumerate() {
            let spec = &specs[i];
            let Some((outcome, took)) = entry else {
                lost.push(format!("{}: never run (task panicked?)", spec.name));
                continue;
            };
            let jobs = stats.jobs_by_name.get(&spec.name).copied().unwrap_or(0);
            match outcome {
                Outcome::Completed => {
                    completed += 1;
                    completed_failed += usize::from(spec.fails);
                    job_times.push(*took);
                }
                Outcome::Unknown => {
                    unknown += 1;
                    unknown_landed += usize::from(jobs == 1);
                }
                Outcome::SubmitFailed(why) => submit_failed.push(format!("{}: {why}", spec.name)),
                Outcome::Lost { id, why } => lost.push(format!("{} ({id}): {why}", spec.name)),
                Outcome::Wrong { id, why } => wrong.push(format!("{} ({id}): {why}", spec.name)),
            }
            if jobs > 1 || (jobs == 1 && !outcome.got_id() && !matches!(outcome, Outcome::Unknown)) {
                unreported.push(format!(
                    "{}: {jobs} job(s) on the server, caller saw {outcome:?}",
                    spec.name
                ));
            }
            if jobs == 0 && outcome.got_id() {
                phantom.push(format!(
                    "{}: caller got a job id, server has no such job",
                    spec.name
                ));
            }
        }
        job_times.sort();
        let names: HashSet<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        let foreign: Vec<_> = stats
            .jobs_by_name
            .keys()
            .filter(|name| !names.contains(name.as_str()))
            .cloned()
            .collect();
        Jobs {
            completed,
            completed_failed,
            unknown,
            unknown_landed,
            submit_failed,
            lost,
            wrong,
            unreported,
            phantom,
            job_times,
            foreign,
        }
    }
}

/// Everything the soak found, for the figures and the checks.
struct Soak<'a> {
    knobs: Knobs,
    run: Run,
    server: Server<'a>,
    jobs: Jobs,
}

impl Soak<'_> {
    /// Prints the figures (seen with `--nocapture`).
    fn print_figures(&self) {
        self.print_setup();
        self.print_jobs();
        self.print_calls();
        self.print_http();
        self.print_errors();
        self.print_time();
    }

    /// The profile, the knobs, the fault mix and the guest's environment.
    fn print_setup(&self) {
        let Knobs { n, concurrency, seed } = self.knobs;
        println!();
        println!("=== MatchKraft soak ===");
        println!(
            "profile {}, seed {seed:#x}, N {n}, concurrency {concurrency}, fault rate 0.2 over {} fault variants",
            if cfg!(debug_assertions) { "dev" } else { "release" },
            fault_mix().len()
        );
        println!(
            "guest env: {}",
            GUEST_ENV
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        println!();
    }

    /// How the submissions ended, and the jobs on the server.
    fn print_jobs(&self) {
        let n = self.knobs.n;
        let jobs = &self.jobs;
        let stats = &self.server.stats;
        println!("-- jobs --");
        println!("{:<44}{:>10}", "submissions", n);
        println!(
            "{:<44}{:>10}",
            "submitted ok (got a job id)",
            n - jobs.unknown - jobs.submit_failed.len()
        );
        println!("{:<44}{:>10}", "completed, results verified", jobs.completed);
        println!(
            "{:<44}{:>10}",
            "  of which FAILED as scripted (FAIL…)", jobs.completed_failed
        );
        println!(
            "{:<44}{:>10}",
            "submit outcome unknown (not resent)", jobs.unknown
        );
        println!(
            "{:<44}{:>10}",
            "  of which the server has the job", jobs.unknown_landed
        );
        println!(
            "{:<44}{:>10}",
            "  of which the server has no job",
            jobs.unknown - jobs.unknown_landed
        );
        println!(
            "{:<44}{:>10}",
            "submit failed cleanly (no job expected)",
            jobs.submit_failed.len()
        );
        println!("{:<44}{:>10}", "LOST (id, never completed)", jobs.lost.len());
        println!("{:<44}{:>10}", "WRONG results", jobs.wrong.len());
        println!(
            "{:<44}{:>10}",
            "UNREPORTED server-side jobs/duplicates",
            jobs.unreported.len()
        );
        println!(
            "{:<44}{:>10}",
            "phantom ids (no such job on the server)",
            jobs.phantom.len()
        );
        println!("{:<44}{:>10}", "jobs under foreign names", jobs.foreign.len());
        println!(
            "{:<44}{:>10}",
            "jobs on the server (names with >1 job)",
            format!("{} ({})", stats.jobs_created, stats.duplicate_job_names().len())
        );
        println!();
    }

    /// Logical operations, host calls and latencies per operation, and the
    /// time from submit to verified results per job.
    fn print_calls(&self) {
        let metrics = &self.run.metrics;
        let logical_total = metrics.logical_total();
        let host_total = metrics.host_total();
        println!("-- calls --");
        println!(
            "{:<10}{:>10}{:>12}{:>14}{:>12}{:>12}{:>12}",
            "op", "logical", "host calls", "calls/op", "p50 ms", "p99 ms", "max ms"
        );
        for op in Op::ALL {
            let logical = metrics.logical_ops.get(&op).copied().unwrap_or(0);
            let calls = metrics.host_calls.get(&op).copied().unwrap_or(0);
            let mut lat = metrics.latencies.get(&op).cloned().unwrap_or_default();
            lat.sort();
            println!(
                "{:<10}{:>10}{:>12}{:>14.3}{:>12.1}{:>12.1}{:>12.1}",
                op.as_str(),
                logical,
                calls,
                ratio(calls, logical),
                percentile(&lat, 50.0),
                percentile(&lat, 99.0),
                percentile(&lat, 100.0)
            );
        }
        let all = metrics.all_latencies();
        println!(
            "{:<10}{:>10}{:>12}{:>14.3}{:>12.1}{:>12.1}{:>12.1}",
            "all",
            logical_total,
            host_total,
            ratio(host_total, logical_total),
            percentile(&all, 50.0),
            percentile(&all, 99.0),
            percentile(&all, 100.0)
        );
        let job_times = &self.jobs.job_times;
        println!(
            "job submit→verified results: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            percentile(job_times, 50.0),
            percentile(job_times, 99.0),
            percentile(job_times, 100.0)
        );
        println!();
    }

    /// The HTTP requests the simulator saw, per logical operation and per
    /// host call, and the faults it injected by method and kind.
    fn print_http(&self) {
        let metrics = &self.run.metrics;
        let Server {
            stats,
            requests_by_method,
            faults_by_method_kind,
            unauthorized,
        } = &self.server;
        let logical_total = metrics.logical_total();
        let host_total = metrics.host_total();
        let reads_logical = metrics.logical_ops.get(&Op::Status).copied().unwrap_or(0)
            + metrics.logical_ops.get(&Op::Results).copied().unwrap_or(0);
        let reads_host = metrics.host_calls.get(&Op::Status).copied().unwrap_or(0)
            + metrics.host_calls.get(&Op::Results).copied().unwrap_or(0);
        let posts = requests_by_method.get("POST").copied().unwrap_or(0);
        let gets = requests_by_method.get("GET").copied().unwrap_or(0);
        println!("-- HTTP attempts (simulator requests) --");
        println!(
            "{:<36}{:>10}{:>14}{:>14}",
            "", "requests", "per logical", "per host call"
        );
        let submit_logical = metrics.logical_ops.get(&Op::Submit).copied().unwrap_or(0);
        let submit_host = metrics.host_calls.get(&Op::Submit).copied().unwrap_or(0);
        println!(
            "{:<36}{:>10}{:>14.3}{:>14.3}",
            "submit (POST)",
            posts,
            ratio(posts, submit_logical),
            ratio(posts, submit_host)
        );
        println!(
            "{:<36}{:>10}{:>14.3}{:>14.3}",
            "status + results (GET)",
            gets,
            ratio(gets, reads_logical),
            ratio(gets, reads_host)
        );
        println!(
            "{:<36}{:>10}{:>14.3}{:>14.3}",
            "all",
            stats.requests,
            ratio(stats.requests, logical_total),
            ratio(stats.requests, host_total)
        );
        println!(
            "faulted: {} of {} requests ({:.1}%); unauthorized requests: {unauthorized}",
            stats.faults,
            stats.requests,
            100.0 * ratio(stats.faults, stats.requests)
        );
        println!("{:<24}{:>8}{:>8}{:>8}", "fault kind", "POST", "GET", "all");
        for kind in FAULT_KINDS {
            let post = faults_by_method_kind.get(&("POST", kind)).copied().unwrap_or(0);
            let get = faults_by_method_kind.get(&("GET", kind)).copied().unwrap_or(0);
            let total = stats.faults_by_kind.get(kind).copied().unwrap_or(0);
            println!("{kind:<24}{post:>8}{get:>8}{total:>8}");
        }
        println!();
    }

    /// The typed errors the workflow got, by kind and operation, with an
    /// example of each; outer errors and task panics.
    fn print_errors(&self) {
        let metrics = &self.run.metrics;
        println!("-- typed errors returned to the workflow --");
        println!("{:<28}{:>10}{:>10}{:>10}", "kind", "submit", "status", "results");
        let kinds: std::collections::BTreeSet<&String> = metrics.errors.keys().map(|(_, k)| k).collect();
        for kind in kinds {
            let count = |op| metrics.errors.get(&(op, kind.clone())).copied().unwrap_or(0);
            println!(
                "{kind:<28}{:>10}{:>10}{:>10}",
                count(Op::Submit),
                count(Op::Status),
                count(Op::Results)
            );
        }
        println!(
            "{:<28}{:>10}",
            "outer errors (host/trap)",
            metrics.outer_errors.len()
        );
        println!("{:<28}{:>10}", "task panics", self.run.task_panics.len());
        println!("examples:");
        for (kind, message) in &metrics.examples {
            println!("  {kind}: {message}");
        }
        println!();
    }

    /// Wall time, throughput, and the slowest call against its limit.
    fn print_time(&self) {
        let n = self.knobs.n;
        let secs = self.run.wall.as_secs_f64();
        let host_total = self.run.metrics.host_total();
        println!("-- time --");
        println!("wall {:.2} s", secs);
        println!(
            "throughput: {:.1} jobs/s, {:.1} host calls/s, {:.1} HTTP requests/s",
            n as f64 / secs,
            host_total as f64 / secs,
            self.server.stats.requests as f64 / secs
        );
        let max_call = self
            .run
            .metrics
            .all_latencies()
            .last()
            .copied()
            .unwrap_or_default();
        println!(
            "slowest call {max_call:?} (limit: MATCHKRAFT_CALL_TIMEOUT_MS {CALL_TIMEOUT_MS} ms + {DEADLINE_SLACK:?})"
        );
        println!();
    }

    /// What must hold, whatever the faults.
    fn check(&self) {
        let n = self.knobs.n;
        let Run {
            metrics, task_panics, ..
        } = &self.run;
        let Jobs {
            completed,
            unknown,
            submit_failed,
            lost,
            wrong,
            unreported,
            phantom,
            foreign,
            ..
        } = &self.jobs;
        let stats = &self.server.stats;
        let show = |list: &[String]| list.iter().take(20).cloned().collect::<Vec<_>>().join("\n  ");
        assert!(task_panics.is_empty(), "tasks panicked:\n  {}", show(task_panics));
        assert!(
            metrics.outer_errors.is_empty(),
            "{} host failures/traps/hangs:\n  {}",
            metrics.outer_errors.len(),
            show(&metrics.outer_errors)
        );
        assert!(lost.is_empty(), "{} jobs lost:\n  {}", lost.len(), show(lost));
        assert!(
            wrong.is_empty(),
            "{} jobs with wrong results:\n  {}",
            wrong.len(),
            show(wrong)
        );
        assert!(
            unreported.is_empty(),
            "{} server-side jobs the caller was not told about:\n  {}",
            unreported.len(),
            show(unreported)
        );
        assert!(phantom.is_empty(), "phantom job ids:\n  {}", show(phantom));
        assert!(
            foreign.is_empty(),
            "jobs under names nobody submitted: {foreign:?}"
        );
        let late: Vec<String> = metrics
            .late_calls
            .iter()
            .map(|(op, took)| format!("{} took {took:?}", op.as_str()))
            .collect();
        assert!(
            late.is_empty(),
            "{} calls outlived MATCHKRAFT_CALL_TIMEOUT_MS + slack:\n  {}",
            late.len(),
            show(&late)
        );
        assert_eq!(self.server.unauthorized, 0, "every request carries the key");
        // Clean submit failures need a retryable error to persist for a whole
        // minute; with 3 guest attempts per call and a 20% fault rate that means
        // something is wrong.
        assert!(
            submit_failed.is_empty(),
            "submits that never went through:\n  {}",
            show(submit_failed)
        );
        assert_eq!(
            completed + unknown,
            n,
            "every submission completes or is reported as outcome-unknown"
        );
        // The soak must have been a soak: every fault kind was drawn.
        assert!(stats.random_faults > 0, "no fault was injected");
        if n >= 100 {
            for kind in FAULT_KINDS {
                assert!(
                    stats.faults_by_kind.get(kind).copied().unwrap_or(0) > 0,
                    "fault {kind} was never drawn"
                );
            }
        }
    }
}

/// Awaits every task in order (no `futures` dependency needed).
async fn futures_join<T>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<Result<T, tokio::task::JoinError>> {
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        results.push(task.await);
    }
    results
}

// ---------------------------------------------------------------------------
// Secret hygiene under faults
// ---------------------------------------------------------------------------

/// The key, whatever goes wrong, never shows in a result, an error's `Debug`
/// or its one-line message, or a host failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_hygiene_under_faults() {
    const SENTINEL: &str = "sentinel-k3y-9f2c4e71d0";
    let seed = env_number("MATCHKRAFT_SOAK_SEED", DEFAULT_SEED) ^ 0x5ec2e7;
    let sim = Simulator::start(sim_config(SENTINEL, seed))
        .await
        .expect("simulator starts");
    let host = host_for(&sim, SENTINEL);
    // A wrong key that contains the right one, and one that is not a valid
    // header value (the guest must not echo either).
    let wrong_key = host_for(&sim, &format!("{SENTINEL}-wrong"));
    // The host may refuse such a key up front; then its refusal is checked.
    let mut seen = Vec::new();
    let bad_header = match try_host_for(&sim, &format!("{SENTINEL}\r\nX-Evil: 1")) {
        Ok(host) => Some(host),
        Err(refusal) => {
            seen.push(refusal);
            None
        }
    };

    const JOBS: usize = 10;
    let mut tasks = Vec::new();
    for i in 0..JOBS {
        let (host, wrong_key, bad_header) = (host.clone(), wrong_key.clone(), bad_header.clone());
        tasks.push(tokio::spawn(hygiene_calls(seed, i, host, wrong_key, bad_header)));
    }
    seen.extend([
        format!("{host:?}"),
        format!("{:?}", host.config()),
        format!("{wrong_key:?}"),
        format!("{bad_header:?}"),
        format!("{:?}", sim.config()),
        format!("{sim:?}"),
    ]);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for task in tasks {
        let (out, task_counts) = tokio::time::timeout(Duration::from_secs(120), task)
            .await
            .expect("the hygiene calls finish")
            .expect("no panic");
        seen.extend(out);
        for (kind, n) in task_counts {
            *counts.entry(kind).or_default() += n;
        }
    }
    let stats = sim.stats();
    println!(
        "secret hygiene: {} operations, {} texts checked, {} requests ({} faulted); results: {counts:?}",
        JOBS * 5,
        seen.len(),
        stats.requests,
        stats.faults
    );
    for text in &seen {
        assert!(!text.contains(SENTINEL), "the key leaked: {text}");
    }
    assert!(
        counts.get("ok").copied().unwrap_or(0) > 0,
        "the key was accepted at least once"
    );
    assert!(
        counts.get("permanent-unauthorized").copied().unwrap_or(0) > 0,
        "the wrong key was refused"
    );
    assert!(stats.faults > 0, "faults were injected");
    assert_eq!(counts.get("OUTER"), None, "no host failure or trap");
}

/// One job's calls, made every way that can go wrong: submit, status and
/// results, status under another job type, and results with a wrong key (for
/// odd `i`, with the key that is no header value, if the host took it).
/// Returns everything printable about their results, and their count by kind.
async fn hygiene_calls(
    seed: u64,
    i: usize,
    host: MatchKraft,
    wrong_key: MatchKraft,
    bad_header: Option<MatchKraft>,
) -> (Vec<String>, BTreeMap<String, usize>) {
    let mut out = Vec::new();
    let mut counts = BTreeMap::new();
    let spec = spec(seed, i);
    let job_type = spec.records.job_type();
    // 1. submit
    let submitted = host.submit(&spec.name, spec.records.clone()).await;
    texts(&submitted, &mut out, &mut counts);
    let id = match &submitted {
        Ok(Ok(job)) => job.id.clone(),
        _ => "20f70187-b941-4bb0-b10f-599b025fc425".to_owned(),
    };
    // 2. status
    texts(&host.status(job_type, &id).await, &mut out, &mut counts);
    tokio::time::sleep(Duration::from_millis(30)).await;
    // 3. results
    texts(&host.results(job_type, &id).await, &mut out, &mut counts);
    // 4. an unknown job, or one asked for under another type
    let other = JobType::ALL[(i + 1) % 3];
    texts(&host.status(other, &id).await, &mut out, &mut counts);
    // 5. a wrong key, or a key that is no header value
    let wrong = match &bad_header {
        Some(bad_header) if i % 2 == 1 => bad_header,
        _ => &wrong_key,
    };
    texts(&wrong.results(job_type, &id).await, &mut out, &mut counts);
    (out, counts)
}

/// Everything printable about one call's result, pushed to `out`; its kind
/// (`ok`, the error's case, or `OUTER`) is counted in `counts`.
fn texts<T: fmt::Debug, E: fmt::Debug + fmt::Display>(
    result: &Result<Result<T, Error>, E>,
    out: &mut Vec<String>,
    counts: &mut BTreeMap<String, usize>,
) {
    out.push(format!("{result:?}"));
    let kind = match result {
        Ok(Ok(_)) => "ok".to_owned(),
        Ok(Err(error)) => {
            out.push(format!("{error}"));
            out.push(format!("{error:?}"));
            out.push(error.message().to_string());
            error_kind(error)
        }
        Err(outer) => {
            out.push(format!("{outer}"));
            out.push(format!("{outer:#}"));
            out.push(format!("{outer:?}"));
            "OUTER".to_owned()
        }
    };
    *counts.entry(kind).or_default() += 1;
}
