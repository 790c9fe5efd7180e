//! Cost: price tables and cost accrual from what a run actually used.
//!
//! ```text
//! Scenario (instance sizes, DB classes, schedules) ─┐
//!                                                   ├─▶ cost() ─▶ CostReport
//! Report ──Usage::from_report (pod-seconds, …) ─────┘   per hour · per month (730 h)
//!                                                       · per million requests
//! ```
//!
//! Cost accrues from [`Usage`]: pod-seconds per deployment split on-demand /
//! spot, server-seconds per database and balancer, and request counts. Today
//! pods are fixed, so pod-seconds = replicas x simulated time; a report that
//! carries measured pod-seconds plugs in through [`Usage`] unchanged.

mod prices;
mod render;

pub use prices::{bundled, InstancePrice, PriceTable, DEFAULT_TABLE, TABLES};
pub use render::{by_component_markdown, cost_section};

use crate::scenario::schema::Component;
use crate::scenario::units::Duration;
use crate::scenario::{number, MAX_RATE};
use crate::scenario::{Problem, Scenario};
use crate::Report;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Hours in the billing month every monthly figure uses.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// A service-level objective.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slo {
    /// Latency threshold: at least 99% of finished requests must succeed
    /// within it (see `report::slo`).
    pub p99: Duration,
    /// Largest acceptable error rate (0..1).
    pub error_rate: f64,
}

impl Slo {
    /// The objective used when a scenario states none: p99 <= 1 s, errors <= 1%.
    pub fn fallback() -> Slo {
        Slo {
            p99: Duration(crate::algo::Nanos::from_secs(1)),
            error_rate: 0.01,
        }
    }
}

/// Which price table, and overrides of its entries.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceSpec {
    /// A bundled table (`aws-2025-01`, `gcp-2025-01`); default `aws-2025-01`.
    #[serde(default)]
    pub table: Option<String>,
    /// Instance size -> prices, added to or replacing the table's.
    #[serde(default, deserialize_with = "crate::scenario::unique::map")]
    pub instances: BTreeMap<String, InstancePrice>,
    /// Database class -> USD per hour.
    #[serde(default, deserialize_with = "crate::scenario::unique::map")]
    pub databases: BTreeMap<String, f64>,
    /// Cache node class -> USD per hour (shared caches, Redis-backed queues).
    #[serde(default)]
    pub cache_nodes: BTreeMap<String, f64>,
    /// Load balancer USD per hour.
    #[serde(default)]
    pub load_balancer_hour: Option<f64>,
}

/// Hours a deployment or environment is switched off, every day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// Daily off window "HH:MM-HH:MM" (may wrap midnight, e.g. "19:00-07:00").
    pub off: String,
    /// Also off all Saturday and Sunday.
    #[serde(default)]
    pub weekends: bool,
}

impl Schedule {
    /// Fraction of the week the thing runs (0..1).
    pub fn on_fraction(&self) -> Result<f64, String> {
        let (a, b) = self
            .off
            .split_once('-')
            .ok_or_else(|| format!("`{}`: expected HH:MM-HH:MM, e.g. 19:00-07:00", self.off))?;
        let minutes = |t: &str| -> Result<u32, String> {
            let (h, m) = t
                .trim()
                .split_once(':')
                .ok_or_else(|| format!("`{t}`: expected HH:MM"))?;
            let (h, m): (u32, u32) = (
                h.parse().map_err(|_| format!("`{t}`: bad hour"))?,
                m.parse().map_err(|_| format!("`{t}`: bad minute"))?,
            );
            if h > 24 || m > 59 || h * 60 + m > 1440 {
                return Err(format!("`{t}`: hours are 00..24, minutes 00..59"));
            }
            Ok(h * 60 + m)
        };
        let (a, b) = (minutes(a)?, minutes(b)?);
        let off_minutes = if b >= a { b - a } else { 1440 - a + b };
        let weekday_on = 1.0 - off_minutes as f64 / 1440.0;
        let days_on = if self.weekends { 5.0 } else { 7.0 };
        Ok(weekday_on * days_on / 7.0)
    }
}

/// The price table a scenario uses: the named bundled table with the
/// scenario's overrides applied.
pub fn table_for(s: &Scenario) -> Result<PriceTable, String> {
    let spec = s.prices.clone().unwrap_or_default();
    let name = spec.table.as_deref().unwrap_or(DEFAULT_TABLE);
    let mut t = bundled(name).ok_or_else(|| {
        format!(
            "no bundled price table `{name}`; the tables are: {}",
            TABLES.join(", ")
        )
    })?;
    t.instances.extend(spec.instances);
    t.databases.extend(spec.databases);
    t.cache_nodes.extend(spec.cache_nodes);
    if let Some(lb) = spec.load_balancer_hour {
        t.load_balancer_hour = lb;
        t.note.push_str("; load balancer price overridden");
    }
    Ok(t)
}

/// Checks the scenario's cost and SLO fields (called by validation).
pub fn check(s: &Scenario) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut add = |path: String, message: String| {
        problems.push(Problem {
            path,
            message,
            needle: None,
        })
    };
    let table = match table_for(s) {
        Ok(t) => Some(t),
        Err(m) => {
            add("prices.table".into(), m);
            None
        }
    };
    if let Some(slo) = &s.slo {
        if !(0.0..=1.0).contains(&slo.error_rate) {
            add(
                "slo.error_rate".into(),
                format!(
                    "an error rate is from 0 to 1, not {}",
                    number(slo.error_rate)
                ),
            );
        }
    }
    if let Some(stages) = &s.stages {
        if stages.is_empty() {
            add(
                "stages".into(),
                "list at least one (name, users) stage".into(),
            );
        }
        for (i, (name, users)) in stages.iter().enumerate() {
            // The bound of `workload.users`, which each stage's count replaces.
            if !(users.is_finite() && *users > 0.0 && *users <= 1e12) {
                add(
                    format!("stages[{i}]"),
                    format!(
                        "stage `{name}` needs a user count above 0 and at most 1000000000000, not {}",
                        number(*users)
                    ),
                );
            } else if users * s.workload.rps_per_user > MAX_RATE {
                // Checked here, with the file, rather than when the stage runs.
                add(
                    format!("stages[{i}]"),
                    format!(
                        "stage `{name}`: {} users × rps_per_user {} = {} requests/s is more than one machine can simulate (at most {MAX_RATE})",
                        number(*users),
                        number(s.workload.rps_per_user),
                        number(users * s.workload.rps_per_user)
                    ),
                );
            }
        }
    }
    if s.run.replications == Some(0) {
        add(
            "run.replications".into(),
            "replications must be at least 1".into(),
        );
    }
    if let Some(sch) = &s.schedule {
        if let Err(m) = sch.on_fraction() {
            add("schedule.off".into(), m);
        }
    }
    for (i, c) in s.components.iter().enumerate() {
        match c {
            Component::Deployment {
                instance,
                spot,
                schedule,
                nodes,
                ..
            } => {
                if spot.is_some() && nodes.is_some() {
                    add(
                        format!("components[{i}].spot"),
                        "with modelled nodes the spot share is nodes.spot_fraction (pods are billed by the nodes they ran on); remove `spot`".into(),
                    );
                }
                if let (Some(inst), Some(t)) = (instance, &table) {
                    if !t.instances.contains_key(inst) {
                        let known: Vec<&str> = t.instances.keys().map(String::as_str).collect();
                        add(
                            format!("components[{i}].instance"),
                            format!(
                                "`{inst}` is not in price table `{}`; it has: {} (or add it under prices.instances)",
                                t.name,
                                known.join(", ")
                            ),
                        );
                    }
                }
                if let Some(f) = spot {
                    if !(0.0..=1.0).contains(f) {
                        add(
                            format!("components[{i}].spot"),
                            format!("the spot share is from 0 to 1, not {}", number(*f)),
                        );
                    }
                }
                if let Some(sch) = schedule {
                    if let Err(m) = sch.on_fraction() {
                        add(format!("components[{i}].schedule.off"), m);
                    }
                }
            }
            Component::Database {
                class,
                replica_class,
                pgbouncer,
                ..
            } => {
                if let Some(t) = &table {
                    for (field, class) in [("class", class), ("replica_class", replica_class)] {
                        if let Some(class) = class {
                            if let Some(m) = unknown(t, "prices.databases", &t.databases, class) {
                                add(format!("components[{i}].{field}"), m);
                            }
                        }
                    }
                    if let Some(size) = pgbouncer.as_ref().and_then(|b| b.instance.as_ref()) {
                        if let Some(m) = unknown(t, "prices.instances", &t.instances, size) {
                            add(format!("components[{i}].pgbouncer.instance"), m);
                        }
                    }
                }
            }
            Component::Cache {
                node: Some(node), ..
            } => {
                if let Some(t) = &table {
                    if let Some(m) = unknown(t, "prices.cache_nodes", &t.cache_nodes, node) {
                        add(format!("components[{i}].node"), m);
                    }
                }
            }
            Component::Queue {
                redis_node: Some(node),
                ..
            } => {
                if let Some(t) = &table {
                    if let Some(m) = unknown(t, "prices.cache_nodes", &t.cache_nodes, node) {
                        add(format!("components[{i}].redis_node"), m);
                    }
                }
            }
            _ => {}
        }
    }
    problems
}

/// Why `name` is not a key of `entries` in table `t`, if it is not.
fn unknown<V>(
    t: &PriceTable,
    add_under: &str,
    entries: &BTreeMap<String, V>,
    name: &str,
) -> Option<String> {
    if entries.contains_key(name) {
        return None;
    }
    let known: Vec<&str> = entries.keys().map(String::as_str).collect();
    Some(format!(
        "`{name}` is not in price table `{}`; it has: {} (or add it under {add_under})",
        t.name,
        known.join(", ")
    ))
}

/// What a run used, the input of cost accrual.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// Simulated seconds the usage covers.
    pub seconds: f64,
    /// Requests per second served successfully (the divisor of the cost per
    /// million: failed requests cost money but are not what it buys).
    pub served_per_s: f64,
    /// Per deployment: (name, on-demand pod-seconds, spot pod-seconds).
    pub pods: Vec<(String, f64, f64)>,
    /// Per CDN and point of presence: its traffic.
    #[serde(default)]
    pub cdns: Vec<CdnUsage>,
    /// Per job queue: (name, messages per second, retries included).
    #[serde(default)]
    pub queues: Vec<(String, f64)>,
}

/// The traffic of one CDN at one point of presence.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CdnUsage {
    /// CDN name.
    pub name: String,
    /// The PoP's region (`None`: a CDN without regions, one PoP).
    pub region: Option<String>,
    /// Requests per second the edge answered.
    pub requests_per_s: f64,
    /// Bytes per second sent to clients.
    pub bytes_per_s: f64,
}

impl Usage {
    /// What a run used. Pod-seconds come from the run's scaling report (so
    /// they follow the autoscaler and count pods from scheduling), split
    /// on-demand/spot by the nodes they ran on; a deployment without
    /// modelled nodes is split by its `spot` share. CDN and queue traffic is
    /// the measured rate after warm-up; a CDN's bytes to clients are its edge
    /// bytes plus the origin bytes of misses (refreshes go to the origin only).
    pub fn from_report(s: &Scenario, report: &Report) -> Usage {
        let seconds = report.simulated_s;
        let measured = (report.simulated_s - report.warmup_s).max(1e-9);
        let mut pods = Vec::new();
        let mut cdns = Vec::new();
        let mut queues = Vec::new();
        for c in &s.components {
            match c {
                Component::Deployment {
                    name,
                    replicas,
                    spot,
                    nodes,
                    ..
                } => {
                    let scaled = report.scaling.iter().find(|x| &x.name == name);
                    let (od, sp) = match (scaled, nodes) {
                        (Some(x), Some(_)) => (x.pod_seconds_on_demand, x.pod_seconds_spot),
                        (Some(x), None) => {
                            let total = x.pod_seconds_on_demand + x.pod_seconds_spot;
                            let sp = total * spot.unwrap_or(0.0);
                            (total - sp, sp)
                        }
                        (None, _) => {
                            let total = f64::from(*replicas) * seconds;
                            let sp = total * spot.unwrap_or(0.0);
                            (total - sp, sp)
                        }
                    };
                    pods.push((name.clone(), od, sp));
                }
                Component::Cdn { name, .. } => {
                    if let Some(x) = report.cdns.iter().find(|x| &x.name == name) {
                        let to_clients = |edge: u64, origin: u64, misses: u64, refreshes: u64| {
                            let pulls = (misses + refreshes).max(1) as f64;
                            edge as f64 + origin as f64 * misses as f64 / pulls
                        };
                        if x.pops.is_empty() {
                            cdns.push(CdnUsage {
                                name: name.clone(),
                                region: None,
                                requests_per_s: x.lookups as f64 / measured,
                                bytes_per_s: to_clients(
                                    x.edge_bytes,
                                    x.origin_bytes,
                                    x.misses,
                                    x.refreshes,
                                ) / measured,
                            });
                        }
                        for p in &x.pops {
                            cdns.push(CdnUsage {
                                name: name.clone(),
                                region: Some(p.region.clone()),
                                requests_per_s: p.lookups as f64 / measured,
                                bytes_per_s: to_clients(
                                    p.edge_bytes,
                                    p.origin_bytes,
                                    p.misses,
                                    p.refreshes,
                                ) / measured,
                            });
                        }
                    }
                }
                Component::Queue { name, .. } => {
                    if let Some(x) = report.queues.iter().find(|x| &x.name == name) {
                        queues.push((name.clone(), (x.enqueued + x.retries) as f64 / measured));
                    }
                }
                _ => {}
            }
        }
        Usage {
            seconds,
            served_per_s: report.summary.throughput_rps,
            pods,
            cdns,
            queues,
        }
    }
}

/// One line of a component's bill: one kind of node or traffic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BillItem {
    /// What is billed, e.g. `primary (us)`, `read replicas`, `egress (eu)`.
    pub item: String,
    /// How it is billed, e.g. `4 x db.r6g.2xlarge` or `12.5 GB/h x $0.085/GB`.
    pub billed_as: String,
    /// USD per hour while running.
    pub per_hour: f64,
    /// USD per month after schedules.
    pub per_month: f64,
}

/// One component's cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComponentCost {
    /// Component name.
    pub name: String,
    /// Component kind, e.g. `Deployment`, `Database`, `Cdn`.
    pub kind: String,
    /// What it is billed as, e.g. `3 x m6i.large` (its items joined).
    pub billed_as: String,
    /// On-demand USD per hour while running.
    pub on_demand_per_hour: f64,
    /// Spot USD per hour while running.
    pub spot_per_hour: f64,
    /// USD per month after its schedule.
    pub per_month: f64,
    /// USD per month saved by its schedule (0 without one).
    pub schedule_savings_per_month: f64,
    /// Its bill, line by line (every node and every kind of traffic).
    pub items: Vec<BillItem>,
}

/// What an architecture costs at the load it ran.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostReport {
    /// Price table used.
    pub table: String,
    /// The table's note (illustrative list prices of a stated date).
    pub note: String,
    /// USD per hour while everything runs.
    pub per_hour: f64,
    /// USD per month (730 h), schedules applied.
    pub per_month: f64,
    /// On-demand part of `per_month`.
    pub on_demand_per_month: f64,
    /// Spot part of `per_month`.
    pub spot_per_month: f64,
    /// USD per month saved by schedules.
    pub schedule_savings_per_month: f64,
    /// USD per million requests served successfully (0 when none was).
    pub per_million_requests: f64,
    /// Per component, in scenario order.
    pub by_component: Vec<ComponentCost>,
    /// What the architecture runs that the model cannot price, and why.
    pub not_billed: Vec<String>,
}

fn r4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// One component's bill lines: (item, billed as, on-demand $/h, spot $/h).
type Lines = Vec<(String, String, f64, f64)>;

fn node_price(
    t: &PriceTable,
    map: &BTreeMap<String, f64>,
    what: &str,
    class: &str,
) -> Result<f64, String> {
    map.get(class)
        .copied()
        .ok_or_else(|| format!("{what} `{class}` is not in price table `{}`", t.name))
}

/// The nodes a database runs: per regional copy (or one), each shard's
/// primary and its read replicas, and one PgBouncer host per copy.
fn database_lines(t: &PriceTable, c: &Component) -> Result<Lines, String> {
    let Component::Database {
        regions,
        replicas,
        pgbouncer,
        shards,
        class,
        replica_class,
        ..
    } = c
    else {
        return Ok(Vec::new());
    };
    let class = class.clone().unwrap_or_else(|| t.default_database.clone());
    let replica_class = replica_class.clone().unwrap_or_else(|| class.clone());
    let primary = node_price(t, &t.databases, "database class", &class)?;
    let replica = node_price(t, &t.databases, "database class", &replica_class)?;
    let shards = shards.as_ref().map_or(1, |s| s.count);
    let copies: Vec<Option<&String>> = if regions.is_empty() {
        vec![None]
    } else {
        regions.iter().map(Some).collect()
    };
    let mut lines = Vec::new();
    for region in copies {
        let at = |what: &str| match region {
            Some(r) => format!("{what} ({r})"),
            None => what.to_owned(),
        };
        let primaries = if shards > 1 {
            "shard primaries"
        } else {
            "primary"
        };
        lines.push((
            at(primaries),
            format!("{shards} x {class}"),
            f64::from(shards) * primary,
            0.0,
        ));
        if *replicas > 0 {
            let n = shards * replicas;
            lines.push((
                at("read replicas"),
                format!("{n} x {replica_class}"),
                f64::from(n) * replica,
                0.0,
            ));
        }
        if let Some(b) = pgbouncer {
            let size = b
                .instance
                .clone()
                .unwrap_or_else(|| t.default_bouncer_instance.clone());
            let price = t
                .instances
                .get(&size)
                .ok_or_else(|| format!("instance `{size}` is not in price table `{}`", t.name))?;
            lines.push((at("pgbouncer"), format!("1 x {size}"), price.on_demand, 0.0));
        }
    }
    Ok(lines)
}

/// Prices `usage` for scenario `s`.
pub fn cost(s: &Scenario, usage: &Usage) -> Result<CostReport, String> {
    let t = table_for(s)?;
    let env_on = match &s.schedule {
        Some(sch) => sch.on_fraction()?,
        None => 1.0,
    };
    let hours = (usage.seconds / 3600.0).max(1e-12);
    let mut by_component = Vec::new();
    let mut not_billed = Vec::new();
    for c in &s.components {
        let mut own = 1.0;
        let lines: Lines = match c {
            Component::Deployment {
                name,
                instance,
                schedule,
                ..
            } => {
                let size = instance
                    .clone()
                    .unwrap_or_else(|| t.default_instance.clone());
                let price = t.instances.get(&size).ok_or_else(|| {
                    format!("instance `{size}` is not in price table `{}`", t.name)
                })?;
                let (_, od_s, spot_s) = usage
                    .pods
                    .iter()
                    .find(|p| &p.0 == name)
                    .cloned()
                    .unwrap_or_default();
                let pods = (od_s + spot_s) / 3600.0 / hours;
                let od = od_s / 3600.0 * price.on_demand / hours;
                let sp = spot_s / 3600.0 * price.spot / hours;
                if let Some(sch) = schedule {
                    own = sch.on_fraction()?;
                }
                vec![("pods".to_owned(), format!("{pods:.2} x {size}"), od, sp)]
            }
            Component::Database { .. } => database_lines(&t, c)?,
            Component::LoadBalancer { .. } => vec![(
                "load balancer".to_owned(),
                "1 load balancer".to_owned(),
                t.load_balancer_hour,
                0.0,
            )],
            Component::Cache { node, .. } => {
                let class = node.clone().unwrap_or_else(|| t.default_cache_node.clone());
                let price = node_price(&t, &t.cache_nodes, "cache node", &class)?;
                vec![("cache node".to_owned(), format!("1 x {class}"), price, 0.0)]
            }
            Component::Cdn { name, .. } => {
                let mut lines = Vec::new();
                for u in usage.cdns.iter().filter(|u| &u.name == name) {
                    let at = |what: &str| match &u.region {
                        Some(r) => format!("{what} ({r})"),
                        None => what.to_owned(),
                    };
                    let gb_h = u.bytes_per_s * 3600.0 / 1e9;
                    lines.push((
                        at("egress"),
                        format!("{gb_h:.3} GB/h x ${}/GB", t.cdn_egress_per_gb),
                        gb_h * t.cdn_egress_per_gb,
                        0.0,
                    ));
                    let req_h = u.requests_per_s * 3600.0;
                    lines.push((
                        at("requests"),
                        format!("{req_h:.0} req/h x ${}/10k", t.cdn_per_10k_requests),
                        req_h / 1e4 * t.cdn_per_10k_requests,
                        0.0,
                    ));
                }
                lines
            }
            Component::Queue {
                name, redis_node, ..
            } => match redis_node {
                Some(class) => {
                    let price = node_price(&t, &t.cache_nodes, "cache node", class)?;
                    vec![("redis node".to_owned(), format!("1 x {class}"), price, 0.0)]
                }
                None => {
                    // A message costs a send, a receive and a delete.
                    let mps = usage
                        .queues
                        .iter()
                        .find(|x| &x.0 == name)
                        .map_or(0.0, |x| x.1);
                    let req_h = mps * 3.0 * 3600.0;
                    vec![(
                        "queue requests (3 per message)".to_owned(),
                        format!("{req_h:.0} req/h x ${}/M", t.queue_per_million_requests),
                        req_h / 1e6 * t.queue_per_million_requests,
                        0.0,
                    )]
                }
            },
            Component::Dependency { name, .. } => {
                not_billed.push(format!(
                    "{name}: an external dependency (its bill is not ours to model)"
                ));
                Vec::new()
            }
        };
        let on = own * env_on;
        let items: Vec<BillItem> = lines
            .iter()
            .map(|(item, billed_as, od, sp)| BillItem {
                item: item.clone(),
                billed_as: billed_as.clone(),
                per_hour: r4(od + sp),
                per_month: r4((od + sp) * HOURS_PER_MONTH * on),
            })
            .collect();
        let od_h: f64 = lines.iter().map(|l| l.2).sum();
        let spot_h: f64 = lines.iter().map(|l| l.3).sum();
        let full = (od_h + spot_h) * HOURS_PER_MONTH;
        let billed_as = if items.is_empty() {
            "not priced".to_owned()
        } else {
            items
                .iter()
                .map(|i| i.billed_as.as_str())
                .collect::<Vec<_>>()
                .join(" + ")
        };
        by_component.push(ComponentCost {
            name: c.name().to_owned(),
            kind: c.kind().to_owned(),
            billed_as,
            on_demand_per_hour: r4(od_h),
            spot_per_hour: r4(spot_h),
            per_month: r4(full * on),
            schedule_savings_per_month: r4(full * (1.0 - on)),
            items,
        });
    }
    if s.regions.is_some()
        || s.components
            .iter()
            .any(|c| matches!(c, Component::Deployment { zones: Some(_), .. }))
    {
        not_billed.push(
            "cross-region and cross-zone data transfer: the model carries no payload sizes for service calls, queries or replication".to_owned(),
        );
    }
    let sum = |f: fn(&ComponentCost) -> f64| by_component.iter().map(f).sum::<f64>();
    let per_hour = sum(|c| c.on_demand_per_hour + c.spot_per_hour);
    let on_demand_per_month = by_component
        .iter()
        .map(|c| c.per_month * share(c.on_demand_per_hour, c.spot_per_hour))
        .sum::<f64>();
    let per_month = sum(|c| c.per_month);
    let requests_per_hour = usage.served_per_s * 3600.0;
    Ok(CostReport {
        table: t.name,
        note: t.note,
        per_hour: r4(per_hour),
        per_month: r4(per_month),
        on_demand_per_month: r4(on_demand_per_month),
        spot_per_month: r4(per_month - on_demand_per_month),
        schedule_savings_per_month: r4(sum(|c| c.schedule_savings_per_month)),
        per_million_requests: if requests_per_hour > 0.0 {
            r4(per_hour / requests_per_hour * 1e6)
        } else {
            0.0
        },
        by_component,
        not_billed,
    })
}

fn share(a: f64, b: f64) -> f64 {
    if a + b > 0.0 {
        a / (a + b)
    } else {
        1.0
    }
}
