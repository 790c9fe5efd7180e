//! `workload.periodic`: requests the system sends itself on a timer take
//! their resources like any request but are never counted. Checked against
//! the arithmetic of a single worker slot that a 100ms job takes every
//! second: a Poisson arrival (nearly free itself) finds it busy with
//! probability 0.1 and then waits the job's residual, uniform on [0, 100ms],
//! so its mean latency is 0.1 × 50ms = 5ms.

use crate::run_text as run;
use scaletwin::scenario::{parse, validate};

fn scenario(periodic: &str) -> String {
    format!(
        r#"Scenario(
    name: "periodic", seed: 3,
    run: (duration: "20000s", warmup: "0s"),
    workload: (users: 2, rps_per_user: 1.0, mix: {{"ping": 1.0}}{periodic}),
    components: [
        LoadBalancer(name: "lb", targets: {{"one": 1}}),
        Deployment(name: "one", replicas: 1, concurrency: 1),
    ],
    endpoints: {{
        "ping": [Lb("lb"), Compute(Const("1us"))],
        "scrape": [Lb("lb"), Compute(Const("100ms"))],
    }},
)"#
    )
}

const SCRAPE: &str = r#", periodic: [(endpoint: "scrape", every: "1s")]"#;

#[test]
fn a_periodic_job_on_the_slot_delays_requests_by_its_busy_share_times_half_its_length() {
    let quiet = run(&scenario(""));
    let busy = run(&scenario(SCRAPE));
    assert!(
        quiet.summary.latency.mean_ms < 0.01,
        "{:?}",
        quiet.summary.latency
    );
    // 40,000 arrivals; the latency's standard deviation is 17.5ms, so the
    // mean's standard error is 0.09ms: 5ms within 0.4ms.
    let mean = busy.summary.latency.mean_ms;
    assert!((mean - 5.0).abs() < 0.4, "mean {mean}ms");
    // Nine arrivals in ten find the slot free.
    assert!(busy.summary.latency.p50_ms < 0.01);
    assert!(busy.summary.latency.max_ms <= 100.01);
    // The 20,000 scrapes are not requests of the report...
    for r in [&quiet, &busy] {
        let n = r.summary.arrivals as f64;
        assert!((n - 40_000.0).abs() < 1_000.0, "{n}");
        assert_eq!(r.summary.completed, r.summary.arrivals);
    }
    let scrape = busy.endpoints.iter().find(|e| e.name == "scrape");
    assert_eq!(scrape.map_or(0, |e| e.latency.count), 0);
    // ...but they take the slot a tenth of the time.
    let slot = |r: &scaletwin::Report| {
        let one = r.stations.iter().find(|s| s.name == "one").unwrap();
        one.stats.utilization
    };
    assert!(slot(&quiet) < 0.001, "{}", slot(&quiet));
    assert!((slot(&busy) - 0.1).abs() < 0.001, "{}", slot(&busy));
}

#[test]
fn a_periodic_request_needs_a_known_endpoint_and_a_period_of_1ms_or_more() {
    let text = scenario(
        r#", periodic: [(endpoint: "scrap", every: "1s"), (endpoint: "scrape", every: "10us")]"#,
    );
    let problems = validate(&parse(&text, "t.ron").unwrap()).unwrap_err();
    let text = format!("{problems:?}");
    assert!(text.contains("workload.periodic[0].endpoint"), "{text}");
    assert!(text.contains(r#"no endpoint is named \"scrap\""#), "{text}");
    assert!(text.contains("workload.periodic[1].every"), "{text}");
    assert!(text.contains("at least 1ms"), "{text}");
}
