//! A pool's `statement_timeout` (queries cancelled on the server),
//! `idle_timeout` (idle connections above `min` closed by the housekeeper)
//! and `connect_time` (paid by the query that opens a connection), each
//! against arithmetic.

use crate::run_text as run;
use scaletwin::report::StationReport;
use scaletwin::scenario::{parse, validate};
use scaletwin::Report;

fn station<'a>(r: &'a Report, name: &str) -> &'a StationReport {
    r.stations.iter().find(|s| s.name == name).unwrap()
}

fn errors(r: &Report, cause: &str) -> u64 {
    r.summary.errors_by_cause.get(cause).copied().unwrap_or(0)
}

/// 1000 req/s, each one query of Exp(10ms) through a pool that never makes
/// it wait, on a database that never queues.
fn timed_queries(pool_extra: &str) -> String {
    format!(
        r#"Scenario(
    name: "statement-timeout", seed: 11,
    run: (duration: "65s", warmup: "5s"),
    workload: (users: 1000, rps_per_user: 1.0, mix: {{"q": 1.0}}),
    components: [
        LoadBalancer(name: "alb", strategy: RoundRobin, targets: {{"api": 1}}),
        Deployment(name: "api", replicas: 2, concurrency: 500,
                   pool: (min: 1, max: 200, acquire_timeout: "1s"{pool_extra})),
        Database(name: "pg", connections: 1000),
    ],
    endpoints: {{ "q": [Lb("alb"), DbRead(Exp("10ms"))] }},
)"#
    )
}

#[test]
fn a_statement_timeout_cancels_exp_mu_t_of_the_queries_and_frees_the_server_at_the_cancel() {
    let off = run(&timed_queries(""));
    assert_eq!(errors(&off, "statement_timeout"), 0);
    assert!(
        !off.summary.errors_by_cause.contains_key("statement_timeout"),
        "an opt-in cause is not listed by runs without it"
    );
    // T = 20ms on Exp(mean 10ms): P(X > T) = e^(-2).
    let on = run(&timed_queries(r#", statement_timeout: "20ms""#));
    let cancelled = errors(&on, "statement_timeout");
    let n = (on.summary.completed + cancelled) as f64;
    let share = cancelled as f64 / n;
    let expected = (-2.0f64).exp();
    let sd = (expected * (1.0 - expected) / n).sqrt();
    assert!(
        (share - expected).abs() < 4.0 * sd,
        "cancelled {share}, e^-2 = {expected} (n {n})"
    );
    assert_eq!(on.summary.errors, cancelled, "no other failure");
    // The server holds each query for min(X, T): E = (1 - e^(-2)) × 10ms.
    let pg = &station(&on, "pg").stats;
    let held_ms = pg.mean_busy / pg.arrival_rate * 1e3;
    let expected_ms = (1.0 - expected) * 10.0;
    assert!(
        (held_ms - expected_ms).abs() < 0.02 * expected_ms,
        "held {held_ms}ms, expected {expected_ms}ms"
    );
    let pg_off = &station(&off, "pg").stats;
    let held_off = pg_off.mean_busy / pg_off.arrival_rate * 1e3;
    assert!((held_off - 10.0).abs() < 0.2, "{held_off}");
    // Every query that succeeded ran less than T.
    assert!(on.summary.latency.max_ms <= 20.0, "{:?}", on.summary.latency);
}

#[test]
fn a_statement_timeout_is_refused_with_a_database_sized_by_its_class() {
    let text = timed_queries(r#", statement_timeout: "20ms""#).replace(
        r#"Database(name: "pg", connections: 1000)"#,
        r#"Database(name: "pg", connections: 1000, class: "db.r6g.large", sized_by_class: true)"#,
    );
    let s = parse(&text, "test.ron").unwrap();
    let problems = validate(&s).expect_err("refused");
    assert!(
        problems
            .iter()
            .any(|p| p.path == "components[1].pool.statement_timeout"
                && p.message.contains("sized_by_class")),
        "{problems:?}"
    );
}
