//! `scaletwin sweep` (a parameter grid, optionally one partition of it) and
//! `scaletwin merge` (partitions back into the whole).

use super::batch::{io_err, BatchArgs};
use super::output::write_atomic;
use super::CliError;
use crate::sweep::SweepReport;
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

fn emit(report: &SweepReport, batch: &BatchArgs) -> Result<(), CliError> {
    let json = serde_json::to_string_pretty(report).expect("serializes") + "\n";
    if let Some(p) = &batch.json {
        write_atomic(p, &json)?;
    }
    let md = crate::sweep::sweep_markdown(report);
    if let Some(dir) = &batch.out {
        super::batch::write_report_dir(dir, vec![("report.json".to_owned(), json)], &md)?;
    }
    if !batch.quiet {
        print!("{md}");
    }
    Ok(())
}

pub(crate) fn sweep(args: SweepArgs) -> Result<(), CliError> {
    let part = args.partition.as_deref().map(partition).transpose()?;
    let (scenario, _) =
        super::scenario::load(Some(&args.file), &super::scenario::sets(&args.batch.sets))?;
    let reps = crate::sweep::replications(&scenario, args.batch.replications);
    let bar = args.batch.bar();
    let file = args.file.display().to_string();
    let report = args.batch.in_pool(|| {
        crate::sweep::sweep(
            &scenario,
            &file,
            &args.vary,
            args.batch.plan(reps),
            part,
            bar.as_ref(),
        )
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    emit(&report, &args.batch)
}

/// Arguments of `scaletwin merge`.
#[derive(Debug, clap::Args)]
pub(crate) struct MergeArgs {
    /// Partition outputs (JSON written by `sweep --json`).
    #[arg(required = true)]
    parts: Vec<PathBuf>,
    /// Where to write the merged JSON.
    #[arg(long, value_name = "OUT")]
    json: Option<PathBuf>,
    /// No table.
    #[arg(long, short)]
    quiet: bool,
}

pub(crate) fn merge(args: MergeArgs) -> Result<(), CliError> {
    let mut parts = Vec::new();
    for p in &args.parts {
        let text = std::fs::read_to_string(p).map_err(|e| io_err(p, e))?;
        let r: SweepReport = serde_json::from_str(&text)
            .map_err(|e| CliError::Usage(format!("{}: not a sweep output: {e}", p.display())))?;
        parts.push(r);
    }
    let whole = crate::sweep::merge(parts).map_err(CliError::Usage)?;
    let json = serde_json::to_string_pretty(&whole).expect("serializes") + "\n";
    if let Some(p) = &args.json {
        write_atomic(p, &json)?;
    }
    if !args.quiet {
        print!("{}", crate::sweep::sweep_markdown(&whole));
    }
    Ok(())
}
