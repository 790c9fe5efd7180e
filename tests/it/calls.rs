//! A `Call` runs the callee's shared program and returns; a request must
//! behave exactly as if the callee's steps were written in place of the
//! call. Each scenario here is run twice, as written and with every `Call`
//! replaced by the callee's steps, and the reports must be byte-identical.
//!
//! Written in place, a callee's `Lb` would hold its pod to the end of the
//! caller's list and its `Cdn` would follow the caller's `Lb`s, where a
//! call ends both with the callee's list: so a callee that opens a scope is
//! called here as the last step of its list, where the two agree, and the
//! others anywhere.

use super::run_text;

/// The scenario text with `endpoints` (name, steps) and the rest around them.
fn scenario(head: &str, endpoints: &[(&str, &str)], tail: &str) -> String {
    let eps: String = endpoints
        .iter()
        .map(|(name, steps)| format!("        \"{name}\": [{steps}],\n"))
        .collect();
    format!("{head}\n    endpoints: {{\n{eps}    }},\n{tail}")
}

/// `steps` with every `Call("x")` replaced by x's steps, themselves inlined.
fn inline(steps: &str, endpoints: &[(&str, &str)]) -> String {
    let mut out = String::new();
    let mut rest = steps;
    while let Some(at) = rest.find("Call(\"") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "Call(\"".len()..];
        let end = after.find("\")").expect("a closed Call");
        let callee = &after[..end];
        let body = endpoints
            .iter()
            .find(|(name, _)| *name == callee)
            .expect("a known callee")
            .1;
        out.push_str(&inline(body, endpoints));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The report as written and with its calls inlined, which must be equal.
fn both_ways(head: &str, endpoints: &[(&str, &str)], tail: &str) -> serde_json::Value {
    let called = scenario(head, endpoints, tail);
    let inlined: Vec<(&str, String)> = endpoints
        .iter()
        .map(|(name, steps)| (*name, inline(steps, endpoints)))
        .collect();
    let inlined: Vec<(&str, &str)> = inlined.iter().map(|(n, s)| (*n, s.as_str())).collect();
    assert!(!scenario(head, &inlined, tail).contains("Call("));
    let a = run_text(&called).to_json();
    let b = run_text(&scenario(head, &inlined, tail)).to_json();
    if a != b {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
        std::fs::write(dir.join("called.json"), &a).unwrap();
        std::fs::write(dir.join("inlined.json"), &b).unwrap();
        panic!(
            "a Call runs otherwise than its steps in place (reports in {})",
            dir.display()
        );
    }
    serde_json::from_str(&a).unwrap()
}

const HEAD: &str = r#"Scenario(
    name: "calls",
    seed: 11,
    run: (duration: "20s", warmup: "2s", interval: "1s"),
    workload: (
        users: 4_000,
        rps_per_user: 0.5,
        tenants: (count: 200, popularity: Zipf(1.1)),
        keys: (count: 300, popularity: Zipf(0.9)),
        mix: { "page": 0.4, "checkout": 0.2, "update": 0.2, "profile": 0.1, "read": 0.1 },
        client_timeout: "150ms",
        retries: (attempts: 3, backoff: "20ms", jitter: Full),
    ),
    network: (hop: Exp("0.2ms")),
    components: [
        Cdn(name: "edge", capacity: 100, ttl: "1s", stale_while_revalidate: "3s",
            latency: Exp("5ms"), response_bytes: 1_000),
        LoadBalancer(name: "gw", targets: { "gateway": 1 }),
        LoadBalancer(name: "alb", strategy: LeastConnections, targets: { "api": 1 }),
        Deployment(name: "gateway", replicas: 2, concurrency: 32),
        Deployment(name: "api", replicas: 3, concurrency: 8, queue_limit: 40, database: "pg",
                   l1: (capacity: 50, ttl: "2s", propagation: "50ms")),
        Cache(name: "redis", capacity: 100, ttl: "3s", latency: Exp("0.5ms"), concurrency: 4),
        Database(name: "pg", connections: 6),
        Dependency(name: "pay", latency: Exp("20ms"), error_rate: 0.2, timeout: "60ms"),
        Queue(name: "mail", workers: 2, concurrency: 4),
    ],"#;

const TAIL: &str = r#"    limits: {
        "read": (algorithm: SlidingLog, window: "1s", tiers: [(name: "all", share: 1.0, max: 5)]),
    },
    faults: [
        KillPods(deployment: "api", count: 1, at: "6s"),
        Slowdown(target: "pg", factor: 4.0, at: "10s", for: "3s"),
        FlushCache(target: "redis", at: "15s"),
    ],
)"#;

#[test]
fn calls_run_exactly_as_their_steps_in_place() {
    // `get` (a shared-cache read loading through `load`) runs in five
    // places: twice under [gw], under nothing, in a fallback; each place
    // coalesces apart. `read` and `write` enter a second pod (called last),
    // `cdn_read` looks up the edge from inside a call, and a client limit
    // on `read` applies to its own requests only. Pods die, the database
    // slows, clients time out and retry: requests fail in the middle of
    // calls and their slots are reused.
    let endpoints = [
        ("page", r#"Cdn("edge"), Call("front")"#),
        (
            "front",
            r#"Lb("gw"), Compute(Exp("0.5ms")), Call("get"), Call("get"), Call("read")"#,
        ),
        (
            "read",
            r#"Lb("alb"), Compute(Exp("1ms")), CacheAside(tiers: [L1, "redis"], on_miss: [Call("load")], coalesce: true)"#,
        ),
        (
            "get",
            r#"CacheAside(tiers: ["redis"], on_miss: [Call("load")], coalesce: true)"#,
        ),
        ("load", r#"DbRead(Exp("3ms"))"#),
        (
            "checkout",
            r#"Lb("gw"), Call("get"), External(dependency: "pay", fallback: [Call("get"), Delay(Const("1ms"))]), Call("mail")"#,
        ),
        ("mail", r#"Enqueue(queue: "mail", work: Exp("10ms"))"#),
        ("update", r#"Lb("gw"), Call("write")"#),
        (
            "write",
            r#"Lb("alb"), Compute(Exp("2ms")), DbWrite(Exp("5ms")), Invalidate([L1, "redis"])"#,
        ),
        ("profile", r#"Call("get"), Call("cdn_read")"#),
        ("cdn_read", r#"Cdn("edge"), Lb("alb"), Compute(Exp("1ms"))"#),
    ];
    let report = both_ways(HEAD, &endpoints, TAIL);
    // It did exercise what it claims. Asides, in endpoint then call order:
    // checkout's 2, front's 3, get's 1, page's 3 (through front), profile's
    // 1, read's 1; all but those of front and get, not in the mix, load.
    let loads = report["cache_loads"].as_array().unwrap();
    assert_eq!(loads.len(), 11, "{loads:?}");
    let loading: Vec<usize> = (0..loads.len())
        .filter(|&i| loads[i]["loads"].as_u64().unwrap() > 0)
        .collect();
    assert_eq!(loading, vec![0, 1, 6, 7, 8, 9, 10]);
    assert!(loads.iter().any(|a| a["coalesced"].as_u64().unwrap() > 0));
    let causes = &report["summary"]["errors_by_cause"];
    for cause in ["pod_killed", "client_timeout", "rate_limited"] {
        assert!(causes[cause].as_u64().unwrap() > 0, "{cause}: {causes}");
    }
    assert!(report["dependencies"][0]["fallbacks"].as_u64().unwrap() > 0);
    assert!(report["cdns"][0]["hits"].as_u64().unwrap() > 0);
}

#[test]
fn a_chain_64_calls_deep_runs_every_step_and_returns() {
    // e0 -> e1 -> ... -> e64, each waiting 1 ms before and after its call:
    // 129 ms a request, as written in place.
    let names: Vec<String> = (0..=64).map(|k| format!("e{k}")).collect();
    let bodies: Vec<String> = (0..=64)
        .map(|k| {
            if k < 64 {
                format!(
                    r#"Delay(Const("1ms")), Call("e{}"), Delay(Const("1ms"))"#,
                    k + 1
                )
            } else {
                r#"Delay(Const("1ms"))"#.to_owned()
            }
        })
        .collect();
    let endpoints: Vec<(&str, &str)> = names
        .iter()
        .map(String::as_str)
        .zip(bodies.iter().map(String::as_str))
        .collect();
    let head = r#"Scenario(
    name: "chain",
    run: (duration: "10s", warmup: "0s", interval: "1s"),
    workload: (users: 10, rps_per_user: 1.0, mix: { "e0": 1.0 }),
    components: [],"#;
    let report = both_ways(head, &endpoints, ")");
    let summary = &report["summary"];
    assert!(summary["completed"].as_u64().unwrap() > 50, "{summary}");
    assert_eq!(summary["errors"], 0);
    let p50 = summary["latency"]["p50_ms"].as_f64().unwrap();
    assert!((p50 - 129.0).abs() < 0.2, "{p50}");
}
