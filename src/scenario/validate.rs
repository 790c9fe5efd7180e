//! Semantic checks that resolve a [`Scenario`] into a [`Model`], collecting
//! every problem at once, each with its field path.

use super::graph::Topology;
use super::model::*;
use super::schema::{
    self, Component, Dist, Fault, Pattern, Popularity, Population, Scenario, Step,
};
use crate::algo::balance::Strategy;
use crate::algo::Nanos;
use crate::engine::Sampler;
use crate::workload::{PopularitySampler, RatePattern};
use std::collections::BTreeMap;

/// One thing wrong with a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Where: a field path such as `components[2].concurrency`.
    pub path: String,
    /// What is wrong and what would be valid.
    pub message: String,
    /// A name or text that locates the problem in the file, if any.
    pub needle: Option<String>,
}

/// Largest arrival rate accepted (requests per second).
const MAX_RATE: f64 = 1e8;
/// Largest count of pods, slots or connections accepted for one component.
const MAX_SIZE: u32 = 1_000_000;
/// Most time-series buckets in one run.
const MAX_BUCKETS: u64 = 1_000_000;

#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            path: path.into(),
            message: message.into(),
            needle: None,
        });
    }
    fn add_at(&mut self, path: impl Into<String>, message: impl Into<String>, needle: &str) {
        self.0.push(Problem {
            path: path.into(),
            message: message.into(),
            needle: Some(needle.to_owned()),
        });
    }
}

fn list(names: &[&str]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn check_finite(p: &mut Problems, path: &str, v: f64, min: f64, max: f64, what: &str) -> bool {
    if !v.is_finite() || v < min || v > max {
        p.add(
            path,
            format!("{what} must be a number from {min} to {max}, not {v}"),
        );
        false
    } else {
        true
    }
}

/// Checks `s` and resolves it into a [`Model`], or returns every problem found.
pub fn validate(s: &Scenario) -> Result<Model, Vec<Problem>> {
    let mut p = Problems::default();
    if s.name.trim().is_empty() {
        p.add("name", "the scenario needs a non-empty name");
    }

    // Run settings.
    let duration = s.run.duration.nanos();
    let warmup = s.run.warmup.nanos();
    let interval = s.run.interval.nanos();
    if duration == Nanos::ZERO {
        p.add("run.duration", "the run must last longer than zero");
    }
    if warmup >= duration && duration > Nanos::ZERO {
        p.add(
            "run.warmup",
            format!(
                "warm-up ({}) must be shorter than the run ({})",
                s.run.warmup, s.run.duration
            ),
        );
    }
    if interval == Nanos::ZERO {
        p.add(
            "run.interval",
            "the time-series interval must be longer than zero",
        );
    } else if duration.0 / interval.0 > MAX_BUCKETS {
        p.add(
            "run.interval",
            format!("{} buckets of {} is too many; use a longer interval (at most {MAX_BUCKETS} buckets)", duration.0 / interval.0, s.run.interval),
        );
    }

    // Components: unique names, then per kind.
    let mut kinds: BTreeMap<&str, (&'static str, usize)> = BTreeMap::new();
    let mut counts = [0usize; 4];
    for (i, c) in s.components.iter().enumerate() {
        let k = match c {
            Component::LoadBalancer { .. } => 0,
            Component::Deployment { .. } => 1,
            Component::Database { .. } => 2,
            Component::Cache { .. } => 3,
        };
        if c.name().trim().is_empty() {
            p.add(
                format!("components[{i}].name"),
                "component names must not be empty",
            );
        }
        if kinds.contains_key(c.name()) {
            p.add_at(
                format!("components[{i}].name"),
                format!(
                    "two components are named \"{}\"; names must be unique",
                    c.name()
                ),
                c.name(),
            );
        }
        kinds.entry(c.name()).or_insert((c.kind(), counts[k]));
        counts[k] += 1;
    }
    let names_of = |kind: &str| -> Vec<&str> {
        s.components
            .iter()
            .filter(|c| c.kind() == kind)
            .map(|c| c.name())
            .collect()
    };
    let lookup =
        |p: &mut Problems, path: String, name: &str, kind: &'static str| -> Option<usize> {
            match kinds.get(name) {
                Some((k, idx)) if *k == kind => Some(*idx),
                Some((k, _)) => {
                    p.add_at(
                        path,
                        format!(
                            "\"{name}\" is a {k}, but a {kind} is needed here; {kind}s: {}",
                            list(&names_of(kind))
                        ),
                        name,
                    );
                    None
                }
                None => {
                    p.add_at(
                        path,
                        format!(
                            "no {kind} is named \"{name}\"; {kind}s: {}",
                            list(&names_of(kind))
                        ),
                        name,
                    );
                    None
                }
            }
        };

    let mut balancers = Vec::new();
    let mut deployments = Vec::new();
    let mut databases = Vec::new();
    let mut caches = Vec::new();
    let mut lag_dists: Vec<Option<&Dist>> = Vec::new();
    let mut cache_dists: Vec<&Dist> = Vec::new();
    for (i, c) in s.components.iter().enumerate() {
        let at = |f: &str| format!("components[{i}].{f}");
        match c {
            Component::LoadBalancer {
                name,
                strategy,
                targets,
            } => {
                if targets.is_empty() {
                    p.add_at(
                        at("targets"),
                        "a load balancer needs at least one target deployment",
                        name,
                    );
                }
                let mut resolved = Vec::new();
                for (t, w) in targets {
                    if *w == 0 {
                        p.add(
                            at(&format!("targets.{t}")),
                            "target weights must be at least 1",
                        );
                    }
                    if let Some(d) = lookup(&mut p, at(&format!("targets.{t}")), t, "Deployment") {
                        resolved.push((d, *w));
                    }
                }
                balancers.push(BalancerSpec {
                    name: name.clone(),
                    strategy: match strategy {
                        schema::Strategy::RoundRobin => Strategy::RoundRobin,
                        schema::Strategy::Random => Strategy::Random,
                        schema::Strategy::LeastConnections => Strategy::LeastConnections,
                        schema::Strategy::Weighted => Strategy::Weighted,
                        schema::Strategy::PowerOfTwoChoices => Strategy::PowerOfTwoChoices,
                    },
                    targets: resolved,
                });
            }
            Component::Deployment {
                name,
                replicas,
                concurrency,
                queue_limit,
                database,
                l1,
                pool,
            } => {
                if *replicas == 0 || *replicas > MAX_SIZE {
                    p.add_at(
                        at("replicas"),
                        format!("replicas must be from 1 to {MAX_SIZE}, not {replicas}"),
                        name,
                    );
                }
                if *concurrency == 0 || *concurrency > MAX_SIZE {
                    p.add_at(at("concurrency"), format!("concurrency (worker slots per pod) must be from 1 to {MAX_SIZE}, not {concurrency}"), name);
                }
                let database = match database {
                    Some(db) => lookup(&mut p, at("database"), db, "Database"),
                    None => None,
                };
                let l1 = l1.as_ref().map(|l| {
                    if l.capacity == 0 || l.capacity > u64::from(MAX_SIZE) * 100 {
                        p.add_at(
                            at("l1.capacity"),
                            format!(
                                "an L1 cache holds from 1 to {} entries, not {}",
                                u64::from(MAX_SIZE) * 100,
                                l.capacity
                            ),
                            name,
                        );
                    }
                    if l.ttl.is_some_and(|t| t.nanos() == Nanos::ZERO) {
                        p.add_at(
                            at("l1.ttl"),
                            "a TTL must be longer than zero (leave it out for none)",
                            name,
                        );
                    }
                    L1Spec {
                        capacity: l.capacity as usize,
                        ttl: l.ttl.map(|t| t.nanos()),
                        propagation: l.propagation.nanos(),
                    }
                });
                let pool = pool.as_ref().map(|pl| {
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
                    if pl.acquire_timeout.nanos() == Nanos::ZERO {
                        p.add_at(
                            at("pool.acquire_timeout"),
                            "an acquire timeout must be longer than zero",
                            name,
                        );
                    }
                    PoolSpec {
                        min: pl.min,
                        max: pl.max,
                        acquire_timeout: pl.acquire_timeout.nanos(),
                    }
                });
                deployments.push(DeploymentSpec {
                    name: name.clone(),
                    replicas: *replicas,
                    concurrency: *concurrency,
                    queue_limit: *queue_limit,
                    database,
                    l1,
                    pool,
                });
            }
            Component::Database {
                name,
                connections,
                queue_limit,
                replicas,
                replica_connections,
                reads,
                replication_lag,
                read_your_writes,
                max_connections,
                pgbouncer,
                shards,
            } => {
                if *connections == 0 || *connections > MAX_SIZE {
                    p.add_at(
                        at("connections"),
                        format!("connections must be from 1 to {MAX_SIZE}, not {connections}"),
                        name,
                    );
                }
                if *replicas > 64 {
                    p.add_at(
                        at("replicas"),
                        format!("replicas must be from 0 to 64, not {replicas}"),
                        name,
                    );
                }
                let explicit = replica_connections.is_some();
                let replica_connections = replica_connections.unwrap_or(*connections);
                if explicit && (replica_connections == 0 || replica_connections > MAX_SIZE) {
                    p.add_at(at("replica_connections"), format!("replica_connections must be from 1 to {MAX_SIZE}, not {replica_connections}"), name);
                }
                if *replicas == 0 && replication_lag.is_some() {
                    p.add_at(
                        at("replication_lag"),
                        "a replication lag needs replicas: set replicas to 1 or more",
                        name,
                    );
                }
                if read_your_writes.is_some_and(|t| t.nanos() == Nanos::ZERO) {
                    p.add_at(at("read_your_writes"), "a read-your-writes window must be longer than zero (leave it out for none)", name);
                }
                if *max_connections == Some(0) {
                    p.add_at(
                        at("max_connections"),
                        "max_connections must be at least 1 (leave it out for unlimited)",
                        name,
                    );
                }
                let shard_count = shards.as_ref().map_or(1, |x| x.count);
                if let Some(b) = pgbouncer {
                    if b.pool_size == 0 || b.pool_size > MAX_SIZE {
                        p.add_at(
                            at("pgbouncer.pool_size"),
                            format!(
                                "pool_size must be from 1 to {MAX_SIZE}, not {}",
                                b.pool_size
                            ),
                            name,
                        );
                    } else if let Some(m) = max_connections {
                        if u64::from(b.pool_size) * u64::from(shard_count) > u64::from(*m) {
                            p.add_at(at("pgbouncer.pool_size"), format!("pgbouncer.pool_size ({}) x {shard_count} shard(s) = {} exceeds max_connections ({m}); PgBouncer would be refused connections", b.pool_size, u64::from(b.pool_size) * u64::from(shard_count)), name);
                        }
                    }
                }
                let shards = shards.as_ref().map(|x| {
                    if x.count == 0 || x.count > 1024 {
                        p.add_at(
                            at("shards.count"),
                            format!("shards.count must be from 1 to 1024, not {}", x.count),
                            name,
                        );
                    }
                    if x.vnodes == 0 || x.vnodes > 10_000 {
                        p.add_at(
                            at("shards.vnodes"),
                            format!("shards.vnodes must be from 1 to 10000, not {}", x.vnodes),
                            name,
                        );
                    }
                    ShardSpec {
                        count: x.count,
                        vnodes: x.vnodes,
                        by_tenant: x.by == schema::ShardKey::Tenant,
                    }
                });
                lag_dists.push(replication_lag.as_ref());
                databases.push(DatabaseSpec {
                    name: name.clone(),
                    connections: *connections,
                    queue_limit: *queue_limit,
                    replicas: *replicas,
                    replica_connections,
                    reads: match reads {
                        schema::ReadRouting::RoundRobin => ReadRouting::RoundRobin,
                        schema::ReadRouting::LeastLoaded => ReadRouting::LeastLoaded,
                        schema::ReadRouting::Primary => ReadRouting::Primary,
                    },
                    lag: None,
                    read_your_writes: read_your_writes.map(|t| t.nanos()),
                    max_connections: *max_connections,
                    bouncer: pgbouncer.as_ref().map(|b| b.pool_size),
                    shards,
                });
            }
            Component::Cache {
                name,
                capacity,
                ttl,
                latency,
                concurrency,
            } => {
                if capacity.is_some_and(|c| c == 0 || c > 1_000_000_000) {
                    p.add_at(at("capacity"), format!("capacity must be from 1 to 1000000000 entries (leave it out for unlimited), not {}", capacity.unwrap_or(0)), name);
                }
                if ttl.is_some_and(|t| t.nanos() == Nanos::ZERO) {
                    p.add_at(
                        at("ttl"),
                        "a TTL must be longer than zero (leave it out for none)",
                        name,
                    );
                }
                if capacity.is_none() && ttl.is_none() {
                    p.add_at(at("capacity"), "a cache needs a capacity, a ttl or both; with neither it would grow without bound", name);
                }
                if *concurrency == 0 || *concurrency > MAX_SIZE {
                    p.add_at(
                        at("concurrency"),
                        format!("concurrency must be from 1 to {MAX_SIZE}, not {concurrency}"),
                        name,
                    );
                }
                cache_dists.push(latency);
                caches.push(CacheSpec {
                    name: name.clone(),
                    capacity: capacity.map(|c| c as usize),
                    ttl: ttl.map(|t| t.nanos()),
                    latency: 0,
                    concurrency: *concurrency,
                });
            }
        }
    }
    // A deployment without a named database uses the only one, if there is exactly one.
    if databases.len() == 1 {
        for d in &mut deployments {
            d.database.get_or_insert(0);
        }
    }

    // Workload.
    let w = &s.workload;
    let users_ok = check_finite(&mut p, "workload.users", w.users, 0.0, 1e12, "users");
    let rps_ok = check_finite(
        &mut p,
        "workload.rps_per_user",
        w.rps_per_user,
        0.0,
        1e6,
        "rps_per_user",
    );
    let rate = w.users * w.rps_per_user;
    if users_ok && rps_ok {
        if rate <= 0.0 {
            p.add(
                "workload",
                "the workload offers no traffic: users × rps_per_user is 0",
            );
        } else if rate > MAX_RATE {
            p.add("workload", format!("users × rps_per_user = {rate} requests/s is more than one machine can simulate (at most {MAX_RATE})"));
        }
    }
    let pattern = resolve_pattern(&mut p, &w.pattern);
    let tenants = w
        .tenants
        .as_ref()
        .map(|t| resolve_population(&mut p, "workload.tenants", t));
    let keys = w
        .keys
        .as_ref()
        .map(|k| resolve_population(&mut p, "workload.keys", k));
    let client_timeout = w.client_timeout.map(|t| t.nanos());
    if client_timeout == Some(Nanos::ZERO) {
        p.add(
            "workload.client_timeout",
            "a client timeout must be longer than zero",
        );
    }

    // Endpoints and the mix.
    let endpoint_names: Vec<&str> = s.endpoints.keys().map(String::as_str).collect();
    let mut mix_weights = vec![0.0; endpoint_names.len()];
    if w.mix.is_empty() {
        p.add(
            "workload.mix",
            "the mix needs at least one endpoint with a positive weight",
        );
    }
    for (name, weight) in &w.mix {
        let path = format!("workload.mix.{name}");
        if check_finite(&mut p, &path, *weight, 0.0, f64::MAX, "a mix weight") {
            match endpoint_names.iter().position(|e| e == name) {
                Some(i) => mix_weights[i] = *weight,
                None => p.add_at(
                    path,
                    format!(
                        "no endpoint is named \"{name}\"; endpoints: {}",
                        list(&endpoint_names)
                    ),
                    name,
                ),
            }
        }
    }
    let total: f64 = mix_weights.iter().sum();
    if !w.mix.is_empty() && total <= 0.0 {
        p.add(
            "workload.mix",
            "the mix weights must add up to a positive number",
        );
    }
    let mut acc = 0.0;
    let mix_cumulative: Vec<f64> = mix_weights
        .iter()
        .map(|x| {
            acc += x / total.max(f64::MIN_POSITIVE);
            acc
        })
        .collect();

    // Endpoint references and call cycles, through the topology graph.
    for (ep, steps) in &s.endpoints {
        if steps.is_empty() {
            p.add_at(
                format!("endpoints.{ep}"),
                "an endpoint needs at least one step",
                ep,
            );
        }
        for (j, step) in steps.iter().enumerate() {
            let path = format!("endpoints.{ep}[{j}]");
            match step {
                Step::Lb(lb) => {
                    lookup(&mut p, path, lb, "LoadBalancer");
                }
                Step::Call(target) if !s.endpoints.contains_key(target) => {
                    p.add_at(
                        path,
                        format!(
                            "no endpoint is named \"{target}\"; endpoints: {}",
                            list(&endpoint_names)
                        ),
                        target,
                    );
                }
                _ => {}
            }
        }
    }
    let faults = resolve_faults(&mut p, s, &kinds, duration);
    let topology = Topology::new(s);
    if let Some(cycle) = topology.call_cycle() {
        p.add_at(
            format!("endpoints.{}", cycle[0]),
            format!(
                "endpoints call each other in a loop ({} -> {}); a request would never finish",
                cycle.join(" -> "),
                cycle[0]
            ),
            &cycle[0],
        );
    }

    if !p.0.is_empty() {
        return Err(p.0);
    }

    // Compile endpoint programs (all references are known to resolve now).
    let mut compiler = Compiler {
        scenario: s,
        balancers: &balancers,
        deployments: &deployments,
        databases: &databases,
        caches: &caches,
        asides: Vec::new(),
        samplers: Vec::new(),
        hop: None,
        problems: Problems::default(),
    };
    if let Some(hop) = &s.network.hop {
        compiler.hop = compiler.sampler("network.hop", hop);
    }
    let data_path = |kind: &str, i: usize| {
        let at = s
            .components
            .iter()
            .enumerate()
            .filter(|(_, c)| c.kind() == kind)
            .nth(i)
            .map_or(0, |x| x.0);
        at
    };
    let lag_samplers: Vec<Option<u32>> = lag_dists
        .iter()
        .enumerate()
        .map(|(i, d)| {
            d.and_then(|d| {
                compiler.sampler(
                    &format!("components[{}].replication_lag", data_path("Database", i)),
                    d,
                )
            })
        })
        .collect();
    let cache_samplers: Vec<Option<u32>> = cache_dists
        .iter()
        .enumerate()
        .map(|(i, d)| {
            compiler.sampler(&format!("components[{}].latency", data_path("Cache", i)), d)
        })
        .collect();
    let endpoints: Vec<EndpointSpec> = s
        .endpoints
        .keys()
        .map(|name| {
            let mut program = Vec::new();
            compiler.compile(
                name,
                &format!("endpoints.{name}"),
                &mut Vec::new(),
                &mut program,
            );
            EndpointSpec {
                name: name.clone(),
                program,
            }
        })
        .collect();
    let samplers = compiler.samplers;
    let asides = compiler.asides;
    if !compiler.problems.0.is_empty() {
        return Err(compiler.problems.0);
    }
    for (db, lag) in databases.iter_mut().zip(lag_samplers) {
        db.lag = lag;
    }
    for (c, lat) in caches.iter_mut().zip(cache_samplers) {
        c.latency = lat.unwrap_or(0);
    }

    Ok(Model {
        name: s.name.clone(),
        seed: s.seed,
        duration,
        warmup,
        interval,
        workload: WorkloadSpec {
            rate,
            users: (w.users as u64).max(1),
            pattern: pattern.unwrap_or(RatePattern::Constant),
            tenants: tenants.flatten(),
            keys: keys.flatten(),
            mix_cumulative,
            client_timeout,
        },
        balancers,
        deployments,
        databases,
        endpoints,
        samplers,
        faults,
        caches,
        asides,
    })
}

fn resolve_faults(
    p: &mut Problems,
    s: &Scenario,
    kinds: &BTreeMap<&str, (&'static str, usize)>,
    duration: Nanos,
) -> Vec<FaultSpec> {
    let mut out = Vec::new();
    for (i, f) in s.faults.iter().enumerate() {
        let at_path = |field: &str| format!("faults[{i}].{field}");
        match f {
            Fault::Slowdown {
                target,
                factor,
                at,
                length,
            } => {
                let station = match kinds.get(target.as_str()) {
                    Some(("Deployment", idx)) => Some(StationRef::Deployment(*idx)),
                    Some(("Database", idx)) => Some(StationRef::Database(*idx)),
                    _ => {
                        let names: Vec<&str> = s
                            .components
                            .iter()
                            .filter(|c| matches!(c.kind(), "Deployment" | "Database"))
                            .map(|c| c.name())
                            .collect();
                        p.add_at(at_path("target"), format!("a Slowdown targets a Deployment or Database; \"{target}\" is neither; candidates: {}", list(&names)), target);
                        None
                    }
                };
                let factor_ok = check_finite(
                    p,
                    &at_path("factor"),
                    *factor,
                    1e-3,
                    1e6,
                    "a slowdown factor",
                );
                if at.nanos() >= duration {
                    p.add(
                        at_path("at"),
                        format!("the fault starts at {at}, after the run ends"),
                    );
                }
                if let (Some(target), true) = (station, factor_ok) {
                    out.push(FaultSpec {
                        label: format!(
                            "Slowdown({target_name} x{factor})",
                            target_name = target_name_of(s, target)
                        ),
                        at: at.nanos(),
                        until: length.map(|l| at.nanos().saturating_add(l.nanos())),
                        kind: FaultKind::Slowdown {
                            target,
                            factor: *factor,
                        },
                    });
                }
            }
            Fault::ReplicationLag {
                database,
                extra,
                at,
                length,
            } => {
                if at.nanos() >= duration {
                    p.add(
                        at_path("at"),
                        format!("the fault starts at {at}, after the run ends"),
                    );
                }
                if let Some(db) = fault_database(p, s, kinds, &at_path("database"), database) {
                    if !has_replicas(s, database) {
                        p.add_at(at_path("database"), format!("\"{database}\" has no replicas, so it has no replication lag to raise"), database);
                    }
                    out.push(FaultSpec {
                        label: format!("ReplicationLag({database} +{extra})"),
                        at: at.nanos(),
                        until: length.map(|l| at.nanos().saturating_add(l.nanos())),
                        kind: FaultKind::ReplicationLag {
                            db,
                            extra: extra.nanos(),
                        },
                    });
                }
            }
            Fault::Failover {
                database,
                at,
                promotion,
            } => {
                if at.nanos() >= duration {
                    p.add(
                        at_path("at"),
                        format!("the fault starts at {at}, after the run ends"),
                    );
                }
                if promotion.nanos() == Nanos::ZERO {
                    p.add(at_path("promotion"), "a promotion takes longer than zero");
                }
                if let Some(db) = fault_database(p, s, kinds, &at_path("database"), database) {
                    if !has_replicas(s, database) {
                        p.add_at(
                            at_path("database"),
                            format!(
                                "\"{database}\" has no replicas; a failover promotes a replica"
                            ),
                            database,
                        );
                    }
                    out.push(FaultSpec {
                        label: format!("Failover({database}, {promotion})"),
                        at: at.nanos(),
                        until: Some(at.nanos().saturating_add(promotion.nanos())),
                        kind: FaultKind::Failover { db },
                    });
                }
            }
            Fault::FlushCache { target, at } => {
                if at.nanos() >= duration {
                    p.add(
                        at_path("at"),
                        format!("the fault starts at {at}, after the run ends"),
                    );
                }
                let l1_deployment = s.components.iter().any(|c| {
                    matches!(c, Component::Deployment { name, l1: Some(_), .. } if name == target)
                });
                let t = match kinds.get(target.as_str()) {
                    Some(("Cache", idx)) => Some(FlushTarget::Shared(*idx)),
                    Some(("Deployment", idx)) if l1_deployment => Some(FlushTarget::L1(*idx)),
                    _ => {
                        let names: Vec<&str> = s
                            .components
                            .iter()
                            .filter(|c| {
                                matches!(
                                    c,
                                    Component::Cache { .. }
                                        | Component::Deployment { l1: Some(_), .. }
                                )
                            })
                            .map(|c| c.name())
                            .collect();
                        p.add_at(at_path("target"), format!("FlushCache targets a Cache or a Deployment with an l1 cache; \"{target}\" is neither; candidates: {}", list(&names)), target);
                        None
                    }
                };
                if let Some(t) = t {
                    out.push(FaultSpec {
                        label: format!("FlushCache({target})"),
                        at: at.nanos(),
                        until: None,
                        kind: FaultKind::FlushCache { target: t },
                    });
                }
            }
        }
    }
    out
}

fn has_replicas(s: &Scenario, db: &str) -> bool {
    s.components.iter().any(
        |c| matches!(c, Component::Database { name, replicas, .. } if name == db && *replicas > 0),
    )
}

fn fault_database(
    p: &mut Problems,
    s: &Scenario,
    kinds: &BTreeMap<&str, (&'static str, usize)>,
    path: &str,
    name: &str,
) -> Option<usize> {
    match kinds.get(name) {
        Some(("Database", idx)) => Some(*idx),
        _ => {
            let names: Vec<&str> = s
                .components
                .iter()
                .filter(|c| c.kind() == "Database")
                .map(|c| c.name())
                .collect();
            p.add_at(
                path,
                format!(
                    "no Database is named \"{name}\"; databases: {}",
                    list(&names)
                ),
                name,
            );
            None
        }
    }
}

fn target_name_of(s: &Scenario, target: StationRef) -> String {
    let (kind, idx) = match target {
        StationRef::Deployment(i) => ("Deployment", i),
        StationRef::Database(i) => ("Database", i),
    };
    s.components
        .iter()
        .filter(|c| c.kind() == kind)
        .nth(idx)
        .map_or_else(String::new, |c| c.name().to_owned())
}

fn resolve_pattern(p: &mut Problems, pattern: &Pattern) -> Option<RatePattern> {
    let path = "workload.pattern";
    Some(match pattern {
        Pattern::Constant => RatePattern::Constant,
        Pattern::Diurnal { peak, period } => {
            let period = period.map_or(Nanos::from_secs(86_400), |d| d.nanos());
            if period == Nanos::ZERO {
                p.add(
                    format!("{path}.period"),
                    "a diurnal period must be longer than zero",
                );
            }
            if !check_finite(
                p,
                &format!("{path}.peak"),
                *peak,
                1.0,
                1e6,
                "the peak-to-trough ratio",
            ) {
                return None;
            }
            RatePattern::Diurnal {
                peak: *peak,
                period,
            }
        }
        Pattern::Spike { at, factor, length } => {
            if !check_finite(
                p,
                &format!("{path}.factor"),
                *factor,
                0.0,
                1e6,
                "a spike factor",
            ) {
                return None;
            }
            RatePattern::Spike {
                at: at.nanos(),
                factor: *factor,
                length: length.nanos(),
            }
        }
        Pattern::Steps(steps) => {
            let mut out = Vec::new();
            for (i, st) in steps.iter().enumerate() {
                check_finite(
                    p,
                    &format!("{path}[{i}].factor"),
                    st.factor,
                    0.0,
                    1e6,
                    "a step factor",
                );
                if let Some(prev) = out.last().map(|x: &(Nanos, f64)| x.0) {
                    if st.at.nanos() <= prev {
                        p.add(
                            format!("{path}[{i}].at"),
                            "steps must be in increasing time order",
                        );
                    }
                }
                out.push((st.at.nanos(), st.factor));
            }
            RatePattern::Steps(out)
        }
    })
}

fn resolve_population(p: &mut Problems, path: &str, pop: &Population) -> Option<PopularitySampler> {
    if pop.count == 0 || pop.count > 1_000_000_000_000 {
        p.add(
            format!("{path}.count"),
            format!("count must be from 1 to 10^12, not {}", pop.count),
        );
        return None;
    }
    match pop.popularity {
        Popularity::Uniform => Some(PopularitySampler::uniform(pop.count)),
        Popularity::Zipf(s) => {
            if check_finite(
                p,
                &format!("{path}.popularity"),
                s,
                0.0,
                10.0,
                "a Zipf exponent",
            ) {
                Some(PopularitySampler::zipf(pop.count, s))
            } else {
                None
            }
        }
    }
}

/// Turns endpoint step lists into flat programs.
struct Compiler<'a> {
    scenario: &'a Scenario,
    balancers: &'a [BalancerSpec],
    deployments: &'a [DeploymentSpec],
    databases: &'a [DatabaseSpec],
    caches: &'a [CacheSpec],
    asides: Vec<AsideSpec>,
    samplers: Vec<Sampler>,
    hop: Option<u32>,
    problems: Problems,
}

impl<'a> Compiler<'a> {
    fn sampler(&mut self, path: &str, d: &Dist) -> Option<u32> {
        let s = match d {
            Dist::Const(v) => Sampler::Const(v.nanos()),
            Dist::Exp(mean) => Sampler::exp(mean.nanos()),
            Dist::Lognormal { median, p99 } => {
                if median.nanos() == Nanos::ZERO || p99 < median {
                    self.problems.add(
                        path,
                        format!(
                            "Lognormal needs 0 < median <= p99 (got median {median}, p99 {p99})"
                        ),
                    );
                    return None;
                }
                Sampler::lognormal(median.nanos(), p99.nanos())
            }
            Dist::Uniform(lo, hi) => {
                if lo > hi {
                    self.problems
                        .add(path, format!("Uniform needs low <= high (got {lo}, {hi})"));
                    return None;
                }
                Sampler::uniform(lo.nanos(), hi.nanos())
            }
            Dist::Empirical(pairs) => {
                let ok = !pairs.is_empty()
                    && pairs.iter().all(|x| x.1.is_finite() && x.1 >= 0.0)
                    && pairs.iter().map(|x| x.1).sum::<f64>() > 0.0;
                if !ok {
                    self.problems.add(path, "Empirical needs at least one (value, weight) pair, weights >= 0 adding up to more than 0");
                    return None;
                }
                let pairs: Vec<(Nanos, f64)> = pairs.iter().map(|x| (x.0.nanos(), x.1)).collect();
                Sampler::empirical(&pairs)
            }
        };
        if let Some(i) = self.samplers.iter().position(|x| *x == s) {
            return Some(i as u32);
        }
        self.samplers.push(s);
        Some((self.samplers.len() - 1) as u32)
    }

    fn hop(&self, program: &mut Vec<Op>) {
        if let Some(dist) = self.hop {
            program.push(Op::Delay { dist });
        }
    }

    /// Compiles endpoint `name` into `program`; `held` is the stack of balancers entered.
    fn compile(&mut self, name: &str, path: &str, held: &mut Vec<usize>, program: &mut Vec<Op>) {
        let scenario: &'a Scenario = self.scenario;
        self.compile_steps(&scenario.endpoints[name], path, held, program);
    }

    /// Resolves the tiers of a `CacheAside` or `Invalidate` step.
    fn tiers(&mut self, path: &str, tiers: &[schema::Tier], held: &[usize]) -> Vec<TierRef> {
        let mut out = Vec::new();
        if tiers.is_empty() {
            self.problems
                .add(path, "list at least one tier: L1 or the name of a Cache");
        }
        for (k, t) in tiers.iter().enumerate() {
            let tpath = format!("{path}.tiers[{k}]");
            let r = match t {
                schema::Tier::L1 => {
                    let ok = held.last().is_some_and(|&lb| {
                        self.balancers[lb]
                            .targets
                            .iter()
                            .all(|&(d, _)| self.deployments[d].l1.is_some())
                    });
                    if !ok {
                        self.problems.add(&tpath, "the L1 tier is the pod's own cache: put an Lb step first, and give every deployment behind it an `l1: (capacity: ...)`");
                        continue;
                    }
                    TierRef::L1
                }
                schema::Tier::Named(n) => match self.caches.iter().position(|c| c.name == *n) {
                    Some(i) => TierRef::Shared(i as u16),
                    None => {
                        let names: Vec<&str> =
                            self.caches.iter().map(|c| c.name.as_str()).collect();
                        self.problems.add(
                            &tpath,
                            format!(
                                "no Cache is named \"{n}\"; caches: {} (or L1)",
                                list(&names)
                            ),
                        );
                        continue;
                    }
                },
            };
            if out.contains(&r) {
                self.problems.add(&tpath, "a tier is listed twice");
            }
            out.push(r);
        }
        out
    }

    /// Compiles a step list into `program`; `held` is the stack of balancers entered.
    fn compile_steps(
        &mut self,
        steps: &'a [Step],
        path: &str,
        held: &mut Vec<usize>,
        program: &mut Vec<Op>,
    ) {
        let depth = held.len();
        for (j, step) in steps.iter().enumerate() {
            let path = format!("{path}[{j}]");
            match step {
                Step::Lb(lb) => {
                    let lb = self
                        .balancers
                        .iter()
                        .position(|b| b.name == *lb)
                        .expect("checked");
                    if held.len() >= MAX_NESTING {
                        self.problems.add(&path, format!("Lb steps nest deeper than {MAX_NESTING} (a request would hold more than {MAX_NESTING} pods at once)"));
                        return;
                    }
                    self.hop(program);
                    program.push(Op::Enter { lb: lb as u16 });
                    held.push(lb);
                }
                Step::Compute(d) => {
                    if held.is_empty() {
                        self.problems.add(&path, "Compute runs on a pod: put an Lb step before it in this endpoint or a caller");
                    }
                    if let Some(dist) = self.sampler(&path, d) {
                        program.push(Op::Compute { dist });
                    }
                }
                Step::DbRead(d) | Step::DbWrite(d) => {
                    let write = matches!(step, Step::DbWrite(_));
                    let db = self.database_for(&path, held);
                    if let (Some(db), Some(dist)) = (db, self.sampler(&path, d)) {
                        self.hop(program);
                        program.push(Op::Query {
                            db: db as u16,
                            write,
                            dist,
                        });
                    }
                }
                Step::Delay(d) => {
                    if let Some(dist) = self.sampler(&path, d) {
                        program.push(Op::Delay { dist });
                    }
                }
                Step::Call(target) => {
                    let target_path = format!("endpoints.{target}");
                    self.compile(target, &target_path, held, program);
                }
                Step::CacheAside {
                    tiers,
                    on_miss,
                    coalesce,
                } => {
                    let tiers = self.tiers(&path, tiers, held);
                    if on_miss.is_empty() {
                        self.problems.add(
                            format!("{path}.on_miss"),
                            "on_miss needs at least one step (what loads the value, e.g. DbRead)",
                        );
                    }
                    let aside = self.asides.len() as u16;
                    let mut gets = Vec::new();
                    for (t, tier) in tiers.iter().enumerate() {
                        if matches!(tier, TierRef::Shared(_)) {
                            self.hop(program);
                        }
                        gets.push(program.len());
                        program.push(Op::CacheGet {
                            aside,
                            tier: t as u8,
                            skip: 0,
                        });
                    }
                    self.asides.push(AsideSpec {
                        tiers,
                        coalesce: *coalesce,
                    });
                    let load = program.len();
                    program.push(Op::CacheLoad { aside, skip: 0 });
                    self.compile_steps(on_miss, &format!("{path}.on_miss"), held, program);
                    program.push(Op::CacheFill { aside });
                    let end = program.len();
                    if end - load > usize::from(u16::MAX) {
                        self.problems
                            .add(&path, "on_miss compiles to too many operations");
                    }
                    for g in gets {
                        if let Op::CacheGet { skip, .. } = &mut program[g] {
                            *skip = (end - g) as u16;
                        }
                    }
                    if let Op::CacheLoad { skip, .. } = &mut program[load] {
                        *skip = (end - load) as u16;
                    }
                }
                Step::Invalidate(tiers) => {
                    for tier in self.tiers(&path, tiers, held) {
                        program.push(Op::Invalidate { tier });
                    }
                }
                Step::ScatterRead(d) => {
                    let db = self.database_for(&path, held);
                    if let (Some(db), Some(dist)) = (db, self.sampler(&path, d)) {
                        self.hop(program);
                        program.push(Op::Scatter {
                            db: db as u16,
                            dist,
                        });
                    }
                }
            }
        }
        while held.len() > depth {
            held.pop();
            program.push(Op::Leave);
        }
    }

    /// The database a query at this point goes to: the innermost pod's, or the only one.
    fn database_for(&mut self, path: &str, held: &[usize]) -> Option<usize> {
        let names: Vec<&str> = self.databases.iter().map(|d| d.name.as_str()).collect();
        if let Some(&lb) = held.last() {
            let dbs: Vec<Option<usize>> = self.balancers[lb]
                .targets
                .iter()
                .map(|&(d, _)| self.deployments[d].database)
                .collect();
            match dbs.first().copied().flatten() {
                Some(db) if dbs.iter().all(|x| *x == Some(db)) => return Some(db),
                _ if dbs.iter().any(Option::is_some) => {
                    self.problems.add(path, format!("the deployments behind \"{}\" use different databases; a query here is ambiguous", self.balancers[lb].name));
                    return None;
                }
                _ => {}
            }
        }
        match self.databases.len() {
            1 => Some(0),
            0 => {
                self.problems.add(
                    path,
                    "a database step needs a Database component, and there is none",
                );
                None
            }
            _ => {
                self.problems.add(path, format!("several databases exist ({}); set `database` on the deployment this step runs on", list(&names)));
                None
            }
        }
    }
}
