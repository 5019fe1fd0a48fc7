//! Quoting checked before the CSV reader sees the text.
//!
//! The `csv` crate reads any text without complaint: a quote never closed
//! runs to the end of the file (the rest of the file becomes one field), and
//! text after a closing quote is joined to the field. Either way records are
//! read otherwise than written, silently. This pass finds both and says
//! where. It also drops blanks before an opening quote (`a, "b, c"`), which
//! RFC 4180 reads as text but people write meaning a quoted field, so that
//! the reader sees `a,"b, c"` (the blanks would be trimmed anyway).

use std::borrow::Cow;

use crate::error::{InputError, error};
use crate::format::Delimiter;

/// `text`, checked, with the blanks before opening quotes dropped.
pub(super) fn prepare(text: &str, delimiter: Delimiter) -> Result<Cow<'_, str>, InputError> {
    let bytes = text.as_bytes();
    let blank = |byte: u8| (byte == b' ' || byte == b'\t') && byte != delimiter.0;
    // Byte ranges of blanks to drop.
    let mut drop: Vec<(usize, usize)> = Vec::new();
    let mut line = 1;
    let mut i = 0;
    // At the start of a field: blanks, then a quote opens a quoted field.
    while i <= bytes.len() {
        let field_start = i;
        while i < bytes.len() && blank(bytes[i]) {
            i += 1;
        }
        if i < bytes.len() && bytes[i] == b'"' {
            if i > field_start {
                drop.push((field_start, i));
            }
            let opened = line;
            i += 1;
            loop {
                match bytes.get(i) {
                    None => return error(format!("line {opened}: a quoted field is never closed")),
                    Some(b'"') if bytes.get(i + 1) == Some(&b'"') => i += 2,
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(&byte) => {
                        line += ends_line(bytes, i, byte);
                        i += 1;
                    }
                }
            }
            // Only blanks may follow the closing quote.
            while i < bytes.len() && blank(bytes[i]) {
                i += 1;
            }
            match bytes.get(i) {
                None | Some(b'\n' | b'\r') => {}
                Some(&byte) if byte == delimiter.0 => {}
                Some(_) => {
                    let other = text[i..].chars().next().unwrap_or_default();
                    return error(format!(
                        "line {line}: unexpected {other:?} after a closing quote (write \"\" for a \
                         quote inside a quoted field)"
                    ));
                }
            }
        } else {
            // An unquoted field: to the delimiter or the end of the line
            // (a quote inside it is text, as the reader takes it).
            while i < bytes.len() && bytes[i] != delimiter.0 && bytes[i] != b'\n' && bytes[i] != b'\r' {
                i += 1;
            }
        }
        // Past the delimiter or the line break that ends the field.
        match bytes.get(i) {
            None => break,
            Some(&byte) => {
                line += ends_line(bytes, i, byte);
                i += 1;
            }
        }
    }
    if drop.is_empty() {
        return Ok(Cow::Borrowed(text));
    }
    let mut kept = String::with_capacity(text.len());
    let mut from = 0;
    for (start, end) in drop {
        kept.push_str(&text[from..start]);
        from = end;
    }
    kept.push_str(&text[from..]);
    Ok(Cow::Owned(kept))
}

/// 1 when `byte`, at `i`, ends a line (`\n`, or a `\r` not before `\n`).
fn ends_line(bytes: &[u8], i: usize, byte: u8) -> usize {
    usize::from(byte == b'\n' || (byte == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<Cow<'_, str>, String> {
        prepare(text, Delimiter::COMMA).map_err(|e| e.0)
    }

    #[test]
    fn well_quoted_text_is_kept_as_it_is() {
        for text in [
            "a,b\n",
            "\"a, b\",\"c\"\"d\"\r\n\"multi\nline\",x",
            "say \"hi\",x\n",
            "\"a\"  ,b",
            "",
        ] {
            assert!(matches!(check(text), Ok(Cow::Borrowed(_))), "{text:?}");
        }
    }

    #[test]
    fn blanks_before_an_opening_quote_are_dropped() {
        assert_eq!(check("a,  \"b, c\" ,d\n \"e\"").unwrap(), "a,\"b, c\" ,d\n\"e\"");
        // With tabs between fields, a tab is a delimiter, not a blank.
        assert_eq!(
            prepare("a\t\"b\"", Delimiter::TAB).unwrap(),
            Cow::Borrowed("a\t\"b\"")
        );
    }

    #[test]
    fn bad_quoting_is_an_error_with_its_line() {
        assert_eq!(
            check("a\n\"b\nc").unwrap_err(),
            "line 2: a quoted field is never closed"
        );
        assert_eq!(
            check("a\r\n\"multi\r\nline\"x,y").unwrap_err(),
            "line 3: unexpected 'x' after a closing quote (write \"\" for a quote inside a quoted field)"
        );
    }
}
