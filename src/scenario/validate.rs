//! Semantic checks that resolve a [`Scenario`] into a [`Plan`], collecting
//! every problem at once, each with its field path.

use super::graph::Topology;
use super::plan::*;
use super::schema::{
    self, Component, Dist, Fault, Pattern, Popularity, Population, Scenario, Step,
};
use super::suggest::hint;
use crate::algo::backoff::{Backoff, Jitter};
use crate::algo::balance::Strategy;
use crate::algo::breaker::{Breaker, BreakerConfig};
use crate::algo::cache::CacheConfig;
use crate::algo::jobqueue::DailyTimes;
use crate::algo::keyhash::KeyHash;
use crate::algo::limiter::{Limiter, LimiterParams};
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
pub(crate) const MAX_RATE: f64 = 1e8;
/// Largest count of pods, slots or connections accepted for one component.
pub(super) const MAX_SIZE: u32 = 1_000_000;
/// Most time-series buckets in one run.
const MAX_BUCKETS: u64 = 1_000_000;

#[derive(Default)]
pub(super) struct Problems(pub(super) Vec<Problem>);

impl Problems {
    pub(super) fn len(&self) -> usize {
        self.0.len()
    }
    pub(super) fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            path: path.into(),
            message: message.into(),
            needle: None,
        });
    }
    pub(super) fn add_at(
        &mut self,
        path: impl Into<String>,
        message: impl Into<String>,
        needle: &str,
    ) {
        self.0.push(Problem {
            path: path.into(),
            message: message.into(),
            needle: Some(needle.to_owned()),
        });
    }
}

/// "Databases", "Dependencies".
fn plural(kind: &str) -> String {
    match kind.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None => format!("{kind}s"),
    }
}

pub(super) fn list(names: &[&str]) -> String {
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

pub(super) fn check_finite(
    p: &mut Problems,
    path: &str,
    v: f64,
    min: f64,
    max: f64,
    what: &str,
) -> bool {
    if !v.is_finite() || v < min || v > max {
        let range = if max == f64::MAX {
            format!("a finite number of at least {}", number(min))
        } else {
            format!("a number from {} to {}", number(min), number(max))
        };
        p.add(path, format!("{what} must be {range}, not {}", number(v)));
        false
    } else {
        true
    }
}

/// `x` as a person reads it: plain digits for everyday magnitudes, the
/// exponent form (`1e300`) for huge or tiny ones rather than 300 digits.
pub(crate) fn number(x: f64) -> String {
    let magnitude = x.abs();
    if x.is_finite() && (magnitude >= 1e15 || (magnitude < 1e-6 && x != 0.0)) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// Checks `s` and resolves it into a [`Plan`], or returns every problem found.
pub fn validate(s: &Scenario) -> Result<Plan, Vec<Problem>> {
    let mut p = Problems::default();
    super::names::check_printable(s, &mut p);
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
    let mut counts = [0usize; 7];
    for (i, c) in s.components.iter().enumerate() {
        let k = match c {
            Component::LoadBalancer { .. } => 0,
            Component::Deployment { .. } => 1,
            Component::Database { .. } => 2,
            Component::Cdn { .. } => 3,
            Component::Dependency { .. } => 4,
            Component::Queue { .. } => 5,
            Component::Cache { .. } => 6,
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
    let names_of = |kind: &str| names_of_kind(s, kind);
    let lookup =
        |p: &mut Problems, path: String, name: &str, kind: &'static str| -> Option<usize> {
            match kinds.get(name) {
                Some((k, idx)) if *k == kind => Some(*idx),
                Some((k, _)) => {
                    p.add_at(
                        path,
                        format!(
                            "\"{name}\" is a {k}, but a {kind} is needed here; {}: {}",
                            plural(kind),
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
                            "no {kind} is named \"{name}\";{} {}: {}",
                            hint(name, names_of(kind)),
                            plural(kind),
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
    let mut cdns: Vec<(CdnSpec, &Dist, String)> = Vec::new();
    let mut dependencies: Vec<(DependencySpec, &Dist, String)> = Vec::new();
    let mut queues = Vec::new();
    let regions = s
        .regions
        .as_ref()
        .and_then(|r| super::regions::resolve_regions(&mut p, r));
    // Extra database copies (one per region after the first): (logical db, region).
    let mut extra_copies: Vec<(usize, u8)> = Vec::new();
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
                rate_limit,
            } => {
                let rate_limit = rate_limit
                    .as_ref()
                    .and_then(|r| resolve_rate_limit(&mut p, &at("rate_limit"), r, s));
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
                    rate_limit,
                    regional: Vec::new(),
                });
            }
            Component::Deployment {
                name,
                replicas,
                concurrency,
                queue_limit,
                database,
                shed_after,
                region,
                l1,
                pool,
                hpa,
                startup,
                resources,
                nodes,
                min_available,
                zones,
                ..
            } => {
                let shed_after = shed_after.map(|d| d.nanos());
                if shed_after == Some(Nanos::ZERO) {
                    p.add_at(at("shed_after"), "shed_after must be longer than zero (leave it out to turn load shedding off)", name);
                }
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
                let region = region.as_ref().and_then(|r| {
                    super::regions::region_of(
                        &mut p,
                        at("region"),
                        regions.as_ref(),
                        s.regions.is_some(),
                        r,
                    )
                });
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
                    shed_after,
                    region,
                    l1,
                    pool,
                    ..super::autoscale::resolve_deployment(
                        &mut p,
                        &at,
                        *replicas,
                        hpa.as_ref(),
                        *startup,
                        resources.as_ref(),
                        nodes.as_ref(),
                        *min_available,
                        zones.as_deref(),
                    )
                });
            }
            Component::Database {
                name,
                connections,
                queue_limit,
                regions: placed,
                replicas,
                replica_connections,
                reads,
                replication_lag,
                read_your_writes,
                max_connections,
                pgbouncer,
                shards,
                ..
            } => {
                if *connections == 0 || *connections > MAX_SIZE {
                    p.add_at(
                        at("connections"),
                        format!("connections must be from 1 to {MAX_SIZE}, not {connections}"),
                        name,
                    );
                }
                let mut in_regions: Vec<u8> = Vec::new();
                for (j, r) in placed.iter().enumerate() {
                    let path = at(&format!("regions[{j}]"));
                    if let Some(r) = super::regions::region_of(
                        &mut p,
                        path.clone(),
                        regions.as_ref(),
                        s.regions.is_some(),
                        r,
                    ) {
                        if in_regions.contains(&r) {
                            p.add(path, "a database has at most one copy per region");
                        } else {
                            in_regions.push(r);
                        }
                    }
                }
                let logical = databases.len();
                for &r in in_regions.iter().skip(1) {
                    extra_copies.push((logical, r));
                }
                if *replicas > 64 {
                    p.add_at(
                        at("replicas"),
                        format!("replicas must be from 0 to 64, not {replicas}"),
                        name,
                    );
                }
                // Checked only when given: by default replicas copy `connections`, already checked.
                if replica_connections.is_some_and(|c| c == 0 || c > MAX_SIZE) {
                    p.add_at(
                        at("replica_connections"),
                        format!(
                            "replica_connections must be from 1 to {MAX_SIZE}, not {}",
                            replica_connections.unwrap_or_default()
                        ),
                        name,
                    );
                }
                let replica_connections = replica_connections.unwrap_or(*connections);
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
                    if x.layout == schema::ShardLayout::Ranges && x.count > 256 {
                        p.add_at(
                            at("shards.count"),
                            format!("a Ranges layout splits the first digest byte: at most 256 shards, not {} (use the Ring layout for more)", x.count),
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
                        ranges: x.layout == schema::ShardLayout::Ranges,
                        hash: match x.hash {
                            schema::ShardHash::XxHash64 => KeyHash::XxHash64,
                            schema::ShardHash::Md5 => KeyHash::Md5,
                        },
                    }
                });
                lag_dists.push(replication_lag.as_ref());
                databases.push(DatabaseSpec {
                    name: match (in_regions.first(), &regions) {
                        (Some(&r), Some(rs)) => format!("{name}@{}", rs.names[r as usize]),
                        _ => name.clone(),
                    },
                    connections: *connections,
                    queue_limit: *queue_limit,
                    region: in_regions.first().copied(),
                    copies: if in_regions.is_empty() {
                        Vec::new()
                    } else {
                        vec![logical]
                    },
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
            Component::Cdn {
                name,
                capacity,
                ttl,
                stale_while_revalidate,
                latency,
                response_bytes,
                pops,
            } => {
                let (pops, pop_in) = super::regions::resolve_pops(
                    &mut p,
                    &at("pops"),
                    regions.as_ref(),
                    s.regions.is_some(),
                    pops,
                );
                if *capacity == 0 || *capacity > u64::from(u32::MAX - 1) {
                    p.add_at(
                        at("capacity"),
                        format!(
                            "a CDN's capacity must be from 1 to {} objects, not {capacity}",
                            u32::MAX - 1
                        ),
                        name,
                    );
                }
                if ttl.nanos() == Nanos::ZERO {
                    p.add_at(
                        at("ttl"),
                        "a CDN's ttl (s-maxage) must be longer than zero",
                        name,
                    );
                }
                cdns.push((
                    CdnSpec {
                        name: name.clone(),
                        cache: CacheConfig::lru(*capacity as usize)
                            .ttl(ttl.nanos())
                            .stale_while_revalidate(stale_while_revalidate.nanos()),
                        latency: 0,
                        response_bytes: *response_bytes,
                        pops,
                        pop_in,
                    },
                    latency,
                    at("latency"),
                ));
            }
            Component::Dependency {
                name,
                latency,
                error_rate,
                timeout,
                breaker,
                retries,
            } => {
                check_finite(
                    &mut p,
                    &at("error_rate"),
                    *error_rate,
                    0.0,
                    1.0,
                    "an error rate",
                );
                let timeout = timeout.map(|t| t.nanos());
                if timeout == Some(Nanos::ZERO) {
                    p.add_at(
                        at("timeout"),
                        "a call timeout must be longer than zero (leave it out for none)",
                        name,
                    );
                }
                let breaker = breaker.as_ref().and_then(|b| {
                    let config = BreakerConfig {
                        failure_threshold: b.failure_threshold,
                        rate: None,
                        reset_timeout: b.reset_timeout.nanos(),
                        half_open_max_calls: b.half_open_max_calls.unwrap_or(1),
                        success_threshold: match b.close_on {
                            schema::CloseRule::AllProbes => None,
                            schema::CloseRule::FirstSuccess => Some(1),
                        },
                        event_capacity: 10_000,
                    };
                    if b.failure_threshold == 0 {
                        p.add_at(at("breaker.failure_threshold"), "failure_threshold (consecutive failures that open the breaker) must be at least 1", name);
                        return None;
                    }
                    match Breaker::new(config) {
                        Ok(_) if config.reset_timeout == Nanos::ZERO => {
                            p.add_at(
                                at("breaker.reset_timeout"),
                                "reset_timeout must be longer than zero",
                                name,
                            );
                            None
                        }
                        Ok(_) => Some(config),
                        Err(e) => {
                            p.add_at(
                                at("breaker"),
                                format!(
                                    "{e} (failure_threshold {}, half_open_max_calls {})",
                                    b.failure_threshold, config.half_open_max_calls
                                ),
                                name,
                            );
                            None
                        }
                    }
                });
                let retries = retries.as_ref().and_then(|r| {
                    if r.attempts == 0 || r.attempts > 100 {
                        p.add_at(
                            at("retries.attempts"),
                            format!(
                                "attempts (the first call included) must be from 1 to 100, not {}",
                                r.attempts
                            ),
                            name,
                        );
                        return None;
                    }
                    Some(Backoff {
                        max_attempts: r.attempts,
                        base: r.backoff.nanos(),
                        multiplier: 2.0,
                        cap: Nanos::from_secs(10).max(r.backoff.nanos()),
                        jitter: jitter_of(r.jitter),
                    })
                });
                dependencies.push((
                    DependencySpec {
                        name: name.clone(),
                        latency: 0,
                        error_rate: *error_rate,
                        timeout,
                        breaker,
                        retries,
                    },
                    latency,
                    at("latency"),
                ));
            }
            Component::Cache {
                name,
                capacity,
                ttl,
                latency,
                concurrency,
                ..
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
                if name == "L1" {
                    p.add_at(at("name"), "L1 names the pods' own cache tier in `CacheAside`/`Invalidate`; give the Cache another name", name);
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
            Component::Queue { .. } => queues.push(super::jobs::resolve_queue(&mut p, i, c)),
        }
    }
    // Queues worked by a Deployment's pods: one worker per pod.
    for (i, c) in s.components.iter().enumerate() {
        if let Component::Queue {
            name,
            deployment: Some(d),
            ..
        } = c
        {
            if let Some(d) = lookup(
                &mut p,
                format!("components[{i}].deployment"),
                d,
                "Deployment",
            ) {
                let q = queues
                    .iter_mut()
                    .find(|q: &&mut QueueSpec| q.name == *name)
                    .expect("resolved above");
                q.deployment = Some(d);
                q.slots = deployments[d].replicas.saturating_mul(q.concurrency);
            }
        }
    }
    super::autoscale::resolve_hpa_queues(&mut p, s, &mut deployments, &queues);
    // Extra database copies go after the databases the scenario names.
    let named_databases = databases.len();
    for (logical, r) in extra_copies {
        let copy = databases.len();
        let base = s
            .components
            .iter()
            .filter(|c| c.kind() == "Database")
            .nth(logical)
            .map_or("", |c| c.name());
        let region_name = regions
            .as_ref()
            .map_or("", |rs| rs.names[r as usize].as_str());
        let mut spec = databases[logical].clone();
        spec.name = format!("{base}@{region_name}");
        spec.region = Some(r);
        spec.copies = Vec::new();
        databases.push(spec);
        databases[logical].copies.push(copy);
    }
    for l in 0..named_databases {
        let copies = databases[l].copies.clone();
        for &c in copies.iter().skip(1) {
            databases[c].copies = copies.clone();
        }
    }
    // With regions, each balancer serves a region from the targets placed there (or nowhere).
    if let Some(rs) = &regions {
        for b in &mut balancers {
            b.regional = (0..rs.names.len() as u8)
                .map(|r| {
                    b.targets
                        .iter()
                        .copied()
                        .filter(|&(d, _)| deployments[d].region.is_none_or(|x| x == r))
                        .collect()
                })
                .collect();
        }
    }
    // A deployment without a named database uses the only one, if there is exactly one.
    if named_databases == 1 {
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
    let endpoint_order: Vec<&str> = s.endpoints.keys().map(String::as_str).collect();
    let replay = super::recordings::replay(&mut p, &w.arrivals, &endpoint_order);
    let replaying = !matches!(w.arrivals, schema::ArrivalProcess::Poisson);
    if replaying {
        if w.rps_per_user != 0.0 {
            p.add(
                "workload.rps_per_user",
                "a replayed log sets its own rate: leave rps_per_user out",
            );
        }
        if w.pattern != Pattern::Constant {
            p.add(
                "workload.pattern",
                "a replayed log keeps its recorded timing: leave the pattern out (use the replay's speed and scale)",
            );
        }
    } else if users_ok && rps_ok {
        if rate <= 0.0 {
            p.add(
                "workload",
                "the workload offers no traffic: users × rps_per_user is 0",
            );
        } else if rate > MAX_RATE {
            p.add("workload", format!("users × rps_per_user = {} requests/s is more than one machine can simulate (at most {MAX_RATE})", number(rate)));
        }
    }
    let pattern = resolve_pattern(&mut p, &w.pattern, &endpoint_order);
    if let Some(peak) = pattern.as_ref().map(|x| rate * x.max_factor()) {
        if users_ok && rps_ok && rate > 0.0 && rate <= MAX_RATE && peak > MAX_RATE {
            p.add("workload.pattern", format!("at its peak this pattern offers {peak:.3e} requests/s ({rate} × a factor of {:.3e}), more than one machine can simulate (at most {MAX_RATE:.0e})", peak / rate));
        }
    }
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
    let retries = w
        .retries
        .as_ref()
        .and_then(|r| resolve_retries(&mut p, r, client_timeout.is_some()));

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
                        "no endpoint is named \"{name}\";{} endpoints: {}",
                        hint(name, endpoint_names.iter().copied()),
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
        let mut flat: Vec<(String, &Step)> = steps
            .iter()
            .enumerate()
            .map(|(j, st)| (format!("endpoints.{ep}[{j}]"), st))
            .collect();
        let mut next = 0;
        while next < flat.len() {
            if let Step::External { fallback, .. } = flat[next].1 {
                let base = flat[next].0.clone();
                for (k, st) in fallback.iter().enumerate() {
                    flat.push((format!("{base}.fallback[{k}]"), st));
                }
            }
            next += 1;
        }
        for (path, step) in flat {
            match step {
                Step::Lb(lb) => {
                    lookup(&mut p, path, lb, "LoadBalancer");
                }
                Step::External { dependency, .. } => {
                    lookup(&mut p, path, dependency, "Dependency");
                }
                // The guard resolves the name (reporting an unknown Cdn) in any case.
                Step::Cdn(cdn)
                    if lookup(&mut p, path.clone(), cdn, "Cdn").is_some() && w.keys.is_none() =>
                {
                    p.add_at(
                        path,
                        "a Cdn step caches by key: set workload.keys (count and popularity)",
                        cdn,
                    );
                }
                Step::Enqueue { queue, .. } => {
                    lookup(&mut p, format!("{path}.queue"), queue, "Queue");
                }
                Step::Call(target) if !s.endpoints.contains_key(target) => {
                    p.add_at(
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
    let limits = resolve_endpoint_limits(&mut p, s, &endpoint_names);
    let faults = resolve_faults(&mut p, s, &kinds, duration, regions.as_ref());
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
    } else {
        super::calls::check(s, &mut p);
    }

    if !p.0.is_empty() {
        return Err(p.0);
    }

    // Compile endpoint programs (all references are known to resolve now).
    let cdn_names: Vec<String> = cdns.iter().map(|c| c.0.name.clone()).collect();
    let dependency_names: Vec<String> = dependencies.iter().map(|d| d.0.name.clone()).collect();
    let mut compiler = Compiler {
        scenario: s,
        cdns: &cdn_names,
        dependencies: &dependency_names,
        balancers: &balancers,
        deployments: &deployments,
        databases: &databases[..named_databases],
        queues: &queues,
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
            if let Some(limit) = limits.iter().position(|l| l.endpoint == *name) {
                program.push(Op::EndpointLimit {
                    limit: limit as u16,
                });
            }
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
    let cdns: Vec<CdnSpec> = cdns
        .into_iter()
        .map(|(mut c, dist, path)| {
            c.latency = compiler.sampler(&path, dist).unwrap_or(0);
            c
        })
        .collect();
    let dependencies: Vec<DependencySpec> = dependencies
        .into_iter()
        .map(|(mut d, dist, path)| {
            d.latency = compiler.sampler(&path, dist).unwrap_or(0);
            d
        })
        .collect();
    let mut scheduled = Vec::new();
    for (i, c) in s.components.iter().enumerate() {
        if let Component::Queue { schedules, .. } = c {
            let q = queues
                .iter()
                .position(|q: &QueueSpec| q.name == c.name())
                .expect("resolved above");
            for (j, sch) in schedules.iter().enumerate() {
                let path = format!("components[{i}].schedules[{j}].work");
                let when = match (&sch.every, sch.at.is_empty()) {
                    (Some(every), true) => Some(ScheduleTimes::Every(every.nanos())),
                    (None, false) => DailyTimes::parse(&sch.at).ok().map(ScheduleTimes::Daily),
                    _ => None, // reported by resolve_queue
                };
                if let (Some(dist), Some(when)) = (compiler.sampler(&path, &sch.work), when) {
                    scheduled.push((
                        q,
                        JobScheduleSpec {
                            when,
                            work: dist,
                            priority: sch.priority,
                        },
                    ));
                }
            }
        }
    }
    let samplers = compiler.samplers;
    let asides = compiler.asides;
    compiler.problems.0.extend(crate::cost::check(s));
    if !compiler.problems.0.is_empty() {
        return Err(compiler.problems.0);
    }
    for (q, schedule) in scheduled {
        queues[q].schedules.push(schedule);
    }
    for (db, lag) in databases.iter_mut().zip(lag_samplers) {
        db.lag = lag;
    }
    for (c, lat) in caches.iter_mut().zip(cache_samplers) {
        c.latency = lat.unwrap_or(0);
    }

    Ok(Plan {
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
            retries,
            replay,
        },
        balancers,
        deployments,
        databases,
        endpoints,
        samplers,
        faults,
        cdns,
        dependencies,
        queues,
        regions,
        caches,
        asides,
        limits,
        slo: s.slo.clone(),
    })
}

fn resolve_faults(
    p: &mut Problems,
    s: &Scenario,
    kinds: &BTreeMap<&str, (&'static str, usize)>,
    duration: Nanos,
    regions: Option<&RegionsSpec>,
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
                    Some(("Dependency", idx)) => Some(StationRef::Dependency(*idx)),
                    _ => {
                        let names: Vec<&str> = s
                            .components
                            .iter()
                            .filter(|c| {
                                matches!(c.kind(), "Deployment" | "Database" | "Dependency")
                            })
                            .map(|c| c.name())
                            .collect();
                        p.add_at(at_path("target"), format!("a Slowdown targets a Deployment, Database or Dependency; \"{target}\" is none of these; candidates: {}", list(&names)), target);
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
            Fault::FailDependency {
                dependency,
                error_rate,
                at,
                length,
            } => {
                if at.nanos() >= duration {
                    p.add(
                        at_path("at"),
                        format!("the fault starts at {at}, after the run ends"),
                    );
                }
                let rate_ok = check_finite(
                    p,
                    &at_path("error_rate"),
                    *error_rate,
                    0.0,
                    1.0,
                    "an error rate",
                );
                match kinds.get(dependency.as_str()) {
                    Some(("Dependency", idx)) if rate_ok => out.push(FaultSpec {
                        label: format!("FailDependency({dependency} {error_rate})"),
                        at: at.nanos(),
                        until: length.map(|l| at.nanos().saturating_add(l.nanos())),
                        kind: FaultKind::FailDependency {
                            dependency: *idx,
                            error_rate: *error_rate,
                        },
                    }),
                    Some(("Dependency", _)) => {}
                    _ => {
                        let names = names_of_kind(s, "Dependency");
                        p.add_at(
                            at_path("dependency"),
                            format!(
                                "no Dependency is named \"{dependency}\";{} Dependencies: {}",
                                hint(dependency, names.iter().copied()),
                                list(&names)
                            ),
                            dependency,
                        );
                    }
                }
            }
            Fault::PurgeCdn { cdn, at } => {
                if at.nanos() >= duration {
                    p.add(
                        at_path("at"),
                        format!("the fault starts at {at}, after the run ends"),
                    );
                }
                match kinds.get(cdn.as_str()) {
                    Some(("Cdn", idx)) => out.push(FaultSpec {
                        label: format!("PurgeCdn({cdn})"),
                        at: at.nanos(),
                        until: None,
                        kind: FaultKind::PurgeCdn { cdn: *idx },
                    }),
                    _ => {
                        let names = names_of_kind(s, "Cdn");
                        p.add_at(
                            at_path("cdn"),
                            format!(
                                "no Cdn is named \"{cdn}\";{} Cdns: {}",
                                hint(cdn, names.iter().copied()),
                                list(&names)
                            ),
                            cdn,
                        );
                    }
                }
            }
            Fault::RegionDown { region, at, length } => {
                if at.nanos() >= duration {
                    p.add(
                        at_path("at"),
                        format!("the fault starts at {at}, after the run ends"),
                    );
                }
                if length.is_some_and(|l| l.nanos() == Nanos::ZERO) {
                    p.add(at_path("for"), "an outage must last longer than zero");
                }
                if let Some(r) = super::regions::region_of(
                    p,
                    at_path("region"),
                    regions,
                    s.regions.is_some(),
                    region,
                ) {
                    out.push(FaultSpec {
                        label: format!("RegionDown({region})"),
                        at: at.nanos(),
                        until: length.map(|l| at.nanos().saturating_add(l.nanos())),
                        kind: FaultKind::RegionDown { region: r },
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
            Fault::ZoneDown { .. } => {
                if let Some(spec) =
                    super::autoscale::resolve_zone_fault(p, s, regions, duration, i, f)
                {
                    out.push(spec);
                }
            }
            Fault::KillPods { .. } | Fault::ReclaimSpot { .. } => {
                if let Some(spec) = super::autoscale::resolve_fault(p, s, kinds, duration, i, f) {
                    out.push(spec);
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
            let names = names_of_kind(s, "Database");
            p.add_at(
                path,
                format!(
                    "no Database is named \"{name}\";{} databases: {}",
                    hint(name, names.iter().copied()),
                    list(&names)
                ),
                name,
            );
            None
        }
    }
}

/// The names of the components of one kind, in scenario order.
fn names_of_kind<'a>(s: &'a Scenario, kind: &str) -> Vec<&'a str> {
    s.components
        .iter()
        .filter(|c| c.kind() == kind)
        .map(|c| c.name())
        .collect()
}

fn target_name_of(s: &Scenario, target: StationRef) -> String {
    let (kind, idx) = match target {
        StationRef::Deployment(i) => ("Deployment", i),
        StationRef::Database(i) => ("Database", i),
        StationRef::Dependency(i) => ("Dependency", i),
    };
    s.components
        .iter()
        .filter(|c| c.kind() == kind)
        .nth(idx)
        .map_or_else(String::new, |c| c.name().to_owned())
}

fn resolve_pattern(p: &mut Problems, pattern: &Pattern, endpoints: &[&str]) -> Option<RatePattern> {
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
        Pattern::Trace { file } => return super::recordings::trace(p, file, endpoints),
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

fn resolve_rate_limit(
    p: &mut Problems,
    path: &str,
    r: &schema::RateLimit,
    s: &Scenario,
) -> Option<RateLimitSpec> {
    let window = r.window.nanos();
    let name = match r.algorithm {
        schema::LimitAlgorithm::SlidingLog => "sliding_log",
        schema::LimitAlgorithm::SortedSetLog => "sorted_set_log",
        schema::LimitAlgorithm::SlidingCounter => "sliding_counter",
        schema::LimitAlgorithm::TokenBucket => "token_bucket",
        schema::LimitAlgorithm::Gcra => "gcra",
    };
    if window == Nanos::ZERO {
        p.add(
            format!("{path}.window"),
            format!(
                "a rate limit's window must be longer than zero, not {}",
                r.window
            ),
        );
        return None;
    }
    if r.tiers.is_empty() {
        p.add(
            format!("{path}.tiers"),
            "a rate limit needs at least one tier, e.g. (name: \"free\", share: 1.0, max: 60)",
        );
        return None;
    }
    let mut ok = true;
    let mut tiers = Vec::new();
    let mut cumulative = Vec::new();
    let mut acc = 0.0;
    for (i, t) in r.tiers.iter().enumerate() {
        let tp = format!("{path}.tiers[{i}]");
        ok &= check_finite(
            p,
            &format!("{tp}.share"),
            t.share,
            0.0,
            1.0,
            "a tier's share of tenants",
        );
        acc += t.share;
        cumulative.push(acc);
        match Limiter::from_name(name, LimiterParams::Window { window, max: t.max }) {
            Ok(l) => tiers.push((t.name.clone(), l)),
            Err(e) => {
                p.add(
                    format!("{tp}.max"),
                    format!("{e} (window {}, max {})", r.window, t.max),
                );
                ok = false;
            }
        }
    }
    if ok && (acc - 1.0).abs() > 1e-6 {
        p.add(
            format!("{path}.tiers"),
            format!("tier shares must add up to 1, not {acc}"),
        );
        ok = false;
    }
    if let Some(last) = cumulative.last_mut() {
        *last = f64::INFINITY;
    }
    let tenants = s.workload.tenants.as_ref().map_or(1, |t| t.count.max(1));
    ok.then_some(RateLimitSpec {
        tiers,
        cumulative,
        tenants,
    })
}

/// Resolves the per-endpoint rate limits (`limits`), in endpoint name order.
fn resolve_endpoint_limits(
    p: &mut Problems,
    s: &Scenario,
    endpoints: &[&str],
) -> Vec<EndpointLimitSpec> {
    let mut out = Vec::new();
    for (endpoint, r) in &s.limits {
        let path = format!("limits.{endpoint}");
        if !s.endpoints.contains_key(endpoint) {
            p.add_at(
                path,
                format!(
                    "no endpoint is named \"{endpoint}\";{} endpoints: {}",
                    hint(endpoint, endpoints.iter().copied()),
                    list(endpoints)
                ),
                endpoint,
            );
        } else if let Some(limit) = resolve_rate_limit(p, &path, r, s) {
            out.push(EndpointLimitSpec {
                endpoint: endpoint.clone(),
                limit,
            });
        }
    }
    out
}

fn resolve_retries(p: &mut Problems, r: &schema::Retries, has_timeout: bool) -> Option<RetrySpec> {
    let path = "workload.retries";
    let mut ok = true;
    if !has_timeout {
        p.add(
            path,
            "clients retry on timeout: set workload.client_timeout too",
        );
        ok = false;
    }
    if r.attempts == 0 || r.attempts > 100 {
        p.add(
            format!("{path}.attempts"),
            format!(
                "attempts (the first included) must be from 1 to 100, not {}",
                r.attempts
            ),
        );
        ok = false;
    }
    let multiplier = r.multiplier.unwrap_or(2.0);
    ok &= check_finite(
        p,
        &format!("{path}.multiplier"),
        multiplier,
        1.0,
        100.0,
        "a backoff multiplier",
    );
    let cap = r.cap.map_or(Nanos::from_secs(10), |c| c.nanos());
    if cap < r.backoff.nanos() {
        p.add(
            format!("{path}.cap"),
            format!(
                "the backoff cap ({}) must be at least the base backoff ({})",
                cap, r.backoff
            ),
        );
        ok = false;
    }
    let budget = match &r.budget {
        Some(b) => {
            ok &= check_finite(
                p,
                &format!("{path}.budget.ratio"),
                b.ratio,
                0.0,
                100.0,
                "a retry budget ratio",
            );
            Some((b.ratio, b.min_per_s, b.max_saved.unwrap_or(100)))
        }
        None => None,
    };
    ok.then_some(RetrySpec {
        backoff: Backoff {
            max_attempts: r.attempts,
            base: r.backoff.nanos(),
            multiplier,
            cap,
            jitter: jitter_of(r.jitter),
        },
        budget,
    })
}

fn jitter_of(j: schema::JitterKind) -> Jitter {
    match j {
        schema::JitterKind::None => Jitter::None,
        schema::JitterKind::Full => Jitter::Full,
        schema::JitterKind::Equal => Jitter::Equal,
        schema::JitterKind::Decorrelated => Jitter::Decorrelated,
    }
}

/// Turns endpoint step lists into flat programs.
struct Compiler<'a> {
    scenario: &'a Scenario,
    cdns: &'a [String],
    dependencies: &'a [String],
    balancers: &'a [BalancerSpec],
    deployments: &'a [DeploymentSpec],
    databases: &'a [DatabaseSpec],
    queues: &'a [QueueSpec],
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
            Dist::Fit => {
                self.problems.add(
                    path,
                    "Fit marks a distribution to be measured: run `scaletwin calibrate FILE --observed DATA` to replace it",
                );
                return None;
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
                                "no Cache is named \"{n}\";{} caches: {} (or L1)",
                                hint(n, names.iter().copied()),
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

    /// Compiles a step list; `Lb` scopes and CDN lookups opened in it end with it.
    fn compile_steps(
        &mut self,
        steps: &'a [Step],
        path: &str,
        held: &mut Vec<usize>,
        program: &mut Vec<Op>,
    ) {
        let depth = held.len();
        let mut lookups: Vec<(usize, u16)> = Vec::new();
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
                    if self.balancers[lb].rate_limit.is_some() {
                        program.push(Op::RateLimit { lb: lb as u16 });
                    }
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
                Step::Enqueue {
                    queue,
                    work,
                    priority,
                } => {
                    let queue = self
                        .queues
                        .iter()
                        .position(|q| q.name == *queue)
                        .expect("checked");
                    if let Some(dist) = self.sampler(&format!("{path}.work"), work) {
                        self.hop(program);
                        program.push(Op::Enqueue {
                            queue: queue as u16,
                            dist,
                            priority: *priority,
                        });
                    }
                }
                Step::Call(target) => {
                    let target_path = format!("endpoints.{target}");
                    self.compile(target, &target_path, held, program);
                }
                Step::Cdn(cdn) => {
                    if held.len() > depth {
                        self.problems.add(&path, "a Cdn step sits in front of the origin: put it before any Lb step of its list");
                    }
                    let cdn = self.cdns.iter().position(|c| c == cdn).expect("checked") as u16;
                    lookups.push((program.len(), cdn));
                    program.push(Op::CdnLookup { cdn, hit_pc: 0 });
                }
                Step::External {
                    dependency,
                    fallback,
                } => {
                    let dep = self
                        .dependencies
                        .iter()
                        .position(|d| d == dependency)
                        .expect("checked") as u16;
                    let at = program.len();
                    self.hop(program);
                    let at = if program.len() > at { at + 1 } else { at };
                    program.push(Op::External { dep, end: 0 });
                    self.compile_steps(fallback, &format!("{path}.fallback"), held, program);
                    program[at] = Op::External {
                        dep,
                        end: program.len() as u32,
                    };
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
        // Each edge stores the origin's answer once the origin path is done;
        // a hit continues after its fill.
        while let Some((at, cdn)) = lookups.pop() {
            program.push(Op::CdnFill { cdn });
            program[at] = Op::CdnLookup {
                cdn,
                hit_pc: program.len() as u32,
            };
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
