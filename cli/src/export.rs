//! `--output FILE`: results written to a file, as CSV (one row per result
//! record) or, for a `.json` file, the document `--json` prints.
//!
//! The CSV's first columns are the input's (`email`; `first_name`,
//! `last_name`, `website`; `website`), so the file can go straight back in as
//! `--input`, and the result columns follow. Values are written as they are
//! (`true`, not `yes`; an empty field, not `-`); a domain scan's emails share
//! one field, separated by `; `. The raw JSON of each record is in the
//! `.json` form. A cell a spreadsheet would run as a formula (one that starts
//! with `=`, `+`, `-`, `@`, a tab or a carriage return, and is not a plain
//! number) gets a `'` in front, OWASP's rule against CSV injection; the
//! command's CSV reader takes it off again ([`FORMULA_STARTS`]).
//!
//! The file is written next to its final name and renamed into place, so a
//! crash or a full disk never leaves half a file under the name asked for.

use std::borrow::Cow;
use std::io::Write as _;
use std::path::Path;

use matchkraft_host::columns::{self, Value};
use matchkraft_host::{FoundEmail, JobResults, ResultRecords};

use crate::output;

/// The first characters that make a spreadsheet run a cell as a formula
/// (OWASP: CSV injection). The CSV export puts a `'` before a cell that
/// starts with one of them (after any `'`s of its own), unless it is a plain
/// number; the CSV input reader takes that one `'` off again.
pub(crate) const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

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
        line(&mut out, fields.iter().map(|field| neutralise(field)));
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
fn line<S: AsRef<str>>(out: &mut String, fields: impl Iterator<Item = S>) {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&quote(field.as_ref()));
    }
    out.push_str("\r\n");
}

/// A value as a spreadsheet may safely see it: with a `'` in front when it
/// would start a formula ([`FORMULA_STARTS`], after any `'`s of its own, so
/// that the reader's taking one `'` off gives the value back exactly), unless
/// it is a plain number such as `-1.5`.
fn neutralise(field: &str) -> Cow<'_, str> {
    let risky = field.trim_start_matches('\'').starts_with(FORMULA_STARTS);
    if risky && !is_plain_number(field) {
        Cow::Owned(format!("'{field}"))
    } else {
        Cow::Borrowed(field)
    }
}

/// `-1.5`, `+3`, `1e5`, `.5`: an optional sign, digits with at most one
/// point, an optional exponent. (Not `inf` or `NaN`, which a spreadsheet
/// reads as text or names.)
fn is_plain_number(text: &str) -> bool {
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let rest = text.strip_prefix(['+', '-']).unwrap_or(text);
    let whole = digits(rest);
    let rest = &rest[whole..];
    let (fraction, rest) = match rest.strip_prefix('.') {
        Some(after) => {
            let n = digits(after);
            (n, &after[n..])
        }
        None => (0, rest),
    };
    if whole + fraction == 0 {
        return false;
    }
    match rest.strip_prefix(['e', 'E']) {
        None => rest.is_empty(),
        Some(exponent) => {
            let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            let n = digits(exponent);
            n > 0 && n == exponent.len()
        }
    }
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

    #[test]
    fn plain_numbers() {
        for number in ["0", "-1.5", "+3", "1e5", "-2.5E-3", ".5", "-7."] {
            assert!(is_plain_number(number), "{number}");
        }
        for text in [
            "", "-", "+", "-inf", "-NaN", "--1", "-1-1", "1+1", "-1,5", "-0x1", "- 1", "-1e",
        ] {
            assert!(!is_plain_number(text), "{text}");
        }
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
