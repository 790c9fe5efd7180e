//! `CacheAside(after_round_trip: ..)`: the steps an async handler runs each
//! time a shared tier replies (after its lookup, hit or miss, and after the
//! fill that follows a load), never after an L1 hit. Checked by arithmetic
//! on constant times: a Redis round trip of 1ms, after_round_trip a 10ms
//! delay, the load 5ms.

use crate::run_text as run;
use scaletwin::scenario::{parse, validate};
use scaletwin::Report;

/// One key, read through `tiers` at 1 req/s; `update` (weight `writes`)
/// deletes it from Redis, so the next read misses.
fn reads(tiers: &str, after: &str, writes: f64) -> String {
    format!(
        r#"Scenario(
    name: "round-trips", seed: 5,
    run: (duration: "2000s", warmup: "10s"),
    workload: (users: 1, rps_per_user: 1.0, keys: (count: 1),
               mix: {{"read": 1.0, "update": {writes}}}),
    components: [
        LoadBalancer(name: "lb", targets: {{"api": 1}}),
        Deployment(name: "api", replicas: 1, concurrency: 100, l1: (capacity: 10)),
        Cache(name: "redis", capacity: 10, latency: Const("1ms"), concurrency: 100),
    ],
    endpoints: {{
        "read": [Lb("lb"), CacheAside(tiers: {tiers}, on_miss: [Delay(Const("5ms"))]{after})],
        "update": [Lb("lb"), Invalidate(["redis"])],
    }},
)"#
    )
}

fn read(r: &Report) -> scaletwin::metrics::LatencySummary {
    r.endpoints
        .iter()
        .find(|e| e.name == "read")
        .unwrap()
        .latency
        .clone()
}

const AFTER: &str = r#", after_round_trip: [Delay(Const("10ms"))]"#;

#[test]
fn a_redis_hit_runs_the_steps_once_after_its_lookup() {
    // The key stays in Redis: every read but the first is a hit, 1ms for
    // the lookup, then 10ms after it.
    let without = read(&run(&reads(r#"["redis"]"#, "", 0.0)));
    let with = read(&run(&reads(r#"["redis"]"#, AFTER, 0.0)));
    assert!((without.p50_ms - 1.0).abs() < 0.01, "{without:?}");
    assert!((with.p50_ms - 11.0).abs() < 0.02, "{with:?}");
}

#[test]
fn a_miss_runs_them_after_the_lookup_and_after_the_fill() {
    // Every read follows an update at 10 times its rate (the reads see a
    // deleted key but for the few that land inside another read): lookup
    // 1ms, 10ms, load 5ms, fill, 10ms = 26ms; without the steps 6ms.
    let without = read(&run(&reads(r#"["redis"]"#, "", 10.0)));
    let with = read(&run(&reads(r#"["redis"]"#, AFTER, 10.0)));
    assert!((without.p50_ms - 6.0).abs() < 0.01, "{without:?}");
    assert!((with.p50_ms - 26.0).abs() < 0.03, "{with:?}");
    assert!((with.max_ms - 26.0).abs() < 0.03, "{with:?}");
}

#[test]
fn an_l1_hit_makes_no_round_trip_and_runs_nothing() {
    // L1 without a TTL holds the key: every read after the first (in the
    // warm-up) is answered in the pod at once.
    let with = read(&run(&reads(r#"[L1, "redis"]"#, AFTER, 0.0)));
    assert!(with.count > 1_000 && with.max_ms < 0.01, "{with:?}");
}

#[test]
fn after_round_trip_on_an_l1_only_aside_is_refused() {
    let text = reads("[L1]", AFTER, 0.0);
    let problems = validate(&parse(&text, "t.ron").unwrap()).unwrap_err();
    let text = format!("{problems:?}");
    assert!(
        text.contains("endpoints.read[1].after_round_trip")
            && text.contains("after_round_trip runs when a shared tier (a Cache) replies"),
        "{text}"
    );
}
