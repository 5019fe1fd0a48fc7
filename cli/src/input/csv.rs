//! CSV input: one column of emails or URLs (header optional), or for the
//! email finder a header naming first name, last name and website (or exactly
//! those three columns). Each record keeps the line it starts on. A field the
//! CSV export guarded against spreadsheet formulas (`'=…`) loses its `'`.

use matchkraft_host::{Contact, JobType, Records};

use super::{FIRST_NAME, InputError, LAST_NAME, WEBSITE, camel, error, normalize, single_column_names};
use crate::export::FORMULA_STARTS;

/// One CSV record and the line it starts on (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Row {
    line: usize,
    fields: Vec<String>,
    blank: bool,
}

pub(super) fn from_csv(job_type: JobType, text: &str) -> Result<(Records, Vec<String>), InputError> {
    let rows = data_rows(parse_csv(text)?)?;
    if rows.is_empty() {
        let none = match job_type {
            JobType::DomainScan => Records::DomainScan(Vec::new()),
            JobType::EmailValidation => Records::EmailValidation(Vec::new()),
            JobType::EmailFinder => Records::EmailFinder(Vec::new()),
        };
        return Ok((none, Vec::new()));
    }
    let records = match job_type {
        JobType::EmailFinder => finder_from_csv(&rows).map(Records::EmailFinder),
        JobType::DomainScan => single_column_from_csv(job_type, &rows).map(Records::DomainScan),
        JobType::EmailValidation => single_column_from_csv(job_type, &rows).map(Records::EmailValidation),
    }?;
    // One record per data row, and the data rows are the last ones (after
    // the header, if there is one).
    let places = rows[rows.len() - records.len()..]
        .iter()
        .map(|row| format!("line {}", row.line))
        .collect();
    Ok((records, places))
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

fn finder_from_csv(rows: &[Row]) -> Result<Vec<Contact>, InputError> {
    let header = &rows[0];
    let is_header = [FIRST_NAME, LAST_NAME, WEBSITE]
        .iter()
        .any(|names| column(&header.fields, names).is_some());
    let (columns, data) = if is_header {
        let find = |names: &[&str]| {
            column(&header.fields, names).ok_or_else(|| {
                InputError(format!(
                    "line {}: the header has no {} column (found: {})",
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
            if is_header && row.fields.len() < needed {
                return error(format!(
                    "line {}: expected {needed} fields as in the header, found {}",
                    row.line,
                    row.fields.len()
                ));
            }
            if !is_header && row.fields.len() != 3 {
                return error(format!(
                    "line {}: expected 3 fields (firstName,lastName,website), found {}; \
                     or add a header line naming the columns",
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

fn single_column_from_csv(job_type: JobType, rows: &[Row]) -> Result<Vec<String>, InputError> {
    let header = &rows[0];
    let named = column(&header.fields, single_column_names(job_type));
    let (index, data) = match named {
        Some(index) => (index, &rows[1..]),
        None => (0, rows),
    };
    data.iter()
        .map(|row| {
            if named.is_none() && row.fields.len() != 1 {
                return error(format!(
                    "line {}: expected one column ({}), found {}; \
                     or add a header line naming the {} column",
                    row.line,
                    what_one_is(job_type),
                    row.fields.len(),
                    single_column_names(job_type)[0]
                ));
            }
            row.fields.get(index).cloned().ok_or_else(|| {
                InputError(format!(
                    "line {}: no field in column {} ({})",
                    row.line,
                    index + 1,
                    header.fields[index]
                ))
            })
        })
        .collect()
}

fn what_one_is(job_type: JobType) -> &'static str {
    match job_type {
        JobType::EmailValidation => "an email address",
        _ => "a website URL",
    }
}

/// Splits CSV text (RFC 4180: `,` separators, `"` quoting with `""` for a
/// quote, quoted fields may hold commas and line breaks) into rows. Unquoted
/// fields are trimmed; quoted ones are kept as written.
fn parse_csv(text: &str) -> Result<Vec<Row>, InputError> {
    let mut rows = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while chars.peek().is_some() {
        let start = line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut any_quoted = false;
        loop {
            match chars.next() {
                None => break,
                Some('\n') => {
                    line += 1;
                    break;
                }
                Some('\r') => {
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    line += 1;
                    break;
                }
                Some(',') => {
                    fields.push(finish(&mut field, quoted));
                    quoted = false;
                }
                Some('"') if !quoted && field.trim().is_empty() => {
                    field.clear();
                    quoted = true;
                    any_quoted = true;
                    let open_line = line;
                    loop {
                        match chars.next() {
                            None => {
                                return error(format!("line {open_line}: a quoted field is never closed"));
                            }
                            Some('"') if chars.peek() == Some(&'"') => {
                                chars.next();
                                field.push('"');
                            }
                            Some('"') => break,
                            Some(c) => {
                                if c == '\n' {
                                    line += 1;
                                }
                                field.push(c);
                            }
                        }
                    }
                    // Only spaces may follow the closing quote.
                    while let Some(&c) = chars.peek() {
                        match c {
                            ' ' | '\t' => {
                                chars.next();
                            }
                            ',' | '\n' | '\r' => break,
                            other => {
                                return error(format!(
                                    "line {line}: unexpected {other:?} after a closing quote \
                                     (write \"\" for a quote inside a quoted field)"
                                ));
                            }
                        }
                    }
                }
                Some(c) => {
                    if quoted {
                        // Unreachable: after a closing quote only separators follow.
                        return error(format!("line {line}: unexpected {c:?}"));
                    }
                    field.push(c);
                }
            }
        }
        fields.push(finish(&mut field, quoted));
        let blank = !any_quoted && fields.len() == 1 && fields[0].is_empty();
        rows.push(Row {
            line: start,
            fields,
            blank,
        });
    }
    Ok(rows)
}

fn finish(field: &mut String, quoted: bool) -> String {
    let value = std::mem::take(field);
    let value = if quoted { value } else { value.trim().to_string() };
    unguard(value)
}

/// A field without the `'` the CSV export puts before a value a spreadsheet
/// would run as a formula: one `'` comes off a field whose `'`s are followed
/// by one of [`FORMULA_STARTS`] (`'=1+1@x.com` is `=1+1@x.com`, `''=x` is
/// `'=x`); any other `'` is the value's.
fn unguard(value: String) -> String {
    match value.strip_prefix('\'') {
        Some(rest) if rest.trim_start_matches('\'').starts_with(FORMULA_STARTS) => rest.to_string(),
        _ => value,
    }
}
