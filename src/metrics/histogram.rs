//! Latency histograms and their summaries.
//!
//! [`LatencyHistogram`] is a log-linear histogram with exactly the bucket layout of
//! HdrHistogram (`hdrhistogram::Histogram::new_with_bounds(1_000, 86_400e9, digits)`), so
//! it reports the same quantiles to the nanosecond, but records in a handful of
//! instructions: no `Result`, no resizing, no min tracking.
//!
//! ```text
//!  unit  = 2^9 ns (512 ns: the largest power of two <= the 1 µs lowest value)
//!  S     = sub-buckets per bucket = next power of two >= 2 * 10^digits (2048 for 3 digits)
//!  bucket 0 : values [0, S) units, one unit wide          -> counts[0 .. S)
//!  bucket b : values [S/2, S) units << b, 2^b units wide   -> counts[(b+1)*S/2 .. (b+2)*S/2)
//!  b        = ilog2(v | (S-1) << 9) - (9 + log2 S - 1)   (0 for values below S units)
//!  index    = b * S/2 + (v >> (b + 9))
//! ```
//!
//! Buckets are added until one holds the highest value (one day), which is where larger
//! values are clamped. Counts live in one flat `Vec<u64>`; the highest non-empty index is
//! kept so `max`, quantile scans and `reset` stop there. Quantiles follow HdrHistogram's
//! `value_at_quantile` (count `ceil(q * total)`, at least 1; highest value equivalent to
//! the bucket, or the lowest for `q == 0`); `max` is the highest value equivalent to the
//! largest recorded one. The mean is exact (a separate sum of the raw values).

use crate::algo::Nanos;
use serde::{Deserialize, Serialize};
use std::num::NonZeroU64;

/// Lowest value told apart: 1 µs (smaller values land in the first bucket).
const LOWEST: u64 = 1_000;
/// Highest value tracked: one day; longer values are clamped to it.
const HIGHEST: u64 = 86_400 * 1_000_000_000;
/// log2 of the bucket unit: the largest power of two not above `LOWEST`.
const UNIT: u32 = u64::BITS - 1 - LOWEST.leading_zeros();

/// A latency histogram in nanoseconds with a fixed relative precision.
#[derive(Clone, Debug)]
pub struct LatencyHistogram {
    /// Counts per bucket (layout in the module doc).
    counts: Vec<u64>,
    /// Values recorded.
    total: u64,
    /// Exact sum of the raw values recorded.
    sum: u128,
    /// Highest index with a non-zero count (0 when empty).
    top: usize,
    /// Half the sub-buckets per bucket: the counts per bucket past bucket 0.
    half: usize,
    /// `UNIT + log2(half)`: the highest bit of a value in bucket 0.
    bias: u32,
    /// `(sub-buckets - 1) << UNIT`: maps small values to bucket 0.
    sub_mask: NonZeroU64,
}

impl LatencyHistogram {
    /// A histogram with `significant` decimal digits of precision (1 to 5).
    pub fn new(significant: u8) -> Self {
        assert!(significant <= 5, "at most 5 significant digits");
        // Sub-buckets: the next power of two >= 2 * 10^digits (unit resolution up to it).
        let largest = 2 * 10_u64.pow(u32::from(significant));
        let sub_shift = u64::BITS - (largest - 1).leading_zeros();
        // Buckets until the first one whose range holds HIGHEST.
        let mut buckets = 1;
        let mut untracked = 1_u64 << (sub_shift + UNIT);
        while untracked <= HIGHEST {
            untracked <<= 1;
            buckets += 1;
        }
        let half = 1 << (sub_shift - 1);
        let sub_mask = ((1 << sub_shift) - 1) << UNIT;
        LatencyHistogram {
            counts: vec![0; (buckets + 1) * half],
            total: 0,
            sum: 0,
            top: 0,
            half,
            bias: UNIT + sub_shift - 1,
            sub_mask: NonZeroU64::new(sub_mask).expect("at least 2 sub-buckets"),
        }
    }

    /// The counts index of a value (clamped to `HIGHEST`).
    #[inline(always)]
    fn index(&self, v: u64) -> usize {
        let v = v.min(HIGHEST);
        let bucket = (self.sub_mask | v).ilog2() - self.bias;
        bucket as usize * self.half + (v >> (bucket + UNIT)) as usize
    }

    /// Bucket number and lowest value of counts index `i`.
    fn bucket_at(&self, i: usize) -> (u32, u64) {
        let bucket = (i / self.half).saturating_sub(1);
        let sub = i - bucket * self.half;
        let bucket = bucket as u32;
        (bucket, (sub as u64) << (bucket + UNIT))
    }

    /// Lowest value equivalent to counts index `i`.
    fn lowest_at(&self, i: usize) -> u64 {
        self.bucket_at(i).1
    }

    /// Highest value equivalent to counts index `i`.
    fn highest_at(&self, i: usize) -> u64 {
        let (bucket, low) = self.bucket_at(i);
        low + (1 << (bucket + UNIT)) - 1
    }

    /// Records one latency.
    #[inline]
    pub fn record(&mut self, v: Nanos) {
        let i = self.index(v.0);
        self.counts[i] += 1;
        self.total += 1;
        self.top = self.top.max(i);
        self.sum += u128::from(v.0);
    }

    /// Records `n` copies of one latency.
    pub fn record_n(&mut self, v: Nanos, n: u64) {
        if n > 0 {
            self.add_at(self.index(v.0), n);
            self.sum += u128::from(v.0) * u128::from(n);
        }
    }

    /// Adds `n > 0` to counts index `i`.
    fn add_at(&mut self, i: usize, n: u64) {
        self.counts[i] = self.counts[i].saturating_add(n);
        self.total = self.total.saturating_add(n);
        self.top = self.top.max(i);
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The q-quantile (0..=1) in nanoseconds, 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        // Exactly HdrHistogram's `value_at_quantile`, including its float handling.
        let q = if q > 1.0 { 1.0 } else { q };
        let want = ((q * self.total as f64).ceil() as u64).max(1);
        match self.index_reaching(want) {
            Some(i) if q == 0.0 => self.lowest_at(i),
            Some(i) => self.highest_at(i),
            None => 0,
        }
    }

    /// The value at or below which the `rank` smallest recorded values lie
    /// (the highest value equivalent to their bucket), in nanoseconds;
    /// `None` when fewer than `rank` were recorded, 0 for rank 0.
    pub fn at_rank(&self, rank: u64) -> Option<u64> {
        if rank == 0 {
            return Some(0);
        }
        if rank > self.total {
            return None;
        }
        self.index_reaching(rank).map(|i| self.highest_at(i))
    }

    /// Values recorded at or below `v`, counted by bucket (every value
    /// equivalent to `v` counts): a tail fraction's numerator.
    pub fn count_at_or_below(&self, v: u64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let i = self.index(v).min(self.top);
        self.counts[..=i].iter().sum()
    }

    /// The first index where the running count reaches `want`.
    fn index_reaching(&self, want: u64) -> Option<usize> {
        // Sums 8 counts at a time (vectorized) until the chunk holding the target.
        let chunks = self.counts[..=self.top].chunks_exact(8);
        let mut seen: u64 = 0;
        let mut base = 0;
        for chunk in chunks {
            let sum: u64 = chunk.iter().sum();
            if seen + sum >= want {
                break;
            }
            seen += sum;
            base += 8;
        }
        for (j, &c) in self.counts[base..=self.top].iter().enumerate() {
            seen += c;
            if seen >= want {
                return Some(base + j);
            }
        }
        None
    }

    /// Highest value equivalent to the largest recorded, 0 when empty.
    fn max(&self) -> u64 {
        if self.total == 0 {
            0
        } else {
            self.highest_at(self.top)
        }
    }

    /// Exact mean of recorded values (not bucketed), in nanoseconds.
    pub fn mean(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.sum as f64 / self.total as f64
        }
    }

    /// Forgets everything recorded.
    pub fn reset(&mut self) {
        self.counts[..=self.top].fill(0);
        self.total = 0;
        self.sum = 0;
        self.top = 0;
    }

    /// Adds another histogram's values (of the same precision: the
    /// simulator merges per-endpoint histograms, all of 3 digits).
    pub fn merge(&mut self, other: &LatencyHistogram) {
        assert_eq!(
            self.half, other.half,
            "merging histograms of different precision"
        );
        self.sum += other.sum;
        if other.total == 0 {
            return;
        }
        let theirs = &other.counts[..=other.top];
        if self.total == 0 {
            self.counts[..theirs.len()].copy_from_slice(theirs);
        } else {
            for (mine, &c) in self.counts.iter_mut().zip(theirs) {
                *mine = mine.saturating_add(c);
            }
        }
        self.total = self.total.saturating_add(other.total);
        self.top = self.top.max(other.top);
    }

    /// The values recorded since `earlier`, an earlier copy of this
    /// histogram (of the same precision, with nothing recorded that is
    /// not here).
    pub fn since(&self, earlier: &LatencyHistogram) -> LatencyHistogram {
        assert_eq!(self.half, earlier.half, "histograms of different precision");
        let mut out = self.clone();
        for (mine, &c) in out.counts.iter_mut().zip(&earlier.counts[..=earlier.top]) {
            *mine -= c;
        }
        out.total -= earlier.total;
        out.sum -= earlier.sum;
        out.top = out.counts[..=out.top]
            .iter()
            .rposition(|&c| c > 0)
            .unwrap_or(0);
        out
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
            max_ms: ms(self.max()),
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
    use proptest::prelude::*;

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

    /// The histogram this one replaces: `hdrhistogram` behind the same API.
    #[derive(Clone)]
    struct Reference {
        h: hdrhistogram::Histogram<u64>,
        sum: u128,
    }

    impl Reference {
        fn new(significant: u8) -> Self {
            let h = hdrhistogram::Histogram::new_with_bounds(LOWEST, HIGHEST, significant);
            Reference {
                h: h.expect("valid histogram bounds"),
                sum: 0,
            }
        }
        fn record_n(&mut self, v: u64, n: u64) {
            if n > 0 {
                self.h.saturating_record_n(v.clamp(1, HIGHEST), n);
                self.sum += u128::from(v) * u128::from(n);
            }
        }
        fn quantile(&self, q: f64) -> u64 {
            if self.h.is_empty() {
                0
            } else {
                self.h.value_at_quantile(q)
            }
        }
        fn max(&self) -> u64 {
            if self.h.is_empty() {
                0
            } else {
                self.h.max()
            }
        }
        fn mean(&self) -> f64 {
            if self.h.is_empty() {
                0.0
            } else {
                self.sum as f64 / self.h.len() as f64
            }
        }
    }

    const QUANTILES: [f64; 14] = [
        0.0,
        -0.0,
        1e-9,
        0.001,
        0.25,
        0.5,
        0.9,
        0.99,
        0.999,
        0.9999,
        1.0,
        -0.5,
        1.5,
        f64::NAN,
    ];

    /// Checks every query of `h` against `r`.
    fn same(h: &LatencyHistogram, r: &Reference, qs: &[f64]) -> Result<(), TestCaseError> {
        prop_assert_eq!(h.count(), r.h.len());
        prop_assert_eq!(h.max(), r.max());
        prop_assert_eq!(h.mean().to_bits(), r.mean().to_bits());
        for &q in QUANTILES.iter().chain(qs) {
            prop_assert_eq!(h.quantile(q), r.quantile(q), "q = {}", q);
        }
        Ok(())
    }

    #[test]
    fn layout_matches_hdrhistogram() {
        for digits in 0..=4 {
            let h = LatencyHistogram::new(digits);
            let r = Reference::new(digits);
            assert_eq!(h.counts.len(), r.h.distinct_values(), "digits {digits}");
            for i in 0..h.counts.len() {
                let low = h.lowest_at(i);
                if low <= HIGHEST {
                    assert_eq!(h.index(low), i);
                }
                assert_eq!(r.h.lowest_equivalent(low), low);
                assert_eq!(r.h.highest_equivalent(low), h.highest_at(i));
            }
        }
    }

    #[test]
    #[should_panic(expected = "different precision")]
    fn merging_across_precisions_is_refused() {
        let mut small = LatencyHistogram::new(2);
        small.record(Nanos(300));
        LatencyHistogram::new(3).merge(&small);
    }

    /// Latencies across the whole range, with extra weight on edges.
    fn value() -> impl Strategy<Value = u64> {
        prop_oneof![
            Just(0u64),
            Just(1u64),
            0u64..1_100,
            0u64..=HIGHEST + 1,
            (0u32..64).prop_flat_map(|bits| 0..=(u64::MAX >> bits)),
            // Bucket edges: sub-bucket `s` of bucket `b`, plus -1, 0 or +1.
            (0u32..40, 0u64..2049, -1i64..=1)
                .prop_map(|(b, s, d)| { (s << (b + UNIT)).saturating_add_signed(d) }),
            Just(HIGHEST - 1),
            Just(HIGHEST),
            HIGHEST..=u64::MAX,
        ]
    }

    #[derive(Clone, Debug)]
    enum Op {
        Record(u64),
        RecordN(u64, u64),
        Reset,
        Merge(Vec<(u64, u64)>),
    }

    fn digits() -> impl Strategy<Value = u8> {
        prop_oneof![4 => 2u8..=3, 1 => 0u8..=4]
    }

    fn op() -> impl Strategy<Value = Op> {
        // Counts stay below 2^40 so totals cannot overflow (neither side handles that).
        let n = prop_oneof![0u64..4, 0u64..1 << 40];
        prop_oneof![
            8 => value().prop_map(Op::Record),
            4 => (value(), n.clone()).prop_map(|(v, n)| Op::RecordN(v, n)),
            1 => Just(Op::Reset),
            2 => proptest::collection::vec((value(), n), 0..20).prop_map(Op::Merge),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        #[test]
        fn matches_hdrhistogram(
            d in digits(),
            ops in proptest::collection::vec(op(), 0..60),
            qs in proptest::collection::vec(0.0f64..=1.0, 0..8),
        ) {
            let mut h = LatencyHistogram::new(d);
            let mut r = Reference::new(d);
            for op in ops {
                match op {
                    Op::Record(v) => {
                        h.record(Nanos(v));
                        r.record_n(v, 1);
                    }
                    Op::RecordN(v, n) => {
                        h.record_n(Nanos(v), n);
                        r.record_n(v, n);
                    }
                    Op::Reset => {
                        h.reset();
                        r.h.reset();
                        r.sum = 0;
                    }
                    Op::Merge(vs) => {
                        let mut oh = LatencyHistogram::new(d);
                        let mut or = Reference::new(d);
                        for (v, n) in vs {
                            oh.record_n(Nanos(v), n);
                            or.record_n(v, n);
                        }
                        same(&oh, &or, &[])?;
                        h.merge(&oh);
                        r.h.add(&or.h).expect("same bounds");
                        r.sum += or.sum;
                    }
                }
                prop_assert_eq!(h.count(), r.h.len());
                prop_assert_eq!(h.max(), r.max());
            }
            same(&h, &r, &qs)?;
            let s = h.summary();
            prop_assert_eq!(s.p999_ms, round6(r.quantile(0.999) as f64 / 1e6));
        }
    }
}
