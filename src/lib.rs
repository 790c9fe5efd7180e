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
#![warn(missing_docs, unreachable_pub)]

pub mod algo;
pub mod backtest;
pub mod calibrate;
pub mod cli;
pub mod cost;
pub mod engine;
pub mod import;
pub mod metrics;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod sweep;
pub mod telemetry;
pub mod workload;

pub use report::Report;
pub use scenario::{Plan, Scenario, ScenarioError};

/// Simulates a validated plan and returns its report.
pub fn simulate(plan: &Plan) -> Report {
    sim::simulate(plan, &mut |_| {})
}
