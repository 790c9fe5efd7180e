//! `scaletwin plan`: the cheapest configuration of the scenario's `plan`
//! space that meets its SLO, at one user count or every stage.

use super::batch::{BatchArgs, Emitted};
use super::CliError;
use std::path::PathBuf;

/// Replications per candidate when `--replications` is not given.
const DEFAULT_REPLICATIONS: u32 = 5;

/// Arguments of `scaletwin plan`.
#[derive(Debug, clap::Args)]
pub(crate) struct PlanArgs {
    /// Scenario file (RON) with a `plan: (vary: {..})` block.
    file: PathBuf,
    /// Plan for this many active users (default: the scenario's workload.users).
    #[arg(long, conflicts_with = "ladder")]
    users: Option<f64>,
    /// Plan every stage of the scenario's ladder (its `stages`, else 100 .. 10M).
    #[arg(long)]
    ladder: bool,
    /// Most replications of a candidate still undecided (default: 4 x
    /// --replications, which defaults to 5 here and must be at least 2).
    #[arg(long)]
    max_replications: Option<u32>,
    #[command(flatten)]
    batch: BatchArgs,
}

pub(crate) fn plan(args: PlanArgs) -> Result<(), CliError> {
    if args.batch.precision.is_some() {
        // The search decides on its own replications' intervals.
        return Err(CliError::Usage(
            "plan decides each candidate with --replications and --max-replications; --precision is for run, stages, compare and sweep".into(),
        ));
    }
    let (scenario, _) =
        super::scenario::load(Some(&args.file), &super::scenario::sets(&args.batch.sets))?;
    let file = args.file.display().to_string();
    let source = std::fs::read_to_string(&args.file).map_err(|e| CliError::Input {
        path: file.clone(),
        message: e.to_string(),
    })?;
    let space = crate::plan::Space::of(&scenario, &source, &file)?;
    let replications = args.batch.replications.unwrap_or(DEFAULT_REPLICATIONS);
    if replications < 2 {
        return Err(CliError::Usage(
            "--replications: plan needs at least 2 per candidate for a 95% confidence interval"
                .into(),
        ));
    }
    let max_replications = args.max_replications.unwrap_or(4 * replications);
    if max_replications < replications {
        return Err(CliError::Usage(format!(
            "--max-replications {max_replications}: at least --replications ({replications})"
        )));
    }
    if let Some(u) = args.users {
        if !(u.is_finite() && u > 0.0) {
            return Err(CliError::Usage(format!(
                "--users {u}: a positive number of active users"
            )));
        }
    }
    let ladder = if args.ladder {
        crate::sweep::ladder(&scenario)
    } else {
        let users = args.users.unwrap_or(scenario.workload.users);
        vec![(crate::report::users_label(users), users)]
    };
    args.batch.check_out()?;
    let opts = crate::plan::Options {
        replications,
        max_replications,
        max_requests: args.batch.max_requests,
        allow_large: args.batch.allow_large,
    };
    let quiet = args.batch.quiet;
    let progress = move |line: &str| {
        if !quiet {
            super::console::eprint(&format!("{}\n", super::terminal_safe(line)));
        }
    };
    let report = args
        .batch
        .in_pool(|| crate::plan::plan(&scenario, &space, &file, &ladder, opts, &progress))?;
    let mut report = report?;
    let provenance = super::provenance::of(Some(&args.file), &scenario, &args.batch.sets)?;
    let provenance_md = provenance.markdown();
    report.provenance = Some(provenance);
    let files = sized_files(&report, &source, &args.batch.sets)?;
    args.batch.emit(Emitted {
        json: serde_json::to_string_pretty(&report).expect("serializes") + "\n",
        files,
        md: crate::plan::markdown(&report),
        provenance_md,
    })
}

/// The scenario file sized for each stage with a chosen configuration: the
/// original text with `--set`, the stage's users and the chosen overrides
/// spliced in, so its comments survive. One stage: `sized.ron`; a ladder:
/// `sized-<stage>.ron`.
fn sized_files(
    report: &crate::plan::PlanReport,
    source: &str,
    sets: &[String],
) -> Result<Vec<(String, String)>, CliError> {
    let mut files = Vec::new();
    for stage in &report.stages {
        let Some(chosen) = &stage.chosen else {
            continue;
        };
        let mut all = sets.to_vec();
        all.push(format!("workload.users={}", stage.users));
        all.extend(chosen.sets.iter().cloned());
        let text = crate::scenario::apply_to_source(source, &all)?;
        let name = if report.stages.len() == 1 {
            "sized.ron".to_owned()
        } else {
            let safe: String = stage
                .name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            format!("sized-{safe}.ron")
        };
        files.push((name, text));
    }
    Ok(files)
}
