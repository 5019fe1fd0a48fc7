//! A file written as the command writes CSV (the `csv` crate's writer, cells
//! guarded against formulas) reads back as the same records: any text,
//! quotes, delimiters, line breaks and formula-like starts included.

use matchkraft_input::csv::{from_csv, guard};
use matchkraft_input::{Contact, Delimiter, JobType, Records};
use proptest::prelude::*;

/// A record's text as the reader returns it: no surrounding blanks (fields
/// are trimmed), no control characters but line breaks, not empty.
fn value() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9@.=+'\"_,;|\\- \n\u{e9}\u{4e2d}-]{1,24}"
        .prop_map(|s| s.trim().to_string())
        .prop_filter("not empty", |s| !s.is_empty())
}

fn write(header: &[&str], rows: &[Vec<&str>], delimiter: Delimiter) -> String {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter.0)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer.write_record(header).unwrap();
    for row in rows {
        writer
            .write_record(row.iter().map(|field| guard(field).into_owned()))
            .unwrap();
    }
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}

fn delimiter() -> impl Strategy<Value = Delimiter> {
    proptest::sample::select(Delimiter::DETECTED.to_vec())
}

proptest! {
    #[test]
    /// One column has no delimiter to detect: read with another than it was
    /// written with, a value holding that one is refused, never split.
    fn one_column_round_trips(
        emails in proptest::collection::vec(value(), 1..20),
        delimiter in delimiter(),
        given in any::<bool>(),
    ) {
        let rows: Vec<Vec<&str>> = emails.iter().map(|e| vec![e.as_str()]).collect();
        let text = write(&["email"], &rows, delimiter);
        match from_csv(JobType::EmailValidation, &text, given.then_some(delimiter)) {
            Ok((records, places)) => {
                prop_assert_eq!(records, Records::EmailValidation(emails.clone()));
                prop_assert_eq!(places.len(), emails.len());
            }
            Err(e) => prop_assert!(
                !given && delimiter != Delimiter::COMMA && e.0.contains("fields, but the header"),
                "{e}\n{text:?}"
            ),
        }
    }

    #[test]
    fn contacts_round_trip_with_any_delimiter(
        people in proptest::collection::vec((value(), value(), value()), 1..20),
        delimiter in delimiter(),
        given in any::<bool>(),
    ) {
        let rows: Vec<Vec<&str>> = people.iter().map(|(f, l, w)| vec![f.as_str(), l.as_str(), w.as_str()]).collect();
        let text = write(&["first_name", "last_name", "website"], &rows, delimiter);
        let (records, _) = from_csv(JobType::EmailFinder, &text, given.then_some(delimiter))
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text:?}")))?;
        let expected = people
            .iter()
            .map(|(f, l, w)| Contact { first_name: f.clone(), last_name: l.clone(), website: w.clone() })
            .collect();
        prop_assert_eq!(records, Records::EmailFinder(expected));
    }
}
