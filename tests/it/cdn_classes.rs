//! CDN content classes: static objects with their own population, size and
//! TTL beside API responses cached by data key with s-maxage and
//! stale-while-revalidate.

use crate::data_tier::{che, ttl_hit_ratio, zipf};
use crate::run_text as run;
use scaletwin::report::CdnClassReport;
use scaletwin::scenario::{parse, validate};
use scaletwin::Report;

fn class<'a>(r: &'a Report, name: &str) -> &'a CdnClassReport {
    r.cdns[0].classes.iter().find(|c| c.name == name).unwrap()
}

/// 1,000 req/s: half ask for one of 5,000 assets (Zipf 0.8, a year's TTL,
/// 500 held per edge: an LRU), half for an API response per data key
/// (10,000 keys, Zipf 0.8, s-maxage 60 s, nothing evicted).
fn two_classes(asset_capacity: u64) -> String {
    format!(
        r#"Scenario(
    name: "cdn-classes", seed: 11,
    run: (duration: "400s", warmup: "100s", interval: "50s"),
    workload: (users: 1000, rps_per_user: 1.0, keys: (count: 10000, popularity: Zipf(0.8)),
               mix: {{ "asset": 0.5, "api": 0.5 }}),
    components: [
        Cdn(name: "edge", capacity: 20000, ttl: "60s", latency: Const("5ms"), response_bytes: 2000,
            classes: [(name: "assets", used_by: ["asset"], objects: (count: 5000, popularity: Zipf(0.8)),
                       ttl: "365d", response_bytes: 50000, capacity: {asset_capacity})]),
    ],
    endpoints: {{ "asset": [Cdn("edge"), Delay(Const("20ms"))],
                  "api": [Cdn("edge"), Delay(Const("20ms"))] }},
)"#
    )
}

#[test]
fn a_static_class_is_an_lru_over_its_own_objects_as_che_predicts() {
    let r = run(&two_classes(500));
    let assets = class(&r, "assets");
    let p = zipf(5_000, 0.8);
    let expected = che(&p, 500.0);
    assert!(assets.lookups > 140_000, "{}", assets.lookups);
    assert!(
        (assets.hit_ratio - expected).abs() < 0.01,
        "assets: simulated {} vs Che {expected}",
        assets.hit_ratio
    );
    assert!(assets.evictions > 0, "500 of 5,000 objects fit");
    // Its own size: 50 KB per answer, at the edge and from the origin.
    assert_eq!(assets.edge_bytes, assets.hits * 50_000);
    // API responses stay a TTL cache over the data keys (500 req/s, 60 s).
    let api = class(&r, "default");
    let ttl = ttl_hit_ratio(&zipf(10_000, 0.8), 500.0, 60.0);
    assert!(
        (api.hit_ratio - ttl).abs() < 0.01,
        "api: simulated {} vs TTL formula {ttl}",
        api.hit_ratio
    );
    assert_eq!(api.evictions, 0);
    assert_eq!(api.edge_bytes, api.hits * 2000);
    // The CDN's totals are the classes' sums (the bill reads them).
    let c = &r.cdns[0];
    assert_eq!(c.lookups, assets.lookups + api.lookups);
    assert_eq!(c.edge_bytes, assets.edge_bytes + api.edge_bytes);
    assert_eq!(c.origin_bytes, assets.origin_bytes + api.origin_bytes);
    // Every object fits: after the warm-up nearly every asset is a hit (a
    // year's TTL never expires), whatever the data keys do.
    let all = run(&two_classes(5000));
    let fits = class(&all, "assets");
    assert_eq!(fits.evictions, 0);
    assert!(fits.hit_ratio > 0.995, "{}", fits.hit_ratio);
    // The class draws its objects on its own stream: the data keys' class
    // sees the same requests either way.
    assert_eq!(class(&all, "default").lookups, api.lookups);
    assert_eq!(class(&all, "default").hits, api.hits);
}

/// One hot object per edge in two regions, fresh for 1 s, served stale for
/// up to an hour while one request revalidates it at a 100 ms origin.
fn revalidated() -> String {
    r#"Scenario(
    name: "cdn-swr", seed: 3,
    run: (duration: "70s", warmup: "10s", interval: "10s"),
    workload: (users: 1000, rps_per_user: 1.0, mix: { "logo": 1.0 }),
    components: [
        Cdn(name: "edge", capacity: 10, ttl: "1h", latency: Const("5ms"),
            classes: [(name: "logo", used_by: ["logo"], objects: (count: 1),
                       ttl: "1s", stale_while_revalidate: "1h", response_bytes: 100)]),
    ],
    endpoints: { "logo": [Cdn("edge"), Delay(Const("100ms"))] },
    regions: (users: { "eu": 0.5, "us": 0.5 }, rtt: { "us": { "eu": "80ms" } }, primary: "us"),
)"#
    .to_owned()
}

#[test]
fn stale_while_revalidate_sends_one_revalidation_per_expiry_per_edge() {
    let r = run(&revalidated());
    let c = &r.cdns[0];
    assert_eq!(c.pops.len(), 2);
    // Each edge: fresh for 1 s after a fill, then the first request (about
    // 2 ms later at 500 req/s) is served stale and revalidates; the fill
    // comes 100 ms later. 60 measured seconds hold 60 / 1.102 ≈ 54.4 cycles.
    for pop in &c.pops {
        assert_eq!(pop.misses, 0, "{}: the object is never absent", pop.region);
        assert!(
            (53..=56).contains(&pop.refreshes),
            "{}: {} revalidations",
            pop.region,
            pop.refreshes
        );
        // Exactly one origin fetch per revalidation (one in flight at the end at most).
        let fetched = pop.origin_bytes / 100;
        assert!(
            fetched == pop.refreshes || fetched + 1 == pop.refreshes,
            "{}: {fetched} fetched for {} revalidations",
            pop.region,
            pop.refreshes
        );
        // Everyone else during a revalidation gets the stale copy: about
        // 500 req/s × 0.1 s = 50 per cycle.
        let per_cycle = pop.stale_hits as f64 / pop.refreshes as f64;
        assert!(
            (45.0..=56.0).contains(&per_cycle),
            "{}: {per_cycle}",
            pop.region
        );
    }
    // Stale answers come from the edge at its 5 ms: nobody waits for the origin.
    assert_eq!(r.summary.errors, 0);
    assert!(
        r.summary.latency.p99_ms <= 5.5,
        "{}",
        r.summary.latency.p99_ms
    );
    let logo = class(&r, "logo");
    assert_eq!(
        logo.refreshes,
        c.pops.iter().map(|p| p.refreshes).sum::<u64>()
    );
}

#[test]
fn class_mistakes_are_named_by_path() {
    let text = two_classes(500)
        .replace(
            r#"used_by: ["asset"]"#,
            r#"used_by: ["assset", "api", "api"]"#,
        )
        .replace("ttl: \"365d\"", "ttl: \"0s\"");
    let s = parse(&text, "t.ron").unwrap();
    let problems = validate(&s).unwrap_err();
    let said: Vec<String> = problems
        .iter()
        .map(|p| format!("{}: {}", p.path, p.message))
        .collect();
    let has = |path: &str, words: &str| {
        assert!(
            said.iter()
                .any(|x| x.starts_with(path) && x.contains(words)),
            "{path} / {words} in {said:#?}"
        )
    };
    has(
        "components[0].classes[0].used_by[0]",
        "did you mean \"asset\"",
    );
    has(
        "components[0].classes[0].used_by[2]",
        "already in another class",
    );
    has("components[0].classes[0].ttl", "longer than zero");
}
