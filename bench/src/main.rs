//! `cargo run -p matchkraft-bench` — the component against a native Rust
//! client, side by side in one run, against the simulator on loopback.
//!
//! Every ratio is measured in the same process at the same time, so machine
//! load affects both sides alike. `--smoke` runs each measurement a few times
//! only (CI uses it to keep the harness working; no timing is asserted).
//!
//! The native client makes the same HTTP requests with hyper and parses them
//! with the component's own `wire` module compiled natively, so the comparison
//! is of the component model and `wasi:http`, not of two JSON parsers.

mod instantiate;
mod native;

use matchkraft_host::{HostConfig, JobType, MatchKraft, Records};
use matchkraft_simulator::{SimConfig, Simulator};
use native::NativeClient;

/// The job type as the guest crate's types spell it, for the native client.
const NATIVE_EMAIL_VALIDATION: matchkraft_component::JobType = matchkraft_component::JobType::EmailValidation;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How much of each measurement to run.
struct Plan {
    /// Sequential `status` calls for the latency figures.
    calls: usize,
    /// Records in the large job.
    large_records: usize,
    /// `status` calls in the concurrency figure, and how many run at once.
    concurrent_calls: usize,
    parallelism: usize,
    /// Instantiations per allocator.
    instantiations: usize,
}

impl Plan {
    fn full() -> Plan {
        Plan {
            calls: 500,
            large_records: 100_000,
            concurrent_calls: 1_000,
            parallelism: 16,
            instantiations: 2_000,
        }
    }

    fn smoke() -> Plan {
        Plan {
            calls: 10,
            large_records: 1_000,
            concurrent_calls: 40,
            parallelism: 4,
            instantiations: 20,
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let smoke = std::env::args().any(|arg| arg == "--smoke");
    let plan = if smoke { Plan::smoke() } else { Plan::full() };
    let sim = Simulator::start(SimConfig {
        pending_for: Duration::from_millis(1),
        processing_for: Duration::from_millis(1),
        ..SimConfig::default()
    })
    .await?;
    let key = sim.config().api_key.clone();
    let config = HostConfig::new(sim.base_url()).with_api_key(key.clone());
    let component = matchkraft_artifacts::COMPONENT;
    let mut table = Table::default();

    println!(
        "matchkraft-bench{} — component vs native Rust client",
        if smoke { " (smoke)" } else { "" }
    );
    table.row(
        "component size (as shipped)",
        format!("{} bytes", component.len()),
        "",
        "",
    );

    // 2. Compiling and loading.
    let load = instantiate::load_figures(component, if smoke { 1 } else { 3 }, if smoke { 3 } else { 20 })?;
    table.row("compile (Component::new)", ms(load.compile), "", "");
    table.row(
        "load precompiled (Component::deserialize)",
        ms(load.deserialize),
        "",
        "",
    );

    // 3. Instantiation from an InstancePre.
    for pooling in [false, true] {
        let times = instantiate::instantiation_times(component, pooling, plan.instantiations).await?;
        let name = if pooling {
            "instantiate, pooling allocator"
        } else {
            "instantiate, on-demand allocator"
        };
        table.row(
            name,
            format!("{} median, {} p99", us(median(&times)), us(p99(&times))),
            "",
            "",
        );
    }

    // 4. One status call, end to end: with the host's keep-alive pool (the
    // default) and with pooling off (a new connection per request, as
    // wasmtime-wasi-http's `default_send_request` makes).
    let host = MatchKraft::new(component, config.clone())?;
    let unpooled = MatchKraft::new(
        component,
        HostConfig {
            pool_max_idle_per_origin: 0,
            ..config.clone()
        },
    )?;
    let job_id = host.submit("bench", emails(3)).await??.id;
    let mut component_times = Vec::new();
    for host in [&host, &unpooled] {
        component_times.push(
            time_each(plan.calls, || async {
                host.status(JobType::EmailValidation, &job_id)
                    .await
                    .unwrap()
                    .unwrap();
            })
            .await,
        );
    }
    let mut native_times = Vec::new();
    for keep_alive in [false, true] {
        let mut native = NativeClient::new(&sim.base_url(), &key, keep_alive);
        native_times.push(
            time_each_mut(plan.calls, &mut native, async |native| {
                native.status(NATIVE_EMAIL_VALIDATION, &job_id).await.unwrap();
            })
            .await,
        );
    }
    for (component_times, pooling) in component_times.iter().zip(["", ", pooling off,"]) {
        for (native_times, native) in native_times.iter().zip(["new connection", "keep-alive"]) {
            table.row(
                &format!("status call{pooling} vs native {native}"),
                format!(
                    "{} median, {} p99",
                    us(median(component_times)),
                    us(p99(component_times))
                ),
                format!(
                    "{} median, {} p99",
                    us(median(native_times)),
                    us(p99(native_times))
                ),
                ratio(median(component_times), median(native_times)),
            );
        }
    }

    // 5. A large email validation: submit (serialise) and results (parse).
    let records = emails(plan.large_records);
    let large_host = MatchKraft::new(component, config.clone())?;
    let started = Instant::now();
    let large_job = large_host.submit("bench large", records.clone()).await??;
    let component_submit = started.elapsed();
    let mut native = NativeClient::new(&sim.base_url(), &key, false);
    let started = Instant::now();
    let Records::EmailValidation(list) = &records else {
        unreachable!()
    };
    let native_records = matchkraft_component::Records::EmailValidation(list.clone());
    let native_job = native.submit("bench large native", &native_records).await?;
    let native_submit = started.elapsed();
    large_host
        .wait(JobType::EmailValidation, &large_job.id, Duration::from_secs(60))
        .await??;
    large_host
        .wait(JobType::EmailValidation, &native_job.id, Duration::from_secs(60))
        .await??;
    let started = Instant::now();
    large_host
        .results(JobType::EmailValidation, &large_job.id)
        .await??;
    let component_results = started.elapsed();
    let started = Instant::now();
    native.results(NATIVE_EMAIL_VALIDATION, &native_job.id).await?;
    let native_results = started.elapsed();
    let payload = native.last_body_len();
    let label = format!("{} records", plan.large_records);
    table.row(
        &format!("{label}: submit"),
        ms(component_submit),
        ms(native_submit),
        ratio(component_submit, native_submit),
    );
    table.row(
        &format!("{label}: results"),
        ms(component_results),
        ms(native_results),
        ratio(component_results, native_results),
    );
    let peak = large_host.peak_memory_bytes();
    table.row(
        &format!("{label}: guest peak linear memory"),
        format!("{:.1} MB", peak as f64 / 1e6),
        format!("results body {:.1} MB", payload as f64 / 1e6),
        format!("{:.2}x body", peak as f64 / payload as f64),
    );

    // 6. Concurrency: calls per second across parallel instances, against a
    // native client that connects per call and one that keeps its
    // connections (one per task at most, like the host's pool).
    let mut component_rates = Vec::new();
    for host in [&host, &unpooled] {
        component_rates.push(
            calls_per_second(plan.concurrent_calls, plan.parallelism, |_| {
                let host = host.clone();
                let job_id = job_id.clone();
                async move {
                    host.status(JobType::EmailValidation, &job_id)
                        .await
                        .unwrap()
                        .unwrap();
                }
            })
            .await,
        );
    }
    let base_url = sim.base_url();
    let mut native_rates = Vec::new();
    for keep_alive in [false, true] {
        let idle = Arc::new(Mutex::new(Vec::<NativeClient>::new()));
        native_rates.push(
            calls_per_second(plan.concurrent_calls, plan.parallelism, |_| {
                let (base_url, key, job_id, idle) =
                    (base_url.clone(), key.clone(), job_id.clone(), idle.clone());
                async move {
                    let reused = idle.lock().unwrap().pop();
                    let mut native = reused.unwrap_or_else(|| NativeClient::new(&base_url, &key, keep_alive));
                    native.status(NATIVE_EMAIL_VALIDATION, &job_id).await.unwrap();
                    if keep_alive {
                        idle.lock().unwrap().push(native);
                    }
                }
            })
            .await,
        );
    }
    for (component_rate, pooling) in component_rates.iter().zip(["", ", pooling off,"]) {
        for (native_rate, native) in native_rates.iter().zip(["new connection", "keep-alive"]) {
            table.row(
                &format!(
                    "{} status calls, {} at a time{pooling} vs native {native}",
                    plan.concurrent_calls, plan.parallelism
                ),
                format!("{component_rate:.0} calls/s"),
                format!("{native_rate:.0} calls/s"),
                format!("{:.2}x", native_rate / component_rate),
            );
        }
    }

    table.print();
    print_cli_start(if smoke { 2 } else { 10 });
    Ok(())
}

/// Measurement 7: the `matchkraft` command's start-up to its first answer, compiling the
/// component on every start versus loading it from the compiled cache. It
/// runs `matchkraft results email-validation no-such-job` against the
/// command's built-in simulator (the answer is a typed not-found), so the
/// time is start-up, one instantiation and one request.
fn print_cli_start(runs: usize) {
    let cli = std::env::current_exe()
        .ok()
        .and_then(|bench| {
            Some(
                bench
                    .parent()?
                    .join(format!("matchkraft{}", std::env::consts::EXE_SUFFIX)),
            )
        })
        .filter(|cli| cli.is_file());
    let Some(cli) = cli else {
        println!("\nCLI start to first answer: skipped (build it first: cargo build -p matchkraft-cli)");
        return;
    };
    let cache_home = std::env::temp_dir().join(format!("matchkraft-bench-cache-{}", std::process::id()));
    let time_one = |cache: &str| {
        let started = Instant::now();
        let status = std::process::Command::new(&cli)
            .args(["results", "email-validation", "no-such-job", "--quiet"])
            .env_remove("MATCHKRAFT_API_KEY")
            .env_remove("MATCHKRAFT_BASE_URL")
            .env("MATCHKRAFT_LEDGER", cache_home.join("ledger.sqlite3"))
            .env("XDG_CACHE_HOME", &cache_home)
            .env("MATCHKRAFT_COMPILE_CACHE", cache)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("the matchkraft command runs");
        // Exit 1: the simulator answered not-found, which is the point.
        assert_eq!(status.code(), Some(1), "matchkraft did not get its answer");
        started.elapsed()
    };
    time_one("on"); // fills the cache
    let (mut compiling, mut cached) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        compiling.push(time_one("off"));
        cached.push(time_one("on"));
    }
    let _ = std::fs::remove_dir_all(&cache_home);
    let (compiling, cached) = (median(&compiling), median(&cached));
    println!(
        "\nCLI start to first answer (`matchkraft results`, built-in simulator), median of {runs}:\n\
         - compiling the component on every start: {}\n\
         - loading it from the compiled cache: {} ({:.1}x faster)",
        ms(compiling),
        ms(cached),
        compiling.as_secs_f64() / cached.as_secs_f64()
    );
}

fn emails(count: usize) -> Records {
    Records::EmailValidation((0..count).map(|i| format!("user.{i}@example.com")).collect())
}

async fn time_each<F: Future<Output = ()>>(count: usize, mut call: impl FnMut() -> F) -> Vec<Duration> {
    let mut times = Vec::with_capacity(count);
    for _ in 0..count {
        let started = Instant::now();
        call().await;
        times.push(started.elapsed());
    }
    times
}

async fn time_each_mut<T>(count: usize, state: &mut T, mut call: impl AsyncFnMut(&mut T)) -> Vec<Duration> {
    let mut times = Vec::with_capacity(count);
    for _ in 0..count {
        let started = Instant::now();
        call(state).await;
        times.push(started.elapsed());
    }
    times
}

/// Runs `count` calls, `parallelism` at a time, and returns calls per second.
async fn calls_per_second<F>(count: usize, parallelism: usize, call: impl Fn(usize) -> F) -> f64
where
    F: Future<Output = ()> + Send + 'static,
{
    let started = Instant::now();
    let mut running = tokio::task::JoinSet::new();
    for i in 0..count {
        if running.len() == parallelism {
            running
                .join_next()
                .await
                .expect("a task")
                .expect("the call succeeds");
        }
        running.spawn(call(i));
    }
    while let Some(done) = running.join_next().await {
        done.expect("the call succeeds");
    }
    count as f64 / started.elapsed().as_secs_f64()
}

fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

fn p99(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted[(sorted.len() * 99 / 100).min(sorted.len() - 1)]
}

fn ratio(component: Duration, native: Duration) -> String {
    format!("{:.2}x", component.as_secs_f64() / native.as_secs_f64())
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn us(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

/// The printed figures: a Markdown table, to paste into the README.
#[derive(Default)]
struct Table(Vec<[String; 4]>);

impl Table {
    fn row(
        &mut self,
        what: &str,
        component: impl Into<String>,
        native: impl Into<String>,
        ratio: impl Into<String>,
    ) {
        self.0
            .push([what.to_string(), component.into(), native.into(), ratio.into()]);
    }

    fn print(&self) {
        println!("| measurement | component | native client | component ÷ native |");
        println!("|---|---|---|---|");
        for [what, component, native, ratio] in &self.0 {
            println!("| {what} | {component} | {native} | {ratio} |");
        }
    }
}
