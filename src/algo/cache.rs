//! An LRU cache with per-entry TTL, stale-while-revalidate and an optional
//! TinyLFU admission filter.
//!
//! The core is a pure function of `now`: [`Cache::get_at`], [`Cache::insert_at`]
//! and friends take the current time as an argument, and thin wrappers
//! ([`Cache::get`], [`Cache::insert`], ...) read it from any [`Clock`], so the
//! same code runs in a real service ([`SystemClock`](crate::algo::clock::SystemClock))
//! and in the simulator ([`VirtualClock`](crate::algo::clock::VirtualClock)).
//!
//! # Lifetime of an entry
//!
//! ```text
//!  insert at t0          t0 + ttl                t0 + ttl + swr
//!      |------- fresh -------|------- stale --------|------ dead ------>
//!        get -> Hit            get -> Stale            get -> Miss
//!                              (first one: refresh)    (counts an expiration)
//! ```
//!
//! A stale read serves the old value; the first stale read of an episode
//! returns `refresh: true` so the caller starts exactly one background refresh.
//! The episode ends when the entry is re-inserted (the refresh succeeded) or
//! when [`Cache::refresh_failed`] is called (the next stale read asks again).
//!
//! # Layout
//!
//! Entries sit in a slab `Vec` of slots; the recency list is doubly linked
//! by `u32` slot indices kept in a second `Vec` beside it (8 bytes a slot,
//! so moving an entry to the front touches its neighbours' links, not their
//! entries); a hash table of those `u32` slot indices (a
//! `hashbrown::HashTable`, compared through the slot's key) finds a key's
//! slot. Each key is stored once, in its slot: the index is 4 bytes an entry
//! instead of a key and an index, so over hundreds of thousands of entries
//! far more of it stays in the CPU caches (a lookup touches the table's
//! control bytes, its `u32`, then the slot it needs anyway). Every
//! operation is O(1); a get never allocates and an insert into a full cache
//! reuses the evicted slot. The index is only ever used for lookup, never
//! iterated, so its order cannot reach any output. Its default hasher
//! ([`BuildKeyHasher`]) is fixed (no per-process random seed): fast for
//! integer keys and deterministic, but not resistant to hash flooding; pass
//! `std::collections::hash_map::RandomState` to [`Cache::with_hasher`] for
//! keys an adversary controls.
//!
//! # Counters
//!
//! [`CacheStats`] counts fresh hits, stale hits, misses, evictions (entries
//! pushed out by capacity, whatever their age), expirations (dead entries found
//! and dropped by a lookup), inserts (stored values, new or replacing) and
//! rejections (inserts refused by a zero capacity or the admission filter).

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash, Hasher};

use hashbrown::HashTable;

use crate::algo::clock::{Clock, Nanos};

const NIL: u32 = u32::MAX;
/// Largest number of entries a cache can hold (slots are indexed by `u32`).
pub const MAX_CAPACITY: usize = (u32::MAX - 1) as usize;

/// How a [`Cache`] behaves: capacity, default TTL, stale window, admission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheConfig {
    /// Maximum number of entries (clamped to [`MAX_CAPACITY`]); 0 stores nothing.
    pub capacity: usize,
    /// TTL used by [`Cache::insert_at`]; `None` means entries never expire.
    pub default_ttl: Option<Nanos>,
    /// How long after its TTL an entry is still served stale.
    pub stale_while_revalidate: Nanos,
    /// Which inserts may displace the least recently used entry.
    pub admission: Admission,
}

impl CacheConfig {
    /// A plain LRU of `capacity` entries: no TTL, no stale window, admit all.
    pub const fn lru(capacity: usize) -> CacheConfig {
        CacheConfig {
            capacity,
            default_ttl: None,
            stale_while_revalidate: Nanos::ZERO,
            admission: Admission::Always,
        }
    }
    /// A TTL cache without a capacity limit (up to [`MAX_CAPACITY`] entries).
    pub const fn ttl_only(ttl: Nanos) -> CacheConfig {
        CacheConfig::lru(MAX_CAPACITY).ttl(ttl)
    }
    /// Sets the default TTL.
    pub const fn ttl(mut self, ttl: Nanos) -> CacheConfig {
        self.default_ttl = Some(ttl);
        self
    }
    /// Sets the stale-while-revalidate window.
    pub const fn stale_while_revalidate(mut self, swr: Nanos) -> CacheConfig {
        self.stale_while_revalidate = swr;
        self
    }
    /// Turns on the TinyLFU admission filter.
    pub const fn tiny_lfu(mut self) -> CacheConfig {
        self.admission = Admission::TinyLfu;
        self
    }
}

/// Admission policy applied when an insert of a new key finds the cache full.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Admission {
    /// Always evict the least recently used entry (plain LRU).
    #[default]
    Always,
    /// TinyLFU: admit the newcomer only if its estimated access frequency
    /// (count-min sketch with periodic halving, plus a doorkeeper bit set) is
    /// higher than that of the LRU victim. Protects CDN tiers from scans.
    TinyLfu,
}

/// Operation counters of a [`Cache`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups answered with a fresh value.
    pub hits: u64,
    /// Lookups answered with a stale value (inside the SWR window).
    pub stale_hits: u64,
    /// Lookups that found nothing usable.
    pub misses: u64,
    /// Entries removed to make room for a new key.
    pub evictions: u64,
    /// Entries found past TTL + SWR by a lookup and dropped.
    pub expirations: u64,
    /// Values stored (new keys and replacements).
    pub inserts: u64,
    /// Inserts refused (zero capacity or the admission filter).
    pub rejections: u64,
}

impl CacheStats {
    /// Number of lookups: hits + stale hits + misses.
    pub fn lookups(&self) -> u64 {
        self.hits + self.stale_hits + self.misses
    }
    /// Share of lookups served from the cache, fresh or stale (0 if none).
    pub fn hit_ratio(&self) -> f64 {
        let n = self.lookups();
        if n == 0 {
            0.0
        } else {
            (self.hits + self.stale_hits) as f64 / n as f64
        }
    }
}

/// The answer of a cache lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup<'a, V> {
    /// A fresh value.
    Hit(&'a V),
    /// A value past its TTL but inside its stale-while-revalidate window.
    Stale {
        /// The stale value, to be served now.
        value: &'a V,
        /// True for the first stale read of this expiry episode: the caller
        /// should start one background refresh.
        refresh: bool,
    },
    /// Nothing usable in the cache.
    Miss,
}

impl<'a, V> Lookup<'a, V> {
    /// The value served, fresh or stale.
    pub fn value(self) -> Option<&'a V> {
        match self {
            Lookup::Hit(v) | Lookup::Stale { value: v, .. } => Some(v),
            Lookup::Miss => None,
        }
    }
    /// True for a miss.
    pub fn is_miss(&self) -> bool {
        matches!(self, Lookup::Miss)
    }
    /// True if the caller should start a background refresh.
    pub fn needs_refresh(&self) -> bool {
        matches!(self, Lookup::Stale { refresh: true, .. })
    }
}

/// What an insert did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Insert<K, V> {
    /// Stored under a new key without evicting anything.
    Inserted,
    /// Replaced the value already stored under this key (returned).
    Replaced(V),
    /// Stored, evicting the least recently used entry (returned).
    Evicted(K, V),
    /// Not stored (zero capacity or refused by admission); the pair is returned.
    Rejected(K, V),
}

/// The fixed, fast [`Hasher`] behind [`BuildKeyHasher`]: an Fx-style
/// multiply-rotate mix with a SplitMix64 finalizer. Deterministic across runs;
/// not resistant to hash flooding.
#[derive(Clone, Copy, Debug, Default)]
pub struct KeyHasher {
    state: u64,
}

const FX_K: u64 = 0x517c_c1b7_2722_0a95;

impl KeyHasher {
    #[inline]
    fn mix(&mut self, x: u64) {
        self.state = (self.state.rotate_left(5) ^ x).wrapping_mul(FX_K);
    }
}

impl Hasher for KeyHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            self.mix(u64::from_le_bytes(b));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.mix(u64::from_le_bytes(b) ^ ((rest.len() as u64) << 59));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.mix(u64::from(i));
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.mix(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.mix(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.mix(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.mix(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // SplitMix64 finalizer: every output bit depends on every input bit.
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Builds [`KeyHasher`]s; the default hasher of [`Cache`].
#[derive(Clone, Copy, Debug, Default)]
pub struct BuildKeyHasher;

impl BuildHasher for BuildKeyHasher {
    type Hasher = KeyHasher;
    #[inline]
    fn build_hasher(&self) -> KeyHasher {
        KeyHasher::default()
    }
}

#[derive(Clone, Debug)]
struct Entry<K, V> {
    key: K,
    value: V,
    /// Fresh while `now < expires_at`; `Nanos::MAX` means never expires.
    expires_at: Nanos,
    /// Served stale while `now < stale_until`.
    stale_until: Nanos,
    /// A stale read already asked for a refresh in this episode.
    refreshing: bool,
}

/// A slot's neighbours in the recency list (a free slot: the next free one
/// in `next`). Kept apart from the entries, 8 bytes a slot, so moving an
/// entry to the front touches its neighbours' links, not their entries.
#[derive(Clone, Copy, Debug)]
struct Link {
    prev: u32,
    next: u32,
}

/// An LRU cache with per-entry TTL and stale-while-revalidate; see the
/// [module documentation](self).
///
/// With the system clock, in a real service:
///
/// ```
/// use scaletwin::algo::cache::{Cache, CacheConfig, Lookup};
/// use scaletwin::algo::clock::{Nanos, SystemClock};
///
/// let clock = SystemClock::new();
/// let mut cache: Cache<u64, String> =
///     Cache::new(CacheConfig::lru(1_000).ttl(Nanos::from_secs(60)));
/// if cache.get(&clock, &7).is_miss() {
///     cache.insert(&clock, 7, "loaded".to_string());
/// }
/// assert_eq!(cache.get(&clock, &7), Lookup::Hit(&"loaded".to_string()));
/// ```
///
/// With virtual time, in the simulator or a test:
///
/// ```
/// use scaletwin::algo::cache::{Cache, CacheConfig, Lookup};
/// use scaletwin::algo::clock::{Nanos, VirtualClock};
///
/// let clock = VirtualClock::new(Nanos::ZERO);
/// let config = CacheConfig::lru(100)
///     .ttl(Nanos::from_secs(10))
///     .stale_while_revalidate(Nanos::from_secs(5));
/// let mut cache: Cache<u64, u32> = Cache::new(config);
/// cache.insert(&clock, 1, 100);
/// clock.advance(Nanos::from_secs(11)); // past the TTL, inside the SWR window
/// assert_eq!(cache.get(&clock, &1), Lookup::Stale { value: &100, refresh: true });
/// assert_eq!(cache.get(&clock, &1), Lookup::Stale { value: &100, refresh: false });
/// clock.advance(Nanos::from_secs(5)); // past TTL + SWR
/// assert_eq!(cache.get(&clock, &1), Lookup::Miss);
/// assert_eq!(cache.stats().expirations, 1);
/// ```
#[derive(Clone, Debug)]
pub struct Cache<K, V, S = BuildKeyHasher> {
    /// Live slots by their key's hash (each slot holds its key).
    index: HashTable<u32>,
    hasher: S,
    /// Entries by slot (`None`: a free slot).
    slots: Vec<Option<Entry<K, V>>>,
    /// The recency list and the free list, by slot.
    links: Vec<Link>,
    /// Most recently used.
    head: u32,
    /// Least recently used.
    tail: u32,
    /// Head of the free-slot list (linked through `next`).
    free: u32,
    capacity: usize,
    default_ttl: Option<Nanos>,
    swr: Nanos,
    filter: Option<TinyLfu>,
    stats: CacheStats,
}

impl<K: Hash + Eq + Clone, V> Cache<K, V, BuildKeyHasher> {
    /// An empty cache with the default fixed hasher.
    pub fn new(config: CacheConfig) -> Self {
        Cache::with_hasher(config, BuildKeyHasher)
    }
}

impl<K: Hash + Eq + Clone, V, S: BuildHasher> Cache<K, V, S> {
    /// An empty cache whose key map uses `hasher`.
    pub fn with_hasher(config: CacheConfig, hasher: S) -> Self {
        let capacity = config.capacity.min(MAX_CAPACITY);
        let filter = match config.admission {
            Admission::TinyLfu if capacity > 0 => Some(TinyLfu::new(capacity)),
            _ => None,
        };
        Cache {
            index: HashTable::new(),
            hasher,
            slots: Vec::new(),
            links: Vec::new(),
            head: NIL,
            tail: NIL,
            free: NIL,
            capacity,
            default_ttl: config.default_ttl,
            swr: config.stale_while_revalidate,
            filter,
            stats: CacheStats::default(),
        }
    }

    /// Maximum number of entries.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Number of stored entries, including dead ones no lookup has dropped yet.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True if nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The counters so far.
    pub fn stats(&self) -> CacheStats {
        self.stats
    }

    /// Zeroes the counters (entries are kept).
    pub fn reset_stats(&mut self) {
        self.stats = CacheStats::default();
    }

    /// Looks `key` up at time `now`, updating recency and counters.
    ///
    /// A fresh entry is a [`Lookup::Hit`]; an entry past its TTL but inside its
    /// stale window is a [`Lookup::Stale`] (with `refresh: true` the first time
    /// in the episode); an entry past both is dropped and counted as an
    /// expiration and a miss. Hits and stale hits make the entry most recent.
    pub fn get_at<Q>(&mut self, now: Nanos, key: &Q) -> Lookup<'_, V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if let Some(f) = &mut self.filter {
            f.record(BuildKeyHasher.hash_one(key));
        }
        let Some(i) = self.find(key) else {
            self.stats.misses += 1;
            return Lookup::Miss;
        };
        let e = self.entry(i);
        if now < e.expires_at || e.expires_at == Nanos::MAX {
            self.stats.hits += 1;
            self.move_to_front(i);
            return Lookup::Hit(&self.entry(i).value);
        }
        if now < e.stale_until {
            self.stats.stale_hits += 1;
            self.move_to_front(i);
            let e = self.entry_mut(i);
            let refresh = !e.refreshing;
            e.refreshing = true;
            return Lookup::Stale {
                value: &self.entry(i).value,
                refresh,
            };
        }
        self.unindex(key, i);
        self.release(i);
        self.stats.expirations += 1;
        self.stats.misses += 1;
        Lookup::Miss
    }

    /// Stores `value` under `key` at time `now` with the default TTL.
    pub fn insert_at(&mut self, now: Nanos, key: K, value: V) -> Insert<K, V> {
        self.insert_inner(now, key, value, self.default_ttl)
    }

    /// Stores `value` under `key` at time `now`, fresh for `ttl`.
    pub fn insert_with_ttl_at(&mut self, now: Nanos, key: K, value: V, ttl: Nanos) -> Insert<K, V> {
        self.insert_inner(now, key, value, Some(ttl))
    }

    fn insert_inner(&mut self, now: Nanos, key: K, value: V, ttl: Option<Nanos>) -> Insert<K, V> {
        if self.capacity == 0 {
            self.stats.rejections += 1;
            return Insert::Rejected(key, value);
        }
        let expires_at = match ttl {
            Some(t) => now.saturating_add(t),
            None => Nanos::MAX,
        };
        let stale_until = expires_at.saturating_add(self.swr);
        if let Some(i) = self.find(&key) {
            let e = self.entry_mut(i);
            let old = std::mem::replace(&mut e.value, value);
            e.expires_at = expires_at;
            e.stale_until = stale_until;
            e.refreshing = false;
            self.move_to_front(i);
            self.stats.inserts += 1;
            return Insert::Replaced(old);
        }
        let fresh = Entry {
            key,
            value,
            expires_at,
            stale_until,
            refreshing: false,
        };
        if self.index.len() >= self.capacity {
            let victim = self.tail;
            if let Some(f) = &self.filter {
                let candidate = BuildKeyHasher.hash_one(&fresh.key);
                let incumbent = BuildKeyHasher.hash_one(&self.entry(victim).key);
                if !f.admit(candidate, incumbent) {
                    self.stats.rejections += 1;
                    return Insert::Rejected(fresh.key, fresh.value);
                }
            }
            self.unlink(victim);
            let old_hash = self.hasher.hash_one(&self.entry(victim).key);
            self.unindex_hashed(old_hash, victim);
            let old = self.slots[victim as usize]
                .replace(fresh)
                .expect("the LRU tail is a live slot");
            self.index_slot(victim);
            self.push_front(victim);
            self.stats.evictions += 1;
            self.stats.inserts += 1;
            return Insert::Evicted(old.key, old.value);
        }
        let i = if self.free != NIL {
            let i = self.free;
            self.free = self.links[i as usize].next;
            self.slots[i as usize] = Some(fresh);
            i
        } else {
            let i = u32::try_from(self.slots.len()).expect("slot count below capacity");
            self.slots.push(Some(fresh));
            self.links.push(Link {
                prev: NIL,
                next: NIL,
            });
            i
        };
        self.index_slot(i);
        self.push_front(i);
        self.stats.inserts += 1;
        Insert::Inserted
    }

    /// Removes `key` (invalidation), returning its value whatever its age.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let i = self.find(key)?;
        self.unindex(key, i);
        self.release(i).map(|e| e.value)
    }

    /// Ends the refresh episode of `key` without a new value (the refresh
    /// failed): the next stale read asks for a refresh again. Returns whether
    /// a refresh was in progress.
    pub fn refresh_failed<Q>(&mut self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        match self.find(key) {
            Some(i) => std::mem::replace(&mut self.entry_mut(i).refreshing, false),
            None => false,
        }
    }

    /// True if `key` is stored and still servable (fresh or stale) at `now`.
    /// Touches neither recency nor counters.
    pub fn contains_at<Q>(&self, now: Nanos, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        match self.find(key) {
            Some(i) => {
                let e = self.entry(i);
                now < e.stale_until || e.expires_at == Nanos::MAX
            }
            None => false,
        }
    }

    /// Drops every entry (a flush); counters and admission history are kept.
    pub fn clear(&mut self) {
        self.index.clear();
        self.slots.clear();
        self.links.clear();
        self.head = NIL;
        self.tail = NIL;
        self.free = NIL;
    }

    /// Stored entries from most to least recently used (dead ones included).
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> + '_ {
        let mut i = self.head;
        std::iter::from_fn(move || {
            if i == NIL {
                return None;
            }
            let entry = self.slots[i as usize].as_ref();
            i = self.links[i as usize].next;
            entry.map(|e| (&e.key, &e.value))
        })
    }

    /// [`Cache::get_at`] at `clock.now()`.
    pub fn get<Q>(&mut self, clock: &impl Clock, key: &Q) -> Lookup<'_, V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get_at(clock.now(), key)
    }

    /// [`Cache::insert_at`] at `clock.now()`.
    pub fn insert(&mut self, clock: &impl Clock, key: K, value: V) -> Insert<K, V> {
        self.insert_at(clock.now(), key, value)
    }

    /// [`Cache::insert_with_ttl_at`] at `clock.now()`.
    pub fn insert_with_ttl(
        &mut self,
        clock: &impl Clock,
        key: K,
        value: V,
        ttl: Nanos,
    ) -> Insert<K, V> {
        self.insert_with_ttl_at(clock.now(), key, value, ttl)
    }

    /// [`Cache::contains_at`] at `clock.now()`.
    pub fn contains<Q>(&self, clock: &impl Clock, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.contains_at(clock.now(), key)
    }

    /// The slot holding `key`, if any.
    #[inline]
    fn find<Q>(&self, key: &Q) -> Option<u32>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let slots = &self.slots;
        self.index
            .find(self.hasher.hash_one(key), |&i| {
                slots[i as usize]
                    .as_ref()
                    .is_some_and(|e| e.key.borrow() == key)
            })
            .copied()
    }

    /// Adds live slot `i` to the index under its key's hash.
    #[inline]
    fn index_slot(&mut self, i: u32) {
        let (slots, hasher) = (&self.slots, &self.hasher);
        let hash = hasher.hash_one(&slots[i as usize].as_ref().expect("a live slot").key);
        self.index.insert_unique(hash, i, |&j| {
            let e = slots[j as usize].as_ref().expect("indexed slot is live");
            hasher.hash_one(&e.key)
        });
    }

    /// Drops slot `i`, which holds `key`, from the index.
    #[inline]
    fn unindex<Q>(&mut self, key: &Q, i: u32)
    where
        Q: Hash + ?Sized,
    {
        let hash = self.hasher.hash_one(key);
        self.unindex_hashed(hash, i);
    }

    /// Drops slot `i`, whose key hashes to `hash`, from the index.
    #[inline]
    fn unindex_hashed(&mut self, hash: u64, i: u32) {
        let found = self.index.find_entry(hash, |&j| j == i);
        found.expect("a live slot is indexed").remove();
    }

    #[inline]
    fn entry(&self, i: u32) -> &Entry<K, V> {
        self.slots[i as usize]
            .as_ref()
            .expect("indexed slot is live")
    }

    #[inline]
    fn entry_mut(&mut self, i: u32) -> &mut Entry<K, V> {
        self.slots[i as usize]
            .as_mut()
            .expect("indexed slot is live")
    }

    /// Unlinks slot `i`, puts it on the free list and returns its entry.
    fn release(&mut self, i: u32) -> Option<Entry<K, V>> {
        self.unlink(i);
        self.links[i as usize].next = self.free;
        self.free = i;
        self.slots[i as usize].take()
    }

    #[inline]
    fn unlink(&mut self, i: u32) {
        let Link { prev, next } = self.links[i as usize];
        if prev == NIL {
            self.head = next;
        } else {
            self.links[prev as usize].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.links[next as usize].prev = prev;
        }
    }

    #[inline]
    fn push_front(&mut self, i: u32) {
        let head = self.head;
        self.links[i as usize] = Link {
            prev: NIL,
            next: head,
        };
        if head == NIL {
            self.tail = i;
        } else {
            self.links[head as usize].prev = i;
        }
        self.head = i;
    }

    #[inline]
    fn move_to_front(&mut self, i: u32) {
        if self.head != i {
            self.unlink(i);
            self.push_front(i);
        }
    }
}

/// TinyLFU frequency filter: a count-min sketch of 4-bit-style counters
/// (saturating at 15) over four rows, a one-bit doorkeeper in front of it, and
/// halving of every counter after `10 x capacity` recorded accesses so old
/// popularity fades.
#[derive(Clone, Debug)]
struct TinyLfu {
    /// Four rows of `width` counters, row-major.
    counters: Vec<u8>,
    /// `width - 1`; `width` is a power of two.
    mask: u64,
    doorkeeper: Vec<u64>,
    door_mask: u64,
    additions: u64,
    sample: u64,
}

const ROWS: usize = 4;
const COUNTER_MAX: u8 = 15;

impl TinyLfu {
    fn new(capacity: usize) -> TinyLfu {
        let width = capacity.clamp(16, 1 << 24).next_power_of_two();
        let door_bits = (capacity.clamp(64, 1 << 26) * 8).next_power_of_two();
        TinyLfu {
            counters: vec![0; width * ROWS],
            mask: width as u64 - 1,
            doorkeeper: vec![0; door_bits / 64],
            door_mask: door_bits as u64 - 1,
            additions: 0,
            sample: (capacity as u64).saturating_mul(10),
        }
    }

    #[inline]
    fn slot(&self, h: u64, row: usize) -> usize {
        // Double hashing: row r looks at h1 + r * h2.
        let h2 = (h >> 32) | 1;
        let idx = h.wrapping_add((row as u64).wrapping_mul(h2)) & self.mask;
        row * (self.mask as usize + 1) + idx as usize
    }

    #[inline]
    fn door_bits(&self, h: u64) -> [u64; 2] {
        let b = h.rotate_left(21).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        [b & self.door_mask, (b >> 32) & self.door_mask]
    }

    fn door_contains(&self, h: u64) -> bool {
        self.door_bits(h)
            .iter()
            .all(|&b| self.doorkeeper[(b / 64) as usize] & (1 << (b % 64)) != 0)
    }

    fn record(&mut self, h: u64) {
        if self.door_contains(h) {
            for row in 0..ROWS {
                let s = self.slot(h, row);
                if self.counters[s] < COUNTER_MAX {
                    self.counters[s] += 1;
                }
            }
        } else {
            for b in self.door_bits(h) {
                self.doorkeeper[(b / 64) as usize] |= 1 << (b % 64);
            }
        }
        self.additions += 1;
        if self.additions >= self.sample {
            for c in &mut self.counters {
                *c /= 2;
            }
            self.doorkeeper.iter_mut().for_each(|w| *w = 0);
            self.additions = 0;
        }
    }

    fn estimate(&self, h: u64) -> u32 {
        let cms = (0..ROWS)
            .map(|row| self.counters[self.slot(h, row)])
            .min()
            .unwrap_or(0);
        u32::from(cms) + u32::from(self.door_contains(h))
    }

    fn admit(&self, candidate: u64, victim: u64) -> bool {
        self.estimate(candidate) > self.estimate(victim)
    }
}
