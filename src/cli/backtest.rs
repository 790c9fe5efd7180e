//! `scaletwin backtest`: run a scenario at the observed arrival rate and
//! compare its prediction with what the real system did (exit code 1 when
//! a figure drifts beyond its tolerance).

use super::output::write_output;
use super::report_set::{check_report_dir, write_report_set};
use super::temp_files::Live;
use super::{console, CliError};
use crate::backtest::render::BacktestReport;
use crate::backtest::{compare, observed};
use crate::telemetry::Mapping;
use rayon::prelude::*;
use std::path::PathBuf;

/// Replications when neither the flag nor the scenario sets them.
const DEFAULT_REPLICATIONS: u32 = 5;

/// Arguments of `scaletwin backtest`.
#[derive(Debug, clap::Args)]
pub(crate) struct BacktestArgs {
    /// Scenario file (RON), without `Fit` marks (calibrate it first).
    file: PathBuf,
    /// What the real system did: a per-request log (CSV/JSONL: timestamp or
    /// intended_ns, endpoint, latency / latency_ms / latency_ns, status), or
    /// telemetry files or folders (Prometheus query_range .json, exposition
    /// .prom/.txt, CSV time,series,value); `.gz` is read as gzip. Repeatable.
    #[arg(long, value_name = "DATA", required = true)]
    observed: Vec<PathBuf>,
    /// Which metrics mean what: key=metric pairs (rate, errors, latency,
    /// replicas, cpu, endpoint=label); `rate(NAME)` or a name ending in
    /// `_total` is a counter, read as its rate.
    #[arg(long, value_name = "KEY=METRIC,...", default_value = "")]
    map: String,
    /// Tolerances, name=value pairs: MAPE as a share for throughput, p50,
    /// p99, replicas, cpu (defaults 0.1, 0.2, 0.3, 0.1, 0.2), mean absolute
    /// difference for error_rate (0.02).
    #[arg(long, value_name = "NAME=VALUE,...", default_value = "")]
    tolerance: String,
    /// Interval compared (default: the scenario's run.interval).
    #[arg(long, value_name = "DURATION")]
    interval: Option<String>,
    /// Replications behind each prediction and its 95% band (at least 2;
    /// default: the scenario's run.replications, else 5).
    #[arg(long, value_name = "R")]
    replications: Option<u32>,
    /// The Deployment whose replicas and CPU the telemetry describes
    /// (default: all, summed).
    #[arg(long, value_name = "NAME")]
    deployment: Option<String>,
    /// Override a scenario field: path=value (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
    /// Also write the result as JSON to this file (- for stdout).
    #[arg(long, value_name = "OUT")]
    json: Option<PathBuf>,
    /// Write report.md, report.html, overlay charts, backtest.json,
    /// backtest.csv (per interval) and observed-rate.csv (the trace that
    /// drove the twin) here.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// No summary on stdout; errors still go to stderr.
    #[arg(long, short)]
    quiet: bool,
}

/// A bad flag value as a usage error naming the flag.
fn usage<E: std::fmt::Display>(flag: &'static str) -> impl Fn(E) -> CliError {
    move |e| CliError::Usage(format!("{flag} {e}"))
}

pub(crate) fn backtest(args: BacktestArgs) -> Result<(), CliError> {
    let sets = super::scenario::sets(&args.sets);
    let (scenario, _) = super::scenario::load(Some(&args.file), &sets)?;
    let file = args.file.display().to_string();
    let interval = match &args.interval {
        Some(text) => {
            crate::scenario::units::Duration::parse(text)
                .map_err(|e| CliError::Usage(format!("--interval {text}: {e}")))?
                .0
        }
        None => scenario.run.interval.nanos(),
    };
    if interval.as_secs_f64() <= 0.0 {
        return Err(CliError::Usage("--interval: must be longer than 0".into()));
    }
    let replications = args
        .replications
        .or(scenario.run.replications)
        .unwrap_or(DEFAULT_REPLICATIONS);
    if replications < 2 {
        return Err(CliError::Usage(format!(
            "--replications {replications}: at least 2 are needed for a 95% band"
        )));
    }
    let mapping = Mapping::parse(&args.map).map_err(usage("--map"))?;
    let tolerances = compare::Tolerances::parse(&args.tolerance).map_err(usage("--tolerance"))?;
    let deployments = crate::backtest::deployments(&scenario, args.deployment.as_deref())
        .map_err(usage("--deployment"))?;
    let data = observed::read(&args.observed, interval.as_secs_f64(), &mapping)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let endpoints: Vec<&str> = scenario.endpoints.keys().map(String::as_str).collect();
    let trace = crate::backtest::rate_trace(&data, &endpoints)
        .map_err(|e| CliError::Usage(format!("{}: {e}", args.observed[0].display())))?;
    if let Some(dir) = &args.out {
        check_report_dir(dir)?;
    }
    let plans = {
        let path = std::env::temp_dir().join(format!(
            "scaletwin-backtest-{}-rate.csv",
            std::process::id()
        ));
        let _live = Live::new(&path);
        std::fs::write(&path, &trace).map_err(|e| CliError::Output {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let plans: Result<Vec<_>, CliError> = (0..replications)
            .map(|rep| {
                let mut s = crate::backtest::driven(&scenario, &data, &path)
                    .map_err(|e| CliError::Usage(format!("{file}: {e}")))?;
                s.seed = crate::sweep::seed_for(scenario.seed, 0, u64::from(rep));
                Ok(crate::scenario::check(&s, "", &file)?)
            })
            .collect();
        let _ = std::fs::remove_file(&path);
        plans?
    };
    super::admit(&plans[0], &file, false, args.quiet)?;
    let runs: Vec<crate::Report> = plans.par_iter().map(crate::simulate).collect();
    let report = BacktestReport {
        scenario: scenario.name.clone(),
        observed: args
            .observed
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        interval_s: interval.as_secs_f64(),
        intervals: data.rows.len(),
        seeds: plans.iter().map(|p| p.seed).collect(),
        comparisons: compare::compare(&data, &runs, &deployments, &tolerances),
    };
    let md = report.markdown();
    if let Some(dir) = &args.out {
        let mut files = report.charts();
        files.push(("backtest.json".into(), report.json()));
        files.push(("backtest.csv".into(), report.csv()));
        files.push(("observed-rate.csv".into(), trace));
        write_report_set(dir, files, &md)?;
    }
    if let Some(path) = &args.json {
        write_output(path, &report.json())?;
    }
    if !args.quiet && !args.json.as_deref().is_some_and(super::output::is_stdout) {
        console::print(&md)?;
    }
    match report.failures().len() {
        0 => Ok(()),
        n => Err(CliError::Gate(n)),
    }
}
