//! Faults on pods and nodes: `ZoneDown`, `KillPods`, `ReclaimSpot`, and
//! the rolling update `Deploy`.

use super::autoscale::MAX_ZONES;
use super::context::{list, Context};
use super::faults::until;
use crate::algo::Nanos;
use crate::scenario::plan::{FaultKind, FaultSpec};
use crate::scenario::schema::{self, Component, ComponentKind};
use crate::scenario::suggest::hint;
use crate::scenario::units::IntOrPercent;

/// Resolves a `ZoneDown` fault (fault `i`): every Deployment spread over the
/// zone (in the given region, if any) is hit. `before`: the problem count
/// before this fault's checks.
pub(crate) fn zone_down(
    cx: &mut Context,
    i: usize,
    f: &schema::ZoneDown,
    before: usize,
) -> Option<FaultSpec> {
    let path = |field: &str| format!("faults[{i}].{field}");
    let (zone, region) = (&f.zone, &f.region);
    if f.length.is_some_and(|l| l.nanos() == Nanos::ZERO) {
        cx.problems
            .add(path("for"), "an outage must last longer than zero");
    }
    if let Some(r) = region {
        cx.region(path("region"), r);
    }
    // (deployment index, zone index) of every match, and the regions they are in.
    let mut targets = Vec::new();
    let mut known = Vec::new();
    let mut in_regions: Vec<Option<&str>> = Vec::new();
    for (d, c) in cx.components_of(ComponentKind::Deployment).enumerate() {
        let Component::Deployment(dep) = c else {
            continue;
        };
        let Some(zones) = &dep.zones else { continue };
        for z in zones {
            if !known.contains(&z.as_str()) {
                known.push(z.as_str());
            }
        }
        let Some(k) = zones.iter().position(|z| z == zone) else {
            continue;
        };
        if region.is_some() && dep.region != *region {
            continue;
        }
        targets.push((d, k.min(MAX_ZONES - 1) as u8));
        if !in_regions.contains(&dep.region.as_deref()) {
            in_regions.push(dep.region.as_deref());
        }
    }
    if targets.is_empty() && cx.problems.len() == before {
        let within = region
            .as_ref()
            .map_or(String::new(), |r| format!(" in region \"{r}\""));
        cx.problems.add_at(
            path("zone"),
            format!(
                "no Deployment{within} is spread over a zone named \"{zone}\" (Deployment `zones`); zones: {}",
                list(&known)
            ),
            zone,
        );
    }
    if region.is_none() && in_regions.len() > 1 {
        let names: Vec<&str> = in_regions.iter().map(|r| r.unwrap_or("(none)")).collect();
        cx.problems.add(
            path("region"),
            format!(
                "zone \"{zone}\" exists in several regions ({}); name the region it is in",
                list(&names)
            ),
        );
    }
    if cx.problems.len() > before {
        return None;
    }
    let label = match region {
        Some(r) => format!("ZoneDown({r}/{zone})"),
        None => format!("ZoneDown({zone})"),
    };
    Some(FaultSpec {
        label,
        at: f.at.nanos(),
        until: until(f.at, f.length),
        kind: FaultKind::ZoneDown { targets },
    })
}

/// The index of the Deployment a fault names (reported if there is none).
fn deployment(cx: &mut Context, i: usize, deployment: &str) -> Option<usize> {
    let idx = cx.index_of(deployment, ComponentKind::Deployment);
    if idx.is_none() {
        let names = cx.names_of(ComponentKind::Deployment);
        cx.problems.add_at(
            format!("faults[{i}].deployment"),
            format!(
                "no Deployment is named \"{deployment}\";{} Deployments: {}",
                hint(deployment, names.iter().copied()),
                list(&names)
            ),
            deployment,
        );
    }
    idx
}

/// Resolves a `KillPods` fault (fault `i`); `before`: the problem count
/// before this fault's checks.
pub(crate) fn kill_pods(
    cx: &mut Context,
    i: usize,
    f: &schema::KillPods,
    before: usize,
) -> Option<FaultSpec> {
    let idx = deployment(cx, i, &f.deployment);
    if f.count == 0 {
        cx.problems.add(
            format!("faults[{i}].count"),
            "KillPods must kill at least 1 pod",
        );
    }
    if cx.problems.len() > before {
        return None;
    }
    Some(FaultSpec {
        label: format!("KillPods({} x{})", f.deployment, f.count),
        at: f.at.nanos(),
        until: None,
        kind: FaultKind::KillPods {
            deployment: idx?,
            count: f.count,
        },
    })
}

/// Resolves a `ReclaimSpot` fault (fault `i`) of `count` nodes or a
/// `fraction` of them; `before`: the problem count before its checks.
pub(crate) fn reclaim_spot(
    cx: &mut Context,
    i: usize,
    f: &schema::ReclaimSpot,
    before: usize,
) -> Option<FaultSpec> {
    let path = |field: &str| format!("faults[{i}].{field}");
    let idx = deployment(cx, i, &f.deployment);
    if let Some(d) = idx {
        let c = &cx.scenario.components[cx.position(ComponentKind::Deployment, d)];
        let spot = matches!(c, Component::Deployment(dep) if dep.nodes.as_ref().is_some_and(|n| n.spot_fraction > 0.0));
        if !spot {
            cx.problems.add(path("deployment"), format!("ReclaimSpot needs a Deployment with spot nodes (nodes: (.., spot_fraction: > 0)); \"{}\" has none", f.deployment));
        }
    }
    let p = &mut cx.problems;
    match (f.count, f.fraction) {
        (Some(0), None) => p.add(path("count"), "ReclaimSpot must reclaim at least 1 node"),
        (Some(_), None) => {}
        (None, Some(x)) => {
            if !x.is_finite() || x <= 0.0 || x > 1.0 {
                p.add(
                    path("fraction"),
                    format!(
                        "fraction must be a share of the spot nodes, above 0 and at most 1, not {}",
                        super::checks::number(x)
                    ),
                );
            }
        }
        _ => p.add(
            path("count"),
            "give exactly one of count (nodes) or fraction (share of spot nodes)",
        ),
    }
    if cx.problems.len() > before {
        return None;
    }
    let what = match (f.count, f.fraction) {
        (Some(c), _) => format!("{c}"),
        (None, Some(x)) => format!("{}%", x * 100.0),
        _ => String::new(),
    };
    Some(FaultSpec {
        label: format!("ReclaimSpot({} {what})", f.deployment),
        at: f.at.nanos(),
        until: None,
        kind: FaultKind::ReclaimSpot {
            deployment: idx?,
            count: f.count,
            fraction: f.fraction.unwrap_or(1.0),
        },
    })
}

/// Resolves a `Deploy` (fault `i`): the deployment and the rollout's
/// `max_surge` and `max_unavailable` (default 25% each; as Kubernetes
/// validates them: not both zero, `max_unavailable` at most 100%);
/// `before`: the problem count before its checks.
pub(crate) fn deploy(
    cx: &mut Context,
    i: usize,
    f: &schema::Deploy,
    before: usize,
) -> Option<FaultSpec> {
    let idx = deployment(cx, i, &f.deployment);
    let max_surge = f.max_surge.unwrap_or(IntOrPercent::Percent(25));
    let max_unavailable = f.max_unavailable.unwrap_or(IntOrPercent::Percent(25));
    if max_surge.is_zero() && max_unavailable.is_zero() {
        cx.problems.add(
            format!("faults[{i}].max_unavailable"),
            "max_surge and max_unavailable cannot both be zero (the rollout could never start); \
             give one of them at least 1 pod or 1%",
        );
    }
    if let IntOrPercent::Percent(p @ 101..) = max_unavailable {
        cx.problems.add(
            format!("faults[{i}].max_unavailable"),
            format!("max_unavailable is at most 100%, not {p}%"),
        );
    }
    if cx.problems.len() > before {
        return None;
    }
    Some(FaultSpec {
        label: format!("Deploy({})", f.deployment),
        at: f.at.nanos(),
        until: None,
        kind: FaultKind::Deploy {
            deployment: idx?,
            max_surge,
            max_unavailable,
        },
    })
}
