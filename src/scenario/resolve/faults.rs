//! The `faults` list: what each fault hits, and when. Faults on pods and
//! nodes (`KillPods`, `ReclaimSpot`, `ZoneDown`, `Deploy`) are in [`super::pod_faults`].

use super::checks::check_finite;
use super::context::{list, Context};
use crate::algo::Nanos;
use crate::scenario::plan::{FaultKind, FaultSpec, FlushTarget, StationRef};
use crate::scenario::schema::{self, Component, ComponentKind, Fault};
use crate::scenario::suggest::hint;
use crate::scenario::units::Duration;

/// Most faults in one scenario (the simulator numbers them with 16 bits).
pub const MAX_FAULTS: usize = 10_000;

/// Checks every fault and resolves those without problems.
pub(crate) fn resolve(cx: &mut Context, duration: Nanos) -> Vec<FaultSpec> {
    let s = cx.scenario;
    if s.faults.len() > MAX_FAULTS {
        cx.problems.add(
            "faults",
            format!(
                "a scenario has at most {MAX_FAULTS} faults, not {}",
                s.faults.len()
            ),
        );
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, f) in s.faults.iter().enumerate() {
        let before = cx.problems.len();
        // A Slowdown checks its start after its target and factor.
        if !matches!(f, Fault::Slowdown(_)) {
            starts_in_run(cx, i, f.at(), duration);
        }
        let spec = match f {
            Fault::Slowdown(x) => slowdown(cx, i, x, duration),
            Fault::FailDependency(x) => fail_dependency(cx, i, x),
            Fault::PurgeCdn(x) => purge_cdn(cx, i, x),
            Fault::RegionDown(x) => region_down(cx, i, x),
            Fault::ReplicationLag(x) => replication_lag(cx, i, x),
            Fault::Failover(x) => failover(cx, i, x),
            Fault::FlushCache(x) => flush_cache(cx, i, x),
            Fault::ZoneDown(x) => super::pod_faults::zone_down(cx, i, x, before),
            Fault::KillPods(x) => super::pod_faults::kill_pods(cx, i, x, before),
            Fault::ReclaimSpot(x) => super::pod_faults::reclaim_spot(cx, i, x, before),
            Fault::Deploy(x) => super::pod_faults::deploy(cx, i, x, before),
        };
        out.extend(spec);
    }
    out
}

/// Reports a fault that starts when the run is over.
fn starts_in_run(cx: &mut Context, i: usize, at: Duration, duration: Nanos) {
    if at.nanos() >= duration {
        cx.problems.add(
            format!("faults[{i}].at"),
            format!("the fault starts at {at}, after the run ends"),
        );
    }
}

/// The end of a fault that starts `at` and lasts `length` (to the run's end without one).
pub(crate) fn until(at: Duration, length: Option<Duration>) -> Option<Nanos> {
    length.map(|l| at.nanos().saturating_add(l.nanos()))
}

fn slowdown(
    cx: &mut Context,
    i: usize,
    f: &schema::Slowdown,
    duration: Nanos,
) -> Option<FaultSpec> {
    let path = |field: &str| format!("faults[{i}].{field}");
    let target = &f.target;
    let station = match cx.component(target) {
        Some((ComponentKind::Deployment, idx)) => Some(StationRef::Deployment(idx)),
        Some((ComponentKind::Database, idx)) => Some(StationRef::Database(idx)),
        Some((ComponentKind::Dependency, idx)) => Some(StationRef::Dependency(idx)),
        _ => {
            let names: Vec<&str> = cx
                .scenario
                .components
                .iter()
                .filter(|c| {
                    matches!(
                        c.component_kind(),
                        ComponentKind::Deployment
                            | ComponentKind::Database
                            | ComponentKind::Dependency
                    )
                })
                .map(Component::name)
                .collect();
            cx.problems.add_at(path("target"), format!("a Slowdown targets a Deployment, Database or Dependency; \"{target}\" is none of these; candidates: {}", list(&names)), target);
            None
        }
    };
    let factor_ok = check_finite(
        &mut cx.problems,
        &path("factor"),
        f.factor,
        1e-3,
        1e6,
        "a slowdown factor",
    );
    starts_in_run(cx, i, f.at, duration);
    let (station, true) = (station?, factor_ok) else {
        return None;
    };
    Some(FaultSpec {
        label: format!("Slowdown({target} x{})", f.factor),
        at: f.at.nanos(),
        until: until(f.at, f.length),
        kind: FaultKind::Slowdown {
            target: station,
            factor: f.factor,
        },
    })
}

fn fail_dependency(cx: &mut Context, i: usize, f: &schema::FailDependency) -> Option<FaultSpec> {
    let path = |field: &str| format!("faults[{i}].{field}");
    let rate_ok = check_finite(
        &mut cx.problems,
        &path("error_rate"),
        f.error_rate,
        0.0,
        1.0,
        "an error rate",
    );
    let dependency = &f.dependency;
    let Some(idx) = cx.index_of(dependency, ComponentKind::Dependency) else {
        let names = cx.names_of(ComponentKind::Dependency);
        cx.problems.add_at(
            path("dependency"),
            format!(
                "no Dependency is named \"{dependency}\";{} Dependencies: {}",
                hint(dependency, names.iter().copied()),
                list(&names)
            ),
            dependency,
        );
        return None;
    };
    rate_ok.then(|| FaultSpec {
        label: format!("FailDependency({dependency} {})", f.error_rate),
        at: f.at.nanos(),
        until: until(f.at, f.length),
        kind: FaultKind::FailDependency {
            dependency: idx,
            error_rate: f.error_rate,
        },
    })
}

fn purge_cdn(cx: &mut Context, i: usize, f: &schema::PurgeCdn) -> Option<FaultSpec> {
    let cdn = &f.cdn;
    let Some(idx) = cx.index_of(cdn, ComponentKind::Cdn) else {
        let names = cx.names_of(ComponentKind::Cdn);
        cx.problems.add_at(
            format!("faults[{i}].cdn"),
            format!(
                "no Cdn is named \"{cdn}\";{} Cdns: {}",
                hint(cdn, names.iter().copied()),
                list(&names)
            ),
            cdn,
        );
        return None;
    };
    Some(FaultSpec {
        label: format!("PurgeCdn({cdn})"),
        at: f.at.nanos(),
        until: None,
        kind: FaultKind::PurgeCdn { cdn: idx },
    })
}

fn region_down(cx: &mut Context, i: usize, f: &schema::RegionDown) -> Option<FaultSpec> {
    if f.length.is_some_and(|l| l.nanos() == Nanos::ZERO) {
        cx.problems.add(
            format!("faults[{i}].for"),
            "an outage must last longer than zero",
        );
    }
    let r = cx.region(format!("faults[{i}].region"), &f.region)?;
    Some(FaultSpec {
        label: format!("RegionDown({})", f.region),
        at: f.at.nanos(),
        until: until(f.at, f.length),
        kind: FaultKind::RegionDown { region: r },
    })
}

fn replication_lag(cx: &mut Context, i: usize, f: &schema::ReplicationLag) -> Option<FaultSpec> {
    let database = &f.database;
    let db = replicated_database(
        cx,
        i,
        database,
        format!("\"{database}\" has no replicas, so it has no replication lag to raise"),
    )?;
    Some(FaultSpec {
        label: format!("ReplicationLag({database} +{})", f.extra),
        at: f.at.nanos(),
        until: until(f.at, f.length),
        kind: FaultKind::ReplicationLag {
            db,
            extra: f.extra.nanos(),
        },
    })
}

fn failover(cx: &mut Context, i: usize, f: &schema::Failover) -> Option<FaultSpec> {
    if f.promotion.nanos() == Nanos::ZERO {
        cx.problems.add(
            format!("faults[{i}].promotion"),
            "a promotion takes longer than zero",
        );
    }
    let database = &f.database;
    let db = replicated_database(
        cx,
        i,
        database,
        format!("\"{database}\" has no replicas; a failover promotes a replica"),
    )?;
    Some(FaultSpec {
        label: format!("Failover({database}, {})", f.promotion),
        at: f.at.nanos(),
        until: Some(f.at.nanos().saturating_add(f.promotion.nanos())),
        kind: FaultKind::Failover { db },
    })
}

/// The index of the database a fault names; `without_replicas` is the
/// problem if it has none.
fn replicated_database(
    cx: &mut Context,
    i: usize,
    database: &str,
    without_replicas: String,
) -> Option<usize> {
    let path = format!("faults[{i}].database");
    let Some(db) = cx.index_of(database, ComponentKind::Database) else {
        let names = cx.names_of(ComponentKind::Database);
        cx.problems.add_at(
            path,
            format!(
                "no Database is named \"{database}\";{} databases: {}",
                hint(database, names.iter().copied()),
                list(&names)
            ),
            database,
        );
        return None;
    };
    let replicated = cx
        .components_of(ComponentKind::Database)
        .any(|c| matches!(c, Component::Database(d) if d.name == database && d.replicas > 0));
    if !replicated {
        cx.problems.add_at(path, without_replicas, database);
    }
    Some(db)
}

fn flush_cache(cx: &mut Context, i: usize, f: &schema::FlushCache) -> Option<FaultSpec> {
    let target = &f.target;
    let with_l1 = |c: &Component| matches!(c, Component::Deployment(d) if d.l1.is_some());
    let components = &cx.scenario.components;
    let l1_deployment = components.iter().any(|c| with_l1(c) && c.name() == target);
    let t = match cx.component(target) {
        Some((ComponentKind::Cache, idx)) => FlushTarget::Shared(idx),
        Some((ComponentKind::Deployment, idx)) if l1_deployment => FlushTarget::L1(idx),
        _ => {
            let names: Vec<&str> = components
                .iter()
                .filter(|c| matches!(c, Component::Cache(_)) || with_l1(c))
                .map(Component::name)
                .collect();
            cx.problems.add_at(format!("faults[{i}].target"), format!("FlushCache targets a Cache or a Deployment with an l1 cache; \"{target}\" is neither; candidates: {}", list(&names)), target);
            return None;
        }
    };
    Some(FaultSpec {
        label: format!("FlushCache({target})"),
        at: f.at.nanos(),
        until: None,
        kind: FaultKind::FlushCache { target: t },
    })
}
