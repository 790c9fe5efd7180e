//! Sampling of service-time and latency distributions in integer nanoseconds.
//!
//! Transcendental functions come from `libm` (a port of musl's), not the
//! platform's math library, so a seed yields the same samples everywhere.

use super::rng::{unit_open, Rng};
use crate::algo::Nanos;

/// z such that P(N(0,1) <= z) = 0.99, for Lognormal(median, p99).
const Z99: f64 = 2.326_347_874_040_841;

/// A compiled distribution over non-negative durations.
#[derive(Clone, Debug, PartialEq)]
pub enum Sampler {
    /// Always the same value.
    Const(Nanos),
    /// Exponential with the given mean (nanoseconds).
    Exp {
        /// Mean in nanoseconds.
        mean: f64,
    },
    /// Lognormal: `exp(mu + sigma * Z)` nanoseconds.
    Lognormal {
        /// ln of the median (in nanoseconds).
        mu: f64,
        /// Shape; 0 makes it constant.
        sigma: f64,
    },
    /// Uniform on `[lo, hi]` nanoseconds.
    Uniform {
        /// Lower bound.
        lo: f64,
        /// Upper bound.
        hi: f64,
    },
    /// Discrete values with cumulative weights normalised to end at 1.
    Empirical {
        /// The values.
        values: Vec<Nanos>,
        /// Cumulative probabilities, increasing, last = 1.
        cumulative: Vec<f64>,
    },
}

impl Sampler {
    /// Exponential with mean `mean`.
    pub fn exp(mean: Nanos) -> Sampler {
        Sampler::Exp {
            mean: mean.0 as f64,
        }
    }

    /// Lognormal with the given median and 99th percentile (p99 >= median).
    pub fn lognormal(median: Nanos, p99: Nanos) -> Sampler {
        let mu = libm::log(median.0.max(1) as f64);
        let sigma = (libm::log(p99.0.max(1) as f64) - mu).max(0.0) / Z99;
        Sampler::Lognormal { mu, sigma }
    }

    /// Uniform between `lo` and `hi`.
    pub fn uniform(lo: Nanos, hi: Nanos) -> Sampler {
        Sampler::Uniform {
            lo: lo.0 as f64,
            hi: hi.0 as f64,
        }
    }

    /// Discrete distribution from `(value, weight)` pairs with a positive total weight.
    pub fn empirical(pairs: &[(Nanos, f64)]) -> Sampler {
        let total: f64 = pairs.iter().map(|p| p.1).sum();
        let mut acc = 0.0;
        let mut cumulative = Vec::with_capacity(pairs.len());
        for p in pairs {
            acc += p.1 / total;
            cumulative.push(acc);
        }
        if let Some(last) = cumulative.last_mut() {
            *last = 1.0;
        }
        Sampler::Empirical {
            values: pairs.iter().map(|p| p.0).collect(),
            cumulative,
        }
    }

    /// Draws one value.
    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> Nanos {
        match self {
            Sampler::Const(v) => *v,
            Sampler::Exp { mean } => Nanos::from_nanos((-mean * libm::log(unit_open(rng))) as u64),
            Sampler::Lognormal { mu, sigma } => {
                let z = standard_normal(rng);
                Nanos::from_nanos(libm::exp(mu + sigma * z) as u64)
            }
            Sampler::Uniform { lo, hi } => {
                Nanos::from_nanos((lo + (hi - lo) * unit_open(rng)) as u64)
            }
            Sampler::Empirical { values, cumulative } => {
                let u = unit_open(rng);
                let i = cumulative.partition_point(|&c| c < u).min(values.len() - 1);
                values[i]
            }
        }
    }

    /// The distribution's mean, in nanoseconds.
    pub fn mean(&self) -> f64 {
        match self {
            Sampler::Const(v) => v.0 as f64,
            Sampler::Exp { mean } => *mean,
            Sampler::Lognormal { mu, sigma } => libm::exp(mu + sigma * sigma / 2.0),
            Sampler::Uniform { lo, hi } => (lo + hi) / 2.0,
            Sampler::Empirical { values, cumulative } => {
                let mut prev = 0.0;
                let mut m = 0.0;
                for (v, c) in values.iter().zip(cumulative) {
                    m += v.0 as f64 * (c - prev);
                    prev = *c;
                }
                m
            }
        }
    }

    /// True when every draw is zero (so the step can be skipped without an event).
    pub fn is_zero(&self) -> bool {
        match self {
            Sampler::Const(v) => v.0 == 0,
            Sampler::Exp { mean } => *mean == 0.0,
            Sampler::Uniform { hi, .. } => *hi == 0.0,
            Sampler::Empirical { values, .. } => values.iter().all(|v| v.0 == 0),
            Sampler::Lognormal { .. } => false,
        }
    }

    /// A copy with every draw multiplied by `factor` (used by slow-down faults).
    pub fn scaled(&self, factor: f64) -> Sampler {
        match self {
            Sampler::Const(v) => Sampler::Const(Nanos::from_nanos((v.0 as f64 * factor) as u64)),
            Sampler::Exp { mean } => Sampler::Exp {
                mean: mean * factor,
            },
            Sampler::Lognormal { mu, sigma } => Sampler::Lognormal {
                mu: mu + libm::log(factor),
                sigma: *sigma,
            },
            Sampler::Uniform { lo, hi } => Sampler::Uniform {
                lo: lo * factor,
                hi: hi * factor,
            },
            Sampler::Empirical { values, cumulative } => Sampler::Empirical {
                values: values
                    .iter()
                    .map(|v| Nanos::from_nanos((v.0 as f64 * factor) as u64))
                    .collect(),
                cumulative: cumulative.clone(),
            },
        }
    }
}

/// One standard normal draw by Box-Muller (one of the pair; simple and exact).
#[inline]
fn standard_normal(rng: &mut Rng) -> f64 {
    let u1 = unit_open(rng);
    let u2 = unit_open(rng);
    libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(std::f64::consts::TAU * u2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream;

    fn mean_of(s: &Sampler, n: usize) -> f64 {
        let mut r = stream(7, "dist");
        (0..n).map(|_| s.sample(&mut r).0 as f64).sum::<f64>() / n as f64
    }

    #[test]
    fn exponential_mean_matches() {
        let s = Sampler::exp(Nanos::from_millis(4));
        let m = mean_of(&s, 200_000);
        assert!((m / 4e6 - 1.0).abs() < 0.01, "mean {m}");
    }

    #[test]
    fn lognormal_hits_median_and_p99() {
        let s = Sampler::lognormal(Nanos::from_millis(3), Nanos::from_millis(40));
        let mut r = stream(7, "ln");
        let mut v: Vec<u64> = (0..200_000).map(|_| s.sample(&mut r).0).collect();
        v.sort_unstable();
        let median = v[v.len() / 2] as f64;
        let p99 = v[v.len() * 99 / 100] as f64;
        assert!((median / 3e6 - 1.0).abs() < 0.02, "median {median}");
        assert!((p99 / 40e6 - 1.0).abs() < 0.05, "p99 {p99}");
        assert!((mean_of(&s, 200_000) / s.mean() - 1.0).abs() < 0.03);
    }

    #[test]
    fn empirical_and_uniform() {
        let e = Sampler::empirical(&[(Nanos(10), 1.0), (Nanos(20), 3.0)]);
        assert!((mean_of(&e, 100_000) - 17.5).abs() < 0.2);
        assert_eq!(e.mean(), 17.5);
        let u = Sampler::uniform(Nanos(100), Nanos(300));
        assert!((mean_of(&u, 100_000) - 200.0).abs() < 2.0);
    }
}
