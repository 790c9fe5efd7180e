//! Runs that stop at a requested precision (`run.precision`, `--precision`):
//! one run per configuration, one warm-up, and two looks: a pilot, then the
//! length it plans (Stein's two-stage rule with Law and Kelton's relative
//! precision γ/(1+γ)), where the run stops and reports the precision it
//! reached. Mean latency by batch means, p99 by sectioning, over the run
//! after the pilot (see `batch_means`).
//!
//! ```text
//!  config ──warm-up as written──▶ checkpoints every (duration - warm-up) / CHECKPOINTS
//!   pilot: a twentieth of the span (doubled while its batch means are
//!          correlated, up to a quarter): half-widths h of the mean and p99
//!          (after MSER-5)
//!   plan:  pilot × max(MIN_LENGTH, (h / bound)² × SAFETY), the worse of the two
//!   stop:  there (or at the duration as written, the cap); the intervals
//!          are over the run after the pilot; reached if both ≤ bound
//! ```
//!
//! Every look at the half-widths that may stop a run selects calm runs,
//! low in both p99 and its spread: looks at every 20% more covered the
//! exact M/M/8 (ρ = 0.9) mean in 86% and p99 in 64% of 100 seeds at 5%;
//! a planned length with one extension when it fell short, over the whole
//! run, 93% and 81% of 200. Here the stop depends on the pilot alone, and
//! the pilot is not in the estimates: 94.0% and 96.2% of 600 with p99's
//! interval on the log scale (README; symmetric, p99 had 90.0% of 200).
//! The stopping point depends only on the seed and what the run measures:
//! checkpoints fall at fixed simulated times, whatever the thread count.
//!
//! A stage of the ladder may also stop at a look when its SLO is decided:
//! the lower bound of an SLO indicator (the share of finished requests not
//! good, or failed; see `batch_means`) lies above what the objective
//! allows. Only failing is decided early: a passing stage still needs its
//! figures to the precision. See [`VERDICT_LOOKS`] for the level.

use super::batch_means::{BatchMeans, Indicators, Look};
use super::{admit_all, largest_first_map, prepare, summarize, Batch};
use crate::algo::Nanos;
use crate::metrics::stats::Estimate;
use crate::report::slo::LATENCY_GOOD_PERCENT;
use crate::report::{CostReport, PrecisionReached, RunPrecision, RunSummary, SloDecided};
use crate::scenario::units::Precision;
use crate::scenario::{Scenario, ScenarioError, Slo};
use crate::sim::{Checkpoints, SoFar};
use crate::Report;
use indicatif::ProgressBar;

/// Checkpoints over the measured span as written.
pub const CHECKPOINTS: u64 = 640;
/// The pilot: this share of the measured span as written.
const PILOT: f64 = 1.0 / 20.0;
/// The pilot ends by this share of the span even while its batch means
/// are still correlated (the rest is then long enough for the estimates).
const PILOT_MAX: f64 = 1.0 / 4.0;
/// The planned length is this factor over what the pilot's variance says
/// reaches the target (a margin for the estimate's own error).
const SAFETY: f64 = 1.5;
/// The planned length is at least this many pilots (the estimates, after
/// the pilot, then cover at least as many batches as it did).
const MIN_LENGTH: f64 = 2.0;
/// Looks at which a run may stop because its SLO is decided: the first
/// checkpoint with ten batches to test (a clearly failing stage stops
/// there), then the pilot's looks (at most three) and the planned
/// length's. Each tests the two indicators at a one-sided 0.1%
/// (t₀.₉₉₉), so by Bonferroni's inequality a stage that meets its
/// objective stops as failing with probability at most 8 × 2 × 0.1% =
/// 1.6%, whatever the looks see: below the 2.5% a one-sided 95% interval
/// allows once.
const VERDICT_LOOKS: u32 = 8;

/// One configuration run to a precision: its run (whose summary covers the
/// warm-up's end to the stop) and its intervals.
pub(super) type Precise = ((RunSummary, CostReport), Intervals);

/// The estimates over a run's batches and the precision they reached.
#[derive(Clone, Debug)]
pub(super) struct Intervals {
    /// Mean latency after the truncation, with its batch-means interval.
    pub(super) mean_ms: Estimate,
    /// p99 after the truncation, with its sectioning interval.
    pub(super) p99_ms: Estimate,
    /// The precision reached.
    pub(super) reached: PrecisionReached,
}

/// Runs every configuration in `configs` to `target`, configuration `k`
/// with seed `seed(k)`, in parallel, each shortened and admitted as
/// `batch` says (its replications do not apply: one run each); results in
/// configuration order. With `slo`, a run also stops once it fails that
/// objective (see [`VERDICT_LOOKS`]). `bar` counts the configurations.
pub(super) fn run_to_precision(
    configs: &[Scenario],
    seed: &(dyn Fn(usize) -> u64 + Sync),
    target: Precision,
    slo: Option<&Slo>,
    batch: Batch,
    file: &str,
    bar: Option<&ProgressBar>,
) -> Result<Vec<Precise>, ScenarioError> {
    let jobs: Vec<Scenario> = configs
        .iter()
        .enumerate()
        .map(|(k, c)| prepare(c, None, seed(k), batch.max_requests))
        .collect();
    if !batch.allow_large {
        admit_all(&jobs, file)?;
    }
    if let Some(b) = bar {
        b.inc_length(jobs.len() as u64);
    }
    // Largest first: the longest run of a ladder starts at once.
    largest_first_map(&jobs, |_, job| {
        let (_, precise) = run_to(job, target, slo, file)?;
        if let Some(b) = bar {
            b.inc(1);
        }
        Ok(precise)
    })
    .into_iter()
    .collect()
}

/// `run` to a precision (`run.precision`, `--precision`): scenario `s` run
/// until its estimates reach the precision, with the run's whole report
/// (covering the warm-up's end to the stop). `None` when `s` asks for no
/// precision.
pub fn run_precise(
    s: &Scenario,
    file: &str,
    allow_large: bool,
    bar: Option<&ProgressBar>,
) -> Result<Option<(Report, RunPrecision)>, ScenarioError> {
    let Some(target) = s.run.precision else {
        return Ok(None);
    };
    if !allow_large {
        admit_all(std::slice::from_ref(s), file)?;
    }
    if let Some(b) = bar {
        b.inc_length(1);
    }
    let (report, (_, intervals)) = run_to(s, target, None, file)?;
    if let Some(b) = bar {
        b.inc(1);
    }
    let precision = RunPrecision {
        mean_ms: intervals.mean_ms,
        p99_ms: intervals.p99_ms,
        reached: intervals.reached,
    };
    Ok(Some((report, precision)))
}

/// Runs `s` with checkpoints until a look reaches `target`, the planned
/// lengths are spent, the run reaches its duration, or (with `slo`) a look
/// decides that the run fails it.
fn run_to(
    s: &Scenario,
    target: Precision,
    slo: Option<&Slo>,
    file: &str,
) -> Result<(Report, Precise), ScenarioError> {
    let plan = crate::scenario::check(s, "", file)?;
    let (warmup, duration) = (plan.warmup, plan.duration);
    let span = Nanos(duration.0.saturating_sub(warmup.0));
    let every = Nanos((span.0 / CHECKPOINTS).max(1));
    let mut batches = BatchMeans::new();
    let mut next_look = span.as_secs_f64() * PILOT;
    let mut pilot_done = false;
    let mut last: Option<Look> = None;
    let bound = target.fraction() / (1.0 + target.fraction());
    let mut verdict_looks = 0;
    let mut decided = None;
    let mut decide = |now: Nanos, so_far: &SoFar| {
        let closed = batches.checkpoint(so_far);
        let measured = (now - warmup).as_secs_f64();
        let at_end = now >= duration;
        let look_due = at_end || closed && measured >= next_look;
        // The SLO's first test as soon as the batches allow one, the
        // others at the looks.
        let test_due = closed && !at_end && (look_due || verdict_looks == 0);
        if let Some(slo) = slo.filter(|_| test_due && verdict_looks < VERDICT_LOOKS) {
            if let Some(indicators) = batches.indicators() {
                verdict_looks += 1;
                decided = fails(&indicators, slo);
                if decided.is_some() {
                    last = batches.look().or(last);
                    return true;
                }
            }
        }
        if !look_due {
            return false;
        }
        let look = batches.look();
        if pilot_done {
            if look.is_none() && !at_end {
                next_look = measured * 2.0;
                return false;
            }
            last = look.or(last);
            return true;
        }
        let pilot_over = measured * 2.0 > span.as_secs_f64() * PILOT_MAX;
        match look {
            Some(pilot) if pilot.independent() || pilot_over => {
                let short = relative(pilot.mean_ms).max(relative(pilot.p99_ms)) / bound;
                next_look = measured * (short * short * SAFETY).max(MIN_LENGTH);
                batches.end_pilot();
                pilot_done = true;
            }
            _ => next_look = measured * 2.0,
        }
        last = look;
        false
    };
    let report = crate::sim::simulate_checked(
        &plan,
        &mut |_| {},
        Checkpoints {
            every,
            decide: &mut decide,
        },
    );
    let (summary, cost) = summarize(s, &plan, &report)?;
    let measured = report.simulated_s - report.warmup_s;
    let (mean_ms, p99_ms, truncated, done) = last.map_or(
        (Estimate::default(), Estimate::default(), 0.0, false),
        |l| (l.mean_ms, l.p99_ms, l.truncated, reached(&l, bound)),
    );
    let (mean, p99) = (relative(mean_ms), relative(p99_ms));
    let pct = |x: f64| x.is_finite().then(|| (x * 100.0 * 1e4).round() / 1e4);
    let reached = PrecisionReached {
        target_pct: target.percent(),
        mean_pct: pct(mean),
        p99_pct: pct(p99),
        sections: mean_ms.n,
        simulated_s: report.simulated_s,
        truncated_s: ((measured * truncated) * 1e6).round() / 1e6,
        capped: !done && decided.is_none(),
        slo_decided: decided,
    };
    let intervals = Intervals {
        mean_ms,
        p99_ms,
        reached,
    };
    Ok((report, ((summary, cost), intervals)))
}

/// The objective `slo` fails on `indicators` when the lower bound of one
/// of them lies above what it allows: failed beyond its error rate, or
/// more than 1% of finished requests not good (the p99 objective). The
/// first such, the error rate's (the narrower cause) before the p99's.
fn fails(indicators: &Indicators, slo: &Slo) -> Option<SloDecided> {
    let latency = (100 - LATENCY_GOOD_PERCENT) as f64 / 100.0;
    [
        ("failed", indicators.failed, slo.error_rate),
        ("not good", indicators.not_good, latency),
    ]
    .into_iter()
    .find(|(_, r, limit)| r.lower > *limit)
    .map(|(indicator, r, limit)| {
        let round = |x: f64| (x * 1e6).round() / 1e6;
        SloDecided {
            indicator: indicator.to_owned(),
            share: round(r.share),
            lower: round(r.lower),
            limit,
            sections: r.sections,
        }
    })
}

/// Whether `look` reaches the relative half-width `bound` for both the mean
/// and p99. Batches long enough to be nearly independent are the pilot's
/// check: later batches are as long or longer, and a lag-1 estimate over a
/// few dozen of them varies by ±0.2 by chance alone.
fn reached(look: &Look, bound: f64) -> bool {
    relative(look.mean_ms) <= bound && relative(look.p99_ms) <= bound
}

/// The 95% half-width of `e` over its estimate (0 when both are 0;
/// infinite when only the estimate is, or with fewer than two sections).
fn relative(e: Estimate) -> f64 {
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
        assert!((relative(e) - 0.08778).abs() < 1e-4);
        assert_eq!(relative(Estimate::of(&[0.0, 0.0])), 0.0);
        assert!(relative(Estimate::of(&[1.0])).is_infinite());
    }
}
