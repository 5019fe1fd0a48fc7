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
