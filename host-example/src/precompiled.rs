//! Compiled components kept on disk, so that a short-lived process (the
//! `matchkraft` command) does not run Cranelift on every start.
//!
//! Compiling the component takes hundreds of milliseconds; loading the
//! compiled form takes about one. The file is named after a SHA-256 of the
//! component's bytes and the engine's compatibility hash (wasmtime version,
//! target, settings), so a new component or a new wasmtime never loads an old
//! file, and wasmtime checks the file's header again when loading it.
//!
//! Loading compiled code means running it: whoever can write the cache can
//! run code in this process. So the folder is created private (0700), and a
//! file is used only when it and its folder belong to this user and nobody
//! else may write them. Anything wrong with a file (corrupt, incompatible,
//! unsafe permissions) is not an error: the component is compiled as if
//! there were no cache, and the file replaced when that is safe.

use std::hash::{Hash as _, Hasher as _};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use sha2::{Digest as _, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::engine::into_anyhow;
use crate::private::{create_private_folder, private_file};

/// `bytes` compiled for `engine`, from `folder` when it holds a usable
/// compiled copy, else compiled and stored there for next time.
pub(crate) fn load_or_compile(engine: &Engine, bytes: &[u8], folder: &Path) -> anyhow::Result<Component> {
    let path = folder.join(file_name(engine, bytes));
    if trusted(folder, &path) {
        // SAFETY: the file was written by `store` below for this engine (its
        // name is the hash of these bytes and of the engine's settings), and
        // `trusted` checked that nobody but this user could have changed it.
        // wasmtime still refuses a file for another version or settings.
        if let Ok(component) = unsafe { Component::deserialize_file(engine, &path) } {
            return Ok(component);
        }
    }
    let component =
        into_anyhow(Component::new(engine, bytes)).context("compiling the MatchKraft component")?;
    // A cache that cannot be written only costs the next start some time.
    let _ = store(&component, folder, &path);
    Ok(component)
}

/// `<sha256 of the component>-<engine compatibility hash>.cwasm`.
fn file_name(engine: &Engine, bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    format!("{hex}-{:016x}.cwasm", hasher.finish())
}

/// Writes the compiled component next to its final name, private to this
/// user, and renames it into place (so a reader never sees half a file).
fn store(component: &Component, folder: &Path, path: &Path) -> anyhow::Result<()> {
    create_private_folder(folder)?;
    let serialized = into_anyhow(component.serialize())?;
    let partial = partial_name(path);
    let written = (|| {
        let mut file = private_file(&partial)?;
        file.write_all(&serialized)?;
        file.sync_all()?;
        std::fs::rename(&partial, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    Ok(written?)
}

fn partial_name(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.partial", std::process::id()));
    path.with_file_name(name)
}

/// Whether `path` exists and only this user can have written it and its
/// folder: both owned by this user, neither writable by group or others.
#[cfg(unix)]
fn trusted(folder: &Path, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    let private = |p: &Path, want_dir: bool| {
        // symlink_metadata: a link planted in the folder is not followed.
        std::fs::symlink_metadata(p).is_ok_and(|m| {
            m.is_dir() == want_dir && (want_dir || m.is_file()) && m.uid() == me && m.mode() & 0o022 == 0
        })
    };
    private(folder, true) && private(path, false)
}

/// Elsewhere, files are protected by the user's profile folder's ACLs.
#[cfg(not(unix))]
fn trusted(_folder: &Path, path: &Path) -> bool {
    path.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(name: &str) -> PathBuf {
        let folder =
            std::env::temp_dir().join(format!("matchkraft-precompiled-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&folder);
        folder.join("compiled")
    }

    /// The smallest component: compiles in milliseconds.
    const EMPTY: &[u8] = b"\0asm\x0d\0\x01\0";

    fn engine() -> Engine {
        crate::engine::shared_engine().unwrap()
    }

    #[test]
    fn the_second_load_reads_the_private_file_the_first_wrote() {
        let folder = folder("reuse");
        let engine = engine();
        load_or_compile(&engine, EMPTY, &folder).unwrap();
        let files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        assert!(files[0].to_string_lossy().ends_with(".cwasm"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&folder), 0o700);
            assert_eq!(mode(&files[0]), 0o600);
        }
        assert!(trusted(&folder, &files[0]));
        let modified = std::fs::metadata(&files[0]).unwrap().modified().unwrap();
        load_or_compile(&engine, EMPTY, &folder).unwrap();
        assert_eq!(
            std::fs::metadata(&files[0]).unwrap().modified().unwrap(),
            modified,
            "rewritten"
        );
    }

    #[test]
    fn a_corrupt_file_is_compiled_over() {
        let folder = folder("corrupt");
        let engine = engine();
        load_or_compile(&engine, EMPTY, &folder).unwrap();
        let path = folder.join(file_name(&engine, EMPTY));
        std::fs::write(&path, b"not a compiled component").unwrap();
        load_or_compile(&engine, EMPTY, &folder).unwrap();
        assert!(
            unsafe { Component::deserialize_file(&engine, &path) }.is_ok(),
            "the corrupt file was not replaced"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_may_write_is_not_loaded() {
        use std::os::unix::fs::PermissionsExt as _;
        let folder = folder("shared");
        let engine = engine();
        load_or_compile(&engine, EMPTY, &folder).unwrap();
        let path = folder.join(file_name(&engine, EMPTY));
        assert!(trusted(&folder, &path));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert!(!trusted(&folder, &path), "a world-writable file");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(!trusted(&folder, &path), "a world-writable folder");
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o700)).unwrap();
        let link = folder.join("link.cwasm");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        assert!(!trusted(&folder, &link), "a symbolic link");
    }

    #[test]
    fn names_differ_by_component() {
        let engine = engine();
        let name = file_name(&engine, EMPTY);
        assert_ne!(name, file_name(&engine, b"\0asm\x0d\0\x01\0\0"));
        assert_eq!(name.len(), 64 + 1 + 16 + ".cwasm".len());
    }
}
