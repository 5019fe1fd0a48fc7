//! Where the command keeps its files between runs, by the XDG base directory
//! rules: the job ledger under `XDG_DATA_HOME`, the compiled component under
//! `XDG_CACHE_HOME`.

use std::path::PathBuf;

/// The ledger's file name inside the data folder.
const LEDGER_FILE: &str = "ledger.sqlite3";

/// The default ledger: `$XDG_DATA_HOME/matchkraft/ledger.sqlite3`, or
/// `~/.local/share/matchkraft/ledger.sqlite3`. `None` without a home folder.
pub(crate) fn default_ledger() -> Option<PathBuf> {
    Some(user_folder("XDG_DATA_HOME", ".local/share")?.join(LEDGER_FILE))
}

/// Where the command keeps the compiled component between runs:
/// `$XDG_CACHE_HOME/matchkraft/compiled`, or `~/.cache/matchkraft/compiled`.
/// `MATCHKRAFT_COMPILE_CACHE=off` turns it off (every start then compiles,
/// a few hundred milliseconds).
pub(crate) fn compiled_cache() -> Option<PathBuf> {
    let setting = std::env::var("MATCHKRAFT_COMPILE_CACHE").unwrap_or_default();
    if ["off", "0", "false", "no"].contains(&setting.trim().to_ascii_lowercase().as_str()) {
        return None;
    }
    Some(user_folder("XDG_CACHE_HOME", ".cache")?.join("compiled"))
}

/// This program's per-user folder under an XDG base directory:
/// `$XDG_VAR/matchkraft`, or `~/HOME_DEFAULT/matchkraft` when the variable is
/// not set (or not absolute, which the XDG spec says to ignore). `None`
/// without a home folder.
fn user_folder(xdg_var: &str, home_default: &str) -> Option<PathBuf> {
    let base = std::env::var_os(xdg_var)
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(|home| PathBuf::from(home).join(home_default))
        })?;
    Some(base.join("matchkraft"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ledger_and_the_cache_live_in_the_users_folders() {
        // Read only: the variables are whatever the test runner has.
        if let Some(path) = default_ledger() {
            assert!(path.ends_with("matchkraft/ledger.sqlite3"), "{}", path.display());
        }
        if let Some(path) = compiled_cache() {
            assert!(path.ends_with("matchkraft/compiled"), "{}", path.display());
        }
    }
}
