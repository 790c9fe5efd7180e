//! Many runs at once: replications, the user-count ladder (`stages`),
//! architecture comparisons and parameter sweeps, in parallel with rayon.
//!
//! Every run's seed derives from (master seed, point, replication) alone, and
//! results are collected in index order, so the output is the same whatever
//! the thread count and however a sweep is partitioned.
//!
//! The reports it fills (`StagesReport`, `CompareReport`, `SweepReport`) and
//! their renderings live in `report`.

mod backlog;
mod batch_means;
mod grid;
mod populations;
mod precision;
mod settle;
mod shorten;
mod stages;
mod workload_diff;

pub use grid::{grid, merge, sweep, MergeError};
pub use populations::at_stage;
pub use precision::{run_precise, CHECKPOINTS};
pub use settle::fixed_point;
pub use stages::{bottleneck, compare, ladder, row as stage_row, stages};

use crate::algo::Nanos;
use crate::cost::{cost, Usage};
use crate::metrics::stats::mser5;
use crate::report::{CostReport, ReplicaSpan, RunSummary, StationReport};
use crate::scenario::schema::{ArrivalProcess, Component, Pattern};
use crate::scenario::units::Duration;
use crate::scenario::{Scenario, ScenarioError};
use crate::Report;
use indicatif::ProgressBar;
use rayon::prelude::*;

/// Default user ladder: (stage name, users), the seed material's table and
/// one step past it (10M: what breaks after the architecture that holds 1M).
pub const DEFAULT_STAGES: [(&str, f64); 6] = [
    ("100", 100.0),
    ("1K", 1_000.0),
    ("10K", 10_000.0),
    ("100K", 100_000.0),
    ("1M", 1_000_000.0),
    ("10M", 10_000_000.0),
];

/// Default cap on the requests one run simulates (see [`Batch::max_requests`]):
/// none. A shortened run can stop an autoscaler mid-climb and change the
/// verdict, so shortening is something a user asks for (`--max-requests`).
pub const DEFAULT_MAX_REQUESTS: u64 = 0;

/// The seed of replication `rep` at grid point `point`: a SplitMix64 mix of
/// the three, so neighbouring points get unrelated streams.
pub fn seed_for(master: u64, point: u64, rep: u64) -> u64 {
    let mut z = master
        ^ point.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ rep.wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// How the runs of a batch are shaped.
#[derive(Clone, Copy, Debug)]
pub struct Batch {
    /// Replications per point (each with its own seed).
    pub replications: u32,
    /// Most requests one run simulates (0: no cap). When the offered rate x
    /// duration exceeds it, the timeline (duration, warm-up, interval, fault
    /// times, the arrival pattern's times) shrinks by the same factor: a
    /// million users for 60 s tells the same steady state as for 600 s, at a
    /// tenth of the cost. The simulated time is reported.
    pub max_requests: u64,
    /// Run even configurations whose estimated memory is over the budget
    /// ([`crate::sim::MEMORY_BUDGET`]); without it they are refused
    /// before any run starts.
    pub allow_large: bool,
}

/// `base` with `users` (if given), `seed`, and the request cap applied.
pub fn prepare(base: &Scenario, users: Option<f64>, seed: u64, max_requests: u64) -> Scenario {
    let mut s = base.clone();
    if let Some(u) = users {
        s.workload.users = u;
    }
    s.seed = seed;
    if max_requests > 0 {
        let offered = offered_requests(&s);
        if offered > max_requests as f64 {
            shorten::shorten(&mut s, max_requests as f64 / offered);
        }
    }
    s
}

/// Requests the workload of `s` offers over its run, its rate pattern's
/// mean included (a spike's extra requests count), as the run's footprint
/// estimates them; users × rate × duration if `s` does not validate (its
/// run will then fail on its problems). Constant Poisson arrivals offer
/// exactly that, without validating `s` once more than its run does.
fn offered_requests(s: &Scenario) -> f64 {
    let w = &s.workload;
    if matches!(w.pattern, Pattern::Constant) && matches!(w.arrivals, ArrivalProcess::Poisson) {
        return expected_requests(s);
    }
    crate::scenario::validate(s).map_or_else(
        |_| expected_requests(s),
        |plan| crate::sim::Footprint::of(&plan).requests,
    )
}

/// Validates and simulates one prepared scenario. When the scenario fixes no
/// warm-up, MSER-5 picks one on the per-interval p99 series and, if it drops
/// anything, the run is repeated with that warm-up.
pub fn run_one(
    s: &Scenario,
    file: &str,
) -> Result<(Report, RunSummary, CostReport), ScenarioError> {
    let plan = crate::scenario::check(s, "", file)?;
    let mut report = crate::simulate(&plan);
    if s.run.warmup.nanos() == Nanos::ZERO {
        let p99: Vec<f64> = report.series.iter().map(|r| r.p99_ms).collect();
        let drop = mser5(&p99);
        if drop > 0 {
            let mut again = s.clone();
            again.run.warmup = Duration(Nanos(s.run.interval.nanos().0 * drop as u64));
            let plan = crate::scenario::check(&again, "", file)?;
            report = crate::simulate(&plan);
        }
    }
    let (summary, costs) = summarize(s, &plan, &report)?;
    Ok((report, summary, costs))
}

/// The summary and cost of `report`, the run of scenario `s` (checked as `plan`).
fn summarize(
    s: &Scenario,
    plan: &crate::scenario::Plan,
    report: &Report,
) -> Result<(RunSummary, CostReport), ScenarioError> {
    let costs = cost(plan, &Usage::from_report(report)).map_err(|m| ScenarioError::Override {
        flag: "scenario".into(),
        expression: "prices".into(),
        message: m.to_string(),
    })?;
    let summary = RunSummary {
        seed: s.seed,
        users: s.workload.users,
        simulated_s: report.simulated_s,
        warmup_s: report.warmup_s,
        offered_rps: report.summary.offered_rps,
        throughput_rps: report.summary.throughput_rps,
        error_rate: report.summary.error_rate,
        mean_ms: report.summary.latency.mean_ms,
        p50_ms: report.summary.latency.p50_ms,
        p99_ms: report.summary.latency.p99_ms,
        p99_all_ms: report.summary.latency_all.p99_ms,
        good_ratio: report.slo.as_ref().map_or(0.0, |v| v.good_ratio),
        p99_good_ms: report.slo.as_ref().and_then(|v| v.p99_good_ms),
        utilization: report
            .stations
            .iter()
            .map(|st| (st.name.clone(), capacity_used(report, st)))
            .collect(),
        cpu_at_most: cpu_at_most(plan, report),
        backlogs: backlog::backlog_growth(report),
        autoscaled: replica_spans(s, report),
        waits: report
            .stations
            .iter()
            .filter_map(|st| Some((st.name.clone(), st.mostly_waiting_on()?.clone())))
            .collect(),
        cost_per_hour: costs.per_hour,
        cost_per_month: costs.per_month,
        cost_per_million: costs.per_million_requests,
    };
    Ok((summary, costs))
}

/// How much of station `st`'s capacity the run used: its servers'
/// utilization, or for a database sized by its class its busiest node's
/// vCPUs when they are busier (queries share the cores, so the connections
/// can be mostly idle while the cores are full).
fn capacity_used(report: &Report, st: &StationReport) -> f64 {
    let cores = report
        .databases
        .iter()
        .filter(|d| d.name == st.name)
        .flat_map(|d| &d.nodes)
        .filter_map(|n| n.cpu_utilization)
        .fold(0.0, f64::max);
    st.stats.utilization.max(cores)
}

/// Each deployment with the CPU model: its cores used over its pods' usable
/// cores (its CFS limit when below the cores it may run on) at its largest
/// replica count (an HPA's maximum); see [`RunSummary::cpu_at_most`]. The
/// cores used are over the whole run, warm-up included (at the same
/// offered rate).
fn cpu_at_most(plan: &crate::scenario::Plan, report: &Report) -> Vec<(String, f64)> {
    plan.deployments
        .iter()
        .filter_map(|d| {
            let cpu = d.cpu.as_ref()?;
            let row = report.scaling.iter().find(|row| row.name == d.name)?;
            let used = row.resources.as_ref()?.cpu_used_cores;
            let most = d.hpa.as_ref().map_or(d.replicas, |a| {
                d.replicas.max(a.spec.max_replicas.max(0) as u32)
            });
            let usable = f64::from(most.max(1)) * cpu.limit.map_or(cpu.cores, |l| l.min(cpu.cores));
            (usable > 0.0).then(|| (d.name.clone(), used / usable))
        })
        .collect()
}

/// Where each autoscaled deployment of `s` started and ended its run
/// `report`, and whether its HPA still moved it in the last quarter.
fn replica_spans(s: &Scenario, report: &Report) -> Vec<ReplicaSpan> {
    let late = report.simulated_s * 0.75;
    s.components
        .iter()
        .filter_map(|c| match c {
            Component::Deployment(d) if d.hpa.is_some() => Some(d),
            _ => None,
        })
        .filter_map(|d| {
            let scaling = report.scaling.iter().find(|x| x.name == d.name)?;
            Some(ReplicaSpan {
                deployment: d.name.clone(),
                start: d.replicas,
                end: scaling.series.last().map_or(d.replicas, |r| r.desired),
                moving: scaling.events.iter().any(|e| e.t_s >= late),
            })
        })
        .collect()
}

/// Runs every job in parallel; results come back in job order.
///
/// Jobs start largest first (by expected requests, see `largest_first`):
/// in job order the biggest stage of a ladder would start last, after the
/// small ones on its thread, and the whole batch would wait for it.
pub fn run_all(
    jobs: &[Scenario],
    file: &str,
    allow_large: bool,
    bar: Option<&ProgressBar>,
) -> Result<Vec<(RunSummary, CostReport)>, ScenarioError> {
    if !allow_large {
        admit_all(jobs, file)?;
    }
    largest_first_map(jobs, |_, job| {
        let r = run_one(job, file).map(|(_, summary, cost)| (summary, cost));
        if let Some(b) = bar {
            b.inc(1);
        }
        r
    })
    .into_iter()
    .collect()
}

/// `f(i, job)` for every job in parallel, started largest first (see
/// [`largest_first`]); results in job order. Only the start order changes,
/// so the results do not depend on it.
fn largest_first_map<T: Send>(
    jobs: &[Scenario],
    f: impl Fn(usize, &Scenario) -> T + Sync,
) -> Vec<T> {
    let mut done: Vec<(usize, T)> = largest_first(jobs)
        .par_iter()
        .map(|&i| (i, f(i, &jobs[i])))
        .collect();
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// Refuses the batch, before any run starts, when one of its runs is
/// estimated to need more memory than the budget.
fn admit_all(jobs: &[Scenario], file: &str) -> Result<(), ScenarioError> {
    for job in jobs {
        let plan = crate::scenario::check(job, "", file)?;
        let estimate = crate::sim::Footprint::of(&plan);
        if !estimate.fits() {
            return Err(ScenarioError::TooLarge {
                file: file.to_owned(),
                estimate: format!(
                    "the run at {} users: {}",
                    job.workload.users,
                    estimate.summary()
                ),
                budget_gib: crate::sim::MEMORY_BUDGET / (1024.0 * 1024.0 * 1024.0),
            });
        }
    }
    Ok(())
}

/// Requests a scenario's run is expected to simulate: users × rate × duration.
fn expected_requests(s: &Scenario) -> f64 {
    s.workload.users * s.workload.rps_per_user * s.run.duration.nanos().as_secs_f64()
}

/// Job indices by expected simulated requests (users × rate × duration),
/// largest first; ties keep job order. Only the start order changes: every
/// job's result depends on its scenario alone.
fn largest_first(jobs: &[Scenario]) -> Vec<usize> {
    let size = |i: usize| expected_requests(&jobs[i]);
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by(|&a, &b| size(b).total_cmp(&size(a)).then(a.cmp(&b)));
    order
}

/// The replications a scenario asks for, unless `cli` overrides.
pub fn replications(s: &Scenario, cli: Option<u32>) -> u32 {
    cli.or(s.run.replications).unwrap_or(1).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn biggest_jobs_start_first_and_ties_keep_job_order() {
        let base =
            crate::scenario::parse(crate::scenario::DEFAULT_SCENARIO, "default.ron").unwrap();
        let jobs: Vec<Scenario> = [100.0, 1e6, 1e4, 1e6, 1e3]
            .iter()
            .map(|&u| prepare(&base, Some(u), 1, 0))
            .collect();
        assert_eq!(largest_first(&jobs), vec![1, 3, 2, 4, 0]);
        let mut longer = jobs[0].clone();
        longer.run.duration = Duration(Nanos::from_secs(1_000_000));
        assert_eq!(largest_first(&[jobs[4].clone(), longer])[0], 1);
    }
}
