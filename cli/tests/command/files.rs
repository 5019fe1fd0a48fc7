//! The files the command writes (`--output`) and reads (`--input`) when they
//! are not plain files: symlinks, FIFOs, devices, stdout; cells a spreadsheet
//! would run as formulas; inputs without end.

use crate::common::TempDir;
use std::process::Output;

/// `matchkraft ARGS` in `folder` (its working directory), with a ledger
/// there.
fn matchkraft_in(folder: &TempDir, args: &[&str]) -> Output {
    crate::common::matchkraft()
        .args(args)
        .current_dir(folder.path())
        .env("MATCHKRAFT_LEDGER", folder.ledger())
        .output()
        .expect("the matchkraft binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Cells a spreadsheet would run as a formula (`=…`, `-…`) get a `'` in
/// front; numbers do not. The command reads its own CSV back to the same
/// records, and `--json` keeps the values as they are.
#[test]
fn csv_cells_that_look_like_formulas_are_neutralised_and_read_back() {
    let folder = TempDir::new("formulas");
    let output = matchkraft_in(
        &folder,
        &[
            "run",
            "email-validation",
            "--output",
            "out.csv",
            "--",
            "=1+1@x.com",
            "-x@example.com",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let written = std::fs::read_to_string(folder.path().join("out.csv")).unwrap();
    assert_eq!(
        written,
        "email,status,verified,reason\r\n\
         '=1+1@x.com,unknown,false,no answer from mail server\r\n\
         '-x@example.com,valid,true,mailbox exists\r\n"
    );

    let output = matchkraft_in(
        &folder,
        &["run", "email-validation", "--input", "out.csv", "--json"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let emails: Vec<&str> = value["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["raw"]["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["=1+1@x.com", "-x@example.com"]);
}

/// `--input /dev/zero` (an input without end, and without a line break)
/// stops at once on the line limit, with bounded memory, before anything is
/// sent.
#[test]
fn an_endless_input_stops_at_the_line_limit() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let folder = TempDir::new("in-zero");
    let mut command = crate::common::matchkraft();
    command
        .args(["run", "email-validation", "--input", "/dev/zero"])
        .env("MATCHKRAFT_LEDGER", folder.ledger())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // A command that reads on without end must not take the machine with it.
    unsafe {
        use std::os::unix::process::CommandExt as _;
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 2 << 30,
                rlim_max: 2 << 30,
            };
            libc::setrlimit(libc::RLIMIT_AS, &limit);
            Ok(())
        });
    }
    let started = Instant::now();
    let mut child = command.spawn().unwrap();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("--input /dev/zero still reading after 20 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let error = stderr(&output);
    assert!(
        error.contains("/dev/zero") && error.contains("line 1") && error.contains("--max-line-bytes"),
        "{error}"
    );
    assert!(!error.contains("submitted"), "{error}");
}

/// A line over `--max-line-bytes` and a file over `--max-input-bytes` are
/// named, with the limit.
#[test]
fn input_limits_name_the_line_and_the_limit() {
    let folder = TempDir::new("in-limits");
    let long = format!("a@x.com\nb@y.org\n{}@z.net\nc@z.net\n", "c".repeat(150));
    std::fs::write(folder.path().join("long.csv"), long).unwrap();
    let output = matchkraft_in(
        &folder,
        &[
            "run",
            "email-validation",
            "--input",
            "long.csv",
            "--max-line-bytes",
            "100",
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("long.csv line 3") && stderr(&output).contains("--max-line-bytes 100"),
        "{}",
        stderr(&output)
    );

    let many = "a@x.com\n".repeat(100);
    std::fs::write(folder.path().join("many.csv"), many).unwrap();
    let output = matchkraft_in(
        &folder,
        &[
            "submit",
            "email-validation",
            "--input",
            "many.csv",
            "--max-input-bytes",
            "500",
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("many.csv") && stderr(&output).contains("--max-input-bytes 500"),
        "{}",
        stderr(&output)
    );
    // Within the limits, the same files are read.
    let output = matchkraft_in(
        &folder,
        &[
            "submit",
            "email-validation",
            "--input",
            "many.csv",
            "--max-input-bytes",
            "800",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
}
