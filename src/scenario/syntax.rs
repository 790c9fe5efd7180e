//! Parse errors a person can act on: the RON parser reports where it gave
//! up, which is often not where the mistake is. This module moves the place
//! and rewrites the message for the mistakes it recognises:
//!
//! ```text
//! replicas: 4.5             "Expected comma"        -> expected an integer, found 4.5
//! name: "api, replicas: 2   "Expected comma" later  -> unclosed string, at its start
//! {"a": 1, "a": 2}          (last one kept)         -> duplicate key "a", at the second
//! replicaz: 2               "Unexpected field"      -> ...; did you mean `replicas`?
//! ```

use super::suggest::did_you_mean;
use super::unique::DUPLICATE_KEY;
use ron::error::{Error, SpannedError};

/// A parse error explained: 1-based line and column, and the message.
pub(super) struct Explained {
    pub(super) line: usize,
    pub(super) column: usize,
    pub(super) message: String,
}

/// Explains `e`, an error of the RON parser on `source`.
pub(super) fn explain(source: &str, e: &SpannedError) -> Explained {
    let at = offset(source, e.span.start.line, e.span.start.col);
    let found = |offset: usize, message: String| {
        let (line, column) = line_column(source, offset);
        Explained {
            line,
            column,
            message,
        }
    };
    match &e.code {
        Error::Message(m) if m.starts_with(DUPLICATE_KEY) => {
            if let Some((second, message)) = duplicate_key(source, at, m) {
                return found(second, message);
            }
        }
        Error::NoSuchStructField {
            expected, found: f, ..
        }
        | Error::NoSuchEnumVariant {
            expected, found: f, ..
        } => {
            return found(at, with_suggestion(&e.code.to_string(), f, expected));
        }
        _ => {}
    }
    if let Some((start, message)) = unclosed_string(source, at, &e.code) {
        return found(start, message);
    }
    if let Some((start, number)) = fractional_number(source, at, &e.code) {
        return found(
            start,
            format!("expected an integer (a whole number), found {number}"),
        );
    }
    found(at, in_scenario_words(&e.code.to_string()))
}

/// Rust type names after "expected" in a parser message, in the words of
/// the scenario format.
fn in_scenario_words(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut after_expected = false;
    for (i, word) in message.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let (core, rest) = word.split_at(word.trim_end_matches([',', '.', ')', ';']).len());
        let said = match core {
            "u8" | "u16" | "u32" | "u64" | "usize" | "i32" | "i64" if after_expected => {
                "a whole number"
            }
            "f32" | "f64" if after_expected => "a number",
            "bool" if after_expected => "true or false",
            "String" | "string" if after_expected => "a string in quotes",
            other => other,
        };
        out.push_str(said);
        out.push_str(rest);
        after_expected = core.eq_ignore_ascii_case("expected");
    }
    out
}

/// Byte offset of 1-based `line` and `column` (in characters), clamped to the text.
fn offset(source: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match source[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return source.len(),
        }
    }
    let rest = &source[start..];
    start
        + rest
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i)
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// ron's message with "did you mean `x`?" put before its list of valid names.
fn with_suggestion(message: &str, found: &str, expected: &[&str]) -> String {
    let Some(best) = did_you_mean(found, expected.iter().copied()) else {
        return message.to_owned();
    };
    match message
        .find(", expected")
        .or_else(|| message.find(", there"))
    {
        Some(i) => format!(
            "{}; did you mean `{best}`?{}",
            &message[..i],
            &message[i + 1..]
        ),
        None => format!("{message}; did you mean `{best}`?"),
    }
}

/// The second occurrence of a key given twice (the parser stops after its
/// value), and the message naming the first.
fn duplicate_key(source: &str, at: usize, message: &str) -> Option<(usize, String)> {
    let key = message[DUPLICATE_KEY.len()..].split(": each").next()?;
    let is_key = |i: &usize| source[i + key.len()..].trim_start().starts_with(':');
    // The parser stops at or just before the second key, or after it.
    let at = at.min(source.len());
    let until = at + (source[at..].len() - source[at..].trim_start().len());
    let all: Vec<usize> = source
        .match_indices(key)
        .map(|(i, _)| i)
        .filter(|i| *i <= until)
        .filter(is_key)
        .collect();
    let second = *all.last()?;
    let text = match all.len().checked_sub(2).map(|i| all[i]) {
        Some(first) => {
            let (line, column) = line_column(source, first);
            format!("{message} (first given at line {line}, column {column})")
        }
        None => message.to_owned(),
    };
    Some((second, text))
}

/// Where each string literal starts and ends (just past its closing quote;
/// `None` when it is never closed), comments skipped.
fn strings(source: &str) -> Vec<(usize, Option<usize>)> {
    let bytes = source.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = source[i..].find('\n').map_or(bytes.len(), |n| i + n);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = source[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |n| i + n + 4);
            }
            b'"' => {
                let start = i;
                i += 1;
                let mut end = None;
                while i < bytes.len() {
                    match bytes[i] {
                        b'\\' => i += 2,
                        b'"' => {
                            end = Some(i + 1);
                            i += 1;
                            break;
                        }
                        _ => i += 1,
                    }
                }
                out.push((start, end));
            }
            _ => i += 1,
        }
    }
    out
}

/// A string left open: the parser either ran off the end inside it, or
/// read it on to a later quote and stumbled on the text right after. Gives
/// the string's start and the message.
fn unclosed_string(source: &str, at: usize, code: &Error) -> Option<(usize, String)> {
    let literals = strings(source);
    if let Some(&(start, None)) = literals.last() {
        if matches!(code, Error::ExpectedStringEnd | Error::Eof) || at >= start {
            return Some((
                start,
                "unclosed string: this string has no closing `\"`".to_owned(),
            ));
        }
    }
    let &(start, end) = literals
        .iter()
        .take_while(|(_, end)| end.is_some_and(|e| e <= at))
        .last()?;
    let end = end?;
    let between = &source[end..at];
    let spans_lines = source[start..end].contains('\n');
    let glued = between.is_empty()
        && source[at..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '"' || c == '_');
    if !between.trim().is_empty() || !(spans_lines || glued) {
        return None;
    }
    let (line, column) = line_column(source, end - 1);
    Some((
        start,
        format!(
            "unclosed string: the string that starts here only ends at line {line}, column {column}; is a closing `\"` missing? (the parser then found: {code})"
        ),
    ))
}

/// A number with a fraction or exponent at `at`, where the parser wanted an
/// integer: its start and its text. The parser either rejects it at its
/// start, or reads its digits as an integer and stops at the `.` or `e`.
fn fractional_number<'a>(source: &'a str, at: usize, code: &Error) -> Option<(usize, &'a str)> {
    let at_start = matches!(
        code,
        Error::InvalidIntegerDigit { .. } | Error::ExpectedInteger
    );
    let after_digits = matches!(
        code,
        Error::ExpectedComma
            | Error::ExpectedStructLikeEnd
            | Error::ExpectedMapEnd
            | Error::ExpectedArrayEnd
            | Error::TrailingCharacters
    );
    if !at_start && !after_digits {
        return None;
    }
    let bytes = source.as_bytes();
    let mut start = at.min(bytes.len());
    while start > 0 && (bytes[start - 1].is_ascii_digit() || bytes[start - 1] == b'_') {
        start -= 1;
    }
    if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'"') {
        return None;
    }
    let mut end = start;
    while end < bytes.len() {
        let c = bytes[end];
        let sign_of_exponent =
            (c == b'+' || c == b'-') && end > start && matches!(bytes[end - 1], b'e' | b'E');
        if c.is_ascii_digit() || matches!(c, b'_' | b'.' | b'e' | b'E') || sign_of_exponent {
            end += 1;
        } else {
            break;
        }
    }
    let text = &source[start..end];
    let fractional = text.contains(['.', 'e', 'E']);
    let numeric = text.replace('_', "").parse::<f64>().is_ok();
    let placed = if after_digits {
        start < at
    } else {
        start <= at
    };
    (placed && end > at && fractional && numeric && text.starts_with(|c: char| c.is_ascii_digit()))
        .then_some((start, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_type_names_become_the_scenario_words() {
        assert_eq!(
            in_scenario_words("invalid type: string \"x\", expected u32."),
            "invalid type: string \"x\", expected a whole number."
        );
    }

    fn explained(source: &str) -> (usize, usize, String) {
        let e = super::super::ron_options()
            .from_str::<super::super::Scenario>(source)
            .unwrap_err();
        let x = explain(source, &e);
        (x.line, x.column, x.message)
    }

    #[test]
    fn a_fraction_where_an_integer_belongs_is_named() {
        let (l, c, m) = explained("Scenario(name: \"x\", seed: 4.5, run: ())");
        assert_eq!((l, c), (1, 27));
        assert_eq!(m, "expected an integer (a whole number), found 4.5");
        let (_, c, m) = explained("Scenario(name: \"x\", seed: 1e3, run: ())");
        assert_eq!(c, 27);
        assert!(m.contains("found 1e3"), "{m}");
        // A fraction where a struct belongs is not taken for an integer.
        let (_, _, m) = explained("Scenario(name: \"x\", seed: 1, run: 1.5)");
        assert!(!m.contains("integer"), "{m}");
    }

    #[test]
    fn an_unclosed_string_is_reported_where_it_starts() {
        let (l, c, m) =
            explained("Scenario(\n  name: \"x,\n  seed: 1,\n  run: (duration: \"1s\"),\n)");
        assert_eq!((l, c), (2, 9), "{m}");
        assert!(m.starts_with("unclosed string"), "{m}");
        let (l, c, m) = explained("Scenario(\n  name: \"x");
        assert_eq!((l, c), (2, 9), "{m}");
        assert!(m.contains("no closing"), "{m}");
    }

    #[test]
    fn a_misspelt_field_gets_a_suggestion_before_the_list() {
        let (_, _, m) = explained("Scenario(name: \"x\", sed: 1)");
        assert!(
            m.contains("`sed` in `Scenario`; did you mean `seed`? expected one of"),
            "{m}"
        );
    }

    #[test]
    fn a_missing_comma_after_a_string_stays_a_missing_comma() {
        let (l, c, m) = explained("Scenario(\n  name: \"x\"\n  seed: 1,\n)");
        assert_eq!((l, c, m.as_str()), (3, 3, "Expected comma"));
    }
}
