//! The unit tests of `export`.

use super::*;
use matchkraft_host::{
    DomainScanResult, EmailFinderResult, EmailStatus, EmailValidationResult, FoundEmail, Job, JobStatus,
    JobType,
};

#[test]
fn validation_rows_start_with_the_input_column() {
    let records = ResultRecords::EmailValidation(vec![
        EmailValidationResult {
            email: Some("ada@example.com".into()),
            status: Some(EmailStatus::Valid),
            verified: Some(true),
            reason: None,
            raw: "{}".into(),
        },
        EmailValidationResult {
            email: Some("x@y.com".into()),
            status: Some(EmailStatus::Other("GREYLISTED".into())),
            verified: None,
            reason: Some("said \"later\",\nmaybe".into()),
            raw: "{}".into(),
        },
    ]);
    assert_eq!(
        csv(&records),
        "email,status,verified,reason\r\n\
         ada@example.com,valid,true,\r\n\
         x@y.com,GREYLISTED,,\"said \"\"later\"\",\nmaybe\"\r\n"
    );
}

#[test]
fn finder_and_domain_scan_columns() {
    let finder = ResultRecords::EmailFinder(vec![EmailFinderResult {
        first_name: Some(" Ada".into()),
        last_name: Some("Lovelace".into()),
        website: Some("https://example.com".into()),
        email: None,
        confidence: Some(87.5),
        raw: "{}".into(),
    }]);
    // Spaces are part of a field in RFC 4180, quoted or not (the `csv`
    // crate quotes only delimiters, quotes and line breaks).
    assert_eq!(
        csv(&finder),
        "first_name,last_name,website,email,confidence\r\n Ada,Lovelace,https://example.com,,87.5\r\n"
    );
    let scan = ResultRecords::DomainScan(vec![DomainScanResult {
        website: Some("https://example.com".into()),
        domain: Some("example.com".into()),
        emails: vec![
            FoundEmail {
                email: "info@example.com".into(),
                kind: Some("generic".into()),
                verified: Some(true),
            },
            FoundEmail {
                email: "ada@example.com".into(),
                kind: None,
                verified: None,
            },
        ],
        raw: "{}".into(),
    }]);
    assert_eq!(
        csv(&scan),
        "website,domain,emails,email_kinds,emails_verified\r\n\
         https://example.com,example.com,info@example.com; ada@example.com,generic; ,true; \r\n"
    );
}

/// Cells a spreadsheet would run as a formula get a `'` in front
/// (OWASP's rule for CSV injection); numbers and other text do not.
#[test]
fn formula_like_cells_are_neutralised() {
    let result = |email: &str, reason: &str| EmailValidationResult {
        email: Some(email.into()),
        status: Some(EmailStatus::Other("-".into())),
        verified: None,
        reason: Some(reason.into()),
        raw: "{}".into(),
    };
    let records = ResultRecords::EmailValidation(vec![
        result("=1+1@x.com", "+SUM(A1)"),
        result("@x.com", "\tcmd"),
        result("a@x.com", "\r=x"),
        result("-1.5", "+3"),
        result("a=b@x.com", "-"),
    ]);
    assert_eq!(
        csv(&records),
        "email,status,verified,reason\r\n\
         '=1+1@x.com,'-,,'+SUM(A1)\r\n\
         '@x.com,'-,,'\tcmd\r\n\
         a@x.com,'-,,\"'\r=x\"\r\n\
         -1.5,'-,,+3\r\n\
         a=b@x.com,'-,,'-\r\n"
    );
    let finder = ResultRecords::EmailFinder(vec![EmailFinderResult {
        first_name: Some("=HYPERLINK(\"http://x\")".into()),
        last_name: Some("@me".into()),
        website: Some("https://x.com".into()),
        email: None,
        confidence: Some(-2.0),
        raw: "{}".into(),
    }]);
    assert_eq!(
        csv(&finder),
        "first_name,last_name,website,email,confidence\r\n\
         \"'=HYPERLINK(\"\"http://x\"\")\",'@me,https://x.com,,-2\r\n"
    );
}

/// A folder of the test's own, emptied first.
fn test_folder(name: &str) -> std::path::PathBuf {
    let folder = std::env::temp_dir().join(format!("matchkraft-export-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

fn names(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn no_results() -> JobResults {
    JobResults {
        job: Job {
            id: "j".into(),
            name: None,
            job_type: JobType::EmailValidation,
            status: JobStatus::Completed,
            progress: None,
        },
        records: ResultRecords::EmailValidation(vec![]),
    }
}

/// Symlinks are followed (dangling ones to the name they would create);
/// what is neither a file nor a folder is written to, not replaced.
#[cfg(unix)]
#[test]
fn targets_follow_symlinks() {
    let folder = test_folder("targets");
    let file = folder.join("file.csv");
    std::fs::write(&file, "x").unwrap();
    std::os::unix::fs::symlink("file.csv", folder.join("link")).unwrap();
    std::os::unix::fs::symlink("link", folder.join("link-to-link")).unwrap();
    std::os::unix::fs::symlink(folder.join("sub/new.csv"), folder.join("dangling")).unwrap();
    std::os::unix::fs::symlink("loop", folder.join("loop")).unwrap();
    std::fs::create_dir(folder.join("sub")).unwrap();
    let fifo = folder.join("fifo");
    let c_fifo = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c_fifo.as_ptr(), 0o600) }, 0);

    assert_eq!(target(&file).unwrap(), Target::Replace(file.clone()));
    assert_eq!(
        target(&folder.join("new")).unwrap(),
        Target::Replace(folder.join("new"))
    );
    assert_eq!(
        target(&folder.join("link")).unwrap(),
        Target::Replace(file.clone())
    );
    assert_eq!(
        target(&folder.join("link-to-link")).unwrap(),
        Target::Replace(file.clone())
    );
    assert_eq!(
        target(&folder.join("dangling")).unwrap(),
        Target::Replace(folder.join("sub/new.csv"))
    );
    assert_eq!(target(&fifo).unwrap(), Target::Stream(fifo.clone()));
    assert_eq!(
        target(&folder.join("sub")).unwrap_err().kind(),
        io::ErrorKind::IsADirectory
    );
    assert!(target(&folder.join("loop")).is_err());

    // The check before a job is sent neither waits for the FIFO's reader
    // nor leaves anything beside it.
    assert_eq!(check_writable(&fifo), Ok(()));
    assert_eq!(check_writable(Path::new("-")), Ok(()));
    assert_eq!(
        names(&folder),
        [
            "dangling",
            "fifo",
            "file.csv",
            "link",
            "link-to-link",
            "loop",
            "sub"
        ]
    );
    std::fs::remove_dir_all(&folder).unwrap();
}

/// A file replaced keeps its permissions (a private file stays private),
/// and a partial file left by a crashed process of the same id is no
/// obstacle.
#[cfg(unix)]
#[test]
fn a_replaced_file_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt as _;
    let folder = test_folder("permissions");
    let path = folder.join("private.csv");
    std::fs::write(&path, "old").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(partial_name(&path), "left by a crash").unwrap();
    write(&path, &no_results()).unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "email,status,verified,reason\r\n"
    );
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(names(&folder), ["private.csv"]);
    std::fs::remove_dir_all(&folder).unwrap();
}

#[test]
fn write_replaces_the_file_whole_and_leaves_no_partial_file() {
    let folder = std::env::temp_dir().join(format!("matchkraft-export-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join("out.csv");
    std::fs::write(
        &path,
        "old contents that are longer than the new ones\n".repeat(10),
    )
    .unwrap();
    let results = JobResults {
        job: Job {
            id: "j".into(),
            name: None,
            job_type: JobType::EmailValidation,
            status: JobStatus::Completed,
            progress: None,
        },
        records: ResultRecords::EmailValidation(vec![]),
    };
    assert_eq!(write(&path, &results).unwrap(), 0);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "email,status,verified,reason\r\n"
    );
    let json = folder.join("out.JSON");
    write(&json, &results).unwrap();
    let value: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(value["jobId"], "j");
    let names: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    // A folder that does not exist: an error, and nothing left behind.
    assert!(write(&folder.join("missing/out.csv"), &results).is_err());
    assert!(check_writable(&folder.join("new.csv")).is_ok());
    assert!(
        check_writable(&folder.join("missing/out.csv"))
            .unwrap_err()
            .contains("cannot write there")
    );
    assert!(
        check_writable(&folder)
            .unwrap_err()
            .contains("a folder, not a file")
    );
    std::fs::remove_dir_all(&folder).unwrap();
}
