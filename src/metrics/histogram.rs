//! Latency histograms (HdrHistogram) and their summaries.

use crate::algo::Nanos;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Lowest value told apart: 1 µs (smaller values land in the first bucket).
const LOWEST: u64 = 1_000;
/// Highest value tracked: one day; longer values are clamped to it.
const HIGHEST: u64 = 86_400 * 1_000_000_000;

/// A latency histogram in nanoseconds with a fixed relative precision.
#[derive(Clone, Debug)]
pub struct LatencyHistogram {
    h: Histogram<u64>,
    sum: u128,
}

impl LatencyHistogram {
    /// A histogram with `significant` decimal digits of precision (1 to 5).
    pub fn new(significant: u8) -> Self {
        LatencyHistogram {
            h: Histogram::new_with_bounds(LOWEST, HIGHEST, significant)
                .expect("valid histogram bounds"),
            sum: 0,
        }
    }

    /// Records one latency.
    #[inline]
    pub fn record(&mut self, v: Nanos) {
        self.h.saturating_record(v.0.clamp(1, HIGHEST));
        self.sum += u128::from(v.0);
    }

    /// Records `n` copies of one latency.
    pub fn record_n(&mut self, v: Nanos, n: u64) {
        if n > 0 {
            self.h.saturating_record_n(v.0.clamp(1, HIGHEST), n);
            self.sum += u128::from(v.0) * u128::from(n);
        }
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        self.h.len()
    }

    /// The q-quantile (0..=1) in nanoseconds, 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.h.is_empty() {
            0
        } else {
            self.h.value_at_quantile(q)
        }
    }

    /// Exact mean of recorded values (not bucketed), in nanoseconds.
    pub fn mean(&self) -> f64 {
        if self.h.is_empty() {
            0.0
        } else {
            self.sum as f64 / self.h.len() as f64
        }
    }

    /// Forgets everything recorded.
    pub fn reset(&mut self) {
        self.h.reset();
        self.sum = 0;
    }

    /// Adds another histogram's values.
    pub fn merge(&mut self, other: &LatencyHistogram) {
        self.h.add(&other.h).expect("same bounds");
        self.sum += other.sum;
    }

    /// The usual percentiles, in milliseconds.
    pub fn summary(&self) -> LatencySummary {
        let ms = |ns: u64| round6(ns as f64 / 1e6);
        LatencySummary {
            count: self.count(),
            mean_ms: round6(self.mean() / 1e6),
            p50_ms: ms(self.quantile(0.5)),
            p90_ms: ms(self.quantile(0.9)),
            p99_ms: ms(self.quantile(0.99)),
            p999_ms: ms(self.quantile(0.999)),
            max_ms: ms(if self.h.is_empty() { 0 } else { self.h.max() }),
        }
    }
}

/// Rounds to 6 decimals so reports print stably and compactly.
pub(crate) fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Latency percentiles of a set of requests, in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Requests measured.
    pub count: u64,
    /// Mean.
    pub mean_ms: f64,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Largest.
    pub max_ms: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_within_precision() {
        let mut h = LatencyHistogram::new(3);
        for i in 1..=100_000u64 {
            h.record(Nanos(i * 1_000));
        }
        let p99 = h.quantile(0.99) as f64;
        assert!((p99 / 99_000_000.0 - 1.0).abs() < 0.001);
        assert!((h.mean() - 50_000_500.0).abs() < 1.0);
        let s = h.summary();
        assert_eq!(s.count, 100_000);
        assert!((s.p50_ms - 50.0).abs() < 0.05);
    }
}
