//! The arrival process: Poisson with a time-varying rate, by thinning.

use super::RateTrace;
use crate::algo::Nanos;
use crate::engine::{standard_exponential, unit_open, Rng};

/// A multiplier on the base arrival rate over time.
#[derive(Clone, Debug, PartialEq)]
pub enum RatePattern {
    /// Factor 1 throughout.
    Constant,
    /// Cosine cycle from `1/peak` at t = 0 up to 1 at half a period.
    Diurnal {
        /// Peak-to-trough ratio (>= 1).
        peak: f64,
        /// Cycle length.
        period: Nanos,
    },
    /// `factor` during `[at, at + length)`, 1 otherwise.
    Spike {
        /// Start.
        at: Nanos,
        /// Multiplier.
        factor: f64,
        /// Duration.
        length: Nanos,
    },
    /// Piecewise constant factors, sorted by time; 1 before the first.
    Steps(Vec<(Nanos, f64)>),
    /// A recorded rate: the factor is the trace's requests per second.
    Trace(std::sync::Arc<RateTrace>),
}

impl RatePattern {
    /// The multiplier at time `t`.
    pub fn factor(&self, t: Nanos) -> f64 {
        match self {
            RatePattern::Constant => 1.0,
            RatePattern::Diurnal { peak, period } => {
                let phase = (t.0 % period.0.max(1)) as f64 / period.0.max(1) as f64;
                let trough = 1.0 / peak;
                trough + (1.0 - trough) * (1.0 - libm::cos(std::f64::consts::TAU * phase)) / 2.0
            }
            RatePattern::Spike { at, factor, length } => {
                if t >= *at && t < at.saturating_add(*length) {
                    *factor
                } else {
                    1.0
                }
            }
            RatePattern::Steps(steps) => {
                let i = steps.partition_point(|s| s.0 <= t);
                if i == 0 {
                    1.0
                } else {
                    steps[i - 1].1
                }
            }
            RatePattern::Trace(trace) => trace.rate(t),
        }
    }

    /// The time from which the factor stays zero for good, if there is one.
    pub fn silent_from(&self) -> Option<Nanos> {
        match self {
            RatePattern::Trace(trace) => trace.silent_from(),
            _ => None,
        }
    }

    /// The largest multiplier the pattern reaches.
    pub fn max_factor(&self) -> f64 {
        self.max_factor_before(Nanos::MAX)
    }

    /// The largest multiplier the pattern reaches before `end` (a spike, a
    /// step or a trace's row from `end` on does not count).
    pub fn max_factor_before(&self, end: Nanos) -> f64 {
        match self {
            RatePattern::Constant | RatePattern::Diurnal { .. } => 1.0,
            RatePattern::Spike { at, factor, .. } if *at < end => factor.max(1.0),
            RatePattern::Spike { .. } => 1.0,
            RatePattern::Steps(steps) => steps
                .iter()
                .take_while(|s| s.0 < end)
                .map(|s| s.1)
                .fold(1.0, f64::max),
            RatePattern::Trace(trace) => trace.max_before(end),
        }
    }
}

/// Generates arrival times: a Poisson process of rate `base × pattern(t)`.
///
/// Thinning (Lewis and Shedler): candidates come at the pattern's maximum
/// rate before the end and each is kept with probability
/// `factor(t) / max_factor`, which is exact for any bounded rate function.
/// The maximum is taken over the run only: a spike after the end (a run
/// shortened before it) would otherwise make every arrival cost `factor`
/// rejected candidates, and no candidate is drawn past the end.
pub struct Arrivals {
    mean_gap_ns: f64,
    pattern: RatePattern,
    max_factor: f64,
    next: Nanos,
    end: Nanos,
    rng: Rng,
}

impl Arrivals {
    /// Arrivals before `end` at `rate_per_s × pattern`, drawing from `rng`.
    pub fn new(rate_per_s: f64, pattern: RatePattern, rng: Rng, end: Nanos) -> Arrivals {
        let max_factor = pattern.max_factor_before(end);
        let peak_rate = rate_per_s * max_factor;
        Arrivals {
            mean_gap_ns: if peak_rate > 0.0 {
                1e9 / peak_rate
            } else {
                f64::INFINITY
            },
            pattern,
            max_factor,
            next: Nanos::ZERO,
            end,
            rng,
        }
    }

    /// The next arrival time after the previous one, or `None` if the rate
    /// is zero or the next candidate falls at or past the end.
    // Always inlined into the feed: left to the compiler, it became a call
    // when unrelated code changed (+2% instructions on M/M/8).
    #[inline(always)]
    pub fn next_arrival(&mut self) -> Option<Nanos> {
        if !self.mean_gap_ns.is_finite() {
            return None;
        }
        loop {
            let gap = self.mean_gap_ns * standard_exponential(&mut self.rng);
            self.next = self.next.saturating_add(Nanos::from_nanos(gap as u64));
            if self.next >= self.end {
                return None;
            }
            if matches!(self.pattern, RatePattern::Constant) {
                return Some(self.next); // every candidate is kept
            }
            let keep = self.pattern.factor(self.next) / self.max_factor;
            if keep >= 1.0 || unit_open(&mut self.rng) < keep {
                return Some(self.next);
            }
            if keep == 0.0 && self.pattern.silent_from().is_some_and(|s| self.next >= s) {
                return None; // the rate stays zero from here on
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream;

    fn count_between(a: &mut Arrivals, from: Nanos, to: Nanos) -> u64 {
        let mut n = 0;
        while let Some(t) = a.next_arrival() {
            if t >= to {
                break;
            }
            if t >= from {
                n += 1;
            }
        }
        n
    }

    #[test]
    fn poisson_rate_is_right() {
        let mut a = Arrivals::new(
            1000.0,
            RatePattern::Constant,
            stream(1, "arrivals"),
            Nanos::MAX,
        );
        let n = count_between(&mut a, Nanos::ZERO, Nanos::from_secs(100));
        assert!((n as f64 / 100_000.0 - 1.0).abs() < 0.01, "{n}");
    }

    #[test]
    fn a_spike_past_the_end_does_not_slow_the_thinning_and_nothing_comes_after_it() {
        // A run shortened to 10 s before its spike at 100 s: the candidates
        // come at the base rate (a factor of 10^6 would draw a million
        // rejected candidates per arrival), and none past the end.
        let p = RatePattern::Spike {
            at: Nanos::from_secs(100),
            factor: 1e6,
            length: Nanos::from_secs(1),
        };
        let end = Nanos::from_secs(10);
        let mut a = Arrivals::new(1000.0, p.clone(), stream(1, "arrivals"), end);
        assert_eq!(a.max_factor, 1.0);
        assert_eq!(p.max_factor(), 1e6);
        let n = count_between(&mut a, Nanos::ZERO, Nanos::MAX);
        assert!((n as f64 / 10_000.0 - 1.0).abs() < 0.03, "{n}");
        assert_eq!(a.next_arrival(), None);
        // Steps count only those that start before the end.
        let steps = RatePattern::Steps(vec![(Nanos::from_secs(5), 3.0), (end, 50.0)]);
        assert_eq!(steps.max_factor_before(end), 3.0);
    }

    #[test]
    fn spike_multiplies_the_rate_only_inside() {
        let p = RatePattern::Spike {
            at: Nanos::from_secs(10),
            factor: 5.0,
            length: Nanos::from_secs(10),
        };
        let mut a = Arrivals::new(1000.0, p, stream(1, "arrivals"), Nanos::MAX);
        let before = count_between(&mut a, Nanos::ZERO, Nanos::from_secs(10));
        let during = count_between(&mut a, Nanos::from_secs(10), Nanos::from_secs(20));
        assert!((before as f64 / 10_000.0 - 1.0).abs() < 0.05, "{before}");
        assert!((during as f64 / 50_000.0 - 1.0).abs() < 0.03, "{during}");
    }

    #[test]
    fn diurnal_goes_from_trough_to_peak() {
        let p = RatePattern::Diurnal {
            peak: 4.0,
            period: Nanos::from_secs(3600),
        };
        assert!((p.factor(Nanos::ZERO) - 0.25).abs() < 1e-12);
        assert!((p.factor(Nanos::from_secs(1800)) - 1.0).abs() < 1e-12);
        let steps =
            RatePattern::Steps(vec![(Nanos::from_secs(5), 2.0), (Nanos::from_secs(9), 0.5)]);
        assert_eq!(steps.factor(Nanos::from_secs(1)), 1.0);
        assert_eq!(steps.factor(Nanos::from_secs(5)), 2.0);
        assert_eq!(steps.factor(Nanos::from_secs(20)), 0.5);
        assert_eq!(steps.max_factor(), 2.0);
    }
}
