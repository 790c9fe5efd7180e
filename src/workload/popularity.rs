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
        Alias { keep, alias }
    }

    #[inline]
    fn sample(&self, rng: &mut Rng) -> u64 {
        use rand::Rng as _;
        let bits = rng.next_u64();
        // High 32 bits pick the column (Lemire), low 32 bits decide keep vs alias.
        let i = ((bits >> 32) * self.keep.len() as u64) >> 32;
        let u = (bits & 0xffff_ffff) as f64 * (1.0 / 4_294_967_296.0);
        if u < self.keep[i as usize] {
            i
        } else {
            u64::from(self.alias[i as usize])
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
#[derive(Clone, Debug)]
pub struct Zipf {
    n: u64,
    s: f64,
    h_integral_x1: f64,
    h_integral_n: f64,
    threshold: f64,
}

impl Zipf {
    fn new(n: u64, s: f64) -> Zipf {
        let h_integral_x1 = h_integral(1.5, s) - 1.0;
        let h_integral_n = h_integral(n as f64 + 0.5, s);
        let threshold = 2.0 - h_integral_inverse(h_integral(2.5, s) - h(2.0, s), s);
        Zipf {
            n,
            s,
            h_integral_x1,
            h_integral_n,
            threshold,
        }
    }

    #[inline]
    fn sample(&self, rng: &mut Rng) -> u64 {
        loop {
            let u = self.h_integral_n
                + crate::engine::unit_open(rng) * (self.h_integral_x1 - self.h_integral_n);
            let x = h_integral_inverse(u, self.s);
            let k = ((x + 0.5) as u64).clamp(1, self.n);
            let kf = k as f64;
            if kf - x <= self.threshold || u >= h_integral(kf + 0.5, self.s) - h(kf, self.s) {
                return k;
            }
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

    #[test]
    fn huge_populations_need_no_table() {
        let z = PopularitySampler::zipf(1_000_000_000_000, 0.9);
        let mut rng = stream(1, "big");
        for _ in 0..1000 {
            assert!(z.sample(&mut rng) < 1_000_000_000_000);
        }
    }
}
