//! `scaletwin stages`: one architecture across the user ladder.

use super::batch::{BatchArgs, Emitted};
use super::CliError;
use std::path::PathBuf;

/// Arguments of `scaletwin stages`.
#[derive(Debug, clap::Args)]
pub(crate) struct StagesArgs {
    /// Scenario file (RON).
    file: PathBuf,
    #[command(flatten)]
    batch: BatchArgs,
}

pub(crate) fn stages(args: StagesArgs) -> Result<(), CliError> {
    let (scenario, _) = super::scenario::load(Some(&args.file), &args.batch.settings())?;
    let reps = crate::sweep::replications(&scenario, args.batch.replications);
    args.batch.check_out()?;
    let progress = args.batch.progress();
    let file = args.file.display().to_string();
    let report = args.batch.in_pool(|| {
        crate::sweep::stages(
            &scenario,
            &file,
            args.batch.options(reps),
            progress.counter(),
        )
    });
    progress.finish();
    let mut report = report??;
    let provenance = super::provenance::of(Some(&args.file), &scenario, &args.batch.expressions())?;
    let provenance_md = provenance.markdown();
    report.provenance = Some(provenance);
    let mut files = vec![("stages.csv".to_owned(), crate::report::stages_csv(&report))];
    files.extend(crate::report::chart::stages_charts(&report));
    files.push(crate::report::topology_file(&scenario));
    args.batch.emit(Emitted {
        json: serde_json::to_string_pretty(&report).expect("serializes") + "\n",
        files,
        md: crate::report::stages_markdown(&report),
        provenance_md,
    })
}
