//! `Cdn` components: edge caches in front of the origin, one per point of
//! presence, with a cache per content class.

use super::context::{list, Context};
use super::samplers::Stage;
use crate::algo::cache::CacheConfig;
use crate::scenario::plan::{CdnClassSpec, CdnSpec};
use crate::scenario::schema;
use crate::scenario::suggest::hint;

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
    check_capacity(cx, &at("capacity"), &c.name, c.capacity);
    check_ttl(cx, &at("ttl"), &c.name, c.ttl.nanos());
    let latency = cx
        .samplers
        .add(Stage::CdnLatency, &at("latency"), &c.latency);
    let mut classes = vec![CdnClassSpec {
        name: String::new(),
        cache: CacheConfig::lru(c.capacity as usize)
            .ttl(c.ttl.nanos())
            .stale_while_revalidate(c.stale_while_revalidate.nanos()),
        response_bytes: c.response_bytes,
        objects: None,
    }];
    let mut class_of = vec![0u8; cx.scenario.endpoints.len()];
    if c.classes.len() > usize::from(u8::MAX) - 1 {
        cx.problems.add_at(
            at("classes"),
            format!("a CDN has at most 254 classes, not {}", c.classes.len()),
            &c.name,
        );
        return spec(c, latency, classes, class_of, pops, pop_in);
    }
    for (k, class) in c.classes.iter().enumerate() {
        let path = at(&format!("classes[{k}]"));
        if c.classes[..k].iter().any(|o| o.name == class.name) {
            cx.problems.add_at(
                format!("{path}.name"),
                format!("two classes of this CDN are named \"{}\"", class.name),
                &class.name,
            );
        }
        assign_endpoints(cx, &path, class, k as u8 + 1, &mut class_of);
        classes.push(resolve_class(cx, &path, c, class));
    }
    spec(c, latency, classes, class_of, pops, pop_in)
}

fn spec(
    c: &schema::Cdn,
    latency: Option<u32>,
    classes: Vec<CdnClassSpec>,
    class_of: Vec<u8>,
    pops: Vec<u8>,
    pop_in: Vec<Option<u8>>,
) -> CdnSpec {
    CdnSpec {
        name: c.name.clone(),
        classes,
        class_of,
        latency: latency.unwrap_or(0),
        pops,
        pop_in,
    }
}

/// Class `class` (number `n`, 1-based) of the CDN: its cache and objects.
fn resolve_class(
    cx: &mut Context,
    path: &str,
    c: &schema::Cdn,
    class: &schema::CdnClass,
) -> CdnClassSpec {
    let capacity = class.capacity.unwrap_or(c.capacity);
    check_capacity(cx, &format!("{path}.capacity"), &class.name, capacity);
    check_ttl(cx, &format!("{path}.ttl"), &class.name, class.ttl.nanos());
    let objects = class.objects.as_ref().and_then(|pop| {
        super::workload::resolve_population(&mut cx.problems, &format!("{path}.objects"), pop)
    });
    CdnClassSpec {
        name: class.name.clone(),
        cache: CacheConfig::lru(capacity as usize)
            .ttl(class.ttl.nanos())
            .stale_while_revalidate(class.stale_while_revalidate.nanos()),
        response_bytes: class.response_bytes,
        objects,
    }
}

/// Marks the endpoints class number `n` names as using it.
fn assign_endpoints(
    cx: &mut Context,
    path: &str,
    class: &schema::CdnClass,
    n: u8,
    class_of: &mut [u8],
) {
    let names: Vec<&str> = cx.scenario.endpoints.keys().map(String::as_str).collect();
    if class.used_by.is_empty() {
        cx.problems.add_at(
            format!("{path}.used_by"),
            "a CDN class needs at least one endpoint",
            &class.name,
        );
    }
    for (j, ep) in class.used_by.iter().enumerate() {
        let at = format!("{path}.used_by[{j}]");
        match names.iter().position(|x| x == ep) {
            None => cx.problems.add_at(
                at,
                format!(
                    "no endpoint is named \"{ep}\";{} endpoints: {}",
                    hint(ep, names.iter().copied()),
                    list(&names)
                ),
                ep,
            ),
            Some(e) if class_of[e] != 0 => cx.problems.add_at(
                at,
                format!("endpoint \"{ep}\" is already in another class of this CDN"),
                ep,
            ),
            Some(e) => class_of[e] = n,
        }
    }
}

fn check_capacity(cx: &mut Context, path: &str, name: &str, capacity: u64) {
    let most = u64::from(u32::MAX - 1);
    if capacity == 0 || capacity > most {
        cx.problems.add_at(
            path,
            format!("a CDN's capacity must be from 1 to {most} objects, not {capacity}"),
            name,
        );
    }
}

fn check_ttl(cx: &mut Context, path: &str, name: &str, ttl: crate::algo::Nanos) {
    super::checks::check_nonzero(
        &mut cx.problems,
        path.to_owned(),
        Some(name),
        ttl,
        "a CDN's ttl (s-maxage) must be longer than zero",
    );
}
