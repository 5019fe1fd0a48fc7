//! Every example the command documents runs: each line under `Examples:` in
//! every subcommand's `--help`, and each `matchkraft` line of the README's
//! shell blocks, run by `sh` against a simulator, in a folder of their own.
//!
//! An example names a placeholder job id or `"$job"`: both become a real
//! finished job of the type the example names. Files it reads (`leads.csv`,
//! `sites.csv`, `emails.txt`) are there; ports it binds are free ones; a
//! command that runs until stopped (`listen`, `simulator`) passes when it is
//! still running after two seconds. Any other failure fails the test, with
//! the example and what it printed.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use matchkraft_simulator::SimConfig;

use crate::common::{Setup, free_port};

/// The job id the help examples show.
const PLACEHOLDER_ID: &str = "0b6e4f2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b";

/// Commands that run until stopped.
const SERVERS: [&str; 2] = ["matchkraft listen", "matchkraft simulator"];

#[test]
fn every_help_example_runs() {
    let setup = Setup::new("examples", SimConfig::default());
    let mut examples = Vec::new();
    for command in subcommands() {
        let help = help(&[command.as_str(), "--help"]);
        examples.extend(
            help_examples(&help)
                .into_iter()
                .map(|e| (format!("{command} --help"), e)),
        );
    }
    assert!(examples.len() >= 15, "too few examples found: {examples:?}");
    run_all(&setup, &examples);
}

#[test]
fn every_readme_example_runs() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap();
    let examples: Vec<(String, String)> = readme_examples(&readme)
        .into_iter()
        .map(|e| ("README".to_string(), e))
        .collect();
    assert!(examples.len() >= 5, "too few README examples found: {examples:?}");
    let setup = Setup::new("readme-examples", SimConfig::default());
    run_all(&setup, &examples);
}

/// The subcommands `matchkraft --help` lists.
fn subcommands() -> Vec<String> {
    let help = help(&["--help"]);
    help.lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

fn help(args: &[&str]) -> String {
    let output = crate::common::matchkraft().args(args).output().unwrap();
    assert!(output.status.success(), "matchkraft {args:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// The lines under `Examples:`, as written.
fn help_examples(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| line.trim() != "Examples:")
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .map(|line| line.trim().to_string())
        .collect()
}

/// The README's shell lines that run `matchkraft` (after a `$ ` prompt, if
/// any), from its ```sh blocks: those are commands to copy, so each must
/// run (a synopsis goes in a ```text block). Lines marked `# needs a key`
/// need the real API.
fn readme_examples(readme: &str) -> Vec<String> {
    let mut examples = Vec::new();
    let mut in_shell = false;
    for line in readme.lines() {
        if line.starts_with("```") {
            in_shell = line.trim() == "```sh";
            continue;
        }
        let line = line.trim().trim_start_matches("$ ");
        let runs_the_command = line.starts_with("matchkraft ") || line.contains("$(matchkraft ");
        if in_shell && runs_the_command && !line.contains("# needs a key") {
            examples.push(line.to_string());
        }
    }
    examples
}

fn run_all(setup: &Setup, examples: &[(String, String)]) {
    let bin = Path::new(env!("CARGO_BIN_EXE_matchkraft")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let jq = Command::new("jq").arg("--version").output().is_ok();
    let mut failures = Vec::new();
    for (source, example) in examples {
        if example.contains("| jq") && !jq {
            println!("SKIPPED (no jq on PATH): {example}");
            continue;
        }
        let folder = crate::common::TempDir::new("example");
        write_inputs(folder.path());
        let job_type = ["domain-scan", "email-finder", "email-validation"]
            .into_iter()
            .find(|t| example.contains(t))
            .unwrap_or("email-validation");
        let job = finished_job(setup, folder.path(), job_type);
        let port = free_port().to_string();
        if example.contains("${fpath") {
            println!("SKIPPED (zsh syntax, and sh runs the examples): {example}");
            continue;
        }
        let mut line = example
            .replace(PLACEHOLDER_ID, "\"$job\"")
            .replace("JOB-ID...", "\"$job\"")
            .replace("JOB-ID", "\"$job\"")
            .replace("8787", &port)
            .replace("~/", "$HOME/");
        if let Some(server) = SERVERS.iter().find(|s| example.starts_with(*s)) {
            // Its default port may be taken by one that someone runs.
            let own = free_port().to_string();
            line = line.replace("8790", &own);
            if !line.contains("--addr") {
                line = line.replacen(server, &format!("{server} --addr 127.0.0.1:{own}"), 1);
            }
        }
        if SERVERS.iter().any(|s| example.starts_with(*s)) {
            // `sh` becomes the server, so that killing it stops the server.
            line = format!("exec {line}");
        }
        make_folder_for_redirect(&line, folder.path());
        let mut child = Command::new("sh")
            .args(["-c", &line])
            .current_dir(folder.path())
            .env_remove("MATCHKRAFT_API_KEY")
            .env("PATH", &path)
            .env("HOME", folder.path())
            .env("NO_COLOR", "1")
            .env("job", &job)
            .env("MATCHKRAFT_API_KEY", &setup.sim.config().api_key)
            .env("MATCHKRAFT_BASE_URL", setup.sim.base_url())
            .env("MATCHKRAFT_LEDGER", folder.ledger())
            .env(
                "XDG_CACHE_HOME",
                std::env::temp_dir().join("matchkraft-test-cache"),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(&server) = SERVERS.iter().find(|s| example.starts_with(*s)) {
            let deadline = Instant::now() + Duration::from_secs(2);
            while Instant::now() < deadline && child.try_wait().unwrap().is_none() {
                std::thread::sleep(Duration::from_millis(50));
            }
            if child.try_wait().unwrap().is_none() {
                let _ = child.kill();
                let _ = child.wait();
                continue;
            }
            let output = child.wait_with_output().unwrap();
            failures.push(format!("{source}: `{example}` ({server}) stopped: {output:?}"));
            continue;
        }
        let output = child.wait_with_output().unwrap();
        if !output.status.success() {
            failures.push(format!(
                "{source}: `{example}` exited {:?}\nstdout: {}\nstderr: {}",
                output.status.code(),
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} example(s) failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The folder a `> FILE` in `line` writes into, made (as it exists where
/// the example is meant to run: a completions or man folder under `$HOME`).
fn make_folder_for_redirect(line: &str, home: &Path) {
    let Some((_, after)) = line.split_once("> ") else {
        return;
    };
    let target = after.split_whitespace().next().unwrap_or_default();
    let target = target.replace("$HOME", &home.display().to_string());
    if let Some(parent) = home.join(target).parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
}

/// The files the examples read.
fn write_inputs(folder: &Path) {
    let files = [
        ("leads.csv", "email\njohn@gmail.com\ntest@domain.com\n"),
        ("sites.csv", "website\nhttps://example.com\n"),
        ("emails.txt", "john@gmail.com\n"),
        (
            "contacts.csv",
            "firstName,lastName,website\nAda,Lovelace,https://example.com\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(folder.join(name), text).unwrap();
    }
}

/// A finished job of `job_type` in the ledger of `folder`, by `run`.
fn finished_job(setup: &Setup, folder: &Path, job_type: &str) -> String {
    let record = match job_type {
        "domain-scan" => "https://example.com",
        "email-finder" => "Ada,Lovelace,https://example.com",
        _ => "john@gmail.com",
    };
    let output = crate::common::matchkraft()
        .args(["run", job_type, record, "--json", "--quiet"])
        .args(["--base-url", &setup.sim.base_url()])
        .env("MATCHKRAFT_API_KEY", &setup.sim.config().api_key)
        .env("MATCHKRAFT_LEDGER", folder.join("ledger.sqlite3"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    document["jobId"].as_str().unwrap().to_string()
}
