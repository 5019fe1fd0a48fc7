//! The command's record readers (`matchkraft-input`): a file's bytes, as
//! `--input` reads them, in any format, with or without a delimiter given.
//!
//! Byte 0 picks the job type (`% 3`: 0 domain-scan, 1 email-validation, 2
//! email-finder); byte 1 the format (`% 3`: 0 by content, 1 JSON as a
//! `.json` name says, 2 CSV as a `.csv` name says) and, in `(byte / 3) % 5`,
//! the delimiter (0 detected, else `,` `;` tab `|` given); the rest is the
//! file. Checks, beyond "no panic, no overflow":
//! - reading stops within the limits, and only valid UTF-8 is parsed;
//! - records have the job type asked for, one place each, in order
//!   (`line N` rising within the file's lines for CSV, `item [i]`,
//!   `results[i]` or `records[i]` for JSON);
//! - records read from CSV, written back as the command writes CSV (the
//!   `csv` crate, cells guarded against formulas) and read again with the
//!   same delimiter, are the same records.

#![no_main]

use libfuzzer_sys::fuzz_target;
use matchkraft_input::collect::parse;
use matchkraft_input::csv::{from_csv, guard};
use matchkraft_input::limits::read_text;
use matchkraft_input::{Delimiter, Format, JobType, Limits, Records};

const LIMITS: Limits = Limits {
    max_input_bytes: 64 * 1024,
    max_line_bytes: 4 * 1024,
};

fuzz_target!(|data: &[u8]| {
    let [job_byte, format_byte, file @ ..] = data else {
        return;
    };
    let job_type = [
        JobType::DomainScan,
        JobType::EmailValidation,
        JobType::EmailFinder,
    ][usize::from(*job_byte % 3)];
    let format = [None, Some(Format::Json), Some(Format::Csv)][usize::from(*format_byte % 3)];
    let delimiter = match (format_byte / 3) % 5 {
        0 => None,
        n => Some(Delimiter::DETECTED[usize::from(n - 1)]),
    };
    let Ok(text) = read_text(file, None, format, LIMITS, "fuzz") else {
        return;
    };
    assert!(text.len() <= file.len() && std::str::from_utf8(file).is_ok());
    let Ok((records, places)) = parse(job_type, &text, format, delimiter) else {
        return;
    };
    assert_eq!(records.job_type(), job_type);
    assert_eq!(places.len(), records.len());
    let csv = format.unwrap_or_else(|| Format::from_content(text.as_bytes())) == Format::Csv;
    if csv {
        // Lines as the reader counts them: `\n`, `\r\n` or `\r` ends one.
        let lines = 1 + text.matches("\r\n").count() + text.replace("\r\n", "").matches(['\r', '\n']).count();
        let mut last = 0;
        for place in &places {
            let line: usize = place.strip_prefix("line ").expect(place).parse().expect(place);
            assert!(
                line > last && line <= lines,
                "{place} after line {last}, of {lines}"
            );
            last = line;
        }
        let delimiter = delimiter.unwrap_or_else(|| matchkraft_input::csv::detect_delimiter(&text));
        let written = write(&records, delimiter);
        let (again, _) = from_csv(job_type, &written, Some(delimiter))
            .unwrap_or_else(|e| panic!("{e}: {written:?} (read from {text:?})"));
        assert_eq!(again, records, "written as {written:?}");
    } else {
        for (i, place) in places.iter().enumerate() {
            let index = place.rsplit_once('[').map(|(_, end)| end.trim_end_matches(']'));
            assert_eq!(index, Some(i.to_string().as_str()), "{place}");
        }
    }
});

/// The records as the command writes CSV, with a header naming the columns.
fn write(records: &Records, delimiter: Delimiter) -> String {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter.0)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let header: &[&str] = match records {
        Records::EmailFinder(_) => &["first_name", "last_name", "website"],
        Records::EmailValidation(_) => &["email"],
        Records::DomainScan(_) => &["website"],
    };
    writer.write_record(header).unwrap();
    for index in 0..records.len() {
        let fields = records.fields(index);
        writer
            .write_record(fields.iter().map(|f| guard(f).into_owned()))
            .unwrap();
    }
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}
