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
    let (scenario, model) = (&loaded.scenario, &loaded.model);
    let mut text = format!(
        "{}: ok: \"{}\", {} components, {} endpoints, {:.1} req/s offered for {}\n",
        args.file.display(),
        model.name,
        scenario.components.len(),
        model.endpoints.len(),
        model.workload.rate,
        model.duration
    );
    for w in &loaded.warnings {
        text.push_str(&super::terminal_safe(&w.render(&loaded.file)));
        text.push('\n');
    }
    console::print(&text)
}
