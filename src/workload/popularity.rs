//! Popularity laws over a population of n members, sampled in O(1).

use crate::engine::Rng;

/// Draws a member index in `0..n` with uniform or Zipf(s) popularity.
///
/// Zipf over up to [`ALIAS_MAX`] members uses Walker's alias method (one
/// 64-bit draw per sample, a table of 12 bytes per member). Larger
/// populations use Hörmann and Derflinger's rejection-inversion method
/// ("Rejection-inversion to generate variates from monotone discrete
/// distributions", 1996), as in Apache Commons RNG: O(1) expected time and
/// O(1) memory for any n, with no table.
#[derive(Clone, Debug)]
pub enum PopularitySampler {
    /// Every member equally likely.
    Uniform {
        /// Population size.
        n: u64,
    },
    /// Member k (1-based) has weight k^-s.
    Zipf(Zipf),
    /// An arbitrary discrete law by its alias table.
    Alias(Alias),
}

/// The largest Zipf population sampled by alias table (64K members, 768 KB:
/// it stays in cache; beyond that a table miss costs more than rejection-inversion).
pub const ALIAS_MAX: u64 = 1 << 16;

/// Walker's alias table (Vose's construction): column `i` keeps itself with
/// probability `keep[i]` and is its `alias[i]` otherwise.
#[derive(Clone, Debug)]
pub struct Alias {
    keep: Vec<f64>,
    alias: Vec<u32>,
    /// The same table as the sampler reads it: one 8-byte entry per column,
    /// so a draw touches one cache line, not one in `keep` and one in `alias`.
    columns: Vec<Column>,
}

/// One alias-table column in integer form: a draw whose low 32 bits are
/// below `keep_below` keeps the column, any other takes `alias`. The same
/// choice as `u < keep` with `u` = low bits / 2^32 (see [`Column::new`]).
#[derive(Clone, Copy, Debug)]
struct Column {
    keep_below: u32,
    alias: u32,
}

impl Column {
    /// Column `i` with keep probability `keep` and alias `alias`. The low
    /// bits `b` give u = b / 2^32 exactly, and u < keep exactly when
    /// b < keep * 2^32 (a power-of-two scaling, exact), that is when
    /// b < ceil(keep * 2^32). When that bound is 2^32 every draw keeps the
    /// column: the bound becomes 2^32 - 1 and the last value's alias the
    /// column itself.
    fn new(i: u32, keep: f64, alias: u32) -> Column {
        let bound = (keep * 4_294_967_296.0).ceil().clamp(0.0, 4_294_967_296.0) as u64;
        match u32::try_from(bound) {
            Ok(keep_below) => Column { keep_below, alias },
            Err(_) => Column {
                keep_below: u32::MAX,
                alias: i,
            },
        }
    }
}

impl Alias {
    /// The table for the given (unnormalised) weights.
    fn new(weights: &[f64]) -> Alias {
        let n = weights.len();
        let total: f64 = weights.iter().sum();
        let mut keep: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
        let mut alias = vec![0u32; n];
        let (mut small, mut large): (Vec<u32>, Vec<u32>) = (Vec::new(), Vec::new());
        for (i, &p) in keep.iter().enumerate() {
            if p < 1.0 {
                small.push(i as u32);
            } else {
                large.push(i as u32);
            }
        }
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            alias[s as usize] = l;
            keep[l as usize] -= 1.0 - keep[s as usize];
            if keep[l as usize] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Leftovers are 1 up to rounding.
        for i in small.into_iter().chain(large) {
            keep[i as usize] = 1.0;
        }
        let columns = (0u32..)
            .zip(keep.iter().zip(&alias))
            .map(|(i, (&k, &a))| Column::new(i, k, a))
            .collect();
        Alias {
            keep,
            alias,
            columns,
        }
    }

    /// A member: the high 32 bits of one draw pick the column (Lemire), the
    /// low 32 bits decide keep vs alias.
    #[inline]
    fn sample(&self, rng: &mut Rng) -> u64 {
        use rand::Rng as _;
        let bits = rng.next_u64();
        let i = ((bits >> 32) * self.columns.len() as u64) >> 32;
        let column = self.columns[i as usize];
        if (bits as u32) < column.keep_below {
            i
        } else {
            u64::from(column.alias)
        }
    }
}

impl PopularitySampler {
    /// Uniform over `n` members.
    pub fn uniform(n: u64) -> Self {
        PopularitySampler::Uniform { n: n.max(1) }
    }

    /// Zipf(s) over `n` members; s = 0 is uniform.
    pub fn zipf(n: u64, s: f64) -> Self {
        if s == 0.0 {
            Self::uniform(n)
        } else if n <= ALIAS_MAX {
            let weights: Vec<f64> = (1..=n.max(1)).map(|k| libm::pow(k as f64, -s)).collect();
            PopularitySampler::Alias(Alias::new(&weights))
        } else {
            PopularitySampler::Zipf(Zipf::new(n, s))
        }
    }

    /// Draws a member index in `0..n`; index 0 is the most popular.
    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> u64 {
        match self {
            PopularitySampler::Uniform { n } => crate::engine::below(rng, *n),
            PopularitySampler::Zipf(z) => z.sample(rng) - 1,
            PopularitySampler::Alias(a) => a.sample(rng),
        }
    }

    /// Population size.
    pub fn len(&self) -> u64 {
        match self {
            PopularitySampler::Uniform { n } => *n,
            PopularitySampler::Zipf(z) => z.n,
            PopularitySampler::Alias(a) => a.keep.len() as u64,
        }
    }

    /// True for an empty population (never, after construction).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl PopularitySampler {
    /// The law it draws from, for sums over its members' probabilities.
    pub fn law(&self) -> Law {
        match self {
            PopularitySampler::Uniform { n } => Law::Uniform { n: *n },
            PopularitySampler::Zipf(z) => Law::zipf(z.n, z.s),
            PopularitySampler::Alias(a) => {
                // Column i keeps itself with keep[i] and gives the rest to its alias.
                let n = a.keep.len() as f64;
                let mut p: Vec<f64> = a.keep.iter().map(|k| k / n).collect();
                for (keep, &to) in a.keep.iter().zip(&a.alias) {
                    p[to as usize] += (1.0 - keep) / n;
                }
                Law::Table(p)
            }
        }
    }
}

/// A popularity law's member probabilities: member k's exactly
/// ([`Law::probability`]), and sums over every member ([`Law::sum`]) that
/// cost as much for 10^12 members as for 10^4.
#[derive(Clone, Debug)]
pub enum Law {
    /// `n` members, each 1/n.
    Uniform {
        /// Population size.
        n: u64,
    },
    /// Each member's probability.
    Table(Vec<f64>),
    /// Member k (0-based) has (k + 1)^-s / `norm`.
    Zipf {
        /// Population size.
        n: u64,
        /// Exponent.
        s: f64,
        /// Σ k^-s over the population (as [`Law::sum`] counts it).
        norm: f64,
    },
}

/// Zipf ranks summed one by one; beyond, in buckets.
const EXACT_RANKS: u64 = 4096;
/// Each bucket of ranks ends this factor past its start.
const BUCKET_GROWTH: f64 = 1.002;

impl Law {
    /// Zipf(s) over `n` members.
    fn zipf(n: u64, s: f64) -> Law {
        let norm = zipf_buckets(n, s, |count, w| count * w);
        Law::Zipf { n, s, norm }
    }

    /// Member `k`'s probability (0: the most popular).
    pub fn probability(&self, k: u64) -> f64 {
        match self {
            Law::Uniform { n } => 1.0 / *n as f64,
            Law::Table(p) => p.get(k as usize).copied().unwrap_or(0.0),
            Law::Zipf { s, norm, .. } => h((k + 1) as f64, *s) / norm,
        }
    }

    /// Σ f(p_k) over every member. Exact but for Zipf ranks past
    /// 4,096: those come in buckets 0.2% wide, each counted as its ranks'
    /// mean probability (the integral of x^-s over it), which moves a
    /// smooth f's sum by a fraction of a millionth.
    pub fn sum(&self, f: impl Fn(f64) -> f64) -> f64 {
        match self {
            Law::Uniform { n } => *n as f64 * f(1.0 / *n as f64),
            Law::Table(p) => p.iter().map(|&x| f(x)).sum(),
            Law::Zipf { n, s, norm } => zipf_buckets(*n, *s, |count, w| count * f(w / norm)),
        }
    }
}

/// Σ g(count, weight) over Zipf(s)'s ranks `1..=n`: one by one up to
/// [`EXACT_RANKS`], then buckets of ranks with their mean weight.
fn zipf_buckets(n: u64, s: f64, g: impl Fn(f64, f64) -> f64) -> f64 {
    let mut total = 0.0;
    for k in 1..=n.min(EXACT_RANKS) {
        total += g(1.0, h(k as f64, s));
    }
    let mut a = EXACT_RANKS + 1;
    while a <= n {
        let b = ((a as f64 * BUCKET_GROWTH) as u64).clamp(a + 1, n + 1);
        let count = (b - a) as f64;
        let (lo, hi) = (a as f64 - 0.5, b as f64 - 0.5);
        let integral = if (s - 1.0).abs() < 1e-12 {
            libm::log(hi / lo)
        } else {
            (libm::pow(hi, 1.0 - s) - libm::pow(lo, 1.0 - s)) / (1.0 - s)
        };
        total += g(count, integral / count);
        a = b;
    }
    total
}

/// Rejection-inversion Zipf sampler over `1..=n` with exponent `s > 0`.
///
/// Each candidate `u` gets its verdict (a member, or rejected) from
/// [`Zipf::exact_verdict`], the method as published with libm's functions.
/// Most get the same verdict cheaper from [`Zipf::quick_verdict`], which
/// computes H^-1(u) with one call to the platform's `pow` and answers only
/// where that value is clear of every boundary the verdict depends on by
/// far more than the two computations can differ: the draws are the same.
#[derive(Clone, Debug)]
pub struct Zipf {
    n: u64,
    s: f64,
    h_integral_x1: f64,
    h_integral_n: f64,
    threshold: f64,
    /// How the quick verdict computes H^-1(u); `None` where s is so close
    /// to 1 (but not 1) that the power form loses precision: every
    /// candidate then takes the exact verdict.
    quick: Option<QuickInverse>,
}

/// H^-1(u) by one call to the platform's functions.
#[derive(Clone, Copy, Debug)]
enum QuickInverse {
    /// s = 1: e^u.
    Exp,
    /// (1 + (1 - s) u)^power, with power = 1 / (1 - s).
    Power(f64),
}

/// The quick verdict's margin, relative to H^-1(u): it answers only where
/// the boundaries are farther than this. The platform's `pow` and libm's
/// exp(log1p) form agree to 2e-14 for |1 - s| >= 0.01 and to about 1e-13
/// at |1 - s| = 1e-3 (the power's rounding grows as 1 / |1 - s|), so the
/// margin is 1,000 times or more what it must cover. A candidate falls to
/// the exact verdict with probability about 4e-10 * H^-1(u): rarely for
/// ranks up to millions, always for ranks past a billion.
const QUICK_MARGIN: f64 = 1e-10;

impl Zipf {
    fn new(n: u64, s: f64) -> Zipf {
        let h_integral_x1 = h_integral(1.5, s) - 1.0;
        let h_integral_n = h_integral(n as f64 + 0.5, s);
        let threshold = 2.0 - h_integral_inverse(h_integral(2.5, s) - h(2.0, s), s);
        let quick = if s == 1.0 {
            Some(QuickInverse::Exp)
        } else {
            ((1.0 - s).abs() >= 1e-3).then(|| QuickInverse::Power(1.0 / (1.0 - s)))
        };
        Zipf {
            n,
            s,
            h_integral_x1,
            h_integral_n,
            threshold,
            quick,
        }
    }

    #[inline]
    fn sample(&self, rng: &mut Rng) -> u64 {
        loop {
            let u = self.h_integral_n
                + crate::engine::unit_open(rng) * (self.h_integral_x1 - self.h_integral_n);
            let verdict = self
                .quick_verdict(u)
                .unwrap_or_else(|| self.exact_verdict(u));
            if let Some(k) = verdict {
                return k;
            }
        }
    }

    /// Candidate `u`'s member, or `None` if it is rejected: Hörmann and
    /// Derflinger's test as published.
    fn exact_verdict(&self, u: f64) -> Option<u64> {
        let x = h_integral_inverse(u, self.s);
        let k = ((x + 0.5) as u64).clamp(1, self.n);
        let kf = k as f64;
        (kf - x <= self.threshold || u >= h_integral(kf + 0.5, self.s) - h(kf, self.s)).then_some(k)
    }

    /// [`Zipf::exact_verdict`] where it can be had without libm's
    /// H^-1(u); `None` (ask the exact one) where x = H^-1(u) lies within
    /// [`QUICK_MARGIN`] of x + 0.5 being an integer or of k - x being the
    /// threshold, the two places where a tiny difference in x could change
    /// the verdict. The rejection test proper, u >= H(k + 0.5) - h(k), is
    /// computed exactly as the exact verdict does (about 1.5% of draws at
    /// s = 0.9 reach it).
    #[inline]
    fn quick_verdict(&self, u: f64) -> Option<Option<u64>> {
        let x = match self.quick? {
            QuickInverse::Exp => u.exp(),
            QuickInverse::Power(power) => (1.0 + (1.0 - self.s) * u).max(0.0).powf(power),
        };
        if !x.is_finite() || x >= self.n as f64 + 1.0 {
            return None;
        }
        let margin = QUICK_MARGIN * (1.0 + x);
        let rounded = x + 0.5;
        // Its floor (it is positive), without a call to `floor`.
        let whole = rounded as u64;
        let fraction = rounded - whole as f64;
        if fraction < margin || fraction > 1.0 - margin {
            return None;
        }
        let k = whole.clamp(1, self.n);
        let kf = k as f64;
        let below_threshold = kf - x - self.threshold;
        if below_threshold <= -margin {
            Some(Some(k))
        } else if below_threshold <= margin {
            None
        } else {
            Some((u >= h_integral(kf + 0.5, self.s) - h(kf, self.s)).then_some(k))
        }
    }
}

/// h(x) = x^-s
#[inline]
fn h(x: f64, s: f64) -> f64 {
    libm::exp(-s * libm::log(x))
}

/// H(x), an integral of h with H(1) handled smoothly for s near 1.
#[inline]
fn h_integral(x: f64, s: f64) -> f64 {
    let log_x = libm::log(x);
    helper2((1.0 - s) * log_x) * log_x
}

#[inline]
fn h_integral_inverse(x: f64, s: f64) -> f64 {
    let mut t = x * (1.0 - s);
    if t < -1.0 {
        t = -1.0;
    }
    libm::exp(helper1(t) * x)
}

/// log1p(x) / x, continuous at 0.
#[inline]
fn helper1(x: f64) -> f64 {
    if x.abs() > 1e-8 {
        libm::log1p(x) / x
    } else {
        1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x))
    }
}

/// expm1(x) / x, continuous at 0.
#[inline]
fn helper2(x: f64) -> f64 {
    if x.abs() > 1e-8 {
        libm::expm1(x) / x
    } else {
        1.0 + x * 0.5 * (1.0 + x * (1.0 / 3.0) * (1.0 + 0.25 * x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream;

    fn frequencies(sampler: &PopularitySampler, draws: usize) -> Vec<f64> {
        let mut rng = stream(3, "zipf");
        let mut counts = vec![0u64; sampler.len() as usize];
        for _ in 0..draws {
            counts[sampler.sample(&mut rng) as usize] += 1;
        }
        counts.iter().map(|&c| c as f64 / draws as f64).collect()
    }

    /// Checks `make(n, s)`'s draws against the exact Zipf probabilities.
    fn matches_zipf(make: impl Fn(u64, f64) -> PopularitySampler) {
        for s in [0.8, 1.0, 1.2] {
            let n = 50u64;
            let norm: f64 = (1..=n).map(|k| (k as f64).powf(-s)).sum();
            let f = frequencies(&make(n, s), 400_000);
            for k in [1usize, 2, 5, 20, 50] {
                let p = (k as f64).powf(-s) / norm;
                assert!(
                    (f[k - 1] - p).abs() < 0.004 + 0.03 * p,
                    "s={s} k={k}: {} vs {p}",
                    f[k - 1]
                );
            }
        }
    }

    #[test]
    fn zipf_matches_exact_probabilities() {
        // n = 50 is under ALIAS_MAX: the alias table.
        matches_zipf(PopularitySampler::zipf);
    }

    #[test]
    fn rejection_inversion_matches_exact_probabilities() {
        matches_zipf(|n, s| PopularitySampler::Zipf(Zipf::new(n, s)));
    }

    #[test]
    fn uniform_is_flat_and_in_range() {
        let f = frequencies(&PopularitySampler::uniform(10), 200_000);
        assert!(f.iter().all(|&p| (p - 0.1).abs() < 0.005));
    }

    #[test]
    fn laws_give_each_members_probability_and_sums() {
        let exact = |n: u64, s: f64| -> Vec<f64> {
            let w: Vec<f64> = (1..=n).map(|k| (k as f64).powf(-s)).collect();
            let t: f64 = w.iter().sum();
            w.iter().map(|x| x / t).collect()
        };
        // The alias table's law is the Zipf it was built from.
        let law = PopularitySampler::zipf(1000, 0.9).law();
        let p = exact(1000, 0.9);
        for k in [0, 1, 10, 999] {
            assert!((law.probability(k) - p[k as usize]).abs() < 1e-12);
        }
        // Bucketed ranks: the sums of p and of a concave f agree with the exact ones.
        let n = 200_000u64;
        let big = Law::zipf(n, 0.9);
        let p = exact(n, 0.9);
        assert!((big.sum(|x| x) - 1.0).abs() < 1e-6);
        assert!((big.probability(100_000) - p[100_000]).abs() < 1e-6 * p[100_000]);
        let f = |x: f64| 1.0 - (-x * 3e5).exp();
        let exact_sum: f64 = p.iter().map(|&x| f(x)).sum();
        assert!((big.sum(f) - exact_sum).abs() < 1e-5 * exact_sum);
        let u = PopularitySampler::uniform(40).law();
        assert!((u.sum(|x| x * x) - 1.0 / 40.0).abs() < 1e-15);
    }

    /// How many of [`candidates`] are spread at random over the range.
    const RANDOM_CANDIDATES: usize = 300_000;

    /// Candidates spread over the whole range, and candidates a few ulps
    /// and a few margins either side of every boundary the verdict has
    /// (x + 0.5 an integer, k - x the threshold) for ranks over the range.
    fn candidates(z: &Zipf) -> Vec<f64> {
        let mut rng = stream(5, "candidates");
        let mut us: Vec<f64> = (0..RANDOM_CANDIDATES)
            .map(|_| {
                let v = crate::engine::unit_open(&mut rng);
                z.h_integral_n + v * (z.h_integral_x1 - z.h_integral_n)
            })
            .collect();
        let mut k = 1.0f64;
        while k < z.n as f64 {
            for x in [k + 0.5, k - z.threshold] {
                let at = h_integral(x, z.s);
                for step in -40i64..=40 {
                    us.push(f64::from_bits((at.to_bits() as i64 + step) as u64));
                }
                for rel in [1e-13, 1e-11, 1e-9, 1e-8, 1e-7] {
                    us.push(at * (1.0 + rel));
                    us.push(at * (1.0 - rel));
                }
            }
            k = (k * 1.01).ceil();
        }
        us
    }

    #[test]
    fn quick_verdicts_are_the_exact_ones() {
        for s in [0.3, 0.8, 0.9, 0.999, 1.0, 1.0005, 1.1, 1.5, 3.0] {
            for n in [70_000u64, 1_000_000, 1_000_000_000_000] {
                let z = Zipf::new(n, s);
                let us = candidates(&z);
                let mut answered = 0usize;
                for (i, &u) in us.iter().enumerate() {
                    if let Some(quick) = z.quick_verdict(u) {
                        answered += usize::from(i < RANDOM_CANDIDATES);
                        assert_eq!(quick, z.exact_verdict(u), "s={s} n={n} u={u:e}");
                    }
                }
                // Only s within 1e-3 of 1 (but not 1) has no quick verdict;
                // ranks past a billion are too coarse for one.
                if ((s - 1.0f64).abs() >= 1e-3 || s == 1.0) && n <= 1_000_000 {
                    assert!(
                        answered * 100 > RANDOM_CANDIDATES * 99,
                        "s={s} n={n}: {answered}"
                    );
                } else if (s - 1.0f64).abs() < 1e-3 && s != 1.0 {
                    assert_eq!(answered, 0);
                }
            }
        }
    }

    #[test]
    fn quick_verdicts_answer_nearly_every_draw() {
        let z = Zipf::new(1_000_000, 0.9);
        let mut rng = stream(9, "draws");
        let unanswered = (0..200_000)
            .filter(|_| {
                let v = crate::engine::unit_open(&mut rng);
                z.quick_verdict(z.h_integral_n + v * (z.h_integral_x1 - z.h_integral_n))
                    .is_none()
            })
            .count();
        assert!(
            unanswered < 200,
            "{unanswered} of 200,000 draws needed libm"
        );
    }

    #[test]
    fn alias_columns_choose_as_the_float_test() {
        use rand::Rng as _;
        // Weights perturbed in their 10th digit; every column is tried at
        // its integer bound and either side of it, and at random low bits.
        let weights: Vec<f64> = (1..=3000)
            .map(|k| libm::pow(k as f64, -1.1) * (1.0 + (k % 7) as f64 * 1e-10))
            .collect();
        let a = Alias::new(&weights);
        let mut rng = stream(4, "bits");
        let mut lows: Vec<u32> = (0..64).map(|_| rng.next_u64() as u32).collect();
        lows.extend([0, 1, u32::MAX - 1, u32::MAX]);
        for (i, (&keep, &alias)) in a.keep.iter().zip(&a.alias).enumerate() {
            let c = a.columns[i];
            let edge = c.keep_below;
            for low in
                lows.iter()
                    .copied()
                    .chain([edge.wrapping_sub(1), edge, edge.wrapping_add(1)])
            {
                let u = f64::from(low) * (1.0 / 4_294_967_296.0);
                let float = if u < keep { i as u32 } else { alias };
                let column = if low < c.keep_below {
                    i as u32
                } else {
                    c.alias
                };
                assert_eq!(float, column, "column {i} keep {keep} low {low}");
            }
        }
        // A kept-always column (keep 1) and keep just under 1.
        for keep in [1.0, 1.0 - 1e-12, 0.0, 0.5, 1e-300] {
            let c = Column::new(7, keep, 3);
            for low in [0, 1, 1 << 31, u32::MAX - 1, u32::MAX] {
                let u = f64::from(low) * (1.0 / 4_294_967_296.0);
                let float = if u < keep { 7 } else { 3 };
                let column = if low < c.keep_below { 7 } else { c.alias };
                assert_eq!(float, column, "keep {keep} low {low}");
            }
        }
    }

    #[test]
    fn huge_populations_need_no_table() {
        let z = PopularitySampler::zipf(1_000_000_000_000, 0.9);
        let mut rng = stream(1, "big");
        for _ in 0..1000 {
            assert!(z.sample(&mut rng) < 1_000_000_000_000);
        }
    }
}
