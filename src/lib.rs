//! scaletwin: a deterministic discrete-event simulator and digital twin of a
//! SaaS backend.
//!
//! ```text
//! scenario.ron ─parse─▶ Scenario ─validate─▶ Plan ─simulate─▶ Report ─▶ table · JSON
//! ```
//!
//! ```
//! let (_, plan) = scaletwin::scenario::load(None, &["run.duration=\"60s\"".into()]).unwrap();
//! let report = scaletwin::simulate(&plan);
//! assert!(report.summary.completed > 0);
//! ```
#![forbid(unsafe_code)]
#![warn(clippy::too_many_lines)]
#![warn(missing_docs, unreachable_pub)]

pub mod algo;
pub mod backtest;
pub mod calibrate;
mod cli;
pub mod cost;
pub mod engine;
pub mod import;
pub mod metrics;
pub mod plan;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod sweep;
pub mod telemetry;
pub mod workload;

pub use report::Report;
pub use scenario::{Plan, Scenario, ScenarioError};

/// The `scaletwin` command line: parses the arguments, runs the command
/// and maps its outcome to an exit code (0 success, 1 runtime failure, 2 bad
/// input). The binary is this call; the library's API is everything else.
pub fn main_cli() -> std::process::ExitCode {
    cli::main()
}

/// Simulates a validated plan and returns its report.
pub fn simulate(plan: &Plan) -> Report {
    sim::simulate(plan, &mut |_| {})
}
