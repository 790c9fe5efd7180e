//! Fitting a lognormal service time to observations: by maximum likelihood
//! from individual latencies, or to the bucket counts of a histogram; with
//! the Kolmogorov-Smirnov distance as the goodness of fit.

use crate::telemetry::Histogram;

/// z such that Φ(z) = 0.99.
pub const Z99: f64 = 2.326_347_874_040_841;

/// The lognormal's maximum-likelihood parameters from the positive samples
/// (the others are skipped): the mean and the (1/n) standard deviation of
/// their logarithms, and how many there were (both NaN without any).
pub fn log_moments(samples: &[f64]) -> (f64, f64, usize) {
    let logs: Vec<f64> = samples
        .iter()
        .filter(|x| **x > 0.0)
        .map(|x| x.ln())
        .collect();
    let n = logs.len() as f64;
    let mu = logs.iter().sum::<f64>() / n;
    let var = logs.iter().map(|l| (l - mu) * (l - mu)).sum::<f64>() / n;
    (mu, var.sqrt(), logs.len())
}

/// A lognormal distribution, ln X ~ N(mu, sigma²), fitted to `n` observations.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct LognormalFit {
    /// Mean of ln X (ln seconds).
    pub mu: f64,
    /// Standard deviation of ln X.
    pub sigma: f64,
    /// Observations behind the fit.
    pub n: u64,
}

impl LognormalFit {
    /// Maximum likelihood from positive observations (seconds): the mean
    /// and the (1/n) standard deviation of their logarithms.
    pub fn mle(samples: &[f64]) -> Option<LognormalFit> {
        let (mu, sigma, n) = log_moments(samples);
        (n >= 2).then(|| LognormalFit {
            mu,
            sigma: sigma.max(1e-9),
            n: n as u64,
        })
    }

    /// The lognormal with the given mean and variance (method of moments).
    pub fn from_moments(mean: f64, var: f64, n: u64) -> Option<LognormalFit> {
        if mean <= 0.0 || var <= 0.0 || !mean.is_finite() || !var.is_finite() {
            return None;
        }
        let s2 = (1.0 + var / (mean * mean)).ln();
        Some(LognormalFit {
            mu: mean.ln() - s2 / 2.0,
            sigma: s2.sqrt(),
            n,
        })
    }

    /// Maximum likelihood from a cumulative histogram's bucket counts
    /// (multinomial over the buckets, Nelder-Mead over (mu, ln sigma)),
    /// started from the interpolated median and 90th percentile.
    pub fn from_histogram(h: &Histogram) -> Option<LognormalFit> {
        let (q50, q90) = (h.quantile(0.5)?, h.quantile(0.9)?);
        if q50 <= 0.0 {
            return None;
        }
        let start = [
            q50.ln(),
            ((q90.max(q50 * 1.01)).ln() - q50.ln()) / 1.281_551_565_545,
        ];
        let nll = |p: [f64; 2]| -> f64 {
            let f = LognormalFit {
                mu: p[0],
                sigma: p[1].exp(),
                n: 0,
            };
            let mut prev = (0.0, 0.0);
            let mut sum = 0.0;
            for &(le, c) in &h.buckets {
                let k = c - prev.1;
                if k > 0.0 {
                    let mass = (f.cdf(le) - f.cdf(prev.0)).max(1e-300);
                    sum -= k * mass.ln();
                }
                prev = (le, c);
            }
            sum
        };
        let best = nelder_mead(nll, [start[0], start[1].max(1e-3).ln()], 0.2, 400);
        Some(LognormalFit {
            mu: best[0],
            sigma: best[1].exp(),
            n: h.count() as u64,
        })
    }

    /// The median.
    pub fn median(&self) -> f64 {
        self.mu.exp()
    }

    /// The 99th percentile.
    pub fn p99(&self) -> f64 {
        (self.mu + Z99 * self.sigma).exp()
    }

    /// P(X ≤ x).
    pub fn cdf(&self, x: f64) -> f64 {
        if x <= 0.0 {
            return 0.0;
        }
        if x.is_infinite() {
            return 1.0;
        }
        0.5 * libm::erfc(-(x.ln() - self.mu) / (self.sigma * std::f64::consts::SQRT_2))
    }

    /// The `p` quantile.
    pub fn quantile(&self, p: f64) -> f64 {
        (self.mu + self.sigma * normal_quantile(p)).exp()
    }
}

/// The Kolmogorov-Smirnov distance between sorted observations and `cdf`.
pub fn ks_distance(sorted: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let n = sorted.len() as f64;
    sorted
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = cdf(x);
            (f - i as f64 / n).abs().max((f - (i + 1) as f64 / n).abs())
        })
        .fold(0.0, f64::max)
}

/// The standard normal quantile (Acklam's rational approximation, relative
/// error below 1.2e-9).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let p = p.clamp(1e-300, 1.0 - 1e-16);
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// Minimises `f` over two parameters from `start` (initial step `step`).
fn nelder_mead(
    f: impl Fn([f64; 2]) -> f64,
    start: [f64; 2],
    step: f64,
    iterations: usize,
) -> [f64; 2] {
    let mut s = [
        start,
        [start[0] + step, start[1]],
        [start[0], start[1] + step],
    ];
    let mut v = s.map(&f);
    for _ in 0..iterations {
        let mut order = [0, 1, 2];
        order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
        let (b, m, w) = (order[0], order[1], order[2]);
        let c = [(s[b][0] + s[m][0]) / 2.0, (s[b][1] + s[m][1]) / 2.0];
        let at = |t: f64| [c[0] + t * (s[w][0] - c[0]), c[1] + t * (s[w][1] - c[1])];
        let r = at(-1.0);
        let fr = f(r);
        if fr < v[b] {
            let e = at(-2.0);
            let fe = f(e);
            (s[w], v[w]) = if fe < fr { (e, fe) } else { (r, fr) };
        } else if fr < v[m] {
            (s[w], v[w]) = (r, fr);
        } else {
            let k = at(0.5);
            let fk = f(k);
            if fk < v[w] {
                (s[w], v[w]) = (k, fk);
            } else {
                for i in [m, w] {
                    s[i] = [(s[i][0] + s[b][0]) / 2.0, (s[i][1] + s[b][1]) / 2.0];
                    v[i] = f(s[i]);
                }
            }
        }
        if (v[w] - v[b]).abs() < 1e-12 * (1.0 + v[b].abs()) {
            break;
        }
    }
    let best = (0..3).min_by(|&a, &b| v[a].total_cmp(&v[b])).unwrap_or(0);
    s[best]
}
