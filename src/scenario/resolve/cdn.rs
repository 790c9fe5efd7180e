//! `Cdn` components: edge caches in front of the origin, one per point of presence.

use super::context::Context;
use super::samplers::Stage;
use crate::algo::cache::CacheConfig;
use crate::scenario::plan::CdnSpec;
use crate::scenario::schema;

/// Checks CDN component `i` and resolves it.
pub(crate) fn resolve(cx: &mut Context, i: usize, c: &schema::Cdn) -> CdnSpec {
    let at = |f: &str| format!("components[{i}].{f}");
    let given = cx.has_regions();
    let (pops, pop_in) = super::regions::resolve_pops(
        &mut cx.problems,
        &at("pops"),
        cx.regions.as_ref(),
        given,
        &c.pops,
    );
    let most = u64::from(u32::MAX - 1);
    if c.capacity == 0 || c.capacity > most {
        cx.problems.add_at(
            at("capacity"),
            format!(
                "a CDN's capacity must be from 1 to {most} objects, not {}",
                c.capacity
            ),
            &c.name,
        );
    }
    super::checks::check_nonzero(
        &mut cx.problems,
        at("ttl"),
        Some(&c.name),
        c.ttl.nanos(),
        "a CDN's ttl (s-maxage) must be longer than zero",
    );
    let latency = cx
        .samplers
        .add(Stage::CdnLatency, &at("latency"), &c.latency);
    CdnSpec {
        name: c.name.clone(),
        cache: CacheConfig::lru(c.capacity as usize)
            .ttl(c.ttl.nanos())
            .stale_while_revalidate(c.stale_while_revalidate.nanos()),
        latency: latency.unwrap_or(0),
        response_bytes: c.response_bytes,
        pops,
        pop_in,
    }
}
