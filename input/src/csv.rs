//! CSV input, read with the `csv` crate.
//!
//! - The delimiter is `,`, `;`, a tab or `|`, found in the first lines
//!   ([`detect_delimiter`]), unless it is given (`--delimiter`, or a `.tsv`
//!   name); errors about fields name it.
//! - For the email finder, a header naming the columns (`firstName,lastName,
//!   website`, in any case, with `_`, `-` or spaces allowed, in any order,
//!   among others) or exactly three columns in that order; otherwise one
//!   column of emails or URLs, with an optional header (`email`, `website`,
//!   `url`, …) that may also pick that column out of several.
//! - Fields are trimmed. Quoting is RFC 4180's (`""` for a quote; quoted
//!   fields may hold delimiters and line breaks), checked before reading
//!   ([`quotes`]): a quote never closed, or text after a closing quote, is an
//!   error with its line rather than a record silently read otherwise.
//! - Blank lines before the first and after the last record are ignored; a
//!   blank line between records is an error, since it usually means a record
//!   was lost.
//! - Each record keeps the line it starts on. A field the CSV export guarded
//!   against spreadsheet formulas (`'=…`) loses its `'` ([`unguard`]).

mod formula;
mod quotes;

pub use formula::{FORMULA_STARTS, guard, is_plain_number, unguard};

use std::ops::Range;

use crate::error::{InputError, error};
use crate::format::Delimiter;
use crate::names::{FIRST_NAME, LAST_NAME, WEBSITE, camel, normalize, single_column_names};
use crate::records::{Contact, JobType, Records};

/// One CSV record and the line it starts on (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Row {
    line: usize,
    fields: Vec<String>,
    blank: bool,
}

/// Records from CSV text, each with its place (`line 7`). `delimiter` is
/// detected when not given.
pub fn from_csv(
    job_type: JobType,
    text: &str,
    delimiter: Option<Delimiter>,
) -> Result<(Records, Vec<String>), InputError> {
    let delimiter = delimiter.unwrap_or_else(|| detect_delimiter(text));
    let rows = data_rows(rows(text, delimiter)?)?;
    if rows.is_empty() {
        return Ok((Records::empty(job_type), Vec::new()));
    }
    let records = match job_type {
        JobType::EmailFinder => finder_from_csv(&rows, delimiter).map(Records::EmailFinder),
        JobType::DomainScan => single_column_from_csv(job_type, &rows, delimiter).map(Records::DomainScan),
        JobType::EmailValidation => {
            single_column_from_csv(job_type, &rows, delimiter).map(Records::EmailValidation)
        }
    }?;
    // One record per data row, and the data rows are the last ones (after
    // the header, if there is one).
    let places = rows[rows.len() - records.len()..]
        .iter()
        .map(|row| format!("line {}", row.line))
        .collect();
    Ok((records, places))
}

/// The delimiter of `text`: of `,`, `;`, tab and `|`, the one that splits
/// the first lines (up to 20) into the same number of fields, the most
/// fields if several do; else the one most frequent in the first line; else
/// `,` (one column needs none).
pub fn detect_delimiter(text: &str) -> Delimiter {
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .take(20)
        .collect();
    let Some(first) = lines.first() else {
        return Delimiter::COMMA;
    };
    let count = |line: &str, delimiter: Delimiter| {
        // Outside quotes only: a quoted field may hold any of them.
        let mut quoted = false;
        line.bytes()
            .filter(|&byte| {
                if byte == b'"' {
                    quoted = !quoted;
                }
                !quoted && byte == delimiter.0
            })
            .count()
    };
    let counts = || Delimiter::DETECTED.into_iter().map(|d| (d, count(first, d)));
    let consistent = first_most(counts().filter(|&(d, n)| lines.iter().all(|line| count(line, d) == n)));
    consistent
        .or_else(|| first_most(counts()))
        .unwrap_or(Delimiter::COMMA)
}

/// Of delimiters and how often each occurs, the first of those that occur
/// most, if any occurs at all.
fn first_most(counts: impl Iterator<Item = (Delimiter, usize)>) -> Option<Delimiter> {
    counts
        .filter(|&(_, n)| n > 0)
        .fold(None, |best: Option<(Delimiter, usize)>, (d, n)| match best {
            Some((_, most)) if most >= n => best,
            _ => Some((d, n)),
        })
        .map(|(d, _)| d)
}

/// Every record of `text` and every blank line between records, in order.
fn rows(text: &str, delimiter: Delimiter) -> Result<Vec<Row>, InputError> {
    let text = quotes::prepare(text, delimiter)?;
    let lines = LineStarts::new(&text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter.0)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut spans: Vec<(Range<usize>, Vec<String>)> = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            // Not reached for text that `prepare` accepted (it is UTF-8, and
            // flexible records have any number of fields); said, not hidden.
            Err(e) => {
                return error(format!(
                    "line {}: {e}",
                    lines.line_of(reader.position().byte() as usize)
                ));
            }
        }
        // The position can be that of the previous record's line break (the
        // `\n` of a `\r\n`): the record starts after the breaks, which
        // belong to the record before, blank lines included.
        let position = record.position().map_or(0, |p| p.byte() as usize);
        let start =
            position + text[position..].len() - text[position..].trim_start_matches(['\r', '\n']).len();
        if let Some(last) = spans.last_mut() {
            last.0.end = start;
        }
        spans.push((
            start..text.len(),
            record.iter().map(|f| unguard(f.to_string())).collect(),
        ));
    }
    let mut rows = Vec::with_capacity(spans.len());
    for (span, fields) in spans {
        let raw = &text[span.clone()];
        let content = raw.trim_end_matches(['\r', '\n']);
        rows.push(Row {
            line: lines.line_of(span.start),
            // Blanks only; a delimiter makes it a row of empty fields
            // (with tabs between fields, `\t\t` is three of them).
            blank: content.trim().is_empty() && !content.contains(char::from(delimiter.0)),
            fields,
        });
        // The reader skips empty lines: those after this record's own line
        // break are blank lines.
        let breaks = line_breaks(&raw[content.len()..]);
        for extra in 1..breaks {
            rows.push(Row {
                line: lines.line_of(span.start + content.len()) + extra,
                fields: vec![String::new()],
                blank: true,
            });
        }
    }
    Ok(rows)
}

/// How many line breaks `text` (made of `\r` and `\n` only) holds, with
/// `\r\n` as one.
fn line_breaks(text: &str) -> usize {
    text.matches("\r\n").count() + text.replace("\r\n", "").len()
}

/// The byte offset where each line of a text starts, so that a record's
/// offset gives its line as the limits count them (`\n`, `\r\n` or `\r`).
struct LineStarts(Vec<usize>);

impl LineStarts {
    fn new(text: &str) -> LineStarts {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        for (i, &byte) in bytes.iter().enumerate() {
            let ends_line = byte == b'\n' || (byte == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
            if ends_line {
                starts.push(i + 1);
            }
        }
        LineStarts(starts)
    }

    /// The 1-based line that byte `offset` is on.
    fn line_of(&self, offset: usize) -> usize {
        self.0.partition_point(|&start| start <= offset)
    }
}

/// The rows without leading and trailing blank lines; a blank line between
/// records is reported.
fn data_rows(rows: Vec<Row>) -> Result<Vec<Row>, InputError> {
    let first = rows.iter().position(|r| !r.blank);
    let last = rows.iter().rposition(|r| !r.blank);
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(Vec::new());
    };
    let rows = rows[first..=last].to_vec();
    if let Some(blank) = rows.iter().find(|r| r.blank) {
        return error(format!(
            "line {}: blank line between records (remove it, or put the missing record back)",
            blank.line
        ));
    }
    Ok(rows)
}

/// The index of the column in `header` whose name is one of `names`.
fn column(header: &[String], names: &[&str]) -> Option<usize> {
    header.iter().position(|h| names.contains(&normalize(h).as_str()))
}

fn finder_from_csv(rows: &[Row], delimiter: Delimiter) -> Result<Vec<Contact>, InputError> {
    let header = &rows[0];
    let is_header = [FIRST_NAME, LAST_NAME, WEBSITE]
        .iter()
        .any(|names| column(&header.fields, names).is_some());
    let (columns, data) = if is_header {
        let find = |names: &[&str]| {
            column(&header.fields, names).ok_or_else(|| {
                InputError(format!(
                    "line {}: the header has no {} column (found: {}; read with {delimiter} between fields)",
                    header.line,
                    camel(names[0]),
                    header.fields.join(", ")
                ))
            })
        };
        ([find(FIRST_NAME)?, find(LAST_NAME)?, find(WEBSITE)?], &rows[1..])
    } else {
        ([0, 1, 2], rows)
    };
    let needed = columns.iter().max().map_or(0, |m| m + 1);
    data.iter()
        .map(|row| {
            if is_header && row.fields.len() > header.fields.len() {
                return more_fields_than_the_header(row, header, delimiter);
            }
            if is_header && row.fields.len() < needed {
                return error(format!(
                    "line {}: expected {needed} fields as in the header, found {} (read with {delimiter} \
                     between fields)",
                    row.line,
                    row.fields.len()
                ));
            }
            if !is_header && row.fields.len() != 3 {
                return error(format!(
                    "line {}: expected 3 fields (firstName, lastName, website), found {} (read with \
                     {delimiter} between fields; --delimiter gives another); or add a header line \
                     naming the columns",
                    row.line,
                    row.fields.len()
                ));
            }
            Ok(Contact {
                first_name: row.fields[columns[0]].clone(),
                last_name: row.fields[columns[1]].clone(),
                website: row.fields[columns[2]].clone(),
            })
        })
        .collect()
}

fn single_column_from_csv(
    job_type: JobType,
    rows: &[Row],
    delimiter: Delimiter,
) -> Result<Vec<String>, InputError> {
    let header = &rows[0];
    let named = column(&header.fields, single_column_names(job_type));
    let (index, data) = match named {
        Some(index) => (index, &rows[1..]),
        None => (0, rows),
    };
    data.iter()
        .map(|row| {
            if named.is_some() && row.fields.len() > header.fields.len() {
                return more_fields_than_the_header(row, header, delimiter);
            }
            if named.is_none() && row.fields.len() != 1 {
                return error(format!(
                    "line {}: expected one column ({}), found {} (read with {delimiter} between fields; \
                     --delimiter gives another); or add a header line naming the {} column",
                    row.line,
                    what_one_is(job_type),
                    row.fields.len(),
                    single_column_names(job_type)[0]
                ));
            }
            row.fields.get(index).cloned().ok_or_else(|| {
                InputError(format!(
                    "line {}: no field in column {} ({}; read with {delimiter} between fields)",
                    row.line,
                    index + 1,
                    header.fields[index]
                ))
            })
        })
        .collect()
}

/// A row with more fields than its header: a value holding the delimiter
/// unquoted, or a file read with the wrong delimiter. Either way the columns
/// no longer line up, so nothing is taken from it.
fn more_fields_than_the_header<T>(row: &Row, header: &Row, delimiter: Delimiter) -> Result<T, InputError> {
    error(format!(
        "line {}: {} fields, but the header (line {}) has {} (read with {delimiter} between fields; \
         --delimiter gives another, or quote the values that hold it)",
        row.line,
        row.fields.len(),
        header.line,
        header.fields.len()
    ))
}

fn what_one_is(job_type: JobType) -> &'static str {
    match job_type {
        JobType::EmailValidation => "an email address",
        _ => "a website URL",
    }
}

#[cfg(test)]
mod tests;
