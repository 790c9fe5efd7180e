//! Writing to stdout and stderr without panicking when the reader is gone.
//!
//! `println!` panics when stdout is a closed pipe (`scaletwin run | head -1`).
//! Every text for stdout goes through [`print`], which turns a broken pipe into
//! [`CliError::StdoutClosed`]: the command stops there and exits 0, as ripgrep
//! and cargo do. Messages for stderr go through [`eprint`], which drops them
//! when stderr is gone (there is nobody left to tell).

use super::CliError;
use std::io::Write;

/// Writes `text` to stdout and flushes it.
pub(crate) fn print(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(CliError::StdoutClosed),
        Err(e) => Err(CliError::Output {
            path: "stdout".into(),
            message: e.to_string(),
        }),
    }
}

/// Writes `text` to stderr, ignoring a closed or failing stderr.
pub(crate) fn eprint(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}
