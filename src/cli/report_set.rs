//! `--out DIR`: a report set (report.json, CSV, Markdown, SVG charts,
//! report.html) that replaces the folder's previous set as a whole.
//!
//! The set is written into a hidden sibling folder (`.DIR.scaletwin-new-PID`),
//! every file and the folder synced, with a manifest (`.scaletwin-report-set`,
//! the sorted list of the set's files) written last; then the sibling is swapped
//! with DIR (one atomic exchange on Linux) and the old set removed. A reader,
//! or a run killed at any point, sees either the old complete set or the new
//! one, never a mix, and no file of an earlier set survives a later one.
//! Temporaries of a killed run are removed by the next run into DIR.
//!
//! DIR is replaced only if it is new, empty, or holds exactly a set that
//! scaletwin wrote (its manifest lists every file in it): a folder with
//! anything else in it is refused before the run starts, so a user's files
//! are never deleted.

use super::output::{is_stdout, output_error};
use super::temp_files::{parent, remove_stale, temp_path, uninterrupted, Live};
use super::CliError;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The manifest's file name inside a report folder.
const MANIFEST: &str = ".scaletwin-report-set";
/// The manifest's first line; the file names follow, one per line.
const MANIFEST_HEADER: &str = "scaletwin report set";
/// The kind of the sibling holding a set being written.
const NEW_KIND: &str = "scaletwin-new";
/// The kind of the sibling holding the replaced set until it is removed.
const OLD_KIND: &str = "scaletwin-old";

/// Checks that `dir` may receive a report set (see the module docs), and
/// returns the folder to write: `dir` with symbolic links resolved.
pub(crate) fn check_report_dir(dir: &Path) -> Result<PathBuf, CliError> {
    if is_stdout(dir) {
        return Err(CliError::Usage(
            "--out takes a folder; - (stdout) is only for single-file outputs such as --json"
                .into(),
        ));
    }
    let meta = match std::fs::metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(dir.to_path_buf()),
        Err(e) => return Err(output_error(dir, e)),
    };
    if !meta.is_dir() {
        return Err(CliError::Usage(format!(
            "--out {}: not a folder; --out takes a folder for the report set",
            dir.display()
        )));
    }
    let foreign = foreign_entries(dir).map_err(|e| output_error(dir, e))?;
    if let Some(first) = foreign.first() {
        return Err(CliError::Usage(format!(
            "--out {}: the folder holds {} file(s) scaletwin did not write (e.g. `{first}`), \
             and the report set replaces the folder as a whole; give a new or empty folder, \
             or one written by an earlier --out",
            dir.display(),
            foreign.len()
        )));
    }
    std::fs::canonicalize(dir).map_err(|e| output_error(dir, e))
}

/// The names in `dir` that its manifest does not list (all of them without
/// a manifest), sorted.
fn foreign_entries(dir: &Path) -> std::io::Result<Vec<String>> {
    let listed: Option<Vec<String>> = match std::fs::read_to_string(dir.join(MANIFEST)) {
        Ok(text) if text.lines().next() == Some(MANIFEST_HEADER) => {
            Some(text.lines().skip(1).map(str::to_owned).collect())
        }
        _ => None,
    };
    let ours = |name: &str| match &listed {
        Some(names) => name == MANIFEST || names.iter().any(|n| n == name),
        None => false,
    };
    let mut foreign = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if !ours(&name) {
            foreign.push(name);
        }
    }
    foreign.sort();
    Ok(foreign)
}

/// Writes a report set into `dir`: `files` (name, contents), then report.md
/// holding `markdown` and report.html rendering that same Markdown with every
/// SVG of `files` embedded; it replaces whatever set `dir` held.
pub(crate) fn write_report_set(
    dir: &Path,
    mut files: Vec<(String, String)>,
    markdown: &str,
) -> Result<(), CliError> {
    let html = crate::report::html(markdown, &files);
    files.push(("report.md".to_owned(), markdown.to_owned()));
    files.push(("report.html".to_owned(), html));
    let dir = check_report_dir(dir)?;
    let err = |e: std::io::Error| output_error(&dir, e);
    let new = temp_path(&dir, NEW_KIND).ok_or_else(|| output_error(&dir, "not a folder name"))?;
    std::fs::create_dir_all(parent(&dir)).map_err(err)?;
    remove_stale(&dir, NEW_KIND);
    remove_stale(&dir, OLD_KIND);
    let _live = Live::new(&new);
    let written = uninterrupted(|| write_set(&new, &files).and_then(|()| swap_in(&new, &dir)));
    if new.exists() {
        let _ = std::fs::remove_dir_all(&new);
    }
    written.map_err(err)?;
    sync_folder(parent(&dir)).map_err(err)
}

/// Writes `files` and the manifest (last) into the new folder `into`, each
/// synced, then the folder itself.
fn write_set(into: &Path, files: &[(String, String)]) -> std::io::Result<()> {
    if into.exists() {
        std::fs::remove_dir_all(into)?;
    }
    std::fs::create_dir(into)?;
    for (name, contents) in files {
        write_synced(&into.join(name), contents)?;
    }
    let mut names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    let mut manifest = format!("{MANIFEST_HEADER}\n");
    for name in names {
        manifest.push_str(name);
        manifest.push('\n');
    }
    write_synced(&into.join(MANIFEST), &manifest)?;
    sync_folder(into)
}

fn write_synced(path: &Path, contents: &str) -> std::io::Result<()> {
    let mut f = std::fs::File::create_new(path)?;
    f.write_all(contents.as_bytes())?;
    f.sync_all()
}

/// Makes `new` the folder `dir`. A new `dir` is a rename; an existing one is
/// exchanged with `new` in one step where the system can (Linux), else
/// moved aside first; the old set (now at `new`, or aside) is then removed.
fn swap_in(new: &Path, dir: &Path) -> std::io::Result<()> {
    if !dir.exists() {
        return std::fs::rename(new, dir);
    }
    // Once the new set is in place, removing the old one is best effort: a
    // leftover is a temporary of this (soon ended) process, removed by the
    // next run.
    if exchange(new, dir).is_ok() {
        let _ = std::fs::remove_dir_all(new);
        return Ok(());
    }
    let old = temp_path(dir, OLD_KIND).ok_or(std::io::ErrorKind::InvalidInput)?;
    std::fs::rename(dir, &old)?;
    if let Err(e) = std::fs::rename(new, dir) {
        let _ = std::fs::rename(&old, dir);
        return Err(e);
    }
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// Swaps two paths atomically (`renameat2(RENAME_EXCHANGE)`).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(std::io::Error::from)
}

/// No atomic exchange here: the caller falls back to two renames.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

/// Makes a folder's entries durable (a no-op where folders cannot be opened).
fn sync_folder(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
