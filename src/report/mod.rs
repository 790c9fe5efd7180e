//! What a run says: the [`Report`] type (serde, stable field order) and its
//! renderings.

pub mod chart;
mod table;

pub use table::render_table;

use crate::metrics::{IntervalRow, LatencySummary, OccupancySummary};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The result of one simulation run. Serializes to the same bytes for the
/// same scenario and seed on any machine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Scenario name.
    pub scenario: String,
    /// Master seed the run used.
    pub seed: u64,
    /// Simulated seconds, warm-up included.
    pub simulated_s: f64,
    /// Seconds of warm-up left out of the statistics.
    pub warmup_s: f64,
    /// Whole-system figures over the measured period.
    pub summary: Summary,
    /// Per endpoint, in name order.
    pub endpoints: Vec<EndpointReport>,
    /// Per station (deployments, then databases).
    pub stations: Vec<StationReport>,
    /// The fault timeline, to mark on the series.
    pub faults: Vec<FaultReport>,
    /// Per-interval time series (warm-up included, so it shows).
    pub series: Vec<IntervalRow>,
    /// Engine counters.
    pub engine: EngineStats,
}

/// Whole-system figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Arrivals per second.
    pub offered_rps: f64,
    /// Successful completions per second.
    pub throughput_rps: f64,
    /// Requests that arrived in the measured period.
    pub arrivals: u64,
    /// Requests that finished successfully.
    pub completed: u64,
    /// Requests that failed.
    pub errors: u64,
    /// errors / (completed + errors).
    pub error_rate: f64,
    /// Failures by cause; every cause is listed, zeros included.
    pub errors_by_cause: BTreeMap<String, u64>,
    /// End-to-end latency of successful requests.
    pub latency: LatencySummary,
}

/// One endpoint's figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EndpointReport {
    /// Endpoint name.
    pub name: String,
    /// Successful requests.
    pub completed: u64,
    /// Failed requests.
    pub errors: u64,
    /// errors / (completed + errors).
    pub error_rate: f64,
    /// Latency of successful requests.
    pub latency: LatencySummary,
}

/// One station's figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StationReport {
    /// Component name.
    pub name: String,
    /// "deployment" or "database".
    pub kind: String,
    /// Occupancy statistics.
    #[serde(flatten)]
    pub stats: OccupancySummary,
}

/// Engine counters (deterministic: no wall-clock figures).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EngineStats {
    /// Events processed.
    pub events: u64,
    /// Requests generated, warm-up included.
    pub requests: u64,
    /// Most requests in flight at once.
    pub peak_in_flight: u64,
}

impl Report {
    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a report always serializes");
        s.push('\n');
        s
    }
}

/// A fault as it happened in the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultReport {
    /// What it was, e.g. `Slowdown(pg x3)`.
    pub label: String,
    /// When it started, seconds since the start.
    pub at_s: f64,
    /// When it ended, if it did.
    pub until_s: Option<f64>,
}
