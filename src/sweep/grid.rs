//! Parameter sweeps: a grid of `--vary path=v1,v2` overrides, each point
//! with replications, runnable as deterministic partitions and merged.

use super::precision::{run_to_precision, Intervals};
use super::{prepare, run_all, seed_for, Batch};
use crate::metrics::stats::Estimate;
use crate::report::{CostReport, RunSummary, SweepPoint, SweepReport};
use crate::scenario::{apply_settings, Scenario, ScenarioError, Setting};
use indicatif::ProgressBar;

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
    let mut configs = Vec::new();
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
        configs.push(point);
    }
    let results = point_runs(s, &configs, vary, batch, file, bar)?;
    let points = chosen
        .into_iter()
        .zip(objectives)
        .zip(results)
        .map(|(((index, sets), stated), (runs, precision))| {
            let runs: Vec<RunSummary> = runs.into_iter().map(|(r, _)| r).collect();
            let est =
                |f: fn(&RunSummary) -> f64| Estimate::of(&runs.iter().map(f).collect::<Vec<_>>());
            let slo = crate::report::slo::objective(stated.as_ref());
            let (good_ratio, error_rate) = (est(|r| r.good_ratio), est(|r| r.error_rate));
            let (p99_ms, mean_ms) = match &precision {
                Some(i) => (i.p99_ms, i.mean_ms),
                None => (est(|r| r.p99_ms), est(|r| r.mean_ms)),
            };
            SweepPoint {
                index,
                sets,
                p99_ms,
                mean_ms,
                error_rate,
                throughput_rps: est(|r| r.throughput_rps),
                cost_per_month: est(|r| r.cost_per_month),
                good_ratio,
                slo_met: crate::report::slo::met_on_average(&slo, good_ratio.mean, error_rate.mean),
                slo,
                slo_default: stated.is_none(),
                runs,
                precision: precision.map(|i| i.reached),
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

/// The runs of every point in `configs`: `batch.replications` each, with
/// seeds from the point's own seed, or one run to the scenario's precision
/// with the first of them (the same precision for every point: `--vary
/// run.precision` is refused).
fn point_runs(
    s: &Scenario,
    configs: &[Scenario],
    vary: &[String],
    batch: Batch,
    file: &str,
    bar: Option<&ProgressBar>,
) -> Result<Vec<PointRuns>, ScenarioError> {
    let reps = batch.replications.max(1) as usize;
    let seeds = |k: usize, r: usize| seed_for(configs[k].seed, 0, r as u64);
    if let Some(target) = s.run.precision {
        if let Some(v) = vary
            .iter()
            .find(|v| v.trim_start().starts_with("run.precision"))
        {
            return Err(ScenarioError::Override {
                flag: "--vary".into(),
                expression: v.clone(),
                message: "every point runs to the one precision of --precision or run.precision; it cannot be varied".into(),
            });
        }
        if let Some(b) = bar {
            b.set_length(0);
        }
        let seed = |k: usize| seeds(k, 0);
        let precise = run_to_precision(configs, &seed, target, None, batch, file, bar)?;
        return Ok(precise
            .into_iter()
            .map(|(run, intervals)| (vec![run], Some(intervals)))
            .collect());
    }
    let jobs: Vec<Scenario> = (0..configs.len())
        .flat_map(|k| {
            (0..reps).map(move |r| prepare(&configs[k], None, seeds(k, r), batch.max_requests))
        })
        .collect();
    if let Some(b) = bar {
        b.set_length(jobs.len() as u64);
    }
    let mut results = run_all(&jobs, file, batch.allow_large, bar)?.into_iter();
    Ok(configs
        .iter()
        .map(|_| (results.by_ref().take(reps).collect(), None))
        .collect())
}

/// A point's runs, and its intervals when it ran to a precision.
type PointRuns = (Vec<(RunSummary, CostReport)>, Option<Intervals>);

/// Combines partitions of one sweep into the whole; fails when they belong
/// to different sweeps or the grid is incomplete.
pub fn merge(parts: Vec<SweepReport>) -> Result<SweepReport, MergeError> {
    let mut it = parts.into_iter();
    let mut whole = it.next().ok_or(MergeError::NoPartition)?;
    for p in it {
        if (&p.scenario, &p.vary, p.replications, p.grid_points)
            != (
                &whole.scenario,
                &whole.vary,
                whole.replications,
                whole.grid_points,
            )
        {
            return Err(MergeError::DifferentSweeps {
                first: format!("`{}` {:?}", whole.scenario, whole.vary),
                other: format!("`{}` {:?}", p.scenario, p.vary),
            });
        }
        whole.points.extend(p.points);
    }
    whole.points.sort_by_key(|p| p.index);
    whole.points.dedup_by_key(|p| p.index);
    let missing: Vec<usize> = (0..whole.grid_points)
        .filter(|i| whole.points.binary_search_by_key(i, |p| p.index).is_err())
        .collect();
    if !missing.is_empty() {
        return Err(MergeError::Missing(missing));
    }
    whole.partition = None;
    Ok(whole)
}

/// Why partitions could not be merged into one sweep.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// No partition was given.
    #[error("give at least one partition")]
    NoPartition,
    /// Two partitions come from different sweeps (scenario and `--vary`).
    #[error("partitions of different sweeps: {first} vs {other}")]
    DifferentSweeps {
        /// The first partition's scenario and `--vary`.
        first: String,
        /// The other partition's.
        other: String,
    },
    /// These grid points are in no partition given.
    #[error("grid points {0:?} are in no partition given")]
    Missing(Vec<usize>),
}
