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

/// The precision `stages` runs each stage to when neither the command line
/// (`--precision`, `--replications`) nor the scenario (`run.precision`)
/// says how long: the stages start settled, so one run each by batch means
/// answers sooner than fixed replications and says how sure it is.
pub(crate) const DEFAULT_PRECISION: &str = "5%";

pub(crate) fn stages(args: StagesArgs) -> Result<(), CliError> {
    let mut settings = args.batch.settings();
    let (mut scenario, _) = super::scenario::load(Some(&args.file), &settings)?;
    if scenario.run.precision.is_none() && args.batch.replications.is_none() {
        settings.push(super::batch::precision_setting(DEFAULT_PRECISION));
        (scenario, _) = super::scenario::load(Some(&args.file), &settings)?;
    }
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
    let expressions: Vec<String> = settings.into_iter().map(|s| s.expression).collect();
    let provenance = super::provenance::of(Some(&args.file), &scenario, &expressions)?;
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
