//! Every node and every kind of traffic an architecture runs is billed, each
//! line at the amount the price table's arithmetic gives.

use scaletwin::cost::{cost, CdnUsage, Usage};
use scaletwin::report::CostReport;
use scaletwin::scenario::{parse, validate};

/// A two-region architecture with every billable kind of component; the
/// `extra` text is spliced into the `pg` database.
fn scenario(db_extra: &str) -> scaletwin::scenario::Scenario {
    let text = format!(
        r#"Scenario(
    name: "bill",
    run: (duration: "20s", warmup: "2s"),
    workload: (users: 1000, rps_per_user: 0.1, keys: (count: 1000), mix: {{ "get": 0.9, "put": 0.1 }}),
    components: [
        Cdn(name: "edge", capacity: 1000, ttl: "60s", latency: Exp("10ms"), response_bytes: 10_000),
        LoadBalancer(name: "lb", targets: {{ "api": 1 }}),
        Deployment(name: "api", replicas: 3, concurrency: 8, region: "us", instance: "c6i.large"),
        Database(name: "pg", connections: 20, regions: ["us", "eu"], class: "db.r6g.xlarge"{db_extra}),
        Cache(name: "redis", capacity: 1000, latency: Exp("1ms"), concurrency: 8, node: "cache.t3.medium"),
        Queue(name: "managed", workers: 1),
        Queue(name: "bull", workers: 1, redis_node: "cache.r6g.xlarge"),
        Dependency(name: "stripe", latency: Exp("50ms")),
    ],
    endpoints: {{
        "get": [Cdn("edge"), Lb("lb"), CacheAside(tiers: ["redis"], on_miss: [DbRead(Exp("2ms"))])],
        "put": [Lb("lb"), DbWrite(Exp("3ms")), Enqueue(queue: "managed", work: Exp("5ms")), Enqueue(queue: "bull", work: Exp("5ms")), External(dependency: "stripe")],
    }},
    regions: (users: {{ "us": 0.6, "eu": 0.4 }}, rtt: {{ "us": {{ "eu": "80ms" }} }}, primary: "us"),
)"#
    );
    let s = parse(&text, "bill.ron").unwrap_or_else(|e| panic!("{e}\n{text}"));
    validate(&s).unwrap_or_else(|p| panic!("{p:?}\n{text}"));
    s
}

/// The plan of [`scenario`]`(db_extra)`, which cost prices.
fn plan(db_extra: &str) -> scaletwin::scenario::Plan {
    validate(&scenario(db_extra)).unwrap()
}

/// One hour of usage: 3 pods, a managed queue at 10 messages/s, CDN traffic
/// per PoP.
fn usage() -> Usage {
    Usage {
        seconds: 3600.0,
        served_per_s: 100.0,
        // Per deployment, CDN and queue in scenario order: `api`; `edge`;
        // `managed`, then `bull` (Redis-backed: billed by its node).
        pods: vec![(3.0 * 3600.0, 0.0)],
        nodes: vec![(0.0, 0.0)],
        cdns: vec![vec![
            CdnUsage {
                region: Some("us".into()),
                requests_per_s: 50.0,
                bytes_per_s: 1e6,
            },
            CdnUsage {
                region: Some("eu".into()),
                requests_per_s: 20.0,
                bytes_per_s: 2e5,
            },
        ]],
        queues: vec![10.0, 0.0],
    }
}

/// The (per hour, per month) of bill line `item` of component `name`.
fn line(c: &CostReport, name: &str, item: &str) -> (f64, f64) {
    let comp = c.by_component.iter().find(|x| x.name == name).unwrap();
    let i = comp
        .items
        .iter()
        .find(|i| i.item == item)
        .unwrap_or_else(|| panic!("no `{item}` in {:?}", comp.items));
    (i.per_hour, i.per_month)
}

fn close(got: (f64, f64), per_hour: f64) {
    assert!((got.0 - per_hour).abs() < 1e-9, "{} vs {per_hour}", got.0);
    assert!(
        (got.1 - per_hour * 730.0).abs() < 1e-4,
        "{} vs {}",
        got.1,
        per_hour * 730.0
    );
}

#[test]
fn pods_are_billed_per_pod_hour_of_their_instance() {
    let c = cost(&plan(""), &usage()).unwrap();
    // c6i.large on demand: $0.085/h.
    close(line(&c, "api", "pods"), 3.0 * 0.085);
}

#[test]
fn pods_on_a_node_pool_are_billed_as_the_nodes_they_ran_on() {
    // Four 500m pods fit on a 2-core node: 8 pods for the hour on two
    // nodes, one on demand and one spot, bill two c6i.large node-hours
    // (on demand $0.085/h, spot $0.034/h), not eight.
    use scaletwin::scenario::schema::{Component, Nodes, PodResources, ResourceList};
    let mut s = scenario("");
    for c in &mut s.components {
        if let Component::Deployment(d) = c {
            d.replicas = 8;
            d.resources = Some(PodResources {
                requests: Some(ResourceList {
                    cpu: Some(0.5),
                    memory: Some(1024.0),
                }),
                cpu: None,
                memory_mib: None,
                base_memory_mib: None,
                per_request_mib: None,
                limits: None,
            });
            d.nodes = Some(Nodes {
                cpu: 2.0,
                memory_mib: 8192.0,
                spot_fraction: 0.5,
                reclaims_per_hour: 0.0,
                notice: None,
            });
        }
    }
    let mut u = usage();
    u.pods = vec![(4.0 * 3600.0, 4.0 * 3600.0)];
    u.nodes = vec![(3600.0, 3600.0)];
    let c = cost(&validate(&s).unwrap(), &u).unwrap();
    close(line(&c, "api", "nodes"), 0.085 + 0.034);
    let api = c.by_component.iter().find(|x| x.name == "api").unwrap();
    assert_eq!(api.items[0].billed_as, "2.00 x c6i.large (8.00 pods)");
}

#[test]
fn every_regional_copy_and_shard_primary_is_a_node() {
    let c = cost(&plan(""), &usage()).unwrap();
    // db.r6g.xlarge: $0.45/h, one primary per regional copy.
    close(line(&c, "pg", "primary (us)"), 0.45);
    close(line(&c, "pg", "primary (eu)"), 0.45);
    let c = cost(&plan(", shards: (count: 4, by: Tenant)"), &usage()).unwrap();
    close(line(&c, "pg", "shard primaries (us)"), 4.0 * 0.45);
    close(line(&c, "pg", "shard primaries (eu)"), 4.0 * 0.45);
    let pg = c.by_component.iter().find(|x| x.name == "pg").unwrap();
    assert!((pg.per_month - 8.0 * 0.45 * 730.0).abs() < 1e-6);
}

#[test]
fn read_replicas_are_billed_at_their_own_class() {
    // Two replicas per shard, 2 shards, 2 regions: 8 replicas of db.r6g.large ($0.225/h).
    let c = cost(
        &plan(r#", replicas: 2, replica_class: "db.r6g.large", shards: (count: 2, by: Key)"#),
        &usage(),
    )
    .unwrap();
    close(line(&c, "pg", "read replicas (us)"), 4.0 * 0.225);
    close(line(&c, "pg", "read replicas (eu)"), 4.0 * 0.225);
    close(line(&c, "pg", "shard primaries (us)"), 2.0 * 0.45);
    // Without replica_class a replica is billed as the primary's class.
    let c = cost(&plan(", replicas: 1"), &usage()).unwrap();
    close(line(&c, "pg", "read replicas (eu)"), 0.45);
}

#[test]
fn pgbouncer_is_a_host_per_regional_copy() {
    // Default host c6i.large ($0.085/h); named m6i.large ($0.096/h).
    let c = cost(&plan(", pgbouncer: (pool_size: 10)"), &usage()).unwrap();
    close(line(&c, "pg", "pgbouncer (us)"), 0.085);
    let c = cost(
        &plan(r#", pgbouncer: (pool_size: 10, instance: "m6i.large")"#),
        &usage(),
    )
    .unwrap();
    close(line(&c, "pg", "pgbouncer (eu)"), 0.096);
}

#[test]
fn cache_balancer_and_queues_are_billed_as_declared() {
    let c = cost(&plan(""), &usage()).unwrap();
    // cache.t3.medium: $0.068/h.
    close(line(&c, "redis", "cache node"), 0.068);
    // $0.0225/h + 10 LCU x $0.008.
    close(line(&c, "lb", "load balancer"), 0.1025);
    // 10 messages/s x 3 requests x 3600 s = 108,000 requests/h at $0.40/M.
    close(
        line(&c, "managed", "queue requests (3 per message)"),
        108_000.0 / 1e6 * 0.40,
    );
    // A BullMQ-style queue is its Redis node, whatever its traffic.
    close(line(&c, "bull", "redis node"), 0.411);
    let stripe = c.by_component.iter().find(|x| x.name == "stripe").unwrap();
    assert!(stripe.items.is_empty() && stripe.per_month == 0.0);
    assert!(c.not_billed.iter().any(|n| n.starts_with("stripe")));
}

#[test]
fn cdn_egress_and_requests_are_billed_per_region() {
    let c = cost(&plan(""), &usage()).unwrap();
    // us: 1 MB/s = 3.6 GB/h at $0.085/GB; 50 req/s = 180,000 req/h at $0.01/10k.
    close(line(&c, "edge", "egress (us)"), 3.6 * 0.085);
    close(line(&c, "edge", "requests (us)"), 18.0 * 0.01);
    // eu: 0.2 MB/s = 0.72 GB/h; 20 req/s = 72,000 req/h.
    close(line(&c, "edge", "egress (eu)"), 0.72 * 0.085);
    close(line(&c, "edge", "requests (eu)"), 7.2 * 0.01);
}

#[test]
fn transfer_the_model_cannot_size_is_named_not_invented() {
    let c = cost(&plan(""), &usage()).unwrap();
    assert!(c
        .not_billed
        .iter()
        .any(|n| n.starts_with("cross-region and cross-zone data transfer")));
    // The total is the sum of every line.
    let lines: f64 = c
        .by_component
        .iter()
        .flat_map(|x| &x.items)
        .map(|i| i.per_hour)
        .sum();
    assert!((c.per_hour - lines).abs() < 1e-3);
}

#[test]
fn unknown_classes_are_refused_with_the_field_path() {
    let mut s = scenario("");
    if let Some(scaletwin::scenario::schema::Component::Database(
        scaletwin::scenario::schema::Database { replica_class, .. },
    )) = s.components.iter_mut().find(|c| c.name() == "pg")
    {
        *replica_class = Some("db.nope".into());
    }
    let p = validate(&s).unwrap_err();
    assert!(
        p.iter()
            .any(|p| p.path.ends_with(".replica_class") && p.message.contains("db.r6g.large")),
        "{p:?}"
    );
    if let Some(scaletwin::scenario::schema::Component::Cache(
        scaletwin::scenario::schema::Cache { node, .. },
    )) = s.components.iter_mut().find(|c| c.name() == "redis")
    {
        *node = Some("cache.nope".into());
    }
    let p = validate(&s).unwrap_err();
    assert!(p.iter().any(|p| p.path.ends_with(".node")), "{p:?}");
}
