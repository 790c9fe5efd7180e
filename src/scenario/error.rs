//! Errors in scenario input, with the place they were found.

use super::resolve::Problem;
use std::fmt;

/// Why a scenario could not be used. Every variant names the file and,
/// where known, the line and column or field path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{file}: cannot read the scenario: {message}")]
    Io {
        /// The file.
        file: String,
        /// The operating system's reason.
        message: String,
    },
    /// RON syntax or type error.
    #[error("{file}:{line}:{column}: {message}\n{snippet}")]
    Syntax {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser expected.
        message: String,
        /// The offending line with a caret under the column.
        snippet: String,
    },
    /// One or more semantic problems.
    #[error("{}", Located(.file, .problems))]
    Invalid {
        /// The file.
        file: String,
        /// Every problem found, each with its field path and location.
        problems: Vec<LocatedProblem>,
    },
    /// The run would need more memory than the budget allows.
    #[error("{file}: too large to run: {estimate}; over the {budget_gib} GiB budget. Make the run shorter or smaller (users, keys, caches, queue_limit), or pass --allow-large to run it anyway")]
    TooLarge {
        /// The file.
        file: String,
        /// The estimate, in words (requests, in flight, memory, time).
        estimate: String,
        /// The memory budget in GiB.
        budget_gib: f64,
    },
    /// An override (`--set path=value`, or a flag such as `--duration`)
    /// that does not apply.
    #[error("{flag} {expression}: {message}")]
    Override {
        /// The flag the user typed (`--set`, `--duration`, `--vary`...).
        flag: String,
        /// The flag's value as given.
        expression: String,
        /// Why it does not apply.
        message: String,
    },
}

/// A semantic problem plus where in the file it is, when that can be found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocatedProblem {
    /// The problem.
    pub problem: Problem,
    /// 1-based (line, column) in the file, if found.
    pub position: Option<(usize, usize)>,
}

struct Located<'a>(&'a String, &'a Vec<LocatedProblem>);

impl fmt::Display for Located<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.1.len();
        write!(
            f,
            "{}: {n} problem{} found",
            self.0,
            if n == 1 { "" } else { "s" }
        )?;
        for lp in self.1 {
            write!(f, "\n  ")?;
            if let Some((line, col)) = lp.position {
                write!(f, "{}:{line}:{col}: ", self.0)?;
            }
            write!(f, "{}: {}", lp.problem.path, lp.problem.message)?;
        }
        Ok(())
    }
}

/// The text of line `line` (1-based) with a caret under column `column`.
pub(crate) fn snippet(source: &str, line: usize, column: usize) -> String {
    let text = source.lines().nth(line.saturating_sub(1)).unwrap_or("");
    let pad: String = text
        .chars()
        .take(column.saturating_sub(1))
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    format!("  | {text}\n  | {pad}^")
}
