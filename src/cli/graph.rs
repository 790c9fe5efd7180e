//! `scaletwin graph`: the topology as Graphviz DOT.

use super::{console, CliError};
use std::path::PathBuf;

/// Arguments of `scaletwin graph`.
#[derive(Debug, clap::Args)]
pub(crate) struct GraphArgs {
    /// Scenario file (RON).
    file: PathBuf,
}

pub(crate) fn graph(args: GraphArgs) -> Result<(), CliError> {
    let (scenario, _) = super::scenario::load(Some(&args.file), &[])?;
    console::print(&crate::scenario::Topology::new(&scenario).to_dot(&scenario.name))
}
