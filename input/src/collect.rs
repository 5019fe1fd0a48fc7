//! A job's records from its arguments and its input file, with where each
//! one came from, checked for what is surely a mistake (empty records,
//! control characters) and for repeats.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::args::from_args;
use crate::csv::from_csv;
use crate::error::{InputError, error};
use crate::format::{Delimiter, Format};
use crate::json::from_json;
use crate::limits::{Limits, read_text};
use crate::names::what_a_record_is;
use crate::records::{JobType, Records};

/// A job's records and where each one came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    pub records: Records,
    /// One per record, in order: `argument 2`, `leads.csv line 7`,
    /// `stdin item [3]`.
    pub origins: Vec<String>,
    /// Records read other than as written (a bare domain taken as
    /// `https://…`): the command says so on stderr.
    pub notes: Vec<String>,
}

/// How an input file is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub limits: Limits,
    /// The CSV delimiter; detected when `None` (a tab for a `.tsv` name).
    pub delimiter: Option<Delimiter>,
}

/// The records given as arguments, followed by those in `input` (a path, or
/// `-` for stdin), read with `options`.
pub fn collect(
    job_type: JobType,
    args: &[String],
    input: Option<&Path>,
    options: Options,
) -> Result<Input, InputError> {
    let mut records = from_args(job_type, args)?;
    let mut origins: Vec<String> = (1..=args.len()).map(|i| format!("argument {i}")).collect();
    if let Some(path) = input {
        let name = display_path(path);
        let (from_file, places) = read_file(job_type, path, &name, options)?;
        records.append(from_file);
        origins.extend(places.into_iter().map(|place| format!("{name} {place}")));
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
    check_characters(&records, &origins)?;
    let notes = bare_domains_as_urls(&mut records, &origins);
    Ok(Input {
        records,
        origins,
        notes,
    })
}

/// The records in the file `path` (stdin for `-`), each with its place in
/// the file (`line 7`, `item [3]`). Errors name the file as `name`.
fn read_file(
    job_type: JobType,
    path: &Path,
    name: &str,
    options: Options,
) -> Result<(Records, Vec<String>), InputError> {
    let stdin = path == Path::new("-");
    let named = if stdin { None } else { Format::from_name(path) };
    let text = if stdin {
        read_text(std::io::stdin().lock(), None, named, options.limits, name)?
    } else {
        let cannot = |e: std::io::Error| InputError(format!("cannot read {name}: {e}"));
        let file = std::fs::File::open(path).map_err(cannot)?;
        // A regular file's size, to read it into one allocation.
        let size = file.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
        read_text(file, size, named, options.limits, name)?
    };
    let delimiter = options.delimiter.or_else(|| Delimiter::from_name(path));
    parse(job_type, &text, named, delimiter).map_err(|e| e.at(name))
}

/// Records from a file's text: in `format` when the file's name gave one,
/// else by its first character ([`Format::from_content`]).
pub fn parse(
    job_type: JobType,
    text: &str,
    format: Option<Format>,
    delimiter: Option<Delimiter>,
) -> Result<(Records, Vec<String>), InputError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match format.unwrap_or_else(|| Format::from_content(text.as_bytes())) {
        Format::Json => from_json(job_type, text),
        Format::Csv => from_csv(job_type, text, delimiter),
    }
}

/// No record may hold a control character other than a tab or a line break
/// (which the component reports as whitespace): a NUL or an escape sequence
/// in an email is a damaged file, and is said as such, with where.
fn check_characters(records: &Records, origins: &[String]) -> Result<(), InputError> {
    for (index, origin) in origins.iter().enumerate().take(records.len()) {
        for field in records.fields(index) {
            let found = field
                .chars()
                .enumerate()
                .find(|(_, c)| c.is_control() && !matches!(c, '\t' | '\n' | '\r'));
            if let Some((at, c)) = found {
                return error(format!(
                    "{origin}: a control character ({}) at character {} of {:?}; remove it (a damaged \
                     or binary file?)",
                    character_name(c),
                    at + 1,
                    field.chars().take(40).collect::<String>()
                ));
            }
        }
    }
    Ok(())
}

/// `U+0000 NUL`, `U+001B ESC`, `U+009B`.
fn character_name(c: char) -> String {
    let name = match c {
        '\0' => " NUL",
        '\u{1b}' => " ESC",
        '\u{7f}' => " DEL",
        _ => "",
    };
    format!("U+{:04X}{name}", u32::from(c))
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
pub fn list_some(items: &[&str]) -> String {
    let mut text = items.iter().take(5).copied().collect::<Vec<_>>().join(", ");
    if items.len() > 5 {
        text.push_str(&format!(" and {} more", items.len() - 5));
    }
    text
}

/// A record that repeats an earlier one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Duplicate {
    pub index: usize,
    /// The first record it repeats.
    pub first: usize,
}

/// The records that repeat an earlier record, compared as the API would
/// treat them: emails and URLs without case or surrounding spaces, contacts
/// by all three fields alike.
pub fn duplicates(records: &Records) -> Vec<Duplicate> {
    let mut seen = HashMap::new();
    (0..records.len())
        .filter_map(|index| {
            let first = *seen.entry(key(records, index)).or_insert(index);
            (first != index).then_some(Duplicate { index, first })
        })
        .collect()
}

/// The records without the repeats `duplicates` found.
pub fn without(input: Input, duplicates: &[Duplicate]) -> Input {
    let drop: HashSet<usize> = duplicates.iter().map(|d| d.index).collect();
    let origins = input
        .origins
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !drop.contains(i))
        .map(|(_, origin)| origin)
        .collect();
    Input {
        records: input.records.retain_indices(|i| !drop.contains(&i)),
        origins,
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

/// How errors name a path: `stdin` for `-`.
fn display_path(path: &Path) -> String {
    if path == Path::new("-") {
        "stdin".to_string()
    } else {
        path.display().to_string()
    }
}

#[cfg(test)]
mod tests;
