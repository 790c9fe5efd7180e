//! The data tier: cache tiers against theory (Che, TTL), replicas, stale
//! reads, read-your-writes, pools, PgBouncer, shards, scatter-gather and the
//! data faults, each shown by its effect on a run.

use crate::run_text as run;
use scaletwin::report::{CacheReport, DatabaseReport, PoolReport};
use scaletwin::scenario::schema::Component;
use scaletwin::scenario::{memory_bound, parse, validate, warnings};
use scaletwin::Report;

fn problems(ron: &str) -> Vec<scaletwin::scenario::Problem> {
    let s = parse(ron, "test.ron").unwrap_or_else(|e| panic!("{e}\n{ron}"));
    validate(&s).expect_err("the scenario should be rejected")
}

fn cache<'a>(r: &'a Report, name: &str) -> &'a CacheReport {
    r.caches.iter().find(|c| c.name == name).unwrap()
}

fn db<'a>(r: &'a Report, name: &str) -> &'a DatabaseReport {
    r.databases.iter().find(|c| c.name == name).unwrap()
}

fn pool<'a>(r: &'a Report, name: &str) -> &'a PoolReport {
    r.pools.iter().find(|c| c.name == name).unwrap()
}

fn errors(r: &Report, cause: &str) -> u64 {
    r.summary.errors_by_cause[cause]
}

/// Zipf(s) probabilities over n keys, most popular first.
pub(crate) fn zipf(n: usize, s: f64) -> Vec<f64> {
    let w: Vec<f64> = (1..=n).map(|k| (k as f64).powf(-s)).collect();
    let total: f64 = w.iter().sum();
    w.iter().map(|x| x / total).collect()
}

/// Che's approximation of an LRU cache's hit ratio: bisection for the
/// characteristic time T with Σ (1 − e^{−p_i T}) = C.
pub(crate) fn che(p: &[f64], capacity: f64) -> f64 {
    let filled = |t: f64| p.iter().map(|pi| 1.0 - (-pi * t).exp()).sum::<f64>();
    let (mut lo, mut hi) = (0.0, 1.0);
    while filled(hi) < capacity {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if filled(mid) < capacity {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let t = 0.5 * (lo + hi);
    p.iter().map(|pi| pi * (1.0 - (-pi * t).exp())).sum()
}

/// A TTL cache where a miss loads the key for `ttl` seconds, Poisson requests.
pub(crate) fn ttl_hit_ratio(p: &[f64], rps: f64, ttl: f64) -> f64 {
    p.iter()
        .map(|pi| {
            let x = pi * rps * ttl;
            pi * x / (1.0 + x)
        })
        .sum()
}

fn one_cache(cache: &str, rps: f64, duration: &str, warmup: &str) -> String {
    format!(
        r#"Scenario(
    name: "cache-theory", seed: 7,
    run: (duration: "{duration}", warmup: "{warmup}"),
    workload: (users: {rps}, rps_per_user: 1.0,
               keys: (count: 10000, popularity: Zipf(0.8)), mix: {{"get": 1.0}}),
    components: [ {cache} ],
    endpoints: {{ "get": [CacheAside(tiers: ["c"], on_miss: [Delay(Const("0ms"))])] }},
)"#
    )
}

#[test]
fn lru_l2_hit_ratio_matches_ches_approximation() {
    let expect = che(&zipf(10_000, 0.8), 1000.0);
    assert!((expect - 0.43666).abs() < 5e-5, "Che port: {expect}");
    let r = run(&one_cache(
        r#"Cache(name: "c", capacity: 1000, latency: Const("0ms"), concurrency: 64)"#,
        2000.0,
        "300s",
        "30s",
    ));
    let c = cache(&r, "c");
    assert!(c.lookups > 500_000, "{}", c.lookups);
    assert!(
        (c.hit_ratio - expect).abs() < 0.01,
        "simulated {} vs Che {expect}",
        c.hit_ratio
    );
}

#[test]
fn a_cache_node_holds_what_its_memory_allows_and_the_hit_ratio_follows_che_there() {
    // cache.t3.medium: maxmemory 3.09 GiB = 3,317,862,318 bytes; an entry of
    // 1Mi takes 1,048,576 + 64 bytes of Redis overhead: 3163 entries fit,
    // not the 9000 declared.
    let fit = (3.09f64 * 1073741824.0).round() as u64 / (1_048_576 + 64);
    assert_eq!(fit, 3163);
    let text = one_cache(
        r#"Cache(name: "c", capacity: 9000, item_size: "1Mi", node: "cache.t3.medium", latency: Const("0ms"), concurrency: 64)"#,
        2000.0,
        "300s",
        "30s",
    );
    let s = parse(&text, "test.ron").unwrap();
    let Component::Cache(c) = &s.components[0] else {
        panic!("a cache")
    };
    let bound = memory_bound(&s, c).unwrap();
    assert_eq!((bound.entries, bound.entry_bytes), (fit, 1_048_640));
    let warned = warnings(&s, &text);
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert_eq!(warned[0].path, "components[0].capacity");
    assert!(
        warned[0].message.contains("the cache holds 3163 entries"),
        "{}",
        warned[0].message
    );
    // The run's hit ratio is Che's at 3163 entries, well below Che at 9000.
    let at_fit = che(&zipf(10_000, 0.8), fit as f64);
    let declared = che(&zipf(10_000, 0.8), 9000.0);
    assert!(declared - at_fit > 0.15, "{declared} vs {at_fit}");
    let r = run(&text);
    let c = cache(&r, "c");
    assert_eq!(c.entries, 3163, "full at the bound");
    assert!(c.evictions > 0);
    assert!(
        (c.hit_ratio - at_fit).abs() < 0.01,
        "simulated {} vs Che {at_fit}",
        c.hit_ratio
    );
}

#[test]
fn a_cache_without_a_node_uses_the_tables_default_node_and_a_ttl_adds_the_expires_entry() {
    // gcp-2025-01's default cache node, memorystore-standard-5gb: 5 GiB; a
    // 4Ki item with a TTL takes 4096 + 64 + 24 bytes.
    let text = one_cache(
        r#"Cache(name: "c", ttl: "1h", item_size: "4Ki", latency: Const("0ms"), concurrency: 64)"#,
        10.0,
        "10s",
        "1s",
    )
    .replace(
        "components:",
        r#"prices: (table: "gcp-2025-01"), components:"#,
    );
    let s = parse(&text, "test.ron").unwrap();
    let Component::Cache(c) = &s.components[0] else {
        panic!("a cache")
    };
    let bound = memory_bound(&s, c).unwrap();
    assert_eq!(bound.node, "memorystore-standard-5gb");
    assert_eq!(bound.entries, 5 * 1_073_741_824 / (4096 + 64 + 24));
    // A TTL-only cache becomes an LRU at what its memory holds, no warning.
    assert!(warnings(&s, &text).is_empty());
    assert!(validate(&s).is_ok());
    // Without item_size nothing changes: the capacity alone bounds it.
    let plain = parse(&text.replace(r#"item_size: "4Ki", "#, ""), "t.ron").unwrap();
    let Component::Cache(c) = &plain.components[0] else {
        panic!("a cache")
    };
    assert_eq!(memory_bound(&plain, c), None);
}

#[test]
fn ttl_only_tier_matches_the_ttl_formula() {
    let expect = ttl_hit_ratio(&zipf(10_000, 0.8), 100.0, 60.0);
    assert!((expect - 0.57533).abs() < 5e-5, "formula port: {expect}");
    let r = run(&one_cache(
        r#"Cache(name: "c", ttl: "60s", latency: Const("0ms"), concurrency: 64)"#,
        100.0,
        "4000s",
        "300s",
    ));
    let c = cache(&r, "c");
    assert!(c.expirations > 0 && c.evictions == 0);
    assert!(
        (c.hit_ratio - expect).abs() < 0.01,
        "simulated {} vs formula {expect}",
        c.hit_ratio
    );
}

fn replicated(replicas: u32, extra: &str, users: f64, rps_per_user: f64, write: f64) -> String {
    format!(
        r#"Scenario(
    name: "replicas", seed: 11,
    run: (duration: "120s", warmup: "10s"),
    workload: (users: {users}, rps_per_user: {rps_per_user}, keys: (count: 100),
               mix: {{"read": {read}, "write": {write}}}),
    components: [
        Database(name: "pg", connections: 8, replicas: {replicas} {extra}),
    ],
    endpoints: {{
        "read": [DbRead(Exp("4ms"))],
        "write": [DbWrite(Exp("8ms"))],
    }},
)"#,
        read = 1.0 - write
    )
}

fn node_util(r: &Report, name: &str) -> f64 {
    db(r, "pg")
        .nodes
        .iter()
        .find(|n| n.name == name)
        .unwrap()
        .utilization
}

#[test]
fn adding_replicas_takes_the_reads_off_the_primary_in_proportion() {
    // 1000 req/s, 80% reads of 4 ms and 20% writes of 8 ms on 8 connections:
    // reads offer 3.2 connections' worth, writes 1.6.
    let (reads, writes) = (1000.0 * 0.8 * 0.004 / 8.0, 1000.0 * 0.2 * 0.008 / 8.0);
    let close = |sim: f64, theory: f64| (sim - theory).abs() < 0.04 * theory;
    let r0 = run(&replicated(0, "", 1000.0, 1.0, 0.2));
    assert!(close(node_util(&r0, "pg/primary"), reads + writes));
    let r1 = run(&replicated(1, "", 1000.0, 1.0, 0.2));
    assert!(close(node_util(&r1, "pg/primary"), writes), "{r1:?}");
    assert!(close(node_util(&r1, "pg/replica1"), reads));
    let r2 = run(&replicated(2, "", 1000.0, 1.0, 0.2));
    assert!(close(node_util(&r2, "pg/primary"), writes));
    for n in ["pg/replica1", "pg/replica2"] {
        assert!(
            close(node_util(&r2, n), reads / 2.0),
            "{n} {} {}",
            node_util(&r2, n),
            reads / 2.0
        );
    }
    // Least loaded: ties go to the first replica, but the two carry the reads together.
    let rl = run(&replicated(2, ", reads: LeastLoaded", 1000.0, 1.0, 0.2));
    assert!(close(node_util(&rl, "pg/primary"), writes));
    let both = node_util(&rl, "pg/replica1") + node_util(&rl, "pg/replica2");
    assert!(close(both, reads), "{both}");
    // Reads kept on the primary: replicas idle.
    let rp = run(&replicated(1, ", reads: Primary", 1000.0, 1.0, 0.2));
    assert!(close(node_util(&rp, "pg/primary"), reads + writes));
    assert_eq!(node_util(&rp, "pg/replica1"), 0.0);
}

#[test]
fn stale_reads_are_zero_without_lag_grow_with_lag_and_vanish_with_read_your_writes() {
    let stale = |extra: &str, users: f64, rps: f64| {
        let r = run(&replicated(1, extra, users, rps, 0.3));
        let d = db(&r, "pg");
        assert!(d.reads > 10_000);
        (d.stale_reads, d.read_your_writes_reads)
    };
    assert_eq!(stale("", 100.0, 2.0).0, 0);
    let small = stale(r#", replication_lag: Exp("20ms")"#, 100.0, 2.0).0;
    let large = stale(r#", replication_lag: Exp("200ms")"#, 100.0, 2.0).0;
    assert!(0 < small && small * 3 < large, "{small} vs {large}");
    // One user doing all the writing and reading: with the window, every read
    // after its own write goes to the primary, so it never reads stale data.
    let (alone, _) = stale(r#", replication_lag: Const("200ms")"#, 1.0, 200.0);
    let (alone_ryw, ryw_reads) = stale(
        r#", replication_lag: Const("200ms"), read_your_writes: "5s""#,
        1.0,
        200.0,
    );
    assert!(alone > 100, "{alone}");
    assert_eq!(alone_ryw, 0);
    assert!(ryw_reads > 10_000);
    // Many users: the window protects only each writer, so others still see some.
    let (many_ryw, _) = stale(
        r#", replication_lag: Const("200ms"), read_your_writes: "5s""#,
        100.0,
        2.0,
    );
    assert!(many_ryw > 0);
}

#[test]
fn writes_to_another_database_do_not_make_a_replicas_reads_stale() {
    // Two databases over the same keys: `search` has a lagging replica and
    // no writes; `pg` takes every write. A key is stale on search's replica
    // only if search itself wrote it: never.
    let two = |search_writes: f64| {
        let text = format!(
            r#"Scenario(
    name: "two-dbs", seed: 3,
    run: (duration: "60s", warmup: "5s"),
    workload: (users: 100, rps_per_user: 4.0, keys: (count: 50),
               mix: {{"search": 0.6, "write": {w}, "index": {s}}}),
    components: [
        LoadBalancer(name: "app-lb", targets: {{ "app": 1 }}),
        LoadBalancer(name: "search-lb", targets: {{ "searcher": 1 }}),
        Deployment(name: "app", replicas: 2, concurrency: 16, database: "pg"),
        Deployment(name: "searcher", replicas: 2, concurrency: 16, database: "search"),
        Database(name: "pg", connections: 8),
        Database(name: "search", connections: 8, replicas: 1, replication_lag: Const("500ms")),
    ],
    endpoints: {{
        "search": [Lb("search-lb"), DbRead(Exp("2ms"))],
        "write": [Lb("app-lb"), DbWrite(Exp("2ms"))],
        "index": [Lb("search-lb"), DbWrite(Exp("2ms"))],
    }},
)"#,
            w = 0.4 - search_writes,
            s = search_writes
        );
        db(&run(&text), "search").stale_reads
    };
    assert_eq!(two(0.0), 0);
    // The same writes sent to search itself: with 50 keys each written
    // about 3.2 times a second and a 500 ms lag, most reads are stale
    // (1 − e^{−3.2·0.5} ≈ 0.80 of the replica's reads).
    assert!(two(0.4) > 10_000);
}

fn pooled(pool_max: u32, pods: u32, extra_db: &str) -> String {
    format!(
        r#"Scenario(
    name: "pools", seed: 5,
    run: (duration: "60s", warmup: "5s"),
    workload: (users: 1000, rps_per_user: 1.0, mix: {{"q": 1.0}}),
    components: [
        LoadBalancer(name: "alb", strategy: RoundRobin, targets: {{"api": 1}}),
        Deployment(name: "api", replicas: {pods}, concurrency: 64,
                   pool: (min: 1, max: {pool_max}, acquire_timeout: "50ms")),
        Database(name: "pg", connections: 200 {extra_db}),
    ],
    endpoints: {{ "q": [Lb("alb"), DbRead(Exp("10ms"))] }},
)"#
    )
}

#[test]
fn a_pool_smaller_than_the_offered_concurrency_times_out() {
    // 1000 req/s over 2 pods, 10 ms each: about 5 queries in flight per pod.
    let big = run(&pooled(32, 2, ""));
    assert_eq!(errors(&big, "pool_timeout"), 0);
    assert_eq!(pool(&big, "api/pool").timeouts, 0);
    let small = run(&pooled(4, 2, ""));
    let p = pool(&small, "api/pool");
    assert!(p.timeouts > 100, "{p:?}");
    // The pool counts every timeout after the warm-up; the client errors,
    // only those of requests sent after it (a few sent during it time out
    // just after).
    let failed = errors(&small, "pool_timeout");
    assert!(
        failed <= p.timeouts && p.timeouts - failed <= p.timeouts / 100,
        "{failed} {p:?}"
    );
    assert!(
        p.wait_mean_ms > 1.0 && p.wait_max_ms <= 50.0 + 1e-6,
        "{p:?}"
    );
    let mid = run(&pooled(6, 2, ""));
    assert!(pool(&mid, "api/pool").timeouts < p.timeouts);
}

#[test]
fn per_pod_pools_exceed_max_connections_and_pgbouncer_keeps_them_bounded() {
    // 20 pods x pool max 16 could open 320 connections; the database takes 60.
    let direct = run(&pooled(16, 20, ", max_connections: 60"));
    let d = db(&direct, "pg");
    assert_eq!(d.peak_open_connections, 60);
    assert!(d.refused_connections > 0);
    assert!(errors(&direct, "too_many_connections") > 0);
    let unlimited = run(&pooled(16, 20, ""));
    assert!(db(&unlimited, "pg").peak_open_connections > 60);
    let bounced = run(&pooled(
        16,
        20,
        ", max_connections: 60, pgbouncer: (pool_size: 20)",
    ));
    let d = db(&bounced, "pg");
    assert!(d.peak_open_connections <= 20, "{d:?}");
    assert_eq!(d.refused_connections, 0);
    assert_eq!(errors(&bounced, "too_many_connections"), 0);
    assert!(pool(&bounced, "pg/pgbouncer").acquisitions > 50_000);
}

fn sharded(tenants: &str, load: f64, report: f64, connections: u32) -> String {
    format!(
        r#"Scenario(
    name: "shards", seed: 3,
    run: (duration: "60s", warmup: "5s"),
    workload: (users: {load}, rps_per_user: 1.0, tenants: (count: 1000, popularity: {tenants}),
               mix: {{"q": {q}, "report": {report}}}),
    components: [
        Database(name: "pg", connections: {connections}, shards: (count: 4, vnodes: 100, by: Tenant)),
    ],
    endpoints: {{ "q": [DbRead(Exp("2ms"))], "report": [ScatterRead(Exp("10ms"))] }},
)"#,
        q = 1.0 - report
    )
}

#[test]
fn zipf_tenant_skew_makes_one_shard_the_bottleneck() {
    // 4,400 req/s of 2 ms reads; a shard's 4 connections serve 2,000 req/s.
    let even = run(&sharded("Uniform", 4400.0, 0.0, 4));
    let e = db(&even, "pg");
    assert!(e.hottest_shard_share < 0.3, "{e:?}");
    assert!(
        e.shards.iter().all(|s| s.primary_utilization < 0.7),
        "{e:?}"
    );
    let skew = run(&sharded("Zipf(1.2)", 4400.0, 0.0, 4));
    let s = db(&skew, "pg");
    assert!(s.hottest_shard_share > 0.34, "{s:?}");
    let utils: Vec<f64> = s.shards.iter().map(|x| x.primary_utilization).collect();
    let hottest = s
        .shards
        .iter()
        .max_by(|a, b| a.share.total_cmp(&b.share))
        .unwrap();
    let max = utils.iter().cloned().fold(0.0, f64::max);
    assert_eq!(hottest.primary_utilization, max);
    let others: f64 = (utils.iter().sum::<f64>() - max) / 3.0;
    assert!(max > 1.5 * others && max > 0.7, "{utils:?}");
}

#[test]
fn a_scatter_read_waits_for_the_slowest_shard() {
    // Light load: each part takes Exp(10 ms); the max of 4 has mean
    // 10 ms x (1 + 1/2 + 1/3 + 1/4) = 20.83 ms.
    let r = run(&sharded("Uniform", 1000.0, 0.5, 64));
    let report = r.endpoints.iter().find(|e| e.name == "report").unwrap();
    let mean = report.latency.mean_ms;
    assert!((mean - 20.833).abs() < 0.02 * 20.833, "{mean}");
    let q = r.endpoints.iter().find(|e| e.name == "q").unwrap();
    assert!(
        (q.latency.mean_ms - 2.0).abs() < 0.1,
        "{}",
        q.latency.mean_ms
    );
}

fn cached(extra_l1: &str, coalesce: bool, faults: &str, db_read: &str) -> String {
    format!(
        r#"Scenario(
    name: "cached", seed: 9,
    run: (duration: "60s", warmup: "5s", interval: "1s"),
    workload: (users: 2000, rps_per_user: 1.0, keys: (count: 200, popularity: Zipf(0.9)),
               mix: {{"get": 0.95, "put": 0.05}}),
    components: [
        LoadBalancer(name: "alb", targets: {{"api": 1}}),
        Deployment(name: "api", replicas: 4, concurrency: 64, l1: (capacity: 100 {extra_l1})),
        Cache(name: "redis", capacity: 1000, latency: Exp("0.3ms"), concurrency: 32),
        Database(name: "pg", connections: 64),
    ],
    endpoints: {{
        "get": [Lb("alb"), CacheAside(tiers: [L1, "redis"], on_miss: [DbRead({db_read})], coalesce: {coalesce})],
        "put": [Lb("alb"), DbWrite(Exp("2ms")), Invalidate([L1, "redis"])],
    }},
    faults: [{faults}],
)"#
    )
}

#[test]
fn l1_invalidation_delay_serves_stale_reads_only_in_its_window() {
    let now = run(&cached("", false, "", r#"Exp("2ms")"#));
    let l1 = cache(&now, "api/l1");
    assert!(l1.hit_ratio > 0.3, "{l1:?}");
    assert_eq!(l1.stale_reads, 0);
    assert_eq!(cache(&now, "redis").stale_reads, 0);
    let short = run(&cached(
        r#", propagation: "10ms""#,
        false,
        "",
        r#"Exp("2ms")"#,
    ));
    let long = run(&cached(
        r#", propagation: "500ms""#,
        false,
        "",
        r#"Exp("2ms")"#,
    ));
    let (s, l) = (
        cache(&short, "api/l1").stale_reads,
        cache(&long, "api/l1").stale_reads,
    );
    assert!(0 < s && s * 5 < l, "{s} vs {l}");
}

#[test]
fn a_cache_flush_sends_a_burst_to_the_database_and_coalescing_tames_the_stampede() {
    let faults = r#"FlushCache(target: "redis", at: "30s"), FlushCache(target: "api", at: "30s")"#;
    let slow = r#"Const("50ms")"#;
    let base = run(&cached("", false, "", slow));
    let flushed = run(&cached("", false, faults, slow));
    let pg = |r: &Report, from: f64, to: f64| {
        let i = r.stations.iter().position(|s| s.name == "pg").unwrap();
        r.series
            .iter()
            .filter(|x| x.t_s > from && x.t_s <= to)
            .map(|x| x.utilization[i])
            .fold(0.0, f64::max)
    };
    assert!(
        pg(&flushed, 30.0, 31.0) > 1.8 * pg(&base, 30.0, 31.0),
        "{} vs {}",
        pg(&flushed, 30.0, 31.0),
        pg(&base, 30.0, 31.0)
    );
    assert_eq!(flushed.faults[0].label, "FlushCache(redis)");
    // Stampede: many misses for the same hot key load it at once ...
    let stampede = &flushed.cache_loads[0];
    assert!(stampede.duplicate_loads > 100, "{stampede:?}");
    // ... unless concurrent misses wait for the first load.
    let calm = run(&cached("", true, faults, slow));
    let c = &calm.cache_loads[0];
    assert_eq!(c.duplicate_loads, 0);
    assert!(c.coalesced > 100 && c.loads < stampede.loads, "{c:?}");
    assert!(pg(&calm, 30.0, 31.0) < pg(&flushed, 30.0, 31.0));
}

#[test]
fn a_failover_fails_writes_only_while_the_replica_is_promoted() {
    let s = replicated(1, "", 100.0, 2.0, 0.3).replace(
        "    endpoints:",
        "    faults: [Failover(database: \"pg\", at: \"60s\", promotion: \"5s\")],\n    endpoints:",
    );
    let r = run(&s);
    let failed = errors(&r, "db_failover");
    // 60 writes/s for 5 s.
    assert!((200..=400).contains(&failed), "{failed}");
    let errs: Vec<f64> = r
        .series
        .iter()
        .filter(|x| x.errors_per_s > 0.0)
        .map(|x| x.t_s)
        .collect();
    assert!(errs.iter().all(|&t| t > 60.0 && t <= 70.0), "{errs:?}");
}

#[test]
fn a_replication_lag_fault_raises_stale_reads() {
    let base = replicated(1, r#", replication_lag: Exp("5ms")"#, 100.0, 2.0, 0.3);
    let lagged = base.replace(
        "    endpoints:",
        "    faults: [ReplicationLag(database: \"pg\", extra: \"1s\", at: \"30s\", for: \"30s\")],\n    endpoints:",
    );
    let (a, b) = (run(&base), run(&lagged));
    assert!(db(&b, "pg").stale_reads > 5 * db(&a, "pg").stale_reads.max(1));
    assert!(db(&b, "pg").nodes[1].lag_max_ms > 1000.0);
}

#[test]
fn bad_data_tier_input_names_the_field() {
    let base = cached("", false, "", r#"Exp("2ms")"#);
    let cases: &[(&str, &str, &str, &str)] = &[
        (r#"tiers: [L1, "redis"]"#, r#"tiers: [L1, "memcached"]"#, "endpoints.get[1].tiers[1]", "no Cache is named \"memcached\""),
        ("l1: (capacity: 100 )", "l1: (capacity: 0 )", "components[1].l1.capacity", "from 1"),
        ("concurrency: 64, l1: (capacity: 100 )", "concurrency: 64, pool: (max: 4, acquire_timeout: \"1s\")", "endpoints.get[1].tiers[0]", "L1 tier"),
        ("concurrency: 64, l1: (capacity: 100 )", "concurrency: 64, l1: (capacity: 100 ), pool: (min: 9, max: 4, acquire_timeout: \"1s\")", "components[1].pool.min", "must not exceed"),
        ("capacity: 1000, latency", "latency", "components[2].capacity", "capacity, a ttl or both"),
        ("connections: 64)", "connections: 64, replication_lag: Exp(\"1s\"))", "components[3].replication_lag", "needs replicas"),
        ("connections: 64)", "connections: 64, max_connections: 10, pgbouncer: (pool_size: 20))", "components[3].pgbouncer.pool_size", "exceeds max_connections"),
        ("connections: 64)", "connections: 64, shards: (count: 0, by: Key))", "components[3].shards.count", "from 1 to 1024"),
        ("faults: []", "faults: [FlushCache(target: \"pg\", at: \"1s\")]", "faults[0].target", "candidates: \"api\", \"redis\""),
        ("faults: []", "faults: [Failover(database: \"pg\", at: \"1s\", promotion: \"1s\")]", "faults[0].database", "no replicas"),
    ];
    for (from, to, path, message) in cases {
        let ron = base.replace(from, to);
        assert_ne!(ron, base, "{from}");
        let p = problems(&ron);
        assert!(
            p.iter()
                .any(|x| x.path == *path && x.message.contains(message)),
            "{to}: {p:?}"
        );
    }
}

#[test]
fn the_data_tier_is_deterministic() {
    let s = cached(
        r#", propagation: "20ms""#,
        true,
        r#"FlushCache(target: "redis", at: "20s")"#,
        r#"Exp("2ms")"#,
    );
    assert_eq!(run(&s).to_json(), run(&s).to_json());
}

#[test]
fn the_range_layout_places_tenants_by_digest_byte() {
    // Uniform tenants: both layouts spread the load, but over different
    // tenant-to-shard maps, so the per-shard split differs; ranges split the
    // digest byte evenly, so each shard's share is close to 1/4.
    let ring = run(&sharded("Uniform", 2000.0, 0.0, 8));
    let ranges =
        run(&sharded("Uniform", 2000.0, 0.0, 8)
            .replace("by: Tenant)", "by: Tenant, layout: Ranges)"));
    let (a, b) = (db(&ring, "pg"), db(&ranges, "pg"));
    let shares = |d: &scaletwin::report::DatabaseReport| {
        d.shards.iter().map(|s| s.share).collect::<Vec<f64>>()
    };
    assert_ne!(shares(a), shares(b));
    assert!(
        shares(b).iter().all(|s| (s - 0.25).abs() < 0.05),
        "{:?}",
        shares(b)
    );
    // More than 256 shards cannot split one byte.
    let text = sharded("Uniform", 2000.0, 0.0, 8).replace(
        "count: 4, vnodes: 100, by: Tenant)",
        "count: 300, by: Tenant, layout: Ranges)",
    );
    let s = scaletwin::scenario::parse(&text, "x.ron").unwrap();
    let problems = scaletwin::scenario::validate(&s).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.path.ends_with("shards.count") && p.message.contains("at most 256")),
        "{problems:?}"
    );
}

#[test]
fn md5_ranges_place_tenants_by_the_first_md5_byte() {
    // 16 uniform tenants, 4 even ranges of md5(str(tenant))[0]: the first
    // bytes of md5("0".."15") are 207 196 200 236 168 228 22 143 201 69 211
    // 101 194 197 170 155, so shard 0 holds 1 tenant, shard 1 two, shard 2
    // four and shard 3 nine: shares 1/16, 2/16, 4/16, 9/16.
    let text = sharded("Uniform", 2000.0, 0.0, 8)
        .replace("count: 1000", "count: 16")
        .replace("by: Tenant)", "by: Tenant, layout: Ranges, hash: Md5)");
    let r = run(&text);
    let shares: Vec<f64> = db(&r, "pg").shards.iter().map(|s| s.share).collect();
    let expected = [1.0 / 16.0, 2.0 / 16.0, 4.0 / 16.0, 9.0 / 16.0];
    for (got, want) in shares.iter().zip(expected) {
        // 120,000 queries: a share's standard deviation is below 0.0015.
        assert!((got - want).abs() < 0.006, "{shares:?} vs {expected:?}");
    }
    // The default hash (xxHash64) places the same tenants otherwise.
    let xx = run(&text.replace(", hash: Md5", ""));
    let xx_shares: Vec<f64> = db(&xx, "pg").shards.iter().map(|s| s.share).collect();
    assert!(
        xx_shares
            .iter()
            .zip(expected)
            .any(|(g, w)| (g - w).abs() > 0.03),
        "{xx_shares:?}"
    );
}
