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
//!
//! A file (or stdin) is read as a stream with two limits ([`Limits`]): its
//! size, and the length of a line of CSV; past either the command stops with
//! the limit's name before anything is sent, so `--input /dev/zero` ends at
//! once, in bounded memory. A file that is not UTF-8 is refused with the line
//! and byte of the first invalid byte.

mod csv;

use std::fmt;
use std::io::{self, Read};
use std::path::Path;

use matchkraft_host::{Contact, JobType, Records};
use serde_json::Value;

use crate::args::RecordArgs;

use csv::from_csv;

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
    /// Records read other than as written (a bare domain taken as
    /// `https://…`): the command says so on stderr.
    pub(crate) notes: Vec<String>,
}

/// `--max-input-bytes`' default: 256 MiB.
pub(crate) const DEFAULT_MAX_INPUT_BYTES: u64 = 256 << 20;
/// `--max-line-bytes`' default: 1 MiB.
pub(crate) const DEFAULT_MAX_LINE_BYTES: u64 = 1 << 20;

/// How much of an input file is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    /// The whole file, in bytes (`--max-input-bytes`).
    pub(crate) max_input_bytes: u64,
    /// One line of a CSV file, in bytes (`--max-line-bytes`). A JSON file,
    /// which may well be one long line, is held to `max_input_bytes` only.
    pub(crate) max_line_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_input_bytes: DEFAULT_MAX_INPUT_BYTES,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
        }
    }
}

impl From<&RecordArgs> for Limits {
    fn from(args: &RecordArgs) -> Limits {
        Limits {
            max_input_bytes: args.max_input_bytes,
            max_line_bytes: args.max_line_bytes,
        }
    }
}

/// The records given as arguments, followed by those in `input` (a path, or
/// `-` for stdin), read within `limits`.
pub(crate) fn collect(
    job_type: JobType,
    args: &[String],
    input: Option<&Path>,
    limits: Limits,
) -> Result<Input, InputError> {
    let mut records = from_args(job_type, args)?;
    let mut origins: Vec<String> = (1..=args.len()).map(|i| format!("argument {i}")).collect();
    if let Some(path) = input {
        let text = read_text(path, limits)?;
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
    let notes = bare_domains_as_urls(&mut records, &origins);
    Ok(Input {
        records,
        origins,
        notes,
    })
}

/// A domain scan's records written as bare domains (`example.com`,
/// `www.example.com/about`) taken as `https://` URLs, as a person means
/// them; returns one note per record changed. Anything with a scheme, or
/// that does not look like a domain (no dot, spaces), is left for the
/// component to judge.
fn bare_domains_as_urls(records: &mut Records, origins: &[String]) -> Vec<String> {
    let Records::DomainScan(sites) = records else {
        return Vec::new();
    };
    let mut notes = Vec::new();
    for (site, origin) in sites.iter_mut().zip(origins) {
        let host = site.split(['/', '?', '#']).next().unwrap_or_default();
        let looks_like_a_domain = !site.contains("://")
            && host.contains('.')
            && !host.starts_with('.')
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
        if looks_like_a_domain {
            let url = format!("https://{site}");
            notes.push(format!("read {site:?} ({origin}) as {url}"));
            *site = url;
        }
    }
    notes
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
        notes: input.notes,
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

/// The text of `path` (stdin for `-`), read within `limits`.
fn read_text(path: &Path, limits: Limits) -> Result<String, InputError> {
    let name = display_path(path);
    let cannot = |e: io::Error| InputError(format!("cannot read {name}: {e}"));
    let bytes = if path == Path::new("-") {
        read_limited(io::stdin().lock(), None, limits, &name)?
    } else {
        let file = std::fs::File::open(path).map_err(cannot)?;
        // A regular file's size, to read it into one allocation.
        let size = file.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
        read_limited(file, size, limits, &name)?
    };
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let mut lines = Lines::default();
        e.as_bytes()[..at].iter().for_each(|&byte| lines.feed(byte));
        InputError(format!(
            "{name}: not UTF-8 text: an invalid byte on line {} (byte offset {at}); save the file as UTF-8",
            lines.line
        ))
    })
}

/// Everything `reader` gives, unless it is more than
/// `limits.max_input_bytes`, or (unless it is JSON, which starts with `[`)
/// has a line longer than `limits.max_line_bytes`: then an error that names
/// the limit, and the line. Reads at most one chunk past the limit.
/// `size` is the expected size, when known.
fn read_limited(
    reader: impl Read,
    size: Option<u64>,
    limits: Limits,
    name: &str,
) -> Result<Vec<u8>, InputError> {
    let mut reader = reader.take(limits.max_input_bytes.saturating_add(1));
    let mut bytes = Vec::new();
    if let Some(size) = size.filter(|&size| size <= limits.max_input_bytes) {
        bytes.reserve_exact(usize::try_from(size).unwrap_or(0));
    }
    let mut chunk = vec![0; 64 * 1024];
    let mut lines = Lines::default();
    // Whether the text is JSON (`Some(true)`), decided by its first byte
    // that is not blank or the UTF-8 byte order mark.
    let mut json = None;
    loop {
        let count = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(count) => count,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(InputError(format!("cannot read {name}: {e}"))),
        };
        if (bytes.len() + count) as u64 > limits.max_input_bytes {
            return error(format!(
                "{name} is larger than --max-input-bytes {} (stopped reading there; raise the limit \
                 if the file is right, or split it)",
                limits.max_input_bytes
            ));
        }
        for &byte in &chunk[..count] {
            if json.is_none() && !byte.is_ascii_whitespace() && ![0xEF, 0xBB, 0xBF].contains(&byte) {
                json = Some(byte == b'[');
            }
            lines.feed(byte);
            if lines.length > limits.max_line_bytes && json != Some(true) {
                return error(format!(
                    "{name} line {} is longer than --max-line-bytes {} (a CSV file holds one record \
                     a line; raise the limit if the line is right)",
                    lines.line, limits.max_line_bytes
                ));
            }
        }
        bytes.extend_from_slice(&chunk[..count]);
    }
    Ok(bytes)
}

/// Counts lines as the CSV reader does (`\n`, `\r\n` or `\r` ends one)
/// and the length of the current one, a byte at a time.
#[derive(Debug)]
struct Lines {
    /// The current line (1-based).
    line: usize,
    /// Its length so far, in bytes, without the line break.
    length: u64,
    /// Whether the last byte was `\r` (then a `\n` ends no other line).
    after_cr: bool,
}

impl Default for Lines {
    fn default() -> Lines {
        Lines {
            line: 1,
            length: 0,
            after_cr: false,
        }
    }
}

impl Lines {
    fn feed(&mut self, byte: u8) {
        match byte {
            b'\n' if self.after_cr => {}
            b'\n' | b'\r' => {
                self.line += 1;
                self.length = 0;
            }
            _ => self.length += 1,
        }
        self.after_cr = byte == b'\r';
    }
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

#[cfg(test)]
mod tests;
