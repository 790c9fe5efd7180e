//! Sampling of service-time and latency distributions in integer nanoseconds.
//!
//! Transcendental functions come from `libm` (a port of musl's), not the
//! platform's math library, so a seed yields the same samples everywhere.

use super::rng::{top53, unit_open, Rng};
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
            Sampler::Exp { mean } => Nanos::from_nanos((mean * standard_exponential(rng)) as u64),
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

    /// The distribution's variance, in nanoseconds squared.
    pub fn variance(&self) -> f64 {
        match self {
            Sampler::Const(_) => 0.0,
            Sampler::Exp { mean } => mean * mean,
            Sampler::Lognormal { mu, sigma } => {
                let s2 = sigma * sigma;
                (libm::exp(s2) - 1.0) * libm::exp(2.0 * mu + s2)
            }
            Sampler::Uniform { lo, hi } => (hi - lo) * (hi - lo) / 12.0,
            Sampler::Empirical { values, cumulative } => {
                let mean = self.mean();
                let mut prev = 0.0;
                let mut v = 0.0;
                for (x, c) in values.iter().zip(cumulative) {
                    v += (x.0 as f64 - mean).powi(2) * (c - prev);
                    prev = *c;
                }
                v
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

/// Layer edges of the exponential ziggurat: 256 layers of equal area `V`,
/// `x[1] = R`, `x[i+1] = -ln(V / x[i] + e^{-x[i]})`, `x[0] = V / e^{-R}`
/// (the base layer's virtual width, which covers the tail), `x[256] = 0`.
struct ExpZiggurat {
    x: [f64; 257],
    f: [f64; 257],
}

/// Start of the exponential tail for 256 layers (Marsaglia and Tsang, 2000).
const ZIG_R: f64 = 7.697_117_470_131_05;
/// Area of each layer.
const ZIG_V: f64 = 3.949_659_822_581_572e-3;

fn exp_ziggurat() -> &'static ExpZiggurat {
    static TABLES: std::sync::OnceLock<ExpZiggurat> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let mut x = [0.0; 257];
        x[0] = ZIG_V / libm::exp(-ZIG_R);
        x[1] = ZIG_R;
        for i in 1..255 {
            x[i + 1] = -libm::log(ZIG_V / x[i] + libm::exp(-x[i]));
        }
        x[256] = 0.0;
        let mut f = [0.0; 257];
        for i in 0..257 {
            f[i] = libm::exp(-x[i]);
        }
        ExpZiggurat { x, f }
    })
}

/// A standard exponential draw (mean 1) by the ziggurat method: one 64-bit
/// draw and a comparison in about 99% of cases, exact in distribution.
/// The low 8 bits pick the layer, the high 53 bits the position in it.
#[inline]
pub(crate) fn standard_exponential(rng: &mut Rng) -> f64 {
    use rand::Rng as _;
    let z = exp_ziggurat();
    let (i, x) = z.candidate(rng.next_u64());
    if x < z.x[i + 1] {
        return x;
    }
    exponential_edge(rng, z, i, x)
}

impl ExpZiggurat {
    /// The layer (low 8 bits) and position (high 53 bits) a draw picks.
    #[inline(always)]
    fn candidate(&self, bits: u64) -> (usize, f64) {
        let i = (bits & 0xff) as usize;
        (i, top53(bits) * (1.0 / (1u64 << 53) as f64) * self.x[i])
    }
}

/// `standard_exponential` past its fast test: the tail or a layer's edge
/// (then drawing again). Out of line, so the fast path saves few registers.
#[cold]
#[inline(never)]
fn exponential_edge(rng: &mut Rng, z: &ExpZiggurat, mut i: usize, mut x: f64) -> f64 {
    use rand::Rng as _;
    loop {
        if i == 0 {
            // The tail beyond R is R plus a fresh exponential (memorylessness).
            return ZIG_R - libm::log(unit_open(rng));
        }
        let y = z.f[i] + unit_open(rng) * (z.f[i + 1] - z.f[i]);
        if y < libm::exp(-x) {
            return x;
        }
        (i, x) = z.candidate(rng.next_u64());
        if x < z.x[i + 1] {
            return x;
        }
    }
}

/// Layer edges of the normal ziggurat (128 layers of equal area `V` under
/// `f(x) = e^{-x²/2}`): `x[1] = R`, `x[i+1] = sqrt(-2 ln(V / x[i] + f(x[i])))`,
/// `x[0] = V / f(R)` (the base layer's virtual width), `x[128] = 0`.
struct NormalZiggurat {
    x: [f64; 129],
    f: [f64; 129],
}

/// Start of the normal tail for 128 layers (Marsaglia and Tsang, 2000).
const NZIG_R: f64 = 3.442_619_855_899;
/// Area of each layer.
const NZIG_V: f64 = 9.912_563_035_262_17e-3;

fn normal_ziggurat() -> &'static NormalZiggurat {
    static TABLES: std::sync::OnceLock<NormalZiggurat> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let f = |x: f64| libm::exp(-0.5 * x * x);
        let mut x = [0.0; 129];
        x[0] = NZIG_V / f(NZIG_R);
        x[1] = NZIG_R;
        for i in 1..127 {
            x[i + 1] = libm::sqrt(-2.0 * libm::log(NZIG_V / x[i] + f(x[i])));
        }
        x[128] = 0.0;
        let mut fx = [0.0; 129];
        for i in 0..129 {
            fx[i] = f(x[i]);
        }
        NormalZiggurat { x, f: fx }
    })
}

/// A standard normal draw by the ziggurat method: one 64-bit draw and a
/// comparison in about 98% of cases, exact in distribution. Bits 0-6 pick
/// the layer, bit 7 the sign, the high 53 bits the position.
#[inline]
fn standard_normal(rng: &mut Rng) -> f64 {
    use rand::Rng as _;
    let z = normal_ziggurat();
    let bits = rng.next_u64();
    let (i, x) = z.candidate(bits);
    if x < z.x[i + 1] {
        return if bits & 0x80 == 0 { x } else { -x };
    }
    normal_edge(rng, z, bits, x)
}

impl NormalZiggurat {
    /// The layer (bits 0-6) and position (high 53 bits) a draw picks; bit 7
    /// is the sign.
    #[inline(always)]
    fn candidate(&self, bits: u64) -> (usize, f64) {
        let i = (bits & 0x7f) as usize;
        (i, top53(bits) * (1.0 / (1u64 << 53) as f64) * self.x[i])
    }
}

/// `standard_normal` past its fast test for the draw `bits` (position `x`):
/// the tail or a layer's edge (then drawing again). Out of line, so the
/// fast path saves few registers.
#[cold]
#[inline(never)]
fn normal_edge(rng: &mut Rng, z: &NormalZiggurat, mut bits: u64, mut x: f64) -> f64 {
    use rand::Rng as _;
    loop {
        let i = (bits & 0x7f) as usize;
        let sign = if bits & 0x80 == 0 { 1.0 } else { -1.0 };
        if x < z.x[i + 1] {
            return sign * x;
        }
        if i == 0 {
            // The tail beyond R (Marsaglia's method).
            loop {
                let a = -libm::log(unit_open(rng)) / NZIG_R;
                let b = -libm::log(unit_open(rng));
                if 2.0 * b > a * a {
                    return sign * (NZIG_R + a);
                }
            }
        }
        let y = z.f[i] + unit_open(rng) * (z.f[i + 1] - z.f[i]);
        if y < libm::exp(-0.5 * x * x) {
            return sign * x;
        }
        bits = rng.next_u64();
        x = z.candidate(bits).1;
    }
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
    fn ziggurat_exponential_has_the_right_distribution() {
        let mut r = stream(11, "zig");
        let n = 1_000_000;
        let mut v: Vec<f64> = (0..n).map(|_| standard_exponential(&mut r)).collect();
        let mean = v.iter().sum::<f64>() / n as f64;
        let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        assert!((mean - 1.0).abs() < 0.004, "mean {mean}");
        assert!((var - 1.0).abs() < 0.01, "variance {var}");
        v.sort_by(f64::total_cmp);
        // Quantiles of Exp(1): -ln(1 - q), including deep in the tail (beyond R = 7.7 at 1 - 4.5e-4).
        for q in [0.1, 0.5, 0.9, 0.99, 0.999, 0.9999] {
            let got = v[(q * n as f64) as usize];
            let want = -(1.0 - q).ln();
            assert!((got / want - 1.0).abs() < 0.03, "q {q}: {got} vs {want}");
        }
        // Kolmogorov-Smirnov distance against the exact CDF.
        let d = v
            .iter()
            .enumerate()
            .map(|(i, x)| ((i as f64 + 0.5) / n as f64 - (1.0 - (-x).exp())).abs())
            .fold(0.0, f64::max);
        assert!(d < 1.63 / (n as f64).sqrt(), "KS distance {d}");
    }

    #[test]
    fn ziggurat_normal_has_the_right_distribution() {
        let mut r = stream(12, "nzig");
        let n = 1_000_000;
        let mut v: Vec<f64> = (0..n).map(|_| standard_normal(&mut r)).collect();
        let mean = v.iter().sum::<f64>() / n as f64;
        let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.004, "mean {mean}");
        assert!((var - 1.0).abs() < 0.006, "variance {var}");
        v.sort_by(f64::total_cmp);
        // Quantiles of N(0,1), into the tail beyond R = 3.44 (about 3e-4 each side).
        for (q, want) in [
            (0.001, -3.090232),
            (0.1, -1.281552),
            (0.5, 0.0),
            (0.9, 1.281552),
            (0.999, 3.090232),
            (0.9999, 3.719016),
        ] {
            let got = v[(q * n as f64) as usize];
            assert!(
                (got - want).abs() < 0.02 + 0.01 * want.abs(),
                "q {q}: {got} vs {want}"
            );
        }
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
