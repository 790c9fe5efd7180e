//! Per-interval time series: one row of scalars per bucket of simulated time.

use super::histogram::{round6, LatencyHistogram};
use crate::algo::Nanos;
use serde::{Deserialize, Serialize};

/// One bucket of the time series.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IntervalRow {
    /// End of the bucket, seconds since the start.
    pub t_s: f64,
    /// Arrivals per second.
    pub offered_rps: f64,
    /// Successful completions per second.
    pub throughput_rps: f64,
    /// Failed requests per second (by the time the client saw the failure).
    pub errors_per_s: f64,
    /// Median latency of successful requests finishing in the bucket (absent
    /// from reports written before it was added: read as 0).
    #[serde(default)]
    pub p50_ms: f64,
    /// 99th percentile latency of successful requests finishing in the bucket.
    pub p99_ms: f64,
    /// Utilization per station, in report station order.
    pub utilization: Vec<f64>,
    /// Mean queue length per station, in report station order.
    pub queue_length: Vec<f64>,
}

/// Accumulates counts per bucket and closes a row at each interval boundary.
#[derive(Clone, Debug)]
pub struct Series {
    interval: Nanos,
    /// The bucket the last lookup found and its span `[start, end)`: time
    /// moves forward, so most lookups skip the division.
    recent: (usize, Nanos, Nanos),
    arrivals: Vec<u64>,
    ok: Vec<u64>,
    errors: Vec<u64>,
    latency: LatencyHistogram,
    rows: Vec<IntervalRow>,
}

impl Series {
    /// A series of `duration / interval` buckets (rounded up).
    pub fn new(duration: Nanos, interval: Nanos) -> Self {
        let n = duration.0.div_ceil(interval.0.max(1)) as usize;
        Series {
            interval,
            recent: (0, Nanos::ZERO, Nanos::ZERO),
            arrivals: vec![0; n],
            ok: vec![0; n],
            errors: vec![0; n],
            latency: LatencyHistogram::new(2),
            rows: Vec::with_capacity(n),
        }
    }

    #[inline]
    fn bucket(&mut self, t: Nanos) -> usize {
        let (b, start, end) = self.recent;
        if start <= t && t < end {
            return b;
        }
        let width = self.interval.0.max(1);
        let last = self.arrivals.len().saturating_sub(1);
        let b = ((t.0 / width) as usize).min(last);
        let start = Nanos(b as u64 * width);
        // The last bucket takes every later time.
        let end = if b == last {
            Nanos::MAX
        } else {
            Nanos(start.0 + width)
        };
        self.recent = (b, start, end);
        b
    }

    /// An arrival at `t`.
    #[inline]
    pub fn arrival(&mut self, t: Nanos) {
        let b = self.bucket(t);
        self.arrivals[b] += 1;
    }

    /// A success at `t` (the current bucket) with its latency.
    #[inline]
    pub fn success(&mut self, t: Nanos, latency: Nanos) {
        let b = self.bucket(t);
        self.ok[b] += 1;
        self.latency.record(latency);
    }

    /// A failure the client saw at `t` (possibly in an earlier bucket).
    #[inline]
    pub fn error(&mut self, t: Nanos) {
        let b = self.bucket(t);
        self.errors[b] += 1;
    }

    /// Closes the bucket ending at `end` with the stations' utilization and queue lengths.
    pub fn close(&mut self, end: Nanos, utilization: Vec<f64>, queue_length: Vec<f64>) {
        let b = self.rows.len();
        if b >= self.arrivals.len() {
            return;
        }
        let width = (end.0 - (b as u64 * self.interval.0)) as f64 / 1e9;
        let per_s = |x: u64| round6(x as f64 / width.max(1e-9));
        self.rows.push(IntervalRow {
            t_s: round6(end.as_secs_f64()),
            offered_rps: per_s(self.arrivals[b]),
            throughput_rps: per_s(self.ok[b]),
            errors_per_s: 0.0,
            p50_ms: round6(self.latency.quantile(0.5) as f64 / 1e6),
            p99_ms: round6(self.latency.quantile(0.99) as f64 / 1e6),
            utilization,
            queue_length,
        });
        self.latency.reset();
    }

    /// The finished rows, with error counts filled in (errors may land in earlier buckets).
    pub fn finish(mut self) -> Vec<IntervalRow> {
        for (b, row) in self.rows.iter_mut().enumerate() {
            let start = b as f64 * self.interval.as_secs_f64();
            let width = (row.t_s - start).max(1e-9);
            row.errors_per_s = round6(self.errors[b] as f64 / width);
        }
        self.rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_match_division_in_any_time_order() {
        let mut s = Series::new(Nanos::from_secs(10), Nanos::from_secs(3));
        let times = [
            0,
            1,
            2_999_999_999,
            3_000_000_000,
            1,
            9_000_000_000,
            12_000_000_000,
            5,
        ];
        for t in times {
            let want = ((t / 3_000_000_000) as usize).min(3);
            assert_eq!(s.bucket(Nanos(t)), want, "t = {t}");
        }
    }
}
