//! Where a problem is in the scenario text: a field path such as
//! `limits.search.tiers[1].max` is walked through the RON source, each
//! segment searched only inside the value of the one before, so a field
//! name that also appears elsewhere in the file is found in the right place.
//!
//! ```text
//! limits: {                      ◀ `limits`: the value of `limits:`
//!     "search": (                ◀ `search`: the value of the key "search"
//!         tiers: [ (..), (..) ]  ◀ `tiers[1]`: the second element of `tiers:`
//! ```
//!
//! It reads the text, not a syntax tree (the parser keeps no positions for
//! values): strings and comments are skipped, brackets are counted.

use std::ops::Range;

/// The 1-based (line, column) of a problem at field `path`: the quoted
/// `needle` (a name it is about) inside the path's value when there is one,
/// else the path's last segment found, else the first `"needle"` anywhere.
pub(crate) fn position(source: &str, path: &str, needle: Option<&str>) -> Option<(usize, usize)> {
    let (window, last) = walk(source, path);
    let quoted = needle.map(|n| format!("\"{n}\""));
    let offset = quoted
        .as_deref()
        .and_then(|q| source[window.clone()].find(q).map(|i| i + window.start))
        .or(last)
        .or_else(|| quoted.as_deref().and_then(|q| source.find(q)))?;
    Some(line_column(source, offset))
}

/// 1-based (line, column) of byte `offset`.
fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The text range of `path`'s value and the offset of its last segment
/// found. Segments not found leave the range as it was.
fn walk(source: &str, path: &str) -> (Range<usize>, Option<usize>) {
    let mut window = 0..source.len();
    let mut last = None;
    for segment in path.split('.') {
        let (name, indices) = split_indices(segment);
        if !name.is_empty() {
            let Some((at, value)) = find_segment(source, window.clone(), name) else {
                continue;
            };
            window = value;
            last = Some(at);
        }
        for i in indices {
            if let Some(element) = nth_element(source, window.clone(), i) {
                last = Some(element.start);
                window = element;
            }
        }
    }
    (window, last)
}

/// `tiers[1][2]` → (`tiers`, [1, 2]).
fn split_indices(segment: &str) -> (&str, Vec<usize>) {
    let name_end = segment.find('[').unwrap_or(segment.len());
    let indices = segment[name_end..]
        .split(['[', ']'])
        .filter_map(|s| s.parse().ok())
        .collect();
    (&segment[..name_end], indices)
}

/// The earliest place in `window` that names `name`: a field `name:`, a map
/// key `"name":`, or an element with `name: "name"`. Returns where it starts
/// and the range of what it names (the field's or key's value, or the
/// element around the `name` field).
fn find_segment(source: &str, window: Range<usize>, name: &str) -> Option<(usize, Range<usize>)> {
    let bytes = source.as_bytes();
    let mut i = window.start;
    while i < window.end {
        match bytes[i] {
            b'"' => {
                let end = string_end(bytes, i);
                if end > i + 1
                    && bytes[end - 1] == b'"'
                    && &bytes[i + 1..end - 1] == name.as_bytes()
                {
                    if let Some(colon) = colon_after(source, end) {
                        return Some((i, colon + 1..value_end(bytes, colon + 1, window.end)));
                    }
                }
                i = end;
            }
            b'/' => i = comment_end(bytes, i).unwrap_or(i + 1),
            c if is_ident(c) && (i == 0 || !is_ident(bytes[i - 1])) => {
                let end = i + bytes[i..].iter().take_while(|&&c| is_ident(c)).count();
                let word = &source[i..end];
                if let Some(colon) = colon_after(source, end) {
                    if word == name {
                        return Some((i, colon + 1..value_end(bytes, colon + 1, window.end)));
                    }
                    let value = source[colon + 1..].trim_start();
                    if word == "name"
                        && value.strip_prefix('"').is_some_and(|v| {
                            v.strip_prefix(name)
                                .is_some_and(|rest| rest.starts_with('"'))
                        })
                    {
                        return Some((i, group_around(bytes, i, window.clone())));
                    }
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    None
}

/// The range of the `n`-th (0-based) element of the list or tuple that
/// opens at the start of `window` (after leading space).
fn nth_element(source: &str, window: Range<usize>, n: usize) -> Option<Range<usize>> {
    let bytes = source.as_bytes();
    let open = window.start + source[window.clone()].find(['[', '(', '{'])?;
    let mut start = open + 1;
    for _ in 0..n {
        let end = value_end(bytes, start, window.end);
        if bytes.get(end) != Some(&b',') {
            return None;
        }
        start = end + 1;
    }
    let skipped = source[start..window.end].len() - source[start..window.end].trim_start().len();
    let start = start + skipped;
    let end = value_end(bytes, start, window.end);
    (end > start).then_some(start..end)
}

/// The offset of the `:` after `end`, if only spaces come between.
fn colon_after(source: &str, end: usize) -> Option<usize> {
    let rest = &source[end..];
    let trimmed = rest.trim_start();
    trimmed
        .starts_with(':')
        .then(|| end + rest.len() - trimmed.len())
}

/// Where the value starting at `from` ends: the first `,` or unmatched
/// closing bracket at its own depth (or `limit`).
fn value_end(bytes: &[u8], from: usize, limit: usize) -> usize {
    let mut depth = 0usize;
    let mut i = from;
    while i < limit {
        match bytes[i] {
            b'"' => {
                i = string_end(bytes, i);
                continue;
            }
            b'/' => {
                i = comment_end(bytes, i).unwrap_or(i + 1);
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' if depth == 0 => return i,
            b')' | b']' | b'}' => depth -= 1,
            b',' if depth == 0 => return i,
            _ => {}
        }
        i += 1;
    }
    limit
}

/// The bracketed group (within `window`) that contains offset `at`.
fn group_around(bytes: &[u8], at: usize, window: Range<usize>) -> Range<usize> {
    let mut end = value_end(bytes, at, window.end);
    while bytes.get(end) == Some(&b',') {
        end = value_end(bytes, end + 1, window.end);
    }
    let mut depth = 0usize;
    let mut start = window.start;
    for i in (window.start..at).rev() {
        match bytes[i] {
            b')' | b']' | b'}' => depth += 1,
            b'(' | b'[' | b'{' if depth == 0 => {
                start = i;
                break;
            }
            b'(' | b'[' | b'{' => depth -= 1,
            _ => {}
        }
    }
    start..(end + 1).min(window.end)
}

/// The offset just past the string that opens at `start`.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The offset just past the comment that opens at `start`, if one does.
fn comment_end(bytes: &[u8], start: usize) -> Option<usize> {
    match bytes.get(start + 1) {
        Some(b'/') => Some(
            bytes[start..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(bytes.len(), |p| start + p),
        ),
        Some(b'*') => Some(
            bytes[start + 2..]
                .windows(2)
                .position(|w| w == b"*/")
                .map_or(bytes.len(), |p| start + 2 + p + 2),
        ),
        _ => None,
    }
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"Scenario(
    // tiers: a comment that names the field
    components: [
        LoadBalancer(name: "lb", targets: { "api": 1 }, rate_limit: (tiers: [(max: 1)])),
        Deployment(name: "api", replicas: 0),
    ],
    limits: {
        "search": (window: "1m", tiers: [(share: 0.5, max: 10), (share: 0.5, max: -1)]),
    },
    endpoints: { "a": [Lb("lb"), Compute(Const("1ms"))] },
)"#;

    fn at(path: &str, needle: Option<&str>) -> Option<(usize, usize)> {
        position(TEXT, path, needle)
    }

    #[test]
    fn walks_into_the_value_of_each_segment() {
        // `tiers` appears in a comment and in the balancer first.
        assert_eq!(at("limits.search.tiers", None), Some((8, 34)));
        assert_eq!(at("limits.search.tiers[1].max", None), Some((8, 78)));
        assert_eq!(at("limits.search.tiers[1]", None), Some((8, 65)));
    }

    #[test]
    fn finds_list_elements_by_index_and_names_inside_them() {
        assert_eq!(at("components[1].replicas", None), Some((5, 33)));
        assert_eq!(at("components[0].targets.api", None), Some((4, 45)));
        assert_eq!(at("endpoints.a[1]", None), Some((10, 34)));
        assert_eq!(at("endpoints.a[0]", Some("lb")), Some((10, 27)));
    }

    proptest::proptest! {
        /// Any text (unclosed strings and brackets, comments, non-ASCII)
        /// and any path: an answer or none, never a panic.
        #[test]
        fn never_panics(
            text in "[a-z\"():,\\[\\]{}/* \né0-9]{0,80}",
            path in "[a-z.\\[\\]0-9é]{0,16}",
            needle in proptest::option::of("[a-zé\"]{0,4}"),
        ) {
            let _ = position(&text, &path, needle.as_deref());
        }
    }

    #[test]
    fn falls_back_to_the_last_segment_found_or_the_first_needle() {
        assert_eq!(at("limits.nothing", None), Some((7, 5)));
        assert_eq!(at("nowhere", Some("api")), Some((4, 45)));
        assert_eq!(at("nowhere", None), None);
    }
}
