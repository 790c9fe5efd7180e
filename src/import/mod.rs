//! Importers: turn what a team already has (Kubernetes manifests,
//! OpenTelemetry traces) into scenario text to edit and run.
//!
//! An importer reads its input with the ecosystem's own types, writes a
//! complete scenario (RON, with a comment naming the source of every block)
//! and lists every input field it could not model as a warning: nothing is
//! dropped silently. Input that cannot be read is an [`ImportError`] naming
//! the file, the line (and column where known) and the field.

pub mod k8s;
pub mod otlp;

mod unmodelled;

pub use crate::scenario::quantity::{cpu_millicores, memory_bytes, QuantityError};

use std::fmt;

/// A generated scenario and what the importer could not carry into it.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The scenario, as RON text with comments.
    pub ron: String,
    /// One line per input field (or object) that is not modelled.
    pub warnings: Vec<String>,
}

/// Input an importer cannot read: where, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    /// The input file.
    pub file: String,
    /// 1-based line, where known.
    pub line: Option<usize>,
    /// 1-based column, where known.
    pub column: Option<usize>,
    /// The field's path in the input (empty when the problem is the whole file).
    pub field: String,
    /// What is wrong, and what would be valid.
    pub message: String,
}

impl ImportError {
    /// A problem with no known position inside the file.
    pub fn file(file: &str, message: impl Into<String>) -> ImportError {
        ImportError {
            file: file.to_owned(),
            line: None,
            column: None,
            field: String::new(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ImportError {}

/// Quotes a name as a RON string.
fn quoted(text: &str) -> String {
    format!("{text:?}")
}
