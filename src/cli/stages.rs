//! `scaletwin stages`: one architecture across the user ladder.

use super::batch::{write_report_dir, BatchArgs};
use super::output::write_atomic;
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
    let (scenario, _) =
        super::scenario::load(Some(&args.file), &super::scenario::sets(&args.batch.sets))?;
    let reps = crate::sweep::replications(&scenario, args.batch.replications);
    let bar = args.batch.bar();
    let file = args.file.display().to_string();
    let report = args
        .batch
        .in_pool(|| crate::sweep::stages(&scenario, &file, args.batch.plan(reps), bar.as_ref()))?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let json = serde_json::to_string_pretty(&report).expect("serializes") + "\n";
    if let Some(p) = &args.batch.json {
        write_atomic(p, &json)?;
    }
    let md = crate::sweep::stages_markdown(&report);
    if let Some(dir) = &args.batch.out {
        let mut files = vec![
            ("report.json".to_owned(), json),
            ("stages.csv".to_owned(), crate::sweep::stages_csv(&report)),
        ];
        files.extend(crate::report::chart::stages_charts(&report));
        write_report_dir(dir, files, &md)?;
    }
    if !args.batch.quiet {
        print!("{md}");
    }
    Ok(())
}
