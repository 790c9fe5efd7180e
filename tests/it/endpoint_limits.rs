//! Per-endpoint, per-tenant rate limits (`limits`): the same limiters and
//! tiers as a balancer's `rate_limit`, checked when a client's request for
//! the endpoint arrives.

use crate::run_text as run;
use scaletwin::report::RateLimitReport;
use scaletwin::Report;

fn errors(r: &Report, endpoint: &str) -> u64 {
    r.endpoints
        .iter()
        .find(|e| e.name == endpoint)
        .unwrap()
        .errors
}

/// 20 tenants (Zipf 1.5: the busiest sends 46 % of the requests, the next
/// 16 %), 6 req/s on each of `search` and `list`; `search` is limited.
fn two_endpoints(algorithm: &str, duration: &str, tenants: &str) -> String {
    format!(
        r#"Scenario(
    name: "endpoint-limits", seed: 13,
    run: (duration: "{duration}"),
    workload: (users: 120, rps_per_user: 0.1, tenants: {tenants},
               mix: {{ "search": 0.5, "list": 0.5 }}),
    components: [
        LoadBalancer(name: "alb", targets: {{ "api": 1 }}),
        Deployment(name: "api", replicas: 2, concurrency: 32),
    ],
    endpoints: {{
        "search": [Lb("alb"), Compute(Exp("3ms"))],
        "list": [Lb("alb"), Compute(Exp("2ms"))],
    }},
    limits: {{
        "search": (algorithm: {algorithm}, window: "1m", tiers: [(name: "free", share: 1.0, max: 100)]),
    }},
)"#
    )
}

fn free(r: &Report) -> &RateLimitReport {
    assert_eq!(r.rate_limits.len(), 1);
    let t = &r.rate_limits[0];
    assert_eq!((t.endpoint.as_str(), t.balancer.as_str()), ("search", ""));
    assert_eq!(t.tier, "free");
    t
}

#[test]
fn an_endpoint_limit_rejects_a_heavy_tenants_excess_only_on_that_endpoint() {
    let tenants = "(count: 20, popularity: Zipf(1.5))";
    let r = run(&two_endpoints("SlidingLog", "5m", tenants));
    let t = free(&r);
    assert_eq!((t.limit, t.tenants), (100, 20));
    // The busiest tenant sends about 165 searches a minute: about 65 a
    // minute are turned away. The next one (about 60 a minute) never is.
    assert_eq!(t.tenants_limited, 1);
    assert!(
        t.rejected > 5 * 40 && t.rejected < 5 * 90,
        "{} rejected",
        t.rejected
    );
    assert_eq!(r.summary.errors_by_cause["rate_limited"], t.rejected);
    assert_eq!(errors(&r, "search"), t.rejected);
    // `list` is not limited, though the same heavy tenant sends as much there.
    assert_eq!(errors(&r, "list"), 0);
    assert_eq!(r.summary.errors, t.rejected);
    // Every search arrival is admitted or rejected.
    let search = &r.endpoints.iter().find(|e| e.name == "search").unwrap();
    assert!(
        t.admitted - search.completed <= 5,
        "only the last few are in flight"
    );
    // Without the limit nobody is rejected, and the arrivals are the same.
    let text = two_endpoints("SlidingLog", "5m", tenants);
    let cut = text.find("    limits:").unwrap();
    let unlimited = run(&format!("{}\n)", &text[..cut]));
    assert_eq!(unlimited.summary.errors, 0);
    assert!(unlimited.rate_limits.is_empty());
    assert_eq!(unlimited.summary.arrivals, r.summary.arrivals);
}

#[test]
fn admitted_requests_never_exceed_the_limit_in_any_window() {
    // One tenant at 6 searches/s (360 a minute) against 100 a minute. Runs of
    // 1, 2, ... 5 minutes share their arrivals (common random numbers), so
    // the difference of consecutive runs is what one minute admitted.
    for algorithm in ["SlidingLog", "SlidingCounter"] {
        let mut before = 0;
        for minutes in 1..=5 {
            let r = run(&two_endpoints(
                algorithm,
                &format!("{minutes}m"),
                "(count: 1)",
            ));
            let t = free(&r);
            let window = t.admitted - before;
            assert!(
                window <= 100,
                "{algorithm}: minute {minutes} admitted {window}"
            );
            assert!(
                window >= 90,
                "{algorithm}: minute {minutes} admitted {window}"
            );
            assert!(t.rejected > 0);
            before = t.admitted;
        }
    }
    // The rate algorithms allow one initial burst of `max` on top.
    for algorithm in ["TokenBucket", "Gcra"] {
        let r = run(&two_endpoints(algorithm, "5m", "(count: 1)"));
        let t = free(&r);
        assert!(t.admitted <= 100 * 5 + 100, "{algorithm}: {}", t.admitted);
        assert!(t.admitted >= 100 * 5, "{algorithm}: {}", t.admitted);
    }
}
