//! Sharding: a consistent-hash ring with virtual nodes, and the fixed
//! hash-byte range map.
//!
//! Both map a key to a shard id (`u32`) through the key's 64-bit digest,
//! [`key_digest`] for `u64` keys and [`bytes_digest`] for byte strings. The
//! digest is xxHash64 (seed 0), implemented here, so it is identical on every
//! platform and in every process (it never touches std's `RandomState`);
//! `key_digest(k) == bytes_digest(&k.to_le_bytes())`.
//!
//! ```text
//!  HashRing: vnode points on a 2^64 circle; a key goes to the first point at
//!            or after its digest (wrapping round).
//!
//!        0 ──●a──────●b────●a──────────●c──●b─────── 2^64-1 ─┐
//!            ▲  key ─┘                                       │
//!            └──────────────── wraps ────────────────────────┘
//!
//!  RangeMap: the digest's first (most significant) byte picks a range.
//!        0x00..=0x3f -> 0 | 0x40..=0x7f -> 1 | 0x80..=0xbf -> 2 | 0xc0..=0xff -> 3
//! ```
//!
//! Neither depends on time, so neither takes a clock. The simulator picks one
//! through the [`Sharding`] enum; both implement the [`ShardMap`] trait.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

const P1: u64 = 0x9E37_79B1_85EB_CA87;
const P2: u64 = 0xC2B2_AE3D_27D4_EB4F;
const P3: u64 = 0x1656_67B1_9E37_79F9;
const P4: u64 = 0x85EB_CA77_C2B2_AE63;
const P5: u64 = 0x27D4_EB2F_1656_67C5;

#[inline]
fn xxh_round(acc: u64, input: u64) -> u64 {
    acc.wrapping_add(input.wrapping_mul(P2))
        .rotate_left(31)
        .wrapping_mul(P1)
}

#[inline]
fn xxh_merge(acc: u64, val: u64) -> u64 {
    (acc ^ xxh_round(0, val)).wrapping_mul(P1).wrapping_add(P4)
}

#[inline]
fn xxh_avalanche(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(P2);
    h ^= h >> 29;
    h = h.wrapping_mul(P3);
    h ^ (h >> 32)
}

#[inline]
fn read_u64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}

#[inline]
fn read_u32(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[..4]);
    u32::from_le_bytes(a)
}

/// xxHash64 of `data` with `seed` (the reference algorithm by Yann Collet,
/// little-endian reads, so the result is the same on every platform).
pub fn xxh64(data: &[u8], seed: u64) -> u64 {
    let len = data.len();
    let mut rest = data;
    let mut h = if len >= 32 {
        let mut v1 = seed.wrapping_add(P1).wrapping_add(P2);
        let mut v2 = seed.wrapping_add(P2);
        let mut v3 = seed;
        let mut v4 = seed.wrapping_sub(P1);
        while rest.len() >= 32 {
            v1 = xxh_round(v1, read_u64(&rest[0..]));
            v2 = xxh_round(v2, read_u64(&rest[8..]));
            v3 = xxh_round(v3, read_u64(&rest[16..]));
            v4 = xxh_round(v4, read_u64(&rest[24..]));
            rest = &rest[32..];
        }
        let mut h = v1
            .rotate_left(1)
            .wrapping_add(v2.rotate_left(7))
            .wrapping_add(v3.rotate_left(12))
            .wrapping_add(v4.rotate_left(18));
        h = xxh_merge(h, v1);
        h = xxh_merge(h, v2);
        h = xxh_merge(h, v3);
        xxh_merge(h, v4)
    } else {
        seed.wrapping_add(P5)
    };
    h = h.wrapping_add(len as u64);
    while rest.len() >= 8 {
        h ^= xxh_round(0, read_u64(rest));
        h = h.rotate_left(27).wrapping_mul(P1).wrapping_add(P4);
        rest = &rest[8..];
    }
    if rest.len() >= 4 {
        h ^= u64::from(read_u32(rest)).wrapping_mul(P1);
        h = h.rotate_left(23).wrapping_mul(P2).wrapping_add(P3);
        rest = &rest[4..];
    }
    for &b in rest {
        h ^= u64::from(b).wrapping_mul(P5);
        h = h.rotate_left(11).wrapping_mul(P1);
    }
    xxh_avalanche(h)
}

/// xxHash64 of the 8 little-endian bytes of `x` with `seed`; equal to
/// `xxh64(&x.to_le_bytes(), seed)`, without the loop.
#[inline]
pub fn xxh64_u64(x: u64, seed: u64) -> u64 {
    let mut h = seed.wrapping_add(P5).wrapping_add(8);
    h ^= xxh_round(0, x);
    h = h.rotate_left(27).wrapping_mul(P1).wrapping_add(P4);
    xxh_avalanche(h)
}

/// The digest of a `u64` key used by every [`ShardMap`]: `xxh64_u64(key, 0)`.
#[inline]
pub fn key_digest(key: u64) -> u64 {
    xxh64_u64(key, 0)
}

/// The digest of a byte-string key used by every [`ShardMap`]: `xxh64(key, 0)`.
#[inline]
pub fn bytes_digest(key: &[u8]) -> u64 {
    xxh64(key, 0)
}

/// Why a sharding change was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ShardError {
    /// A shard with this id is already present.
    DuplicateShard(u32),
    /// Another shard already uses this name (its points would coincide).
    DuplicateName(String),
    /// No shard with this id is present.
    UnknownShard(u32),
    /// A shard needs at least one virtual node.
    NoVirtualNodes(u32),
    /// A range map needs between 1 and 256 initial shards.
    BadShardCount(usize),
    /// `start > end` in a byte range.
    EmptyRange {
        /// First byte of the range.
        start: u8,
        /// Last byte of the range.
        end: u8,
    },
    /// The ranges given do not cover 0x00..=0xff exactly once, in order.
    NotAPartition,
    /// A split point must lie strictly inside a range (not at its start).
    NotASplitPoint(u8),
}

impl fmt::Display for ShardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShardError::DuplicateShard(id) => write!(f, "shard {id} is already present"),
            ShardError::DuplicateName(n) => write!(f, "shard name {n:?} is already used"),
            ShardError::UnknownShard(id) => write!(f, "no shard {id}"),
            ShardError::NoVirtualNodes(id) => {
                write!(f, "shard {id} needs at least one virtual node")
            }
            ShardError::BadShardCount(n) => {
                write!(f, "a range map needs 1 to 256 shards, got {n}")
            }
            ShardError::EmptyRange { start, end } => {
                write!(f, "empty byte range {start:#04x}..={end:#04x}")
            }
            ShardError::NotAPartition => {
                write!(f, "ranges must cover 0x00..=0xff contiguously, in order")
            }
            ShardError::NotASplitPoint(b) => {
                write!(f, "{b:#04x} is the start of a range, not a split point")
            }
        }
    }
}

impl std::error::Error for ShardError {}

/// Maps keys to shard ids. Implemented by [`HashRing`], [`RangeMap`] and the
/// [`Sharding`] enum.
pub trait ShardMap {
    /// The shard owning a key whose digest is `digest`; `None` if there are no shards.
    fn shard_for_digest(&self, digest: u64) -> Option<u32>;
    /// The shard owning the `u64` key `key`.
    fn shard_for(&self, key: u64) -> Option<u32> {
        self.shard_for_digest(key_digest(key))
    }
    /// The shard owning the byte-string key `key`.
    fn shard_for_bytes(&self, key: &[u8]) -> Option<u32> {
        self.shard_for_digest(bytes_digest(key))
    }
    /// The ids of the shards present, ascending.
    fn shard_ids(&self) -> Vec<u32>;
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct ShardInfo {
    name: Option<String>,
    vnodes: u32,
}

/// A consistent-hash ring with virtual nodes.
///
/// Virtual node `i` (0-based) of a shard sits at `xxh64(material, i)`, where
/// `material` is the shard's name in UTF-8 if it has one, otherwise its id as
/// 4 little-endian bytes. A key belongs to the first point at or after its
/// digest, wrapping round; on equal points the lower shard id wins. Lookup is a
/// binary search over the sorted points, O(log(shards x vnodes)).
///
/// ```
/// use scaletwin::algo::ring::{HashRing, ShardMap};
///
/// let mut ring = HashRing::with_shards(100, 0..4).unwrap();
/// let before = ring.shard_for(42).unwrap();
/// ring.add_shard(4).unwrap();
/// let after = ring.shard_for(42).unwrap();
/// assert!(after == before || after == 4); // keys only ever move to the new shard
/// assert_eq!(ring.shard_for_bytes(b"user:42"), ring.shard_for_bytes(b"user:42"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashRing {
    default_vnodes: u32,
    shards: BTreeMap<u32, ShardInfo>,
    /// Sorted point positions.
    points: Vec<u64>,
    /// Owner of each point, parallel to `points`.
    owners: Vec<u32>,
}

impl HashRing {
    /// An empty ring whose shards get `vnodes` virtual nodes by default.
    pub fn new(vnodes: u32) -> HashRing {
        HashRing {
            default_vnodes: vnodes,
            shards: BTreeMap::new(),
            points: Vec::new(),
            owners: Vec::new(),
        }
    }

    /// A ring with the shards `ids`, each with `vnodes` virtual nodes.
    pub fn with_shards(
        vnodes: u32,
        ids: impl IntoIterator<Item = u32>,
    ) -> Result<HashRing, ShardError> {
        let mut ring = HashRing::new(vnodes);
        for id in ids {
            ring.insert_info(id, None, vnodes)?;
        }
        ring.rebuild();
        Ok(ring)
    }

    /// Adds shard `id` with the default number of virtual nodes.
    pub fn add_shard(&mut self, id: u32) -> Result<(), ShardError> {
        self.add_shard_with(id, None, self.default_vnodes)
    }

    /// Adds shard `id` whose points are placed from `name` (so they survive renumbering).
    pub fn add_named_shard(&mut self, id: u32, name: &str) -> Result<(), ShardError> {
        self.add_shard_with(id, Some(name), self.default_vnodes)
    }

    /// Adds shard `id` with an optional name and its own number of virtual
    /// nodes (a weight: its expected share is proportional to `vnodes`).
    pub fn add_shard_with(
        &mut self,
        id: u32,
        name: Option<&str>,
        vnodes: u32,
    ) -> Result<(), ShardError> {
        self.insert_info(id, name, vnodes)?;
        self.rebuild();
        Ok(())
    }

    /// Removes shard `id`; its keys move to the shards owning the next points.
    pub fn remove_shard(&mut self, id: u32) -> Result<(), ShardError> {
        self.shards
            .remove(&id)
            .ok_or(ShardError::UnknownShard(id))?;
        let mut k = 0;
        for j in 0..self.points.len() {
            if self.owners[j] != id {
                self.points[k] = self.points[j];
                self.owners[k] = self.owners[j];
                k += 1;
            }
        }
        self.points.truncate(k);
        self.owners.truncate(k);
        Ok(())
    }

    /// True if shard `id` is present.
    pub fn contains_shard(&self, id: u32) -> bool {
        self.shards.contains_key(&id)
    }

    /// The name of shard `id`, if it has one.
    pub fn shard_name(&self, id: u32) -> Option<&str> {
        self.shards.get(&id).and_then(|s| s.name.as_deref())
    }

    /// Number of shards.
    pub fn len(&self) -> usize {
        self.shards.len()
    }

    /// True if the ring has no shards.
    pub fn is_empty(&self) -> bool {
        self.shards.is_empty()
    }

    /// Number of points (virtual nodes) on the ring.
    pub fn point_count(&self) -> usize {
        self.points.len()
    }

    /// The points as `(position, shard id)`, ascending.
    pub fn points(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.points.iter().copied().zip(self.owners.iter().copied())
    }

    /// The position of virtual node `i` of a shard with this id and name.
    pub fn vnode_position(id: u32, name: Option<&str>, i: u32) -> u64 {
        match name {
            Some(n) => xxh64(n.as_bytes(), u64::from(i)),
            None => xxh64(&id.to_le_bytes(), u64::from(i)),
        }
    }

    fn insert_info(&mut self, id: u32, name: Option<&str>, vnodes: u32) -> Result<(), ShardError> {
        if self.shards.contains_key(&id) {
            return Err(ShardError::DuplicateShard(id));
        }
        if vnodes == 0 {
            return Err(ShardError::NoVirtualNodes(id));
        }
        if let Some(n) = name {
            if self.shards.values().any(|s| s.name.as_deref() == Some(n)) {
                return Err(ShardError::DuplicateName(n.to_string()));
            }
        }
        self.shards.insert(
            id,
            ShardInfo {
                name: name.map(str::to_string),
                vnodes,
            },
        );
        Ok(())
    }

    fn rebuild(&mut self) {
        let mut pts: Vec<(u64, u32)> = Vec::new();
        for (&id, info) in &self.shards {
            for i in 0..info.vnodes {
                pts.push((HashRing::vnode_position(id, info.name.as_deref(), i), id));
            }
        }
        pts.sort_unstable();
        self.points = pts.iter().map(|p| p.0).collect();
        self.owners = pts.iter().map(|p| p.1).collect();
    }
}

impl ShardMap for HashRing {
    #[inline]
    fn shard_for_digest(&self, digest: u64) -> Option<u32> {
        if self.points.is_empty() {
            return None;
        }
        let i = self.points.partition_point(|&p| p < digest);
        let i = if i == self.points.len() { 0 } else { i };
        Some(self.owners[i])
    }

    fn shard_ids(&self) -> Vec<u32> {
        self.shards.keys().copied().collect()
    }
}

/// A contiguous, inclusive range of digest first bytes owned by one shard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteRange {
    /// First byte of the range.
    pub start: u8,
    /// Last byte of the range (inclusive).
    pub end: u8,
    /// The owning shard.
    pub shard: u32,
}

/// The fixed hash-byte range map: the first (most significant) byte of a
/// key's digest picks a shard by contiguous ranges. Adjacent ranges of the same
/// shard are merged, so [`RangeMap::ranges`] is canonical. Lookup is one table
/// read.
///
/// ```
/// use scaletwin::algo::ring::{ByteRange, RangeMap, ShardMap};
///
/// let mut map = RangeMap::even(&[0, 1, 2, 3]).unwrap();
/// assert_eq!(map.ranges()[1], ByteRange { start: 0x40, end: 0x7f, shard: 1 });
/// map.split(0x60, 4).unwrap(); // hot range: move 0x60..=0x7f to a new shard
/// assert_eq!(map.shard_for_byte(0x5f), 1);
/// assert_eq!(map.shard_for_byte(0x60), 4);
/// assert!(map.shard_for(42).is_some());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeMap {
    /// Owner of each first byte (boxed to keep [`Sharding`] small).
    table: Box<[u32; 256]>,
    ranges: Vec<ByteRange>,
}

impl RangeMap {
    /// Splits the 256 byte values into `shards.len()` contiguous ranges as even
    /// as possible (range `i` starts at `i * 256 / n`), in the order given.
    pub fn even(shards: &[u32]) -> Result<RangeMap, ShardError> {
        let n = shards.len();
        if n == 0 || n > 256 {
            return Err(ShardError::BadShardCount(n));
        }
        let mut table = [0u32; 256];
        for (b, slot) in table.iter_mut().enumerate() {
            *slot = shards[b * n / 256];
        }
        Ok(RangeMap::from_table(table))
    }

    /// A map from explicit ranges, which must cover 0x00..=0xff in order.
    pub fn from_ranges(ranges: &[ByteRange]) -> Result<RangeMap, ShardError> {
        let mut next: u16 = 0;
        let mut table = [0u32; 256];
        for r in ranges {
            if r.start > r.end {
                return Err(ShardError::EmptyRange {
                    start: r.start,
                    end: r.end,
                });
            }
            if u16::from(r.start) != next {
                return Err(ShardError::NotAPartition);
            }
            table[usize::from(r.start)..=usize::from(r.end)].fill(r.shard);
            next = u16::from(r.end) + 1;
        }
        if next != 256 {
            return Err(ShardError::NotAPartition);
        }
        Ok(RangeMap::from_table(table))
    }

    fn from_table(table: [u32; 256]) -> RangeMap {
        let mut map = RangeMap {
            table: Box::new(table),
            ranges: Vec::new(),
        };
        map.rebuild_ranges();
        map
    }

    fn rebuild_ranges(&mut self) {
        self.ranges.clear();
        let mut start = 0usize;
        for b in 1..=256usize {
            if b == 256 || self.table[b] != self.table[start] {
                self.ranges.push(ByteRange {
                    start: start as u8,
                    end: (b - 1) as u8,
                    shard: self.table[start],
                });
                start = b;
            }
        }
    }

    /// The ranges, ascending and canonical (no two adjacent with the same shard).
    pub fn ranges(&self) -> &[ByteRange] {
        &self.ranges
    }

    /// The shard owning digests whose first byte is `b`.
    #[inline]
    pub fn shard_for_byte(&self, b: u8) -> u32 {
        self.table[usize::from(b)]
    }

    /// Splits the range containing `at` so that `at..=end` goes to `shard`.
    pub fn split(&mut self, at: u8, shard: u32) -> Result<(), ShardError> {
        let r = *self
            .ranges
            .iter()
            .find(|r| r.start <= at && at <= r.end)
            .expect("ranges cover every byte");
        if r.start == at {
            return Err(ShardError::NotASplitPoint(at));
        }
        self.assign(at, r.end, shard)
    }

    /// Assigns the bytes `start..=end` to `shard`, whatever owned them before.
    pub fn assign(&mut self, start: u8, end: u8, shard: u32) -> Result<(), ShardError> {
        if start > end {
            return Err(ShardError::EmptyRange { start, end });
        }
        self.table[usize::from(start)..=usize::from(end)].fill(shard);
        self.rebuild_ranges();
        Ok(())
    }
}

impl ShardMap for RangeMap {
    #[inline]
    fn shard_for_digest(&self, digest: u64) -> Option<u32> {
        Some(self.table[(digest >> 56) as usize])
    }

    fn shard_ids(&self) -> Vec<u32> {
        let set: BTreeSet<u32> = self.table.iter().copied().collect();
        set.into_iter().collect()
    }
}

/// Either sharding scheme, chosen by the scenario.
///
/// ```
/// use scaletwin::algo::ring::{HashRing, RangeMap, ShardMap, Sharding};
///
/// let schemes = [
///     Sharding::Ring(HashRing::with_shards(100, 0..4).unwrap()),
///     Sharding::Ranges(RangeMap::even(&[0, 1, 2, 3]).unwrap()),
/// ];
/// for s in &schemes {
///     assert!(s.shard_for(7).unwrap() < 4);
///     assert_eq!(s.shard_ids(), vec![0, 1, 2, 3]);
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sharding {
    /// Consistent hashing with virtual nodes.
    Ring(HashRing),
    /// Fixed hash-byte ranges.
    Ranges(RangeMap),
}

impl ShardMap for Sharding {
    #[inline]
    fn shard_for_digest(&self, digest: u64) -> Option<u32> {
        match self {
            Sharding::Ring(r) => r.shard_for_digest(digest),
            Sharding::Ranges(m) => m.shard_for_digest(digest),
        }
    }

    fn shard_ids(&self) -> Vec<u32> {
        match self {
            Sharding::Ring(r) => r.shard_ids(),
            Sharding::Ranges(m) => m.shard_ids(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xxh64_matches_reference_vectors() {
        assert_eq!(xxh64(b"", 0), 0xEF46_DB37_51D8_E999);
        assert_eq!(xxh64(b"a", 0), 0xD24E_C4F1_A98C_6E5B);
        assert_eq!(xxh64(b"abc", 0), 0x44BC_2CF5_AD77_0999);
    }

    #[test]
    fn u64_fast_path_matches_bytes() {
        for x in [0u64, 1, 42, u64::MAX, 0x0123_4567_89ab_cdef] {
            for seed in [0u64, 7] {
                assert_eq!(xxh64_u64(x, seed), xxh64(&x.to_le_bytes(), seed));
            }
        }
    }
}
