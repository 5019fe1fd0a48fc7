//! Where the command keeps its files between runs, by the XDG base directory
//! rules: the job ledger under `XDG_DATA_HOME`, the compiled component under
//! `XDG_CACHE_HOME`.

use std::path::PathBuf;

use etcetera::BaseStrategy as _;
use etcetera::base_strategy::Xdg;

/// The ledger's file name inside the data folder.
const LEDGER_FILE: &str = "ledger.sqlite3";

/// The default ledger: `$XDG_DATA_HOME/matchkraft/ledger.sqlite3`, or
/// `~/.local/share/matchkraft/ledger.sqlite3`. `None` without a home folder.
pub(crate) fn default_ledger() -> Option<PathBuf> {
    Some(user_folder(Xdg::data_dir)?.join(LEDGER_FILE))
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
    Some(user_folder(Xdg::cache_dir)?.join("compiled"))
}

/// This program's per-user folder under an XDG base directory, as the
/// `etcetera` crate finds it (`$XDG_DATA_HOME`, or `~/.local/share` when the
/// variable is unset or not absolute, as the XDG spec says; the same layout
/// on macOS, as command-line tools there expect). `None` without a home
/// folder.
fn user_folder(base: fn(&Xdg) -> PathBuf) -> Option<PathBuf> {
    let strategy = Xdg::new().ok()?;
    Some(base(&strategy).join("matchkraft"))
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
