//! Empirical step times: the observed distribution itself rather than a
//! fitted law, for service times a lognormal does not fit (an
//! exponential's log is skewed: a lognormal fitted to exact exponential
//! samples overstates the mean by 28%, e^(π²/12 − γ), and by 13% fitted to
//! the testbed's buckets). From a histogram, each bucket's count is spread
//! evenly inside the bucket (the interpolation `histogram_quantile` uses);
//! from a request log, 100 equally likely quantiles. A constant known part
//! is subtracted from every value.

use crate::telemetry::Histogram;

/// Points each histogram bucket is spread over.
pub const POINTS_PER_BUCKET: u32 = 4;
/// Quantiles taken from a request log.
pub const QUANTILES: u32 = 100;

/// (value in seconds, weight) points from a cumulative histogram, values
/// shifted down by `shift` (at least 0). Counts above the last finite bound
/// sit at that bound.
pub fn from_histogram(h: &Histogram, shift: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    let (mut lo, mut below) = (0.0, 0.0);
    for &(le, c) in &h.buckets {
        let count = c - below;
        if count > 0.0 {
            if le.is_finite() {
                let k = f64::from(POINTS_PER_BUCKET);
                for j in 0..POINTS_PER_BUCKET {
                    let x = lo + (f64::from(j) + 0.5) / k * (le - lo);
                    out.push(((x - shift).max(0.0), count / k));
                }
            } else {
                out.push(((lo - shift).max(0.0), count));
            }
        }
        if le.is_finite() {
            lo = le;
        }
        below = c.max(below);
    }
    out
}

/// `QUANTILES` equally weighted quantiles of sorted latencies (seconds),
/// shifted down by `shift` (at least 0).
pub fn from_samples(sorted: &[f64], shift: f64) -> Vec<(f64, f64)> {
    if sorted.is_empty() {
        return Vec::new();
    }
    (0..QUANTILES)
        .map(|i| {
            let p = (f64::from(i) + 0.5) / f64::from(QUANTILES);
            let k = ((p * sorted.len() as f64) as usize).min(sorted.len() - 1);
            ((sorted[k] - shift).max(0.0), 1.0)
        })
        .collect()
}

/// The `q` quantile of weighted points.
pub fn quantile(points: &[(f64, f64)], q: f64) -> f64 {
    let mut sorted = points.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = sorted.iter().map(|p| p.1).sum();
    let mut acc = 0.0;
    for &(x, w) in &sorted {
        acc += w;
        if acc >= q * total {
            return x;
        }
    }
    sorted.last().map_or(0.0, |p| p.0)
}

/// The weighted mean.
pub fn mean(points: &[(f64, f64)]) -> f64 {
    let total: f64 = points.iter().map(|p| p.1).sum();
    points.iter().map(|p| p.0 * p.1).sum::<f64>() / total.max(f64::MIN_POSITIVE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_spread_evenly_keep_the_mean_of_uniform_data() {
        // 10 observations in (0, 1 ms], 30 in (1, 3 ms], 2 above 3 ms.
        let h = Histogram {
            buckets: vec![(0.001, 10.0), (0.003, 40.0), (f64::INFINITY, 42.0)],
        };
        let p = from_histogram(&h, 0.0);
        assert_eq!(p.len(), 9);
        assert_eq!(p[0], (0.000125, 2.5));
        assert_eq!(p[8], (0.003, 2.0));
        let want = (10.0 * 0.0005 + 30.0 * 0.002 + 2.0 * 0.003) / 42.0;
        assert!((mean(&p) - want).abs() < 1e-15);
        assert!((quantile(&p, 0.5) - 0.00175).abs() < 1e-12);
        let s = from_histogram(&h, 0.0005);
        assert_eq!(s[0].0, 0.0, "shifted below zero: clamped");
        let q = from_samples(&[1.0, 2.0, 3.0, 4.0], 1.0);
        assert_eq!((q.len(), q[0].0, q[99].0), (100, 0.0, 3.0));
    }
}
