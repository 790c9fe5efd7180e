//! `scaletwin graph`: the topology as Graphviz DOT.

use super::CliError;
use std::path::PathBuf;

/// Arguments of `scaletwin graph`.
#[derive(Debug, clap::Args)]
pub(crate) struct GraphArgs {
    /// Scenario file (RON).
    file: PathBuf,
}

pub(crate) fn graph(args: GraphArgs) -> Result<(), CliError> {
    let (scenario, _) = super::scenario::load(Some(&args.file), &[])?;
    print!(
        "{}",
        crate::scenario::Topology::new(&scenario).to_dot(&scenario.name)
    );
    Ok(())
}
