//! A plan's prices resolved once ([`Pricing::of`]), and the bill of a
//! run's usage under them ([`Pricing::bill`]): each component reads its
//! family's usage at its own index.

use super::{table_for, CostError, InstancePrice, PriceTable, Usage, HOURS_PER_MONTH};
use crate::report::{BillItem, ComponentCost, CostReport};
use crate::scenario::{Billed, BilledSpec, Plan};
use std::collections::BTreeMap;

/// One component's bill lines: (item, billed as, on-demand $/h, spot $/h).
type Lines = Vec<(String, String, f64, f64)>;

/// A plan's prices: the table, the environment's schedule, and what each
/// component (in scenario order) is billed as.
#[derive(Clone, Debug)]
pub struct Pricing {
    table: PriceTable,
    /// Share of the week the environment runs (its schedule).
    env_on: f64,
    components: Vec<Priced>,
    /// Whether data crosses regions or zones (which no bill line prices).
    cross_region: bool,
}

/// One component's prices.
#[derive(Clone, Debug)]
struct Priced {
    name: String,
    kind: &'static str,
    /// Share of the week it runs (its own schedule).
    own: f64,
    bill: Bill,
}

/// How a component is billed, priced.
#[derive(Clone, Debug)]
enum Bill {
    /// The pods of deployment `index`, each billed as one instance of
    /// `size`; `spot` splits its pods when no node pool is modelled. With
    /// a node pool (`nodes`), its nodes are the instances billed.
    Pods {
        index: usize,
        size: String,
        price: InstancePrice,
        spot: Option<f64>,
        nodes: bool,
    },
    /// Nodes billed by the hour whatever the load.
    Nodes(Lines),
    /// The edge traffic of CDN `index`.
    Cdn { index: usize },
    /// The requests of managed job queue `index`.
    Queue { index: usize },
    /// An external dependency: not ours to bill.
    External,
}

impl Pricing {
    /// Prices every component of `plan` from its price table (validation
    /// has checked the names; an unknown one is an error here too).
    pub fn of(plan: &Plan) -> Result<Pricing, CostError> {
        let billing = &plan.billing;
        let table = table_for(Some(&billing.prices))?;
        let components = billing
            .components
            .iter()
            .map(|c| {
                Ok(Priced {
                    name: c.name.clone(),
                    kind: c.kind,
                    own: c.on,
                    bill: priced(&table, c)?,
                })
            })
            .collect::<Result<_, CostError>>()?;
        Ok(Pricing {
            table,
            env_on: billing.env_on,
            components,
            cross_region: billing.cross_region,
        })
    }

    /// The bill of `usage`: every component's lines, the totals and what is
    /// not billed.
    pub fn bill(&self, usage: &Usage) -> CostReport {
        let hours = (usage.seconds / 3600.0).max(1e-12);
        let mut by_component = Vec::new();
        let mut not_billed = Vec::new();
        for c in &self.components {
            let lines = match &c.bill {
                Bill::Pods {
                    index,
                    size,
                    price,
                    spot,
                    nodes,
                } => pod_lines(usage, hours, *index, size, price, *spot, *nodes),
                Bill::Nodes(lines) => lines.clone(),
                Bill::Cdn { index } => cdn_lines(&self.table, usage, *index),
                Bill::Queue { index } => queue_lines(&self.table, usage, *index),
                Bill::External => {
                    not_billed.push(format!(
                        "{}: an external dependency (its bill is not ours to model)",
                        c.name
                    ));
                    Vec::new()
                }
            };
            by_component.push(component_cost(c, &lines, c.own * self.env_on));
        }
        if self.cross_region {
            not_billed.push(
                "cross-region and cross-zone data transfer: the model carries no payload sizes for service calls, queries or replication".to_owned(),
            );
        }
        totals(&self.table, usage, by_component, not_billed)
    }
}

/// How component `c` is billed, priced from table `t`.
fn priced(t: &PriceTable, c: &BilledSpec) -> Result<Bill, CostError> {
    Ok(match &c.billed {
        Billed::Pods {
            deployment,
            instance,
            spot,
            nodes,
        } => {
            let size = instance
                .clone()
                .unwrap_or_else(|| t.default_instance.clone());
            let price = *instance_price(t, &size)?;
            Bill::Pods {
                index: *deployment,
                size,
                price,
                spot: *spot,
                nodes: *nodes,
            }
        }
        Billed::Database { .. } => Bill::Nodes(database_lines(t, &c.billed)?),
        Billed::LoadBalancer => Bill::Nodes(vec![(
            "load balancer".to_owned(),
            "1 load balancer".to_owned(),
            t.load_balancer_hour,
            0.0,
        )]),
        Billed::CacheNode { class } => {
            let class = class
                .clone()
                .unwrap_or_else(|| t.default_cache_node.clone());
            let price = node_price(t, &t.cache_nodes, "cache node", &class)?;
            Bill::Nodes(vec![(
                "cache node".to_owned(),
                format!("1 x {class}"),
                price,
                0.0,
            )])
        }
        Billed::Cdn { cdn } => Bill::Cdn { index: *cdn },
        Billed::Queue { queue, redis_node } => match redis_node {
            Some(class) => {
                let price = node_price(t, &t.cache_nodes, "cache node", class)?;
                Bill::Nodes(vec![(
                    "redis node".to_owned(),
                    format!("1 x {class}"),
                    price,
                    0.0,
                )])
            }
            None => Bill::Queue { index: *queue },
        },
        Billed::External => Bill::External,
    })
}

/// The pods of deployment `index` over the usage's hours; with a modelled
/// node pool, the nodes they ran on (each node one instance of `size`).
fn pod_lines(
    usage: &Usage,
    hours: f64,
    index: usize,
    size: &str,
    price: &InstancePrice,
    spot: Option<f64>,
    nodes: bool,
) -> Lines {
    let (on_demand_s, spot_s) = usage.pods.get(index).copied().unwrap_or_default();
    let pods = (on_demand_s + spot_s) / 3600.0 / hours;
    if nodes {
        let (od_s, spot_s) = usage.nodes.get(index).copied().unwrap_or_default();
        let count = (od_s + spot_s) / 3600.0 / hours;
        let od = od_s / 3600.0 * price.on_demand / hours;
        let sp = spot_s / 3600.0 * price.spot / hours;
        return vec![(
            "nodes".to_owned(),
            format!("{count:.2} x {size} ({pods:.2} pods)"),
            od,
            sp,
        )];
    }
    let total = on_demand_s + spot_s;
    let sp = total * spot.unwrap_or(0.0);
    let od = (total - sp) / 3600.0 * price.on_demand / hours;
    let sp = sp / 3600.0 * price.spot / hours;
    vec![("pods".to_owned(), format!("{pods:.2} x {size}"), od, sp)]
}

/// The egress and requests of CDN `index`, per point of presence.
fn cdn_lines(t: &PriceTable, usage: &Usage, index: usize) -> Lines {
    let mut lines = Vec::new();
    for u in usage.cdns.get(index).into_iter().flatten() {
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

/// The requests of managed queue `index`: a message costs a send, a receive
/// and a delete.
fn queue_lines(t: &PriceTable, usage: &Usage, index: usize) -> Lines {
    let mps = usage.queues.get(index).copied().unwrap_or(0.0);
    let req_h = mps * 3.0 * 3600.0;
    vec![(
        "queue requests (3 per message)".to_owned(),
        format!("{req_h:.0} req/h x ${}/M", t.queue_per_million_requests),
        req_h / 1e6 * t.queue_per_million_requests,
        0.0,
    )]
}

/// One component's cost from its lines, running `on` of the week.
fn component_cost(c: &Priced, lines: &Lines, on: f64) -> ComponentCost {
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
    ComponentCost {
        name: c.name.clone(),
        kind: c.kind.to_owned(),
        billed_as,
        on_demand_per_hour: r4(od_h),
        spot_per_hour: r4(spot_h),
        per_month: r4(full * on),
        schedule_savings_per_month: r4(full * (1.0 - on)),
        items,
    }
}

/// The whole bill: sums over the components and the cost per million
/// requests served.
fn totals(
    t: &PriceTable,
    usage: &Usage,
    by_component: Vec<ComponentCost>,
    not_billed: Vec<String>,
) -> CostReport {
    let sum = |f: fn(&ComponentCost) -> f64| by_component.iter().map(f).sum::<f64>();
    let per_hour = sum(|c| c.on_demand_per_hour + c.spot_per_hour);
    let on_demand_per_month = by_component
        .iter()
        .map(|c| c.per_month * share(c.on_demand_per_hour, c.spot_per_hour))
        .sum::<f64>();
    let per_month = sum(|c| c.per_month);
    let schedule_savings = sum(|c| c.schedule_savings_per_month);
    let requests_per_hour = usage.served_per_s * 3600.0;
    CostReport {
        table: t.name.clone(),
        note: t.note.clone(),
        per_hour: r4(per_hour),
        per_month: r4(per_month),
        on_demand_per_month: r4(on_demand_per_month),
        spot_per_month: r4(per_month - on_demand_per_month),
        schedule_savings_per_month: r4(schedule_savings),
        per_million_requests: if requests_per_hour > 0.0 {
            r4(per_hour / requests_per_hour * 1e6)
        } else {
            0.0
        },
        by_component,
        not_billed,
    }
}

fn r4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// The on-demand share of `a` on-demand and `b` spot (1 when both are 0).
fn share(a: f64, b: f64) -> f64 {
    if a + b > 0.0 {
        a / (a + b)
    } else {
        1.0
    }
}

fn node_price(
    t: &PriceTable,
    map: &BTreeMap<String, f64>,
    what: &'static str,
    class: &str,
) -> Result<f64, CostError> {
    map.get(class).copied().ok_or_else(|| CostError::NotPriced {
        what,
        name: class.to_owned(),
        table: t.name.clone(),
    })
}

/// The prices of instance size `size` in table `t`.
fn instance_price<'t>(t: &'t PriceTable, size: &str) -> Result<&'t InstancePrice, CostError> {
    t.instances.get(size).ok_or_else(|| CostError::NotPriced {
        what: "instance",
        name: size.to_owned(),
        table: t.name.clone(),
    })
}

/// The nodes a database runs: per regional copy (or one), each shard's
/// primary and its read replicas, and one PgBouncer host per copy.
fn database_lines(t: &PriceTable, billed: &Billed) -> Result<Lines, CostError> {
    let Billed::Database {
        regions,
        replicas,
        pgbouncer,
        shards,
        class,
        replica_class,
        storage,
    } = billed
    else {
        return Ok(Vec::new());
    };
    let class = class.clone().unwrap_or_else(|| t.default_database.clone());
    let replica_class = replica_class.clone().unwrap_or_else(|| class.clone());
    let primary = node_price(t, &t.databases, "database class", &class)?;
    let replica = node_price(t, &t.databases, "database class", &replica_class)?;
    let shards = *shards;
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
        if let Some(instance) = pgbouncer {
            let size = instance
                .clone()
                .unwrap_or_else(|| t.default_bouncer_instance.clone());
            let price = instance_price(t, &size)?;
            lines.push((at("pgbouncer"), format!("1 x {size}"), price.on_demand, 0.0));
        }
        if let Some(s) = storage {
            lines.extend(storage_lines(t, s, shards * (1 + *replicas), &at));
        }
    }
    Ok(lines)
}

/// The volumes of `nodes` database nodes, per hour: their GiB, and the
/// IOPS and throughput provisioned beyond the included. A table without
/// storage prices (not a bundled one) bills none.
fn storage_lines(
    t: &PriceTable,
    s: &crate::scenario::StorageBilled,
    nodes: u32,
    at: &dyn Fn(&str) -> String,
) -> Lines {
    let Some(p) = super::prices::storage_prices(&t.name, s.kind) else {
        return Vec::new();
    };
    let n = f64::from(nodes);
    let hourly = |month: f64| month / super::HOURS_PER_MONTH;
    let kind = match s.kind {
        crate::scenario::schema::VolumeType::Gp3 => "gp3",
        crate::scenario::schema::VolumeType::Io2 => "io2",
    };
    let mut lines = vec![(
        at("storage"),
        format!("{nodes} x {:.0} GiB {kind}", s.gib),
        hourly(n * s.gib * p.gib_month),
        0.0,
    )];
    if s.extra_iops > 0 && p.iops_month > 0.0 {
        lines.push((
            at("provisioned IOPS"),
            format!("{nodes} x {} IOPS", s.extra_iops),
            hourly(n * f64::from(s.extra_iops) * p.iops_month),
            0.0,
        ));
    }
    if s.extra_mibps > 0.0 && p.mibps_month > 0.0 {
        lines.push((
            at("provisioned throughput"),
            format!("{nodes} x {:.0} MiB/s", s.extra_mibps),
            hourly(n * s.extra_mibps * p.mibps_month),
            0.0,
        ));
    }
    lines
}
