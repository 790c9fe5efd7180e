//! `--set path=value` takes what the scenario file takes. The scenario is
//! written out as RON, the value at `path` is replaced by the given text (any
//! RON value: `200_000`, a struct such as `(min: 2, max: 8)`, a list, an enum
//! such as `Lognormal(mean: "5ms", p99: "40ms")`, or `None` to remove an
//! optional block), and the text is parsed again, so a wrong value gets the
//! message the file would get.
//!
//! ```text
//! components.api.hpa=None
//!   components: [ .., Deployment(name: "api", .., hpa: Some((..)), ..) ]
//!                      ▲ element by name  ▲ field      ▲ replaced by `None`
//! ```
//!
//! A value that is not RON on its own (`1m`, `us-east`) is taken as a string;
//! a JSON object stands for a struct (`{"min": 2}` as `(min: 2)`).

use super::schema::Scenario;
use super::suggest::did_you_mean;
use std::ops::Range;

/// `tree` (RON text of a scenario) with the value at `path` replaced by
/// `value`, and the scenario it reads as; an error says in the scenario's
/// words why it does not apply.
pub(super) fn set(tree: &str, path: &str, value: &str) -> Result<(String, Scenario), String> {
    let root = Reader::new(tree)
        .document()
        .ok_or("the scenario could not be written out as RON")?;
    // A field at its default may be left out of the written form (`data_size`,
    // `sized_by_class`): it is added to its struct, and a name the struct
    // does not take gets the parser's message (every field it takes, and
    // the nearest).
    let (tree, span) = match walk(&root, tree, path) {
        Ok(span) => (tree.to_owned(), span),
        Err(e) => with_field(&root, tree, path, "None").ok_or(e)?,
    };
    set_span(&tree, &span, value)
}

/// `tree` with `value` put in `span` (raw RON, a JSON object as a struct,
/// else a quoted string), and the scenario it reads as.
fn set_span(tree: &str, span: &Range<usize>, value: &str) -> Result<(String, Scenario), String> {
    let spliced = |v: &str| format!("{}{v}{}", &tree[..span.start], &tree[span.end..]);
    let raw = spliced(value);
    let raw_error = match from_ron(&raw) {
        Ok(s) => return Ok((raw, s)),
        Err(e) => e,
    };
    if value.starts_with('"') {
        return Err(raw_error);
    }
    // A JSON object for a struct (`{"off": "19:00-07:00"}`), as earlier
    // versions took it.
    if let Some(fields) = json_as_struct(value) {
        let converted = spliced(&fields);
        if let Ok(s) = from_ron(&converted) {
            return Ok((converted, s));
        }
    }
    // `1m`, `us-east`, `api`: words meant as strings.
    let quoted = spliced(&format!("{value:?}"));
    match from_ron(&quoted) {
        Ok(s) => Ok((quoted, s)),
        // `run.duration=90`: a string was wanted, and the string's own error
        // ("no unit") says more.
        Err(quoted_error) if raw_error.contains("a string in quotes") => Err(quoted_error),
        Err(_) if is_ron_value(value) && !is_word(value) => Err(raw_error),
        Err(quoted_error) => Err(quoted_error),
    }
}

/// The scenario file's own text with the value at `path` replaced by
/// `value` (raw RON, else a quoted string, as [`set`] reads it), so its
/// comments and layout survive. A last segment the file leaves out (a field
/// at its default) is added to its struct. The text returned parses.
pub(super) fn set_in_source(source: &str, path: &str, value: &str) -> Result<String, String> {
    let root = Reader::new(source)
        .document()
        .ok_or("the scenario file could not be read as RON")?;
    let spliced = match walk(&root, source, path) {
        Ok(span) => {
            let at = |v: &str| format!("{}{v}{}", &source[..span.start], &source[span.end..]);
            [at(value), at(&format!("{value:?}"))]
        }
        Err(e) => {
            let at = |v: &str| with_field(&root, source, path, v).map(|(text, _)| text);
            [
                at(value).ok_or_else(|| e.clone())?,
                at(&format!("{value:?}")).ok_or(e)?,
            ]
        }
    };
    let mut last = String::new();
    for text in spliced {
        match from_ron(&text) {
            Ok(_) => return Ok(text),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// `text` with the last field of `path`, absent from its struct, added as
/// `field: value`, and the span of `value` in the new text; `None` when the
/// parent is not a struct.
fn with_field(root: &Node, text: &str, path: &str, value: &str) -> Option<(String, Range<usize>)> {
    let (parent, field) = path.rsplit_once('.')?;
    let node = node_at(root, text, parent)?;
    let Shape::Struct(fields) = &node.unwrapped().shape else {
        return None;
    };
    let (insert_at, lead) = match fields.last() {
        Some((_, last)) => (last.span.end, ", "),
        None => (node.unwrapped().span.start + 1, ""),
    };
    let start = insert_at + lead.len() + field.len() + 2;
    let out = format!(
        "{}{lead}{field}: {value}{}",
        &text[..insert_at],
        &text[insert_at..]
    );
    Some((out, start..start + value.len()))
}

/// The node at `path` (as [`walk`] finds it).
fn node_at<'n>(root: &'n Node, tree: &str, path: &str) -> Option<&'n Node> {
    let mut node = root;
    for segment in path.split('.') {
        node = match &node.unwrapped().shape {
            Shape::Struct(entries) | Shape::Map(entries) => {
                &entries.iter().find(|(name, _)| name == segment)?.1
            }
            Shape::List(items) => match segment.parse::<usize>() {
                Ok(i) if i < items.len() => &items[i],
                _ => items.iter().find(|n| n.name(tree) == Some(segment))?,
            },
            Shape::Scalar | Shape::Tuple(_) => return None,
        };
    }
    Some(node)
}

/// A JSON object written as a RON struct, objects inside it too:
/// `{"a": 1, "b": {"c": true}}` → `(a: 1, b: (c: true))`.
fn json_as_struct(value: &str) -> Option<String> {
    fn write(v: &serde_json::Value, out: &mut String) {
        match v {
            serde_json::Value::Object(map) => {
                out.push('(');
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(k);
                    out.push_str(": ");
                    write(v, out);
                }
                out.push(')');
            }
            serde_json::Value::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write(v, out);
                }
                out.push(']');
            }
            serde_json::Value::Null => out.push_str("None"),
            other => out.push_str(&other.to_string()),
        }
    }
    let v: serde_json::Value = serde_json::from_str(value).ok()?;
    let serde_json::Value::Object(map) = &v else {
        return None;
    };
    if !map.keys().all(|k| is_word(k)) {
        return None;
    }
    let mut out = String::new();
    write(&v, &mut out);
    Some(out)
}

/// A bare identifier: `abc`, `Md5`.
fn is_word(text: &str) -> bool {
    text.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic())
        && text.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// The scenario written as RON, in the form [`set`] reads.
pub(super) fn to_ron(scenario: &Scenario) -> Result<String, String> {
    super::ron_options()
        .to_string(scenario)
        .map_err(|e| e.to_string())
}

/// Reads RON text back into a scenario.
fn from_ron(tree: &str) -> Result<Scenario, String> {
    super::ron_options()
        .from_str::<Scenario>(tree)
        .map_err(|e| super::syntax::explain(tree, &e).message)
}

/// Whether `text` is a RON value by itself (a number, string, list, struct,
/// `None`, `Some(..)` or an enum such as `Exp("1ms")`).
fn is_ron_value(text: &str) -> bool {
    let mut r = Reader::new(text);
    r.value().is_some() && {
        r.skip_blank();
        r.at == text.len()
    }
}

/// The byte range of the value at `path` in a scenario's own text
/// (comments and layout as the user wrote them), for tools that rewrite a
/// value in place (`scaletwin calibrate`); an error says what is there instead.
pub(crate) fn value_span(source: &str, path: &str) -> Result<Range<usize>, String> {
    let root = Reader::new(source)
        .document()
        .ok_or("the scenario text could not be read as one RON value")?;
    walk(&root, source, path)
}

/// Walks `path` (dotted: fields, map keys, list indices or element names)
/// and returns the byte range of the value there.
fn walk(root: &Node, tree: &str, path: &str) -> Result<Range<usize>, String> {
    let mut node = root;
    let mut walked = String::new();
    for segment in path.split('.') {
        let here = if walked.is_empty() {
            "the scenario".to_owned()
        } else {
            walked.clone()
        };
        node = match &node.unwrapped().shape {
            Shape::Struct(entries) | Shape::Map(entries) => entries
                .iter()
                .find(|(name, _)| name == segment)
                .map(|(_, n)| n)
                .ok_or_else(|| {
                    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
                    format!(
                        "{here} has no field `{segment}`;{} it has: {}",
                        did_you_mean(segment, names.iter().copied())
                            .map_or_else(String::new, |f| format!(" did you mean `{f}`?")),
                        names.join(", ")
                    )
                })?,
            Shape::List(items) => {
                let names: Vec<&str> = items.iter().filter_map(|n| n.name(tree)).collect();
                let found = match segment.parse::<usize>() {
                    Ok(i) if i < items.len() => Some(&items[i]),
                    _ => items.iter().find(|n| n.name(tree) == Some(segment)),
                };
                found.ok_or_else(|| {
                    format!(
                        "{here} has no element `{segment}`;{} use an index below {} or a name: {}",
                        did_you_mean(segment, names.iter().copied())
                            .map_or_else(String::new, |f| format!(" did you mean `{f}`?")),
                        items.len(),
                        names.join(", ")
                    )
                })?
            }
            Shape::Scalar | Shape::Tuple(_) => {
                return Err(format!(
                    "{here} is a single value; it has no field `{segment}`"
                ))
            }
        };
        if !walked.is_empty() {
            walked.push('.');
        }
        walked.push_str(segment);
    }
    Ok(node.span.clone())
}

/// A value in RON text: where it is and what it holds.
#[derive(Debug)]
struct Node {
    span: Range<usize>,
    shape: Shape,
}

#[derive(Debug)]
enum Shape {
    /// A number, string, character, `true`, `None`, a unit variant.
    Scalar,
    /// `(a: 1)` or `Name(a: 1)`: fields in order.
    Struct(Vec<(String, Node)>),
    /// `Some(x)`, `Exp("1ms")`, `(1, 2)`.
    Tuple(Vec<Node>),
    /// `[..]`.
    List(Vec<Node>),
    /// `{"key": value}`, keys as their text without quotes.
    Map(Vec<(String, Node)>),
}

impl Node {
    /// Through `Some(..)` and newtype variants to the value they wrap.
    fn unwrapped(&self) -> &Node {
        match &self.shape {
            Shape::Tuple(items) if items.len() == 1 => items[0].unwrapped(),
            _ => self,
        }
    }

    /// The `name` field of a list element, if it has one.
    fn name<'t>(&self, tree: &'t str) -> Option<&'t str> {
        let Shape::Struct(fields) = &self.unwrapped().shape else {
            return None;
        };
        let (_, n) = fields.iter().find(|(f, _)| f == "name")?;
        tree[n.span.clone()].strip_prefix('"')?.strip_suffix('"')
    }
}

/// Whether `token` is a RON number: `200_000`, `-1.5e3`, `0x1F`.
fn is_number(token: &[u8]) -> bool {
    let digits = token
        .strip_prefix(b"-")
        .or(token.strip_prefix(b"+"))
        .unwrap_or(token);
    if let Some(rest) = [&b"0x"[..], b"0o", b"0b"]
        .iter()
        .find_map(|p| digits.strip_prefix(*p))
    {
        return !rest.is_empty() && rest.iter().all(|c| c.is_ascii_hexdigit() || *c == b'_');
    }
    digits
        .first()
        .is_some_and(|c| c.is_ascii_digit() || *c == b'.')
        && digits.iter().any(u8::is_ascii_digit)
        && digits
            .iter()
            .all(|c| c.is_ascii_digit() || b"_.eE+-".contains(c))
}

/// A reader of RON text into [`Node`]s (no values, only their places).
struct Reader<'t> {
    text: &'t [u8],
    at: usize,
}

impl<'t> Reader<'t> {
    fn new(text: &'t str) -> Reader<'t> {
        Reader {
            text: text.as_bytes(),
            at: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    /// The whole text as one value.
    fn document(&mut self) -> Option<Node> {
        let node = self.value()?;
        self.skip_blank();
        (self.at == self.text.len()).then_some(node)
    }

    /// Skips white space and comments.
    fn skip_blank(&mut self) {
        loop {
            while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
                self.at += 1;
            }
            if self.text[self.at..].starts_with(b"//") {
                while self.peek().is_some_and(|c| c != b'\n') {
                    self.at += 1;
                }
            } else if self.text[self.at..].starts_with(b"/*") {
                let end = self.text[self.at + 2..]
                    .windows(2)
                    .position(|w| w == b"*/")
                    .map_or(self.text.len(), |p| self.at + 2 + p + 2);
                self.at = end;
            } else {
                return;
            }
        }
    }

    fn value(&mut self) -> Option<Node> {
        self.skip_blank();
        let start = self.at;
        let shape = match self.peek()? {
            b'"' => {
                self.string()?;
                Shape::Scalar
            }
            b'(' => self.parenthesised()?,
            // A raw identifier (`r#None`, a variant named like a keyword).
            b'r' if self.text.get(self.at + 1) == Some(&b'#') => {
                self.at += 2;
                self.word();
                self.skip_blank();
                if self.peek() == Some(b'(') {
                    self.parenthesised()?
                } else {
                    self.at = self.word_end(start + 2);
                    Shape::Scalar
                }
            }
            b'[' => Shape::List(self.items(b']')?),
            b'{' => Shape::Map(self.entries()?),
            c if c == b'_' || c.is_ascii_alphabetic() => {
                self.word();
                self.skip_blank();
                if self.peek() == Some(b'(') {
                    self.parenthesised()?
                } else {
                    self.at = self.word_end(start);
                    Shape::Scalar
                }
            }
            _ => {
                self.scalar()?;
                Shape::Scalar
            }
        };
        Some(Node {
            span: start..self.at,
            shape,
        })
    }

    /// The end of the identifier that starts at `start`.
    fn word_end(&self, start: usize) -> usize {
        let mut end = start;
        while self
            .text
            .get(end)
            .is_some_and(|&c| c == b'_' || c.is_ascii_alphanumeric())
        {
            end += 1;
        }
        end
    }

    fn word(&mut self) -> Range<usize> {
        let start = self.at;
        self.at = self.word_end(start);
        start..self.at
    }

    /// A number or character literal: up to the next delimiter.
    fn scalar(&mut self) -> Option<()> {
        let start = self.at;
        if self.peek() == Some(b'\'') {
            self.at += 1;
            while let Some(c) = self.peek() {
                self.at += if c == b'\\' { 2 } else { 1 };
                if c == b'\'' {
                    return Some(());
                }
            }
            return None;
        }
        while self
            .peek()
            .is_some_and(|c| !c.is_ascii_whitespace() && !b",:)]}".contains(&c))
        {
            self.at += 1;
        }
        is_number(&self.text[start..self.at]).then_some(())
    }

    fn string(&mut self) -> Option<()> {
        self.at += 1;
        while let Some(c) = self.peek() {
            self.at += 1;
            match c {
                b'\\' => self.at += 1,
                b'"' => return Some(()),
                _ => {}
            }
        }
        None
    }

    /// `(fields)` or `(values)`, after an optional name.
    fn parenthesised(&mut self) -> Option<Shape> {
        let open = self.at;
        self.at += 1;
        self.skip_blank();
        let save = self.at;
        let is_struct = self
            .peek()
            .is_some_and(|c| c == b'_' || c.is_ascii_alphabetic())
            && {
                self.word();
                self.skip_blank();
                self.peek() == Some(b':')
            };
        self.at = save;
        if !is_struct {
            self.at = open;
            return Some(Shape::Tuple(self.items(b')')?));
        }
        let mut fields = Vec::new();
        loop {
            self.skip_blank();
            if self.peek() == Some(b')') {
                self.at += 1;
                return Some(Shape::Struct(fields));
            }
            let name = self.word();
            if name.is_empty() {
                return None;
            }
            let name = String::from_utf8_lossy(&self.text[name]).into_owned();
            self.skip_blank();
            (self.peek() == Some(b':')).then_some(())?;
            self.at += 1;
            fields.push((name, self.value()?));
            self.comma_or(b')')?;
        }
    }

    /// Values separated by commas, from an opening bracket to `close`.
    fn items(&mut self, close: u8) -> Option<Vec<Node>> {
        self.at += 1;
        let mut items = Vec::new();
        loop {
            self.skip_blank();
            if self.peek() == Some(close) {
                self.at += 1;
                return Some(items);
            }
            items.push(self.value()?);
            self.comma_or(close)?;
        }
    }

    /// `{key: value, ..}`.
    fn entries(&mut self) -> Option<Vec<(String, Node)>> {
        self.at += 1;
        let mut entries = Vec::new();
        loop {
            self.skip_blank();
            if self.peek() == Some(b'}') {
                self.at += 1;
                return Some(entries);
            }
            let key = self.value()?;
            let text = String::from_utf8_lossy(&self.text[key.span]).into_owned();
            let key = match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
                Some(inner) => inner.to_owned(),
                None => text,
            };
            self.skip_blank();
            (self.peek() == Some(b':')).then_some(())?;
            self.at += 1;
            entries.push((key, self.value()?));
            self.comma_or(b'}')?;
        }
    }

    /// After an item: a comma, or the closing bracket (left for the caller).
    fn comma_or(&mut self, close: u8) -> Option<()> {
        self.skip_blank();
        match self.peek()? {
            b',' => {
                self.at += 1;
                Some(())
            }
            c if c == close => Some(()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::schema::Component;

    const TREE: &str = r#"(name: "x", workload: (users: 10, mix: {"read": 0.5, "write": 0.5}), components: [Deployment(name: "api", replicas: 2, hpa: Some((min: 1, max: 4))), Cache(name: "redis")], pattern: Exp("1ms"))"#;

    fn at<'t>(path: &str) -> &'t str {
        let root = Reader::new(TREE).document().unwrap();
        &TREE[walk(&root, TREE, path).unwrap()]
    }

    #[test]
    fn paths_reach_fields_keys_and_named_or_indexed_elements() {
        assert_eq!(at("workload.users"), "10");
        assert_eq!(at("workload.mix.write"), "0.5");
        assert_eq!(at("components.api.hpa"), "Some((min: 1, max: 4))");
        assert_eq!(at("components.api.hpa.max"), "4");
        assert_eq!(at("components.1.name"), "\"redis\"");
        assert_eq!(at("pattern"), "Exp(\"1ms\")");
    }

    #[test]
    fn a_wrong_path_says_what_is_there() {
        let root = Reader::new(TREE).document().unwrap();
        let e = walk(&root, TREE, "workload.userz").unwrap_err();
        assert!(
            e.contains("did you mean `users`? it has: users, mix"),
            "{e}"
        );
        let e = walk(&root, TREE, "components.apu.replicas").unwrap_err();
        assert!(e.contains("no element `apu`; did you mean `api`?"), "{e}");
        let e = walk(&root, TREE, "workload.users.x").unwrap_err();
        assert!(e.contains("workload.users is a single value"), "{e}");
    }

    #[test]
    fn the_file_keeps_its_comments_and_gains_a_field_it_left_out() {
        let source = "// top\n(name: \"x\", // the name\n workload: (users: 10), components: [Database(name: \"pg\", connections: 2 /* few */)])";
        let root = Reader::new(source).document().unwrap();
        assert_eq!(
            &source[walk(&root, source, "workload.users").unwrap()],
            "10"
        );
        let node = node_at(&root, source, "components.pg").unwrap();
        assert!(matches!(node.unwrapped().shape, Shape::Struct(ref f) if f.len() == 2));
    }

    #[test]
    fn a_field_left_out_of_the_written_form_can_be_set() {
        // `sized_by_class` and `data_size` are skipped when at their
        // defaults, so the written tree has no place for them.
        let tree = r#"(name: "x", run: (duration: "1s"), workload: (users: 10, rps_per_user: 1.0, mix: {"r": 1.0}), components: [Database(name: "pg", connections: 2)], endpoints: {"r": [DbRead(Exp("1ms"))]})"#;
        let (_, s) = set(tree, "components.pg.sized_by_class", "true").unwrap();
        let Component::Database(db) = &s.components[0] else {
            panic!()
        };
        assert!(db.sized_by_class);
        let (_, s) = set(tree, "components.pg.data_size", "10Gi").unwrap();
        let Component::Database(db) = &s.components[0] else {
            panic!()
        };
        assert_eq!(db.data_size.unwrap().0, 10 << 30);
        // A name the struct does not take still gets a message naming the right one.
        let e = set(tree, "components.pg.datasize", "10Gi").unwrap_err();
        assert!(e.contains("data_size"), "{e}");
    }

    #[test]
    fn values_standing_alone_are_told_from_bare_words() {
        for v in [
            "200_000",
            "None",
            "(min: 2)",
            "[1, 2]",
            "Exp(\"1ms\")",
            "\"a\"",
            "-1.5e3",
        ] {
            assert!(is_ron_value(v), "{v}");
        }
        for v in ["1m", "us-east", "a b", "(unclosed"] {
            assert!(!is_ron_value(v), "{v}");
        }
    }

    #[test]
    fn every_bundled_scenario_is_read_back_whole() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "ron") {
                continue;
            }
            let (scenario, _) = crate::scenario::read(&path).unwrap();
            let tree = to_ron(&scenario).unwrap();
            let mut reader = Reader::new(&tree);
            let read = reader.document();
            assert!(
                read.is_some(),
                "{}: stuck at {}",
                path.display(),
                &tree[reader.at.saturating_sub(80)..(reader.at + 40).min(tree.len())]
            );
            let back = from_ron(&tree).unwrap();
            assert_eq!(
                serde_json::to_string(&back).unwrap(),
                serde_json::to_string(&scenario).unwrap()
            );
        }
    }
}
