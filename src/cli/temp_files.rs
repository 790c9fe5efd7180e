//! Temporary files and folders written beside an output before they are
//! renamed into place, and the removal of those a killed run left behind.
//!
//! A temporary is named `.{target name}.{kind}-{pid}`: hidden, next to its
//! target (a rename never crosses file systems), owned by one process. A run
//! killed by a signal cannot clean up after itself, so every write first
//! removes the temporaries of its target whose process is gone.

use std::path::{Path, PathBuf};

/// The folder holding `target` ("." for a bare name).
pub(crate) fn parent(target: &Path) -> &Path {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The temporary of kind `kind` for `target`, owned by this process; `None`
/// when `target` has no file name (e.g. `..`).
pub(crate) fn temp_path(target: &Path, kind: &str) -> Option<PathBuf> {
    let name = target.file_name()?;
    Some(parent(target).join(format!(
        ".{}.{kind}-{}",
        name.to_string_lossy(),
        std::process::id()
    )))
}

/// Removes the temporaries of kind `kind` for `target` whose owning process
/// no longer runs. Best effort: a temporary that cannot be removed is left,
/// and never read.
pub(crate) fn remove_stale(target: &Path, kind: &str) {
    let Some(name) = target.file_name() else {
        return;
    };
    let prefix = format!(".{}.{kind}-", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(parent(target)) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() || process_runs(pid) {
            continue;
        }
        let path = entry.path();
        let _ = match entry.file_type() {
            Ok(t) if t.is_dir() => std::fs::remove_dir_all(&path),
            _ => std::fs::remove_file(&path),
        };
    }
}

/// Whether process `pid` exists (a signal-0 probe).
#[cfg(unix)]
fn process_runs(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    match rustix::process::test_kill_process(pid) {
        Ok(()) => true,
        // It exists but belongs to someone else.
        Err(e) => e == rustix::io::Errno::PERM,
    }
}

/// Without a way to probe, every owner is assumed alive: stale temporaries
/// stay (hidden, never read) rather than risk removing a live run's.
#[cfg(not(unix))]
fn process_runs(_pid: u32) -> bool {
    true
}
