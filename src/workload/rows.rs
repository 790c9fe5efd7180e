//! Streamed reading of recorded tables (CSV with a header, or JSON Lines):
//! one row at a time, named columns, every error with its file and line.
//!
//! Rate traces, request logs and telemetry CSVs all come through here, so
//! a file of any length is read in constant memory.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// Opens `path` for reading, decompressing it on the fly when its name ends
/// in `.gz` (gzip, as recordings are committed).
pub fn open_reader(path: &Path) -> std::io::Result<Box<dyn Read + Send>> {
    let f = File::open(path)?;
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
    {
        Ok(Box::new(flate2::read::MultiGzDecoder::new(f)))
    } else {
        Ok(Box::new(f))
    }
}

/// The extension that says what `path` holds, looking through a `.gz`
/// (`requests.csv.gz` is a CSV).
pub fn content_extension(path: &Path) -> Option<String> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    if ext == "gz" {
        Path::new(path.file_stem()?)
            .extension()?
            .to_str()
            .map(str::to_ascii_lowercase)
    } else {
        Some(ext)
    }
}

/// A row that cannot be read: where it is and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {}{message}", field.as_ref().map_or(String::new(), |f| format!("field `{f}`: ")))]
pub struct RowError {
    /// The file.
    pub file: String,
    /// The 1-based line (0 when the file cannot be opened).
    pub line: u64,
    /// The column, when one is at fault.
    pub field: Option<String>,
    /// What is wrong and what would be valid.
    pub message: String,
}

/// How a table is written, from its file extension.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TableFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line (`.jsonl`, `.ndjson`).
    Jsonl,
}

impl TableFormat {
    /// The format of `path`: JSON Lines for `.jsonl`/`.ndjson`, CSV otherwise.
    pub fn of(path: &Path) -> TableFormat {
        match content_extension(path).as_deref() {
            Some("jsonl" | "ndjson") => TableFormat::Jsonl,
            _ => TableFormat::Csv,
        }
    }
}

enum Source {
    Csv {
        reader: csv::Reader<BufReader<Box<dyn Read + Send>>>,
        header: Vec<String>,
        record: csv::StringRecord,
    },
    Jsonl {
        reader: BufReader<Box<dyn Read + Send>>,
        text: String,
        line: u64,
    },
}

/// Rows of a table, read one at a time; the wanted columns are chosen by
/// name with [`Rows::select`].
pub struct Rows {
    file: String,
    source: Source,
    /// Per wanted column: its accepted names.
    wanted: Vec<Vec<String>>,
    /// Per wanted column (CSV): its index in the header.
    index: Vec<Option<usize>>,
    values: Vec<Option<String>>,
    line: u64,
}

impl Rows {
    /// Opens `path` (CSV with a header row, or JSON Lines by extension;
    /// gzip-compressed when it ends in `.gz`).
    pub fn open(path: &Path) -> Result<Rows, RowError> {
        let file = path.display().to_string();
        let fail = |line, message: String| RowError {
            file: file.clone(),
            line,
            field: None,
            message,
        };
        let f = open_reader(path).map_err(|e| fail(0, format!("cannot open: {e}")))?;
        let source = match TableFormat::of(path) {
            TableFormat::Csv => {
                let mut reader = csv::ReaderBuilder::new()
                    .trim(csv::Trim::All)
                    .from_reader(BufReader::new(f));
                let header = reader
                    .headers()
                    .map_err(|e| fail(1, format!("cannot read the header row: {e}")))?
                    .iter()
                    .map(str::to_owned)
                    .collect();
                Source::Csv {
                    reader,
                    header,
                    record: csv::StringRecord::new(),
                }
            }
            TableFormat::Jsonl => Source::Jsonl {
                reader: BufReader::new(f),
                text: String::new(),
                line: 0,
            },
        };
        Ok(Rows {
            file,
            source,
            wanted: Vec::new(),
            index: Vec::new(),
            values: Vec::new(),
            line: 0,
        })
    }

    /// The file's name as given.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The CSV header's column names (empty for JSON Lines).
    pub fn header(&self) -> &[String] {
        match &self.source {
            Source::Csv { header, .. } => header,
            Source::Jsonl { .. } => &[],
        }
    }

    /// Chooses the columns to read, each by its accepted names (the first
    /// present wins); returns, per column, whether the CSV header has it
    /// (always `true` for JSON Lines, where each row may differ).
    pub fn select(&mut self, columns: &[&[&str]]) -> Vec<bool> {
        self.wanted = columns
            .iter()
            .map(|names| names.iter().map(|n| (*n).to_owned()).collect())
            .collect();
        self.index = match &self.source {
            Source::Csv { header, .. } => columns
                .iter()
                .map(|names| {
                    names
                        .iter()
                        .find_map(|n| header.iter().position(|h| h.eq_ignore_ascii_case(n)))
                })
                .collect(),
            Source::Jsonl { .. } => vec![None; columns.len()],
        };
        self.values = vec![None; columns.len()];
        match &self.source {
            Source::Csv { .. } => self.index.iter().map(Option::is_some).collect(),
            Source::Jsonl { .. } => vec![true; columns.len()],
        }
    }

    /// Reads the next row; `Ok(false)` at the end of the file.
    pub fn advance(&mut self) -> Result<bool, RowError> {
        match &mut self.source {
            Source::Csv { reader, record, .. } => {
                let more = reader.read_record(record).map_err(|e| RowError {
                    file: self.file.clone(),
                    line: e.position().map_or(self.line + 1, |p| p.line()),
                    field: None,
                    message: e.to_string(),
                })?;
                if !more {
                    return Ok(false);
                }
                self.line = record.position().map_or(self.line + 1, |p| p.line());
                for (v, i) in self.values.iter_mut().zip(&self.index) {
                    *v = i
                        .and_then(|i| record.get(i))
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned);
                }
                Ok(true)
            }
            Source::Jsonl { reader, text, line } => loop {
                text.clear();
                let n = reader.read_line(text).map_err(|e| RowError {
                    file: self.file.clone(),
                    line: *line + 1,
                    field: None,
                    message: e.to_string(),
                })?;
                if n == 0 {
                    return Ok(false);
                }
                *line += 1;
                self.line = *line;
                if text.trim().is_empty() {
                    continue;
                }
                let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text)
                    .map_err(|e| RowError {
                        file: self.file.clone(),
                        line: *line,
                        field: None,
                        message: format!("not a JSON object: {e}"),
                    })?;
                for (v, names) in self.values.iter_mut().zip(&self.wanted) {
                    *v = names.iter().find_map(|n| match object.get(n) {
                        Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s.clone()),
                        Some(serde_json::Value::Number(x)) => Some(x.to_string()),
                        _ => None,
                    });
                }
                return Ok(true);
            },
        }
    }

    /// The current row's line number.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The text of wanted column `i` in the current row, if present and non-empty.
    pub fn text(&self, i: usize) -> Option<&str> {
        self.values.get(i)?.as_deref()
    }

    /// Wanted column `i` as a finite number, if present.
    pub fn number(&self, i: usize) -> Result<Option<f64>, RowError> {
        match self.text(i) {
            None => Ok(None),
            Some(s) => match s.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(Some(x)),
                _ => Err(self.error(i, format!("`{s}` is not a finite number"))),
            },
        }
    }

    /// Wanted column `i` as a required finite number.
    pub fn required(&self, i: usize) -> Result<f64, RowError> {
        self.number(i)?
            .ok_or_else(|| self.error(i, "missing (a number is required)".into()))
    }

    /// An error about wanted column `i` in the current row.
    pub fn error(&self, i: usize, message: String) -> RowError {
        RowError {
            file: self.file.clone(),
            line: self.line,
            field: self.wanted.get(i).and_then(|n| n.first().cloned()),
            message,
        }
    }

    /// An error about the file as a whole (line 1: its header).
    pub fn file_error(&self, message: String) -> RowError {
        RowError {
            file: self.file.clone(),
            line: self.line.max(1),
            field: None,
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("scaletwin-rows-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn csv_and_jsonl_rows_read_by_name_with_line_numbers() {
        let p = write("a.csv", "time,rps\n0,5\n1, x\n");
        let mut rows = Rows::open(&p).unwrap();
        assert_eq!(rows.select(&[&["t", "time"], &["rps"]]), vec![true, true]);
        assert!(rows.advance().unwrap());
        assert_eq!(rows.required(1).unwrap(), 5.0);
        assert!(rows.advance().unwrap());
        let e = rows.required(1).unwrap_err();
        assert_eq!(e.line, 3);
        assert!(
            e.to_string()
                .ends_with(":3: field `rps`: `x` is not a finite number"),
            "{e}"
        );
        assert!(!rows.advance().unwrap());

        let p = write(
            "a.jsonl",
            "{\"ts\": 1.5, \"endpoint\": \"a\"}\n\nnot json\n",
        );
        let mut rows = Rows::open(&p).unwrap();
        rows.select(&[&["timestamp", "ts"], &["endpoint"], &["key"]]);
        assert!(rows.advance().unwrap());
        assert_eq!(rows.required(0).unwrap(), 1.5);
        assert_eq!(rows.text(1), Some("a"));
        assert_eq!(rows.text(2), None);
        let e = rows.advance().unwrap_err();
        assert_eq!(e.line, 3, "{e}");
    }
}
