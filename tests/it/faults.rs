//! The fault timeline: each fault changes the run while it is active.

use scaletwin::scenario::schema::{Fault, Slowdown};
use scaletwin::scenario::{parse, units::Duration, validate, DEFAULT_SCENARIO};

#[test]
fn a_database_slowdown_raises_latency_only_while_it_lasts() {
    let mut s = parse(DEFAULT_SCENARIO, "default.ron").unwrap();
    s.run.duration = Duration::parse("180s").unwrap();
    let base = scaletwin::simulate(&validate(&s).unwrap());
    s.faults.push(Fault::Slowdown(Slowdown {
        target: "pg".into(),
        factor: 3.0,
        at: Duration::parse("60s").unwrap(),
        length: Some(Duration::parse("30s").unwrap()),
    }));
    let slow = scaletwin::simulate(&validate(&s).unwrap());
    assert_eq!(slow.faults.len(), 1);
    assert_eq!(slow.faults[0].label, "Slowdown(pg x3)");
    assert_eq!(
        (slow.faults[0].at_s, slow.faults[0].until_s),
        (60.0, Some(90.0))
    );
    let p99 = |r: &scaletwin::Report, from: f64, to: f64| {
        r.series
            .iter()
            .filter(|x| x.t_s > from && x.t_s <= to)
            .map(|x| x.p99_ms)
            .fold(0.0, f64::max)
    };
    // Before the fault the runs are identical (common random numbers).
    assert_eq!(p99(&base, 0.0, 60.0), p99(&slow, 0.0, 60.0));
    // During it, p99 rises well above the baseline.
    assert!(
        p99(&slow, 70.0, 90.0) > 2.0 * p99(&base, 70.0, 90.0),
        "{} vs {}",
        p99(&slow, 70.0, 90.0),
        p99(&base, 70.0, 90.0)
    );
    // Well after it, the system is back to the baseline's level.
    assert!(p99(&slow, 150.0, 180.0) < 1.5 * p99(&base, 150.0, 180.0));
    let pg = |r: &scaletwin::Report| {
        r.stations
            .iter()
            .find(|x| x.name == "pg")
            .unwrap()
            .stats
            .utilization
    };
    assert!(pg(&slow) > pg(&base));
}

#[test]
fn a_fault_on_an_unknown_target_is_an_input_error() {
    let mut s = parse(DEFAULT_SCENARIO, "default.ron").unwrap();
    s.faults.push(Fault::Slowdown(Slowdown {
        target: "alb".into(),
        factor: 2.0,
        at: Duration::parse("10s").unwrap(),
        length: None,
    }));
    let problems = validate(&s).unwrap_err();
    assert_eq!(problems[0].path, "faults[0].target");
    assert!(
        problems[0].message.contains("\"api\", \"pg\""),
        "{}",
        problems[0].message
    );
}

#[test]
fn the_close_rule_decides_how_often_a_half_open_breaker_closes() {
    // Calls take exactly 30 ms and fail with probability 0.3, so three
    // consecutive failures (failure_threshold 3) trip the breaker every few
    // seconds at 50 calls/s. Each half-open spell admits 3 probes, which
    // finish in the order they started: with FirstSuccess it closes when the
    // first one succeeds (0.7); with AllProbes only when all three do
    // (0.7^3 = 0.343), otherwise it reopens.
    let scenario = |rule: &str| {
        format!(
            r#"Scenario(
    name: "close-rule", seed: 8,
    run: (duration: "20m"),
    workload: (users: 50, rps_per_user: 1.0, mix: {{ "a": 1.0 }}),
    components: [
        LoadBalancer(name: "alb", targets: {{ "api": 1 }}),
        Deployment(name: "api", replicas: 2, concurrency: 64),
        Dependency(name: "dep", latency: Const("30ms"), error_rate: 0.3,
            breaker: (failure_threshold: 3, reset_timeout: "1s", half_open_max_calls: 3, close_on: {rule})),
    ],
    endpoints: {{ "a": [Lb("alb"), Compute(Const("1ms")), External(dependency: "dep")] }},
)"#
        )
    };
    let closed_share = |rule: &str| {
        let r = crate::run_text(&scenario(rule));
        let ev = &r.dependencies[0].breaker_events;
        let ends: Vec<&str> = ev
            .iter()
            .filter(|e| e.from == "half_open")
            .map(|e| e.to.as_str())
            .collect();
        assert!(ends.len() > 200, "{rule}: {} half-open spells", ends.len());
        ends.iter().filter(|&&t| t == "closed").count() as f64 / ends.len() as f64
    };
    let first = closed_share("FirstSuccess");
    let all = closed_share("AllProbes");
    assert!((first - 0.7).abs() < 0.06, "FirstSuccess closed {first}");
    assert!((all - 0.343).abs() < 0.06, "AllProbes closed {all}");
}
