//! What `matchkraft` draws when a person watches: the command runs on a real
//! pseudo-terminal (as in a terminal window), against its built-in simulator.
//!
//! On a terminal the results table is coloured and a progress line shows the
//! job's status while it runs; `NO_COLOR` removes every colour code but not
//! the progress line; `--quiet` removes the progress and informational lines.
//! The same command into a pipe is covered in `usage.rs`.

use std::fs::File;
use std::io::Read as _;
use std::os::fd::{FromRawFd as _, OwnedFd};
use std::process::Stdio;

use crate::common::TempDir;

/// A new pseudo-terminal: the controlling side, and the path of the side a
/// program uses as its terminal.
fn open_pty() -> (File, String) {
    // SAFETY: plain libc calls on a descriptor this function owns; the name
    // buffer is large enough and NUL-terminated by ptsname_r on success.
    unsafe {
        let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
        assert!(master >= 0, "posix_openpt: {}", std::io::Error::last_os_error());
        assert_eq!(libc::grantpt(master), 0, "grantpt");
        assert_eq!(libc::unlockpt(master), 0, "unlockpt");
        let mut name = [0 as libc::c_char; 256];
        assert_eq!(
            libc::ptsname_r(master, name.as_mut_ptr(), name.len()),
            0,
            "ptsname_r"
        );
        let name = std::ffi::CStr::from_ptr(name.as_ptr())
            .to_string_lossy()
            .into_owned();
        (File::from(OwnedFd::from_raw_fd(master)), name)
    }
}

/// Runs `matchkraft ARGS` with stdout and stderr on one terminal and returns
/// everything it drew (the terminal turns `\n` into `\r\n`).
fn on_terminal(args: &[&str], env: &[(&str, &str)]) -> String {
    let (mut master, slave_path) = open_pty();
    let slave = File::options().read(true).write(true).open(&slave_path).unwrap();
    let folder = TempDir::new("terminal");
    let mut command = crate::common::matchkraft();
    command
        .args(args)
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color")
        .env("MATCHKRAFT_LEDGER", folder.ledger())
        .stdin(Stdio::null())
        .stdout(slave.try_clone().unwrap())
        .stderr(slave);
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("matchkraft starts");
    // Only the child holds the terminal now, so reading ends when it exits.
    drop(command);
    let reader = std::thread::spawn(move || {
        let mut drawn = Vec::new();
        let mut buffer = [0u8; 4096];
        // Linux answers EIO once the last program on the terminal has gone.
        while let Ok(n @ 1..) = master.read(&mut buffer) {
            drawn.extend_from_slice(&buffer[..n]);
        }
        drawn
    });
    let status = child.wait().unwrap();
    let drawn = String::from_utf8_lossy(&reader.join().unwrap()).into_owned();
    assert!(status.success(), "matchkraft failed: {drawn}");
    drawn
}

/// Whether a progress line (`| 0s pending  email-validation job …`) was
/// drawn: its label form appears nowhere else. The status it shows depends on
/// how soon its thread first ran, so the status is not checked.
fn has_progress_line(drawn: &str) -> bool {
    let frame_then_clock = |frame: char| {
        drawn
            .match_indices(&format!("{frame} "))
            .any(|(at, _)| drawn[at + 2..].starts_with(|c: char| c.is_ascii_digit()))
    };
    ['|', '/', '-', '\\'].into_iter().any(frame_then_clock) && drawn.contains("  email-validation job ")
}

const RUN: [&str; 4] = ["run", "email-validation", "john@gmail.com", "test@domain.com"];

#[test]
fn a_terminal_gets_colours_and_a_progress_line() {
    let drawn = on_terminal(&RUN, &[]);
    assert!(drawn.contains("\x1b[32mvalid\x1b[0m"), "{drawn:?}");
    assert!(drawn.contains("\x1b[33mcatch-all\x1b[0m"), "{drawn:?}");
    assert!(has_progress_line(&drawn), "no progress line: {drawn:?}");
    assert!(drawn.contains("submitted job "), "{drawn:?}");
}

#[test]
fn no_color_removes_every_colour_code_but_keeps_progress() {
    let drawn = on_terminal(&RUN, &[("NO_COLOR", "1")]);
    assert!(!drawn.contains('\x1b'), "an escape code with NO_COLOR: {drawn:?}");
    assert!(drawn.contains("catch-all"), "{drawn:?}");
    assert!(has_progress_line(&drawn), "no progress line: {drawn:?}");
}

#[test]
fn quiet_leaves_only_the_results() {
    let mut args = RUN.to_vec();
    args.push("--quiet");
    let drawn = on_terminal(&args, &[]);
    assert!(
        !has_progress_line(&drawn),
        "a progress line with --quiet: {drawn:?}"
    );
    assert!(!drawn.contains("submitted job "), "{drawn:?}");
    assert!(!drawn.contains("simulator"), "{drawn:?}");
    assert!(drawn.starts_with("EMAIL"), "{drawn:?}");
}
