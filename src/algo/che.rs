//! Che's approximation of an LRU cache (Che, Tung and Wang, 2002): under
//! independent requests an entry stays cached while its next request comes
//! within the cache's characteristic time T, so the entry of rate p is
//! cached with probability 1 − e^{−pT}; T is where the expected entries
//! held reach the capacity.
//!
//! ```
//! use scaletwin::algo::che::characteristic_time;
//! // Two keys of rates 0.9 and 0.1 (per lookup) in a cache of one entry.
//! let p: [f64; 2] = [0.9, 0.1];
//! let held = |t: f64| p.iter().map(|pi: &f64| -(-pi * t).exp_m1()).sum::<f64>();
//! let t = characteristic_time(&held, 1.0);
//! assert!((held(t) - 1.0).abs() < 1e-9);
//! // A cache that holds every key never evicts: T is infinite.
//! assert!(characteristic_time(&held, 2.0).is_infinite());
//! ```

/// The characteristic time T at which `held(T)`, the expected entries a
/// cache holds (increasing in T), reaches `capacity`, by bisection; infinite
/// when even `held(∞)` is at most `capacity` (everything fits).
pub fn characteristic_time(held: impl Fn(f64) -> f64, capacity: f64) -> f64 {
    if held(f64::INFINITY) <= capacity {
        return f64::INFINITY;
    }
    let (mut lo, mut hi) = (0.0, 1.0);
    while held(hi) < capacity && hi < 1e15 {
        hi *= 2.0;
    }
    for _ in 0..64 {
        let mid = 0.5 * (lo + hi);
        if held(mid) < capacity {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}
