//! The guard against spreadsheet formulas in CSV cells, both ways.
//!
//! A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is
//! run as a formula by spreadsheets (OWASP: CSV injection). The command's
//! CSV export puts a `'` before such a cell ([`guard`]), unless it is a
//! plain number; the CSV reader takes that one `'` off again ([`unguard`]),
//! so a file the command wrote reads back as the values it holds.

use std::borrow::Cow;

/// The first characters that make a spreadsheet run a cell as a formula.
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A value as a spreadsheet may safely see it: with a `'` in front when it
/// would start a formula (after any `'`s of its own, so that [`unguard`]'s
/// taking one `'` off gives the value back exactly), unless it is a plain
/// number such as `-1.5`.
pub fn guard(field: &str) -> Cow<'_, str> {
    let risky = field.trim_start_matches('\'').starts_with(FORMULA_STARTS);
    if risky && !is_plain_number(field) {
        Cow::Owned(format!("'{field}"))
    } else {
        Cow::Borrowed(field)
    }
}

/// A field without the `'` [`guard`] put there: one `'` comes off a field
/// whose `'`s are followed by one of [`FORMULA_STARTS`] (`'=1+1@x.com` is
/// `=1+1@x.com`, `''=x` is `'=x`); any other `'` is the value's.
pub fn unguard(value: String) -> String {
    match value.strip_prefix('\'') {
        Some(rest) if rest.trim_start_matches('\'').starts_with(FORMULA_STARTS) => rest.to_string(),
        _ => value,
    }
}

/// `-1.5`, `+3`, `1e5`, `.5`: an optional sign, digits with at most one
/// point, an optional exponent. (Not `inf` or `NaN`, which a spreadsheet
/// reads as text or names.)
pub fn is_plain_number(text: &str) -> bool {
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let rest = text.strip_prefix(['+', '-']).unwrap_or(text);
    let whole = digits(rest);
    let rest = &rest[whole..];
    let (fraction, rest) = match rest.strip_prefix('.') {
        Some(after) => {
            let n = digits(after);
            (n, &after[n..])
        }
        None => (0, rest),
    };
    if whole + fraction == 0 {
        return false;
    }
    match rest.strip_prefix(['e', 'E']) {
        None => rest.is_empty(),
        Some(exponent) => {
            let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            let n = digits(exponent);
            n > 0 && n == exponent.len()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_cells_are_guarded_and_numbers_are_not() {
        for (value, guarded) in [
            ("=1+1@x.com", "'=1+1@x.com"),
            ("+SUM(A1)", "'+SUM(A1)"),
            ("@x.com", "'@x.com"),
            ("\tcmd", "'\tcmd"),
            ("\r=x", "'\r=x"),
            ("-", "'-"),
            ("'=x", "''=x"),
            ("-1.5", "-1.5"),
            ("+3", "+3"),
            ("a=b@x.com", "a=b@x.com"),
            ("'plain", "'plain"),
        ] {
            assert_eq!(guard(value), guarded, "{value:?}");
            assert_eq!(unguard(guarded.to_string()), value, "{guarded:?}");
        }
    }

    #[test]
    fn plain_numbers() {
        for number in ["0", "-1.5", "+3", "1e5", "-2.5E-3", ".5", "-7."] {
            assert!(is_plain_number(number), "{number}");
        }
        for text in [
            "", "-", "+", "-inf", "-NaN", "--1", "-1-1", "1+1", "-1,5", "-0x1", "- 1", "-1e",
        ] {
            assert!(!is_plain_number(text), "{text}");
        }
    }
}
