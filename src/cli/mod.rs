//! The command line: one module per subcommand, over the library.

mod batch;
mod bench;
mod check;
mod compare;
mod graph;
mod output;
mod run;
mod stages;
mod sweep;
mod validate;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// scaletwin predicts latency, errors and load of a SaaS backend from a
/// scenario file, deterministically: the same scenario and seed give the
/// same report, byte for byte, on any machine.
#[derive(Debug, Parser)]
#[command(name = "scaletwin", version, about, long_about = None)]
#[command(
    after_help = "Examples:\n  scaletwin run                          run the bundled default scenario\n  scaletwin run scenarios/mm1.ron --json out.json\n  scaletwin run s.ron --set workload.users=5000 --set components.api.replicas=6\n  scaletwin validate s.ron               check a file without running it\n  scaletwin bench                        measure simulation speed"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Simulate one scenario and print its report.
    Run(run::RunArgs),
    /// Check a scenario file without running it (exit code 2 on problems).
    Validate(validate::ValidateArgs),
    /// Measure how fast the simulator runs a scenario (wall-clock figures).
    Bench(bench::BenchArgs),
    /// Run one architecture at every stage of the user ladder (100 .. 1M users).
    Stages(stages::StagesArgs),
    /// Run several architectures on the same workload and seeds; paired differences.
    Compare(compare::CompareArgs),
    /// Run a parameter grid with replications (optionally one partition of it).
    Sweep(sweep::SweepArgs),
    /// Merge sweep partitions into the whole.
    Merge(sweep::MergeArgs),
    /// Gate a run report on SLOs and a baseline (exit code 1 when it fails).
    Check(check::CheckArgs),
    /// Print the topology as Graphviz DOT.
    Graph(graph::GraphArgs),
}

/// Why a command failed; decides the exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The scenario or an override is invalid (exit code 2).
    #[error(transparent)]
    Scenario(#[from] crate::ScenarioError),
    /// An output file could not be written (exit code 1).
    #[error("{path}: cannot write: {message}")]
    Output {
        /// The file.
        path: String,
        /// The operating system's reason.
        message: String,
    },
    /// Bad command-line input (exit code 2).
    #[error("{0}")]
    Usage(String),
    /// `check` found broken SLOs or regressions (exit code 1).
    #[error("{0} check(s) failed")]
    Gate(usize),
}

impl CliError {
    fn exit_code(&self) -> u8 {
        match self {
            CliError::Scenario(_) => 2,
            CliError::Output { .. } | CliError::Gate(_) => 1,
            CliError::Usage(_) => 2,
        }
    }
}

/// Refuses a run whose estimated memory is over the budget (unless
/// `allow_large`), and shows the estimate of a long run on stderr.
fn admit(
    model: &crate::scenario::Model,
    file: &str,
    allow_large: bool,
    quiet: bool,
) -> Result<(), CliError> {
    let estimate = crate::model::Footprint::of(model);
    if !estimate.fits() && !allow_large {
        return Err(crate::ScenarioError::TooLarge {
            file: file.to_owned(),
            estimate: estimate.summary(),
            budget_gib: crate::model::MEMORY_BUDGET / (1024.0 * 1024.0 * 1024.0),
        }
        .into());
    }
    if !quiet && estimate.wall_seconds > crate::model::SHOW_ABOVE_SECONDS {
        eprintln!("estimate: {}", estimate.summary());
    }
    Ok(())
}

/// Parses the arguments, runs the command, and maps errors to exit codes:
/// 0 success, 1 runtime failure (e.g. cannot write output), 2 bad input.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Validate(args) => validate::validate(args),
        Command::Bench(args) => bench::bench(args),
        Command::Stages(args) => stages::stages(args),
        Command::Compare(args) => compare::compare(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Merge(args) => sweep::merge(args),
        Command::Check(args) => check::check(args),
        Command::Graph(args) => graph::graph(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
