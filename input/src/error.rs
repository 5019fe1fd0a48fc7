//! The one error of this crate.

use std::fmt;

/// Input that cannot be turned into records, with where the problem is
/// (`leads.csv: line 7: …`) and, where there is one, what to do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError(pub String);

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

impl InputError {
    /// The same error, said of `place` (`leads.csv: …`).
    pub fn at(self, place: &str) -> InputError {
        InputError(format!("{place}: {}", self.0))
    }
}

pub(crate) fn error<T>(message: impl Into<String>) -> Result<T, InputError> {
    Err(InputError(message.into()))
}
