//! Text as it reaches a person: one line per message.
//!
//! Messages from the API and from the host's errors can carry line breaks
//! and indentation; a log line or an `error:` line must stay one line, so
//! whoever prints one folds it here. The host's own messages
//! ([`Error::message`](crate::Error::message)) already are.

/// The text with its line breaks and runs of whitespace folded into single
/// spaces, and no space at either end.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_breaks_and_indentation() {
        assert_eq!(one_line("  a\n\tb  c\r\n"), "a b c");
        assert_eq!(one_line(""), "");
    }
}
