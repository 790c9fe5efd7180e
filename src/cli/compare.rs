//! `scaletwin compare`: architectures on the same workload and seeds.

use super::batch::{BatchArgs, Emitted};
use super::CliError;
use std::path::PathBuf;

/// Arguments of `scaletwin compare`.
#[derive(Debug, clap::Args)]
pub(crate) struct CompareArgs {
    /// Two or more scenario files; differences are against the first.
    #[arg(required = true, num_args = 2..)]
    files: Vec<PathBuf>,
    /// Compare at every stage of the first scenario's ladder (journey view).
    #[arg(long)]
    stages: bool,
    #[command(flatten)]
    batch: BatchArgs,
}

pub(crate) fn compare(args: CompareArgs) -> Result<(), CliError> {
    let mut scenarios = Vec::new();
    for f in &args.files {
        let (s, _) = super::scenario::load(Some(f), &args.batch.settings())?;
        scenarios.push((s, f.display().to_string()));
    }
    let reps = crate::sweep::replications(&scenarios[0].0, args.batch.replications);
    args.batch.check_out()?;
    let progress = args.batch.progress();
    let report = args.batch.in_pool(|| {
        crate::sweep::compare(
            &scenarios,
            args.stages,
            args.batch.options(reps),
            progress.counter(),
        )
    });
    progress.finish();
    let mut report = report??;
    let mut provenance = super::provenance::of(
        Some(&args.files[0]),
        &scenarios[0].0,
        &args.batch.expressions(),
    )?;
    for f in &args.files {
        provenance.inputs.push(super::provenance::input(f)?);
    }
    let provenance_md = provenance.markdown();
    report.provenance = Some(provenance);
    args.batch.emit(Emitted {
        json: serde_json::to_string_pretty(&report).expect("serializes") + "\n",
        files: crate::report::chart::compare_charts(&report),
        md: crate::report::compare_markdown(&report),
        provenance_md,
    })
}
