//! The files the command writes (`--output`) and reads (`--input`) when they
//! are not plain files: symlinks, FIFOs, devices, stdout; cells a spreadsheet
//! would run as formulas; inputs without end.

use crate::common::TempDir;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;
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
fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The CSV `run email-validation john@gmail.com` writes.
const JOHN_CSV: &str = "email,status,verified,reason\r\njohn@gmail.com,valid,true,mailbox exists\r\n";

/// `run email-validation john@gmail.com --output OUTPUT`, which must succeed.
fn run_john(folder: &TempDir, output: &str) -> Output {
    let result = matchkraft_in(
        folder,
        &["run", "email-validation", "john@gmail.com", "--output", output],
    );
    assert!(result.status.success(), "{}", stderr(&result));
    result
}

/// The names in a folder, sorted, without the ledger's files.
fn names(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with("ledger.sqlite3"))
        .collect();
    names.sort();
    names
}

fn c_path(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).unwrap()
}

/// A symlink is followed: its target gets the CSV and the link stays a link
/// (and the target keeps its permissions).
#[test]
fn output_through_a_symlink_writes_its_target() {
    use std::os::unix::fs::PermissionsExt as _;
    let folder = TempDir::new("out-symlink");
    let dir = folder.path();
    std::fs::create_dir(dir.join("real")).unwrap();
    let target = dir.join("real/results.csv");
    std::fs::write(&target, "old contents\n").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink("real/results.csv", dir.join("link.csv")).unwrap();

    run_john(&folder, "link.csv");
    let link = std::fs::symlink_metadata(dir.join("link.csv")).unwrap();
    assert!(link.file_type().is_symlink(), "the symlink was replaced");
    assert_eq!(
        std::fs::read_link(dir.join("link.csv")).unwrap(),
        Path::new("real/results.csv")
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), JOHN_CSV);
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "the target's permissions changed");
    assert_eq!(names(dir), ["link.csv", "real"]);
    assert_eq!(
        names(&dir.join("real")),
        ["results.csv"],
        "a partial file was left"
    );
}

/// A symlink whose target does not exist yet (in a folder that does) is
/// followed as a shell's `>` follows it: the target is created.
#[test]
fn output_through_a_dangling_symlink_creates_its_target() {
    let folder = TempDir::new("out-dangling");
    let dir = folder.path();
    std::fs::create_dir(dir.join("exports")).unwrap();
    std::os::unix::fs::symlink(dir.join("exports/new.csv"), dir.join("latest.csv")).unwrap();

    run_john(&folder, "latest.csv");
    assert!(
        std::fs::symlink_metadata(dir.join("latest.csv"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("exports/new.csv")).unwrap(),
        JOHN_CSV
    );
    assert_eq!(names(&dir.join("exports")), ["new.csv"]);
}

/// A FIFO is written to, as a shell redirection writes: its reader gets the
/// whole CSV, and it is still a FIFO afterwards, with nothing beside it.
#[test]
fn output_into_a_fifo_streams_to_its_reader() {
    use std::io::Read as _;
    use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;
    let folder = TempDir::new("out-fifo");
    let fifo = folder.path().join("results.fifo");
    assert_eq!(
        unsafe { libc::mkfifo(c_path(&fifo).as_ptr(), 0o600) },
        0,
        "mkfifo"
    );

    // The reader holds the FIFO open (non-blocking, so that the test cannot
    // hang whatever the command does) and reads until the writer has been
    // and gone, or the command has ended.
    let ended = Arc::new(AtomicBool::new(false));
    let reader = {
        let (fifo, ended) = (fifo.clone(), ended.clone());
        std::thread::spawn(move || {
            let mut file = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&fifo)
                .unwrap();
            let (mut got, mut buffer, mut writer_seen) = (Vec::new(), [0u8; 4096], false);
            loop {
                let last_look = ended.load(Ordering::SeqCst);
                match file.read(&mut buffer) {
                    Ok(0) if writer_seen || last_look => return got,
                    Ok(0) => std::thread::sleep(Duration::from_millis(10)),
                    Ok(n) => {
                        writer_seen = true;
                        got.extend_from_slice(&buffer[..n]);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        writer_seen = true;
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    Err(e) => panic!("reading the FIFO: {e}"),
                }
            }
        })
    };
    let output = matchkraft_in(
        &folder,
        &[
            "run",
            "email-validation",
            "john@gmail.com",
            "--output",
            "results.fifo",
        ],
    );
    ended.store(true, Ordering::SeqCst);
    let got = reader.join().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(String::from_utf8_lossy(&got), JOHN_CSV);
    assert!(
        std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(),
        "no longer a FIFO"
    );
    assert_eq!(names(folder.path()), ["results.fifo"]);
}

/// A character device is written to, never replaced: a copy of /dev/full
/// fails the command (exit 1) with the reason, a copy of /dev/null takes the
/// CSV. (Copies made with mknod in the test's folder: the real /dev/full and
/// /dev/null are not the test's to risk.)
#[test]
fn output_into_a_character_device_writes_to_the_device() {
    use std::os::unix::fs::FileTypeExt as _;
    if unsafe { libc::geteuid() } != 0 {
        println!("skipped: needs root for mknod");
        return;
    }
    let folder = TempDir::new("out-device");
    let device = |name: &str, minor: u32| {
        let path = folder.path().join(name);
        let made = unsafe {
            libc::mknod(
                c_path(&path).as_ptr(),
                libc::S_IFCHR | 0o600,
                libc::makedev(1, minor),
            )
        };
        assert_eq!(made, 0, "mknod {name}: {}", std::io::Error::last_os_error());
        path
    };
    let full = device("full", 7);
    let null = device("null", 3);
    let is_device = |path: &Path| {
        std::fs::symlink_metadata(path)
            .unwrap()
            .file_type()
            .is_char_device()
    };

    let output = matchkraft_in(
        &folder,
        &["run", "email-validation", "john@gmail.com", "--output", "full"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("cannot write full") && stderr(&output).contains("No space left"),
        "{}",
        stderr(&output)
    );
    assert!(is_device(&full), "the /dev/full copy was replaced");

    run_john(&folder, "null");
    assert!(is_device(&null), "the /dev/null copy was replaced");
    assert_eq!(names(folder.path()), ["full", "null"]);
}

/// `--output -` prints the CSV on stdout (and writes no file named `-`).
#[test]
fn output_dash_is_stdout() {
    let folder = TempDir::new("out-stdout");
    let output = run_john(&folder, "-");
    assert_eq!(stdout(&output), JOHN_CSV);
    assert_eq!(names(folder.path()), Vec::<String>::new());
}

/// A file the command writes is a file it reads: `-o results.json` (the
/// `--json` document) and `-o results.csv` both go back in with `-i`, as the
/// same records.
#[test]
fn what_output_writes_input_reads_back() {
    let folder = TempDir::new("round-trip");
    let sites = ["https://one.example", "https://two.example"];
    for file in ["found.json", "found.csv"] {
        let written = matchkraft_in(
            &folder,
            &[&["run", "domain-scan", "-o", file][..], &sites].concat(),
        );
        assert!(written.status.success(), "{}", stderr(&written));
        let again = matchkraft_in(&folder, &["run", "domain-scan", "-i", file, "--json"]);
        assert!(again.status.success(), "-i {file}: {}", stderr(&again));
        let document: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
        let read: Vec<&str> = document["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["website"].as_str().unwrap())
            .collect();
        assert_eq!(read, sites, "-i {file}");
    }
    // Another job type's document is refused, saying whose it is.
    let refused = matchkraft_in(&folder, &["submit", "email-validation", "-i", "found.json"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("the document is a domain-scan job's"),
        "{}",
        stderr(&refused)
    );
}

/// Semicolons and tabs are found; `--delimiter` says it outright; a NUL byte
/// is named as such, with its line.
#[test]
fn delimiters_and_damaged_files() {
    let folder = TempDir::new("delimiters");
    std::fs::write(
        folder.path().join("leads.csv"),
        "First Name;Last Name;Website\nAda;Lovelace;https://example.com\n",
    )
    .unwrap();
    let found = matchkraft_in(&folder, &["run", "email-finder", "-i", "leads.csv", "--json"]);
    assert!(found.status.success(), "{}", stderr(&found));
    let document: serde_json::Value = serde_json::from_slice(&found.stdout).unwrap();
    assert_eq!(document["results"][0]["lastName"], "Lovelace");

    std::fs::write(folder.path().join("sites.txt"), "https://x.example/a;b\n").unwrap();
    let split = matchkraft_in(&folder, &["submit", "domain-scan", "-i", "sites.txt"]);
    assert_eq!(split.status.code(), Some(2));
    assert!(
        stderr(&split).contains("read with ';' between fields"),
        "{}",
        stderr(&split)
    );
    let given = matchkraft_in(
        &folder,
        &["submit", "domain-scan", "-i", "sites.txt", "--delimiter", ","],
    );
    assert!(given.status.success(), "{}", stderr(&given));

    std::fs::write(folder.path().join("nul.csv"), "email\na@x.com\nb\0@y.org\n").unwrap();
    let nul = matchkraft_in(&folder, &["submit", "email-validation", "-i", "nul.csv"]);
    assert_eq!(nul.status.code(), Some(2));
    assert!(
        stderr(&nul).contains("nul.csv line 3: a control character (U+0000 NUL)"),
        "{}",
        stderr(&nul)
    );
}
