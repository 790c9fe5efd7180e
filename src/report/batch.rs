//! The reports of many runs: one run's summary, the stages ladder, the
//! comparison of architectures and the sweep grid (each with the objective
//! it is judged against, a scenario type). `sweep` fills them;
//! `batch_table` and `chart` render them.

use super::{CostReport, HeldShare, Provenance};
use crate::metrics::stats::Estimate;
use crate::scenario::Slo;
use serde::{Deserialize, Serialize};

/// The figures of one run, small enough to keep for every replication.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Seed of the run.
    pub seed: u64,
    /// Active users.
    pub users: f64,
    /// Simulated seconds (after any request cap).
    pub simulated_s: f64,
    /// Warm-up left out: the scenario's, or MSER-5's when it fixes none.
    pub warmup_s: f64,
    /// Offered requests per second.
    pub offered_rps: f64,
    /// Successful requests per second.
    pub throughput_rps: f64,
    /// Errors over finished requests.
    pub error_rate: f64,
    /// Mean latency of successful requests.
    pub mean_ms: f64,
    /// Median latency.
    pub p50_ms: f64,
    /// 99th percentile latency.
    pub p99_ms: f64,
    /// 99th percentile latency of every finished request (failures at their
    /// time to fail).
    #[serde(default)]
    pub p99_all_ms: f64,
    /// Share of finished requests that succeeded within the SLO's latency
    /// threshold (the latency objective's good-events ratio).
    #[serde(default)]
    pub good_ratio: f64,
    /// The latency within which 99% of finished requests succeeded, ms;
    /// absent when fewer than 99% succeeded.
    #[serde(default)]
    pub p99_good_ms: Option<f64>,
    /// Utilization of every station, in report order: (name, 0..1); for a
    /// database sized by its class, its busiest node's vCPUs when busier.
    pub utilization: Vec<(String, f64)>,
    /// Each deployment with the CPU model: its cores used over its pods'
    /// usable cores at its largest replica count (an HPA's maximum), in
    /// scenario order. An HPA adds pods while its CPU is below target, so
    /// the workers' utilization stays flat as users grow and misses the CPU
    /// running out at the maximum: the bottleneck is extrapolated from the
    /// larger of the two. (Absent without the CPU model, and from reports
    /// written before it.)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cpu_at_most: Vec<(String, f64)>,
    /// Each job queue's backlog growth, jobs per second over the measured
    /// period (negative when it drains), in scenario order.
    #[serde(default)]
    pub backlogs: Vec<(String, f64)>,
    /// Each autoscaled deployment's replicas at the start and the end of
    /// the run (absent without an HPA).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub autoscaled: Vec<ReplicaSpan>,
    /// Each deployment whose workers spend over half their held time
    /// waiting on one component: (deployment, what it waits on).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waits: Vec<(String, HeldShare)>,
    /// USD per hour.
    pub cost_per_hour: f64,
    /// USD per month (730 h, schedules applied).
    pub cost_per_month: f64,
    /// USD per million requests.
    pub cost_per_million: f64,
}

/// Where an autoscaled deployment's replica count started and ended a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaSpan {
    /// Deployment name.
    pub deployment: String,
    /// Replicas at the start (the settled count, unless a cold start).
    pub start: u32,
    /// Replicas the HPA asked for at the end.
    pub end: u32,
    /// Whether the HPA changed the count in the last quarter of the run.
    pub moving: bool,
}

impl RunSummary {
    /// Why the run is not in a steady state, if it is not: replicas still
    /// moving at the end, or a warm-up over half the run (MSER-5 cutting
    /// most of the series away).
    pub fn unsteady(&self) -> Option<String> {
        self.moving().or_else(|| {
            (self.warmup_s > self.simulated_s / 2.0).then(|| "warm-up over half the run".to_owned())
        })
    }

    /// The autoscaled deployments whose replicas were still moving at the
    /// end, if any.
    pub fn moving(&self) -> Option<String> {
        let moving: Vec<&str> = self
            .autoscaled
            .iter()
            .filter(|a| a.moving)
            .map(|a| a.deployment.as_str())
            .collect();
        (!moving.is_empty()).then(|| format!("replicas moving ({})", moving.join(", ")))
    }

    /// What `station`'s workers mostly wait on, if one component takes
    /// over half their held time.
    pub fn waits_of(&self, station: &str) -> Option<&HeldShare> {
        self.waits
            .iter()
            .find(|(s, _)| s == station)
            .map(|(_, w)| w)
    }

    /// The busiest station and its utilization.
    pub fn busiest(&self) -> (String, f64) {
        self.utilization
            .iter()
            .fold((String::new(), -1.0), |b, (n, u)| {
                if *u > b.1 {
                    (n.clone(), *u)
                } else {
                    b
                }
            })
    }
}

/// One stage's results, over its replications.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageRow {
    /// Stage name.
    pub name: String,
    /// Active users.
    pub users: f64,
    /// Why a replication did not reach a steady state (the first such
    /// reason); absent when every one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsteady: Option<String>,
    /// Tenants at this stage (`workload.tenants` grown with the users, or
    /// the stage's own count); absent without tenants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenants: Option<u64>,
    /// Keys at this stage, as `tenants`; absent without keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<u64>,
    /// Simulated seconds per replication.
    pub simulated_s: f64,
    /// Offered requests per second.
    pub offered_rps: f64,
    /// Median latency, ms.
    pub p50_ms: Estimate,
    /// 99th percentile latency of successful requests, ms.
    pub p99_ms: Estimate,
    /// 99th percentile latency of every finished request (failures at their
    /// time to fail), ms.
    #[serde(default)]
    pub p99_all_ms: Estimate,
    /// Share of finished requests that succeeded within the SLO's latency
    /// threshold (the latency objective's good-events ratio).
    #[serde(default)]
    pub good_ratio: Estimate,
    /// Mean latency, ms.
    pub mean_ms: Estimate,
    /// Error rate.
    pub error_rate: Estimate,
    /// Successful requests per second.
    pub throughput_rps: Estimate,
    /// The busiest station on the request path (highest mean utilization;
    /// job queues are apart, in `backlogs`).
    pub busiest: String,
    /// Its utilization.
    pub busiest_utilization: Estimate,
    /// What the busiest station's workers mostly wait on (over half their
    /// held time, the share averaged over the replications).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub busiest_waits_on: Option<HeldShare>,
    /// Mean utilization of every station.
    pub utilization: Vec<(String, f64)>,
    /// Each job queue's mean backlog growth, jobs per second.
    #[serde(default)]
    pub backlogs: Vec<(String, f64)>,
    /// Cost at this stage (first replication; fixed pods cost the same in all).
    pub cost: CostReport,
    /// Whether the stage meets the SLO: a mean good-events ratio of at least
    /// 99% and a mean error rate within the objective.
    pub slo_met: bool,
    /// Every replication.
    pub runs: Vec<RunSummary>,
    /// How precise the stage's estimates are, when it ran to a precision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<PrecisionReached>,
}

/// What a configuration run to a requested precision reached (`run.precision`,
/// `--precision`): the 95% half-widths over their estimates, as percentages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrecisionReached {
    /// The precision asked for, in percent.
    pub target_pct: f64,
    /// Half-width of the mean latency's 95% interval over the mean, in
    /// percent (None: no interval, the run measured fewer than two sections
    /// of successes).
    pub mean_pct: Option<f64>,
    /// Half-width of the p99's 95% interval over the p99, in percent (None
    /// as for `mean_pct`).
    pub p99_pct: Option<f64>,
    /// Sections of the truncated run the intervals are over (10 to 32).
    pub sections: u32,
    /// Simulated seconds of the one run, warm-up included: where it stopped.
    pub simulated_s: f64,
    /// Measured seconds after the warm-up the estimates leave out (they
    /// cover the rest): the whole pilot once it planned the run (MSER-5's
    /// transient is in it), or only that transient while the pilot ran,
    /// and the remainder that keeps the sections equal.
    pub truncated_s: f64,
    /// Whether the run ended without reaching the precision: at its
    /// duration as written (the cap), or at the end of its last planned
    /// length (false when its SLO decided the stop: see `slo_decided`).
    pub capped: bool,
    /// Set when the run stopped at a look because it fails its SLO (a
    /// stage of `stages`): the indicator whose interval lies wholly above
    /// the objective's limit. Its latency and precision figures are then
    /// as far as the run went.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slo_decided: Option<SloDecided>,
}

/// A run stopped because an SLO indicator's interval lies wholly on the
/// failing side of its objective.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SloDecided {
    /// `not good` (share of finished requests failed or slower than the
    /// p99 threshold; the p99 objective allows 1%) or `failed` (the error
    /// rate).
    pub indicator: String,
    /// The share over the sections.
    pub share: f64,
    /// Its one-sided 99.9% lower bound (sectioning, t with sections - 1
    /// degrees of freedom).
    pub lower: f64,
    /// The most the objective allows.
    pub limit: f64,
    /// Sections the bound is over.
    pub sections: u32,
}

/// The station on the request path that saturates first as users grow
/// (deployments and databases; job queues answer at once and are apart).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bottleneck {
    /// Station name.
    pub station: String,
    /// Users at which its utilization reaches 1, extrapolated linearly from
    /// the largest stage where it was still below 0.9.
    pub saturates_at_users: f64,
    /// What its workers mostly wait on there (they are held, not working:
    /// the component waited on is what to size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waits_on: Option<HeldShare>,
}

/// `scaletwin stages` output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StagesReport {
    /// Scenario name.
    pub scenario: String,
    /// The objective each stage is judged against.
    pub slo: Slo,
    /// True when the scenario states no `slo` and the default applies.
    #[serde(default)]
    pub slo_default: bool,
    /// Requests-per-run cap used (0: none).
    pub max_requests: u64,
    /// Per stage, in ladder order.
    pub stages: Vec<StageRow>,
    /// What saturates first.
    pub bottleneck: Option<Bottleneck>,
    /// The first stage that breaks the SLO.
    pub first_failing_stage: Option<String>,
    /// Where the report came from (set by the command line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
}

/// Paired differences of one architecture against the first, with 95% CIs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairedDiff {
    /// The architecture (scenario name).
    pub architecture: String,
    /// p99 difference, ms (this minus the first).
    pub p99_ms: Estimate,
    /// Mean latency difference, ms.
    pub mean_ms: Estimate,
    /// Error-rate difference.
    pub error_rate: Estimate,
    /// Monthly cost difference, USD.
    pub cost_per_month: Estimate,
}

/// One stage of a comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompareStage {
    /// Stage name.
    pub name: String,
    /// Users.
    pub users: f64,
    /// Each architecture's results, in argument order.
    pub rows: Vec<StageRow>,
    /// Each later architecture against the first.
    pub diffs: Vec<PairedDiff>,
    /// The cheapest architecture meeting the SLO here (the journey view).
    pub cheapest_meeting_slo: Option<String>,
}

/// `scaletwin compare` output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompareReport {
    /// Architectures, in argument order: their scenario names, or their
    /// files when two scenarios share a name.
    pub architectures: Vec<String>,
    /// The scenario files, in argument order.
    #[serde(default)]
    pub files: Vec<String>,
    /// Where each later file's workload differs from the first's (the runs
    /// use the first file's users and seeds, each file's own other fields).
    #[serde(default)]
    pub workload_differences: Vec<WorkloadDifference>,
    /// The objective every architecture is judged against (the first scenario's).
    pub slo: Slo,
    /// True when the first scenario states no `slo` and the default applies.
    #[serde(default)]
    pub slo_default: bool,
    /// Per stage.
    pub stages: Vec<CompareStage>,
    /// Where the report came from (set by the command line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
}

/// One grid point's results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    /// Position in the full grid (first `--vary` varies slowest).
    pub index: usize,
    /// The overrides of this point.
    pub sets: Vec<String>,
    /// 99th percentile latency, ms.
    pub p99_ms: Estimate,
    /// Mean latency, ms.
    pub mean_ms: Estimate,
    /// Error rate.
    pub error_rate: Estimate,
    /// Successful requests per second.
    pub throughput_rps: Estimate,
    /// USD per month.
    pub cost_per_month: Estimate,
    /// Share of finished requests that succeeded within the SLO's latency
    /// threshold (the latency objective's good-events ratio).
    #[serde(default)]
    pub good_ratio: Estimate,
    /// The objective this point is judged against (its scenario's, after the
    /// point's overrides, or the default).
    #[serde(default = "Slo::fallback")]
    pub slo: Slo,
    /// True when the point's scenario states no `slo` and the default applies.
    #[serde(default)]
    pub slo_default: bool,
    /// Whether the point meets it: a mean good-events ratio of at least 99%
    /// and a mean error rate within the objective.
    #[serde(default)]
    pub slo_met: bool,
    /// Every replication.
    pub runs: Vec<RunSummary>,
    /// How precise the point's estimates are, when it ran to a precision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<PrecisionReached>,
}

/// `scaletwin sweep` (or `merge`) output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepReport {
    /// Scenario name.
    pub scenario: String,
    /// The `--vary` expressions.
    pub vary: Vec<String>,
    /// Replications per point.
    pub replications: u32,
    /// Points in the full grid.
    pub grid_points: usize,
    /// `(i, n)` when this is partition i of n (1-based); `None` when whole.
    pub partition: Option<(usize, usize)>,
    /// The points run, in grid order.
    pub points: Vec<SweepPoint>,
    /// Where the report came from (set by the command line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
}

/// One workload field whose value differs between the first compared file
/// and another.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkloadDifference {
    /// The other architecture's label.
    pub architecture: String,
    /// The field, e.g. `workload.mix.export_pdf`.
    pub field: String,
    /// Its value in the first file (`-` when it has none).
    pub first: String,
    /// Its value in the other file (`-` when it has none).
    pub other: String,
}
