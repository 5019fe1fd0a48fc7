//! Text: any characters, the ones parsers get wrong, blanks, and the API's
//! names in any case and spelling.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

/// Characters that parsers and escapers get wrong: quotes, backslashes,
/// controls, separators, non-ASCII whose case mapping is unusual (`İ`, the
/// Kelvin sign), the largest code point, JSON punctuation.
const SPECIAL_CHARS: &[char] = &[
    '"',
    '\\',
    '/',
    '\0',
    '\u{1}',
    '\t',
    '\n',
    '\r',
    '\u{b}',
    '\u{c}',
    '\u{1f}',
    '\u{7f}',
    '\u{80}',
    '\u{85}',
    '\u{a0}',
    '\u{2003}',
    '\u{3000}',
    '\u{2028}',
    '\u{2029}',
    '\u{feff}',
    '\u{fffd}',
    '\u{10ffff}',
    '\u{d7ff}',
    '\u{e000}',
    'é',
    'ß',
    'İ',
    '\u{212a}',
    '…',
    '😀',
    '_',
    '-',
    '.',
    ' ',
    '@',
    ':',
    '%',
    '{',
    '}',
    '[',
    ']',
    ',',
];

/// Whitespace that `str::trim` removes.
pub(crate) const BLANKS: &[char] = &[
    ' ', '\t', '\n', '\r', '\u{b}', '\u{c}', '\u{85}', '\u{a0}', '\u{2003}', '\u{3000}',
];

pub(crate) fn any_char() -> BoxedStrategy<char> {
    prop_oneof![
        4 => any::<char>(),
        3 => proptest::char::range(' ', '~'),
        2 => select(SPECIAL_CHARS),
    ]
    .boxed()
}

/// Any text of at most `max` characters, control characters included.
pub(crate) fn any_text(max: usize) -> BoxedStrategy<String> {
    vec(any_char(), 0..=max).prop_map(String::from_iter).boxed()
}

/// Any text that `str::trim` leaves something of.
pub(crate) fn non_blank(max: usize) -> BoxedStrategy<String> {
    any_text(max)
        .prop_map(|s| if s.trim().is_empty() { format!("{s}x") } else { s })
        .boxed()
}

pub(crate) fn blank() -> BoxedStrategy<String> {
    vec(select(BLANKS), 0..6).prop_map(String::from_iter).boxed()
}

fn cased(chars: &[char], upper: &[bool]) -> String {
    chars
        .iter()
        .zip(upper)
        .map(|(c, up)| {
            if *up {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// `word` with each letter in either case (`Completed`, `cOMPLETED`, …).
pub(crate) fn any_case(word: &str) -> BoxedStrategy<String> {
    let chars: Vec<char> = word.chars().collect();
    vec(any::<bool>(), chars.len())
        .prop_map(move |upper| cased(&chars, &upper))
        .boxed()
}

/// `word` in either case with separators sprinkled in (`first_name`,
/// `First Name`, `FIRST-NAME`), all one name to the tolerant parsers.
pub(crate) fn any_spelling(word: &str) -> BoxedStrategy<String> {
    let chars: Vec<char> = word.chars().collect();
    let separator = prop_oneof![8 => Just(None), 1 => select(vec!['_', '-', ' ', '.']).prop_map(Some)];
    vec((any::<bool>(), separator), chars.len())
        .prop_map(move |letters| {
            let mut out = String::new();
            for (c, (up, separator)) in chars.iter().zip(letters) {
                out.extend(separator);
                out.push(if up {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                });
            }
            out
        })
        .boxed()
}

/// A field name that no parser knows: nothing the parsers look up starts with `x`.
pub(crate) fn extra_key() -> BoxedStrategy<String> {
    any_text(10).prop_map(|s| format!("x{s}")).boxed()
}
