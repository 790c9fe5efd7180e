//! Cache-aside at run time: per-pod L1 caches with invalidation, shared
//! cache servers (stations with latency and concurrency), and the loads of
//! missed keys with request coalescing.
//!
//! ```text
//!  CacheGet(L1) ─hit─▶ (stale if its version < the key's)         ──▶ after fill
//!     │miss
//!  CacheGet("redis") (a station: latency, concurrency) ─hit─▶ fill L1 ──▶ after fill
//!     │miss
//!  CacheLoad (coalesce: wait for the leader's load) ─▶ on_miss ─▶ CacheFill (all tiers)
//! ```
//!
//! A cached value is a key's version (its write count, kept by the queries
//! family): a cached version older than the key's count is a stale read.

use super::event::{Event, U16, U32};
use super::families::Family;
use super::interpreter::Sim;
use super::redis::is_background;
use crate::algo::cache::{BuildKeyHasher, Cache, CacheConfig, Insert, Lookup, MAX_CAPACITY};
use crate::algo::Nanos;
use crate::metrics::{round6, Occupancy};
use crate::report::{CacheLoadReport, CacheReport, Report};
use crate::scenario::{CacheOp, FlushTarget, L1Spec, Op, Plan, TierRef};
use crate::sim::station::{Admission, Slots};
use std::collections::{HashMap, VecDeque};

/// A cache-aside event.
#[derive(Copy, Clone, Debug)]
#[repr(u8)]
pub(super) enum CacheEvent {
    /// A request's shared-cache operation finished.
    Done(U32),
    /// Invalidations reach the other pods of a deployment.
    L1Purge(U16),
}

/// A request's cache-aside state.
#[derive(Copy, Clone, Debug)]
pub(super) struct CacheSide {
    /// Aside whose load this request runs (`u16::MAX`: none).
    loading: u16,
    /// Version of the key this request read (for cache fills).
    pub(super) version: u32,
}

impl CacheSide {
    /// A request that loads nothing.
    pub(super) const NONE: CacheSide = CacheSide {
        loading: u16::MAX,
        version: 0,
    };
}

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
    /// Entries in pod `p`'s cache in its life `epoch` (0 if it has none yet).
    pub(super) fn entries(&self, p: usize, epoch: u16) -> usize {
        match (self.pods.get(p), self.epochs.get(p)) {
            (Some(c), Some(&e)) if e == epoch => c.len(),
            _ => 0,
        }
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

/// The cache-aside family's state.
pub(super) struct CacheAside {
    /// Shared cache servers.
    pub(super) shared: Vec<SharedCache>,
    /// Per deployment: its pods' L1 caches, if it has them.
    pub(super) l1: Vec<Option<L1Tier>>,
    /// Per aside: its load counters.
    pub(super) asides: Vec<AsideStats>,
    /// Loads in progress, by (aside, key).
    loading: HashMap<(u16, u64), Loading, BuildKeyHasher>,
}

impl CacheAside {
    /// Empty caches for every cache and L1 of `plan`.
    pub(super) fn new(plan: &Plan) -> CacheAside {
        CacheAside {
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
            asides: vec![AsideStats::default(); plan.asides.len()],
            loading: HashMap::default(),
        }
    }

    /// The shared caches' and L1s' report rows.
    fn cache_reports(&mut self, plan: &Plan, now: Nanos) -> Vec<CacheReport> {
        let mut caches = Vec::new();
        for (spec, c) in plan.caches.iter().zip(&mut self.shared) {
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
        for (spec, t) in plan.deployments.iter().zip(&self.l1) {
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
        caches
    }
}

impl Family for CacheAside {
    fn reset(&mut self, now: Nanos) {
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
        for a in &mut self.asides {
            *a = AsideStats::default();
        }
    }

    fn report(&mut self, plan: &Plan, now: Nanos, report: &mut Report) {
        report.caches = self.cache_reports(plan, now);
        report.cache_loads = self
            .asides
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let tiers: Vec<String> = plan.asides[i]
                    .tiers
                    .iter()
                    .map(|t| match t {
                        TierRef::L1 => "L1".to_owned(),
                        TierRef::Shared(c) => plan.caches[*c as usize].name.clone(),
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
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        round6(a as f64 / b as f64)
    }
}

impl Sim<'_> {
    /// Routes a cache-aside event.
    pub(super) fn cache_event(&mut self, now: Nanos, event: CacheEvent) {
        match event {
            CacheEvent::Done(r) => self.cache_done(now, r.get()),
            CacheEvent::L1Purge(d) => self.l1_purge(now, d.get() as usize),
        }
    }

    /// Runs cache-aside op `op` of request `r`; true if the request goes on stepping now.
    pub(super) fn cache_op(&mut self, now: Nanos, r: u32, op: CacheOp) -> bool {
        match op {
            CacheOp::Get { aside, tier, .. } => {
                let aside = self.aside_of(r, aside);
                match self.plan.asides[aside as usize].tiers[tier as usize] {
                    TierRef::L1 => {
                        self.cache_lookup(now, r);
                        true
                    }
                    TierRef::Shared(c) => {
                        self.redis_round_trip(now, r, c);
                        false
                    }
                }
            }
            CacheOp::Load { aside, .. } => self.cache_load(r, self.aside_of(r, aside)),
            CacheOp::Fill { aside } => {
                let aside = self.aside_of(r, aside);
                let key = self.requests[r].key;
                let side = &mut self.requests[r].cache;
                let version = side.version;
                side.loading = u16::MAX;
                let tiers = self.plan.asides[aside as usize].tiers.len();
                self.fill(now, r, aside, tiers, version);
                self.end_load(aside, key, true);
                self.requests[r].pc += 1;
                if self.holds_dead_pod(r) {
                    // Its L1 entry took the pod over its memory limit.
                    self.fail(now, r, crate::metrics::ErrorCause::PodKilled);
                    return false;
                }
                true
            }
            CacheOp::Jump { skip } => {
                self.requests[r].pc += u32::from(skip);
                true
            }
            CacheOp::Invalidate { tier } => {
                self.invalidate(now, r, tier);
                self.requests[r].pc += 1;
                true
            }
        }
    }

    /// Request `r` missed: it starts loading its key, or (coalescing) waits
    /// for the load in progress. True if it goes on stepping now.
    fn cache_load(&mut self, r: u32, aside: u16) -> bool {
        let key = self.requests[r].key;
        let coalesce = self.plan.asides[aside as usize].coalesce;
        let measured = self.measure.on;
        let fam = &mut self.families.cache;
        let entry = fam.loading.entry((aside, key)).or_default();
        if coalesce && entry.count > 0 {
            entry.waiters.push(r);
            if measured {
                fam.asides[aside as usize].coalesced += 1;
            }
            return false;
        }
        entry.count += 1;
        let dup = entry.count > 1;
        if measured {
            let st = &mut fam.asides[aside as usize];
            st.loads += 1;
            st.duplicate_loads += u64::from(dup);
        }
        let version = self.families.queries.count(key);
        let req = &mut self.requests[r];
        req.cache.loading = aside;
        req.cache.version = version;
        req.pc += 1;
        true
    }

    /// Deletes request `r`'s key from `tier` (an L1: from every pod's, after the propagation delay).
    fn invalidate(&mut self, now: Nanos, r: u32, tier: TierRef) {
        let key = self.requests[r].key;
        match tier {
            TierRef::Shared(c) => {
                self.families.cache.shared[c as usize].cache.remove(&key);
            }
            TierRef::L1 => {
                let req = &self.requests[r];
                let held = req.held[req.depth as usize - 1];
                let d = held.deployment as usize;
                if let Some(t) = self.families.cache.l1[d].as_mut() {
                    t.pod(held.pod, held.epoch).remove(&key);
                    if t.spec.propagation == Nanos::ZERO {
                        t.remove_everywhere(key, held.pod);
                    } else {
                        // One L1Purge event is pending while any purge is.
                        let due = now + t.spec.propagation;
                        if t.purges.is_empty() {
                            self.queue.schedule(
                                due,
                                Event::Cache(CacheEvent::L1Purge((d as u16).into())),
                            );
                        }
                        t.purges.push_back((due, key, held.pod));
                    }
                }
            }
        }
    }

    /// Fills tiers `0..upto` of `aside` with `version` of the request's key.
    fn fill(&mut self, now: Nanos, r: u32, aside: u16, upto: usize, version: u32) {
        let req = &self.requests[r];
        let (key, held) = (req.key, req.held[(req.depth as usize).max(1) - 1]);
        for t in 0..upto {
            match self.plan.asides[aside as usize].tiers[t] {
                TierRef::L1 => {
                    let d = held.deployment as usize;
                    if let Some(tier) = self.families.cache.l1[d].as_mut() {
                        tier.insert(held.pod, held.epoch, now, key, version);
                        if tier.spec.item_bytes > 0 {
                            self.check_memory(now, d, held.pod as usize);
                        }
                    }
                }
                TierRef::Shared(c) => {
                    self.families.cache.shared[c as usize]
                        .cache
                        .insert_at(now, key, version);
                }
            }
        }
    }

    /// A load of `key` ended (`ok`: it filled the tiers); wakes its waiters.
    fn end_load(&mut self, aside: u16, key: u64, ok: bool) {
        let loading = &mut self.families.cache.loading;
        let Some(entry) = loading.get_mut(&(aside, key)) else {
            return;
        };
        entry.count -= 1;
        if entry.count == 0 {
            let entry = loading.remove(&(aside, key)).expect("present");
            for w in entry.waiters {
                if ok {
                    if let Op::Cache(CacheOp::Load { skip, .. }) = self.op_at(w) {
                        self.requests[w].pc += u32::from(skip);
                    }
                }
                // On failure the waiter runs CacheLoad again and may lead the next load.
                self.ready.push_back(w);
            }
        }
    }

    /// The `CacheGet` request `r` is at, as (aside, tier, skip).
    fn current_get(&self, r: u32) -> (u16, u8, u16) {
        match self.op_at(r) {
            Op::Cache(CacheOp::Get { aside, tier, skip }) => (self.aside_of(r, aside), tier, skip),
            other => panic!("a cache lookup at {other:?}, not at a CacheGet"),
        }
    }

    /// The request at a CacheGet looks its tier up now and moves on.
    fn cache_lookup(&mut self, now: Nanos, r: u32) {
        let req = self.requests[r];
        let (aside, tier, skip) = self.current_get(r);
        let tier_ref = self.plan.asides[aside as usize].tiers[tier as usize];
        // An L1 lookup runs in the pod the request holds.
        let pod_of = || req.held[req.depth as usize - 1];
        let fam = &mut self.families.cache;
        let found = match tier_ref {
            TierRef::L1 => {
                let held = pod_of();
                fam.l1[held.deployment as usize].as_mut().and_then(|t| {
                    t.pod(held.pod, held.epoch)
                        .get_at(now, &req.key)
                        .value()
                        .copied()
                })
            }
            TierRef::Shared(c) => match fam.shared[c as usize].cache.get_at(now, &req.key) {
                Lookup::Hit(v) | Lookup::Stale { value: v, .. } => Some(*v),
                Lookup::Miss => None,
            },
        };
        // A cached version older than the key's write count is stale (the
        // count is read only for a measured hit).
        if let Some(v) = found {
            if self.measure.on && v < self.families.queries.count(req.key) {
                let fam = &mut self.families.cache;
                match tier_ref {
                    TierRef::L1 => {
                        if let Some(t) = fam.l1[pod_of().deployment as usize].as_mut() {
                            t.stale += 1;
                        }
                    }
                    TierRef::Shared(c) => fam.shared[c as usize].stale += 1,
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

    /// Request `r` sends its commands to shared cache `c` (a cache read,
    /// or the Redis commands of a rate-limit check) and waits for the answer.
    pub(super) fn redis_round_trip(&mut self, now: Nanos, r: u32, c: u16) {
        self.requests[r].station_since = now;
        self.admit_on_redis(now, r, c);
    }

    /// Slot id `id` (a request, or background work's token) reaches cache
    /// `c`: a free server starts its commands, else it queues.
    pub(super) fn admit_on_redis(&mut self, now: Nanos, id: u32, c: u16) {
        let cache = &mut self.families.cache.shared[c as usize];
        match cache.slots.admit(id, now) {
            Admission::Started => {
                cache.occupancy.arrive_and_start(now);
                self.start_redis_service(now, id, c);
            }
            _ => cache.occupancy.arrive_and_queue(now),
        }
    }

    /// Request `r`'s commands start on one of cache `c`'s servers: one
    /// draw of its latency per command (a cache read is one).
    pub(super) fn start_redis_service(&mut self, now: Nanos, r: u32, c: u16) {
        let commands = self.commands_at(r);
        let latency = &self.plan.samplers[self.plan.caches[c as usize].latency as usize];
        let mut t = Nanos::ZERO;
        for _ in 0..commands {
            t += latency.sample(&mut self.network_rng);
        }
        self.queue
            .schedule(now + t, Event::Cache(CacheEvent::Done(r.into())));
    }

    /// Request `r`'s commands on a shared cache finished: the next in line
    /// starts, and `r` reads its answer (a cache lookup or a limiter check).
    fn cache_done(&mut self, now: Nanos, r: u32) {
        if is_background(r) {
            let (c, since) = self.background_done(r);
            self.redis_server_freed(now, c, since);
            return;
        }
        let op = self.op_at(r);
        let c = match self.redis_commands_of(op) {
            Some(commands) => commands.cache,
            None => {
                let (aside, tier, _) = self.current_get(r);
                match self.plan.asides[aside as usize].tiers[tier as usize] {
                    TierRef::Shared(c) => c,
                    TierRef::L1 => panic!("a shared-cache operation finished for an L1 tier"),
                }
            }
        };
        self.redis_server_freed(now, c, self.requests[r].station_since);
        match op {
            Op::Limit(limit) => {
                if !self.limit_checked(now, r, limit) {
                    return;
                }
            }
            Op::Cache(_) => self.cache_lookup(now, r),
            _ => self.redis_answered(now, r, op),
        }
        self.step(now, r);
    }

    /// Work that came to cache `c` at `since` left a server: the next in line starts.
    fn redis_server_freed(&mut self, now: Nanos, c: u16, since: Nanos) {
        let sc = &mut self.families.cache.shared[c as usize];
        sc.occupancy.finish(now, now - since);
        if let Some((next, queued_at)) = sc.slots.release() {
            sc.occupancy.start_from_queue(now, now - queued_at);
            self.start_redis_service(now, next, c);
        }
    }

    /// Invalidations due now reach the other pods of deployment `d`.
    fn l1_purge(&mut self, now: Nanos, d: usize) {
        let Some(t) = self.families.cache.l1[d].as_mut() else {
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
            self.queue
                .schedule(due, Event::Cache(CacheEvent::L1Purge((d as u16).into())));
        }
    }

    /// A cache loses every entry (FlushCache fault).
    pub(super) fn flush(&mut self, target: FlushTarget) {
        let fam = &mut self.families.cache;
        match target {
            FlushTarget::Shared(c) => fam.shared[c].cache.clear(),
            FlushTarget::L1(d) => {
                if let Some(t) = fam.l1[d].as_mut() {
                    for c in &mut t.pods {
                        c.clear();
                    }
                    t.holders.clear();
                }
            }
        }
    }

    /// A request leaves early: the load it runs, if any, ends unfilled.
    pub(super) fn cache_on_fail(&mut self, r: u32) {
        let loading = self.requests[r].cache.loading;
        if loading != u16::MAX {
            self.requests[r].cache.loading = u16::MAX;
            self.end_load(loading, self.requests[r].key, false);
        }
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
            item_bytes: 0,
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
            item_bytes: 0,
        });
        t.insert(2, 0, Nanos::ZERO, 1, 1);
        t.insert(2, 0, Nanos::ZERO, 2, 1); // evicts key 1 from pod 2
        assert!(!t.holders.contains_key(&1));
        assert_eq!(t.holders.get(&2), Some(&(1 << 2)));
    }
}
