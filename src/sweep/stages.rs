//! `stages` (one architecture across the user ladder) and `compare`
//! (several architectures on the same workload and seeds).

use super::precision::{run_to_precision, Intervals};
use super::settle::settled;
use super::workload_diff::{labels, workload_differences};
use super::{at_stage, largest_first_map, prepare, run_all, seed_for, Batch, DEFAULT_STAGES};
use crate::metrics::stats::Estimate;
use crate::report::slo::objective;
use crate::report::{
    Bottleneck, CompareReport, CompareStage, CostReport, HeldShare, PairedDiff, RunSummary,
    StageRow, StagesReport,
};
use crate::scenario::{Scenario, ScenarioError, Slo};
use indicatif::ProgressBar;

/// The user ladder of `s`: its `stages`, else [`DEFAULT_STAGES`].
pub fn ladder(s: &Scenario) -> Vec<(String, f64)> {
    s.stages.clone().unwrap_or_else(|| {
        DEFAULT_STAGES
            .iter()
            .map(|(n, u)| ((*n).to_owned(), *u))
            .collect()
    })
}

/// The row of stage `stage` (its scenario: users, tenants, keys) from its runs.
pub fn row(
    name: &str,
    stage: &Scenario,
    runs: Vec<(RunSummary, CostReport)>,
    slo: &Slo,
) -> StageRow {
    let users = stage.workload.users;
    let est = |f: fn(&RunSummary) -> f64| {
        Estimate::of(&runs.iter().map(|(r, _)| f(r)).collect::<Vec<_>>())
    };
    let stations = runs[0].0.utilization.len();
    let utilization: Vec<(String, f64)> = (0..stations)
        .map(|i| {
            let name = runs[0].0.utilization[i].0.clone();
            let mean =
                runs.iter().map(|(r, _)| r.utilization[i].1).sum::<f64>() / runs.len() as f64;
            (name, (mean * 1e6).round() / 1e6)
        })
        .collect();
    let backlogs: Vec<(String, f64)> = runs[0]
        .0
        .backlogs
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            let mean = runs.iter().map(|(r, _)| r.backlogs[i].1).sum::<f64>() / runs.len() as f64;
            (name.clone(), (mean * 1e6).round() / 1e6)
        })
        .collect();
    let busiest = utilization
        .iter()
        .enumerate()
        .filter(|(_, (name, _))| !is_queue(&backlogs, name))
        .fold(None::<usize>, |b, (i, (_, u))| match b {
            Some(j) if utilization[j].1 >= *u => Some(j),
            _ => Some(i),
        });
    let (busiest, busiest_utilization) = match busiest {
        Some(i) => {
            let xs: Vec<f64> = runs.iter().map(|(r, _)| r.utilization[i].1).collect();
            (utilization[i].0.clone(), Estimate::of(&xs))
        }
        None => (String::new(), Estimate::default()),
    };
    let busiest_waits_on = waits_on(&runs, &busiest);
    let good_ratio = est(|r| r.good_ratio);
    let error_rate = est(|r| r.error_rate);
    StageRow {
        name: name.to_owned(),
        users,
        unsteady: runs.iter().find_map(|(r, _)| r.unsteady()),
        tenants: stage.workload.tenants.as_ref().map(|p| p.count),
        keys: stage.workload.keys.as_ref().map(|p| p.count),
        simulated_s: runs[0].0.simulated_s,
        offered_rps: runs[0].0.offered_rps,
        p50_ms: est(|r| r.p50_ms),
        p99_ms: est(|r| r.p99_ms),
        p99_all_ms: est(|r| r.p99_all_ms),
        good_ratio,
        mean_ms: est(|r| r.mean_ms),
        error_rate,
        throughput_rps: est(|r| r.throughput_rps),
        busiest,
        busiest_utilization,
        busiest_waits_on,
        utilization,
        backlogs,
        cost: runs[0].1.clone(),
        slo_met: crate::report::slo::met_on_average(slo, good_ratio.mean, error_rate.mean),
        runs: runs.into_iter().map(|(r, _)| r).collect(),
        precision: None,
    }
}

/// `row` with the intervals of its run to a precision, if it ran to one:
/// its mean and p99 are the batch-means estimates, and a run stopped
/// because its SLO is decided fails it and is not steady: its figures
/// cover the first moments of an overload. Otherwise only replicas still
/// moving make it unsteady: the precision chose where the run stopped, so
/// a short run after a long warm-up as written says nothing about a
/// transient (the pilot's MSER-5 took that out).
fn precise_row(row: StageRow, intervals: Option<Intervals>) -> StageRow {
    let Some(i) = intervals else { return row };
    let decided = i.reached.slo_decided.is_some();
    let unsteady = if decided {
        let measured = row.runs.first().map_or(0.0, |r| r.simulated_s - r.warmup_s);
        Some(format!(
            "no: stopped {measured:.2} s after the warm-up, once its SLO failed (figures from an overload's start)"
        ))
    } else {
        row.runs.iter().find_map(RunSummary::moving)
    };
    StageRow {
        mean_ms: i.mean_ms,
        p99_ms: i.p99_ms,
        slo_met: row.slo_met && !decided,
        precision: Some(i.reached),
        unsteady,
        ..row
    }
}

/// What `station`'s workers mostly wait on in the first run, with the share
/// averaged over every run (0 where a run's workers waited on it less).
fn waits_on(runs: &[(RunSummary, CostReport)], station: &str) -> Option<HeldShare> {
    let on = &runs.first()?.0.waits_of(station)?.on;
    let share = runs
        .iter()
        .map(|(r, _)| {
            r.waits_of(station)
                .filter(|w| &w.on == on)
                .map_or(0.0, |w| w.share)
        })
        .sum::<f64>()
        / runs.len() as f64;
    Some(HeldShare {
        on: on.clone(),
        share: (share * 1e6).round() / 1e6,
    })
}

/// Whether `station` is one of the job queues in `backlogs`.
fn is_queue(backlogs: &[(String, f64)], station: &str) -> bool {
    backlogs.iter().any(|(q, _)| q == station)
}

/// The station on the request path whose load reaches what it can serve
/// at the fewest users (job queues left out): see `saturation` below.
pub fn bottleneck(rows: &[StageRow]) -> Option<Bottleneck> {
    let first = rows.first()?;
    let mut best: Option<Bottleneck> = None;
    for (i, (station, _)) in first.utilization.iter().enumerate() {
        if is_queue(&first.backlogs, station) {
            continue;
        }
        // Below saturation the load grows in proportion to users, until
        // something saturates: past a stage that could not keep up, a
        // station's load grows no more.
        let mut at = None;
        let mut there = None;
        for r in rows {
            let u = saturation(r, i);
            if u >= 0.9 {
                if at.is_none() {
                    at = Some(r.users / u.max(1e-9));
                }
                there = Some(r);
                break;
            }
            if r.throughput_rps.mean < KEPT_UP * r.offered_rps {
                break;
            }
            if u > 1e-6 {
                at = Some(r.users / u);
                there = Some(r);
            }
        }
        if let (Some(at), Some(there)) = (at, there) {
            if best.as_ref().is_none_or(|b| at < b.saturates_at_users) {
                best = Some(Bottleneck {
                    station: station.clone(),
                    saturates_at_users: (at * 100.0).round() / 100.0,
                    waits_on: there
                        .runs
                        .first()
                        .and_then(|r| r.waits_of(station))
                        .cloned(),
                });
            }
        }
    }
    best
}

/// A stage whose successes are below this share of its offered rate did not
/// keep up (failures or a growing backlog): the bottleneck is not
/// extrapolated from it or from larger stages.
const KEPT_UP: f64 = 0.95;

/// Stage `row`'s mean load on station `i` over its runs: each run's
/// utilization, or its [`RunSummary::cpu_at_most`] when more.
fn saturation(row: &StageRow, i: usize) -> f64 {
    let (station, mean) = &row.utilization[i];
    if row.runs.is_empty() {
        return *mean;
    }
    let load = |r: &RunSummary| {
        let u = r.utilization[i].1;
        r.cpu_at_most
            .iter()
            .find(|(d, _)| d == station)
            .map_or(u, |c| u.max(c.1))
    };
    row.runs.iter().map(load).sum::<f64>() / row.runs.len() as f64
}

/// One scenario's run over a ladder of user counts: the stages, the root
/// of their seeds (a stage's by its index and replication), whether
/// tenants, keys and data grow with each stage's users and autoscaled
/// deployments start it settled (`scale`, see [`super::at_stage`] and
/// `settle`), and how the runs go.
struct Ladder<'a> {
    stages: &'a [(String, f64)],
    seed: u64,
    scale: bool,
    batch: Batch,
    file: &'a str,
    bar: Option<&'a ProgressBar>,
}

impl Ladder<'_> {
    /// The rows of `s` over the ladder, judged by `slo`: `batch.replications`
    /// runs each, or, when the scenario asks for a precision, one run to it
    /// (see `precision`), which stops early once it fails `decide` if given.
    fn rows(
        &self,
        s: &Scenario,
        slo: &Slo,
        decide: Option<&Slo>,
    ) -> Result<Vec<StageRow>, ScenarioError> {
        let results = self.runs(s, decide)?;
        Ok(self
            .stages
            .iter()
            .zip(results)
            .map(|((name, users), (runs, precision))| {
                let stage = at_stage(s, name, *users, self.scale);
                precise_row(row(name, &stage, runs, slo), precision)
            })
            .collect())
    }

    /// The scenario of each stage of `s`, autoscaled deployments settled
    /// when `scale` (the pilot of stage `k` runs with the seed of its first
    /// replication; the progress bar counts the pilots).
    fn scenarios(&self, s: &Scenario) -> Result<Vec<Scenario>, ScenarioError> {
        let stages: Vec<Scenario> = self
            .stages
            .iter()
            .map(|(name, users)| at_stage(s, name, *users, self.scale))
            .collect();
        if !self.scale {
            return Ok(stages);
        }
        // Largest first: the longest pilot of a ladder starts at once.
        largest_first_map(&stages, |k, stage| {
            settled(
                stage,
                seed_for(self.seed, k as u64, 0),
                self.file,
                self.batch,
                self.bar,
            )
        })
        .into_iter()
        .collect()
    }

    /// The runs of every stage of `s` (see [`Ladder::rows`]).
    fn runs(&self, s: &Scenario, decide: Option<&Slo>) -> Result<Vec<StageRuns>, ScenarioError> {
        let (batch, file, bar) = (self.batch, self.file, self.bar);
        let stages = self.scenarios(s)?;
        let reps = batch.replications.max(1) as usize;
        if let Some(target) = s.run.precision {
            let seeds = |k: usize| seed_for(self.seed, k as u64, 0);
            let precise = run_to_precision(&stages, &seeds, target, decide, batch, file, bar)?;
            return Ok(precise
                .into_iter()
                .map(|(run, intervals)| (vec![run], Some(intervals)))
                .collect());
        }
        let jobs: Vec<Scenario> = stages
            .iter()
            .enumerate()
            .flat_map(|(k, stage)| {
                (0..reps).map(move |r| {
                    prepare(
                        stage,
                        None,
                        seed_for(self.seed, k as u64, r as u64),
                        batch.max_requests,
                    )
                })
            })
            .collect();
        let mut results = run_all(&jobs, file, batch.allow_large, bar)?.into_iter();
        Ok(stages
            .iter()
            .map(|_| (results.by_ref().take(reps).collect(), None))
            .collect())
    }
}

/// A stage's runs, and its intervals when it ran to a precision.
type StageRuns = (Vec<(RunSummary, CostReport)>, Option<Intervals>);

/// The length a progress bar over `runs` fixed runs starts with: 0 when
/// `s` runs to a precision (the runs to it add themselves).
fn bar_length(s: &Scenario, runs: usize) -> u64 {
    if s.run.precision.is_some() {
        0
    } else {
        runs as u64
    }
}

/// Runs scenario `s` at every stage of its ladder.
pub fn stages(
    s: &Scenario,
    file: &str,
    batch: Batch,
    bar: Option<&ProgressBar>,
) -> Result<StagesReport, ScenarioError> {
    let ladder = ladder(s);
    let reps = batch.replications.max(1) as usize;
    if let Some(b) = bar {
        b.set_length(bar_length(s, ladder.len() * reps));
    }
    let slo = objective(s.slo.as_ref());
    let rows = Ladder {
        stages: &ladder,
        seed: s.seed,
        scale: true,
        batch,
        file,
        bar,
    }
    .rows(s, &slo, Some(&slo))?;
    Ok(StagesReport {
        scenario: s.name.clone(),
        first_failing_stage: rows.iter().find(|r| !r.slo_met).map(|r| r.name.clone()),
        bottleneck: bottleneck(&rows),
        slo,
        slo_default: s.slo.is_none(),
        max_requests: batch.max_requests,
        stages: rows,
        provenance: None,
    })
}

/// Runs every architecture on the first one's workload sizes and seeds
/// (common random numbers: the arrival stream depends only on the seed and
/// its stream name), over the first one's ladder if `ladder`, else at its
/// own user count.
pub fn compare(
    scenarios: &[(Scenario, String)],
    ladder_mode: bool,
    batch: Batch,
    bar: Option<&ProgressBar>,
) -> Result<CompareReport, ScenarioError> {
    let first = &scenarios[0].0;
    let ladder = if ladder_mode {
        ladder(first)
    } else {
        vec![("as written".to_owned(), first.workload.users)]
    };
    let reps = batch.replications.max(1) as usize;
    let slo = objective(first.slo.as_ref());
    let labels = labels(scenarios);
    if let Some(b) = bar {
        b.set_length(bar_length(first, scenarios.len() * ladder.len() * reps));
    }
    let mut per_arch = Vec::new();
    for (s, file) in scenarios {
        // Every architecture is judged by the first one's objective.
        let s = &Scenario {
            slo: first.slo.clone(),
            ..s.clone()
        };
        // The first scenario's seeds for all: common random numbers.
        // Every row runs to the precision: the paired differences need
        // figures, not only verdicts.
        let rows = Ladder {
            stages: &ladder,
            seed: first.seed,
            scale: ladder_mode,
            batch,
            file,
            bar,
        }
        .rows(s, &slo, None)?;
        per_arch.push(rows);
    }
    let stages = ladder
        .iter()
        .enumerate()
        .map(|(k, (name, users))| {
            let rows: Vec<StageRow> = per_arch.iter().map(|a| a[k].clone()).collect();
            let base = &rows[0];
            let diffs = rows[1..]
                .iter()
                .zip(&labels[1..])
                .map(|(r, label)| {
                    let d = |f: fn(&RunSummary) -> f64| {
                        Estimate::of(
                            &r.runs
                                .iter()
                                .zip(&base.runs)
                                .map(|(x, y)| f(x) - f(y))
                                .collect::<Vec<_>>(),
                        )
                    };
                    // A run to a precision is one run: its mean and p99
                    // differ by the rows' interval estimates, which the
                    // rows show, not by whole-run figures without one.
                    let (p99_ms, mean_ms) = match r.precision {
                        Some(_) => (r.p99_ms.minus(&base.p99_ms), r.mean_ms.minus(&base.mean_ms)),
                        None => (d(|x| x.p99_ms), d(|x| x.mean_ms)),
                    };
                    PairedDiff {
                        architecture: label.clone(),
                        p99_ms,
                        mean_ms,
                        error_rate: d(|x| x.error_rate),
                        cost_per_month: d(|x| x.cost_per_month),
                    }
                })
                .collect();
            let cheapest = rows
                .iter()
                .zip(&labels)
                .filter(|(r, _)| r.slo_met)
                .fold(None::<(&StageRow, &String)>, |b, (r, label)| match b {
                    Some((br, _)) if br.cost.per_month <= r.cost.per_month => b,
                    _ => Some((r, label)),
                })
                .map(|(_, label)| label.clone());
            CompareStage {
                name: name.clone(),
                users: *users,
                rows,
                diffs,
                cheapest_meeting_slo: cheapest,
            }
        })
        .collect();
    let workload_differences = scenarios[1..]
        .iter()
        .zip(&labels[1..])
        .flat_map(|((s, _), label)| workload_differences(first, s, label))
        .collect();
    Ok(CompareReport {
        architectures: labels,
        files: scenarios.iter().map(|(_, f)| f.clone()).collect(),
        workload_differences,
        slo,
        slo_default: first.slo.is_none(),
        stages,
        provenance: None,
    })
}
