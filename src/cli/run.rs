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
    /// Write report.json, series.csv, report.md, SVG charts and report.html here.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// No progress bar and no table; errors still go to stderr.
    #[arg(long, short)]
    quiet: bool,
    /// Run even if the estimated memory is over the budget (4 GiB).
    #[arg(long)]
    allow_large: bool,
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
    let file = args.file.as_ref().map_or_else(
        || crate::scenario::DEFAULT_SCENARIO_FILE.to_owned(),
        |f| f.display().to_string(),
    );
    super::admit(&model, &file, args.allow_large, args.quiet)?;
    let mut progress = Progress::new(model.duration, args.quiet);
    let report = crate::model::simulate(&model, &mut |t| progress.update(t));
    progress.finish();
    if let Some(path) = &args.json {
        write_atomic(path, &report.to_json())?;
    }
    let table = render_table(&report);
    if let Some(dir) = &args.out {
        let mut files = vec![
            ("report.json".to_owned(), report.to_json()),
            ("series.csv".to_owned(), series_csv(&report)),
        ];
        files.extend(crate::report::chart::run_charts(&report));
        let md = format!("# {}\n\n```text\n{table}```\n", report.scenario);
        super::batch::write_report_dir(dir, files, &md)?;
    }
    if !args.quiet {
        print!("{table}");
    }
    Ok(())
}

/// The per-interval series as CSV: one row per interval, one column per
/// station's utilization and queue length.
fn series_csv(r: &crate::Report) -> String {
    use std::fmt::Write;
    let mut o = String::from("t_s,offered_rps,throughput_rps,errors_per_s,p99_ms");
    for st in &r.stations {
        let _ = write!(o, ",util_{0},queue_{0}", st.name);
    }
    o.push('\n');
    for row in &r.series {
        let _ = write!(
            o,
            "{},{},{},{},{}",
            row.t_s, row.offered_rps, row.throughput_rps, row.errors_per_s, row.p99_ms
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
