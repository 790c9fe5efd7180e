//! Multi-document YAML: split a file into documents that remember where they
//! start, read each with serde, and turn serde's errors into [`ImportError`]s
//! with the file's own line numbers.

use super::super::ImportError;
use serde::de::DeserializeOwned;

/// One YAML document of a file.
pub(super) struct Document {
    /// The file it came from.
    pub(super) file: String,
    /// 0-based index of its first line in the file.
    pub(super) offset: usize,
    /// Its text.
    pub(super) text: String,
}

/// Splits a file at `---` (and `...`) lines.
pub(super) fn documents(file: &str, text: &str) -> Vec<Document> {
    let mut docs = Vec::new();
    let mut offset = 0;
    let mut current = String::new();
    for (i, line) in text.lines().enumerate() {
        let marker = line == "---" || line.starts_with("--- ") || line == "...";
        if marker {
            docs.push(Document {
                file: file.to_owned(),
                offset,
                text: std::mem::take(&mut current),
            });
            offset = i + 1;
            continue;
        }
        current.push_str(line);
        current.push('\n');
    }
    docs.push(Document {
        file: file.to_owned(),
        offset,
        text: current,
    });
    docs
}

impl Document {
    /// Reads the document as `T`.
    pub(super) fn read<T: DeserializeOwned>(&self) -> Result<T, ImportError> {
        serde_norway::from_str(&self.text).map_err(|e| self.error_from(&e))
    }

    fn error_from(&self, e: &serde_norway::Error) -> ImportError {
        let text = e.to_string();
        let message = self.relocate(&text);
        let message = message.as_str();
        let (field, message) = match message.split_once(": ") {
            Some((path, rest)) if !path.contains(' ') => (path.to_owned(), rest.to_owned()),
            _ => (String::new(), message.to_owned()),
        };
        let location = e.location();
        ImportError {
            file: self.file.clone(),
            line: Some(location.as_ref().map_or(1, |l| l.line()) + self.offset),
            column: location.map(|l| l.column()),
            field,
            message,
        }
    }

    /// serde's message without its own position (the error carries it) and
    /// with the document's line numbers in any further position (libyaml's
    /// "while parsing a block mapping at line 2 column 1") made the file's.
    fn relocate(&self, text: &str) -> String {
        let mut pieces = text.split(" at line ");
        let mut out = pieces.next().unwrap_or_default().to_owned();
        for (i, piece) in pieces.enumerate() {
            let digits = piece
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(piece.len());
            let rest = &piece[digits..];
            if i == 0 {
                if let Some((_, context)) = rest.split_once(',') {
                    out.push(',');
                    out.push_str(context);
                }
            } else {
                let line: usize = piece[..digits].parse().unwrap_or(0);
                out.push_str(&format!(" at line {}{rest}", line + self.offset));
            }
        }
        out
    }

    /// A problem with a field, at the field's line.
    pub(super) fn error(&self, field: &str, message: impl Into<String>) -> ImportError {
        ImportError {
            file: self.file.clone(),
            line: Some(self.line_of(field)),
            column: None,
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// The 1-based line of a field path (`spec.template.spec.containers[0].image`)
    /// in block-style YAML: each key is looked for after the previous one's
    /// line. Falls back to the last key found (the document's start at worst).
    pub(super) fn line_of(&self, path: &str) -> usize {
        let lines: Vec<&str> = self.text.lines().collect();
        let mut at = lines
            .iter()
            .position(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .unwrap_or(0);
        let mut from = at;
        for segment in path.split('.') {
            let (key, indexes) = segment.split_once('[').unwrap_or((segment, ""));
            let Some(found) = (from..lines.len()).find(|&i| {
                let l = lines[i].trim_start().trim_start_matches("- ");
                l.starts_with(key) && l[key.len()..].starts_with(':')
            }) else {
                break;
            };
            at = found;
            from = found + 1;
            // `containers[2]`: the third item of the list under the key.
            for index in indexes
                .split('[')
                .filter_map(|i| i.trim_end_matches(']').parse::<usize>().ok())
            {
                if let Some(item) = nth_item(&lines, from, index) {
                    at = item;
                    from = item;
                }
            }
        }
        at + 1 + self.offset
    }
}

/// The line of the `index`-th item of the block list starting at or after `from`.
fn nth_item(lines: &[&str], from: usize, index: usize) -> Option<usize> {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let first = (from..lines.len()).find(|&i| lines[i].trim_start().starts_with("- "))?;
    let depth = indent(lines[first]);
    (first..lines.len())
        .take_while(|&i| lines[i].trim().is_empty() || indent(lines[i]) >= depth)
        .filter(|&i| indent(lines[i]) == depth && lines[i].trim_start().starts_with("- "))
        .nth(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_keep_their_lines() {
        let docs = documents("f.yaml", "a: 1\n---\nb: 2\nc: [\n");
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].offset, 2);
        let e = docs[1].read::<serde_norway::Value>().unwrap_err();
        assert_eq!(e.file, "f.yaml");
        assert!(e.line.unwrap() >= 4, "{e}");
        assert_eq!(docs[1].line_of("c"), 4);
    }

    #[test]
    fn lines_of_nested_fields() {
        let doc = &documents(
            "f.yaml",
            "spec:\n  containers:\n  - name: a\n    ports:\n    - port: 1\n    image: x\n  - name: b\n    image: y\n",
        )[0];
        assert_eq!(doc.line_of("spec.containers[1].image"), 8);
        assert_eq!(doc.line_of("spec.containers[0].image"), 6);
        assert_eq!(doc.line_of("spec.nothing"), 1);
    }
}
