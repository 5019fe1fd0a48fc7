//! Reading within limits, and as UTF-8.

use super::*;

/// Past a limit the file is not read on: the error names the limit, and for
/// a line, which one.
#[test]
fn input_limits() {
    let limits = Limits {
        max_input_bytes: 40,
        max_line_bytes: 10,
    };
    let read = |text: &[u8]| read_text(text, None, None, limits, "f.csv");
    assert_eq!(read(b"a@x.com\r\nb@x.com\n").unwrap(), "a@x.com\r\nb@x.com\n");
    // Ten bytes is a line of the limit's length; line breaks do not count,
    // and `\r\n`, `\n` and `\r` end a line each.
    assert!(read(b"0123456789\r\n0123456789").is_ok());
    assert_eq!(
        read(b"a\r\nb\rc\n01234567890\n").unwrap_err().0,
        "f.csv line 4 is longer than --max-line-bytes 10 (a CSV file holds one record a line; \
         raise the limit if the line is right)"
    );
    assert_eq!(
        read(&[b'a'; 30]).unwrap_err().0,
        "f.csv line 1 is longer than --max-line-bytes 10 (a CSV file holds one record a line; \
         raise the limit if the line is right)"
    );
    assert_eq!(
        read(&b"a@x.com\n".repeat(6)).unwrap_err().0,
        "f.csv is larger than --max-input-bytes 40 (stopped reading there; raise the limit if the \
         file is right, or split it)"
    );
    assert!(read(&b"a@x.com\n".repeat(5)).is_ok());
    // JSON may be one long line (after a byte order mark and blanks too),
    // whether its first character or its name says it is JSON.
    assert!(read(b"[\"a@x.com\", \"b@x.com\"]").is_ok());
    assert!(read(b"{\"results\": [\"a@x.com\"]}").is_ok());
    assert!(read(b"\xEF\xBB\xBF \n [\"a@x.com\", \"b@x.com\"]").is_ok());
    let long = [b'a'; 30];
    assert!(read_text(&long[..], None, Some(Format::Json), limits, "f.json").is_ok());
    assert!(
        read_text(
            &b"[\"a@x.com\", \"b\"]"[..],
            None,
            Some(Format::Csv),
            limits,
            "f.csv"
        )
        .is_err()
    );
    // An endless input stops at the first limit it passes.
    let zeros = std::io::repeat(0);
    let error = read_text(zeros, None, None, Limits::default(), "/dev/zero").unwrap_err();
    assert!(
        error
            .0
            .starts_with("/dev/zero line 1 is longer than --max-line-bytes 1048576"),
        "{error}"
    );
    let spaces = std::io::repeat(b'\n');
    let error = read_text(spaces, None, None, limits, "stdin").unwrap_err();
    assert!(
        error.0.starts_with("stdin is larger than --max-input-bytes 40"),
        "{error}"
    );
}

/// Text that is not UTF-8 is refused with where the first bad byte is.
#[test]
fn invalid_utf8_names_the_line_and_the_byte() {
    let text = &b"email\na@x.com\nren\xe9@x.com\n"[..];
    let error = read_text(text, None, None, Limits::default(), "latin1.csv").unwrap_err();
    assert_eq!(
        error.0,
        "latin1.csv: not UTF-8 text: an invalid byte on line 3 (byte offset 17); save the file as UTF-8"
    );
}
