//! `Deployment` components: pods, their worker slots and queues, database,
//! region, in-process cache and connection pool (autoscaling and capacity
//! in [`super::autoscale`]).

use super::checks::{check_count, check_nonzero, sizes, MAX_SIZE};
use super::context::{Context, Problems};
use crate::algo::Nanos;
use crate::scenario::plan::{DatabaseSpec, DeploymentSpec, L1Spec, PoolSpec};
use crate::scenario::schema::{self, Component, ComponentKind};

/// Checks deployment component `i` and resolves it.
pub(crate) fn resolve(cx: &mut Context, i: usize, d: &schema::Deployment) -> DeploymentSpec {
    let at = |f: &str| format!("components[{i}].{f}");
    let name = d.name.as_str();
    let shed_after = d.shed_after.map(|x| x.nanos());
    if shed_after == Some(Nanos::ZERO) {
        cx.problems.add_at(
            at("shed_after"),
            "shed_after must be longer than zero (leave it out to turn load shedding off)",
            name,
        );
    }
    let p = &mut cx.problems;
    check_count(
        p,
        at("replicas"),
        Some(name),
        "replicas",
        d.replicas,
        sizes(),
    );
    check_count(
        p,
        at("concurrency"),
        Some(name),
        "concurrency (worker slots per pod)",
        d.concurrency,
        sizes(),
    );
    let database = d
        .database
        .as_ref()
        .and_then(|db| cx.lookup(at("database"), db, ComponentKind::Database));
    let region = d.region.as_ref().and_then(|r| cx.region(at("region"), r));
    let l1 =
        d.l1.as_ref()
            .map(|l| resolve_l1(&mut cx.problems, i, name, l));
    let pool = d
        .pool
        .as_ref()
        .map(|x| resolve_pool(&mut cx.problems, i, name, x));
    let capacity = super::autoscale::resolve_deployment(&mut cx.problems, &at, d);
    let probes = d.probes.as_ref().map(|x| {
        let has_cpu = capacity.cpu.is_some();
        super::probes::resolve(&mut cx.problems, &at("probes"), name, x, has_cpu)
    });
    DeploymentSpec {
        name: d.name.clone(),
        replicas: d.replicas,
        concurrency: d.concurrency,
        queue_limit: d.queue_limit,
        database,
        shed_after,
        region,
        l1,
        pool,
        hpa: capacity.hpa,
        startup: capacity.startup,
        cpu_milli: capacity.cpu_milli,
        memory_mib: capacity.memory_mib,
        base_memory_mib: capacity.base_memory_mib,
        per_request_mib: capacity.per_request_mib,
        memory_limit_mib: capacity.memory_limit_mib,
        nodes: capacity.nodes,
        cpu: capacity.cpu,
        min_available: d.min_available,
        zones: capacity.zones,
        probes,
    }
}

/// The pods' in-process cache.
fn resolve_l1(p: &mut Problems, i: usize, name: &str, l: &schema::L1) -> L1Spec {
    let at = |f: &str| format!("components[{i}].{f}");
    let most = u64::from(MAX_SIZE) * 100;
    if l.capacity == 0 || l.capacity > most {
        p.add_at(
            at("l1.capacity"),
            format!(
                "an L1 cache holds from 1 to {most} entries, not {}",
                l.capacity
            ),
            name,
        );
    }
    if let Some(ttl) = l.ttl {
        check_nonzero(
            p,
            at("l1.ttl"),
            Some(name),
            ttl.nanos(),
            "a TTL must be longer than zero (leave it out for none)",
        );
    }
    let item_bytes = l.item_size.map_or(0, |s| s.0);
    if l.item_size.is_some() && !(1..=1 << 30).contains(&item_bytes) {
        p.add_at(
            at("l1.item_size"),
            format!("an L1 entry takes from 1 byte to 1Gi, not {item_bytes} bytes"),
            name,
        );
    }
    L1Spec {
        capacity: l.capacity as usize,
        ttl: l.ttl.map(|t| t.nanos()),
        propagation: l.propagation.nanos(),
        item_bytes,
    }
}

/// The pods' connection pool.
fn resolve_pool(p: &mut Problems, i: usize, name: &str, pl: &schema::Pool) -> PoolSpec {
    let at = |f: &str| format!("components[{i}].{f}");
    if pl.max == 0 || pl.max > MAX_SIZE {
        p.add_at(
            at("pool.max"),
            format!(
                "a pool holds from 1 to {MAX_SIZE} connections, not {}",
                pl.max
            ),
            name,
        );
    }
    if pl.min > pl.max {
        p.add_at(
            at("pool.min"),
            format!(
                "pool.min ({}) must not exceed pool.max ({})",
                pl.min, pl.max
            ),
            name,
        );
    }
    check_nonzero(
        p,
        at("pool.acquire_timeout"),
        Some(name),
        pl.acquire_timeout.nanos(),
        "an acquire timeout must be longer than zero",
    );
    for (field, value) in [
        ("statement_timeout", pl.statement_timeout),
        ("idle_timeout", pl.idle_timeout),
    ] {
        if let Some(t) = value {
            check_nonzero(
                p,
                at(&format!("pool.{field}")),
                Some(name),
                t.nanos(),
                &format!("a pool's {field} must be longer than zero (leave it out for none)"),
            );
        }
    }
    PoolSpec {
        min: pl.min,
        max: pl.max,
        acquire_timeout: pl.acquire_timeout.nanos(),
        statement_timeout: pl.statement_timeout.map(|t| t.nanos()),
        idle_timeout: pl.idle_timeout.map(|t| t.nanos()),
        connect_time: pl.connect_time.map_or(Nanos::ZERO, |t| t.nanos()),
    }
}

/// A deployment without a named database uses the only one, if there is exactly one.
pub(crate) fn default_database(deployments: &mut [DeploymentSpec], named_databases: usize) {
    if named_databases == 1 {
        for d in deployments {
            d.database.get_or_insert(0);
        }
    }
}

/// A pool's `statement_timeout` cancels a query at a known time after it
/// starts, which a database sized by its class (queries sharing vCPUs,
/// their end unknown in advance) does not model: the two are refused together.
pub(crate) fn check_statement_timeouts(cx: &mut Context, databases: &[DatabaseSpec]) {
    let Some(sized) = databases.iter().find(|d| d.class.is_some()) else {
        return;
    };
    for (i, c) in cx.scenario.components.iter().enumerate() {
        if let Component::Deployment(d) = c {
            if d.pool
                .as_ref()
                .is_some_and(|p| p.statement_timeout.is_some())
            {
                cx.problems.add_at(
                    format!("components[{i}].pool.statement_timeout"),
                    format!(
                        "statement_timeout is not modelled with a database sized by its class ({} has sized_by_class: true): leave one of them out",
                        sized.name
                    ),
                    "statement_timeout",
                );
            }
        }
    }
}
