//! Collecting a job's records: origins, empty records, control characters,
//! formats by name and content, repeats, bare domains.

use std::path::PathBuf;

use super::*;
use crate::records::Contact;

fn contact(first: &str, last: &str, website: &str) -> Contact {
    Contact {
        first_name: first.into(),
        last_name: last.into(),
        website: website.into(),
    }
}

fn emails(list: &[&str]) -> Records {
    Records::EmailValidation(list.iter().map(|s| s.to_string()).collect())
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// A file named `name` holding `bytes`, in a folder removed with the guard.
fn file(name: &str, bytes: impl AsRef<[u8]>) -> (tempfile::TempDir, PathBuf) {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    (folder, path)
}

fn from_file(job_type: JobType, path: &Path) -> Result<Input, InputError> {
    collect(job_type, &[], Some(path), Options::default())
}

#[test]
fn collect_needs_at_least_one_record() {
    let error = collect(JobType::EmailValidation, &[], None, Options::default()).unwrap_err();
    assert!(error.0.starts_with("no records"), "{error}");
}

#[test]
fn every_record_knows_where_it_came_from() {
    let (_folder, path) = file("origins.csv", "Email Address\n\"a@x.com\"\nb@y.org\n");
    let input = collect(
        JobType::EmailValidation,
        &strings(&["c@z.net"]),
        Some(&path),
        Options::default(),
    )
    .unwrap();
    assert_eq!(input.records, emails(&["c@z.net", "a@x.com", "b@y.org"]));
    let name = path.display();
    assert_eq!(
        input.origins,
        [
            "argument 1".to_string(),
            format!("{name} line 2"),
            format!("{name} line 3")
        ]
    );
    let (_folder, json) = file(
        "origins.json",
        r#"[{"firstName":"A","lastName":"B","website":"https://x.com"}]"#,
    );
    let input = from_file(JobType::EmailFinder, &json).unwrap();
    assert_eq!(input.origins, [format!("{} item [0]", json.display())]);
}

#[test]
fn errors_name_the_file_once() {
    let (_folder, path) = file("bad.csv", "a@x.com,b@y.org\n");
    let error = from_file(JobType::EmailValidation, &path).unwrap_err().0;
    assert!(
        error.starts_with(&format!("{}: line 1: expected one column", path.display())),
        "{error}"
    );
    let missing = path.with_file_name("missing.csv");
    let error = from_file(JobType::EmailValidation, &missing).unwrap_err().0;
    assert!(
        error.starts_with(&format!("cannot read {}: ", missing.display())),
        "{error}"
    );
    let (_folder, latin1) = file("latin1.csv", b"a@x.com\nren\xe9@x.com\n");
    let error = from_file(JobType::EmailValidation, &latin1).unwrap_err().0;
    assert_eq!(
        error,
        format!(
            "{}: not UTF-8 text: an invalid byte on line 2 (byte offset 11); save the file as UTF-8",
            latin1.display()
        )
    );
}

#[test]
fn empty_records_are_reported_with_their_lines() {
    let (_folder, path) = file(
        "empty.csv",
        "firstName,lastName,website\nA,B,https://x.com\n,,\n\" \",,\nC,D,https://y.com\n",
    );
    let error = from_file(JobType::EmailFinder, &path).unwrap_err();
    let name = path.display();
    assert_eq!(
        error.0,
        format!(
            "2 empty record(s), with every field empty: {name} line 3, {name} line 4 \
             (remove them, or fill them in)"
        )
    );
    // A record with some fields is for the component to judge.
    assert!(
        collect(
            JobType::EmailFinder,
            &strings(&["Ada,,"]),
            None,
            Options::default()
        )
        .is_ok()
    );
}

/// A NUL or an escape in a record is named, with the record's place, rather
/// than sent (the API would call it "whitespace", or print it raw).
#[test]
fn control_characters_are_refused_with_where() {
    let (_folder, csv) = file("nul.csv", "email\na@x.com\nb\0@y.org\n");
    assert_eq!(
        from_file(JobType::EmailValidation, &csv).unwrap_err().0,
        format!(
            "{} line 3: a control character (U+0000 NUL) at character 2 of \"b\\0@y.org\"; remove it \
             (a damaged or binary file?)",
            csv.display()
        )
    );
    let (_folder, json) = file(
        "esc.json",
        r#"[{"firstName": "A\u001b[31m", "lastName": "B", "website": "w"}]"#,
    );
    let error = from_file(JobType::EmailFinder, &json).unwrap_err().0;
    assert!(
        error.contains("item [0]: a control character (U+001B ESC) at character 2"),
        "{error}"
    );
    let error = collect(
        JobType::DomainScan,
        &strings(&["x.com\u{9b}"]),
        None,
        Options::default(),
    )
    .unwrap_err()
    .0;
    assert!(
        error.starts_with("argument 1: a control character (U+009B)"),
        "{error}"
    );
    // Tabs and line breaks are whitespace, the component's to report.
    assert!(
        collect(
            JobType::EmailValidation,
            &strings(&["a\t@x.com"]),
            None,
            Options::default()
        )
        .is_ok()
    );
}

/// A file the command writes is a file it reads: `-o x.json` back in with
/// `-i x.json`, whatever its first character; a `.csv` is CSV even when it
/// starts with `[`; a `.tsv` is read with tabs.
#[test]
fn formats_by_name_then_content() {
    let document = r#"{"jobId": "j", "jobType": "email-validation", "status": "completed",
        "results": [{"email": "a@x.com", "status": "valid", "raw": {}}]}"#;
    let (_folder, json) = file("results.json", document);
    assert_eq!(
        from_file(JobType::EmailValidation, &json).unwrap().records,
        emails(&["a@x.com"])
    );
    let (_folder, unnamed) = file("results", document);
    assert_eq!(
        from_file(JobType::EmailValidation, &unnamed).unwrap().records,
        emails(&["a@x.com"])
    );
    let (_folder, bracket) = file("odd.csv", "[a]@x.com\n");
    assert_eq!(
        from_file(JobType::EmailValidation, &bracket).unwrap().records,
        emails(&["[a]@x.com"])
    );
    let (_folder, named_json) = file("list.json", "a@x.com\n");
    assert!(
        from_file(JobType::EmailValidation, &named_json)
            .unwrap_err()
            .0
            .contains("not valid JSON")
    );
    let (_folder, tsv) = file("leads.tsv", "Ada\tLovelace\thttps://x.com, the site\n");
    assert_eq!(
        from_file(JobType::EmailFinder, &tsv).unwrap().records,
        Records::EmailFinder(vec![contact("Ada", "Lovelace", "https://x.com, the site")])
    );
    let (_folder, given) = file("leads.txt", "a@x.com;b\n");
    let options = Options {
        delimiter: Some(Delimiter::COMMA),
        ..Options::default()
    };
    let input = collect(JobType::EmailValidation, &[], Some(&given), options).unwrap();
    assert_eq!(input.records, emails(&["a@x.com;b"]));
}

#[test]
fn duplicates_are_found_loosely_and_dropped_only_on_request() {
    let args = strings(&["a@x.com", "b@y.org", " A@X.com", "c@z.net", "b@y.org"]);
    let input = collect(JobType::EmailValidation, &args, None, Options::default()).unwrap();
    let found = duplicates(&input.records);
    assert_eq!(
        found,
        [Duplicate { index: 2, first: 0 }, Duplicate { index: 4, first: 1 }]
    );
    let kept = without(input, &found);
    assert_eq!(kept.records, emails(&["a@x.com", "b@y.org", "c@z.net"]));
    assert_eq!(kept.origins, ["argument 1", "argument 2", "argument 4"]);
    // Websites: a trailing slash is the same site; contacts: all three fields.
    let sites = Records::DomainScan(strings(&["https://x.com/", "HTTPS://X.COM"]));
    assert_eq!(duplicates(&sites), [Duplicate { index: 1, first: 0 }]);
    let people = Records::EmailFinder(vec![
        contact("Ada", "Lovelace", "https://x.com"),
        contact("Ada", "Byron", "https://x.com"),
        contact("ada", "LOVELACE", "https://x.com/"),
    ]);
    assert_eq!(duplicates(&people), [Duplicate { index: 2, first: 0 }]);
}

#[test]
fn list_some_stops_at_five() {
    assert_eq!(list_some(&["a", "b"]), "a, b");
    assert_eq!(
        list_some(&["1", "2", "3", "4", "5", "6", "7"]),
        "1, 2, 3, 4, 5 and 2 more"
    );
}

#[test]
fn bare_domains_are_read_as_https_urls_and_said() {
    let args = strings(&[
        "example.com",
        "www.acme.io/about",
        "https://kept.com",
        "not a domain",
        "localhost",
    ]);
    let input = collect(JobType::DomainScan, &args, None, Options::default()).unwrap();
    assert_eq!(
        input.records,
        Records::DomainScan(strings(&[
            "https://example.com",
            "https://www.acme.io/about",
            "https://kept.com",
            "not a domain",
            "localhost",
        ]))
    );
    assert_eq!(input.notes.len(), 2);
    assert!(input.notes[0].contains("argument 1") && input.notes[0].contains("https://example.com"));
    // Other job types are left alone.
    let emails = collect(
        JobType::EmailValidation,
        &strings(&["a.b.co"]),
        None,
        Options::default(),
    )
    .unwrap();
    assert!(emails.notes.is_empty());
}
