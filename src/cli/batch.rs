//! Options shared by the commands that run many simulations
//! (`stages`, `compare`, `sweep`), and their output.

use super::output::write_atomic;
use super::CliError;
use crate::sweep::{Plan, DEFAULT_MAX_REQUESTS};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// How many runs, how big, on how many threads.
#[derive(Debug, clap::Args)]
pub(crate) struct BatchArgs {
    /// Replications per point (default: the scenario's run.replications, else 1).
    #[arg(long, value_parser = at_least_one)]
    pub(crate) replications: Option<u32>,
    /// Shorten any run above this many requests, for a quick look (default 0:
    /// never; a shortened big stage may stop its autoscaler mid-climb).
    #[arg(long, default_value_t = DEFAULT_MAX_REQUESTS)]
    pub(crate) max_requests: u64,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long)]
    pub(crate) threads: Option<usize>,
    /// Override a scenario field: path=value (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub(crate) sets: Vec<String>,
    /// Write the result as JSON to this file.
    #[arg(long, value_name = "OUT")]
    pub(crate) json: Option<PathBuf>,
    /// Write report.json, CSV, Markdown, SVG charts and report.html here.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// No progress bar and no table.
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

impl BatchArgs {
    pub(crate) fn plan(&self, replications: u32) -> Plan {
        Plan {
            replications,
            max_requests: self.max_requests,
        }
    }

    /// A progress bar over runs, on a terminal only.
    pub(crate) fn bar(&self) -> Option<ProgressBar> {
        if self.quiet || !std::io::stderr().is_terminal() {
            return None;
        }
        let bar = ProgressBar::with_draw_target(Some(1), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} runs [{bar:40}] {pos}/{len} ({elapsed} elapsed, {eta} left)",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        Some(bar)
    }

    /// Runs `f` on a pool of `--threads` threads (or the global pool).
    pub(crate) fn in_pool<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        match self.threads {
            Some(n) => rayon::ThreadPoolBuilder::new()
                .num_threads(n.max(1))
                .build()
                .expect("a thread pool")
                .install(f),
            None => f(),
        }
    }
}

/// A count of at least 1 (as `run.replications` must be).
fn at_least_one(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "expected a whole number from 1 to {}, each replication one run with its own seed",
            u32::MAX
        )),
    }
}

pub(crate) fn io_err(path: &Path, e: std::io::Error) -> CliError {
    CliError::Output {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Writes a report directory, creating it: `files` (name, contents), then
/// report.md holding `markdown` and report.html rendering that same Markdown
/// with every SVG of `files` embedded.
pub(crate) fn write_report_dir(
    dir: &Path,
    mut files: Vec<(String, String)>,
    markdown: &str,
) -> Result<(), CliError> {
    let html = crate::report::chart::html(markdown, &files);
    files.push(("report.md".to_owned(), markdown.to_owned()));
    files.push(("report.html".to_owned(), html));
    std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    for (name, contents) in &files {
        write_atomic(&dir.join(name), contents)?;
    }
    Ok(())
}
