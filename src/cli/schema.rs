//! `scaletwin schema`: the JSON Schema of the scenario format, for editors.

use super::{console, output, CliError};
use std::path::PathBuf;

/// Arguments of `scaletwin schema`.
#[derive(Debug, clap::Args)]
pub(crate) struct SchemaArgs {
    /// Write the schema to this file instead of stdout (`-` for stdout).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

pub(crate) fn schema(args: SchemaArgs) -> Result<(), CliError> {
    let schema = crate::scenario::json_schema();
    // A Value always serializes (its map keys are strings).
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    match args.out {
        Some(path) => output::write_output(&path, &text),
        None => console::print(&text),
    }
}
