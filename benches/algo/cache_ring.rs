//! Nanoseconds per operation for the cache and the sharding maps.

use std::hint::black_box;

use criterion::Criterion;
use scaletwin::algo::cache::{Cache, CacheConfig};
use scaletwin::algo::clock::Nanos;
use scaletwin::algo::ring::{HashRing, RangeMap, ShardMap};

/// A cheap deterministic key stream (SplitMix64), so the bench measures the
/// structure, not the RNG.
struct Keys(u64);

impl Keys {
    #[inline]
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

pub(crate) fn cache_benches(c: &mut Criterion) {
    const CAP: u64 = 100_000;
    let mut g = c.benchmark_group("cache");

    let mut cache: Cache<u64, u64> = Cache::new(CacheConfig::lru(CAP as usize));
    for k in 0..CAP {
        cache.insert_at(Nanos::ZERO, k, k);
    }
    let mut keys = Keys(1);
    g.bench_function("get_hit (100k entries)", |b| {
        b.iter(|| {
            let k = keys.next() % CAP;
            black_box(cache.get_at(Nanos::ZERO, black_box(&k)).is_miss())
        })
    });

    // Peer: the `lru` crate on the same workload, for scale.
    let mut peer = lru::LruCache::new(std::num::NonZeroUsize::new(CAP as usize).unwrap());
    for k in 0..CAP {
        peer.put(k, k);
    }
    g.bench_function("peer lru crate get_hit (100k entries)", |b| {
        b.iter(|| {
            let k = keys.next() % CAP;
            black_box(peer.get(black_box(&k)).is_none())
        })
    });

    // A cache that fits in the CPU caches: the cost of the code, not of memory.
    let mut small: Cache<u64, u64> = Cache::new(CacheConfig::lru(1_000));
    for k in 0..1_000 {
        small.insert_at(Nanos::ZERO, k, k);
    }
    g.bench_function("get_hit (1k entries)", |b| {
        b.iter(|| {
            let k = keys.next() % 1_000;
            black_box(small.get_at(Nanos::ZERO, black_box(&k)).is_miss())
        })
    });

    let mut ttl_cache: Cache<u64, u64> = Cache::new(
        CacheConfig::lru(CAP as usize)
            .ttl(Nanos::from_secs(60))
            .stale_while_revalidate(Nanos::from_secs(10)),
    );
    for k in 0..CAP {
        ttl_cache.insert_at(Nanos::ZERO, k, k);
    }
    g.bench_function("get_hit ttl+swr (100k entries)", |b| {
        b.iter(|| {
            let k = keys.next() % CAP;
            black_box(ttl_cache.get_at(Nanos(1), black_box(&k)).is_miss())
        })
    });

    // Keys never seen before: every get misses, every insert evicts the LRU entry.
    let mut fresh = CAP;
    g.bench_function("get_miss+insert with eviction (100k entries)", |b| {
        b.iter(|| {
            fresh += 1;
            if cache.get_at(Nanos::ZERO, black_box(&fresh)).is_miss() {
                black_box(cache.insert_at(Nanos::ZERO, fresh, fresh));
            }
        })
    });

    let mut tiny: Cache<u64, u64> = Cache::new(CacheConfig::lru(CAP as usize).tiny_lfu());
    for k in 0..CAP {
        tiny.insert_at(Nanos::ZERO, k, k);
    }
    g.bench_function("tinylfu get_miss+insert attempt (100k entries)", |b| {
        b.iter(|| {
            fresh += 1;
            if tiny.get_at(Nanos::ZERO, black_box(&fresh)).is_miss() {
                black_box(tiny.insert_at(Nanos::ZERO, fresh, fresh));
            }
        })
    });
    g.finish();
}

pub(crate) fn ring_benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("sharding");
    let ring = HashRing::with_shards(100, 0..16).unwrap();
    let mut keys = Keys(2);
    g.bench_function("ring shard_for u64 (N=16, v=100)", |b| {
        b.iter(|| black_box(ring.shard_for(black_box(keys.next()))))
    });
    let key = b"tenant:1234:user:5678";
    g.bench_function("ring shard_for_bytes 21 B (N=16, v=100)", |b| {
        b.iter(|| black_box(ring.shard_for_bytes(black_box(key))))
    });
    let ranges = RangeMap::even(&(0..16).collect::<Vec<u32>>()).unwrap();
    g.bench_function("range map shard_for u64 (16 ranges)", |b| {
        b.iter(|| black_box(ranges.shard_for(black_box(keys.next()))))
    });
    g.finish();
}
