//! `scaletwin calibrate`: fit a scenario's `Fit` steps to observations.

use super::console;
use super::output::write_output;
use super::CliError;
use crate::calibrate::observed::{self, Window};
use crate::telemetry::Mapping;
use std::path::PathBuf;

/// Arguments of `scaletwin calibrate`.
#[derive(Debug, clap::Args)]
pub(crate) struct CalibrateArgs {
    /// Scenario file (RON) with `Fit` marks, e.g. `Compute(Fit)`.
    file: PathBuf,
    /// Observations: a per-request log (CSV/JSONL: timestamp, endpoint,
    /// latency[, status]) or telemetry (Prometheus query_range .json,
    /// exposition .prom/.txt, or CSV time,series,value).
    #[arg(long, value_name = "DATA")]
    observed: PathBuf,
    /// The low-load window, from the first observation: FROM..TO (e.g. 1m..6m).
    #[arg(long, value_name = "FROM..TO")]
    window: Option<String>,
    /// Which metrics mean what: key=metric pairs (rate, errors, latency,
    /// replicas, cpu, endpoint=label).
    #[arg(long, value_name = "KEY=METRIC,...", default_value = "")]
    map: String,
    /// Write the calibrated scenario here (default: print it).
    #[arg(long, value_name = "OUT")]
    out: Option<PathBuf>,
    /// Write the fit report (report.md, QQ plot SVGs, report.html) here.
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    /// What each fitted step becomes: a lognormal, or the observed
    /// distribution itself (empirical: histogram buckets, or 100 quantiles).
    #[arg(long, value_enum, default_value_t = ShapeArg::Lognormal)]
    shape: ShapeArg,
    /// Fit only the Fit marks of this step kind (Compute, DbRead, DbWrite,
    /// Delay) from observations of that step alone (e.g. a per-step
    /// histogram): no known part is removed and the other marks stay.
    #[arg(long, value_name = "KIND")]
    step: Option<String>,
}

/// `--shape`.
#[derive(Copy, Clone, Debug, clap::ValueEnum)]
enum ShapeArg {
    Lognormal,
    Empirical,
}

pub(crate) fn calibrate(args: CalibrateArgs) -> Result<(), CliError> {
    let (scenario, source) = crate::scenario::read(&args.file)?;
    let window = match &args.window {
        Some(w) => Window::parse(w).map_err(|e| CliError::Usage(format!("--window {e}")))?,
        None => Window::ALL,
    };
    let mapping = Mapping::parse(&args.map).map_err(|e| CliError::Usage(format!("--map {e}")))?;
    let obs = observed::read(&args.observed, window, &mapping)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let provenance = format!(
        "{}, window {}{}",
        args.observed.display(),
        args.window.as_deref().unwrap_or("all"),
        args.step.as_deref().map_or(String::new(), |k| format!(
            ", {k} steps from their own times"
        ))
    );
    let shape = match args.shape {
        ShapeArg::Lognormal => crate::calibrate::Shape::Lognormal,
        ShapeArg::Empirical => crate::calibrate::Shape::Empirical,
    };
    let options = crate::calibrate::Options {
        shape,
        step: args.step.clone(),
    };
    let cal = crate::calibrate::calibrate_with(&scenario, &source, &obs, &provenance, &options)
        .map_err(|e| CliError::Usage(format!("{}: {e}", args.file.display())))?;
    let md = cal.markdown(&provenance);
    if let Some(dir) = &args.report {
        super::report_set::check_report_dir(dir)?;
        super::report_set::write_report_set(dir, cal.charts(), &md)?;
    }
    match &args.out {
        Some(path) => {
            write_output(path, &cal.text)?;
            console::print(&md)
        }
        None => {
            console::eprint(&md);
            console::print(&cal.text)
        }
    }
}
