//! What `scaletwin plan` found: per stage the chosen configuration, the
//! runners-up, the constraint that binds, and every candidate it ran.

use super::space::Dimension;
use crate::metrics::stats::Estimate;
use crate::report::{Provenance, StageRow};
use crate::scenario::Slo;
use serde::Serialize;

/// The decision on one candidate at 95% confidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every objective's 95% interval is on the good side.
    Meets,
    /// Some objective's 95% interval is wholly on the bad side.
    Fails,
    /// Neither, after the most replications allowed.
    Undecided,
}

/// One candidate that ran.
#[derive(Clone, Debug, Serialize)]
pub struct Trial {
    /// Its index in the space (the last dimension varies fastest).
    pub index: usize,
    /// Its overrides, `path=value`.
    pub sets: Vec<String>,
    /// The least it could cost per month, known before it ran (USD).
    pub floor_per_month: f64,
    /// The decision.
    pub verdict: Verdict,
    /// The figures that decided it, in words.
    pub why: String,
    /// Its billed cost per month over the replications (USD).
    pub cost_per_month: Estimate,
    /// The part of it that pays for traffic (CDN, queue requests), mean
    /// over the replications (USD per month).
    pub traffic_per_month: f64,
    /// Its figures with 95% confidence intervals, and every replication.
    pub figures: StageRow,
}

/// The objective the chosen configuration meets with the least to spare,
/// and the station nearest saturation.
#[derive(Clone, Debug, Serialize)]
pub struct Binding {
    /// `latency` or `errors`.
    pub objective: String,
    /// Share of that objective's budget left (1: none used, 0: all).
    pub budget_left: f64,
    /// The figures, in words.
    pub detail: String,
    /// The busiest station on the request path.
    pub station: String,
    /// Its utilization (0..1).
    pub utilization: Estimate,
}

/// The plan for one user count.
#[derive(Clone, Debug, Serialize)]
pub struct StagePlan {
    /// Stage name.
    pub name: String,
    /// Active users.
    pub users: f64,
    /// The cheapest candidate that meets the SLO (ties: the least capacity).
    pub chosen: Option<Trial>,
    /// The next cheapest candidate that ran and meets it.
    pub runner_up: Option<Trial>,
    /// The cheapest candidate that ran and does not meet it.
    pub cheapest_failing: Option<Trial>,
    /// What binds the chosen one.
    pub binding: Option<Binding>,
    /// Candidates in the space.
    pub candidates: usize,
    /// Candidates run.
    pub evaluated: usize,
    /// Candidates never run because one with at least as much capacity in
    /// every dimension failed (here or at a stage with fewer users).
    pub pruned: usize,
    /// Candidates never run because they could not cost less than the
    /// chosen one.
    pub bounded: usize,
    /// Simulation runs made (replications of every candidate run).
    pub runs: usize,
    /// Every candidate run, in the order they ran.
    pub trials: Vec<Trial>,
}

/// The result of `scaletwin plan`.
#[derive(Clone, Debug, Serialize)]
pub struct PlanReport {
    /// Scenario name.
    pub scenario: String,
    /// The objective.
    pub slo: Slo,
    /// True when the scenario states no SLO and the default applies.
    pub slo_default: bool,
    /// The search space, each path's values in capacity order.
    pub dimensions: Vec<Dimension>,
    /// Replications per candidate before a decision.
    pub replications: u32,
    /// Most replications of an undecided candidate.
    pub max_replications: u32,
    /// The request cap of a run (0: none).
    pub max_requests: u64,
    /// One plan per stage.
    pub stages: Vec<StagePlan>,
    /// Where the report came from.
    pub provenance: Option<Provenance>,
}
