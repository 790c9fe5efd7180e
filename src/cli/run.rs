//! `scaletwin run`: simulate one scenario.

use super::output::{write_atomic, Progress};
use super::CliError;
use crate::report::render_table;
use std::path::PathBuf;

/// Arguments of `scaletwin run`.
#[derive(Debug, clap::Args)]
pub(crate) struct RunArgs {
    /// Scenario file (RON). Without it, the bundled default scenario runs.
    file: Option<PathBuf>,
    /// Master seed, overriding the scenario's.
    #[arg(long)]
    seed: Option<u64>,
    /// Simulated duration, overriding the scenario's (e.g. 10m, 90s).
    #[arg(long)]
    duration: Option<String>,
    /// Override a scenario field: path=value (repeatable), e.g.
    /// workload.users=5000, components.api.replicas=6, run.warmup=1m.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
    /// Also write the report as JSON to this file (atomically).
    #[arg(long, value_name = "OUT")]
    json: Option<PathBuf>,
    /// No progress bar and no table; errors still go to stderr.
    #[arg(long, short)]
    quiet: bool,
}

pub(crate) fn run(args: RunArgs) -> Result<(), CliError> {
    let mut sets = Vec::new();
    if let Some(seed) = args.seed {
        sets.push(format!("seed={seed}"));
    }
    if let Some(d) = &args.duration {
        sets.push(format!("run.duration={d}"));
    }
    sets.extend(args.sets.iter().cloned());
    let (_, model) = crate::scenario::load(args.file.as_deref(), &sets)?;
    let mut progress = Progress::new(model.duration, args.quiet);
    let report = crate::model::simulate(&model, &mut |t| progress.update(t));
    progress.finish();
    if let Some(path) = &args.json {
        write_atomic(path, &report.to_json())?;
    }
    if !args.quiet {
        print!("{}", render_table(&report));
    }
    Ok(())
}
