//! `scaletwin validate`: check a scenario without running it.

use super::{console, CliError};
use std::path::PathBuf;

/// Arguments of `scaletwin validate`.
#[derive(Debug, clap::Args)]
pub(crate) struct ValidateArgs {
    /// Scenario file (RON).
    file: PathBuf,
}

pub(crate) fn validate(args: ValidateArgs) -> Result<(), CliError> {
    let loaded = crate::scenario::load_with(Some(&args.file), &[])?;
    let (scenario, plan) = (&loaded.scenario, &loaded.plan);
    let estimate = crate::sim::Footprint::of(plan);
    let mean = estimate.requests / plan.duration.as_secs_f64().max(1e-9);
    let mut text = format!(
        "{}: ok: \"{}\", {} components, {} endpoints, for {}\n  offered load: {:.1} req/s base, {:.1} req/s mean and {:.1} req/s peak over the pattern\n",
        args.file.display(),
        plan.name,
        scenario.components.len(),
        plan.endpoints.len(),
        plan.duration,
        plan.workload.rate,
        mean,
        estimate.peak_rate,
    );
    // The `plan` block is checked as `scaletwin plan` reads it: every path
    // reaches a field and every value, set alone, gives a valid scenario.
    if scenario.plan.is_some() {
        let source = std::fs::read_to_string(&args.file).map_err(|e| CliError::Input {
            path: loaded.file.clone(),
            message: e.to_string(),
        })?;
        let space = crate::plan::Space::of(scenario, &source, &loaded.file)?;
        text.push_str(&format!(
            "  plan: {} candidates over {} fields\n",
            space.candidates().len(),
            space.dimensions.len()
        ));
    }
    for w in &loaded.warnings {
        text.push_str(&super::terminal_safe(&w.render(&loaded.file)));
        text.push('\n');
    }
    console::print(&text)
}
