//! CDN points of presence per region: each PoP is an independent edge cache
//! over its own region's traffic; users without a PoP pay the round trip to
//! the nearest one; a PoP's misses pay the round trip to the origin.

use crate::data_tier::{ttl_hit_ratio, zipf};
use crate::run_text as run;
use scaletwin::report::{CdnReport, PopReport, RegionReport};
use scaletwin::Report;

fn pop<'a>(c: &'a CdnReport, region: &str) -> &'a PopReport {
    c.pops.iter().find(|p| p.region == region).unwrap()
}

fn region<'a>(r: &'a Report, name: &str) -> &'a RegionReport {
    r.regions.iter().find(|x| x.name == name).unwrap()
}

/// 200 req/s over 10,000 keys (Zipf 0.8) at a TTL-only CDN (capacity above
/// the key count, s-maxage 60 s), with or without two equal regions.
fn ttl_cdn(regions: &str) -> String {
    format!(
        r#"Scenario(
    name: "pops-ttl", seed: 21,
    run: (duration: "4000s", warmup: "300s", interval: "100s"),
    workload: (users: 200, rps_per_user: 1.0, keys: (count: 10000, popularity: Zipf(0.8)),
               mix: {{ "page": 1.0 }}),
    components: [
        Cdn(name: "edge", capacity: 20000, ttl: "60s", latency: Const("10ms"), response_bytes: 100),
    ],
    endpoints: {{ "page": [Cdn("edge"), Delay(Const("20ms"))] }},
    {regions}
)"#
    )
}

#[test]
fn each_pop_is_an_independent_ttl_cache_over_its_regions_traffic() {
    let p = zipf(10_000, 0.8);
    let per_pop = ttl_hit_ratio(&p, 100.0, 60.0);
    assert!((per_pop - 0.57533).abs() < 5e-5, "formula port: {per_pop}");
    let split = run(&ttl_cdn(
        r#"regions: (users: { "eu": 0.5, "us": 0.5 }, rtt: { "us": { "eu": "80ms" } }, primary: "us"),"#,
    ));
    let c = &split.cdns[0];
    assert_eq!(c.pops.len(), 2);
    for name in ["eu", "us"] {
        let x = pop(c, name);
        assert!(x.lookups > 300_000, "{name}: {}", x.lookups);
        assert_eq!(x.remote_lookups, 0, "{name}: its own users only");
        assert_eq!(x.evictions, 0, "TTL only");
        assert!(
            (x.hit_ratio - per_pop).abs() < 0.01,
            "{name}: simulated {} vs formula {per_pop} at 100 req/s",
            x.hit_ratio
        );
    }
    // Totals are the PoPs' sums (the cost model reads them).
    let sum = |f: fn(&PopReport) -> u64| c.pops.iter().map(f).sum::<u64>();
    assert_eq!(c.lookups, sum(|x| x.lookups));
    assert_eq!(c.hits, sum(|x| x.hits));
    assert_eq!(c.misses, sum(|x| x.misses));
    assert_eq!(c.edge_bytes, sum(|x| x.edge_bytes));
    assert_eq!(c.origin_bytes, sum(|x| x.origin_bytes));
    assert_eq!(c.edge_bytes, c.hits * 100);
    // One shared edge (no regions) sees the whole 200 req/s: a higher hit
    // ratio, as the formula says at twice the rate.
    let one = run(&ttl_cdn(""));
    let whole = ttl_hit_ratio(&p, 200.0, 60.0);
    assert!(one.cdns[0].pops.is_empty());
    assert!(
        (one.cdns[0].hit_ratio - whole).abs() < 0.01,
        "one edge: {} vs formula {whole}",
        one.cdns[0].hit_ratio
    );
    assert!(whole > per_pop + 0.05);
    // Common random numbers: the same arrivals either way.
    assert_eq!(one.summary.arrivals, split.summary.arrivals);
}

/// Users in us, eu and ap; PoPs in `pops`; the origin (api) only in us.
/// Edge 10 ms, origin work 5 ms, no network hop: every latency is a sum of
/// constants, a hit's or a miss's.
fn geo_cdn(pops: &str, faults: &str) -> String {
    format!(
        r#"Scenario(
    name: "pops-geo", seed: 4,
    run: (duration: "600s", warmup: "60s", interval: "10s"),
    workload: (users: 300, rps_per_user: 1.0, keys: (count: 3000, popularity: Zipf(0.9)),
               mix: {{ "page": 1.0 }}),
    components: [
        Cdn(name: "edge", capacity: 100000, ttl: "30s", latency: Const("10ms"), pops: [{pops}]),
        LoadBalancer(name: "lb", targets: {{ "api": 1 }}),
        Deployment(name: "api", replicas: 4, concurrency: 256, region: "us"),
    ],
    endpoints: {{ "page": [Cdn("edge"), Lb("lb"), Compute(Const("5ms"))] }},
    faults: [{faults}],
    regions: (
        users: {{ "us": 0.4, "eu": 0.3, "ap": 0.3 }},
        rtt: {{ "us": {{ "eu": "80ms", "ap": "200ms" }}, "eu": {{ "ap": "150ms" }} }},
        primary: "us",
    ),
)"#
    )
}

/// Mean latency of a region's users whose PoP hits with ratio `h`: `to_pop`
/// to reach the PoP, the edge's 10 ms, and on a miss the PoP's round trip to
/// the origin and the 5 ms of work.
fn expected_mean(h: f64, to_pop: f64, to_origin: f64) -> f64 {
    to_pop + 10.0 + (1.0 - h) * (to_origin + 5.0)
}

#[test]
fn users_without_a_pop_pay_the_round_trip_to_the_nearest_one() {
    let r = run(&geo_cdn(r#""us", "eu""#, ""));
    let c = &r.cdns[0];
    assert_eq!(c.pops.len(), 2, "no PoP in ap");
    let (us, eu) = (pop(c, "us"), pop(c, "eu"));
    // ap's users go to eu (150 ms) rather than us (200 ms).
    assert_eq!(us.remote_lookups, 0);
    let ap = region(&r, "ap");
    assert!(
        (eu.remote_lookups as f64 - ap.arrivals as f64).abs() <= 50.0,
        "{} remote lookups at eu for {} ap arrivals",
        eu.remote_lookups,
        ap.arrivals
    );
    assert_eq!(r.summary.errors, 0);
    // us: PoP and origin at home. eu: misses pay 80 ms to the origin.
    // ap: 150 ms to the eu PoP, then as eu.
    for (name, h, to_pop, to_origin) in [
        ("us", us.hit_ratio, 0.0, 0.0),
        ("eu", eu.hit_ratio, 0.0, 80.0),
        ("ap", eu.hit_ratio, 150.0, 80.0),
    ] {
        let want = expected_mean(h, to_pop, to_origin);
        let got = region(&r, name).latency.mean_ms;
        assert!(
            (got - want).abs() < 0.02 * want,
            "{name}: mean {got} ms, expected {want} ms"
        );
    }
    // A hit in ap takes 160 ms, in us and eu 10 ms.
    assert!(
        (ap.latency.p50_ms - 160.0).abs() < 2.0,
        "{}",
        ap.latency.p50_ms
    );
    assert!(region(&r, "us").latency.p50_ms < 11.0);
    // With a PoP in every region (the default), ap's users stay home.
    let everywhere = run(&geo_cdn("", ""));
    let c = &everywhere.cdns[0];
    assert_eq!(c.pops.len(), 3);
    assert!(c.pops.iter().all(|p| p.remote_lookups == 0));
    assert!(region(&everywhere, "ap").latency.p50_ms < 11.0);
}

#[test]
fn a_pop_region_outage_sends_its_users_to_the_next_nearest_pop() {
    let r = run(&geo_cdn(
        r#""us", "eu""#,
        r#"RegionDown(region: "eu", at: "0s")"#,
    ));
    let c = &r.cdns[0];
    assert_eq!(pop(c, "eu").lookups, 0);
    let us = pop(c, "us");
    let far = region(&r, "eu").arrivals + region(&r, "ap").arrivals;
    assert!((us.remote_lookups as f64 - far as f64).abs() <= 50.0);
    // ap's hits now cost the 200 ms to us, eu's the 80 ms.
    assert!((region(&r, "ap").latency.p50_ms - 210.0).abs() < 2.0);
    assert!((region(&r, "eu").latency.p50_ms - 90.0).abs() < 2.0);
    assert_eq!(r.summary.errors, 0);
}

#[test]
fn pop_runs_are_deterministic() {
    let text = geo_cdn(r#""us", "eu""#, "");
    let a = serde_json::to_string(&run(&text)).unwrap();
    let b = serde_json::to_string(&run(&text)).unwrap();
    assert_eq!(a, b);
    assert!(a.contains("\"pops\""));
}
