//! `--output FILE`: results written to a file, as CSV (one row per result
//! record) or, for a `.json` file, the document `--json` prints; `-` is
//! stdout (CSV).
//!
//! The CSV's first columns are the input's (`email`; `first_name`,
//! `last_name`, `website`; `website`), so the file can go straight back in as
//! `--input`, and the result columns follow. Values are written as they are
//! (`true`, not `yes`; an empty field, not `-`); a domain scan's emails share
//! one field, separated by `; `. The raw JSON of each record is in the
//! `.json` form. A cell a spreadsheet would run as a formula (one that starts
//! with `=`, `+`, `-`, `@`, a tab or a carriage return, and is not a plain
//! number) gets a `'` in front, OWASP's rule against CSV injection; the
//! command's CSV reader takes it off again (`matchkraft_input::csv::guard`).
//!
//! What `FILE` is decides how it is written, and it stays what it was:
//! - a regular file, or a name where nothing is yet: written next to its
//!   final name and renamed into place, so a crash or a full disk never
//!   leaves half a file under the name asked for (a file replaced keeps its
//!   permissions);
//! - a symlink: followed, and its target written as above (the rename is
//!   next to the target, so the link stays a link); a symlink to nothing yet
//!   creates its target, as a shell's `>` does;
//! - a FIFO, a device or another special file: opened and written to, as a
//!   shell's `>` writes (a FIFO is opened only then, so the check before a
//!   job is submitted does not wait for its reader).

use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use matchkraft_host::columns::{self, Value};
use matchkraft_host::{FoundEmail, JobResults, ResultRecords};
use matchkraft_input::csv::guard;

use crate::output;

/// Writes `results` to the file `path` (JSON for a `.json` name, else CSV)
/// and returns how many records it holds. (`-`, stdout, is the caller's: it
/// prints [`csv`] through the command's one way of writing there.)
pub(crate) fn write(path: &Path, results: &JobResults) -> io::Result<usize> {
    let json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let text = if json {
        output::to_text(&output::results_json(results))
    } else {
        csv(&results.records)
    };
    match target(path)? {
        Target::Replace(file) => replace(&file, text.as_bytes())?,
        Target::Stream(file) => stream(&file, text.as_bytes())?,
    }
    Ok(results.records.len())
}

/// Whether `write` can write where `path` points, without waiting or leaving
/// anything behind: for a (new) regular file, by creating and removing the
/// partial file `write` would use; for a FIFO or a device, by asking for
/// write permission without opening it. `Err` says why not.
pub(crate) fn check_writable(path: &Path) -> Result<(), String> {
    if is_stdout(path) {
        return Ok(());
    }
    let cannot = |error: io::Error| format!("--output {}: cannot write there: {error}", path.display());
    match target(path) {
        Err(error) if error.kind() == io::ErrorKind::IsADirectory => {
            Err(format!("--output {}: a folder, not a file", path.display()))
        }
        Err(error) => Err(cannot(error)),
        Ok(Target::Replace(file)) => {
            let (partial, _) = create_partial(&file).map_err(cannot)?;
            let _ = fs::remove_file(&partial);
            Ok(())
        }
        Ok(Target::Stream(file)) => may_write(&file).map_err(cannot),
    }
}

/// `-`: stdout.
pub(crate) fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// How `write` writes to a path, with the symlinks on the way followed.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    /// A regular file, or a name where nothing is yet: written beside it and
    /// renamed into place.
    Replace(PathBuf),
    /// A FIFO, a device or another special file: opened and written to.
    Stream(PathBuf),
}

/// What `path` is, following symlinks (also dangling ones, to the name
/// they would create). A folder is an `IsADirectory` error.
fn target(path: &Path) -> io::Result<Target> {
    // As many links as Linux follows in one path.
    const MAX_LINKS: usize = 40;
    let mut path = path.to_path_buf();
    for _ in 0..=MAX_LINKS {
        let meta = match fs::symlink_metadata(&path) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Target::Replace(path)),
            Err(error) => return Err(error),
            Ok(meta) => meta,
        };
        let kind = meta.file_type();
        if kind.is_symlink() {
            // A relative link is relative to the link's folder (an absolute
            // one replaces the whole path in `join`).
            let link = fs::read_link(&path)?;
            path = match path.parent() {
                Some(folder) => folder.join(link),
                None => link,
            };
        } else if kind.is_dir() {
            return Err(io::ErrorKind::IsADirectory.into());
        } else if kind.is_file() {
            return Ok(Target::Replace(path));
        } else {
            return Ok(Target::Stream(path));
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

/// Writes `bytes` to the regular file (or new name) `path` whole or not at
/// all: beside it first, synced, then renamed over it. A file replaced keeps
/// its permissions.
fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let permissions = fs::metadata(path).ok().map(|meta| meta.permissions());
    let (partial, mut file) = create_partial(path)?;
    let written = (|| {
        if let Some(permissions) = permissions {
            file.set_permissions(permissions)?;
        }
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&partial, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&partial);
    }
    written
}

/// Writes `bytes` into the FIFO or device `path`, as a shell's `>` would.
fn stream(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new().write(true).truncate(true).open(path)?;
    file.write_all(bytes)?;
    file.flush()
}

/// The partial file for `path` ([`partial_name`]), created new: never
/// through a symlink someone put at that name. One left by a crashed process
/// that had this process's id is removed first.
fn create_partial(path: &Path) -> io::Result<(PathBuf, fs::File)> {
    let partial = partial_name(path);
    let create = || OpenOptions::new().write(true).create_new(true).open(&partial);
    let file = match create() {
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
            fs::remove_file(&partial)?;
            create()?
        }
        other => other?,
    };
    Ok((partial, file))
}

/// Whether this process may open `path` for writing, asked without opening
/// it (opening a FIFO waits for its reader; closing some devices acts).
#[cfg(unix)]
fn may_write(path: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt as _;
    let path = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: `path` is a NUL-terminated string that outlives the call.
    let allowed = unsafe { libc::faccessat(libc::AT_FDCWD, path.as_ptr(), libc::W_OK, libc::AT_EACCESS) };
    if allowed == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(unix))]
fn may_write(_path: &Path) -> io::Result<()> {
    Ok(())
}

/// The file next to `path` that is written first and then renamed to it.
fn partial_name(path: &Path) -> PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!(".{name}.{}.partial", std::process::id()))
}

/// The records as CSV text: a header line, then one line per record, with
/// the job type's columns ([`columns`]) in order, each cell guarded against
/// spreadsheet formulas ([`guard`]). Written by the `csv` crate, quoting
/// where RFC 4180 needs it, lines ending in `\r\n` as spreadsheets expect.
pub(crate) fn csv(records: &ResultRecords) -> String {
    let columns = columns::columns(records.job_type());
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let header = columns.iter().flat_map(|c| c.csv.iter().copied());
    // Into memory: the writer's only failure is one of its output.
    writer.write_record(header).expect("writing to memory");
    for row in columns::rows(records) {
        let fields: Vec<String> = row.values.into_iter().flat_map(fields).collect();
        let guarded = fields.iter().map(|field| guard(field).into_owned());
        writer.write_record(guarded).expect("writing to memory");
    }
    let bytes = writer.into_inner().expect("writing to memory");
    String::from_utf8(bytes).expect("UTF-8 fields and delimiters")
}

/// One value as CSV fields, as written (`true`, not `yes`; empty when
/// missing). A domain scan's emails spread over three fields (addresses,
/// kinds, verified), each joining the emails' values with `; `.
fn fields(value: Value<'_>) -> Vec<String> {
    let flag = |flag: Option<bool>| flag.map(|v| v.to_string()).unwrap_or_default();
    match value {
        Value::Text(text) => vec![text.unwrap_or_default().to_string()],
        Value::Flag(value) => vec![flag(value)],
        Value::Number(number) => vec![number.map(|n| n.to_string()).unwrap_or_default()],
        Value::Status(status) => vec![status.map(|s| s.as_str().to_string()).unwrap_or_default()],
        Value::Emails(emails) => {
            let join = |field: &dyn Fn(&FoundEmail) -> String| {
                emails.iter().map(field).collect::<Vec<_>>().join("; ")
            };
            vec![
                join(&|e| e.email.clone()),
                join(&|e| e.kind.clone().unwrap_or_default()),
                join(&|e| flag(e.verified)),
            ]
        }
    }
}

#[cfg(test)]
mod tests;
