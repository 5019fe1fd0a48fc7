//! Files only this user can read: the compiled-component cache and the job
//! ledger both hold what others must not see or change, so their folders are
//! created `0700` and their files `0600`, whatever the umask.

use std::path::Path;

/// Creates `folder` (and its parents) readable by this user only.
#[cfg(unix)]
pub(crate) fn create_private_folder(folder: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(folder)
}

#[cfg(not(unix))]
pub(crate) fn create_private_folder(folder: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(folder)
}

/// Creates the new file `path` (never an existing one, nor through a
/// symlink) readable by this user only, open for writing.
#[cfg(unix)]
pub(crate) fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::File::options()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
pub(crate) fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::options().write(true).create_new(true).open(path)
}
