//! `scaletwin completions SHELL`: a completion script generated from the
//! same clap definitions the parser uses, so it never lists a stale flag.

use super::{Cli, CliError};
use clap::CommandFactory;
use clap_complete::Shell;

/// Arguments of `scaletwin completions`.
#[derive(Debug, clap::Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to generate for.
    shell: Shell,
}

pub(crate) fn completions(args: CompletionsArgs) -> Result<(), CliError> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "scaletwin", &mut out);
    super::console::print(&String::from_utf8_lossy(&out))
}
