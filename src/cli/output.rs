//! Single-file outputs (`--json OUT`): stdout for `-`, written in place for
//! devices, FIFOs and sockets, atomically for regular files and new paths.
//!
//! The atomic write (a temporary beside the target, synced, renamed over it)
//! means an interrupted run never leaves a half-written report or clobbers a
//! good one. A rename would replace a non-regular file by a regular one (as
//! root, `--json /dev/null` would destroy `/dev/null`), so anything that
//! exists and is not a regular file is opened and written like a shell's
//! `>` does (a FIFO waits for its reader).

use super::temp_files::{remove_stale, temp_path, uninterrupted, Live};
use super::{console, CliError};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The kind of the single-file temporaries (`.report.json.tmp-PID`).
const TEMP_KIND: &str = "tmp";

/// Whether `path` is `-`, which stands for stdout.
pub(crate) fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Writes `contents` to the single-file output `path` (see the module docs).
pub(crate) fn write_output(path: &Path, contents: &str) -> Result<(), CliError> {
    if is_stdout(path) {
        return console::print(contents);
    }
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => write_atomic(&through_links(path)?, contents),
        Ok(m) if m.is_dir() => Err(output_error(
            path,
            "is a folder; give a file name, or - for stdout",
        )),
        Ok(_) => write_in_place(path, contents),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => write_atomic(path, contents),
        Err(e) => Err(output_error(path, e)),
    }
}

/// `path` with symbolic links resolved, so that the rename replaces the file
/// a link points to and not the link.
fn through_links(path: &Path) -> Result<PathBuf, CliError> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            std::fs::canonicalize(path).map_err(|e| output_error(path, e))
        }
        _ => Ok(path.to_path_buf()),
    }
}

/// Writes into an existing non-regular file (device, FIFO) without
/// truncating or replacing it.
fn write_in_place(path: &Path, contents: &str) -> Result<(), CliError> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| output_error(path, e))?;
    f.write_all(contents.as_bytes())
        .and_then(|()| f.flush())
        .map_err(|e| output_error(path, e))
}

/// Writes `contents` to the regular file (or new path) `path` atomically: a
/// temporary in the same folder, synced, then renamed over the target.
fn write_atomic(path: &Path, contents: &str) -> Result<(), CliError> {
    let tmp = temp_path(path, TEMP_KIND).ok_or_else(|| output_error(path, "not a file name"))?;
    remove_stale(path, TEMP_KIND);
    let _live = Live::new(&tmp);
    let result = uninterrupted(|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(contents.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| output_error(path, e))
}

/// An output that cannot be written.
pub(crate) fn output_error(path: &Path, message: impl ToString) -> CliError {
    CliError::Output {
        path: path.display().to_string(),
        message: message.to_string(),
    }
}

/// An input that cannot be read.
pub(crate) fn input_error(path: &Path, message: impl ToString) -> CliError {
    CliError::Input {
        path: path.display().to_string(),
        message: message.to_string(),
    }
}
