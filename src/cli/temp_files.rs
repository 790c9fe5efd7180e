//! Temporary files and folders written beside an output before they are
//! renamed into place, and the removal of those a killed run left behind.
//!
//! A temporary is named `.{target name}.{kind}-{pid}`: hidden, next to its
//! target (a rename never crosses file systems), owned by one process. While
//! it exists it is registered ([`Live`]): Ctrl-C, SIGTERM or SIGHUP remove
//! the registered temporaries before the process exits with code 130. A run
//! killed outright (SIGKILL) cannot clean up after itself, so every write
//! also first removes the temporaries of its target whose process is gone.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The temporaries this process has open now.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// A registered temporary: removed by an interrupt while this lives.
pub(crate) struct Live(PathBuf);

impl Live {
    /// Registers `path` until the returned value is dropped.
    pub(crate) fn new(path: &Path) -> Live {
        LIVE.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(path.to_owned());
        Live(path.to_owned())
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        let mut live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = live.iter().position(|p| *p == self.0) {
            live.swap_remove(i);
        }
    }
}

/// On Ctrl-C, SIGTERM or SIGHUP: removes the live temporaries and exits
/// with code 130. Failing to install it only loses that cleanup (the next
/// run removes what is left), so an error is ignored.
pub(crate) fn remove_on_interrupt() {
    let _ = ctrlc::set_handler(|| {
        let live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
        for path in live.iter() {
            remove(path);
        }
        std::process::exit(130);
    });
}

/// Runs `f` (writing a temporary and renaming it into place) so that an
/// interrupt takes effect wholly before it (the target untouched) or after
/// it (the new output in place): the handler waits for `f`, so it never
/// removes a temporary that is being written or swapped in. `f` must not
/// create or drop a [`Live`].
pub(crate) fn uninterrupted<T>(f: impl FnOnce() -> T) -> T {
    let _held = LIVE.lock().unwrap_or_else(|e| e.into_inner());
    f()
}

/// Removes a file or a folder with its contents, best effort.
fn remove(path: &Path) {
    let _ = match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(_) => Ok(()),
    };
}

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
        remove(&entry.path());
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
