//! Reading a file (or stdin) within limits, as UTF-8 text.
//!
//! A file is read as a stream with two limits ([`Limits`]): its size, and the
//! length of a line of CSV. Past either, reading stops with the limit's name
//! before anything is sent, so `--input /dev/zero` ends at once, in bounded
//! memory. A file that is not UTF-8 is refused with the line and byte of the
//! first invalid byte.

use std::io::{self, Read};

use crate::error::{InputError, error};
use crate::format::{Format, first_character};

/// `--max-input-bytes`' default: 256 MiB.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 256 << 20;
/// `--max-line-bytes`' default: 1 MiB.
pub const DEFAULT_MAX_LINE_BYTES: u64 = 1 << 20;

/// How much of an input file is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The whole file, in bytes (`--max-input-bytes`).
    pub max_input_bytes: u64,
    /// One line of a CSV file, in bytes (`--max-line-bytes`). A JSON file,
    /// which may well be one long line, is held to `max_input_bytes` only.
    pub max_line_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_input_bytes: DEFAULT_MAX_INPUT_BYTES,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
        }
    }
}

/// Everything `reader` gives, as text, unless it is more than
/// `limits.max_input_bytes`, or (unless it is JSON) has a line longer than
/// `limits.max_line_bytes`, or is not UTF-8: then an error that names the
/// limit and the line. Reads at most one chunk past a limit.
///
/// `format` is the file's format when its name says it; otherwise a file is
/// JSON when its first character says so ([`Format::from_content`]).
/// `size` is the expected size, when known. `name` is how errors call it.
pub fn read_text(
    reader: impl Read,
    size: Option<u64>,
    format: Option<Format>,
    limits: Limits,
    name: &str,
) -> Result<String, InputError> {
    let bytes = read_limited(reader, size, format, limits, name)?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let mut lines = Lines::default();
        e.as_bytes()[..at].iter().for_each(|&byte| lines.feed(byte));
        InputError(format!(
            "{name}: not UTF-8 text: an invalid byte on line {} (byte offset {at}); save the file as UTF-8",
            lines.line
        ))
    })
}

fn read_limited(
    reader: impl Read,
    size: Option<u64>,
    format: Option<Format>,
    limits: Limits,
    name: &str,
) -> Result<Vec<u8>, InputError> {
    let mut reader = reader.take(limits.max_input_bytes.saturating_add(1));
    let mut bytes = Vec::new();
    if let Some(size) = size.filter(|&size| size <= limits.max_input_bytes) {
        bytes.reserve_exact(usize::try_from(size).unwrap_or(0));
    }
    let mut chunk = vec![0; 64 * 1024];
    let mut lines = Lines::default();
    // Whether lines are limited: not for JSON, known from the name or from
    // the first character.
    let mut json = format.map(|format| format == Format::Json);
    loop {
        let count = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(count) => count,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(InputError(format!("cannot read {name}: {e}"))),
        };
        if (bytes.len() + count) as u64 > limits.max_input_bytes {
            return error(format!(
                "{name} is larger than --max-input-bytes {} (stopped reading there; raise the limit \
                 if the file is right, or split it)",
                limits.max_input_bytes
            ));
        }
        for &byte in &chunk[..count] {
            if json.is_none() && first_character(&[byte]).is_some() && ![0xEF, 0xBB, 0xBF].contains(&byte) {
                json = Some(Format::from_content(&[byte]) == Format::Json);
            }
            lines.feed(byte);
            if lines.length > limits.max_line_bytes && json != Some(true) {
                return error(format!(
                    "{name} line {} is longer than --max-line-bytes {} (a CSV file holds one record \
                     a line; raise the limit if the line is right)",
                    lines.line, limits.max_line_bytes
                ));
            }
        }
        bytes.extend_from_slice(&chunk[..count]);
    }
    Ok(bytes)
}

/// Counts lines as the CSV reader does (`\n`, `\r\n` or `\r` ends one)
/// and the length of the current one, a byte at a time.
#[derive(Debug)]
struct Lines {
    /// The current line (1-based).
    line: usize,
    /// Its length so far, in bytes, without the line break.
    length: u64,
    /// Whether the last byte was `\r` (then a `\n` ends no other line).
    after_cr: bool,
}

impl Default for Lines {
    fn default() -> Lines {
        Lines {
            line: 1,
            length: 0,
            after_cr: false,
        }
    }
}

impl Lines {
    fn feed(&mut self, byte: u8) {
        match byte {
            b'\n' if self.after_cr => {}
            b'\n' | b'\r' => {
                self.line += 1;
                self.length = 0;
            }
            _ => self.length += 1,
        }
        self.after_cr = byte == b'\r';
    }
}

#[cfg(test)]
mod tests;
