//! Parameter sweeps: a grid of `--vary path=v1,v2` overrides, each point
//! with replications, runnable as deterministic partitions and merged.

use super::stats::Estimate;
use super::{prepare, run_all, seed_for, Batch, RunSummary};
use crate::scenario::{apply_settings, Scenario, ScenarioError, Setting};
use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};

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
    #[serde(default = "crate::cost::Slo::fallback")]
    pub slo: crate::cost::Slo,
    /// True when the point's scenario states no `slo` and the default applies.
    #[serde(default)]
    pub slo_default: bool,
    /// Whether the point meets it: a mean good-events ratio of at least 99%
    /// and a mean error rate within the objective.
    #[serde(default)]
    pub slo_met: bool,
    /// Every replication.
    pub runs: Vec<RunSummary>,
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
    pub provenance: Option<crate::report::Provenance>,
}

/// The grid's points: one list of `path=value` per point.
pub fn grid(vary: &[String]) -> Result<Vec<Vec<String>>, ScenarioError> {
    let mut points = vec![Vec::new()];
    for v in vary {
        let (path, values) = v.split_once('=').ok_or_else(|| ScenarioError::Override {
            flag: "--vary".into(),
            expression: v.clone(),
            message: "expected path=v1,v2,..., e.g. components.api.replicas=2,4,8".into(),
        })?;
        let values: Vec<&str> = values
            .split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .collect();
        if values.is_empty() {
            return Err(ScenarioError::Override {
                flag: "--vary".into(),
                expression: v.clone(),
                message: "list at least one value".into(),
            });
        }
        points = points
            .into_iter()
            .flat_map(|p| {
                values.iter().map(move |x| {
                    let mut q = p.clone();
                    q.push(format!("{path}={x}"));
                    q
                })
            })
            .collect();
    }
    Ok(points)
}

/// Runs the sweep (or partition `(i, n)` of it: the points whose index is
/// i-1 modulo n). Replication r of a point runs with the seed derived from
/// the point's own `seed` and r: unless `seed` is varied, every point has the
/// same seeds (common random numbers across the grid); `--vary seed=1,2,...`
/// gives each point its own.
pub fn sweep(
    s: &Scenario,
    file: &str,
    vary: &[String],
    batch: Batch,
    partition: Option<(usize, usize)>,
    bar: Option<&ProgressBar>,
) -> Result<SweepReport, ScenarioError> {
    let all = grid(vary)?;
    let reps = batch.replications.max(1) as usize;
    let chosen: Vec<(usize, Vec<String>)> = all
        .iter()
        .cloned()
        .enumerate()
        .filter(|(i, _)| partition.is_none_or(|(k, n)| i % n == k - 1))
        .collect();
    let mut jobs = Vec::new();
    let mut objectives = Vec::new();
    for (_, sets) in &chosen {
        // Point set k comes from `--vary` expression k (see `grid`).
        let settings: Vec<Setting> = sets
            .iter()
            .zip(vary)
            .map(|(expression, given)| Setting {
                flag: "--vary".into(),
                given: given.clone(),
                expression: expression.clone(),
            })
            .collect();
        let point = apply_settings(s, &settings)?;
        objectives.push(point.slo.clone());
        for r in 0..reps {
            jobs.push(prepare(
                &point,
                None,
                seed_for(point.seed, 0, r as u64),
                batch.max_requests,
            ));
        }
    }
    if let Some(b) = bar {
        b.set_length(jobs.len() as u64);
    }
    let mut results = run_all(&jobs, file, batch.allow_large, bar)?.into_iter();
    let points = chosen
        .into_iter()
        .zip(objectives)
        .map(|((index, sets), stated)| {
            let runs: Vec<RunSummary> = results.by_ref().take(reps).map(|(r, _)| r).collect();
            let est =
                |f: fn(&RunSummary) -> f64| Estimate::of(&runs.iter().map(f).collect::<Vec<_>>());
            let slo = crate::report::slo::objective(stated.as_ref());
            let (good_ratio, error_rate) = (est(|r| r.good_ratio), est(|r| r.error_rate));
            SweepPoint {
                index,
                sets,
                p99_ms: est(|r| r.p99_ms),
                mean_ms: est(|r| r.mean_ms),
                error_rate,
                throughput_rps: est(|r| r.throughput_rps),
                cost_per_month: est(|r| r.cost_per_month),
                good_ratio,
                slo_met: crate::report::slo::met_on_average(&slo, good_ratio.mean, error_rate.mean),
                slo,
                slo_default: stated.is_none(),
                runs,
            }
        })
        .collect();
    Ok(SweepReport {
        scenario: s.name.clone(),
        vary: vary.to_vec(),
        replications: reps as u32,
        grid_points: all.len(),
        partition,
        points,
        provenance: None,
    })
}

/// Combines partitions of one sweep into the whole; fails when they belong
/// to different sweeps or the grid is incomplete.
pub fn merge(parts: Vec<SweepReport>) -> Result<SweepReport, String> {
    let mut it = parts.into_iter();
    let mut whole = it.next().ok_or("give at least one partition")?;
    for p in it {
        if (&p.scenario, &p.vary, p.replications, p.grid_points)
            != (
                &whole.scenario,
                &whole.vary,
                whole.replications,
                whole.grid_points,
            )
        {
            return Err(format!(
                "partitions of different sweeps: `{}` {:?} vs `{}` {:?}",
                whole.scenario, whole.vary, p.scenario, p.vary
            ));
        }
        whole.points.extend(p.points);
    }
    whole.points.sort_by_key(|p| p.index);
    whole.points.dedup_by_key(|p| p.index);
    let missing: Vec<usize> = (0..whole.grid_points)
        .filter(|i| whole.points.binary_search_by_key(i, |p| p.index).is_err())
        .collect();
    if !missing.is_empty() {
        return Err(format!("grid points {missing:?} are in no partition given"));
    }
    whole.partition = None;
    Ok(whole)
}
