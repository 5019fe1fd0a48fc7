//! Reading records: arguments, CSV and JSON files, repeats.

use super::*;

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

fn finder(text: &str) -> Vec<Contact> {
    match from_text(JobType::EmailFinder, text).unwrap() {
        Records::EmailFinder(list) => list,
        other => panic!("{other:?}"),
    }
}

fn fails(job_type: JobType, text: &str) -> String {
    from_text(job_type, text).unwrap_err().0
}

#[test]
fn args_for_each_type() {
    let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        from_args(JobType::EmailValidation, &args(&[" a@x.com ", "b@y.org"])).unwrap(),
        emails(&["a@x.com", "b@y.org"])
    );
    assert_eq!(
        from_args(JobType::DomainScan, &args(&["https://x.com"])).unwrap(),
        Records::DomainScan(vec!["https://x.com".into()])
    );
    assert_eq!(
        from_args(JobType::EmailFinder, &args(&["Ada, Lovelace ,https://x.com/a,b"])).unwrap(),
        Records::EmailFinder(vec![contact("Ada", "Lovelace", "https://x.com/a,b")])
    );
    let error = from_args(
        JobType::EmailFinder,
        &args(&["Ada,Lovelace,https://x.com", "Bob"]),
    )
    .unwrap_err();
    assert_eq!(error.0, "argument 2 (\"Bob\"): expected First,Last,https://site");
}

#[test]
fn collect_needs_at_least_one_record() {
    let error = collect(JobType::EmailValidation, &[], None, Limits::default()).unwrap_err();
    assert!(error.0.starts_with("no records"), "{error}");
}

/// A file in a folder of the test's own.
fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let folder = std::env::temp_dir().join(format!("matchkraft-input-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn every_record_knows_where_it_came_from() {
    let path = temp_file("origins.csv", "Email Address\n\"a@x.com\"\nb@y.org\n");
    let input = collect(
        JobType::EmailValidation,
        &["c@z.net".into()],
        Some(&path),
        Limits::default(),
    )
    .unwrap();
    assert_eq!(input.records, emails(&["c@z.net", "a@x.com", "b@y.org"]));
    let file = path.display();
    assert_eq!(
        input.origins,
        [
            "argument 1".to_string(),
            format!("{file} line 2"),
            format!("{file} line 3")
        ]
    );
    let json = temp_file(
        "origins.json",
        r#"[{"firstName":"A","lastName":"B","website":"https://x.com"}]"#,
    );
    let input = collect(JobType::EmailFinder, &[], Some(&json), Limits::default()).unwrap();
    assert_eq!(input.origins, [format!("{} item [0]", json.display())]);
}

#[test]
fn empty_records_are_reported_with_their_lines() {
    let path = temp_file(
        "empty.csv",
        "firstName,lastName,website\nA,B,https://x.com\n,,\n\" \",,\nC,D,https://y.com\n",
    );
    let error = collect(JobType::EmailFinder, &[], Some(&path), Limits::default()).unwrap_err();
    let file = path.display();
    assert_eq!(
        error.0,
        format!(
            "2 empty record(s), with every field empty: {file} line 3, {file} line 4 \
             (remove them, or fill them in)"
        )
    );
    // A record with some fields is for the component to judge.
    assert!(collect(JobType::EmailFinder, &["Ada,,".into()], None, Limits::default()).is_ok());
}

#[test]
fn duplicates_are_found_loosely_and_dropped_only_on_request() {
    let args: Vec<String> = ["a@x.com", "b@y.org", " A@X.com", "c@z.net", "b@y.org"]
        .map(String::from)
        .to_vec();
    let input = collect(JobType::EmailValidation, &args, None, Limits::default()).unwrap();
    let found = duplicates(&input.records);
    assert_eq!(
        found,
        [Duplicate { index: 2, first: 0 }, Duplicate { index: 4, first: 1 }]
    );
    let kept = without(input, &found);
    assert_eq!(kept.records, emails(&["a@x.com", "b@y.org", "c@z.net"]));
    assert_eq!(kept.origins, ["argument 1", "argument 2", "argument 4"]);
    // Websites: a trailing slash is the same site; contacts: all three fields.
    let sites = Records::DomainScan(vec!["https://x.com/".into(), "HTTPS://X.COM".into()]);
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
fn csv_single_column_with_and_without_header() {
    let expected = emails(&["a@x.com", "b@y.org"]);
    assert_eq!(
        from_text(JobType::EmailValidation, "a@x.com\nb@y.org\n").unwrap(),
        expected
    );
    assert_eq!(
        from_text(JobType::EmailValidation, "Email\r\na@x.com\r\nb@y.org").unwrap(),
        expected
    );
    assert_eq!(
        from_text(
            JobType::EmailValidation,
            "\u{feff}email_address\na@x.com\nb@y.org\n"
        )
        .unwrap(),
        expected
    );
    assert_eq!(
        from_text(JobType::DomainScan, "Website URL\nhttps://x.com\n").unwrap(),
        Records::DomainScan(vec!["https://x.com".into()])
    );
}

#[test]
fn csv_header_picks_the_column_out_of_several() {
    let text = "name,E-Mail,notes\nAda,a@x.com,\"first, and best\"\nBob,b@y.org,\n";
    assert_eq!(
        from_text(JobType::EmailValidation, text).unwrap(),
        emails(&["a@x.com", "b@y.org"])
    );
}

#[test]
fn csv_several_columns_without_header_is_an_error() {
    assert_eq!(
        fails(JobType::EmailValidation, "a@x.com,b@y.org\n"),
        "line 1: expected one column (an email address), found 2; \
         or add a header line naming the email column"
    );
}

#[test]
fn csv_finder_header_variants() {
    let expected = vec![contact("Ada", "Lovelace", "https://x.com")];
    for header in [
        "firstName,lastName,website",
        "first_name,last_name,website",
        "First Name, Last Name, Website",
        "FIRSTNAME,LASTNAME,WEBSITE",
        "first-name,last-name,url",
    ] {
        let text = format!("{header}\nAda,Lovelace,https://x.com\n");
        assert_eq!(finder(&text), expected, "header {header:?}");
    }
    // Columns in another order, and an extra one.
    assert_eq!(
        finder("website,notes,lastName,firstName\nhttps://x.com,hi,Lovelace,Ada\n"),
        expected
    );
    // No header: exactly three columns in the documented order.
    assert_eq!(finder("Ada,Lovelace,https://x.com"), expected);
}

#[test]
fn csv_finder_errors() {
    assert_eq!(
        fails(JobType::EmailFinder, "firstName,lastName\nAda,Lovelace\n"),
        "line 1: the header has no website column (found: firstName, lastName)"
    );
    assert_eq!(
        fails(JobType::EmailFinder, "Ada,Lovelace\n"),
        "line 1: expected 3 fields (firstName,lastName,website), found 2; \
         or add a header line naming the columns"
    );
    assert_eq!(
        fails(JobType::EmailFinder, "firstName,lastName,website\nAda,Lovelace\n"),
        "line 2: expected 3 fields as in the header, found 2"
    );
}

#[test]
fn csv_quoted_fields() {
    let text = "firstName,lastName,website\n\
                \"Lovelace, Ada\",\"O\"\"Brien\",  \"https://x.com\"  \n\
                \"Multi\nLine\",B,https://y.com\n\
                C,D,https://z.com\n";
    assert_eq!(
        finder(text),
        vec![
            contact("Lovelace, Ada", "O\"Brien", "https://x.com"),
            contact("Multi\nLine", "B", "https://y.com"),
            contact("C", "D", "https://z.com"),
        ]
    );
}

#[test]
fn csv_quote_errors_name_the_line() {
    assert_eq!(
        fails(JobType::EmailValidation, "a@x.com\n\"b@y.org\n"),
        "line 2: a quoted field is never closed"
    );
    assert!(fails(JobType::EmailValidation, "\"a@x.com\"x\n").starts_with("line 1: unexpected 'x'"));
}

#[test]
fn csv_blank_lines() {
    // Around the records: ignored.
    assert_eq!(
        from_text(JobType::EmailValidation, "\n\n  \na@x.com\nb@y.org\n\n\n").unwrap(),
        emails(&["a@x.com", "b@y.org"])
    );
    // Between records: reported with the line number (a quoted multi-line
    // field before it counts its lines).
    assert_eq!(
        fails(JobType::EmailValidation, "email\na@x.com\n\nb@y.org\n"),
        "line 3: blank line between records (remove it, or put the missing record back)"
    );
    assert_eq!(
        fails(
            JobType::EmailFinder,
            "\"A\nB\",C,https://x.com\n\nD,E,https://y.com"
        ),
        "line 3: blank line between records (remove it, or put the missing record back)"
    );
    // An explicitly empty quoted field is a record (which `collect` reports
    // as empty).
    assert_eq!(
        from_text(JobType::EmailValidation, "a@x.com\n\"\"\nb@y.org").unwrap(),
        emails(&["a@x.com", "", "b@y.org"])
    );
    // Nothing at all: no records.
    assert!(from_text(JobType::EmailValidation, "\n \n").unwrap().is_empty());
}

#[test]
fn json_arrays() {
    assert_eq!(
        from_text(
            JobType::EmailValidation,
            "  [\"a@x.com\", {\"Email\": \"b@y.org\"}]"
        )
        .unwrap(),
        emails(&["a@x.com", "b@y.org"])
    );
    assert_eq!(
        from_text(
            JobType::DomainScan,
            "[\"https://x.com\", {\"url\": \"https://y.com\"}]"
        )
        .unwrap(),
        Records::DomainScan(vec!["https://x.com".into(), "https://y.com".into()])
    );
    assert_eq!(
        finder(
            r#"[{"firstName": "Ada", "lastName": "Lovelace", "website": "https://x.com"},
                {"first_name": "Bob", "last_name": "B", "website": "https://y.com", "x": 1},
                "C,D,https://z.com"]"#
        ),
        vec![
            contact("Ada", "Lovelace", "https://x.com"),
            contact("Bob", "B", "https://y.com"),
            contact("C", "D", "https://z.com"),
        ]
    );
}

#[test]
fn json_errors_name_the_item() {
    assert_eq!(
        fails(JobType::EmailValidation, "[\"a@x.com\", 3]"),
        "item [1]: expected a string, found a number"
    );
    assert_eq!(
        fails(
            JobType::EmailFinder,
            r#"[{"firstName": "Ada", "website": "https://x.com"}]"#
        ),
        "item [0]: no \"lastName\" field"
    );
    assert_eq!(
        fails(
            JobType::EmailFinder,
            r#"[{"firstName": 1, "lastName": "L", "website": "w"}]"#
        ),
        "item [0]: \"firstName\" must be a string, found a number"
    );
    assert!(fails(JobType::EmailValidation, "[\"a@x.com\",").starts_with("not valid JSON"));
}

/// The `'` the CSV export puts before a cell a spreadsheet would run as a
/// formula is taken off again, and only that one.
#[test]
fn csv_formula_guard_is_undone() {
    assert_eq!(
        from_text(
            JobType::EmailValidation,
            "email\n'=1+1@x.com\n\"'-x@y.com\"\n '+a@x.com \n'@b@x.com\n\"'\tc@x.com\"\n\"'\rd@x.com\"\n"
        )
        .unwrap(),
        emails(&[
            "=1+1@x.com",
            "-x@y.com",
            "+a@x.com",
            "@b@x.com",
            "\tc@x.com",
            "\rd@x.com"
        ])
    );
    // Any other `'` is the record's.
    assert_eq!(
        from_text(
            JobType::EmailValidation,
            "'plain@x.com\no'brien@x.com\n''=x@y.com\n"
        )
        .unwrap(),
        emails(&["'plain@x.com", "o'brien@x.com", "'=x@y.com"])
    );
    assert_eq!(
        finder("first_name,last_name,website\n'=cmd,'-x,https://x.com\n"),
        vec![contact("=cmd", "-x", "https://x.com")]
    );
}

/// A file that is not UTF-8 is refused with where the first bad byte is.
#[test]
fn invalid_utf8_names_the_line_and_the_byte() {
    let path = temp_file("latin1.csv", "");
    std::fs::write(&path, b"email\na@x.com\nren\xe9@x.com\n").unwrap();
    let error = collect(JobType::EmailValidation, &[], Some(&path), Limits::default()).unwrap_err();
    assert_eq!(
        error.0,
        format!(
            "{}: not UTF-8 text: an invalid byte on line 3 (byte offset 17); save the file as UTF-8",
            path.display()
        )
    );
}

/// Past a limit the file is not read on: the error names the limit, and for
/// a line, which one.
#[test]
fn input_limits() {
    let limits = Limits {
        max_input_bytes: 40,
        max_line_bytes: 10,
    };
    let read = |text: &[u8]| read_limited(text, None, limits, "f.csv").map(String::from_utf8);
    assert_eq!(
        read(b"a@x.com\r\nb@x.com\n").unwrap().unwrap(),
        "a@x.com\r\nb@x.com\n"
    );
    // Ten bytes is a line of the limit's length; line breaks do not count,
    // and `\r\n`, `\n` and `\r` end a line each.
    assert!(read(b"0123456789\r\n0123456789").is_ok());
    assert_eq!(
        read(b"a\r\nb\rc\n01234567890\n").unwrap_err().0,
        "f.csv line 4 is longer than --max-line-bytes 10 (a CSV file holds one record a line; \
         raise the limit if the line is right)"
    );
    assert_eq!(
        read(&[b'a'; 30]).unwrap_err().0,
        "f.csv line 1 is longer than --max-line-bytes 10 (a CSV file holds one record a line; \
         raise the limit if the line is right)"
    );
    assert_eq!(
        read(&b"a@x.com\n".repeat(6)).unwrap_err().0,
        "f.csv is larger than --max-input-bytes 40 (stopped reading there; raise the limit if the \
         file is right, or split it)"
    );
    assert!(read(&b"a@x.com\n".repeat(5)).is_ok());
    // JSON may be one long line (after a byte order mark and blanks too).
    assert!(read(b"[\"a@x.com\", \"b@x.com\"]").is_ok());
    assert!(read(b"\xEF\xBB\xBF \n [\"a@x.com\", \"b@x.com\"]").is_ok());
    // An endless input stops at the first limit it passes.
    let zeros = std::io::repeat(0);
    let error = read_limited(zeros, None, Limits::default(), "/dev/zero").unwrap_err();
    assert!(
        error
            .0
            .starts_with("/dev/zero line 1 is longer than --max-line-bytes 1048576"),
        "{error}"
    );
    let spaces = std::io::repeat(b'\n');
    let error = read_limited(spaces, None, limits, "stdin").unwrap_err();
    assert!(
        error.0.starts_with("stdin is larger than --max-input-bytes 40"),
        "{error}"
    );
}

#[test]
fn bare_domains_are_read_as_https_urls_and_said() {
    let args: Vec<String> = [
        "example.com",
        "www.acme.io/about",
        "https://kept.com",
        "not a domain",
        "localhost",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let input = collect(JobType::DomainScan, &args, None, Limits::default()).unwrap();
    assert_eq!(
        input.records,
        Records::DomainScan(vec![
            "https://example.com".into(),
            "https://www.acme.io/about".into(),
            "https://kept.com".into(),
            "not a domain".into(),
            "localhost".into(),
        ])
    );
    assert_eq!(input.notes.len(), 2);
    assert!(input.notes[0].contains("argument 1") && input.notes[0].contains("https://example.com"));
    // Other job types are left alone.
    let emails = collect(
        JobType::EmailValidation,
        &["a.b.co".to_string()],
        None,
        Limits::default(),
    )
    .unwrap();
    assert!(emails.notes.is_empty());
}
