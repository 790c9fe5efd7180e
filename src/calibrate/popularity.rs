//! Key popularity fitted to a cache's observed hit ratio: the Zipf exponent
//! of `workload.keys` with which the scenario's cache (its capacity, its
//! TTL, the invalidations its endpoints make) has the hit ratio observed.
//!
//! The model is stationary and per key (key i of n has probability
//! p_i = i^−s / Σ j^−s; lookups reach it at λ_i = p_i λ, invalidations at
//! μ_i = p_i ν, both Poisson):
//! - an LRU of characteristic time T (Che's approximation): an entry stays
//!   while the next lookup comes within T and before an invalidation, so
//!   h_i = λ_i/(λ_i + μ_i) · (1 − e^{−(λ_i + μ_i) T}) (Che's 1 − e^{−λ_i T}
//!   without invalidations); T solves Σ_i h_i(T) = capacity (by PASTA a
//!   key's hit probability is its occupancy);
//! - a TTL set on insertion: an entry lives L = min(TTL, time to the next
//!   invalidation), E[L] = (1 − e^{−μ_i TTL})/μ_i, and of the 1 + λ_i E[L]
//!   lookups of a cycle all but the first hit: h_i = λ_i E[L]/(1 + λ_i E[L]);
//! - both: each key's hit probability is the smaller of the two (exact when
//!   either bound alone decides: a TTL cache whose entries never fill it,
//!   an LRU without TTL); T solves Σ_i min(h_i^LRU(T), h_i^TTL) = capacity,
//!   and when the TTL alone keeps fewer entries than the capacity, T = ∞.
//!
//! The hit ratio Σ_i p_i h_i grows with s, so s is found by bisection.

/// A cache as the scenario has it and as the observations load it.
#[derive(Clone, Debug, PartialEq)]
pub struct CacheModel {
    /// Keys in the population.
    pub keys: u64,
    /// Most entries (per pod for an L1); `None`: unlimited.
    pub capacity: Option<f64>,
    /// Time to live, seconds; `None`: none.
    pub ttl: Option<f64>,
    /// Lookups per second reaching one copy of the cache (per pod for an L1).
    pub lookups: f64,
    /// Invalidations per second reaching one copy of the cache.
    pub invalidations: f64,
}

/// Largest exponent searched.
pub const MAX_EXPONENT: f64 = 5.0;

impl CacheModel {
    /// The stationary hit ratio with Zipf(`s`) keys (`s` = 0: uniform).
    pub fn hit_ratio(&self, s: f64) -> f64 {
        let p = zipf(self.keys, s);
        let per_key = |pi: f64, t: f64| {
            let (l, m) = (pi * self.lookups, pi * self.invalidations);
            let ttl = match self.ttl {
                None if m > 0.0 => l / (l + m),
                None => 1.0,
                Some(tau) => {
                    let life = if m > 0.0 {
                        -(-m * tau).exp_m1() / m
                    } else {
                        tau
                    };
                    l * life / (1.0 + l * life)
                }
            };
            if t.is_infinite() || l + m <= 0.0 {
                return ttl;
            }
            let lru = l / (l + m) * -(-(l + m) * t).exp_m1();
            lru.min(ttl)
        };
        let held = |t: f64| p.iter().map(|&pi| per_key(pi, t)).sum::<f64>();
        let t = self.capacity.map_or(f64::INFINITY, |c| {
            crate::algo::che::characteristic_time(held, c)
        });
        p.iter().map(|&pi| pi * per_key(pi, t)).sum()
    }

    /// The exponent whose hit ratio is `observed`, or why there is none.
    pub fn exponent_for(&self, observed: f64) -> Result<f64, String> {
        let (low, high) = (self.hit_ratio(0.0), self.hit_ratio(MAX_EXPONENT));
        if observed < low {
            return Err(format!(
                "the observed hit ratio {observed:.4} is below the {low:.4} uniform keys give this cache: the scenario's cache holds more (capacity, TTL) or is invalidated less than the real one"
            ));
        }
        if observed > high {
            return Err(format!(
                "the observed hit ratio {observed:.4} is above the {high:.4} even Zipf({MAX_EXPONENT}) keys give this cache: the scenario's cache holds less (capacity, TTL) than the real one"
            ));
        }
        let (mut lo, mut hi) = (0.0, MAX_EXPONENT);
        for _ in 0..40 {
            let mid = 0.5 * (lo + hi);
            if self.hit_ratio(mid) < observed {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Ok(0.5 * (lo + hi))
    }
}

/// Zipf(`s`) probabilities of `n` keys, most popular first.
pub fn zipf(n: u64, s: f64) -> Vec<f64> {
    let w: Vec<f64> = (1..=n).map(|k| (k as f64).powf(-s)).collect();
    let total: f64 = w.iter().sum();
    w.into_iter().map(|x| x / total).collect()
}

/// The fitted exponent and what backs it.
#[derive(Clone, Debug, PartialEq)]
pub struct PopularityFit {
    /// The cache the counters are of (`NAME`, or `DEPLOYMENT/l1`).
    pub cache: String,
    /// The model the exponent was fitted with.
    pub model: CacheModel,
    /// Hits and misses counted in the window.
    pub hits: f64,
    /// Misses counted in the window.
    pub misses: f64,
    /// Seconds the counters cover.
    pub seconds: f64,
    /// The Zipf exponent.
    pub exponent: f64,
    /// Its standard error from the hit ratio's binomial one (δ method).
    pub exponent_se: f64,
    /// The model's hit ratio at the exponent written (rounded).
    pub achieved: f64,
}

impl PopularityFit {
    /// The observed hit ratio.
    pub fn observed(&self) -> f64 {
        self.hits / (self.hits + self.misses)
    }

    /// Fits `model`'s exponent to the counters.
    pub fn new(
        cache: String,
        model: CacheModel,
        hits: f64,
        misses: f64,
        seconds: f64,
    ) -> Result<PopularityFit, String> {
        let n = hits + misses;
        let h = hits / n;
        let exponent = model.exponent_for(h)?;
        let written = round4(exponent);
        let step = 1e-3;
        let slope = (model.hit_ratio(exponent + step)
            - model.hit_ratio((exponent - step).max(0.0)))
            / (exponent + step - (exponent - step).max(0.0));
        let se_h = (h * (1.0 - h) / n).sqrt();
        Ok(PopularityFit {
            cache,
            achieved: model.hit_ratio(written),
            exponent_se: if slope > 0.0 {
                se_h / slope
            } else {
                f64::INFINITY
            },
            model,
            hits,
            misses,
            seconds,
            exponent: written,
        })
    }
}

/// `x` rounded to 4 decimals (as the scenario is written).
pub fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limits_are_the_known_formulas() {
        let lru = CacheModel {
            keys: 10_000,
            capacity: Some(1000.0),
            ttl: None,
            lookups: 1.0,
            invalidations: 0.0,
        };
        // The same value tests/it/data_tier.rs pins for Che(Zipf(0.8), 1000 of 10,000).
        assert!((lru.hit_ratio(0.8) - 0.43666).abs() < 5e-5);
        assert!((lru.hit_ratio(0.0) - 0.1).abs() < 1e-9, "uniform: C/N");
        let ttl = CacheModel {
            capacity: None,
            ttl: Some(60.0),
            lookups: 100.0,
            ..lru
        };
        assert!((ttl.hit_ratio(0.8) - 0.57533).abs() < 5e-5);
        let s = ttl.exponent_for(0.57533).unwrap();
        assert!((s - 0.8).abs() < 1e-3, "{s}");
    }
}
