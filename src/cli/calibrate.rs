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
    /// exposition .prom/.txt, or CSV time,series,value). With --fit, several
    /// files or folders (the cache counters may be in files of their own).
    #[arg(long, value_name = "DATA", num_args = 1.., required = true)]
    observed: Vec<PathBuf>,
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
    /// Fit workload values instead of the Fit marks: workload.rate (the
    /// rate and its pattern), workload.mix, workload.keys (the keys' Zipf
    /// exponent, from a cache's hit and miss counters).
    #[arg(long, value_name = "PATH,...", conflicts_with_all = ["step", "shape"])]
    fit: Option<String>,
    /// The cache the hit and miss counters (--map hits=..,misses=..) are
    /// of: a Cache component's name or DEPLOYMENT/l1 (default: the only one).
    #[arg(long, value_name = "NAME")]
    cache: Option<String>,
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
    if let Some(fit) = &args.fit {
        return calibrate_workload(&args, &scenario, &source, fit, window, &mapping);
    }
    let [observed_path] = args.observed.as_slice() else {
        return Err(CliError::Usage(
            "--observed: fitting Fit marks reads one file (several are for --fit)".into(),
        ));
    };
    let obs = observed::read(observed_path, window, &mapping)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let provenance = format!(
        "{}, window {}{}",
        observed_path.display(),
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
    write(&args, &cal.text, &md, cal.charts())
}

/// `--fit`: the workload values from the observations.
fn calibrate_workload(
    args: &CalibrateArgs,
    scenario: &crate::scenario::Scenario,
    source: &str,
    fit: &str,
    window: Window,
    mapping: &Mapping,
) -> Result<(), CliError> {
    use crate::calibrate::workload::{self, Sources, WorkloadFits};
    let fits = WorkloadFits::parse(fit).map_err(|e| CliError::Usage(format!("--fit {e}")))?;
    if !fits.any() {
        return Err(CliError::Usage("--fit: name at least one path".into()));
    }
    let files: Vec<String> = args
        .observed
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let provenance = format!(
        "{}, window {}",
        files.join(" "),
        args.window.as_deref().unwrap_or("all")
    );
    let sources = Sources {
        paths: &args.observed,
        window,
        mapping,
        cache: args.cache.as_deref(),
    };
    let cal = workload::calibrate_workload(scenario, source, fits, &sources, &provenance)
        .map_err(|e| CliError::Usage(format!("{}: {e}", args.file.display())))?;
    let md = cal.markdown(&provenance);
    write(args, &cal.text, &md, Vec::new())
}

/// Writes the calibrated text (to --out, else stdout) and the report.
fn write(
    args: &CalibrateArgs,
    text: &str,
    md: &str,
    charts: Vec<(String, String)>,
) -> Result<(), CliError> {
    if let Some(dir) = &args.report {
        super::report_set::check_report_dir(dir)?;
        super::report_set::write_report_set(dir, charts, md)?;
    }
    match &args.out {
        Some(path) => {
            write_output(path, text)?;
            console::print(md)
        }
        None => {
            console::eprint(md);
            console::print(text)
        }
    }
}
