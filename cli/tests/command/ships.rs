//! What the command hands out: the component it runs, the relay and the WIT
//! package (`matchkraft component`), and its manual page (`matchkraft man`).

use std::process::Stdio;

use crate::common::{TempDir, matchkraft};
use sha2::{Digest as _, Sha256};

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn component_writes_what_the_command_runs_and_its_sha256() {
    let dir = TempDir::new("component");
    for (flag, expected) in [
        (None, matchkraft_artifacts::COMPONENT),
        (Some("--relay"), matchkraft_artifacts::RELAY_COMPONENT),
    ] {
        let file = dir.path().join("out.wasm");
        let output = matchkraft()
            .arg("component")
            .args(flag)
            .args(["-o", file.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let written = std::fs::read(&file).unwrap();
        assert!(written == expected, "{flag:?}: not the embedded bytes");
        assert_eq!(
            String::from_utf8(output.stdout).unwrap(),
            format!("{}  {}\n", sha256_hex(expected), file.display())
        );
    }
    // Into a pipe, the bytes themselves.
    let piped = matchkraft()
        .args(["component", "-o", "-"])
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(piped.stdout == matchkraft_artifacts::COMPONENT);
    assert!(String::from_utf8_lossy(&piped.stderr).contains(&sha256_hex(matchkraft_artifacts::COMPONENT)));
}

#[test]
fn component_wit_is_the_binary_wit_package() {
    let dir = TempDir::new("wit");
    let file = dir.path().join("matchkraft.wasm");
    let output = matchkraft()
        .args(["component", "--wit", "-o", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let bytes = std::fs::read(&file).unwrap();
    // (The build checks that it decodes back to `matchkraft:client`.)
    assert!(bytes == matchkraft_artifacts::WIT_PACKAGE);
    assert!(bytes.starts_with(b"\0asm\x0d\0\x01\0"), "not a component binary");
    for name in ["matchkraft:client/api@0.1.0", "matchkraft:client/types@0.1.0"] {
        assert!(
            bytes.windows(name.len()).any(|w| w == name.as_bytes()),
            "no {name}"
        );
    }
    assert!(
        String::from_utf8(output.stdout)
            .unwrap()
            .starts_with(&sha256_hex(&bytes))
    );
}

#[test]
fn man_prints_the_page_of_the_command_and_of_each_subcommand() {
    let output = matchkraft().arg("man").output().unwrap();
    assert!(output.status.success());
    let page = String::from_utf8(output.stdout).unwrap();
    assert!(page.contains(".TH matchkraft 1"), "{page}");
    for sub in ["run", "submit", "simulator", "component", "man", "jobs"] {
        assert!(page.contains(sub), "no {sub} in the page");
    }
    let run = matchkraft().args(["man", "run"]).output().unwrap();
    assert!(String::from_utf8_lossy(&run.stdout).contains(".TH matchkraft-run 1"));
    let wrong = matchkraft().args(["man", "nope"]).output().unwrap();
    assert_eq!(wrong.status.code(), Some(2));
}
