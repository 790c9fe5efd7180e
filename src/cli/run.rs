//! `scaletwin run`: simulate one scenario.

use super::output::{is_stdout, write_output};
use super::progress::{BatchProgress, ProgressArgs, RunProgress};
use super::report_set::{check_report_dir, write_report_set};
use super::{console, CliError};
use crate::report::{render_table, run_precision_section};
use crate::scenario::Setting;
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
    /// Also write the report as JSON to this file (atomically; - for
    /// stdout, which then holds the JSON only).
    #[arg(long, value_name = "OUT")]
    json: Option<PathBuf>,
    /// Write report.json, series.csv, report.md, SVG charts and report.html here.
    /// The set replaces the one an earlier --out wrote there, as a whole; a
    /// folder holding other files is refused.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// No progress bar and no table; errors still go to stderr.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    progress: ProgressArgs,
    /// Run even if the estimated memory is over the budget (4 GiB).
    #[arg(long)]
    allow_large: bool,
    /// Exit with code 1 when the run breaks its SLO (after writing every output).
    #[arg(long)]
    check: bool,
    /// Run until the 95% half-widths of the mean latency and p99 (batch
    /// means within the run) are within this share of them (e.g. 5%), up
    /// to the duration as written: sets run.precision.
    #[arg(long, value_name = "PERCENT")]
    precision: Option<String>,
}

pub(crate) fn run(args: RunArgs) -> Result<(), CliError> {
    let mut sets = Vec::new();
    if let Some(seed) = args.seed {
        sets.push(Setting::flag("--seed", &seed.to_string(), "seed"));
    }
    if let Some(d) = &args.duration {
        // A JSON string: the value is a duration's text, never a bare number.
        let mut s = Setting::flag("--duration", d, "run.duration");
        s.expression = format!("run.duration={}", serde_json::Value::from(d.as_str()));
        sets.push(s);
    }
    sets.extend(super::scenario::sets(&args.sets));
    sets.extend(
        args.precision
            .as_deref()
            .map(super::batch::precision_setting),
    );
    let (scenario, plan) = super::scenario::load(args.file.as_deref(), &sets)?;
    let expressions: Vec<String> = sets.iter().map(|s| s.expression.clone()).collect();
    let provenance = super::provenance::of(args.file.as_deref(), &scenario, &expressions)?;
    let file = super::scenario::display_name(args.file.as_deref());
    super::admit(&plan, &file, args.allow_large, args.quiet)?;
    if let Some(dir) = &args.out {
        check_report_dir(dir)?;
    }
    let mut report = simulate(&scenario, &plan, &file, &args)?;
    report.provenance = Some(provenance);
    let bill = crate::cost::cost(&plan, &crate::cost::Usage::from_report(&report))
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let verdict = report
        .slo
        .as_ref()
        .map(|v| super::verdict::run_verdict(v, &report.summary))
        .unwrap_or_default();
    let table = format!(
        "{verdict}{}{}{}",
        run_precision_section(&report),
        render_table(&report),
        crate::report::cost_section(&bill)
    );
    if let Some(dir) = &args.out {
        let mut files = vec![
            ("report.json".to_owned(), report.to_json()),
            ("series.csv".to_owned(), series_csv(&report)),
        ];
        files.extend(crate::report::chart::run_charts(&report));
        files.push(crate::report::topology_file(&scenario));
        let md = format!(
            "# {}\n\n```text\n{table}```\n{}",
            report.scenario,
            report
                .provenance
                .as_ref()
                .map(|p| p.markdown())
                .unwrap_or_default()
        );
        write_report_set(dir, files, &md)?;
    }
    // Files first, stdout last: a reader that closes stdout early ends the
    // command, and must not cost the files.
    if let Some(path) = &args.json {
        write_output(path, &report.to_json())?;
    }
    if !args.quiet && !args.json.as_deref().is_some_and(is_stdout) {
        console::print(&table)?;
    }
    match &report.slo {
        Some(v) if args.check && !v.met() => Err(CliError::Gate(
            usize::from(!v.latency_met) + usize::from(!v.errors_met),
        )),
        _ => Ok(()),
    }
}

/// The run: as written, or, when the scenario asks for a precision, run
/// to it (stopped at its plan or the cap) with its report.
fn simulate(
    scenario: &crate::scenario::Scenario,
    plan: &crate::scenario::Plan,
    file: &str,
    args: &RunArgs,
) -> Result<crate::Report, CliError> {
    if scenario.run.precision.is_none() {
        let mut progress = RunProgress::new(plan.duration, &args.progress, args.quiet);
        let report = crate::sim::simulate(plan, &mut |t| progress.update(t));
        progress.finish();
        return Ok(report);
    }
    let bar = BatchProgress::new(&args.progress, args.quiet);
    let (mut report, precision) =
        crate::sweep::run_precise(scenario, file, args.allow_large, bar.counter())?
            .expect("the scenario asks for a precision");
    bar.finish();
    report.precision = Some(precision);
    Ok(report)
}

/// The per-interval series as CSV: one row per interval, one column per
/// station's utilization and queue length.
fn series_csv(r: &crate::Report) -> String {
    use std::fmt::Write;
    let mut o = String::from("t_s,offered_rps,throughput_rps,errors_per_s,p50_ms,p99_ms");
    for st in &r.stations {
        let _ = write!(o, ",util_{0},queue_{0}", st.name);
    }
    o.push('\n');
    for row in &r.series {
        let _ = write!(
            o,
            "{},{},{},{},{},{}",
            row.t_s, row.offered_rps, row.throughput_rps, row.errors_per_s, row.p50_ms, row.p99_ms
        );
        for i in 0..r.stations.len() {
            let _ = write!(
                o,
                ",{},{}",
                row.utilization.get(i).copied().unwrap_or(0.0),
                row.queue_length.get(i).copied().unwrap_or(0.0)
            );
        }
        o.push('\n');
    }
    o
}
