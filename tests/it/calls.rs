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

// `CallWith` and `Parallel`: calls made as real clients, each a sub-request
// of its own, checked against probability theory and Little's law.

/// A run of `endpoints` (the mix sends everything to "e0") at `rate`
/// requests per second for 200 s, with `components`.
fn client_run(rate: f64, components: &str, endpoints: &str) -> scaletwin::Report {
    run_text(&format!(
        r#"Scenario(
            name: "client", seed: 7,
            run: (duration: "200s", warmup: "10s", interval: "10s"),
            workload: (users: {rate}, rps_per_user: 1.0, mix: {{ "e0": 1.0 }}),
            components: [{components}],
            endpoints: {{ {endpoints} }},
        )"#
    ))
}

fn cause(r: &scaletwin::Report, name: &str) -> u64 {
    r.summary.errors_by_cause[name]
}

/// Three callees of 10 ms exponential latency each (no resource: no queueing).
const THREE: &str =
    r#""b1": [Delay(Exp("10ms"))], "b2": [Delay(Exp("10ms"))], "b3": [Delay(Exp("10ms"))]"#;

#[test]
fn parallel_all_takes_the_slowest_and_first_the_fastest_of_k_exponentials() {
    // The max of k independent Exp(mu) has mean H_k / mu; the min, 1/(k mu).
    for (wait, expected) in [
        ("All", 10.0 * (1.0 + 0.5 + 1.0 / 3.0)),
        ("First", 10.0 / 3.0),
    ] {
        let r = client_run(
            200.0,
            "",
            &format!(
                r#""e0": [Parallel(wait: {wait}, calls: [Call("b1"), Call("b2"), CallWith(endpoint: "b3")])], {THREE}"#
            ),
        );
        let s = &r.summary;
        assert_eq!(s.errors, 0);
        assert!(s.completed > 35_000, "{s:?}");
        let mean = s.latency.mean_ms;
        assert!(
            (mean - expected).abs() < 0.02 * expected,
            "{wait}: mean {mean} ms, theory {expected} ms"
        );
        let site = &r.calls[0];
        assert_eq!(site.site, "e0[0]");
        assert_eq!(site.wait, wait.to_lowercase());
        assert_eq!(site.callees, ["b1", "b2", "b3"]);
        assert_eq!(site.attempts, 3 * site.requests);
        // First: the two slower calls of each request answer late, as orphans.
        let late = if wait == "First" {
            2 * site.requests
        } else {
            0
        };
        assert!(site.late_answers.abs_diff(late) <= 10, "{site:?}");
    }
}

#[test]
fn a_call_timeout_fails_the_share_of_exponential_callees_slower_than_it() {
    // P(Exp(mean 10 ms) > 10 ms) = e^-1; with one retry both attempts must
    // be slow: e^-2. The timed-out attempts run on and answer late.
    for (retries, expected) in [
        ("None", (-1.0f64).exp()),
        ("(attempts: 2, backoff: \"1ms\")", (-2.0f64).exp()),
    ] {
        let r = client_run(
            100.0,
            "",
            &format!(
                r#""e0": [CallWith(endpoint: "b1", timeout: "10ms", retries: {retries})], "b1": [Delay(Exp("10ms"))]"#
            ),
        );
        let s = &r.summary;
        let timeouts = cause(&r, "call_timeout");
        assert_eq!(s.errors, timeouts, "{:?}", s.errors_by_cause);
        let share = timeouts as f64 / s.arrivals as f64;
        // 19,000 requests: the binomial standard error is under 0.0036.
        assert!(
            (share - expected).abs() < 0.012,
            "{retries}: {share} vs {expected}"
        );
        let site = &r.calls[0];
        // The site counts requests failing after the warm-up, the summary
        // requests sent after it: they differ by the few at the boundary.
        assert!(site.failed_requests.abs_diff(timeouts) <= 10, "{site:?}");
        assert!(site.late_answers.abs_diff(site.timeouts) <= 5, "{site:?}");
        // No answer comes after the timeout (plus a 1 ms backoff and a
        // second timeout with a retry).
        if retries == "None" {
            assert_eq!(site.retries, 0);
            assert!(s.latency.max_ms < 10.05, "{:?}", s.latency);
        } else {
            assert!(s.latency.max_ms < 21.05, "{:?}", s.latency);
            assert!(
                site.retries.abs_diff(site.timeouts - timeouts) <= 5,
                "{site:?}"
            );
        }
    }
}

#[test]
fn a_fallback_answers_the_calls_that_time_out() {
    let r = client_run(
        100.0,
        "",
        r#""e0": [CallWith(endpoint: "b1", timeout: "10ms", fallback: [Delay(Const("1ms"))])],
           "b1": [Delay(Exp("10ms"))]"#,
    );
    assert_eq!(r.summary.errors, 0);
    let site = &r.calls[0];
    assert_eq!(site.fallbacks, site.timeouts);
    let share = site.fallbacks as f64 / site.requests as f64;
    assert!((share - (-1.0f64).exp()).abs() < 0.012, "{share}");
    // Nobody waits past the timeout plus the fallback.
    assert!(r.summary.latency.max_ms <= 11.1, "{:?}", r.summary.latency);
}

#[test]
fn orphaned_work_keeps_the_callee_busy_as_littles_law_says() {
    // The callee computes Exp(20 ms) on a pod slot; the caller gives up at
    // 5 ms, so most calls time out, but every one runs to its end: the
    // callee's busy slots are lambda x E[S] = 100/s x 20 ms = 2, with or
    // without the timeout, while the caller's requests last at most 5 ms.
    let components = r#"LoadBalancer(name: "lb", targets: { "svc": 1 }),
                        Deployment(name: "svc", replicas: 1, concurrency: 200)"#;
    for timeout in ["None", "\"5ms\""] {
        let r = client_run(
            100.0,
            components,
            &format!(
                r#""e0": [CallWith(endpoint: "work", timeout: {timeout}, fallback: [Delay(Const("0ms"))])],
                   "work": [Lb("lb"), Compute(Exp("20ms"))]"#
            ),
        );
        let svc = r.stations.iter().find(|s| s.name == "svc").unwrap();
        let busy = svc.stats.mean_busy;
        assert!((busy - 2.0).abs() < 0.1, "timeout {timeout}: busy {busy}");
        if timeout != "None" {
            let site = &r.calls[0];
            let late = site.timeouts as f64 / site.requests as f64;
            assert!((late - (-0.25f64).exp()).abs() < 0.015, "{late}");
            assert!(r.summary.latency.max_ms < 5.1, "{:?}", r.summary.latency);
        }
    }
}

#[test]
fn a_caller_waiting_on_a_call_holds_its_slot_on_the_callee() {
    // The gateway computes 2 ms, then waits 18 ms on average for `api`
    // (a 10 ms and an 8 ms exponential in parallel, mean max 10 + 8 -
    // 1/(1/10 + 1/8) = 13.56 ms, plus nothing else): its held time is
    // compute and waiting on api, in that proportion.
    let components = r#"LoadBalancer(name: "gw", targets: { "gateway": 1 }),
                        LoadBalancer(name: "alb", targets: { "api": 1 }),
                        Deployment(name: "gateway", replicas: 1, concurrency: 100),
                        Deployment(name: "api", replicas: 1, concurrency: 100)"#;
    let r = client_run(
        100.0,
        components,
        r#""e0": [Lb("gw"), Compute(Const("2ms")), Parallel(calls: [Call("a"), Call("b")])],
           "a": [Lb("alb"), Compute(Exp("10ms"))], "b": [Lb("alb"), Compute(Exp("8ms"))]"#,
    );
    let gateway = r.stations.iter().find(|s| s.name == "gateway").unwrap();
    let wait = 10.0 + 8.0 - 1.0 / (1.0 / 10.0 + 1.0 / 8.0);
    let share = |on: &str| {
        gateway
            .held
            .iter()
            .find(|h| h.on == on)
            .map_or(0.0, |h| h.share)
    };
    let expected = wait / (wait + 2.0);
    assert!((share("api") - expected).abs() < 0.01, "{:?}", gateway.held);
    assert!(
        (share("compute") - (1.0 - expected)).abs() < 0.01,
        "{:?}",
        gateway.held
    );
    // Little's law on the callee: 100/s x (10 + 8) ms = 1.8 busy slots.
    let api = r.stations.iter().find(|s| s.name == "api").unwrap();
    assert!((api.stats.mean_busy - 1.8).abs() < 0.08, "{:?}", api.stats);
}

#[test]
fn parallel_all_fails_at_the_first_failed_call_and_first_at_the_last() {
    // b1 always times out at 5 ms (a 50 ms callee); b2 answers in 1 ms.
    let eps = |wait: &str| {
        format!(
            r#""e0": [Parallel(wait: {wait}, calls: [CallWith(endpoint: "b1", timeout: "5ms"), Call("b2")])],
               "b1": [Delay(Const("50ms"))], "b2": [Delay(Const("1ms"))]"#
        )
    };
    let all = client_run(50.0, "", &eps("All"));
    assert_eq!(all.summary.completed, 0);
    assert_eq!(cause(&all, "call_timeout"), all.summary.arrivals);
    // It fails when b1 times out, not when b1 would have answered.
    assert!((all.summary.latency_all.max_ms - 5.0).abs() < 0.05);
    let first = client_run(50.0, "", &eps("First"));
    assert_eq!(first.summary.errors, 0);
    assert!((first.summary.latency.max_ms - 1.0).abs() < 0.01);
    // Both runs send the same sub-requests, and b1's all answer late.
    assert_eq!(first.calls[0].attempts, 2 * first.calls[0].requests);
    assert!(
        first.calls[0]
            .late_answers
            .abs_diff(first.calls[0].requests)
            <= 3
    );
}

#[test]
fn a_callee_failure_propagates_its_cause_and_retries_send_new_requests() {
    // A callee with one slot and no queue, offered 100/s of 20 ms computes,
    // rejects most calls with "queue_full"; the caller, its retries spent,
    // fails with that cause.
    let components = r#"LoadBalancer(name: "lb", targets: { "svc": 1 }),
                        Deployment(name: "svc", replicas: 1, concurrency: 1, queue_limit: 0)"#;
    let r = client_run(
        100.0,
        components,
        r#""e0": [CallWith(endpoint: "work", retries: (attempts: 3, backoff: "1ms"))],
           "work": [Lb("lb"), Compute(Const("20ms"))]"#,
    );
    let site = &r.calls[0];
    assert!(site.errors > 0 && site.retries > 0, "{site:?}");
    assert_eq!(cause(&r, "queue_full"), site.failed_requests);
    // Every retry is a new sub-request: attempts = requests + retries.
    assert!(
        site.attempts.abs_diff(site.requests + site.retries) <= 5,
        "{site:?}"
    );
    // The callee turned them away.
    let svc = r.stations.iter().find(|s| s.name == "svc").unwrap();
    assert!(svc.stats.rejected > 0, "{:?}", svc.stats);
}

#[test]
fn client_calls_are_deterministic() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/fanout.ron"))
            .unwrap();
    assert_eq!(run_text(&text).to_json(), run_text(&text).to_json());
}
