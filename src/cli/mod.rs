//! The command line: one module per subcommand, over the library.

mod backtest;
mod batch;
mod bench;
mod calibrate;
mod check;
mod compare;
mod completions;
mod console;
mod eta;
mod graph;
mod import;
mod index;
mod output;
mod plan;
mod progress;
mod provenance;
mod report_set;
mod run;
mod scenario;
mod schema;
mod stages;
mod sweep;
mod temp_files;
mod validate;
mod verdict;

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
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Simulate one scenario and print its report.
    #[command(after_help = "Examples:
  scaletwin run                                   the bundled default scenario
  scaletwin run scenarios/stage3-horizontal.ron --out reports/s3
  scaletwin run s.ron --seed 7 --duration 10m --json report.json
  scaletwin run s.ron --set workload.users=50000 --set components.api.replicas=8
  scaletwin run s.ron --check                    exit 1 when the run breaks its SLO")]
    Run(run::RunArgs),
    /// Check a scenario file without running it (exit code 2 on problems).
    #[command(after_help = "Examples:
  scaletwin validate scenarios/stage2-managed-db-cache.ron
  scaletwin validate s.ron && scaletwin run s.ron     gate a run on a clean file")]
    Validate(validate::ValidateArgs),
    /// Measure how fast the simulator runs a scenario (wall-clock figures).
    #[command(after_help = "Examples:
  scaletwin bench                                 the default scenario, best of 3
  scaletwin bench scenarios/mm8.ron --repeat 5")]
    Bench(bench::BenchArgs),
    /// Run one architecture at every stage of the user ladder (100 .. 10M users).
    #[command(
        after_help = "Each stage starts settled (its autoscaled pods at the count its HPA holds) and,
unless --replications, --precision or the scenario's run.precision says otherwise,
runs once until the 95% half-widths of its mean latency and p99 are within 5%
(batch means after MSER-5 truncation), at most the duration as written.

Examples:
  scaletwin stages scenarios/stage1-single-server.ron
  scaletwin stages scenarios/stage3-horizontal.ron --precision 10% --out reports/s3-stages
  scaletwin stages scenarios/stage3-horizontal.ron --replications 3   fixed replications"
    )]
    Stages(stages::StagesArgs),
    /// Run several architectures on the same workload and seeds; paired differences.
    #[command(after_help = "Examples:
  scaletwin compare scenarios/stage2-managed-db-cache.ron scenarios/stage3-horizontal.ron
  scaletwin compare scenarios/stage*.ron --stages --out reports/journey")]
    Compare(compare::CompareArgs),
    /// Run a parameter grid with replications (optionally one partition of it).
    #[command(after_help = "Examples:
  scaletwin sweep s.ron --vary components.app.replicas=2,3,4 --replications 3
  scaletwin sweep s.ron --vary workload.users=1000,10000 --vary components.pg.connections=20,40
  scaletwin sweep s.ron --vary components.app.replicas=2,3,4 --partition 2/3 --json part-2.json")]
    Sweep(sweep::SweepArgs),
    /// Find the cheapest configuration that meets the SLO with 95% confidence,
    /// over the search space the scenario declares in `plan: (vary: {..})`.
    #[command(
        after_help = "The scenario names what may change, with the values to try (paths and
values as --set takes them):

  plan: (vary: {
      \"components.api.hpa.max\": [20, 40, 80],
      \"components.pg.class\": [\"db.r6g.large\", \"db.r6g.xlarge\"],
      \"components.pg.replicas\": [0, 1, 2],
  }),

Each candidate (one value per path) runs --replications times (default 5) on the
same seeds as every other candidate; it meets the SLO when every objective's 95%
interval is on the good side, fails when one is wholly on the bad side, and gets
more replications (up to --max-replications) when undecided. The cheapest cost
floor runs first; when a candidate fails, every candidate with no more capacity
in any path is skipped (numbers ascend; instances and classes by price), and the
search stops once nothing left can cost less than the best one that meets it.

Examples:
  scaletwin plan scenarios/stage3-horizontal.ron --users 100000
  scaletwin plan scenarios/stage3-horizontal.ron --ladder --out plan/     sized-<stage>.ron per stage
  scaletwin plan s.ron --users 5000 --replications 3 --json plan.json"
    )]
    Plan(plan::PlanArgs),
    /// Merge sweep partitions into the whole.
    #[command(after_help = "Example:
  scaletwin merge part-*.json --json sweep.json")]
    Merge(sweep::MergeArgs),
    /// Gate a report on its SLO and a baseline (exit code 1 when it fails).
    #[command(after_help = "Examples:
  scaletwin check report.json                       the SLO recorded in the report
  scaletwin check stages.json                       every stage (also compare and sweep JSON)
  scaletwin check report.json --slo p99=250ms,error_rate=0.01
  scaletwin check new.json --baseline old.json --tolerance 0.1")]
    Check(check::CheckArgs),
    /// Print the topology as Graphviz DOT.
    #[command(after_help = "Example:
  scaletwin graph scenarios/stage4-services.ron | dot -Tsvg > stage4.svg")]
    Graph(graph::GraphArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = "Examples:
  scaletwin completions bash > ~/.local/share/bash-completion/completions/scaletwin
  scaletwin completions zsh > ~/.zfunc/_scaletwin       (with fpath+=~/.zfunc)
  scaletwin completions fish > ~/.config/fish/completions/scaletwin.fish")]
    Completions(completions::CompletionsArgs),
    /// Write a scenario from what you have: Kubernetes manifests, OTLP traces.
    Import(import::ImportArgs),
    /// Fit a scenario's `Fit` steps to observed latencies (exit code 2 on bad data).
    Calibrate(calibrate::CalibrateArgs),
    /// Drive a scenario with the observed arrival rate and compare its
    /// prediction with what happened (exit code 1 on drift beyond a tolerance).
    #[command(after_help = "Examples:
  scaletwin backtest s.ron --observed requests.csv --interval 60s --out backtest/
  scaletwin backtest s.ron --observed prometheus/ --map rate=rate(http_requests_total)
  scaletwin backtest s.ron --observed metrics.json --tolerance p99=0.25,error_rate=0.01")]
    Backtest(backtest::BacktestArgs),
    /// Write an index page linking every report under a folder with its verdict.
    #[command(after_help = "Example:
  scaletwin index reports                         writes reports/index.html")]
    Index(index::IndexArgs),
    /// Print the JSON Schema of the scenario format (for editors and linters).
    #[command(after_help = "Examples:
  scaletwin schema > scaletwin.schema.json
  scaletwin schema --out .vscode/scaletwin.schema.json")]
    Schema(schema::SchemaArgs),
}

/// Why a command failed; decides the exit code.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// The scenario or an override is invalid (exit code 2).
    #[error(transparent)]
    Scenario(#[from] crate::ScenarioError),
    /// An input file (a report for `check`, a part for `merge`) could not
    /// be read (exit code 2).
    #[error("{path}: cannot read: {message}")]
    Input {
        /// The file.
        path: String,
        /// The operating system's reason.
        message: String,
    },
    /// An output file could not be written (exit code 1).
    #[error("{path}: cannot write: {message}")]
    Output {
        /// The file.
        path: String,
        /// The operating system's reason.
        message: String,
    },
    /// An input to `import` is unreadable or malformed (exit code 2).
    #[error(transparent)]
    Import(#[from] crate::import::ImportError),
    /// Bad command-line input (exit code 2).
    #[error("{0}")]
    Usage(String),
    /// `check` found broken SLOs or regressions (exit code 1).
    #[error("{0} check(s) failed")]
    Gate(usize),
    /// The operating system refused the `--threads` worker threads (exit
    /// code 1).
    #[error("cannot start {threads} worker threads: {message}")]
    Threads {
        /// Threads asked for.
        threads: usize,
        /// The operating system's reason.
        message: String,
    },
    /// The reader of stdout went away (`scaletwin run | head -1`): a normal
    /// end, exit code 0 and no message.
    #[error("stdout was closed")]
    StdoutClosed,
}

impl CliError {
    fn exit_code(&self) -> u8 {
        match self {
            CliError::Scenario(_)
            | CliError::Input { .. }
            | CliError::Usage(_)
            | CliError::Import(_) => 2,
            CliError::Output { .. } | CliError::Threads { .. } | CliError::Gate(_) => 1,
            CliError::StdoutClosed => 0,
        }
    }
}

/// `text` with every control character but the line break and tab escaped
/// (`\u{1b}`), so nothing a file or flag holds can drive the terminal.
pub(crate) fn terminal_safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Refuses a run whose estimated memory is over the budget (unless
/// `allow_large`), and shows the estimate of a long run on stderr.
fn admit(
    plan: &crate::scenario::Plan,
    file: &str,
    allow_large: bool,
    quiet: bool,
) -> Result<(), CliError> {
    let estimate = crate::sim::Footprint::of(plan);
    if !estimate.fits() && !allow_large {
        return Err(crate::ScenarioError::TooLarge {
            file: file.to_owned(),
            estimate: estimate.summary(),
            budget_gib: crate::sim::MEMORY_BUDGET / (1024.0 * 1024.0 * 1024.0),
        }
        .into());
    }
    if !quiet && estimate.wall_seconds > crate::sim::SHOW_ABOVE_SECONDS {
        console::eprint(&format!("estimate: {}\n", estimate.summary()));
    }
    Ok(())
}

/// Parses the arguments, runs the command, and maps errors to exit codes:
/// 0 success (also when the reader closed stdout early), 1 runtime failure
/// (e.g. cannot write output), 2 bad input.
pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    temp_files::remove_on_interrupt();
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Validate(args) => validate::validate(args),
        Command::Bench(args) => bench::bench(args),
        Command::Stages(args) => stages::stages(args),
        Command::Compare(args) => compare::compare(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Merge(args) => sweep::merge(args),
        Command::Plan(args) => plan::plan(args),
        Command::Index(args) => index::index(args),
        Command::Check(args) => check::check(args),
        Command::Graph(args) => graph::graph(args),
        Command::Completions(args) => completions::completions(args),
        Command::Import(args) => import::import(args),
        Command::Calibrate(args) => calibrate::calibrate(args),
        Command::Backtest(args) => backtest::backtest(args),
        Command::Schema(args) => schema::schema(args),
    };
    match result {
        Ok(()) | Err(CliError::StdoutClosed) => ExitCode::SUCCESS,
        Err(e) => {
            console::eprint(&format!("error: {}\n", terminal_safe(&e.to_string())));
            ExitCode::from(e.exit_code())
        }
    }
}
