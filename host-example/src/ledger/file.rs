//! The ledger's file: created private, checked, and explained when damaged.
//!
//! The ledger holds results, which are personal data (names, addresses), so
//! its folder is created `0700` and the database `0600` whatever the umask
//! (SQLite gives its `-wal` and `-shm` files the database's permissions). An
//! existing ledger that others can read is used, with a warning.
//!
//! A damaged file answers with SQLite's terse errors ("database disk image is
//! malformed"); [`Ledger::explain`] turns them into a message that names the
//! file, quotes `PRAGMA quick_check`, and says how to move it aside.

use std::path::Path;

use anyhow::Context as _;
use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::Ledger;
use crate::private::{create_private_folder, private_file};

/// Creates the ledger's folder (`0700`) and file (`0600`) when they do not
/// exist, and returns a warning when an existing file or folder can be read
/// by other users.
pub(super) fn prepare(path: &Path) -> anyhow::Result<Option<String>> {
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && !folder.exists()
    {
        create_private_folder(folder)
            .with_context(|| format!("creating the ledger's folder {}", folder.display()))?;
    }
    if !path.exists() {
        match private_file(path) {
            Ok(_) => return Ok(None),
            // Another process created it first: fine, it is checked below.
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(error) => {
                return Err(error).with_context(|| format!("creating the ledger {}", path.display()));
            }
        }
    }
    Ok(readable_by_others(path))
}

/// A warning when the ledger (or its `-wal`) can be read by group or others.
#[cfg(unix)]
fn readable_by_others(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt as _;
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    [path.to_path_buf(), wal.into()].iter().find_map(|file| {
        let mode = std::fs::metadata(file).ok()?.permissions().mode();
        (mode & 0o044 != 0).then(|| {
            format!(
                "the ledger {} can be read by other users (mode {:o}) and holds results: \
                 `chmod 600 {}*` makes it private",
                file.display(),
                mode & 0o777,
                path.display()
            )
        })
    })
}

#[cfg(not(unix))]
fn readable_by_others(_path: &Path) -> Option<String> {
    None
}

impl Ledger {
    /// A warning about the file's permissions, found when it was opened.
    pub fn permission_warning(&self) -> Option<&str> {
        self.warning.as_deref()
    }

    /// Checks the whole file (`PRAGMA quick_check`). Run before a submission:
    /// a damaged ledger may still accept one row and lose the next.
    pub fn check(&self) -> anyhow::Result<()> {
        let verdict = quick_check(&self.conn());
        if verdict == "ok" {
            return Ok(());
        }
        Err(damaged(&self.path, &verdict))
    }

    /// `error` as it should reach a person: a damaged file named as such,
    /// with `quick_check`'s verdict and the way out; anything else as it is.
    pub(super) fn explain(&self, error: anyhow::Error) -> anyhow::Error {
        if !is_damage(&error) {
            return error;
        }
        let verdict = quick_check(&self.conn());
        damaged(&self.path, &verdict)
    }
}

/// Opens the ledger at `path` for reading only, for a file this process
/// cannot write (a read-only mount, another user's file).
pub(super) fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
}

/// Whether `error` says the file is not a sound database.
pub(super) fn is_damage(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        matches!(
            cause
                .downcast_ref::<rusqlite::Error>()
                .and_then(rusqlite::Error::sqlite_error_code),
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
        )
    })
}

/// Whether `error` says the file cannot be written.
pub(super) fn is_read_only(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        matches!(
            cause
                .downcast_ref::<rusqlite::Error>()
                .and_then(rusqlite::Error::sqlite_error_code),
            Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied)
        )
    })
}

/// `PRAGMA quick_check`'s first lines, or why it could not run.
fn quick_check(conn: &Connection) -> String {
    let lines = conn.prepare("PRAGMA quick_check(5)").and_then(|mut statement| {
        statement
            .query_map([], |row| row.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()
    });
    match lines {
        Ok(lines) => lines.join("; "),
        Err(error) => error.to_string(),
    }
}

/// The message for a damaged ledger.
pub(super) fn damaged(path: &Path, verdict: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "the ledger {0} is damaged (PRAGMA quick_check: {verdict}); move it aside \
         (`mv {0} {0}.damaged`, with its -wal and -shm files) and run again, or pass --ledger NEW-FILE; \
         the jobs it holds can be read from the moved file with `matchkraft jobs --ledger {0}.damaged`",
        path.display()
    )
}
