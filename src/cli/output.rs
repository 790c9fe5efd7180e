//! Output helpers: atomic file writes and the progress bar.

use super::CliError;
use crate::algo::Nanos;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Instant;

/// Writes `contents` to `path` atomically: a temporary file in the same
/// directory, flushed, then renamed over the target. An interrupted write
/// never leaves a half-written file or clobbers a good one.
pub(crate) fn write_atomic(path: &Path, contents: &str) -> Result<(), CliError> {
    let err = |e: std::io::Error| CliError::Output {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| CliError::Output {
        path: path.display().to_string(),
        message: "not a file name".into(),
    })?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(contents.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}

/// A progress bar over simulated time that appears only when a run lasts
/// longer than a second, and only on a terminal.
pub(crate) struct Progress {
    total: Nanos,
    started: Instant,
    bar: Option<ProgressBar>,
    enabled: bool,
}

impl Progress {
    /// A progress reporter for a run of `total` simulated time.
    pub(crate) fn new(total: Nanos, quiet: bool) -> Progress {
        Progress {
            total,
            started: Instant::now(),
            bar: None,
            enabled: !quiet && std::io::stderr().is_terminal(),
        }
    }

    /// Simulated time has reached `now`.
    pub(crate) fn update(&mut self, now: Nanos) {
        if !self.enabled {
            return;
        }
        if self.bar.is_none() && self.started.elapsed().as_secs_f64() > 1.0 {
            let bar = ProgressBar::with_draw_target(Some(1000), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} simulating [{bar:40}] {percent}% ({elapsed} elapsed, {eta} left)",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            self.bar = Some(bar);
        }
        if let Some(bar) = &self.bar {
            bar.set_position((now.0 as f64 / self.total.0.max(1) as f64 * 1000.0) as u64);
        }
    }

    /// Removes the bar.
    pub(crate) fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
