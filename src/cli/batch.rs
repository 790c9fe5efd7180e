//! Options shared by the commands that run many simulations
//! (`stages`, `compare`, `sweep`), and their output.

use super::output::{is_stdout, write_output};
use super::progress::{BatchProgress, ProgressArgs};
use super::report_set::{check_report_dir, write_report_set};
use super::{console, CliError};
use crate::scenario::Setting;
use crate::sweep::{Batch, DEFAULT_MAX_REQUESTS};
use std::path::PathBuf;

/// How many runs, how big, on how many threads.
#[derive(Debug, clap::Args)]
pub(crate) struct BatchArgs {
    /// Replications per point (default: the scenario's run.replications,
    /// else 1; `stages` without it runs to a precision, 5% by default).
    #[arg(long, value_parser = at_least_one)]
    pub(crate) replications: Option<u32>,
    /// Shorten any run above this many requests, for a quick look, the
    /// stages' settle pilots included (default 0: never; a shortened big
    /// stage may stop its autoscaler mid-climb).
    #[arg(long, default_value_t = DEFAULT_MAX_REQUESTS)]
    pub(crate) max_requests: u64,
    /// Run even if a run's estimated memory is over the budget (4 GiB).
    #[arg(long)]
    pub(crate) allow_large: bool,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long)]
    pub(crate) threads: Option<usize>,
    /// Override a scenario field: path=value (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub(crate) sets: Vec<String>,
    /// Run each configuration until the 95% half-widths of its mean latency
    /// and p99 are within this share of them (e.g. 5%), up to the duration
    /// as written: sets run.precision.
    #[arg(long, value_name = "PERCENT")]
    pub(crate) precision: Option<String>,
    /// Write the result as JSON to this file (- for stdout, which then holds
    /// the JSON only).
    #[arg(long, value_name = "OUT")]
    pub(crate) json: Option<PathBuf>,
    /// Write report.json, CSV, Markdown, SVG charts and report.html here.
    /// The set replaces the one an earlier --out wrote there, as a whole; a
    /// folder holding other files is refused.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// No progress bar and no table.
    #[arg(long, short)]
    pub(crate) quiet: bool,
    #[command(flatten)]
    pub(crate) progress: ProgressArgs,
}

/// `--precision P`, as the `run.precision` it sets (`run` and every batch
/// command read it alike).
pub(crate) fn precision_setting(p: &str) -> Setting {
    // A JSON string: the value is a percentage's text.
    let mut s = Setting::flag("--precision", p, "run.precision");
    s.expression = format!("run.precision={}", serde_json::Value::from(p));
    s
}

impl BatchArgs {
    /// The overrides: every `--set`, then `--precision` as the
    /// `run.precision` it sets.
    pub(crate) fn settings(&self) -> Vec<Setting> {
        let mut out = super::scenario::sets(&self.sets);
        out.extend(self.precision.as_deref().map(precision_setting));
        out
    }

    /// The overrides as the provenance lists them (see [`Self::settings`]).
    pub(crate) fn expressions(&self) -> Vec<String> {
        self.settings().into_iter().map(|s| s.expression).collect()
    }

    pub(crate) fn options(&self, replications: u32) -> Batch {
        Batch {
            replications,
            max_requests: self.max_requests,
            allow_large: self.allow_large,
        }
    }

    /// Progress over runs (see [`BatchProgress`]).
    pub(crate) fn progress(&self) -> BatchProgress {
        BatchProgress::new(&self.progress, self.quiet)
    }

    /// Runs `f` on a pool of `--threads` threads (or the global pool); an
    /// error when the operating system refuses the threads.
    pub(crate) fn in_pool<T: Send>(&self, f: impl FnOnce() -> T + Send) -> Result<T, CliError> {
        match self.threads {
            Some(n) => {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(n.max(1))
                    .build()
                    .map_err(|e| CliError::Threads {
                        threads: n.max(1),
                        message: e.to_string(),
                    })?;
                Ok(pool.install(f))
            }
            None => Ok(f()),
        }
    }
}

/// A batch command's result: `json` (the whole result as JSON), the report
/// set's other `files` (name, contents) and its Markdown `md`. Files are
/// written first and stdout last, so a reader that closes stdout early
/// costs no file.
pub(crate) struct Emitted {
    pub(crate) json: String,
    pub(crate) files: Vec<(String, String)>,
    pub(crate) md: String,
    /// The provenance section report.md and report.html end with.
    pub(crate) provenance_md: String,
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

impl BatchArgs {
    /// Writes `--out`, `--json` and the Markdown table (unless `--quiet`, or
    /// stdout holds the JSON).
    pub(crate) fn emit(&self, e: Emitted) -> Result<(), CliError> {
        if let Some(dir) = &self.out {
            let mut files = vec![("report.json".to_owned(), e.json.clone())];
            files.extend(e.files);
            write_report_set(dir, files, &(e.md.clone() + &e.provenance_md))?;
        }
        if let Some(p) = &self.json {
            write_output(p, &e.json)?;
        }
        if !self.quiet && !self.json.as_deref().is_some_and(is_stdout) {
            console::print(&e.md)?;
        }
        Ok(())
    }

    /// Refuses an `--out` folder that cannot take a report set, before the
    /// runs start.
    pub(crate) fn check_out(&self) -> Result<(), CliError> {
        if let Some(dir) = &self.out {
            check_report_dir(dir)?;
        }
        Ok(())
    }
}
