//! Text as it reaches a person: one line per message, and nothing a terminal
//! would obey.
//!
//! Messages from the API and from the host's errors can carry line breaks
//! and indentation; a log line or an `error:` line must stay one line, so
//! whoever prints one folds it here. The host's own messages
//! ([`Error::message`](crate::Error::message)) already are.
//!
//! Text from the API (a status word, a job name, an error body) may also hold
//! control characters: an escape sequence printed raw can recolour, retitle or
//! rewrite a terminal. [`printable`] makes them visible instead.

use std::borrow::Cow;
use std::fmt::Write as _;

/// The text with its line breaks and runs of whitespace folded into single
/// spaces, and no space at either end.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text with every control character (C0, DEL and C1) but the line
/// break and the tab shown as an escape (`\x1b`, `\u{9b}`), so that it prints
/// as what it is rather than acting on the terminal. Text without any is
/// returned as it is.
pub fn printable(text: &str) -> Cow<'_, str> {
    let acts = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.chars().any(acts) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !acts(c) {
            shown.push(c);
        } else if c.is_ascii() {
            let _ = write!(shown, "\\x{:02x}", u32::from(c));
        } else {
            let _ = write!(shown, "\\u{{{:x}}}", u32::from(c));
        }
    }
    Cow::Owned(shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(printable("plain text\n\tok"), "plain text\n\tok");
        assert!(matches!(printable("plain"), Cow::Borrowed(_)));
        assert_eq!(printable("\u{1b}[2J\u{7}x"), "\\x1b[2J\\x07x");
        assert_eq!(printable("a\u{9b}31mb\u{7f}"), "a\\u{9b}31mb\\x7f");
        assert_eq!(printable("\r"), "\\x0d");
    }

    #[test]
    fn folds_breaks_and_indentation() {
        assert_eq!(one_line("  a\n\tb  c\r\n"), "a b c");
        assert_eq!(one_line(""), "");
    }
}
