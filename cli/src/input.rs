//! Turning command-line arguments and input files into job records.
//!
//! Only the shape of the input is checked here (columns, quoting, JSON types).
//! Whether an email or a URL is valid is the component's judgement: it names
//! the offending record in a typed error.
//!
//! Formats:
//! - arguments: one record each; for email-finder `First,Last,https://site`;
//! - a file whose first non-blank character is `[`: a JSON array of strings
//!   (emails or URLs; `First,Last,https://site` for email-finder) or of objects
//!   (`{"email": …}`, `{"website": …}`, `{"firstName", "lastName", "website"}`);
//! - any other file: CSV. For email-finder a header naming the columns
//!   (`firstName,lastName,website`, in any case, with `_`, `-` or spaces
//!   allowed) or exactly three columns in that order; otherwise one column of
//!   emails or URLs, with an optional header (`email`, `website`, `url`, …)
//!   that may also pick that column out of several.
//!
//! Blank lines before the first and after the last record are ignored; a
//! blank line between records, or a record with every field empty, is an
//! error, since it usually means a record was lost. Repeated records are
//! found by [`duplicates`]; the command reports them (and drops them only
//! when asked to), since each one is paid for.
//!
//! Every record remembers where it came from (`argument 2`, `leads.csv line
//! 7`), so that any report about it can say where to look.

use std::fmt;
use std::io::Read as _;
use std::path::Path;

use matchkraft_host::{Contact, JobType, Records};
use serde_json::Value;

/// Input that cannot be turned into records, with where the problem is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct InputError(pub(crate) String);

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

fn error<T>(message: impl Into<String>) -> Result<T, InputError> {
    Err(InputError(message.into()))
}

/// A job's records and where each one came from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Input {
    pub(crate) records: Records,
    /// One per record, in order: `argument 2`, `leads.csv line 7`,
    /// `stdin item [3]`.
    pub(crate) origins: Vec<String>,
}

/// The records given as arguments, followed by those in `input` (a path, or
/// `-` for stdin).
pub(crate) fn collect(job_type: JobType, args: &[String], input: Option<&Path>) -> Result<Input, InputError> {
    let mut records = from_args(job_type, args)?;
    let mut origins: Vec<String> = (1..=args.len()).map(|i| format!("argument {i}")).collect();
    if let Some(path) = input {
        let text = read_text(path)?;
        let (from_file, places) =
            parse_file(job_type, &text).map_err(|e| InputError(format!("{}: {e}", display_path(path))))?;
        append(&mut records, from_file);
        origins.extend(
            places
                .into_iter()
                .map(|place| format!("{} {place}", display_path(path))),
        );
    }
    if records.is_empty() {
        return error(format!(
            "no records: give {} as arguments or with --input FILE",
            what_a_record_is(job_type)
        ));
    }
    let empty: Vec<&str> = (0..records.len())
        .filter(|&i| key(&records, i).is_empty())
        .map(|i| origins[i].as_str())
        .collect();
    if !empty.is_empty() {
        return error(format!(
            "{} empty record(s), with every field empty: {} (remove them, or fill them in)",
            empty.len(),
            list_some(&empty)
        ));
    }
    Ok(Input { records, origins })
}

/// At most five items, then how many more.
pub(crate) fn list_some(items: &[&str]) -> String {
    let mut text = items.iter().take(5).copied().collect::<Vec<_>>().join(", ");
    if items.len() > 5 {
        text.push_str(&format!(" and {} more", items.len() - 5));
    }
    text
}

/// A record that repeats an earlier one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Duplicate {
    pub(crate) index: usize,
    /// The first record it repeats.
    pub(crate) first: usize,
}

/// The records that repeat an earlier record, compared as the API would
/// treat them: emails and URLs without case or surrounding spaces, contacts
/// by all three fields alike.
pub(crate) fn duplicates(records: &Records) -> Vec<Duplicate> {
    let mut seen = std::collections::HashMap::new();
    (0..records.len())
        .filter_map(|index| {
            let first = *seen.entry(key(records, index)).or_insert(index);
            (first != index).then_some(Duplicate { index, first })
        })
        .collect()
}

/// The records without the repeats `duplicates` found.
pub(crate) fn without(input: Input, duplicates: &[Duplicate]) -> Input {
    let drop: std::collections::HashSet<usize> = duplicates.iter().map(|d| d.index).collect();
    fn keep<T>(list: Vec<T>, drop: &std::collections::HashSet<usize>) -> Vec<T> {
        list.into_iter()
            .enumerate()
            .filter(|(i, _)| !drop.contains(i))
            .map(|(_, item)| item)
            .collect()
    }
    let records = match input.records {
        Records::DomainScan(list) => Records::DomainScan(keep(list, &drop)),
        Records::EmailValidation(list) => Records::EmailValidation(keep(list, &drop)),
        Records::EmailFinder(list) => Records::EmailFinder(keep(list, &drop)),
    };
    Input {
        records,
        origins: keep(input.origins, &drop),
    }
}

/// What makes two records the same; empty for an empty record.
fn key(records: &Records, index: usize) -> String {
    let norm = |s: &str| s.trim().to_lowercase();
    match records {
        Records::DomainScan(list) => norm(list[index].trim_end_matches('/')),
        Records::EmailValidation(list) => norm(&list[index]),
        Records::EmailFinder(list) => {
            let c = &list[index];
            let fields = [
                norm(&c.first_name),
                norm(&c.last_name),
                norm(c.website.trim_end_matches('/')),
            ];
            if fields.iter().all(String::is_empty) {
                String::new()
            } else {
                fields.join("\u{1f}")
            }
        }
    }
}

fn what_a_record_is(job_type: JobType) -> &'static str {
    match job_type {
        JobType::DomainScan => "website URLs",
        JobType::EmailValidation => "email addresses",
        JobType::EmailFinder => "contacts (First,Last,https://site)",
    }
}

fn display_path(path: &Path) -> String {
    if path == Path::new("-") {
        "stdin".to_string()
    } else {
        path.display().to_string()
    }
}

fn read_text(path: &Path) -> Result<String, InputError> {
    let mut text = String::new();
    let read = if path == Path::new("-") {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(path).map(|t| text = t)
    };
    read.map_err(|e| InputError(format!("cannot read {}: {e}", display_path(path))))?;
    Ok(text)
}

fn append(records: &mut Records, more: Records) {
    match (records, more) {
        (Records::DomainScan(a), Records::DomainScan(b))
        | (Records::EmailValidation(a), Records::EmailValidation(b)) => a.extend(b),
        (Records::EmailFinder(a), Records::EmailFinder(b)) => a.extend(b),
        _ => unreachable!("records of one job type"),
    }
}

/// Records from command-line arguments.
pub(crate) fn from_args(job_type: JobType, args: &[String]) -> Result<Records, InputError> {
    match job_type {
        JobType::DomainScan => Ok(Records::DomainScan(trimmed(args))),
        JobType::EmailValidation => Ok(Records::EmailValidation(trimmed(args))),
        JobType::EmailFinder => args
            .iter()
            .enumerate()
            .map(|(i, arg)| {
                contact_from_str(arg).map_err(|e| InputError(format!("argument {} ({arg:?}): {e}", i + 1)))
            })
            .collect::<Result<_, _>>()
            .map(Records::EmailFinder),
    }
}

fn trimmed(args: &[String]) -> Vec<String> {
    args.iter().map(|a| a.trim().to_string()).collect()
}

/// `First,Last,https://site` as a contact.
fn contact_from_str(text: &str) -> Result<Contact, String> {
    let parts: Vec<&str> = text.splitn(3, ',').map(str::trim).collect();
    match parts[..] {
        [first, last, website] => Ok(Contact {
            first_name: first.to_string(),
            last_name: last.to_string(),
            website: website.to_string(),
        }),
        _ => Err("expected First,Last,https://site".to_string()),
    }
}

/// Records from a file's text: JSON when it starts with `[`, CSV otherwise.
#[cfg(test)]
pub(crate) fn from_text(job_type: JobType, text: &str) -> Result<Records, InputError> {
    parse_file(job_type, text).map(|(records, _)| records)
}

/// Records from a file's text, each with its place in the file (`line 7`,
/// `item [3]`).
fn parse_file(job_type: JobType, text: &str) -> Result<(Records, Vec<String>), InputError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim_start().starts_with('[') {
        let records = from_json(job_type, text)?;
        let places = (0..records.len()).map(|i| format!("item [{i}]")).collect();
        Ok((records, places))
    } else {
        from_csv(job_type, text)
    }
}

// ---------------------------------------------------------------- JSON

fn from_json(job_type: JobType, text: &str) -> Result<Records, InputError> {
    let value: Value = serde_json::from_str(text).map_err(|e| InputError(format!("not valid JSON: {e}")))?;
    let Value::Array(items) = value else {
        return error("expected a JSON array of records");
    };
    let at = |i: usize, message: String| InputError(format!("item [{i}]: {message}"));
    match job_type {
        JobType::DomainScan | JobType::EmailValidation => {
            let names = single_column_names(job_type);
            let mut values = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let value = match item {
                    Value::String(s) => s.trim().to_string(),
                    Value::Object(object) => object_field(object, names).map_err(|message| at(i, message))?,
                    other => {
                        return Err(at(i, format!("expected a string, found {}", kind(other))));
                    }
                };
                values.push(value);
            }
            Ok(match job_type {
                JobType::DomainScan => Records::DomainScan(values),
                _ => Records::EmailValidation(values),
            })
        }
        JobType::EmailFinder => {
            let mut contacts = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let contact = match item {
                    Value::String(s) => contact_from_str(s).map_err(|m| at(i, m))?,
                    Value::Object(object) => Contact {
                        first_name: object_field(object, FIRST_NAME).map_err(|m| at(i, m))?,
                        last_name: object_field(object, LAST_NAME).map_err(|m| at(i, m))?,
                        website: object_field(object, WEBSITE).map_err(|m| at(i, m))?,
                    },
                    other => {
                        return Err(at(
                            i,
                            format!(
                                "expected an object with firstName, lastName and website, found {}",
                                kind(other)
                            ),
                        ));
                    }
                };
                contacts.push(contact);
            }
            Ok(Records::EmailFinder(contacts))
        }
    }
}

/// The string member of `object` whose normalised key is one of `names`
/// (the first name in `names` is the one reported when none is found).
fn object_field(object: &serde_json::Map<String, Value>, names: &[&str]) -> Result<String, String> {
    let found = object
        .iter()
        .find(|(key, _)| names.contains(&normalize(key).as_str()));
    match found {
        Some((_, Value::String(s))) => Ok(s.trim().to_string()),
        Some((key, other)) => Err(format!("{key:?} must be a string, found {}", kind(other))),
        None => Err(format!("no {:?} field", camel(names[0]))),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

// ---------------------------------------------------------------- column names

const FIRST_NAME: &[&str] = &["firstname", "first", "givenname", "forename"];
const LAST_NAME: &[&str] = &["lastname", "last", "surname", "familyname"];
const WEBSITE: &[&str] = &[
    "website",
    "url",
    "site",
    "domain",
    "websiteurl",
    "companywebsite",
    "homepage",
];
const EMAIL: &[&str] = &["email", "emailaddress", "mail", "address", "emails"];
const URL: &[&str] = &[
    "website",
    "url",
    "site",
    "domain",
    "companywebsite",
    "homepage",
    "websiteurl",
    "domainname",
    "websites",
    "urls",
    "domains",
];

fn single_column_names(job_type: JobType) -> &'static [&'static str] {
    match job_type {
        JobType::EmailValidation => EMAIL,
        _ => URL,
    }
}

/// A column name compared loosely: lower case, without spaces, `_`, `-`, `.`.
fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '.' | '\t'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// `firstName` for `firstname`: how the documentation spells a column.
fn camel(normalized: &str) -> &str {
    match normalized {
        "firstname" => "firstName",
        "lastname" => "lastName",
        other => other,
    }
}

// ---------------------------------------------------------------- CSV

/// One CSV record and the line it starts on (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Row {
    line: usize,
    fields: Vec<String>,
    blank: bool,
}

fn from_csv(job_type: JobType, text: &str) -> Result<(Records, Vec<String>), InputError> {
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
    if quoted { value } else { value.trim().to_string() }
}

#[cfg(test)]
mod tests {
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
        let error = collect(JobType::EmailValidation, &[], None).unwrap_err();
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
        let input = collect(JobType::EmailValidation, &["c@z.net".into()], Some(&path)).unwrap();
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
        let input = collect(JobType::EmailFinder, &[], Some(&json)).unwrap();
        assert_eq!(input.origins, [format!("{} item [0]", json.display())]);
    }

    #[test]
    fn empty_records_are_reported_with_their_lines() {
        let path = temp_file(
            "empty.csv",
            "firstName,lastName,website\nA,B,https://x.com\n,,\n\" \",,\nC,D,https://y.com\n",
        );
        let error = collect(JobType::EmailFinder, &[], Some(&path)).unwrap_err();
        let file = path.display();
        assert_eq!(
            error.0,
            format!(
                "2 empty record(s), with every field empty: {file} line 3, {file} line 4 \
                 (remove them, or fill them in)"
            )
        );
        // A record with some fields is for the component to judge.
        assert!(collect(JobType::EmailFinder, &["Ada,,".into()], None).is_ok());
    }

    #[test]
    fn duplicates_are_found_loosely_and_dropped_only_on_request() {
        let args: Vec<String> = ["a@x.com", "b@y.org", " A@X.com", "c@z.net", "b@y.org"]
            .map(String::from)
            .to_vec();
        let input = collect(JobType::EmailValidation, &args, None).unwrap();
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
}
