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

use std::collections::HashMap;
use std::ops::Range;

/// The 1-based (line, column) of a problem at field `path` in `source`
/// (see [`Locator::position`]); for one problem. Many problems in one text
/// share a [`Locator`].
pub(crate) fn position(source: &str, path: &str, needle: Option<&str>) -> Option<(usize, usize)> {
    Locator::new(source).position(path, needle)
}

/// Finds problems in one scenario text. Everything it learns about the text
/// (line starts, the names in a bracketed value, the elements of a list,
/// where a needle is) is indexed once, so placing many problems costs about
/// one pass over the text, not one per problem.
pub(crate) struct Locator<'a> {
    source: &'a str,
    /// Byte offset of each line's start.
    lines: Vec<usize>,
    /// (byte offset, chars before it) every few KiB, for columns on long lines.
    chars: Vec<(usize, usize)>,
    /// Per scanned window: each name it mentions, at its first mention.
    names: HashMap<(usize, usize), HashMap<&'a str, Named>>,
    /// Per (window, name): where the name is and the range of its value.
    segments: HashMap<(usize, usize, String), Option<Segment>>,
    /// Per list window: its elements (`None`: empty), up to the first without a comma after it.
    elements: HashMap<(usize, usize), Vec<Option<Range<usize>>>>,
    /// Per (window, quoted needle): its first offset in the window.
    needles: HashMap<(usize, usize, String), Option<usize>>,
}

/// Where a path segment is named and the range of its value.
type Segment = (usize, Range<usize>);

/// How a name is mentioned in a window.
#[derive(Clone, Copy)]
enum Named {
    /// A field `name:` or key `"name":` starting at `at`, its `:` at `colon`.
    Field { at: usize, colon: usize },
    /// `name: "name"` at `at`: the element around it.
    Element { at: usize },
}

/// Bytes between column checkpoints.
const CHECKPOINT: usize = 4096;

impl<'a> Locator<'a> {
    /// Indexes the line starts of `source`.
    pub(crate) fn new(source: &'a str) -> Locator<'a> {
        let mut lines = vec![0];
        lines.extend(
            source
                .bytes()
                .enumerate()
                .filter(|x| x.1 == b'\n')
                .map(|x| x.0 + 1),
        );
        let mut chars = vec![(0, 0)];
        let mut at = 0;
        while at + CHECKPOINT < source.len() {
            let mut next = at + CHECKPOINT;
            while !source.is_char_boundary(next) {
                next += 1;
            }
            let before = chars.last().map_or(0, |c| c.1) + source[at..next].chars().count();
            chars.push((next, before));
            at = next;
        }
        Locator {
            source,
            lines,
            chars,
            names: HashMap::new(),
            segments: HashMap::new(),
            elements: HashMap::new(),
            needles: HashMap::new(),
        }
    }

    /// The 1-based (line, column) of a problem at field `path`: the quoted
    /// `needle` (a name it is about) inside the path's value when there is one,
    /// else the path's last segment found, else the first `"needle"` anywhere.
    pub(crate) fn position(&mut self, path: &str, needle: Option<&str>) -> Option<(usize, usize)> {
        let (window, last) = self.walk(path);
        let quoted = needle.map(|n| format!("\"{n}\""));
        let offset = match quoted {
            Some(q) => self
                .find(window, &q)
                .or(last)
                .or_else(|| self.find(0..self.source.len(), &q)),
            None => last,
        }?;
        Some(self.line_column(offset))
    }

    /// The first offset of `text` in `window`.
    fn find(&mut self, window: Range<usize>, text: &str) -> Option<usize> {
        let source = self.source;
        *self
            .needles
            .entry((window.start, window.end, text.to_owned()))
            .or_insert_with(|| source[window.clone()].find(text).map(|i| i + window.start))
    }

    /// 1-based (line, column) of byte `offset`.
    fn line_column(&self, offset: usize) -> (usize, usize) {
        let line = self.lines.partition_point(|&s| s <= offset);
        let start = self.lines[line - 1];
        (
            line,
            self.chars_before(offset) - self.chars_before(start) + 1,
        )
    }

    /// Characters before byte `offset`.
    fn chars_before(&self, offset: usize) -> usize {
        let (at, before) = self.chars[self.chars.partition_point(|c| c.0 <= offset) - 1];
        before + self.source[at..offset].chars().count()
    }

    /// The text range of `path`'s value and the offset of its last segment
    /// found. Segments not found leave the range as it was.
    fn walk(&mut self, path: &str) -> (Range<usize>, Option<usize>) {
        let mut window = 0..self.source.len();
        let mut last = None;
        for segment in path.split('.') {
            let (name, indices) = split_indices(segment);
            if !name.is_empty() {
                let Some((at, value)) = self.find_segment(window.clone(), name) else {
                    continue;
                };
                window = value;
                last = Some(at);
            }
            for i in indices {
                if let Some(element) = self.nth_element(window.clone(), i) {
                    last = Some(element.start);
                    window = element;
                }
            }
        }
        (window, last)
    }

    /// The earliest place in `window` that names `name`: a field `name:`, a map
    /// key `"name":`, or an element with `name: "name"`. Returns where it starts
    /// and the range of what it names (the field's or key's value, or the
    /// element around the `name` field).
    fn find_segment(&mut self, window: Range<usize>, name: &str) -> Option<(usize, Range<usize>)> {
        let key = (window.start, window.end, name.to_owned());
        if let Some(found) = self.segments.get(&key) {
            return found.clone();
        }
        let source = self.source;
        let names = self
            .names
            .entry((window.start, window.end))
            .or_insert_with(|| names_in(source, window.clone()));
        let bytes = source.as_bytes();
        let found = names.get(name).map(|named| match *named {
            Named::Field { at, colon } => (at, colon + 1..value_end(bytes, colon + 1, window.end)),
            Named::Element { at } => (at, group_around(bytes, at, window)),
        });
        self.segments.insert(key, found.clone());
        found
    }

    /// The range of the `n`-th (0-based) element of the list or tuple that
    /// opens at the start of `window` (after leading space).
    fn nth_element(&mut self, window: Range<usize>, n: usize) -> Option<Range<usize>> {
        let source = self.source;
        self.elements
            .entry((window.start, window.end))
            .or_insert_with(|| elements_in(source, window.clone()))
            .get(n)
            .cloned()
            .flatten()
    }
}

/// Every name `window` mentions (see [`Locator::find_segment`]), each at its
/// first mention.
fn names_in(source: &str, window: Range<usize>) -> HashMap<&str, Named> {
    let bytes = source.as_bytes();
    let mut out = HashMap::new();
    let mut i = window.start;
    while i < window.end {
        match bytes[i] {
            b'"' => {
                let end = string_end(bytes, i);
                if end > i + 1 && bytes[end - 1] == b'"' {
                    if let Some(colon) = colon_after(source, end) {
                        out.entry(&source[i + 1..end - 1])
                            .or_insert(Named::Field { at: i, colon });
                    }
                }
                i = end;
            }
            b'/' => i = comment_end(bytes, i).unwrap_or(i + 1),
            c if is_ident(c) && (i == 0 || !is_ident(bytes[i - 1])) => {
                let end = i + bytes[i..].iter().take_while(|&&c| is_ident(c)).count();
                let word = &source[i..end];
                if let Some(colon) = colon_after(source, end) {
                    out.entry(word).or_insert(Named::Field { at: i, colon });
                    let value = source[colon + 1..].trim_start();
                    if word == "name" {
                        if let Some(named) = value
                            .strip_prefix('"')
                            .and_then(|v| v.find('"').map(|q| &v[..q]))
                        {
                            out.entry(named).or_insert(Named::Element { at: i });
                        }
                    }
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    out
}

/// The elements of the list or tuple that opens at the start of `window`
/// (`None` for an empty one), up to the first not followed by a comma.
fn elements_in(source: &str, window: Range<usize>) -> Vec<Option<Range<usize>>> {
    let bytes = source.as_bytes();
    let Some(open) = source[window.clone()].find(['[', '(', '{']) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut start = window.start + open + 1;
    loop {
        let rest = &source[start..window.end];
        let first = start + rest.len() - rest.trim_start().len();
        let end = value_end(bytes, start, window.end);
        out.push((end > first).then_some(first..end));
        if bytes.get(end) != Some(&b',') || end >= window.end {
            return out;
        }
        start = end + 1;
    }
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
