//! `Cache` components: shared cache servers, the named tiers of `CacheAside`.

use super::checks::{check_count, check_nonzero, sizes};
use super::context::Context;
use super::samplers::Stage;
use crate::cost as prices;
use crate::scenario::plan::CacheSpec;
use crate::scenario::schema::{self, Scenario};

/// Redis's memory per entry beyond its key and value bytes: the main
/// dictionary's `dictEntry` (24 bytes), the value's `robj` (16), the key's
/// and value's SDS headers and jemalloc's rounding to its size classes
/// (measured at about 50 to 90 bytes an entry): 64 bytes.
pub const REDIS_ENTRY_OVERHEAD: u64 = 64;
/// With a TTL each key also has an entry in the `expires` dictionary.
pub const REDIS_EXPIRES_OVERHEAD: u64 = 24;

/// How many entries a cache's node memory holds at its item size.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryBound {
    /// The node class.
    pub node: String,
    /// Its `maxmemory`, GiB.
    pub gib: f64,
    /// Bytes one entry takes (item size plus Redis's overhead).
    pub entry_bytes: u64,
    /// Entries that fit: `floor(maxmemory / entry_bytes)`.
    pub entries: u64,
}

/// The node class cache `c` runs on: its own, or the price table's default.
fn node_class(s: &Scenario, c: &schema::Cache) -> Option<String> {
    if let Some(node) = &c.node {
        return Some(node.clone());
    }
    let table = s
        .prices
        .as_ref()
        .and_then(|p| p.table.as_deref())
        .unwrap_or(prices::DEFAULT_TABLE);
    prices::bundled(table).map(|t| t.default_cache_node)
}

/// The entries cache `c`'s node memory holds, when it declares an item
/// size and runs on a node class of known memory.
pub fn memory_bound(s: &Scenario, c: &schema::Cache) -> Option<MemoryBound> {
    let item = c.item_size?.0;
    let node = node_class(s, c)?;
    let gib = prices::cache_node_memory_gib(&node)?;
    let overhead = REDIS_ENTRY_OVERHEAD
        + if c.ttl.is_some() {
            REDIS_EXPIRES_OVERHEAD
        } else {
            0
        };
    let entry_bytes = item.saturating_add(overhead);
    let maxmemory = libm::round(gib * f64::from(1u32 << 30)) as u64;
    Some(MemoryBound {
        node,
        gib,
        entry_bytes,
        entries: maxmemory / entry_bytes,
    })
}

/// The capacity cache `c` runs with: its declared capacity, capped by its
/// node's memory when it declares an item size (checks in [`resolve`]).
fn effective_capacity(s: &Scenario, c: &schema::Cache) -> Option<usize> {
    let bound = memory_bound(s, c).map(|b| b.entries.max(1));
    match (c.capacity, bound) {
        (Some(cap), Some(b)) => Some(cap.min(b) as usize),
        (cap, b) => cap.or(b).map(|x| x as usize),
    }
}

/// Checks `item_size`: a size from 1 byte to 512 MiB (Redis's largest
/// string) on a node class whose memory is known.
fn check_item_size(cx: &mut Context, i: usize, c: &schema::Cache) {
    let Some(size) = c.item_size else { return };
    let at = format!("components[{i}].item_size");
    let name = c.name.as_str();
    if !(1..=512 << 20).contains(&size.0) {
        cx.problems.add_at(
            at,
            format!(
                "an item takes from 1 byte to 512Mi (Redis's largest value), not {} bytes",
                size.0
            ),
            name,
        );
        return;
    }
    if let Some(node) = node_class(cx.scenario, c) {
        if prices::cache_node_memory_gib(&node).is_none() {
            let known: Vec<&str> = prices::cache_node_classes().collect();
            cx.problems.add_at(
                at,
                format!(
                    "item_size bounds the cache by its node's memory, and the memory of node class \"{node}\" is not known: use one of {}",
                    known.join(", ")
                ),
                name,
            );
        }
    }
}

/// Checks cache component `i` and resolves it.
pub(crate) fn resolve(cx: &mut Context, i: usize, c: &schema::Cache) -> CacheSpec {
    let at = |f: &str| format!("components[{i}].{f}");
    let name = c.name.as_str();
    let p = &mut cx.problems;
    if let Some(capacity) = c.capacity {
        if capacity == 0 || capacity > 1_000_000_000 {
            p.add_at(at("capacity"), format!("capacity must be from 1 to 1000000000 entries (leave it out for unlimited), not {capacity}"), name);
        }
    }
    if let Some(ttl) = c.ttl {
        check_nonzero(
            p,
            at("ttl"),
            Some(name),
            ttl.nanos(),
            "a TTL must be longer than zero (leave it out for none)",
        );
    }
    if name == "L1" {
        p.add_at(at("name"), "L1 names the pods' own cache tier in `CacheAside`/`Invalidate`; give the Cache another name", name);
    }
    if c.capacity.is_none() && c.ttl.is_none() {
        p.add_at(
            at("capacity"),
            "a cache needs a capacity, a ttl or both; with neither it would grow without bound",
            name,
        );
    }
    check_count(
        p,
        at("concurrency"),
        Some(name),
        "concurrency",
        c.concurrency,
        sizes(),
    );
    check_item_size(cx, i, c);
    let latency = cx
        .samplers
        .add(Stage::CacheLatency, &at("latency"), &c.latency);
    CacheSpec {
        name: c.name.clone(),
        capacity: effective_capacity(cx.scenario, c),
        ttl: c.ttl.map(|t| t.nanos()),
        latency: latency.unwrap_or(0),
        concurrency: c.concurrency,
    }
}
