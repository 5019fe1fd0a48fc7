//! `matchkraft run --webhook` and `matchkraft listen`, run as a user runs
//! them: real processes against a simulator that delivers webhooks.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::common::{TempDir, free_port, matchkraft, wait_until};
use matchkraft_host::ledger::Ledger;
use matchkraft_simulator::{BackgroundRuntime, SimConfig, Simulator, WebhookConfig};
use serde_json::Value;

/// A simulator, the ledger folder, and the port the command will receive
/// webhooks on (the simulator delivers there when `webhook` is set).
struct Setup {
    sim: Simulator,
    _runtime: BackgroundRuntime,
    dir: TempDir,
    port: u16,
}

impl Setup {
    fn new(label: &str, webhook: Option<fn(String) -> WebhookConfig>) -> Setup {
        let (sim, runtime) = Simulator::spawn_in_background(SimConfig {
            processing_for: Duration::from_millis(400),
            ..SimConfig::default()
        })
        .unwrap();
        let port = free_port();
        if let Some(webhook) = webhook {
            sim.set_webhook(Some(webhook(format!("http://127.0.0.1:{port}/matchkraft"))));
        }
        Setup {
            sim,
            _runtime: runtime,
            dir: TempDir::new(label),
            port,
        }
    }

    /// `matchkraft ARGS` against this simulator and ledger.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = matchkraft();
        command
            .args(args)
            .args(["--ledger", self.dir.ledger().to_str().unwrap()])
            .args(["--base-url", &self.sim.base_url()])
            .env("MATCHKRAFT_API_KEY", "sim-key");
        command
    }

    /// `matchkraft run TYPE RECORDS --webhook 127.0.0.1:PORT --json`.
    fn run_with_webhook(&self, job_type: &str, records: &[&str]) -> (Value, String) {
        let addr = format!("127.0.0.1:{}", self.port);
        let mut args = vec!["run", job_type, "--webhook", &addr, "--json"];
        args.extend_from_slice(records);
        let output = self.command(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "{stderr}");
        let value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {output:?}"));
        (value, stderr)
    }

    fn ledger(&self) -> Ledger {
        Ledger::open(self.dir.ledger()).unwrap()
    }
}

fn on_time(url: String) -> WebhookConfig {
    WebhookConfig::new(url)
}

/// Every job type, through the webhook path, with the typed fields and raw
/// records `run` prints.
#[test]
fn run_completes_every_job_type_on_the_webhook() {
    let setup = Setup::new("run-webhook", Some(on_time));
    let cases: [(&str, &[&str], &str, &str); 3] = [
        (
            "email-validation",
            &["john@gmail.com", "test@domain.com"],
            "email",
            "john@gmail.com",
        ),
        (
            "email-finder",
            &["Arseniy,Grusha,https://dataprana.io"],
            "email",
            "arseniy@dataprana.io",
        ),
        ("domain-scan", &["https://dataprana.io"], "domain", "dataprana.io"),
    ];
    for (job_type, records, field, first) in cases {
        let (value, stderr) = setup.run_with_webhook(job_type, records);
        assert!(stderr.contains("completed via webhook"), "{stderr}");
        assert_eq!(value["jobType"], job_type);
        assert_eq!(value["status"], "completed");
        assert_eq!(
            value["results"].as_array().unwrap().len(),
            records.len(),
            "{value}"
        );
        assert_eq!(value["results"][0][field], first, "{value}");
        assert!(value["results"][0]["raw"].is_object(), "{value}");
        let id = value["jobId"].as_str().unwrap();
        assert_eq!(setup.sim.results_gets()[id], 1, "fetched once");
    }
    let ledger = setup.ledger();
    assert_eq!(ledger.effect_count().unwrap(), 3);
    assert!(ledger.pending().unwrap().is_empty());
}

#[test]
fn run_falls_back_to_polling_when_no_webhook_comes() {
    let setup = Setup::new("run-no-webhook", None);
    let (value, stderr) = setup.run_with_webhook("email-validation", &["john@gmail.com"]);
    assert!(stderr.contains("completed via poll"), "{stderr}");
    assert_eq!(value["results"][0]["status"], "valid");
    let id = value["jobId"].as_str().unwrap();
    assert_eq!(
        setup.sim.results_gets()[id],
        1,
        "the poll that saw it done brought the results"
    );
}

#[test]
fn a_late_webhook_loses_to_polling() {
    let late = |url| WebhookConfig {
        delay: Duration::from_secs(5),
        ..WebhookConfig::new(url)
    };
    let setup = Setup::new("run-late-webhook", Some(late));
    let (value, stderr) = setup.run_with_webhook("domain-scan", &["https://dataprana.io"]);
    assert!(stderr.contains("completed via poll"), "{stderr}");
    assert_eq!(value["results"][0]["domain"], "dataprana.io");
    assert_eq!(setup.ledger().effect_count().unwrap(), 1);
}

/// Copies of the webhook land around the time of the first fallback poll:
/// whichever wins, the job completes once.
#[test]
fn webhook_and_polling_race_to_one_effect() {
    let racing = |url| WebhookConfig {
        deliveries: (3, 3),
        delay: Duration::from_millis(1300),
        jitter: Duration::from_millis(900),
        ..WebhookConfig::new(url)
    };
    let setup = Setup::new("run-race", Some(racing));
    let mut winners = Vec::new();
    for _ in 0..3 {
        let (value, stderr) = setup.run_with_webhook("email-validation", &["john@gmail.com"]);
        assert_eq!(value["results"][0]["status"], "valid");
        winners.push(if stderr.contains("via webhook") {
            "webhook"
        } else {
            "poll"
        });
        let id = value["jobId"].as_str().unwrap();
        // One read, or two when a poll was already under way as the webhook
        // landed (the API's only read is the results endpoint).
        assert!(setup.sim.results_gets()[id] <= 2);
    }
    println!("race winners: {winners:?}");
    let ledger = setup.ledger();
    assert_eq!(ledger.effect_count().unwrap(), 3, "one completion effect per job");
    assert!(ledger.pending().unwrap().is_empty());
}

/// `submit` jobs of every type, let `matchkraft listen` complete them, then
/// `jobs` lists them, `resume` prints them from the ledger, and Ctrl-C stops
/// the receiver cleanly.
#[test]
fn listen_completes_submitted_jobs_and_stops_on_ctrl_c() {
    let setup = Setup::new("listen", None);
    let addr = format!("127.0.0.1:{}", setup.port);
    let mut listener = setup
        .command(&["listen", "--addr", &addr])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = lines(listener.stdout.take().unwrap());
    let stderr = lines(listener.stderr.take().unwrap());
    let banner = stderr
        .recv_timeout(Duration::from_secs(60))
        .expect("listen starts");
    assert!(banner.contains(&format!("http://{addr}/")), "{banner}");
    setup.sim.set_webhook(Some(WebhookConfig {
        deliveries: (2, 2),
        ..WebhookConfig::new(format!("http://{addr}/"))
    }));

    let mut ids = Vec::new();
    for (job_type, record) in [
        ("email-validation", "john@gmail.com"),
        ("email-finder", "Randi,Zuckerberg,https://zuckerbergmedia.com"),
        ("domain-scan", "https://dataprana.io"),
    ] {
        let output = setup.command(&["submit", job_type, record]).output().unwrap();
        assert!(output.status.success(), "{output:?}");
        ids.push(String::from_utf8(output.stdout).unwrap().trim().to_string());
    }
    let ledger = setup.ledger();
    wait_until(
        Duration::from_secs(30),
        "the receiver to store every job's results",
        || ledger.pending().unwrap().is_empty(),
    );

    let jobs = setup.command(&["jobs", "--json"]).output().unwrap();
    let jobs: Value = serde_json::from_slice(&jobs.stdout).unwrap();
    let listed: Vec<&str> = jobs
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["jobId"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        ids.iter().rev().map(String::as_str).collect::<Vec<_>>(),
        "newest first"
    );
    assert!(
        jobs.as_array()
            .unwrap()
            .iter()
            .all(|j| j["completedVia"] == "webhook"),
        "{jobs}"
    );
    let table = setup.command(&["jobs"]).output().unwrap();
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.starts_with("JOB ID") && table.contains("1 (webhook)"),
        "{table}"
    );

    let gets = setup.sim.results_gets();
    let printed = setup.command(&["resume", &ids[1]]).output().unwrap();
    assert!(printed.status.success());
    assert!(
        String::from_utf8_lossy(&printed.stdout).contains("randi.zuckerberg@zuckerbergmedia.com"),
        "{printed:?}"
    );
    assert_eq!(setup.sim.results_gets(), gets, "printed from the ledger");
    assert!(ids.iter().all(|id| gets[id] == 1));

    // Ctrl-C: a clean stop.
    let interrupted = Command::new("kill")
        .args(["-INT", &listener.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let status = listener.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
    // The child has exited, so both streams end.
    let printed: Vec<String> = stdout.iter().collect();
    for id in &ids {
        assert_eq!(
            printed
                .iter()
                .filter(|l| l.contains(id.as_str()) && l.contains("stored"))
                .count(),
            1,
            "{printed:#?}"
        );
        assert!(
            printed
                .iter()
                .any(|l| l.contains(id.as_str()) && l.contains("again")),
            "{printed:#?}"
        );
    }
    let warnings: Vec<String> = stderr.iter().collect();
    assert!(warnings.iter().any(|l| l.contains("stopping")), "{warnings:#?}");
}

/// The lines a child writes, as they come.
fn lines(stream: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}
