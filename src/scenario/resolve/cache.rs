//! `Cache` components: shared cache servers, the named tiers of `CacheAside`.

use super::checks::{check_count, check_nonzero, sizes};
use super::context::Context;
use super::samplers::Stage;
use crate::scenario::plan::CacheSpec;
use crate::scenario::schema;

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
    let latency = cx
        .samplers
        .add(Stage::CacheLatency, &at("latency"), &c.latency);
    CacheSpec {
        name: c.name.clone(),
        capacity: c.capacity.map(|c| c as usize),
        ttl: c.ttl.map(|t| t.nanos()),
        latency: latency.unwrap_or(0),
        concurrency: c.concurrency,
    }
}
