//! Which reader a file goes to, and the CSV delimiter.
//!
//! A file the command writes is a file it reads: `-o results.json` writes the
//! JSON document, and `-i results.json` reads it back. So the name decides
//! first (`.json` is JSON; `.csv`, `.tsv` and `.txt` are CSV), and a name that
//! says nothing (stdin, `leads`, `leads.dat`) is decided by the content: JSON
//! when its first character, after blanks and a byte order mark, is `[` or
//! `{`.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// How a file's records are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    /// The format a file's name says, if it says one.
    pub fn from_name(path: &Path) -> Option<Format> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "json" => Some(Format::Json),
            "csv" | "tsv" | "txt" => Some(Format::Csv),
            _ => None,
        }
    }

    /// The format of `text`, by its first character.
    pub fn from_content(text: &[u8]) -> Format {
        match first_character(text) {
            Some(b'[' | b'{') => Format::Json,
            _ => Format::Csv,
        }
    }

    /// The format of the file `path` holding `text`: its name's, else its
    /// content's.
    pub fn of(path: &Path, text: &[u8]) -> Format {
        Format::from_name(path).unwrap_or_else(|| Format::from_content(text))
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Json => "JSON",
            Format::Csv => "CSV",
        })
    }
}

/// The first byte of `text` that is neither blank nor part of the UTF-8 byte
/// order mark.
pub(crate) fn first_character(text: &[u8]) -> Option<u8> {
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    text.iter().copied().find(|b| !b.is_ascii_whitespace())
}

/// The character between a CSV file's fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delimiter(pub u8);

impl Delimiter {
    pub const COMMA: Delimiter = Delimiter(b',');
    pub const SEMICOLON: Delimiter = Delimiter(b';');
    pub const TAB: Delimiter = Delimiter(b'\t');
    pub const PIPE: Delimiter = Delimiter(b'|');

    /// The delimiters a file is searched for when none is given, in the
    /// order that breaks ties.
    pub const DETECTED: [Delimiter; 4] = [
        Delimiter::COMMA,
        Delimiter::SEMICOLON,
        Delimiter::TAB,
        Delimiter::PIPE,
    ];

    /// The delimiter a file's name implies: a tab for `.tsv`.
    pub fn from_name(path: &Path) -> Option<Delimiter> {
        let extension = path.extension()?.to_str()?;
        extension.eq_ignore_ascii_case("tsv").then_some(Delimiter::TAB)
    }
}

impl fmt::Display for Delimiter {
    /// As an error message names it: `','`, `';'`, `tab`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            b'\t' => f.write_str("tab"),
            byte => write!(f, "'{}'", char::from(byte)),
        }
    }
}

impl FromStr for Delimiter {
    type Err = String;

    /// One ASCII punctuation character, or `tab` (or `\t`).
    fn from_str(text: &str) -> Result<Delimiter, String> {
        match text {
            "tab" | "\\t" | "\t" => Ok(Delimiter::TAB),
            _ => match text.as_bytes() {
                [byte] if byte.is_ascii_punctuation() && *byte != b'"' => Ok(Delimiter(*byte)),
                _ => Err(format!(
                    "{text:?} is not a delimiter: give one punctuation character other than '\"' \
                     (',', ';', '|') or `tab`"
                )),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_decides_then_the_content() {
        let json = b" \n[\"a@x.com\"]";
        let csv = b"email\na@x.com\n";
        assert_eq!(Format::of(Path::new("leads.JSON"), csv), Format::Json);
        assert_eq!(Format::of(Path::new("leads.csv"), json), Format::Csv);
        assert_eq!(Format::of(Path::new("leads.tsv"), json), Format::Csv);
        assert_eq!(Format::of(Path::new("-"), json), Format::Json);
        assert_eq!(Format::of(Path::new("leads"), b"\xEF\xBB\xBF{}"), Format::Json);
        assert_eq!(Format::of(Path::new("leads.dat"), csv), Format::Csv);
        assert_eq!(Format::of(Path::new("-"), b""), Format::Csv);
    }

    #[test]
    fn delimiters_by_name() {
        assert_eq!("tab".parse(), Ok(Delimiter::TAB));
        assert_eq!("\\t".parse(), Ok(Delimiter::TAB));
        assert_eq!(";".parse(), Ok(Delimiter::SEMICOLON));
        assert!("ab".parse::<Delimiter>().is_err());
        assert!("\"".parse::<Delimiter>().is_err());
        assert!("a".parse::<Delimiter>().is_err());
        assert_eq!(Delimiter::TAB.to_string(), "tab");
        assert_eq!(Delimiter::SEMICOLON.to_string(), "';'");
        assert_eq!(Delimiter::from_name(Path::new("x.TSV")), Some(Delimiter::TAB));
        assert_eq!(Delimiter::from_name(Path::new("x.csv")), None);
    }
}
