//! `--output FILE`: results written to a file, as CSV (one row per result
//! record) or, for a `.json` file, the document `--json` prints.
//!
//! The CSV's first columns are the input's (`email`; `first_name`,
//! `last_name`, `website`; `website`), so the file can go straight back in as
//! `--input`, and the result columns follow. Values are written as they are
//! (`true`, not `yes`; an empty field, not `-`); a domain scan's emails share
//! one field, separated by `; `. The raw JSON of each record is in the
//! `.json` form.
//!
//! The file is written next to its final name and renamed into place, so a
//! crash or a full disk never leaves half a file under the name asked for.

use std::io::Write as _;
use std::path::Path;

use matchkraft_host::columns::{self, Value};
use matchkraft_host::{FoundEmail, JobResults, ResultRecords};

use crate::output;

/// Writes `results` to `path` (JSON for a `.json` name, else CSV) and
/// returns how many records it holds.
pub(crate) fn write(path: &Path, results: &JobResults) -> std::io::Result<usize> {
    let json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let text = if json {
        output::to_text(&output::results_json(results))
    } else {
        csv(&results.records)
    };
    let partial = partial_name(path);
    let written = std::fs::File::create(&partial).and_then(|mut file| {
        file.write_all(text.as_bytes())?;
        file.sync_all()
    });
    if let Err(error) = written.and_then(|()| std::fs::rename(&partial, path)) {
        let _ = std::fs::remove_file(&partial);
        return Err(error);
    }
    Ok(results.records.len())
}

/// Whether a file can be written where `path` points, tried by creating (and
/// removing) the partial file `write` would use. `Err` says why not.
pub(crate) fn check_writable(path: &Path) -> Result<(), String> {
    if path.is_dir() {
        return Err(format!("--output {}: a folder, not a file", path.display()));
    }
    let partial = partial_name(path);
    match std::fs::File::create(&partial) {
        Ok(_) => {
            let _ = std::fs::remove_file(&partial);
            Ok(())
        }
        Err(error) => Err(format!(
            "--output {}: cannot write there: {error}",
            path.display()
        )),
    }
}

/// The file next to `path` that is written first and then renamed to it.
fn partial_name(path: &Path) -> std::path::PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!(".{name}.{}.partial", std::process::id()))
}

/// The records as CSV text: a header line, then one line per record, with
/// the job type's columns ([`columns`]) in order.
pub(crate) fn csv(records: &ResultRecords) -> String {
    let columns = columns::columns(records.job_type());
    let mut out = String::new();
    line(&mut out, columns.iter().flat_map(|c| c.csv.iter().copied()));
    for row in columns::rows(records) {
        let fields: Vec<String> = row.values.into_iter().flat_map(fields).collect();
        line(&mut out, fields.iter().map(String::as_str));
    }
    out
}

/// One value as CSV fields, as written (`true`, not `yes`; empty when
/// missing). A domain scan's emails spread over three fields (addresses,
/// kinds, verified), each joining the emails' values with `; `.
fn fields(value: Value<'_>) -> Vec<String> {
    let flag = |flag: Option<bool>| flag.map(|v| v.to_string()).unwrap_or_default();
    match value {
        Value::Text(text) => vec![text.unwrap_or_default().to_string()],
        Value::Flag(value) => vec![flag(value)],
        Value::Number(number) => vec![number.map(|n| n.to_string()).unwrap_or_default()],
        Value::Status(status) => vec![status.map(|s| s.as_str().to_string()).unwrap_or_default()],
        Value::Emails(emails) => {
            let join = |field: &dyn Fn(&FoundEmail) -> String| {
                emails.iter().map(field).collect::<Vec<_>>().join("; ")
            };
            vec![
                join(&|e| e.email.clone()),
                join(&|e| e.kind.clone().unwrap_or_default()),
                join(&|e| flag(e.verified)),
            ]
        }
    }
}

/// One CSV line (RFC 4180, `\r\n` as the RFC and spreadsheets expect).
fn line<'a>(out: &mut String, fields: impl Iterator<Item = &'a str>) {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&quote(field));
    }
    out.push_str("\r\n");
}

/// A field quoted when it must be: a separator, quote or line break inside,
/// or spaces at either end (which readers, this command's among them, trim
/// from unquoted fields).
fn quote(field: &str) -> String {
    let needs = field.contains([',', '"', '\n', '\r']) || field.trim() != field;
    if needs {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

#[cfg(test)]
mod tests {
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
        assert_eq!(
            csv(&finder),
            "first_name,last_name,website,email,confidence\r\n\" Ada\",Lovelace,https://example.com,,87.5\r\n"
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
             https://example.com,example.com,info@example.com; ada@example.com,\"generic; \",\"true; \"\r\n"
        );
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
        let value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
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
}
