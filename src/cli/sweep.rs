//! `scaletwin sweep` (a parameter grid, optionally one partition of it) and
//! `scaletwin merge` (partitions back into the whole).

use super::batch::{BatchArgs, Emitted};
use super::output::{input_error, is_stdout, write_output};
use super::{console, CliError};
use crate::report::SweepReport;
use std::path::PathBuf;

/// Arguments of `scaletwin sweep`.
#[derive(Debug, clap::Args)]
pub(crate) struct SweepArgs {
    /// Scenario file (RON).
    file: PathBuf,
    /// A field and its values: path=v1,v2,... (repeatable; the grid is the product).
    #[arg(long, required = true, value_name = "PATH=V1,V2")]
    vary: Vec<String>,
    /// Run only slice i of n (1-based), e.g. 2/4, for batch runners.
    #[arg(long, value_name = "I/N")]
    partition: Option<String>,
    #[command(flatten)]
    batch: BatchArgs,
}

fn partition(text: &str) -> Result<(usize, usize), CliError> {
    let bad = || {
        CliError::Usage(format!(
            "--partition {text}: expected I/N with 1 <= I <= N, e.g. 1/2"
        ))
    };
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let (i, n): (usize, usize) = (
        i.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if i == 0 || i > n {
        return Err(bad());
    }
    Ok((i, n))
}

pub(crate) fn sweep(args: SweepArgs) -> Result<(), CliError> {
    let part = args.partition.as_deref().map(partition).transpose()?;
    let (scenario, _) = super::scenario::load(Some(&args.file), &args.batch.settings())?;
    let reps = crate::sweep::replications(&scenario, args.batch.replications);
    args.batch.check_out()?;
    let progress = args.batch.progress();
    let file = args.file.display().to_string();
    let report = args.batch.in_pool(|| {
        crate::sweep::sweep(
            &scenario,
            &file,
            &args.vary,
            args.batch.options(reps),
            part,
            progress.counter(),
        )
    });
    progress.finish();
    let mut report = report??;
    let provenance = super::provenance::of(Some(&args.file), &scenario, &args.batch.expressions())?;
    let provenance_md = provenance.markdown();
    report.provenance = Some(provenance);
    args.batch.emit(Emitted {
        json: serde_json::to_string_pretty(&report).expect("serializes") + "\n",
        files: sweep_files(&report),
        md: crate::report::sweep_markdown(&report),
        provenance_md,
    })
}

/// The sweep's files beside report.json: sweep.csv and its charts.
fn sweep_files(report: &SweepReport) -> Vec<(String, String)> {
    let mut files = vec![("sweep.csv".to_owned(), crate::report::sweep_csv(report))];
    files.extend(crate::report::chart::sweep_charts(report));
    files
}

/// Arguments of `scaletwin merge`.
#[derive(Debug, clap::Args)]
pub(crate) struct MergeArgs {
    /// Partition outputs (JSON written by `sweep --json`).
    #[arg(required = true)]
    parts: Vec<PathBuf>,
    /// Where to write the merged JSON (- for stdout, which then holds the
    /// JSON only).
    #[arg(long, value_name = "OUT")]
    json: Option<PathBuf>,
    /// No table.
    #[arg(long, short)]
    quiet: bool,
}

pub(crate) fn merge(args: MergeArgs) -> Result<(), CliError> {
    let mut parts = Vec::new();
    for p in &args.parts {
        let text = std::fs::read_to_string(p).map_err(|e| input_error(p, e))?;
        let r: SweepReport = serde_json::from_str(&text)
            .map_err(|e| CliError::Usage(format!("{}: not a sweep output: {e}", p.display())))?;
        parts.push(r);
    }
    let mut whole = crate::sweep::merge(parts).map_err(|e| CliError::Usage(e.to_string()))?;
    // The scenario's provenance is the parts'; the command and inputs are the merge's.
    if let Some(p) = whole.provenance.as_mut() {
        p.command = crate::report::result_command(std::env::args());
        p.inputs = args
            .parts
            .iter()
            .map(|f| super::provenance::input(f))
            .collect::<Result<_, _>>()?;
    }
    let json = serde_json::to_string_pretty(&whole).expect("serializes") + "\n";
    if let Some(p) = &args.json {
        write_output(p, &json)?;
    }
    if !args.quiet && !args.json.as_deref().is_some_and(is_stdout) {
        console::print(&crate::report::sweep_markdown(&whole))?;
    }
    Ok(())
}
