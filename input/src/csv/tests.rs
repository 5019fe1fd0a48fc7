//! CSV: columns, headers, delimiters, quoting, blank lines, formula guards.

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

fn read(job_type: JobType, text: &str) -> Result<Records, InputError> {
    from_csv(job_type, text, None).map(|(records, _)| records)
}

fn finder(text: &str) -> Vec<Contact> {
    match read(JobType::EmailFinder, text).unwrap() {
        Records::EmailFinder(list) => list,
        other => panic!("{other:?}"),
    }
}

fn fails(job_type: JobType, text: &str) -> String {
    read(job_type, text).unwrap_err().0
}

#[test]
fn single_column_with_and_without_header() {
    let expected = emails(&["a@x.com", "b@y.org"]);
    assert_eq!(
        read(JobType::EmailValidation, "a@x.com\nb@y.org\n").unwrap(),
        expected
    );
    assert_eq!(
        read(JobType::EmailValidation, "Email\r\na@x.com\r\nb@y.org").unwrap(),
        expected
    );
    assert_eq!(
        read(
            JobType::EmailValidation,
            "\u{feff}email_address\na@x.com\nb@y.org\n"
        )
        .unwrap(),
        expected
    );
    assert_eq!(
        read(JobType::DomainScan, "Website URL\nhttps://x.com\n").unwrap(),
        Records::DomainScan(vec!["https://x.com".into()])
    );
}

#[test]
fn header_picks_the_column_out_of_several() {
    let text = "name,E-Mail,notes\nAda,a@x.com,\"first, and best\"\nBob,b@y.org,\n";
    assert_eq!(
        read(JobType::EmailValidation, text).unwrap(),
        emails(&["a@x.com", "b@y.org"])
    );
}

#[test]
fn several_columns_without_header_is_an_error_naming_the_delimiter() {
    assert_eq!(
        fails(JobType::EmailValidation, "a@x.com,b@y.org\n"),
        "line 1: expected one column (an email address), found 2 (read with ',' between fields; \
         --delimiter gives another); or add a header line naming the email column"
    );
}

#[test]
fn finder_header_variants() {
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
fn finder_errors() {
    assert_eq!(
        fails(JobType::EmailFinder, "firstName,lastName\nAda,Lovelace\n"),
        "line 1: the header has no website column (found: firstName, lastName; read with ',' between \
         fields)"
    );
    assert_eq!(
        fails(JobType::EmailFinder, "Ada,Lovelace\n"),
        "line 1: expected 3 fields (firstName, lastName, website), found 2 (read with ',' between \
         fields; --delimiter gives another); or add a header line naming the columns"
    );
    assert_eq!(
        fails(JobType::EmailFinder, "firstName,lastName,website\nAda,Lovelace\n"),
        "line 2: expected 3 fields as in the header, found 2 (read with ',' between fields)"
    );
}

/// Semicolons (spreadsheets in much of Europe), tabs and pipes are found
/// without being named, and named in errors.
#[test]
fn delimiters_are_detected() {
    let expected = vec![
        contact("Ada", "Lovelace", "https://x.com"),
        contact("Bob, Jr", "B", "https://y.com"),
    ];
    for (delimiter, text) in [
        (
            ';',
            "firstName;lastName;website\nAda;Lovelace;https://x.com\n\"Bob, Jr\";B;https://y.com\n",
        ),
        (
            '\t',
            "firstName\tlastName\twebsite\nAda\tLovelace\thttps://x.com\nBob, Jr\tB\thttps://y.com\n",
        ),
        ('|', "Ada|Lovelace|https://x.com\r\nBob, Jr|B|https://y.com\r\n"),
    ] {
        assert_eq!(finder(text), expected, "delimiter {delimiter:?}");
    }
    // One column needs none; a comma inside a quoted field is not one.
    assert_eq!(detect_delimiter("email\na@x.com\n"), Delimiter::COMMA);
    assert_eq!(detect_delimiter("\"a,b\";c\n\"d,e\";f"), Delimiter::SEMICOLON);
    // A tie goes to the comma; lines that disagree fall back to the first
    // line's most frequent.
    assert_eq!(detect_delimiter("a,b;c\nd,e;f"), Delimiter::COMMA);
    assert_eq!(detect_delimiter("a;b;c,d\ne;f"), Delimiter::SEMICOLON);
    assert_eq!(
        fails(JobType::EmailFinder, "Ada;Lovelace\nBob;B\n"),
        "line 1: expected 3 fields (firstName, lastName, website), found 2 (read with ';' between \
         fields; --delimiter gives another); or add a header line naming the columns"
    );
}

#[test]
fn a_given_delimiter_is_used() {
    let text = "https://x.com/a;b\nhttps://y.com/c;d\n";
    assert!(read(JobType::DomainScan, text).is_err(), "detected as ';'");
    let (records, _) = from_csv(JobType::DomainScan, text, Some(Delimiter::COMMA)).unwrap();
    assert_eq!(
        records,
        Records::DomainScan(vec!["https://x.com/a;b".into(), "https://y.com/c;d".into()])
    );
}

#[test]
fn quoted_fields() {
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
    // Blanks before an opening quote, as people write them.
    assert_eq!(
        finder("Ada, \"Lovelace, Jr\", https://x.com"),
        vec![contact("Ada", "Lovelace, Jr", "https://x.com")]
    );
}

#[test]
fn quote_errors_name_the_line() {
    assert_eq!(
        fails(JobType::EmailValidation, "a@x.com\n\"b@y.org\n"),
        "line 2: a quoted field is never closed"
    );
    assert!(fails(JobType::EmailValidation, "\"a@x.com\"x\n").starts_with("line 1: unexpected 'x'"));
}

#[test]
fn places_are_lines_as_written() {
    let (_, places) = from_csv(
        JobType::EmailFinder,
        "firstName,lastName,website\r\n\"A\r\nB\",C,https://x.com\r\nD,E,https://y.com\rF,G,https://z.com",
        None,
    )
    .unwrap();
    assert_eq!(places, ["line 2", "line 4", "line 5"]);
}

#[test]
fn blank_lines() {
    // Around the records: ignored.
    assert_eq!(
        read(JobType::EmailValidation, "\n\n  \na@x.com\nb@y.org\n\n\n").unwrap(),
        emails(&["a@x.com", "b@y.org"])
    );
    // Between records: reported with the line number (a quoted multi-line
    // field before it counts its lines).
    let blank = |line: usize| {
        format!("line {line}: blank line between records (remove it, or put the missing record back)")
    };
    assert_eq!(
        fails(JobType::EmailValidation, "email\na@x.com\n\nb@y.org\n"),
        blank(3)
    );
    assert_eq!(
        fails(
            JobType::EmailValidation,
            "email\r\na@x.com\r\n\r\n\r\nb@y.org\r\n"
        ),
        blank(3)
    );
    assert_eq!(
        fails(JobType::EmailValidation, "email\na@x.com\n   \nb@y.org\n"),
        blank(3)
    );
    assert_eq!(
        fails(
            JobType::EmailFinder,
            "\"A\nB\",C,https://x.com\n\nD,E,https://y.com"
        ),
        blank(3)
    );
    // An explicitly empty quoted field is a record (which `collect` reports
    // as empty).
    assert_eq!(
        read(JobType::EmailValidation, "a@x.com\n\"\"\nb@y.org").unwrap(),
        emails(&["a@x.com", "", "b@y.org"])
    );
    // With tabs between fields, a line of tabs is a row of empty fields
    // (found by the fuzzer: it was taken for a blank line).
    assert_eq!(
        read(JobType::EmailFinder, "first_name\tlast_name\twebsite\r\n\t\t\r\n").unwrap(),
        Records::EmailFinder(vec![Contact::default()])
    );
    // Nothing at all: no records.
    assert!(read(JobType::EmailValidation, "\n \n").unwrap().is_empty());
}

/// The `'` the CSV export puts before a cell a spreadsheet would run as a
/// formula is taken off again, and only that one.
#[test]
fn formula_guard_is_undone() {
    assert_eq!(
        read(
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
        read(
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
