//! The cache through its public API: a reference model, the `lru` crate as a
//! peer, Che's approximation and the TTL formula, stale-while-revalidate.

use std::hash::{BuildHasher, Hasher};
use std::num::NonZeroUsize;

use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use scaletwin::algo::cache::{Cache, CacheConfig, CacheStats, Insert, Lookup};
use scaletwin::algo::clock::{Clock, Nanos, VirtualClock};

// ---------------------------------------------------------------------------
// Reference model: a Vec ordered most recent first, explicit timestamps,
// linear scans. Written from the specification, not from the implementation.

#[derive(Clone, Debug)]
struct PlanEntry {
    key: u8,
    value: u32,
    /// None: never expires.
    expires_at: Option<u64>,
    swr: u64,
    refreshing: bool,
}

#[derive(Debug)]
struct Plan {
    capacity: usize,
    default_ttl: Option<u64>,
    swr: u64,
    entries: Vec<PlanEntry>,
    stats: CacheStats,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Answer {
    Hit(u32),
    Stale(u32, bool),
    Miss,
}

impl Plan {
    fn get(&mut self, now: u64, key: u8) -> Answer {
        let Some(pos) = self.entries.iter().position(|e| e.key == key) else {
            self.stats.misses += 1;
            return Answer::Miss;
        };
        let mut e = self.entries.remove(pos);
        match e.expires_at {
            None => {
                self.stats.hits += 1;
                let v = e.value;
                self.entries.insert(0, e);
                Answer::Hit(v)
            }
            Some(t) if now < t => {
                self.stats.hits += 1;
                let v = e.value;
                self.entries.insert(0, e);
                Answer::Hit(v)
            }
            Some(t) if now < t + e.swr => {
                self.stats.stale_hits += 1;
                let refresh = !e.refreshing;
                e.refreshing = true;
                let v = e.value;
                self.entries.insert(0, e);
                Answer::Stale(v, refresh)
            }
            Some(_) => {
                self.stats.expirations += 1;
                self.stats.misses += 1;
                Answer::Miss
            }
        }
    }

    fn insert(&mut self, now: u64, key: u8, value: u32, ttl: Option<u64>) -> Insert<u8, u32> {
        if self.capacity == 0 {
            self.stats.rejections += 1;
            return Insert::Rejected(key, value);
        }
        let ttl = ttl.or(self.default_ttl);
        let fresh = PlanEntry {
            key,
            value,
            expires_at: ttl.map(|t| now + t),
            swr: self.swr,
            refreshing: false,
        };
        self.stats.inserts += 1;
        if let Some(pos) = self.entries.iter().position(|e| e.key == key) {
            let old = self.entries.remove(pos);
            self.entries.insert(0, fresh);
            return Insert::Replaced(old.value);
        }
        self.entries.insert(0, fresh);
        if self.entries.len() > self.capacity {
            let victim = self.entries.pop().unwrap();
            self.stats.evictions += 1;
            return Insert::Evicted(victim.key, victim.value);
        }
        Insert::Inserted
    }

    fn remove(&mut self, key: u8) -> Option<u32> {
        let pos = self.entries.iter().position(|e| e.key == key)?;
        Some(self.entries.remove(pos).value)
    }

    fn refresh_failed(&mut self, key: u8) -> bool {
        match self.entries.iter_mut().find(|e| e.key == key) {
            Some(e) => std::mem::replace(&mut e.refreshing, false),
            None => false,
        }
    }

    fn servable(&self, now: u64, key: u8) -> bool {
        self.entries
            .iter()
            .find(|e| e.key == key)
            .is_some_and(|e| e.expires_at.is_none_or(|t| now < t + e.swr))
    }
}

#[derive(Clone, Debug)]
enum Op {
    Get(u8),
    Insert(u8, u32),
    InsertTtl(u8, u32, u64),
    Remove(u8),
    RefreshFailed(u8),
    Clear,
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0u8..10).prop_map(Op::Get),
        4 => (0u8..10, any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
        3 => (0u8..10, any::<u32>(), 0u64..40).prop_map(|(k, v, t)| Op::InsertTtl(k, v, t)),
        1 => (0u8..10).prop_map(Op::Remove),
        1 => (0u8..10).prop_map(Op::RefreshFailed),
        1 => Just(Op::Clear),
        4 => (0u64..15).prop_map(Op::Advance),
    ]
}

fn answer(l: Lookup<'_, u32>) -> Answer {
    match l {
        Lookup::Hit(v) => Answer::Hit(*v),
        Lookup::Stale { value, refresh } => Answer::Stale(*value, refresh),
        Lookup::Miss => Answer::Miss,
    }
}

fn config_of(capacity: usize, default_ttl: Option<u64>, swr: u64) -> CacheConfig {
    let mut config = CacheConfig::lru(capacity).stale_while_revalidate(Nanos(swr));
    config.default_ttl = default_ttl.map(Nanos);
    config
}

/// Runs `ops` on `cache` and on the reference model: same answers, same
/// counters, same recency order.
fn check_against_model<S: BuildHasher>(
    mut cache: Cache<u8, u32, S>,
    capacity: usize,
    default_ttl: Option<u64>,
    swr: u64,
    ops: Vec<Op>,
) -> Result<(), TestCaseError> {
    let mut plan = Plan {
        capacity,
        default_ttl,
        swr,
        entries: Vec::new(),
        stats: CacheStats::default(),
    };
    let mut now = 0u64;
    for op in ops {
        match op {
            Op::Get(k) => prop_assert_eq!(answer(cache.get_at(Nanos(now), &k)), plan.get(now, k)),
            Op::Insert(k, v) => prop_assert_eq!(
                cache.insert_at(Nanos(now), k, v),
                plan.insert(now, k, v, None)
            ),
            Op::InsertTtl(k, v, t) => prop_assert_eq!(
                cache.insert_with_ttl_at(Nanos(now), k, v, Nanos(t)),
                plan.insert(now, k, v, Some(t))
            ),
            Op::Remove(k) => prop_assert_eq!(cache.remove(&k), plan.remove(k)),
            Op::RefreshFailed(k) => {
                prop_assert_eq!(cache.refresh_failed(&k), plan.refresh_failed(k))
            }
            Op::Clear => {
                cache.clear();
                plan.entries.clear();
            }
            Op::Advance(d) => now += d,
        }
        prop_assert_eq!(cache.stats(), plan.stats);
        prop_assert_eq!(cache.len(), plan.entries.len());
        prop_assert!(cache.len() <= capacity);
        for k in 0u8..10 {
            prop_assert_eq!(cache.contains_at(Nanos(now), &k), plan.servable(now, k));
        }
    }
    let order: Vec<(u8, u32)> = cache.iter().map(|(k, v)| (*k, *v)).collect();
    let model_order: Vec<(u8, u32)> = plan.entries.iter().map(|e| (e.key, e.value)).collect();
    prop_assert_eq!(order, model_order);
    Ok(())
}

/// A hasher that sends every key to one of two hashes (by its low bit).
#[derive(Clone, Copy, Default)]
struct TwoBuckets;

impl BuildHasher for TwoBuckets {
    type Hasher = LowBit;
    fn build_hasher(&self) -> LowBit {
        LowBit(0)
    }
}

/// The hasher of [`TwoBuckets`]: keeps only the low bit of what it is fed.
struct LowBit(u64);

impl Hasher for LowBit {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = u64::from(b & 1);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Same answers, same counters, same recency order as the reference model.
    #[test]
    fn cache_matches_reference_model(
        capacity in 0usize..6,
        default_ttl in prop::option::of(0u64..40),
        swr in 0u64..20,
        ops in prop::collection::vec(op(), 0..120),
    ) {
        let cache = Cache::new(config_of(capacity, default_ttl, swr));
        check_against_model(cache, capacity, default_ttl, swr, ops)?;
    }

    /// The same with every key hashing to one of two values: the cache's
    /// index finds a key through its slot's key and drops a slot by its
    /// index, so colliding keys must neither mix up nor lose entries.
    #[test]
    fn cache_with_colliding_hashes_matches_reference_model(
        capacity in 0usize..6,
        default_ttl in prop::option::of(0u64..40),
        swr in 0u64..20,
        ops in prop::collection::vec(op(), 0..120),
    ) {
        let cache = Cache::with_hasher(config_of(capacity, default_ttl, swr), TwoBuckets);
        check_against_model(cache, capacity, default_ttl, swr, ops)?;
    }

    /// With TTL off, evictions (and every answer) match the `lru` crate.
    #[test]
    fn eviction_order_matches_lru_crate(
        capacity in 1usize..8,
        ops in prop::collection::vec((0u8..3, 0u16..16, any::<u32>()), 0..300),
    ) {
        let mut ours: Cache<u16, u32> = Cache::new(CacheConfig::lru(capacity));
        let mut peer: lru::LruCache<u16, u32> = lru::LruCache::new(NonZeroUsize::new(capacity).unwrap());
        let mut evicted_ours = Vec::new();
        let mut evicted_peer = Vec::new();
        for (kind, k, v) in ops {
            match kind {
                0 => prop_assert_eq!(ours.get_at(Nanos::ZERO, &k).value().copied(), peer.get(&k).copied()),
                1 => {
                    match ours.insert_at(Nanos::ZERO, k, v) {
                        Insert::Evicted(ek, ev) => evicted_ours.push((ek, ev)),
                        Insert::Inserted | Insert::Replaced(_) => {}
                        Insert::Rejected(..) => prop_assert!(false, "rejected with capacity {}", capacity),
                    }
                    if let Some((pk, pv)) = peer.push(k, v) {
                        if pk != k { evicted_peer.push((pk, pv)); }
                    }
                }
                _ => prop_assert_eq!(ours.remove(&k), peer.pop(&k)),
            }
            let a: Vec<u16> = ours.iter().map(|(k, _)| *k).collect();
            let b: Vec<u16> = peer.iter().map(|(k, _)| *k).collect();
            prop_assert_eq!(a, b);
        }
        prop_assert_eq!(evicted_ours, evicted_peer);
    }

    /// Exactly one refresh signal per expiry episode, stale inside the window,
    /// a miss after it, whatever the read times.
    #[test]
    fn swr_one_refresh_per_episode(mut reads in prop::collection::vec(0u64..30_000, 1..60)) {
        reads.sort_unstable();
        let ttl = Nanos::from_secs(10);
        let swr = Nanos::from_secs(5);
        let mut cache: Cache<u64, u64> = Cache::new(CacheConfig::lru(4).ttl(ttl).stale_while_revalidate(swr));
        cache.insert_at(Nanos::ZERO, 1, 7);
        let mut refreshes = 0;
        let mut gone = false;
        for ms in reads {
            let now = Nanos::from_millis(ms);
            let got = cache.get_at(now, &1);
            if now < ttl {
                prop_assert_eq!(got, Lookup::Hit(&7));
            } else if now < ttl + swr {
                prop_assert!(matches!(got, Lookup::Stale { value: &7, .. }), "{:?}", got);
                refreshes += usize::from(got.needs_refresh());
            } else {
                prop_assert_eq!(got, Lookup::Miss);
                gone = true;
            }
        }
        prop_assert!(refreshes <= 1);
        let s = cache.stats();
        prop_assert_eq!(refreshes == 1, s.stale_hits > 0);
        prop_assert_eq!(s.expirations, u64::from(gone));
    }
}

#[test]
fn swr_episodes_end_with_reinsert_or_failure() {
    let clock = VirtualClock::new(Nanos::ZERO);
    let config = CacheConfig::lru(8)
        .ttl(Nanos::from_secs(10))
        .stale_while_revalidate(Nanos::from_secs(5));
    let mut cache: Cache<&str, u32> = Cache::new(config);
    cache.insert(&clock, "a", 1);
    clock.set(Nanos::from_secs(11));
    assert_eq!(
        cache.get(&clock, "a"),
        Lookup::Stale {
            value: &1,
            refresh: true
        }
    );
    for _ in 0..5 {
        assert!(!cache.get(&clock, "a").needs_refresh());
    }
    // The refresh fails: the next stale read asks again, once.
    assert!(cache.refresh_failed("a"));
    assert!(!cache.refresh_failed("a"));
    assert!(cache.get(&clock, "a").needs_refresh());
    assert!(!cache.get(&clock, "a").needs_refresh());
    // The refresh succeeds: a new episode starts from the new insert.
    cache.insert(&clock, "a", 2);
    assert_eq!(cache.get(&clock, "a"), Lookup::Hit(&2));
    clock.set(Nanos::from_secs(21));
    assert_eq!(
        cache.get(&clock, "a"),
        Lookup::Stale {
            value: &2,
            refresh: true
        }
    );
    clock.set(Nanos::from_secs(26));
    assert_eq!(cache.get(&clock, "a"), Lookup::Miss);
    assert!(!cache.contains(&clock, "a"));
    let s = cache.stats();
    assert_eq!(
        (s.hits, s.stale_hits, s.misses, s.expirations),
        (1, 9, 1, 1)
    );
}

#[test]
fn zero_capacity_never_stores() {
    let mut cache: Cache<u64, u64> = Cache::new(CacheConfig::lru(0));
    assert_eq!(cache.insert_at(Nanos::ZERO, 1, 1), Insert::Rejected(1, 1));
    assert_eq!(cache.get_at(Nanos::ZERO, &1), Lookup::Miss);
    assert_eq!(cache.len(), 0);
    assert_eq!(cache.stats().rejections, 1);
    assert_eq!(cache.stats().inserts, 0);
}

#[test]
fn remove_clear_len_capacity() {
    let mut cache: Cache<String, u32> = Cache::new(CacheConfig::lru(2));
    assert_eq!(cache.capacity(), 2);
    assert!(cache.is_empty());
    cache.insert_at(Nanos::ZERO, "a".into(), 1);
    cache.insert_at(Nanos::ZERO, "b".into(), 2);
    assert_eq!(cache.remove("a"), Some(1));
    assert_eq!(cache.remove("a"), None);
    assert_eq!(cache.len(), 1);
    // The freed slot is reused; no eviction needed.
    assert_eq!(
        cache.insert_at(Nanos::ZERO, "c".into(), 3),
        Insert::Inserted
    );
    assert_eq!(
        cache.insert_at(Nanos::ZERO, "d".into(), 4),
        Insert::Evicted("b".into(), 2)
    );
    cache.clear();
    assert!(cache.is_empty());
    assert!(!cache.contains_at(Nanos::ZERO, "c"));
    assert_eq!(
        cache.insert_at(Nanos::ZERO, "e".into(), 5),
        Insert::Inserted
    );
    assert_eq!(cache.stats().evictions, 1);
}

// ---------------------------------------------------------------------------
// Theory (../shared/validation/THEORY.md).

fn zipf_weights(n: usize, s: f64) -> Vec<f64> {
    let w: Vec<f64> = (1..=n).map(|k| 1.0 / (k as f64).powf(s)).collect();
    let t: f64 = w.iter().sum();
    w.into_iter().map(|x| x / t).collect()
}

/// Che's approximation of the LRU hit ratio (port of theory.py).
fn che_lru_hit_ratio(n: usize, s: f64, cache_size: usize) -> f64 {
    let p = zipf_weights(n, s);
    let filled = |t: f64| p.iter().map(|&x| 1.0 - (-x * t).exp()).sum::<f64>();
    let c = cache_size as f64;
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    while filled(hi) < c {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if filled(mid) < c {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= hi * 1e-15 {
            break;
        }
    }
    let t = (lo + hi) / 2.0;
    p.iter().map(|&x| x * (1.0 - (-x * t).exp())).sum()
}

/// TTL cache hit ratio, Poisson requests (port of theory.py).
fn ttl_hit_ratio(n: usize, s: f64, total_rate: f64, ttl: f64) -> f64 {
    zipf_weights(n, s)
        .iter()
        .map(|&x| x * (x * total_rate * ttl) / (1.0 + x * total_rate * ttl))
        .sum()
}

/// Zipf sampler by inverse CDF with binary search; returns a rank 0..n.
struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, s: f64) -> Zipf {
        let mut acc = 0.0;
        let cdf = zipf_weights(n, s)
            .into_iter()
            .map(|p| {
                acc += p;
                acc
            })
            .collect();
        Zipf { cdf }
    }
    fn sample(&self, rng: &mut ChaCha8Rng) -> u64 {
        let u: f64 = rng.random();
        let i = self.cdf.partition_point(|&c| c <= u);
        i.min(self.cdf.len() - 1) as u64
    }
}

/// Requests measured per theory check (fewer in debug builds, where the
/// statistical error is still well under the 1% tolerance).
const MEASURED: usize = if cfg!(debug_assertions) {
    300_000
} else {
    2_000_000
};

fn lru_zipf_hit_ratio(n: usize, s: f64, capacity: usize, seed: u64) -> f64 {
    let zipf = Zipf::new(n, s);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut cache: Cache<u64, ()> = Cache::new(CacheConfig::lru(capacity));
    let mut run = |cache: &mut Cache<u64, ()>, count: usize| {
        for _ in 0..count {
            let k = zipf.sample(&mut rng);
            if cache.get_at(Nanos::ZERO, &k).is_miss() {
                cache.insert_at(Nanos::ZERO, k, ());
            }
        }
    };
    run(&mut cache, 50 * capacity);
    cache.reset_stats();
    run(&mut cache, MEASURED);
    cache.stats().hit_ratio()
}

fn check_che(n: usize, s: f64, capacity: usize, table: f64, seed: u64) {
    let expected = che_lru_hit_ratio(n, s, capacity);
    assert!(
        (expected - table).abs() < 1e-4,
        "Che({n}, {s}, {capacity}) = {expected:.5}, THEORY.md says {table}"
    );
    let measured = lru_zipf_hit_ratio(n, s, capacity, seed);
    println!("LRU n={n} s={s} capacity={capacity}: measured {measured:.5}, Che {expected:.5}, seed {seed:#x}");
    assert!(
        (measured - expected).abs() < 0.01,
        "LRU hit ratio {measured:.5} vs Che {expected:.5} (n={n} s={s} capacity={capacity}); seed {seed}"
    );
}

#[test]
fn lru_hit_ratio_matches_che_10k_keys_capacity_100() {
    check_che(10_000, 0.8, 100, 0.15662, 0x5ca1_e701);
}

#[test]
fn lru_hit_ratio_matches_che_10k_keys_capacity_1000() {
    check_che(10_000, 0.8, 1_000, 0.43666, 0x5ca1_e702);
}

#[test]
fn lru_hit_ratio_matches_che_100k_keys_capacity_1000() {
    check_che(100_000, 1.0, 1_000, 0.50617, 0x5ca1_e703);
}

#[test]
fn ttl_hit_ratio_matches_formula() {
    let (n, s, rate, ttl_s) = (10_000, 0.8, 100.0, 60.0);
    let expected = ttl_hit_ratio(n, s, rate, ttl_s);
    assert!((expected - 0.57533).abs() < 1e-4, "formula {expected:.5}");
    let seed = 0x5ca1_e704u64;
    let zipf = Zipf::new(n, s);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let clock = VirtualClock::new(Nanos::ZERO);
    let mut cache: Cache<u64, ()> = Cache::new(CacheConfig::ttl_only(Nanos::from_secs_f64(ttl_s)));
    let mut t = 0.0f64;
    let warmup = (rate * 10.0 * ttl_s) as usize; // 10 TTLs
    for i in 0..warmup + MEASURED {
        if i == warmup {
            cache.reset_stats();
        }
        let u: f64 = rng.random();
        t += -(1.0 - u).ln() / rate;
        clock.set(Nanos::from_secs_f64(t));
        let k = zipf.sample(&mut rng);
        if cache.get(&clock, &k).is_miss() {
            cache.insert(&clock, k, ());
        }
    }
    let measured = cache.stats().hit_ratio();
    println!("TTL: measured {measured:.5}, formula {expected:.5}, seed {seed:#x}");
    assert!(
        (measured - expected).abs() < 0.01,
        "TTL hit ratio {measured:.5} vs formula {expected:.5}; seed {seed}"
    );
    assert!(clock.now() > Nanos::from_secs(3_000));
}

#[test]
fn tiny_lfu_beats_lru_on_scan_polluted_zipf() {
    let seed = 0x5ca1_e705u64;
    let zipf = Zipf::new(10_000, 0.8);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut lru: Cache<u64, ()> = Cache::new(CacheConfig::lru(1_000));
    let mut tiny: Cache<u64, ()> = Cache::new(CacheConfig::lru(1_000).tiny_lfu());
    let mut scan_key = 1u64 << 40;
    let total = MEASURED / 2;
    for i in 0..total {
        // One request in three belongs to a scan of keys never seen again.
        let k = if rng.random_range(0..3u32) == 0 {
            scan_key += 1;
            scan_key
        } else {
            zipf.sample(&mut rng)
        };
        if i == total / 5 {
            lru.reset_stats();
            tiny.reset_stats();
        }
        for c in [&mut lru, &mut tiny] {
            if c.get_at(Nanos::ZERO, &k).is_miss() {
                c.insert_at(Nanos::ZERO, k, ());
            }
        }
    }
    let (a, b) = (lru.stats().hit_ratio(), tiny.stats().hit_ratio());
    println!("scan-polluted Zipf: LRU {a:.4}, TinyLFU {b:.4}, seed {seed:#x}");
    assert!(b > a + 0.05, "TinyLFU {b:.4} vs LRU {a:.4}; seed {seed}");
    assert!(tiny.stats().rejections > 0);
}
