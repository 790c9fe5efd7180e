//! The data tier at run time: L1/L2 cache-aside with invalidation and
//! coalescing, queries through per-pod pools and PgBouncer to a primary or a
//! replica of the right shard, replication lag with per-key versions, and
//! scatter-gather reads.
//!
//! ```text
//!  CacheGet(L1) ─hit─▶ (stale if its version < the key's)         ──▶ after fill
//!     │miss
//!  CacheGet("redis") (a station: latency, concurrency) ─hit─▶ fill L1 ──▶ after fill
//!     │miss
//!  CacheLoad (coalesce: wait for the leader's load) ─▶ on_miss ─▶ CacheFill (all tiers)
//!
//!  Query: pod pool ──▶ PgBouncer (per shard) ──▶ node (primary | replica) ──▶ done
//!         (wait ≤ acquire_timeout)  (wait)          (connections, FIFO)
//! ```
//!
//! Versions: every key has a write count and the global sequence number of
//! its last write. A write ships to each replica of its shard with a drawn
//! lag (applied in commit order); a replica read of a key whose last write it
//! has not applied is a stale read and returns the previous version, which a
//! cache fill then keeps. Failover: writes and primary reads fail with
//! "db failover" while the promotion lasts; every committed write survives
//! and the promoted node serves as the primary afterwards.

use super::interpreter::{Event, Sim};
use super::pool::{Acquire, Gate};
use crate::algo::cache::{BuildKeyHasher, Cache, CacheConfig, Insert, Lookup, MAX_CAPACITY};
use crate::algo::ring::ShardMap;
use crate::algo::Nanos;
use crate::engine::PagedTable;
use crate::metrics::{ErrorCause, Occupancy};
use crate::scenario::{FlushTarget, L1Spec, Op, Plan, ReadRouting, TierRef};
use crate::sim::station::{Admission, Slots};
use std::collections::{HashMap, VecDeque};

/// Marks a queued id as one shard's part of a scatter-gather read.
const SUB: u32 = 0x8000_0000;
/// Bits of a sub-query id that hold the node index.
const NODE_BITS: u32 = 10;
/// No node / no pool.
const NONE: u32 = u32::MAX;

/// A shared cache server.
pub(super) struct SharedCache {
    pub(super) cache: Cache<u64, u32>,
    pub(super) slots: Slots,
    pub(super) occupancy: Occupancy,
    pub(super) stale: u64,
}

/// The L1 caches of one deployment's pods.
pub(super) struct L1Tier {
    pub(super) spec: L1Spec,
    pub(super) pods: Vec<Cache<u64, u32>>,
    pub(super) stale: u64,
    /// Invalidations on their way to the other pods: (due, key, origin pod),
    /// due in order (the propagation delay is fixed); one `L1Purge` event
    /// is pending for the earliest.
    pub(super) purges: VecDeque<(Nanos, u64, u32)>,
    /// Counters of pods' caches, summed at reset time (to subtract).
    pub(super) base: crate::algo::cache::CacheStats,
    /// The epoch of the pod each cache belongs to: a pod index reused by a
    /// new pod (autoscaling, replacements) starts with a cold cache.
    pub(super) epochs: Vec<u16>,
    /// Counters of caches whose pods are gone.
    pub(super) retired: crate::algo::cache::CacheStats,
    /// For each key, the pods (index < 64, one bit each) whose cache may hold
    /// it: set on every insert, cleared on eviction and invalidation. A
    /// superset (an entry dropped on expiry keeps its bit), so an
    /// invalidation visits the pods that may hold the key instead of all.
    pub(super) holders: HashMap<u64, u64, BuildKeyHasher>,
}

impl L1Tier {
    fn new(spec: L1Spec) -> Self {
        L1Tier {
            spec,
            pods: Vec::new(),
            stale: 0,
            purges: VecDeque::new(),
            base: Default::default(),
            epochs: Vec::new(),
            retired: Default::default(),
            holders: HashMap::default(),
        }
    }
    fn new_cache(spec: &L1Spec) -> Cache<u64, u32> {
        let mut c = CacheConfig::lru(spec.capacity);
        if let Some(t) = spec.ttl {
            c = c.ttl(t);
        }
        Cache::new(c)
    }
    /// Pod `p`'s cache, created cold the first time the pod (of this epoch) uses it.
    fn pod(&mut self, p: u32, epoch: u16) -> &mut Cache<u64, u32> {
        while self.pods.len() <= p as usize {
            self.pods.push(Self::new_cache(&self.spec));
            self.epochs.push(epoch);
        }
        if self.epochs[p as usize] != epoch {
            // Keep the old pod's counters in the totals, then start cold.
            let old = std::mem::replace(&mut self.pods[p as usize], Self::new_cache(&self.spec));
            let x = old.stats();
            self.retired.hits += x.hits;
            self.retired.stale_hits += x.stale_hits;
            self.retired.misses += x.misses;
            self.retired.evictions += x.evictions;
            self.retired.expirations += x.expirations;
            self.epochs[p as usize] = epoch;
        }
        &mut self.pods[p as usize]
    }
    /// Stores `key` in pod `p`'s cache and keeps the holder bits right.
    fn insert(&mut self, p: u32, epoch: u16, now: Nanos, key: u64, version: u32) {
        let bit = holder_bit(p);
        if let Insert::Evicted(old, _) = self.pod(p, epoch).insert_at(now, key, version) {
            if let Some(bits) = self.holders.get_mut(&old) {
                *bits &= !bit;
                if *bits == 0 {
                    self.holders.remove(&old);
                }
            }
        }
        if bit != 0 {
            *self.holders.entry(key).or_insert(0) |= bit;
        }
    }

    /// Removes `key` from every pod's cache but `keep`'s (the pod that already removed it).
    fn remove_everywhere(&mut self, key: u64, keep: u32) {
        let kept = holder_bit(keep);
        let bits = self.holders.remove(&key).unwrap_or(0);
        let mut visit = bits & !kept;
        while visit != 0 {
            let p = visit.trailing_zeros() as usize;
            visit &= visit - 1;
            self.pods[p].remove(&key);
        }
        if bits & kept != 0 {
            self.holders.insert(key, kept);
        }
        // Pods past the bitmap's 64 have no bits: ask each of them.
        for (p, c) in self.pods.iter_mut().enumerate().skip(64) {
            if p as u32 != keep {
                c.remove(&key);
            }
        }
    }

    pub(super) fn stats(&self) -> crate::algo::cache::CacheStats {
        let mut s = self.retired;
        for c in &self.pods {
            let x = c.stats();
            s.hits += x.hits;
            s.stale_hits += x.stale_hits;
            s.misses += x.misses;
            s.evictions += x.evictions;
            s.expirations += x.expirations;
        }
        s.hits -= self.base.hits;
        s.stale_hits -= self.base.stale_hits;
        s.misses -= self.base.misses;
        s.evictions -= self.base.evictions;
        s.expirations -= self.base.expirations;
        s
    }
}

/// Per-aside load counters.
#[derive(Default, Clone, Copy)]
pub(super) struct AsideStats {
    /// Runs of on_miss (loads of the value).
    pub(super) loads: u64,
    /// Loads started while another load of the same key was under way (stampede).
    pub(super) duplicate_loads: u64,
    /// Misses served by waiting for another request's load (coalescing).
    pub(super) coalesced: u64,
}

/// Loads of one key in progress.
#[derive(Default)]
struct Loading {
    count: u32,
    waiters: Vec<u32>,
}

/// Per-request data-tier state, indexed by request id.
#[derive(Copy, Clone, Debug)]
pub(super) struct Side {
    db: u16,
    write: bool,
    dist: u32,
    node: u32,
    shard: u32,
    /// Pool held or waited for: deployment and pod (`NONE`: no pool).
    pool_dep: u32,
    pool_pod: u32,
    has_pool: bool,
    has_bouncer: bool,
    waiting_pool: bool,
    since: Nanos,
    /// Version of the key this request read (for cache fills).
    version: u32,
    /// Outstanding scatter-gather parts.
    remaining: u32,
    /// Aside whose load this request runs (`u16::MAX`: none).
    loading: u16,
    /// Why a scatter read fails once its started parts are done.
    scatter_failed: Option<ErrorCause>,
}

impl Default for Side {
    fn default() -> Side {
        Side {
            db: 0,
            write: false,
            dist: 0,
            node: NONE,
            shard: 0,
            pool_dep: NONE,
            pool_pod: NONE,
            has_pool: false,
            has_bouncer: false,
            waiting_pool: false,
            since: Nanos::ZERO,
            version: 0,
            remaining: 0,
            loading: u16::MAX,
            scatter_failed: None,
        }
    }
}

/// All data-tier state of a run.
pub(super) struct DataTier {
    pub(super) shared: Vec<SharedCache>,
    pub(super) l1: Vec<Option<L1Tier>>,
    pub(super) pools: Vec<Vec<Gate>>,
    pub(super) asides: Vec<AsideStats>,
    loading: HashMap<(u16, u64), Loading, BuildKeyHasher>,
    pub(super) side: Vec<Side>,
    /// Per key: (write count, sequence number of its last write). Kept only
    /// when something reads it (replicas or regional copies for stale reads,
    /// cache-aside for stale cached values): it grows with the keys written.
    versions: PagedTable<(u32, u64)>,
    track_versions: bool,
    /// Per user: time of the last write + 1 ns (0: none); kept only for
    /// read-your-writes.
    last_write: PagedTable<u64>,
    track_users: bool,
    seq: u64,
}

impl DataTier {
    pub(super) fn new(plan: &Plan) -> DataTier {
        DataTier {
            shared: plan
                .caches
                .iter()
                .map(|c| {
                    let mut cfg = CacheConfig::lru(c.capacity.unwrap_or(MAX_CAPACITY));
                    if let Some(t) = c.ttl {
                        cfg = cfg.ttl(t);
                    }
                    SharedCache {
                        cache: Cache::new(cfg),
                        slots: Slots::new(c.concurrency, None),
                        occupancy: Occupancy::new(u64::from(c.concurrency)),
                        stale: 0,
                    }
                })
                .collect(),
            l1: plan
                .deployments
                .iter()
                .map(|d| d.l1.map(L1Tier::new))
                .collect(),
            pools: plan.deployments.iter().map(|_| Vec::new()).collect(),
            asides: vec![AsideStats::default(); plan.asides.len()],
            loading: HashMap::default(),
            side: Vec::new(),
            versions: PagedTable::new(plan.workload.keys.as_ref().map_or(1, |k| k.len())),
            track_versions: !plan.asides.is_empty()
                || plan
                    .databases
                    .iter()
                    .any(|d| d.replicas > 0 || !d.copies.is_empty()),
            last_write: PagedTable::new(plan.workload.users),
            track_users: plan.databases.iter().any(|d| d.read_your_writes.is_some()),
            seq: 0,
        }
    }

    fn count(&self, key: u64) -> u32 {
        self.versions.get(key).0
    }

    /// Zeroes the counters at the end of the warm-up.
    pub(super) fn reset(&mut self, now: Nanos) {
        for c in &mut self.shared {
            c.cache.reset_stats();
            c.occupancy.reset(now);
            c.stale = 0;
        }
        for t in self.l1.iter_mut().flatten() {
            t.base = Default::default();
            t.base = t.stats();
            t.stale = 0;
        }
        for g in self.pools.iter_mut().flatten() {
            g.reset();
        }
        for a in &mut self.asides {
            *a = AsideStats::default();
        }
    }
}

impl Sim<'_> {
    fn side(&mut self, r: u32) -> &mut Side {
        let v = &mut self.data.side;
        if v.len() <= r as usize {
            v.resize(r as usize + 1, Side::default());
        }
        &mut v[r as usize]
    }

    /// Opens the per-pod pools' `min` connections at start.
    pub(super) fn open_min_connections(&mut self) {
        for (d, spec) in self.plan.deployments.iter().enumerate() {
            let Some(pool) = spec.pool else { continue };
            for _ in 0..spec.replicas {
                let open = match spec.database {
                    Some(db) if self.plan.databases[db].bouncer.is_none() => self.databases[db]
                        .open_many(pool.min, self.plan.databases[db].max_connections),
                    _ => pool.min,
                };
                self.data.pools[d].push(Gate::new(pool.max, open));
            }
        }
    }

    /// Runs a data-tier op of request `r`; true if the request goes on stepping now.
    pub(super) fn data_op(&mut self, now: Nanos, r: u32, op: Op) -> bool {
        match op {
            Op::CacheGet { aside, tier, .. } => {
                match self.plan.asides[aside as usize].tiers[tier as usize] {
                    TierRef::L1 => {
                        self.cache_lookup(now, r);
                        true
                    }
                    TierRef::Shared(c) => {
                        self.requests[r].station_since = now;
                        let cache = &mut self.data.shared[c as usize];
                        match cache.slots.admit(r, now) {
                            Admission::Started => {
                                cache.occupancy.arrive_and_start(now);
                                let t = self.plan.samplers
                                    [self.plan.caches[c as usize].latency as usize]
                                    .sample(&mut self.network_rng);
                                self.queue.schedule(now + t, Event::CacheDone(r));
                            }
                            _ => cache.occupancy.arrive_and_queue(now),
                        }
                        false
                    }
                }
            }
            Op::CacheLoad { aside, .. } => {
                let key = self.requests[r].key;
                let coalesce = self.plan.asides[aside as usize].coalesce;
                let measured = self.measure.on;
                let entry = self.data.loading.entry((aside, key)).or_default();
                if coalesce && entry.count > 0 {
                    entry.waiters.push(r);
                    if measured {
                        self.data.asides[aside as usize].coalesced += 1;
                    }
                    return false;
                }
                entry.count += 1;
                let dup = entry.count > 1;
                if measured {
                    let st = &mut self.data.asides[aside as usize];
                    st.loads += 1;
                    st.duplicate_loads += u64::from(dup);
                }
                let version = self.data.count(key);
                let s = self.side(r);
                s.loading = aside;
                s.version = version;
                self.requests[r].pc += 1;
                true
            }
            Op::CacheFill { aside } => {
                let key = self.requests[r].key;
                let version = self.side(r).version;
                self.side(r).loading = u16::MAX;
                let tiers = self.plan.asides[aside as usize].tiers.len();
                self.fill(now, r, aside, tiers, version);
                self.end_load(aside, key, true);
                self.requests[r].pc += 1;
                true
            }
            Op::Invalidate { tier } => {
                let key = self.requests[r].key;
                match tier {
                    TierRef::Shared(c) => {
                        self.data.shared[c as usize].cache.remove(&key);
                    }
                    TierRef::L1 => {
                        let req = &self.requests[r];
                        let held = req.held[req.depth as usize - 1];
                        let d = held.deployment as usize;
                        if let Some(t) = self.data.l1[d].as_mut() {
                            t.pod(held.pod, held.epoch).remove(&key);
                            if t.spec.propagation == Nanos::ZERO {
                                t.remove_everywhere(key, held.pod);
                            } else {
                                // One L1Purge event is pending while any purge is.
                                let due = now + t.spec.propagation;
                                if t.purges.is_empty() {
                                    self.queue.schedule(due, Event::L1Purge(d as u16));
                                }
                                t.purges.push_back((due, key, held.pod));
                            }
                        }
                    }
                }
                self.requests[r].pc += 1;
                true
            }
            Op::Scatter { db, dist } => {
                self.scatter(now, r, db, dist);
                false
            }
            _ => unreachable!("not a data-tier op: {op:?}"),
        }
    }

    /// Fills tiers `0..upto` of `aside` with `version` of the request's key.
    fn fill(&mut self, now: Nanos, r: u32, aside: u16, upto: usize, version: u32) {
        let req = self.requests[r];
        for t in 0..upto {
            match self.plan.asides[aside as usize].tiers[t] {
                TierRef::L1 => {
                    let held = req.held[req.depth as usize - 1];
                    if let Some(tier) = self.data.l1[held.deployment as usize].as_mut() {
                        tier.insert(held.pod, held.epoch, now, req.key, version);
                    }
                }
                TierRef::Shared(c) => {
                    self.data.shared[c as usize]
                        .cache
                        .insert_at(now, req.key, version);
                }
            }
        }
    }

    /// A load of `key` ended (`ok`: it filled the tiers); wakes its waiters.
    fn end_load(&mut self, aside: u16, key: u64, ok: bool) {
        let Some(entry) = self.data.loading.get_mut(&(aside, key)) else {
            return;
        };
        entry.count -= 1;
        if entry.count == 0 {
            let entry = self.data.loading.remove(&(aside, key)).expect("present");
            for w in entry.waiters {
                if ok {
                    let req = &mut self.requests[w];
                    let program = &self.plan.endpoints[req.endpoint as usize].program;
                    if let Op::CacheLoad { skip, .. } = program[req.pc as usize] {
                        req.pc += u32::from(skip);
                    }
                }
                // On failure the waiter runs CacheLoad again and may lead the next load.
                self.ready.push_back(w);
            }
        }
    }

    /// The request at a CacheGet looks its tier up now and moves on.
    fn cache_lookup(&mut self, now: Nanos, r: u32) {
        let req = self.requests[r];
        let Op::CacheGet { aside, tier, skip } =
            self.plan.endpoints[req.endpoint as usize].program[req.pc as usize]
        else {
            unreachable!("cache lookup away from a CacheGet")
        };
        let tier_ref = self.plan.asides[aside as usize].tiers[tier as usize];
        // An L1 lookup runs in the pod the request holds.
        let pod_of = || req.held[req.depth as usize - 1];
        let found = match tier_ref {
            TierRef::L1 => {
                let held = pod_of();
                self.data.l1[held.deployment as usize]
                    .as_mut()
                    .and_then(|t| {
                        t.pod(held.pod, held.epoch)
                            .get_at(now, &req.key)
                            .value()
                            .copied()
                    })
            }
            TierRef::Shared(c) => match self.data.shared[c as usize].cache.get_at(now, &req.key) {
                Lookup::Hit(v) | Lookup::Stale { value: v, .. } => Some(*v),
                Lookup::Miss => None,
            },
        };
        // A cached version older than the key's write count is stale (the
        // count is read only for a measured hit).
        if let Some(v) = found {
            if self.measure.on && v < self.data.count(req.key) {
                match tier_ref {
                    TierRef::L1 => {
                        if let Some(t) = self.data.l1[pod_of().deployment as usize].as_mut() {
                            t.stale += 1;
                        }
                    }
                    TierRef::Shared(c) => self.data.shared[c as usize].stale += 1,
                }
            }
        }
        match found {
            Some(version) => {
                self.fill(now, r, aside, tier as usize, version);
                self.requests[r].pc += u32::from(skip);
            }
            None => self.requests[r].pc += 1,
        }
    }

    /// A shared cache operation finished.
    pub(super) fn cache_done(&mut self, now: Nanos, r: u32) {
        let req = self.requests[r];
        let Op::CacheGet { aside, tier, .. } =
            self.plan.endpoints[req.endpoint as usize].program[req.pc as usize]
        else {
            unreachable!("CacheDone away from a CacheGet")
        };
        let TierRef::Shared(c) = self.plan.asides[aside as usize].tiers[tier as usize] else {
            unreachable!("CacheDone for an L1 tier")
        };
        let sc = &mut self.data.shared[c as usize];
        sc.occupancy.finish(now, now - req.station_since);
        if let Some((next, queued_at)) = sc.slots.release() {
            sc.occupancy.start_from_queue(now, now - queued_at);
            let t = self.plan.samplers[self.plan.caches[c as usize].latency as usize]
                .sample(&mut self.network_rng);
            self.queue.schedule(now + t, Event::CacheDone(next));
        }
        self.cache_lookup(now, r);
        self.step(now, r);
    }

    /// Invalidations due now reach the other pods of deployment `d`.
    pub(super) fn l1_purge(&mut self, now: Nanos, d: usize) {
        let Some(t) = self.data.l1[d].as_mut() else {
            return;
        };
        while let Some(&(due, key, origin)) = t.purges.front() {
            if due > now {
                break;
            }
            t.purges.pop_front();
            t.remove_everywhere(key, origin);
        }
        if let Some(&(due, _, _)) = t.purges.front() {
            self.queue.schedule(due, Event::L1Purge(d as u16));
        }
    }

    /// A cache loses every entry (FlushCache fault).
    pub(super) fn flush(&mut self, target: FlushTarget) {
        match target {
            FlushTarget::Shared(c) => self.data.shared[c].cache.clear(),
            FlushTarget::L1(d) => {
                if let Some(t) = self.data.l1[d].as_mut() {
                    for c in &mut t.pods {
                        c.clear();
                    }
                    t.holders.clear();
                }
            }
        }
    }

    /// A request leaves early: releases what the data tier holds for it.
    pub(super) fn data_on_fail(&mut self, r: u32) {
        if (r as usize) < self.data.side.len() {
            let s = self.data.side[r as usize];
            if s.loading != u16::MAX {
                self.data.side[r as usize].loading = u16::MAX;
                self.end_load(s.loading, self.requests[r].key, false);
            }
        }
    }

    fn shard_of(&self, db: usize, r: u32) -> u32 {
        let d = &self.databases[db];
        match (&d.ring, self.plan.databases[db].shards) {
            (Some(ring), Some(spec)) => {
                let req = &self.requests[r];
                let k = if spec.by_tenant { req.tenant } else { req.key };
                ring.shard_for_digest(spec.hash.digest(k)).unwrap_or(0)
            }
            _ => 0,
        }
    }

    /// Starts query `r` on database `db`: pool, then PgBouncer, then a node.
    pub(super) fn query(&mut self, now: Nanos, r: u32, db: u16, write: bool, dist: u32) {
        let shard = self.shard_of(db as usize, r);
        let req = self.requests[r];
        let (mut pool_dep, mut pool_pod) = (NONE, NONE);
        if req.depth > 0 {
            let held = req.held[req.depth as usize - 1];
            if self.plan.deployments[held.deployment as usize]
                .pool
                .is_some()
            {
                pool_dep = u32::from(held.deployment);
                pool_pod = held.pod;
            }
        }
        let s = self.side(r);
        s.db = db;
        s.write = write;
        s.dist = dist;
        s.shard = shard;
        s.node = NONE;
        s.pool_dep = pool_dep;
        s.pool_pod = pool_pod;
        s.has_pool = false;
        s.has_bouncer = false;
        s.waiting_pool = false;
        self.stage_pool(now, r);
    }

    fn pool_gate(&mut self, d: u32, p: u32) -> &mut Gate {
        let spec = self.plan.deployments[d as usize]
            .pool
            .expect("a pool stage needs a pool");
        let pools = &mut self.data.pools[d as usize];
        while pools.len() <= p as usize {
            pools.push(Gate::new(spec.max, 0));
        }
        &mut pools[p as usize]
    }

    fn stage_pool(&mut self, now: Nanos, r: u32) {
        let s = self.data.side[r as usize];
        if s.pool_dep == NONE {
            return self.stage_bouncer(now, r);
        }
        let db = s.db as usize;
        let direct = self.plan.databases[db].bouncer.is_none();
        let max = self.plan.databases[db].max_connections;
        match self.pool_gate(s.pool_dep, s.pool_pod).try_acquire() {
            Acquire::Idle => {}
            Acquire::Open => {
                // Without PgBouncer a pool connection is a server connection.
                if direct && !self.databases[db].try_open(max) {
                    return self.query_fail(now, r, ErrorCause::TooManyConnections);
                }
                self.pool_gate(s.pool_dep, s.pool_pod).opened();
            }
            Acquire::Wait => {
                self.pool_gate(s.pool_dep, s.pool_pod)
                    .queue
                    .push_back((r, now));
                let timeout = self.plan.deployments[s.pool_dep as usize]
                    .pool
                    .expect("pool")
                    .acquire_timeout;
                let side = self.side(r);
                side.waiting_pool = true;
                side.since = now;
                self.queue.schedule(now + timeout, Event::PoolTimeout(r));
                return;
            }
        }
        self.side(r).has_pool = true;
        self.stage_bouncer(now, r);
    }

    /// A pool wait timed out (if `r` is still waiting since then).
    pub(super) fn pool_timeout(&mut self, now: Nanos, r: u32) {
        let Some(&s) = self.data.side.get(r as usize) else {
            return;
        };
        if !s.waiting_pool || !self.requests[r].alive {
            return;
        }
        let timeout = self.plan.deployments[s.pool_dep as usize]
            .pool
            .expect("pool")
            .acquire_timeout;
        if s.since + timeout != now {
            return;
        }
        let measured = self.measure.on;
        let gate = self.pool_gate(s.pool_dep, s.pool_pod);
        if gate.time_out(r, s.since) {
            if !measured {
                gate.timeouts -= 1;
            }
            self.side(r).waiting_pool = false;
            self.query_fail(now, r, ErrorCause::PoolTimeout);
        }
    }

    fn stage_bouncer(&mut self, now: Nanos, r: u32) {
        let s = self.data.side[r as usize];
        let db = s.db as usize;
        if self.databases[db].bouncers.is_empty() {
            return self.stage_node(now, r);
        }
        let max = self.plan.databases[db].max_connections;
        let d = &mut self.databases[db];
        match d.bouncers[s.shard as usize].try_acquire() {
            Acquire::Idle => {}
            Acquire::Open => {
                if !d.try_open(max) {
                    return self.query_fail(now, r, ErrorCause::TooManyConnections);
                }
                d.bouncers[s.shard as usize].opened();
            }
            Acquire::Wait => {
                d.bouncers[s.shard as usize].queue.push_back((r, now));
                return;
            }
        }
        self.side(r).has_bouncer = true;
        self.stage_node(now, r);
    }

    /// The node a query of `r` goes to, or `None` if it needs the primary during a failover.
    fn route_node(
        &mut self,
        now: Nanos,
        r: u32,
        db: usize,
        shard: u32,
        write: bool,
    ) -> Option<u32> {
        let spec = &self.plan.databases[db];
        let d = &mut self.databases[db];
        let base = shard * d.group;
        let replicas = d.group - 1;
        let user = self.requests[r].user;
        let ryw = !write
            && spec.read_your_writes.is_some_and(|w| {
                // 0: never wrote; else the time of the last write + 1 ns.
                let t = self.data.last_write.get(user);
                t > 0 && now < Nanos(t - 1).saturating_add(w)
            });
        if ryw && replicas > 0 && self.measure.on {
            d.ryw_reads += 1;
        }
        let node = if write || replicas == 0 || ryw || spec.reads == ReadRouting::Primary {
            base
        } else if spec.reads == ReadRouting::LeastLoaded {
            (1..=replicas)
                .min_by_key(|&i| d.nodes[(base + i) as usize].slots.in_flight())
                .map_or(base, |i| base + i)
        } else {
            d.rr = d.rr.wrapping_add(1);
            base + 1 + d.rr % replicas
        };
        if node == base && d.failing_over {
            None
        } else {
            Some(node)
        }
    }

    fn stage_node(&mut self, now: Nanos, r: u32) {
        let s = self.data.side[r as usize];
        let db = s.db as usize;
        let Some(node) = self.route_node(now, r, db, s.shard, s.write) else {
            return self.query_fail(now, r, ErrorCause::DbFailover);
        };
        self.side(r).node = node;
        self.requests[r].station_since = now;
        let d = &mut self.databases[db];
        let n = &mut d.nodes[node as usize];
        match n.slots.admit(r, now) {
            Admission::Started => {
                n.occupancy.arrive_and_start(now);
                d.occupancy.arrive_and_start(now);
                self.start_service(now, db, r, s.dist);
            }
            Admission::Queued => {
                n.occupancy.arrive_and_queue(now);
                d.occupancy.arrive_and_queue(now);
            }
            Admission::Rejected => {
                n.occupancy.reject();
                d.occupancy.reject();
                self.query_fail(now, r, ErrorCause::QueueFull);
            }
        }
    }

    fn start_service(&mut self, now: Nanos, db: usize, id: u32, dist: u32) {
        let t = self.plan.samplers[dist as usize].sample(&mut self.database_rngs[db]);
        let t = super::interpreter::slowed(t, self.databases[db].slowdown);
        self.queue.schedule(now + t, Event::QueryDone(id));
    }

    /// Releases the pool and PgBouncer connections `r` holds; hands them on.
    fn release_connections(&mut self, now: Nanos, r: u32) {
        let s = self.data.side[r as usize];
        let db = s.db as usize;
        if s.has_bouncer {
            self.side(r).has_bouncer = false;
            if let Some((next, _)) = self.databases[db].bouncers[s.shard as usize].release(now) {
                self.side(next).has_bouncer = true;
                self.stage_node(now, next);
            }
        }
        if s.has_pool {
            self.side(r).has_pool = false;
            if let Some((next, _)) = self.pool_gate(s.pool_dep, s.pool_pod).release(now) {
                let side = self.side(next);
                side.waiting_pool = false;
                side.has_pool = true;
                self.stage_bouncer(now, next);
            }
        }
    }

    fn query_fail(&mut self, now: Nanos, r: u32, cause: ErrorCause) {
        self.release_connections(now, r);
        self.fail(now, r, cause);
    }

    /// Frees a connection of `node`; the next queued query (or part) starts.
    fn release_node(&mut self, now: Nanos, db: usize, node: u32, since: Nanos) {
        let d = &mut self.databases[db];
        let n = &mut d.nodes[node as usize];
        n.occupancy.finish(now, now - since);
        d.occupancy.finish(now, now - since);
        if self.measure.on {
            n.queries += 1;
        }
        if let Some((next, queued_at)) = n.slots.release() {
            n.occupancy.start_from_queue(now, now - queued_at);
            d.occupancy.start_from_queue(now, now - queued_at);
            let owner = if next & SUB != 0 {
                (next & !SUB) >> NODE_BITS
            } else {
                next
            };
            let dist = self.data.side[owner as usize].dist;
            self.start_service(now, db, next, dist);
        }
    }

    /// A query (or one shard's part of a scatter read) finished.
    pub(super) fn query_done(&mut self, now: Nanos, id: u32) {
        if id & SUB != 0 {
            let r = (id & !SUB) >> NODE_BITS;
            let node = id & ((1 << NODE_BITS) - 1);
            let s = self.data.side[r as usize];
            self.release_node(now, s.db as usize, node, s.since);
            let side = self.side(r);
            side.remaining -= 1;
            if side.remaining == 0 {
                if let Some(cause) = side.scatter_failed {
                    // A part could not run: the request fails once every part it started is done.
                    self.fail(now, r, cause);
                    return;
                }
                if self.measure.on {
                    self.databases[s.db as usize].reads += 1;
                }
                self.requests[r].pc += 1;
                self.step(now, r);
            }
            return;
        }
        let r = id;
        let s = self.data.side[r as usize];
        let db = s.db as usize;
        let since = self.requests[r].station_since;
        self.release_node(now, db, s.node, since);
        self.commit(now, r, db, s);
        self.release_connections(now, r);
        self.requests[r].pc += 1;
        // A query whose database copy's region went down meanwhile fails.
        if self.geo.any_down() && self.geo.db_down(self.plan, db) {
            self.fail(now, r, ErrorCause::RegionDown);
            return;
        }
        self.step(now, r);
    }

    /// Versions and replication for a finished query.
    fn commit(&mut self, now: Nanos, r: u32, db: usize, s: Side) {
        let req = self.requests[r];
        let measured = self.measure.on;
        let d = &mut self.databases[db];
        if s.write {
            self.data.seq += 1;
            let seq = self.data.seq;
            if self.data.track_versions {
                let v = self.data.versions.get_mut(req.key);
                v.0 += 1;
                v.1 = seq;
            }
            if self.data.track_users {
                *self.data.last_write.get_mut(req.user) = now.0 + 1;
            }
            if measured {
                d.writes += 1;
            }
            let base = s.shard * d.group;
            if let Some(lag) = self.plan.databases[db].lag {
                for i in 1..d.group {
                    let drawn = self.plan.samplers[lag as usize]
                        .sample(&mut self.database_rngs[db])
                        + d.extra_lag;
                    let n = &mut d.nodes[(base + i) as usize];
                    let at = (now + drawn).max(n.last_apply);
                    n.last_apply = at;
                    n.pending.push_back((seq, at));
                    if measured {
                        n.lag_sum += drawn.as_secs_f64();
                        n.lag_n += 1;
                        n.lag_max = n.lag_max.max(drawn);
                    }
                }
            } else {
                for i in 1..d.group {
                    d.nodes[(base + i) as usize].applied = seq;
                }
            }
        } else {
            if measured {
                d.reads += 1;
            }
            let (count, last) = self.data.versions.get(req.key);
            let n = &mut d.nodes[s.node as usize];
            n.catch_up(now);
            let stale = !s.node.is_multiple_of(d.group) && last > n.applied;
            if stale && measured {
                n.stale_reads += 1;
            }
            self.side(r).version = if stale { count - 1 } else { count };
        }
    }

    /// A read on every shard; the request goes on when the slowest part is done.
    fn scatter(&mut self, now: Nanos, r: u32, db: u16, dist: u32) {
        let shards = self.plan.databases[db as usize]
            .shards
            .map_or(1, |s| s.count);
        let s = self.side(r);
        s.db = db;
        s.dist = dist;
        s.write = false;
        s.since = now;
        s.remaining = shards;
        s.node = NONE;
        s.has_pool = false;
        s.has_bouncer = false;
        s.waiting_pool = false;
        let mut failed = None;
        let mut admitted = 0;
        for shard in 0..shards {
            let Some(node) = self.route_node(now, r, db as usize, shard, false) else {
                failed = Some(ErrorCause::DbFailover);
                continue;
            };
            let id = SUB | (r << NODE_BITS) | node;
            let d = &mut self.databases[db as usize];
            let n = &mut d.nodes[node as usize];
            match n.slots.admit(id, now) {
                Admission::Started => {
                    n.occupancy.arrive_and_start(now);
                    d.occupancy.arrive_and_start(now);
                    admitted += 1;
                    self.start_service(now, db as usize, id, dist);
                }
                Admission::Queued => {
                    n.occupancy.arrive_and_queue(now);
                    d.occupancy.arrive_and_queue(now);
                    admitted += 1;
                }
                Admission::Rejected => {
                    n.occupancy.reject();
                    d.occupancy.reject();
                    failed = Some(ErrorCause::QueueFull);
                }
            }
        }
        let side = self.side(r);
        side.remaining = admitted;
        side.scatter_failed = failed;
        if admitted == 0 {
            if let Some(cause) = failed {
                self.fail(now, r, cause);
            }
        }
    }
}

type DataReport = (
    Vec<crate::report::CacheReport>,
    Vec<crate::report::CacheLoadReport>,
    Vec<crate::report::DatabaseReport>,
    Vec<crate::report::PoolReport>,
);

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        crate::metrics::round6(a as f64 / b as f64)
    }
}

fn ms(t: Nanos) -> f64 {
    crate::metrics::round6(t.as_millis_f64())
}

fn pool_report(name: String, gates: &[Gate]) -> crate::report::PoolReport {
    let acquired: u64 = gates.iter().map(|g| g.acquired).sum();
    let waited: u64 = gates.iter().map(|g| g.waited).sum();
    let timeouts: u64 = gates.iter().map(|g| g.timeouts).sum();
    let sum: f64 = gates.iter().map(|g| g.wait_sum.as_millis_f64()).sum();
    let got = waited - timeouts;
    crate::report::PoolReport {
        name,
        acquisitions: acquired,
        waited,
        wait_mean_ms: if got == 0 {
            0.0
        } else {
            crate::metrics::round6(sum / got as f64)
        },
        wait_max_ms: ms(gates
            .iter()
            .map(|g| g.wait_max)
            .max()
            .unwrap_or(Nanos::ZERO)),
        timeouts,
        open_connections: gates.iter().map(|g| g.open).sum(),
    }
}

impl Sim<'_> {
    /// The data tier's report sections.
    pub(super) fn data_report(&mut self, now: Nanos) -> DataReport {
        use crate::report::*;
        let mut caches = Vec::new();
        for (spec, c) in self.plan.caches.iter().zip(&mut self.data.shared) {
            let st = c.cache.stats();
            let utilization = c.occupancy.summary(now).utilization;
            caches.push(CacheReport {
                name: spec.name.clone(),
                kind: "shared".into(),
                lookups: st.lookups(),
                hits: st.hits + st.stale_hits,
                hit_ratio: ratio(st.hits + st.stale_hits, st.lookups()),
                stale_reads: c.stale,
                evictions: st.evictions,
                expirations: st.expirations,
                entries: c.cache.len() as u64,
                utilization,
            });
        }
        for (spec, t) in self.plan.deployments.iter().zip(&self.data.l1) {
            let Some(t) = t else { continue };
            let st = t.stats();
            caches.push(CacheReport {
                name: format!("{}/l1", spec.name),
                kind: "l1".into(),
                lookups: st.lookups(),
                hits: st.hits + st.stale_hits,
                hit_ratio: ratio(st.hits + st.stale_hits, st.lookups()),
                stale_reads: t.stale,
                evictions: st.evictions,
                expirations: st.expirations,
                entries: t.pods.iter().map(|c| c.len() as u64).sum(),
                utilization: 0.0,
            });
        }
        let cache_loads = self
            .data
            .asides
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let tiers: Vec<String> = self.plan.asides[i]
                    .tiers
                    .iter()
                    .map(|t| match t {
                        TierRef::L1 => "L1".to_owned(),
                        TierRef::Shared(c) => self.plan.caches[*c as usize].name.clone(),
                    })
                    .collect();
                CacheLoadReport {
                    name: format!("aside{i}[{}]", tiers.join(",")),
                    loads: a.loads,
                    duplicate_loads: a.duplicate_loads,
                    coalesced: a.coalesced,
                }
            })
            .collect();
        let mut databases = Vec::new();
        let mut pools = Vec::new();
        for (spec, d) in self.plan.databases.iter().zip(&mut self.databases) {
            let sharded = spec.shards.is_some();
            let mut nodes = Vec::new();
            let mut shards = Vec::new();
            let total: u64 = d.nodes.iter().map(|n| n.queries).sum();
            let group = d.group as usize;
            for (s, chunk) in d.nodes.chunks_mut(group).enumerate() {
                let queries: u64 = chunk.iter().map(|n| n.queries).sum();
                let mut primary_util = 0.0;
                for (i, n) in chunk.iter_mut().enumerate() {
                    let util = n.occupancy.summary(now).utilization;
                    if i == 0 {
                        primary_util = util;
                    }
                    let role = if i == 0 {
                        "primary".to_owned()
                    } else {
                        format!("replica{i}")
                    };
                    nodes.push(NodeReport {
                        name: if sharded {
                            format!("{}/shard{s}/{role}", spec.name)
                        } else {
                            format!("{}/{role}", spec.name)
                        },
                        queries: n.queries,
                        utilization: util,
                        stale_reads: n.stale_reads,
                        lag_mean_ms: if n.lag_n == 0 {
                            0.0
                        } else {
                            crate::metrics::round6(n.lag_sum * 1e3 / n.lag_n as f64)
                        },
                        lag_max_ms: ms(n.lag_max),
                    });
                }
                shards.push(ShardReport {
                    shard: s as u32,
                    queries,
                    share: ratio(queries, total),
                    primary_utilization: primary_util,
                });
            }
            let hottest = shards.iter().map(|s| s.share).fold(0.0, f64::max);
            databases.push(DatabaseReport {
                name: spec.name.clone(),
                reads: d.reads,
                writes: d.writes,
                stale_reads: d.nodes.iter().map(|n| n.stale_reads).sum(),
                read_your_writes_reads: d.ryw_reads,
                open_connections: d.open,
                peak_open_connections: d.open_peak,
                max_connections: spec.max_connections,
                refused_connections: d.refused,
                nodes,
                shards,
                hottest_shard_share: hottest,
            });
            if !d.bouncers.is_empty() {
                pools.push(pool_report(format!("{}/pgbouncer", spec.name), &d.bouncers));
            }
        }
        for (spec, gates) in self.plan.deployments.iter().zip(&self.data.pools) {
            if spec.pool.is_some() {
                pools.push(pool_report(format!("{}/pool", spec.name), gates));
            }
        }
        (caches, cache_loads, databases, pools)
    }
}

/// Pod `p`'s bit in [`L1Tier::holders`] (0 past the first 64 pods).
fn holder_bit(p: u32) -> u64 {
    1u64.checked_shl(p).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holds(t: &L1Tier, p: usize, key: u64) -> bool {
        t.pods[p].contains_at(Nanos::ZERO, &key)
    }

    #[test]
    fn invalidation_reaches_every_holder_past_the_bitmap_too() {
        let mut t = L1Tier::new(L1Spec {
            capacity: 2,
            ttl: None,
            propagation: Nanos::from_millis(100),
        });
        for p in [3, 5, 66, 69] {
            t.insert(p, 0, Nanos::ZERO, 7, 1);
        }
        t.insert(4, 0, Nanos::ZERO, 8, 1);
        t.remove_everywhere(7, 5);
        assert!(holds(&t, 5, 7), "the origin's copy is not purged");
        for p in [3, 66, 69] {
            assert!(!holds(&t, p, 7), "pod {p} still holds the key");
        }
        assert!(holds(&t, 4, 8), "another key is untouched");
        assert_eq!(t.holders.get(&7), Some(&(1 << 5)));
        t.remove_everywhere(7, 3); // pod 3 no longer holds it
        assert!(!holds(&t, 5, 7));
        assert!(!t.holders.contains_key(&7));
    }

    #[test]
    fn an_eviction_clears_the_holder_bit() {
        let mut t = L1Tier::new(L1Spec {
            capacity: 1,
            ttl: None,
            propagation: Nanos::ZERO,
        });
        t.insert(2, 0, Nanos::ZERO, 1, 1);
        t.insert(2, 0, Nanos::ZERO, 2, 1); // evicts key 1 from pod 2
        assert!(!t.holders.contains_key(&1));
        assert_eq!(t.holders.get(&2), Some(&(1 << 2)));
    }
}
