//! The endpoints' references (balancers, dependencies, CDNs, queues, other
//! endpoints) and their call graph: no cycles, bounded depth and size.

use super::context::{list, Context};
use crate::scenario::graph::Topology;
use crate::scenario::schema::{Component, ComponentKind, Scenario, Step};
use crate::scenario::suggest::hint;

/// Checks that every name a step refers to resolves to the right kind.
pub(crate) fn check_references(cx: &mut Context) {
    let s = cx.scenario;
    let endpoint_names: Vec<&str> = s.endpoints.keys().map(String::as_str).collect();
    for (ep, steps) in &s.endpoints {
        if steps.is_empty() {
            cx.problems.add_at(
                format!("endpoints.{ep}"),
                "an endpoint needs at least one step",
                ep,
            );
        }
        for (path, step) in flatten(&format!("endpoints.{ep}"), steps) {
            match step {
                Step::Lb(lb) => {
                    cx.lookup(path, lb, ComponentKind::LoadBalancer);
                }
                Step::External { dependency, .. } => {
                    cx.lookup(path, dependency, ComponentKind::Dependency);
                }
                // The guard resolves the name (reporting an unknown Cdn) in any case.
                Step::Cdn(cdn)
                    if cx.lookup(path.clone(), cdn, ComponentKind::Cdn).is_some()
                        && s.workload.keys.is_none()
                        && !has_own_objects(s, cdn, ep) =>
                {
                    cx.problems.add_at(
                        path,
                        "a Cdn step caches by key: set workload.keys (count and popularity)",
                        cdn,
                    );
                }
                Step::Enqueue { queue, .. } => {
                    cx.lookup(format!("{path}.queue"), queue, ComponentKind::Queue);
                }
                Step::Session { cache, .. } => {
                    cx.lookup(format!("{path}.cache"), cache, ComponentKind::Cache);
                }
                Step::Call(target)
                | Step::CallWith {
                    endpoint: target, ..
                } if !s.endpoints.contains_key(target) => {
                    cx.problems.add_at(
                        path,
                        format!(
                            "no endpoint is named \"{target}\";{} endpoints: {}",
                            hint(target, endpoint_names.iter().copied()),
                            list(&endpoint_names)
                        ),
                        target,
                    );
                }
                _ => {}
            }
        }
    }
}

/// Whether endpoint `ep` is in a class of CDN `cdn` that has its own
/// objects (so its lookups need no data keys).
fn has_own_objects(s: &Scenario, cdn: &str, ep: &str) -> bool {
    s.components.iter().any(|c| match c {
        Component::Cdn(c) if c.name == cdn => c
            .classes
            .iter()
            .any(|k| k.objects.is_some() && k.used_by.iter().any(|e| e == ep)),
        _ => false,
    })
}

/// The steps of a list with the fallbacks of its `External` steps and the
/// lists of its `CacheAside` steps after them (breadth first), each with
/// its path.
fn flatten<'s>(base: &str, steps: &'s [Step]) -> Vec<(String, &'s Step)> {
    let mut flat: Vec<(String, &Step)> = steps
        .iter()
        .enumerate()
        .map(|(j, st)| (format!("{base}[{j}]"), st))
        .collect();
    let mut next = 0;
    while next < flat.len() {
        if let Step::External { fallback, .. } = flat[next].1 {
            let base = flat[next].0.clone();
            for (k, st) in fallback.iter().enumerate() {
                flat.push((format!("{base}.fallback[{k}]"), st));
            }
        }
        if let Step::CacheAside {
            on_miss,
            after_round_trip,
            ..
        } = flat[next].1
        {
            let base = flat[next].0.clone();
            for (field, steps) in [("on_miss", on_miss), ("after_round_trip", after_round_trip)] {
                for (k, st) in steps.iter().enumerate() {
                    flat.push((format!("{base}.{field}[{k}]"), st));
                }
            }
        }
        super::client_calls::flatten_into(&mut flat, next);
        next += 1;
    }
    flat
}

/// Checks the call graph: no endpoint calls itself through others, and
/// the calls stay within their depth and size limits.
pub(crate) fn check_calls(cx: &mut Context) {
    let s = cx.scenario;
    let topology = Topology::new(s);
    if let Some(cycle) = topology.call_cycle() {
        cx.problems.add_at(
            format!("endpoints.{}", cycle[0]),
            format!(
                "endpoints call each other in a loop ({} -> {}); a request would never finish",
                cycle.join(" -> "),
                cycle[0]
            ),
            &cycle[0],
        );
    } else {
        super::calls::check(s, &mut cx.problems);
    }
}
