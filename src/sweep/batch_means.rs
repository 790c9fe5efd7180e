//! Batch means within one run: the batches a run to a precision keeps at
//! its checkpoints, MSER-5 truncation over their means, and the 95%
//! intervals of the mean latency (batch means) and of p99 (sectioning).
//!
//! ```text
//!  checkpoint ──successes since the last one──▶ batch k (count, latency sum, histogram)
//!  over MAX_BATCHES batches: adjacent pairs merge (batches twice as long, memory flat)
//!  the pilot's look ──MSER-5 on its batch means──▶ drop the first d batches (transient)
//!         ──the rest in b sections (10 <= b <= 32)──▶ its intervals, to plan the run
//!  later looks ──the batches after the pilot (left out whole) in b sections──▶
//!           mean: all successes' mean ± t(b-1) · s/√b over the section means
//!           p99:  q = the p99 of all of them ± E(e^δ - 1) / f(q), E the share of
//!                 successes above q, δ = t(b-1) · s/√b / E, s over the sections'
//!                 shares of successes at or below q, f the density at q
//!  the SLO's indicators at a look (same batches; MSER-5 on each in the pilot)
//!           ──sections──▶ share of finished requests not good / failed,
//!                         one-sided lower bound R - t₀.₉₉₉(b-1) · s/√b,
//!                         s by the ratio estimator (sections weigh by finished),
//!                         s² × (1+ρ)/(1-ρ) for the residuals' lag-1 ρ > 0;
//!                         no bound while ρ ≥ 0.5
//! ```
//!
//! p99's interval by the Bahadur representation (p̂ - q ≈ (0.99 - F̂(q)) /
//! f(q)): the spread of the share of successes at or below the whole run's
//! p99 across sections, a mean that batches like the mean latency, over the
//! density there, (0.995 - 0.985) / (Q(0.995) - Q(0.985)) of the whole run.
//! Sectioning the p99 itself (the spread of section p99s) undercovers on
//! short runs: a section's p99 is skewed by the few congested stretches in
//! it (M/M/8 at ρ = 0.9 over a fixed 35000 s: 79.5% over 200 seeds, with
//! the section p99s' spread 0.6 of the estimates' true one).
//!
//! The share's interval is taken on the log scale, as a Poisson rate's is:
//! the requests beyond p99 come in congestion episodes, a 5% run sees a few
//! dozen independent ones, and a calm run sees a low p99 and a narrow
//! spread together (correlation 0.4-0.7 over sets of 200 M/M/8 runs). The symmetric
//! interval missed below in 19 of 20 misses and covered 90.0% of 200 runs
//! to 5%; the log scale's longer upper side, given on both sides, covers
//! 96.2% of 600 (94.5%, 96.5% and 97.5% of three sets of 200; README).
//!
//! The pilot is left out of every later look: its spread planned the run's
//! length, and a calm pilot (low p99, narrow spread) plans a short run that
//! it would then dominate. MSER-5 runs on the pilot alone: over a long
//! stationary run it drops up to half of it at random, the stretch least
//! like the rest, which narrows the intervals (M/M/8 at a fixed 300000 s:
//! 92.5% and 91.5% coverage over 200 seeds with MSER-5 at every look).

use crate::metrics::stats::{mser5, t975, t999, Estimate};
use crate::metrics::LatencyHistogram;
use crate::sim::SoFar;

/// Batches kept at most: one more and adjacent pairs merge.
const MAX_BATCHES: usize = 64;
/// Sections at most; the truncated run is cut into as many as its
/// batches allow, between 10 and this.
const MAX_SECTIONS: usize = 32;

/// The largest lag-1 autocorrelation of the batch means under which the
/// batches count as independent.
const MAX_LAG1: f64 = 0.1;

/// A share's sections with a lag-1 autocorrelation at least this decide
/// nothing (AR(1) would inflate their variance threefold or more, from a
/// lag-1 estimate over a dozen sections that is itself uncertain).
const MAX_RATIO_LAG1: f64 = 0.5;

/// What one batch saw: the successes' latencies, the failures, and the
/// successes within the SLO's threshold.
#[derive(Clone)]
struct Batch {
    successes: LatencyHistogram,
    failed: u64,
    good: u64,
}

impl Batch {
    fn merge(&mut self, other: &Batch) {
        self.successes.merge(&other.successes);
        self.failed += other.failed;
        self.good += other.good;
    }

    /// Requests that finished: succeeded or failed.
    fn finished(&self) -> u64 {
        self.successes.count() + self.failed
    }
}

/// The batches of one run so far.
pub(super) struct BatchMeans {
    batches: Vec<Batch>,
    /// Checkpoints per batch (doubles at each merge).
    per_batch: usize,
    /// Checkpoints in the batch being filled.
    filling: usize,
    /// The outcomes so far at the last checkpoint.
    seen: Batch,
    /// Checkpoints so far.
    checkpoints: usize,
    /// Leading checkpoints left out of every look: the pilot's, once done.
    left_out: Option<usize>,
}

/// What a look at the batches says.
#[derive(Clone, Copy, Debug)]
pub(super) struct Look {
    /// Mean latency of successes after the truncation, ms, with its interval.
    pub(super) mean_ms: Estimate,
    /// Their p99, ms, with its interval.
    pub(super) p99_ms: Estimate,
    /// Share of the batches left out: the transient and the remainder
    /// that keeps the sections equal.
    pub(super) truncated: f64,
    /// Leading checkpoints left out: MSER-5's in the pilot, the pilot's
    /// after it.
    transient: usize,
    /// Lag-1 autocorrelation of the batch means after the truncation: near
    /// 0 once batches are long enough to be nearly independent.
    pub(super) lag1: f64,
}

impl Look {
    /// Whether the batches are long enough to trust the intervals: their
    /// means' lag-1 autocorrelation is at most [`MAX_LAG1`] (Law and
    /// Carson's test; batches double in length as the run grows).
    pub(super) fn independent(&self) -> bool {
        self.lag1 <= MAX_LAG1
    }
}

impl BatchMeans {
    /// No batches yet.
    pub(super) fn new() -> Self {
        BatchMeans {
            batches: Vec::new(),
            per_batch: 1,
            filling: 0,
            seen: Batch {
                successes: LatencyHistogram::new(3),
                failed: 0,
                good: 0,
            },
            checkpoints: 0,
            left_out: None,
        }
    }

    /// Ends the pilot: every checkpoint so far is left out of later looks.
    pub(super) fn end_pilot(&mut self) {
        self.left_out = Some(self.checkpoints);
    }

    /// A checkpoint with the outcomes `so_far` (cumulative): the ones since
    /// the last checkpoint join the batch being filled. Whether a batch
    /// closed here.
    pub(super) fn checkpoint(&mut self, so_far: &SoFar) -> bool {
        let new = Batch {
            successes: so_far.successes.since(&self.seen.successes),
            failed: so_far.failed - self.seen.failed,
            good: so_far.good - self.seen.good,
        };
        // Exact integer counts: `seen` becomes `so_far` without a copy of
        // every bucket.
        self.seen.merge(&new);
        self.checkpoints += 1;
        if self.filling == 0 {
            self.batches.push(new);
        } else {
            self.batches
                .last_mut()
                .expect("a batch is filling")
                .merge(&new);
        }
        self.filling += 1;
        if self.filling < self.per_batch {
            return false;
        }
        self.filling = 0;
        if self.batches.len() > MAX_BATCHES {
            self.halve();
        }
        true
    }

    /// Adjacent pairs merge into batches twice as long (an odd last one
    /// keeps filling to the new length).
    fn halve(&mut self) {
        let old = std::mem::take(&mut self.batches);
        let odd = old.len() % 2 == 1;
        let mut pairs = old.chunks(2);
        for pair in pairs.by_ref() {
            let mut b = pair[0].clone();
            if let Some(second) = pair.get(1) {
                b.merge(second);
            }
            self.batches.push(b);
        }
        self.per_batch *= 2;
        if odd {
            self.filling = self.per_batch / 2;
        }
    }

    /// The batches closed so far.
    fn closed(&self) -> &[Batch] {
        if self.filling > 0 {
            &self.batches[..self.batches.len() - 1]
        } else {
            &self.batches[..]
        }
    }

    /// Leading closed batches a look leaves out: the pilot's once it is
    /// done, else MSER-5's transient on `series` (one value per batch).
    fn dropped(&self, series: impl Fn(&Batch) -> f64) -> usize {
        let closed = self.closed();
        match self.left_out {
            Some(checkpoints) => checkpoints.div_ceil(self.per_batch).min(closed.len()),
            None => mser5(&closed.iter().map(series).collect::<Vec<_>>()),
        }
    }

    /// The estimates over the closed batches, past the pilot (or in the
    /// pilot, past MSER-5's transient); `None` with
    /// fewer than 10 batches left, or no success.
    pub(super) fn look(&self) -> Option<Look> {
        let closed = self.closed();
        let dropped = self.dropped(|b| b.successes.mean());
        let successes: Vec<&LatencyHistogram> = closed.iter().map(|b| &b.successes).collect();
        let mut look = estimates(&successes, dropped)?;
        look.transient = self.left_out.unwrap_or(dropped * self.per_batch);
        Some(look)
    }

    /// The SLO's indicators over the closed batches a look covers (in the
    /// pilot, past MSER-5's transient on each indicator): the shares of
    /// finished requests that were not good and that failed; `None` where
    /// fewer than 10 batches are left or a section finished nothing.
    pub(super) fn indicators(&self) -> Option<Indicators> {
        let closed = self.closed();
        let not_good = |b: &Batch| (b.finished() - b.good) as f64 / b.finished().max(1) as f64;
        let failed = |b: &Batch| b.failed as f64 / b.finished().max(1) as f64;
        Some(Indicators {
            not_good: ratio(&closed[self.dropped(not_good)..], |b| b.finished() - b.good)?,
            failed: ratio(&closed[self.dropped(failed)..], |b| b.failed)?,
        })
    }
}

/// The SLO's indicators over a run's batches.
#[derive(Clone, Copy, Debug)]
pub(super) struct Indicators {
    /// Share of finished requests not good (failed, or slower than the
    /// latency objective's threshold): the p99 objective is met while it
    /// is at most 1%.
    pub(super) not_good: Ratio,
    /// Share of finished requests that failed: the error-rate objective.
    pub(super) failed: Ratio,
}

/// A share of finished requests with a one-sided lower confidence bound
/// (level [`t999`], by sectioning).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Ratio {
    /// The share over every section: counted over finished.
    pub(super) share: f64,
    /// The 99.9% one-sided lower bound: share - t₀.₉₉₉(b-1) · s/√b.
    pub(super) lower: f64,
    /// Sections.
    pub(super) sections: u32,
}

/// The share R = Σaᵢ / Σnᵢ of finished requests that `counted` counts over
/// `batches`, cut into b equal sections as [`estimates`] cuts them (the
/// remainder left out at the front), with its lower bound by the ratio
/// estimator's variance, s² = Σ(aᵢ - R·nᵢ)² / ((b-1)·n̄²): sections weigh
/// by what they finished, and one that finished nothing (requests still
/// queued, as when a backlog grows) adds nothing. `None` with fewer than
/// 10 batches, or nothing finished.
fn ratio(batches: &[Batch], counted: impl Fn(&Batch) -> u64) -> Option<Ratio> {
    let rest = batches.len();
    if rest < 10 {
        return None;
    }
    let per_section = rest.div_ceil(MAX_SECTIONS);
    let b = rest / per_section;
    let sections: Vec<(f64, f64)> = batches[rest - b * per_section..]
        .chunks(per_section)
        .map(|c| {
            c.iter().fold((0.0, 0.0), |(a, n), x| {
                (a + counted(x) as f64, n + x.finished() as f64)
            })
        })
        .collect();
    let (a, n) = sections
        .iter()
        .fold((0.0, 0.0), |(a, n), &(x, m)| (a + x, n + m));
    if n == 0.0 {
        return None;
    }
    let share = a / n;
    let mean_n = n / b as f64;
    let residuals: Vec<f64> = sections.iter().map(|&(x, m)| x - share * m).collect();
    let var = residuals.iter().map(|d| d * d).sum::<f64>() / ((b - 1) as f64 * mean_n * mean_n);
    // Sections short against the system's memory (a backlog's, a retry
    // storm's) are correlated, and their spread understates the share's
    // error: inflate it by AR(1)'s (1 + ρ)/(1 - ρ) for the residuals'
    // lag-1 ρ, and decide nothing while ρ says the sections are mostly one
    // stretch.
    let rho = lag1(&residuals).max(0.0);
    let lower = if rho >= MAX_RATIO_LAG1 {
        f64::NEG_INFINITY
    } else {
        let inflated = var * (1.0 + rho) / (1.0 - rho);
        share - t999(b as u32 - 1) * (inflated / b as f64).sqrt()
    };
    Some(Ratio {
        share,
        lower,
        sections: b as u32,
    })
}

/// [`Look`] over `batches` of equal length past the first `dropped`.
fn estimates(batches: &[&LatencyHistogram], dropped: usize) -> Option<Look> {
    let means: Vec<f64> = batches.iter().map(|h| h.mean()).collect();
    let rest = batches.len() - dropped;
    if rest < 10 {
        return None;
    }
    let per_section = rest.div_ceil(MAX_SECTIONS);
    let b = rest / per_section;
    // The remainder goes with the truncation: sections stay equal.
    let start = batches.len() - b * per_section;
    let sections: Vec<LatencyHistogram> = batches[start..]
        .chunks(per_section)
        .map(|c| {
            let mut h = c[0].clone();
            for x in &c[1..] {
                h.merge(x);
            }
            h
        })
        .collect();
    let mut all = sections[0].clone();
    for s in &sections[1..] {
        all.merge(s);
    }
    if all.count() == 0 || sections.iter().any(|s| s.count() == 0) {
        return None;
    }
    let ms = |ns: f64| ns / 1e6;
    let mean = sectioned(ms(all.mean()), sections.iter().map(|s| ms(s.mean())));
    let q = all.quantile(0.99);
    let share = |h: &LatencyHistogram| h.count_at_or_below(q) as f64 / h.count() as f64;
    let whole = share(&all);
    let shares = sectioned(whole, sections.iter().map(share));
    // The share beyond q, on the log scale: its interval reaches
    // E·e^(±δ), δ = ci / E, and the longer side, above, goes to p99.
    let beyond = above_on_log_scale(1.0 - whole, shares.ci95);
    // The density at q from the whole run: a share over a span of ms.
    let spread = ms(all.quantile(0.995) as f64 - all.quantile(0.985) as f64);
    let half_width = if spread > 0.0 {
        beyond * spread / 0.01
    } else {
        0.0
    };
    let round = |x: f64| (x * 1e6).round() / 1e6;
    let p99 = Estimate {
        mean: round(ms(q as f64)),
        ci95: round(half_width),
        n: shares.n,
    };
    // Batches independent for the mean and for the tail.
    let tails: Vec<f64> = batches[dropped..]
        .iter()
        .filter(|h| h.count() > 0)
        .map(|h| share(h))
        .collect();
    Some(Look {
        mean_ms: mean,
        p99_ms: p99,
        truncated: start as f64 / batches.len() as f64,
        transient: 0,
        lag1: lag1(&means[dropped..]).max(lag1(&tails)),
    })
}

/// How far above `share` its 95% interval reaches when the interval,
/// ±`ci95` on the share itself, is taken on the log scale instead:
/// share·(e^(ci95/share) - 1), at most 1 - share. The share of requests
/// beyond a run's p99 counts rare tail episodes (a congestion stretch
/// slows many requests at once): even a long run sees a few dozen
/// independent ones, so the share is skewed like a small Poisson count,
/// and a calm run sees both a low p99 and a narrow spread. The log
/// scale's longer upper side (as for a Poisson rate's interval) is what
/// the symmetric interval lacks; p99's interval takes it on both sides.
/// `ci95` itself where `share` is 0 (every success at or below q).
fn above_on_log_scale(share: f64, ci95: f64) -> f64 {
    if share > 0.0 {
        (share * (ci95 / share).exp_m1()).min(1.0 - share)
    } else {
        ci95
    }
}

/// The lag-1 autocorrelation of `xs` (0 when they do not vary).
fn lag1(xs: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>();
    if var == 0.0 {
        return 0.0;
    }
    let cov: f64 = xs.windows(2).map(|w| (w[0] - mean) * (w[1] - mean)).sum();
    cov / var
}

/// The sectioning interval: `point` (the estimate over every section) ±
/// t(b-1) · s/√b, with s² the sections' squared distances from `point`
/// over b-1.
fn sectioned(point: f64, sections: impl Iterator<Item = f64>) -> Estimate {
    let xs: Vec<f64> = sections.collect();
    let b = xs.len();
    let var = xs.iter().map(|x| (x - point).powi(2)).sum::<f64>() / (b - 1) as f64;
    let round = |x: f64| (x * 1e6).round() / 1e6;
    Estimate {
        mean: round(point),
        ci95: round(t975(b as u32 - 1) * (var / b as f64).sqrt()),
        n: b as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::Nanos;

    /// Successes so far `h`, none failed, none counted good.
    fn only(h: &LatencyHistogram) -> SoFar {
        SoFar {
            successes: h.clone(),
            failed: 0,
            good: 0,
        }
    }

    /// 100 more finished requests in `so_far`: `failed` of them failed, the
    /// rest good successes at 5 ms.
    fn hundred_failing(so_far: &mut SoFar, failed: u64) {
        so_far
            .successes
            .record_n(Nanos::from_millis(5), 100 - failed);
        so_far.failed += failed;
        so_far.good += 100 - failed;
    }

    /// A batch of `n` successes at `ms` each.
    fn batch(ms: u64, n: u64) -> LatencyHistogram {
        let mut h = LatencyHistogram::new(3);
        h.record_n(Nanos::from_millis(ms), n);
        h
    }

    #[test]
    fn the_sectioning_interval_is_centred_on_the_whole_estimate() {
        // Sections 9, 10, 11, 10, 10 around 10: s² = 2/4, t(4) = 2.776.
        let e = sectioned(10.0, [9.0, 10.0, 11.0, 10.0, 10.0].into_iter());
        assert!((e.ci95 - 2.776 * (0.5_f64 / 5.0).sqrt()).abs() < 1e-6);
        // Around 11 instead the distances grow: the interval widens.
        assert!(sectioned(11.0, [9.0, 10.0, 11.0, 10.0, 10.0].into_iter()).ci95 > e.ci95);
    }

    #[test]
    fn a_share_on_the_log_scale_reaches_further_above_and_stays_a_share() {
        // 1% ± 0.3 points: e^0.3 - 1 = 0.349859 of 1% above, against 0.3.
        let above = above_on_log_scale(0.01, 0.003);
        assert!((above - 0.01 * 0.3_f64.exp_m1()).abs() < 1e-12);
        assert!(above > 0.003);
        // A narrow interval is nearly the symmetric one.
        assert!((above_on_log_scale(0.01, 1e-5) - 1e-5).abs() < 1e-8);
        // The share plus its reach stays at most 1.
        assert_eq!(above_on_log_scale(0.6, 0.5), 0.4);
        // Nothing above: the symmetric interval as it is.
        assert_eq!(above_on_log_scale(0.0, 0.002), 0.002);
    }

    #[test]
    fn lag1_autocorrelation_tells_runs_from_alternation() {
        assert!((lag1(&[1.0, 2.0, 1.0, 2.0, 1.0, 2.0]) + 5.0 / 6.0).abs() < 1e-12);
        // Pairs 1,1,2,2,…: deviations ±½, adjacent products +¼ four times
        // and −¼ three times over a sum of squares of 2: 0.125.
        let runs = lag1(&[1.0, 1.0, 2.0, 2.0, 1.0, 1.0, 2.0, 2.0]);
        assert!((runs - 0.125).abs() < 1e-12, "{runs}");
        assert_eq!(lag1(&[3.0, 3.0, 3.0]), 0.0);
    }

    #[test]
    fn mser5_drops_the_transient_batches_and_sections_are_equal() {
        // 10 slow batches, then 30 at 100 ms alternating with 102 ms.
        let mut batches: Vec<LatencyHistogram> = (0..10).map(|_| batch(500, 100)).collect();
        batches.extend((0..30).map(|i| batch(100 + 2 * (i % 2), 100)));
        let means: Vec<f64> = batches.iter().map(LatencyHistogram::mean).collect();
        let look = estimates(&batches.iter().collect::<Vec<_>>(), mser5(&means)).unwrap();
        // MSER-5 drops the 10 slow ones; 30 left make 30 sections of 1,
        // at 101 ± 1: s² = 30/29, t(29) = 2.045, half-width 0.380.
        assert_eq!(look.truncated, 0.25);
        assert_eq!(look.mean_ms.n, 30);
        assert!((look.mean_ms.mean - 101.0).abs() < 0.01, "{look:?}");
        assert!((look.mean_ms.ci95 - 0.380).abs() < 0.002, "{look:?}");
    }

    #[test]
    fn the_pilot_is_left_out_of_later_looks_as_batches_merge() {
        let mut b = BatchMeans::new();
        let mut so_far = LatencyHistogram::new(3);
        // 10 slow checkpoints, then 30 alternating at 100 and 102 ms.
        for i in 0..40 {
            let ms = if i < 10 { 500 } else { 100 + 2 * (i % 2) };
            so_far.record_n(Nanos::from_millis(ms), 100);
            b.checkpoint(&only(&so_far));
        }
        let pilot = b.look().unwrap();
        assert_eq!((pilot.transient, pilot.mean_ms.n), (10, 30));
        b.end_pilot();
        // 40 more at 200 and 204 ms: 80 checkpoints in 40 batches of two,
        // the pilot's 20 left out: 20 sections of one, all at 202 ms.
        for i in 0..40 {
            so_far.record_n(Nanos::from_millis(200 + 4 * (i % 2)), 100);
            b.checkpoint(&only(&so_far));
        }
        assert_eq!((b.batches.len(), b.per_batch), (40, 2));
        let look = b.look().unwrap();
        assert_eq!((look.transient, look.mean_ms.n), (40, 20));
        assert!((look.mean_ms.mean - 202.0).abs() < 0.01, "{look:?}");
        assert_eq!(look.mean_ms.ci95, 0.0);
        assert_eq!(look.truncated, 0.5);
    }

    #[test]
    fn batches_merge_in_pairs_past_the_cap_and_keep_every_success() {
        let mut b = BatchMeans::new();
        let mut so_far = LatencyHistogram::new(3);
        for i in 0..(MAX_BATCHES as u64 + 1) {
            so_far.record(Nanos::from_millis(10 + i));
            b.checkpoint(&only(&so_far));
        }
        // 65 batches of one checkpoint: 33 of two (the last one half full).
        assert_eq!((b.batches.len(), b.per_batch, b.filling), (33, 2, 1));
        let total: u64 = b.batches.iter().map(|x| x.successes.count()).sum();
        assert_eq!(total, MAX_BATCHES as u64 + 1);
        so_far.record(Nanos::from_millis(1));
        assert!(b.checkpoint(&only(&so_far)));
        assert_eq!(b.batches.last().unwrap().successes.count(), 2);
        assert!(b.look().is_some());
    }

    #[test]
    fn the_indicators_are_shares_of_finished_requests_with_a_lower_bound() {
        let mut b = BatchMeans::new();
        let mut so_far = only(&LatencyHistogram::new(3));
        // 20 checkpoints of 100 finished, 10 and 20 failing in turn (the
        // successes all good): 20 sections of one at 0.1 and 0.2 around
        // 0.15, s² = 20 × 0.05² / 19, t₀.₉₉₉(19) = 3.579.
        for i in 0..20 {
            hundred_failing(&mut so_far, 10 + 10 * (i % 2));
            b.checkpoint(&so_far);
        }
        let ind = b.indicators().unwrap();
        let lower = 0.15 - 3.579 * (20.0 * 0.0025 / 19.0 / 20.0_f64).sqrt();
        assert_eq!(ind.failed.sections, 20);
        assert!((ind.failed.share - 0.15).abs() < 1e-12, "{ind:?}");
        assert!((ind.failed.lower - lower).abs() < 1e-9, "{ind:?}");
        // Every success good: not good is failed.
        assert_eq!(ind.not_good, ind.failed);
        // Successes slower than the threshold count as not good.
        so_far.successes.record_n(Nanos::from_millis(900), 100);
        b.checkpoint(&so_far);
        let ind = b.indicators().unwrap();
        assert!(ind.not_good.share > ind.failed.share, "{ind:?}");
    }

    #[test]
    fn correlated_sections_widen_the_bound_or_decide_nothing() {
        // 24 checkpoints of 100 finished; `run` checkpoints in a row fail 10,
        // then `run` fail 20, and so on: the same share (0.15) and the
        // same spread whatever `run` is, only the order differs.
        let failed_share = |run: usize| {
            let mut b = BatchMeans::new();
            let mut so_far = only(&LatencyHistogram::new(3));
            for i in 0..24 {
                hundred_failing(&mut so_far, 10 + 10 * ((i / run) % 2) as u64);
                b.checkpoint(&so_far);
            }
            b.indicators().unwrap().failed
        };
        let (alternating, runs_of_3, runs_of_4) =
            (failed_share(1), failed_share(3), failed_share(4));
        for r in [alternating, runs_of_3, runs_of_4] {
            assert!((r.share - 0.15).abs() < 1e-12, "{r:?}");
        }
        // Alternation is negatively correlated: no inflation (ρ counts as 0).
        let plain = 0.15 - t999(23) * (24.0 * 0.0025 / 23.0 / 24.0_f64).sqrt();
        assert!((alternating.lower - plain).abs() < 1e-9, "{alternating:?}");
        // Runs of 3 (lag-1 about 1/3): a wider bound, finite.
        assert!(
            runs_of_3.lower.is_finite() && runs_of_3.lower < plain - 0.01,
            "{runs_of_3:?}"
        );
        // Runs of 4 (lag-1 about 1/2): the sections are too much one stretch.
        assert_eq!(runs_of_4.lower, f64::NEG_INFINITY, "{runs_of_4:?}");
    }

    #[test]
    fn indicators_need_ten_batches_and_weigh_sections_by_what_finished() {
        let mut b = BatchMeans::new();
        let mut so_far = only(&LatencyHistogram::new(3));
        for _ in 0..9 {
            b.checkpoint(&so_far);
        }
        assert!(b.indicators().is_none());
        // Ten batches, nothing finished: no share.
        b.checkpoint(&so_far);
        assert!(b.indicators().is_none());
        // Ten more where one request a batch fails: every finished request
        // failed, the empty sections add nothing to the spread.
        for _ in 0..10 {
            so_far.failed += 1;
            b.checkpoint(&so_far);
        }
        let ind = b.indicators().unwrap();
        assert_eq!((ind.failed.share, ind.failed.lower), (1.0, 1.0));
    }
}
