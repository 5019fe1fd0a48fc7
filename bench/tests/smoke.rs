//! The benchmark harness runs end to end and prints every figure.
//!
//! A smoke run, not a measurement: it checks that each row of the table is
//! there with a number, never what the number is (timings belong in the
//! benchmark's output, not in assertions). Running it as a test builds the
//! harness with the rest of the workspace's tests, with the same features,
//! instead of a second build of wasmtime for `cargo run`.

use std::process::Command;

#[test]
fn smoke_run_prints_every_row_with_figures() {
    let output = Command::new(env!("CARGO_BIN_EXE_matchkraft-bench"))
        .arg("--smoke")
        .output()
        .expect("the bench harness starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the harness failed:\n{stdout}\n{stderr}");
    println!("{stdout}");
    let rows = [
        "component size (as shipped)",
        "compile (Component::new)",
        "load precompiled (Component::deserialize)",
        "instantiate, on-demand allocator",
        "instantiate, pooling allocator",
        "status call vs native new connection",
        "status call vs native keep-alive",
        "status call, pooling off, vs native new connection",
        "status call, pooling off, vs native keep-alive",
        "records: submit",
        "records: results",
        "records: guest peak linear memory",
        "at a time vs native new connection",
        "at a time vs native keep-alive",
        "at a time, pooling off, vs native new connection",
        "at a time, pooling off, vs native keep-alive",
    ];
    assert!(
        stdout.contains("- loading it from the compiled cache: "),
        "no CLI start-up figures in:\n{stdout}"
    );
    for row in rows {
        let line = stdout
            .lines()
            .find(|line| line.contains(row))
            .unwrap_or_else(|| panic!("no {row:?} row in:\n{stdout}"));
        assert!(
            line.split(row)
                .nth(1)
                .is_some_and(|rest| rest.chars().any(|c| c.is_ascii_digit())),
            "the {row:?} row has no figure: {line}"
        );
    }
}
