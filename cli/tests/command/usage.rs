//! The `matchkraft` command, run as a user runs it: a real process, the
//! component built into it, and a simulator on 127.0.0.1 (its own, or one this
//! test starts).

use crate::common::TempDir;
use matchkraft_simulator::{SimConfig, Simulator};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Output;

/// `matchkraft ARGS` with a clean environment (`common::matchkraft`) and a
/// job ledger of this call's own rather than the user's (or another test's:
/// tests run in parallel).
fn matchkraft(args: &[&str]) -> Output {
    let folder = TempDir::new("cli");
    crate::common::matchkraft()
        .args(args)
        .env("MATCHKRAFT_LEDGER", folder.ledger())
        .output()
        .expect("the matchkraft binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn json(output: &Output) -> Value {
    assert!(output.status.success(), "failed: {}", stderr(output));
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(output)))
}

#[test]
fn run_email_validation_against_the_built_in_simulator() {
    let output = matchkraft(&["run", "email-validation", "john@gmail.com", "test@domain.com"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("simulator"),
        "must say it uses the simulator: {}",
        stderr(&output)
    );
    let table = stdout(&output);
    for expected in ["john@gmail.com", "valid", "test@domain.com", "catch-all"] {
        assert!(table.contains(expected), "{expected:?} missing from:\n{table}");
    }
}

#[test]
fn run_prints_one_json_object_per_job_for_every_type() {
    let cases: [(&str, &[&str]); 3] = [
        ("email-validation", &["john@gmail.com", "info@acme.com"]),
        (
            "email-finder",
            &[
                "Arseniy,Grusha,https://dataprana.io",
                "Randi,Zuckerberg,https://zuckerbergmedia.com",
            ],
        ),
        ("domain-scan", &["https://acme.com", "https://nobody.example"]),
    ];
    for (job_type, records) in cases {
        let mut args = vec!["run", job_type, "--json"];
        args.extend_from_slice(records);
        let value = json(&matchkraft(&args));
        assert_eq!(value["jobType"], job_type);
        assert_eq!(value["status"], "completed", "{value}");
        assert!(value["jobId"].as_str().is_some_and(|id| !id.is_empty()));
        let results = value["results"].as_array().expect("results array");
        assert_eq!(results.len(), records.len(), "{value}");
        for result in results {
            assert!(
                result["raw"].is_object(),
                "every result carries its raw record: {result}"
            );
        }
    }
}

#[test]
fn run_json_has_typed_fields_with_raw_records() {
    let value = json(&matchkraft(&[
        "run",
        "email-finder",
        "--json",
        "Arseniy,Grusha,https://dataprana.io",
    ]));
    let first = &value["results"][0];
    assert_eq!(first["email"], "arseniy@dataprana.io");
    assert_eq!(first["confidence"], 97.0);
    assert_eq!(first["raw"]["pattern"], "first");
}

#[test]
fn submit_status_and_results_against_a_given_base_url() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim = runtime.block_on(Simulator::start(SimConfig::default())).unwrap();
    let base = sim.base_url();
    let key = sim.config().api_key.clone();
    let common = ["--base-url", base.as_str(), "--api-key", key.as_str()];

    let mut args = vec!["submit", "domain-scan", "https://dataprana.io"];
    args.extend_from_slice(&common);
    let output = matchkraft(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    let job_id = stdout(&output).trim().to_string();
    assert!(
        !job_id.is_empty() && !job_id.contains(char::is_whitespace),
        "{job_id:?}"
    );

    std::thread::sleep(std::time::Duration::from_millis(400));
    let mut args = vec!["status", "domain-scan", job_id.as_str(), "--json"];
    args.extend_from_slice(&common);
    let status = json(&matchkraft(&args));
    assert_eq!(status["status"], "completed", "{status}");

    let mut args = vec!["results", "domain-scan", job_id.as_str(), "--json"];
    args.extend_from_slice(&common);
    let results = json(&matchkraft(&args));
    assert_eq!(results["results"][0]["domain"], "dataprana.io", "{results}");
    assert_eq!(sim.job_count(), 1);
}

#[test]
fn errors_are_one_line_with_a_hint_and_never_show_the_key() {
    const SENTINEL: &str = "sentinel-key-8d21e7";
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim = runtime.block_on(Simulator::start(SimConfig::default())).unwrap();
    let base = sim.base_url();
    let output = matchkraft(&[
        "submit",
        "email-validation",
        "john@gmail.com",
        "--base-url",
        &base,
        "--api-key",
        SENTINEL,
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("unauthorized"), "{err}");
    assert!(
        err.contains("MATCHKRAFT_API_KEY"),
        "a hint names the setting: {err}"
    );
    assert!(
        !err.contains(SENTINEL) && !stdout(&output).contains(SENTINEL),
        "the key leaked: {err}"
    );
    assert_eq!(sim.job_count(), 0);
}

#[test]
fn invalid_records_are_refused_before_anything_is_sent() {
    let output = matchkraft(&["run", "email-validation", "john@gmail.com", "not-an-email"]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "an input error: {}",
        stderr(&output)
    );
    let err = stderr(&output);
    assert!(err.contains("record 1"), "names the record: {err}");
    assert!(err.contains("not-an-email"), "{err}");
    assert!(
        err.contains("hint: that record is argument 2; nothing was submitted"),
        "{err}"
    );
}

/// The CSV `--output` writes goes back in as `--input`: a spreadsheet's
/// headers in, one row per result out with the input columns first, and the
/// same file again from the second pass.
#[test]
fn csv_output_round_trips_through_input() {
    let folder = TempDir::new("round-trip");
    let dir = folder.path();
    let leads = dir.join("leads.csv");
    std::fs::write(
        &leads,
        "First Name,Last Name,Company Website,Owner\n\
         Arseniy,Grusha,https://dataprana.io,me\n\
         \"Randi, Jr.\",Zuckerberg,https://zuckerbergmedia.com,you\n",
    )
    .unwrap();
    let first = dir.join("first.csv");
    let output = matchkraft(&[
        "run",
        "email-finder",
        "--input",
        leads.to_str().unwrap(),
        "--output",
        first.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "", "the results go to the file, not stdout");
    assert!(
        stderr(&output).contains("wrote 2 result(s) to"),
        "{}",
        stderr(&output)
    );
    let written = std::fs::read_to_string(&first).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(lines[0], "first_name,last_name,website,email,confidence");
    assert!(
        lines[1].starts_with("Arseniy,Grusha,https://dataprana.io,arseniy@dataprana.io,"),
        "{written}"
    );
    assert!(
        lines[2].starts_with("\"Randi, Jr.\",Zuckerberg,https://zuckerbergmedia.com,"),
        "{written}"
    );
    assert_eq!(lines.len(), 3, "{written}");

    let second = dir.join("second.csv");
    let output = matchkraft(&[
        "run",
        "email-finder",
        "--input",
        first.to_str().unwrap(),
        "--output",
        second.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(&second).unwrap(), written);

    // An output file that cannot be written stops `run` before it submits.
    let missing = dir.join("no-such-folder/out.csv");
    let output = matchkraft(&[
        "run",
        "email-validation",
        "john@gmail.com",
        "--output",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("cannot write there"),
        "{}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains("submitted"), "{}", stderr(&output));

    // `results --output x.json` writes the `--json` document.
    let json_file = dir.join("results.json");
    let output = matchkraft(&[
        "run",
        "email-validation",
        "john@gmail.com",
        "--output",
        json_file.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let value: Value = serde_json::from_str(&std::fs::read_to_string(&json_file).unwrap()).unwrap();
    assert_eq!(value["results"][0]["email"], "john@gmail.com");
}

#[test]
fn repeated_and_empty_records_are_reported() {
    let folder = TempDir::new("repeats");
    let dir = folder.path();
    let list = dir.join("emails.csv");
    std::fs::write(&list, "email\njohn@gmail.com\ninfo@acme.com\nJOHN@gmail.com\n").unwrap();
    let file = list.to_str().unwrap();

    // Reported, and submitted as given.
    let output = matchkraft(&["run", "email-validation", "--input", file, "--json"]);
    let err = stderr(&output);
    assert!(
        err.contains(&format!(
            "warning: 1 repeated record(s), submitted as given (each is paid for; --dedupe leaves them out): \
             {file} line 4 repeats {file} line 2"
        )),
        "{err}"
    );
    assert_eq!(json(&output)["results"].as_array().unwrap().len(), 3);

    // Left out with --dedupe, and said so.
    let output = matchkraft(&["run", "email-validation", "--input", file, "--json", "--dedupe"]);
    assert!(
        stderr(&output).contains("left out 1 repeated record(s) (--dedupe)"),
        "{}",
        stderr(&output)
    );
    assert_eq!(json(&output)["results"].as_array().unwrap().len(), 2);

    // An empty record stops everything before the API is asked.
    std::fs::write(&list, "email,name\njohn@gmail.com,John\n,\n").unwrap();
    let output = matchkraft(&["run", "email-validation", "--input", file]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(&format!(
            "1 empty record(s), with every field empty: {file} line 3"
        )),
        "{}",
        stderr(&output)
    );
}

#[test]
fn output_into_a_pipe_has_no_colour_and_no_progress_line() {
    // Without NO_COLOR, so that only the pipe turns colour off.
    let folder = TempDir::new("pipe");
    let output = crate::common::matchkraft()
        .args(["run", "email-validation", "john@gmail.com", "test@domain.com"])
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color")
        .env("MATCHKRAFT_LEDGER", folder.ledger())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    for (name, text) in [("stdout", stdout(&output)), ("stderr", stderr(&output))] {
        assert!(!text.contains('\x1b'), "escape codes in {name}: {text:?}");
        assert!(!text.contains('\r'), "a redrawn line in {name}: {text:?}");
    }
    assert!(stdout(&output).contains("catch-all"));

    // `--color always` is the way to colour into a pipe (`less -R`).
    let output = matchkraft(&["run", "email-validation", "john@gmail.com", "--color", "always"]);
    assert!(
        stdout(&output).contains("\x1b[32mvalid\x1b[0m"),
        "{:?}",
        stdout(&output)
    );
}

/// The first run compiles the component and keeps it; the next ones load
/// it. (How much that saves is in the benchmark, not asserted here.)
#[test]
fn the_compiled_component_is_kept_between_runs() {
    let home = TempDir::new("compile-cache");
    let cache_home = home.path();
    let run = |setting: &str| {
        let output = crate::common::matchkraft()
            .args(["run", "email-validation", "john@gmail.com", "--quiet"])
            .env("MATCHKRAFT_LEDGER", home.ledger())
            .env("XDG_CACHE_HOME", cache_home)
            .env("MATCHKRAFT_COMPILE_CACHE", setting)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(stdout(&output).contains("john@gmail.com"));
    };
    let folder = cache_home.join("matchkraft/compiled");
    run("off");
    assert!(!folder.exists(), "MATCHKRAFT_COMPILE_CACHE=off wrote a cache");
    run("");
    let files = || -> Vec<PathBuf> {
        std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect()
    };
    let first = files();
    assert_eq!(first.len(), 1, "{first:?}");
    let written = std::fs::metadata(&first[0]).unwrap().modified().unwrap();
    run("");
    assert_eq!(files(), first);
    assert_eq!(
        std::fs::metadata(&first[0]).unwrap().modified().unwrap(),
        written,
        "compiled again"
    );
}

#[test]
fn every_subcommand_has_help_with_examples_and_completions_exist() {
    for sub in [
        "run",
        "submit",
        "status",
        "results",
        "jobs",
        "resume",
        "listen",
        "completions",
    ] {
        let output = matchkraft(&[sub, "--help"]);
        assert!(output.status.success(), "{sub}: {}", stderr(&output));
        let help = stdout(&output);
        assert!(help.contains("Examples:\n  matchkraft "), "{sub} --help:\n{help}");
    }
    let help = stdout(&matchkraft(&["--help"]));
    assert!(help.contains("Exit codes:") && help.contains("130"), "{help}");
    let shells = [
        ("bash", "complete -F", "--output"),
        ("zsh", "#compdef matchkraft", "--output"),
        ("fish", "complete -c matchkraft", "-l output"),
    ];
    for (shell, marker, output_flag) in shells {
        let output = matchkraft(&["completions", shell]);
        assert!(output.status.success(), "{shell}: {}", stderr(&output));
        let script = stdout(&output);
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(
            script.contains("resume") && script.contains(output_flag),
            "{shell}: {script}"
        );
    }
}
