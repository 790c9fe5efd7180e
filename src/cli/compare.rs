//! `scaletwin compare`: architectures on the same workload and seeds.

use super::batch::{write_report_dir, BatchArgs};
use super::output::write_atomic;
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
        let (s, _) = super::scenario::load(Some(f), &super::scenario::sets(&args.batch.sets))?;
        scenarios.push((s, f.display().to_string()));
    }
    let reps = crate::sweep::replications(&scenarios[0].0, args.batch.replications);
    let bar = args.batch.bar();
    let report = args.batch.in_pool(|| {
        crate::sweep::compare(&scenarios, args.stages, args.batch.plan(reps), bar.as_ref())
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let json = serde_json::to_string_pretty(&report).expect("serializes") + "\n";
    if let Some(p) = &args.batch.json {
        write_atomic(p, &json)?;
    }
    let md = crate::sweep::compare_markdown(&report);
    if let Some(dir) = &args.batch.out {
        let mut files = vec![("report.json".to_owned(), json)];
        files.extend(crate::report::chart::compare_charts(&report));
        write_report_dir(dir, files, &md)?;
    }
    if !args.batch.quiet {
        print!("{md}");
    }
    Ok(())
}
