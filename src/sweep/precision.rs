//! Runs that stop at a requested precision (`run.precision`, `--precision`):
//! sequential replications, each the run as written with its measured span
//! shortened to a twentieth (its warm-up kept), added until the 95% confidence half-widths of
//! the mean latency and of p99 across replications are within the target.
//!
//! ```text
//!  config ──10 replications (seeds 0..10, in parallel)──▶ Student-t intervals of mean and p99
//!         ──both half-widths ≤ γ/(1+γ) of their estimates?──yes──▶ done
//!         ──no: 2 more replications (next seeds), until 20 (the cap: the measured span as written)
//! ```
//!
//! Why replications and not batch means: a replication's p99 is an
//! estimate of the p99 itself, so the Student-t interval over replications
//! covers it; batch p99s average to something else. The bound γ/(1+γ) (Law
//! and Kelton's relative-precision rule) makes up for stopping when the
//! spread happens to be small. Ten replications before the first look, not
//! five: a short replication's p99 is skewed (a congested stretch lifts it
//! far more than a calm one lowers it), and over five the Student-t interval
//! of such values is too narrow too often (M/M/8's p99 covered in 90.0% of
//! 400 seeds at five, 93.0% at ten; see the README). The stopping point
//! depends only on the seeds and what the runs report: rounds are fixed in
//! size, whatever the thread count.

use super::shorten::shorten;
use super::{prepare, run_all, run_one, seed_for, Batch};
use crate::algo::Nanos;
use crate::metrics::stats::Estimate;
use crate::report::{CostReport, PrecisionReached, RunPrecision, RunSummary};
use crate::scenario::units::{Duration, Precision};
use crate::scenario::{Scenario, ScenarioError};
use crate::Report;
use indicatif::ProgressBar;

/// Replications before the first look (fewer leave the p99's interval too
/// narrow: see the module's comment).
pub const MIN_REPLICATIONS: usize = 10;
/// Replications at most; each measures `1 / SLICES` of the span after the
/// warm-up, so the cap measures the span as written.
pub const SLICES: usize = 20;
/// Replications added per look.
const ROUND: usize = 2;

/// The runs of one configuration and the precision they reached.
pub(super) type Precise = (Vec<(RunSummary, CostReport)>, PrecisionReached);

/// Runs every configuration in `configs` to `target`: replication `r` of
/// configuration `k` runs with seed `seed(k, r)`, starting from
/// `batch.replications` replications (at least [`MIN_REPLICATIONS`]).
/// Results in configuration order; each round adds its runs to `bar`'s
/// length.
pub(super) fn run_to_precision(
    configs: &[Scenario],
    seed: &(dyn Fn(usize, usize) -> u64 + Sync),
    target: Precision,
    batch: Batch,
    file: &str,
    bar: Option<&ProgressBar>,
) -> Result<Vec<Precise>, ScenarioError> {
    let runs = vec![Vec::new(); configs.len()];
    grow(configs, runs, seed, target, batch, file, bar)
}

/// `run` to a precision (`run.precision`, `--precision`): scenario `s` run
/// as a sweep of it would (replication `r` with seed `seed_for(s.seed, 0,
/// r)`), with the whole report of its first replication, which runs first
/// and is one of the replications
/// the precision is reached over; `bar` counts every replication. `None`
/// when `s` asks for no precision.
pub fn run_precise(
    s: &Scenario,
    file: &str,
    allow_large: bool,
    bar: Option<&ProgressBar>,
) -> Result<Option<(Report, RunPrecision)>, ScenarioError> {
    let Some(target) = s.run.precision else {
        return Ok(None);
    };
    let seeds = |_: usize, r: usize| seed_for(s.seed, 0, r as u64);
    if let Some(b) = bar {
        b.inc_length(1);
    }
    let (report, summary, cost) = run_one(&slice(s, seeds(0, 0), 0), file)?;
    if let Some(b) = bar {
        b.inc(1);
    }
    let batch = Batch {
        replications: MIN_REPLICATIONS as u32,
        max_requests: 0,
        allow_large,
    };
    let configs = std::slice::from_ref(s);
    let (runs, reached) = grow(
        configs,
        vec![vec![(summary, cost)]],
        &seeds,
        target,
        batch,
        file,
        bar,
    )?
    .pop()
    .expect("one configuration");
    let est = |f: fn(&RunSummary) -> f64| {
        Estimate::of(&runs.iter().map(|(r, _)| f(r)).collect::<Vec<_>>())
    };
    let precision = RunPrecision {
        mean_ms: est(|r| r.mean_ms),
        p99_ms: est(|r| r.p99_ms),
        reached,
    };
    Ok(Some((report, precision)))
}

/// [`run_to_precision`] from the `runs` each configuration has already.
fn grow(
    configs: &[Scenario],
    mut runs: Vec<Vec<(RunSummary, CostReport)>>,
    seed: &(dyn Fn(usize, usize) -> u64 + Sync),
    target: Precision,
    batch: Batch,
    file: &str,
    bar: Option<&ProgressBar>,
) -> Result<Vec<Precise>, ScenarioError> {
    let start = (batch.replications.max(1) as usize).clamp(MIN_REPLICATIONS, SLICES);
    let mut wanted = vec![start; configs.len()];
    loop {
        let mut jobs = Vec::new();
        let mut owners = Vec::new();
        for (k, config) in configs.iter().enumerate() {
            for r in runs[k].len()..wanted[k] {
                jobs.push(slice(config, seed(k, r), batch.max_requests));
                owners.push(k);
            }
        }
        if jobs.is_empty() {
            break;
        }
        if let Some(b) = bar {
            b.inc_length(jobs.len() as u64);
        }
        let done = run_all(&jobs, file, batch.allow_large, bar)?;
        for (k, result) in owners.into_iter().zip(done) {
            runs[k].push(result);
        }
        for (k, rs) in runs.iter().enumerate() {
            if reached(rs, target).capped {
                wanted[k] = (rs.len() + ROUND).min(SLICES);
            }
        }
    }
    Ok(runs
        .into_iter()
        .map(|rs| {
            let reached = reached(&rs, target);
            (rs, reached)
        })
        .collect())
}

/// Replication `seed` of `config`: its request cap applied, then its
/// timeline shortened to `1 / SLICES` (faults and load changes keep their
/// place in it) except the warm-up, which stays as written: the measured
/// span shrinks, the transient before it does not. The interval grows back
/// in proportion, so the run has the buckets it had.
fn slice(config: &Scenario, seed: u64, max_requests: u64) -> Scenario {
    let mut s = prepare(config, None, seed, max_requests);
    let (duration, warmup, interval) = (s.run.duration, s.run.warmup, s.run.interval);
    shorten(&mut s, 1.0 / SLICES as f64);
    let shrunk = s.run.warmup.nanos();
    let length = Nanos(s.run.duration.nanos().0 - shrunk.0 + warmup.nanos().0);
    let buckets = duration.nanos().as_secs_f64() / interval.nanos().as_secs_f64();
    s.run.warmup = warmup;
    s.run.duration = Duration(length);
    s.run.interval = Duration(Nanos::from_secs_f64(
        (length.as_secs_f64() / buckets).max(1e-3),
    ));
    s
}

/// What `runs` reached for `target`: `capped` until both relative
/// half-widths are within γ/(1+γ) over at least [`MIN_REPLICATIONS`].
fn reached(runs: &[(RunSummary, CostReport)], target: Precision) -> PrecisionReached {
    let relative = |f: fn(&RunSummary) -> f64| {
        let e = Estimate::of(&runs.iter().map(|(r, _)| f(r)).collect::<Vec<_>>());
        relative_half_width(e)
    };
    let (mean, p99) = (relative(|r| r.mean_ms), relative(|r| r.p99_ms));
    let gamma = target.fraction();
    let bound = gamma / (1.0 + gamma);
    let met = runs.len() >= MIN_REPLICATIONS && mean <= bound && p99 <= bound;
    let pct = |x: f64| (x * 100.0 * 1e4).round() / 1e4;
    let simulated_s = runs.iter().map(|(r, _)| r.simulated_s).sum::<f64>();
    PrecisionReached {
        target_pct: target.percent(),
        mean_pct: pct(mean),
        p99_pct: pct(p99),
        replications: runs.len() as u32,
        simulated_s: (simulated_s * 1e6).round() / 1e6,
        capped: !met,
    }
}

/// The 95% half-width of `e` over its mean (0 when both are 0; infinite
/// when only the mean is, or with one replication).
fn relative_half_width(e: Estimate) -> f64 {
    if e.n < 2 {
        f64::INFINITY
    } else if e.ci95 == 0.0 {
        0.0
    } else {
        e.ci95 / e.mean.abs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relative_half_width_is_the_interval_over_the_estimate() {
        let e = Estimate::of(&[9.0, 10.0, 11.0, 10.0, 10.0]);
        // sd = sqrt(0.5), t(4) = 2.776: 2.776 × 0.7071 / √5 = 0.8778.
        assert!((relative_half_width(e) - 0.08778).abs() < 1e-4);
        assert_eq!(relative_half_width(Estimate::of(&[0.0, 0.0])), 0.0);
        assert!(relative_half_width(Estimate::of(&[1.0])).is_infinite());
    }
}
