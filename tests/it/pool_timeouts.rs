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
        !off.summary
            .errors_by_cause
            .contains_key("statement_timeout"),
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
    // Every query that succeeded ran less than T (the histogram keeps 3
    // significant digits).
    assert!(
        on.summary.latency.max_ms <= 20.0 * 1.001,
        "{:?}",
        on.summary.latency
    );
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

/// One client querying about every 100s (Exp gaps), Const(5ms) a query,
/// through a pool whose new connections take 20ms to open.
fn sparse(pool_extra: &str) -> String {
    format!(
        r#"Scenario(
    name: "idle-timeout", seed: 12,
    run: (duration: "200000s", warmup: "0s"),
    workload: (users: 1, rps_per_user: 0.01, mix: {{"q": 1.0}}),
    components: [
        LoadBalancer(name: "alb", strategy: RoundRobin, targets: {{"api": 1}}),
        Deployment(name: "api", replicas: 1, concurrency: 4,
                   pool: (max: 4, acquire_timeout: "1s", connect_time: "20ms"{pool_extra})),
        Database(name: "pg", connections: 10),
    ],
    endpoints: {{ "q": [Lb("alb"), DbRead(Const("5ms"))] }},
)"#
    )
}

#[test]
fn idle_connections_above_min_close_and_the_next_query_pays_the_connect_time() {
    // Kept open: only the first query opens a connection.
    let kept = run(&sparse(""));
    let n = kept.summary.completed as f64;
    assert!(n > 1900.0, "{n}");
    let mean = kept.summary.latency.mean_ms;
    assert!((mean - (5.0 + 20.0 / n)).abs() < 0.01, "{mean}");
    assert_eq!(kept.summary.latency.max_ms.round(), 25.0);
    // Closed when idle 10s, by a housekeeper that looks every 30s: a
    // connection released at a uniform phase of the housekeeper survives a
    // gap g if g <= 10s, or else with chance 1 - (g - 10)/30 (none past
    // 40s). With g ~ Exp(100s) that is 0.218273, so 78.17% of the queries
    // open a connection: mean = 5 + 20 × 0.781727 ms.
    let l = 0.01f64;
    let survive = (1.0 - (-10.0 * l).exp()) + ((-10.0 * l).exp() - (-40.0 * l).exp())
        - (-10.0 * l).exp() / 30.0 / l * (1.0 - (-30.0 * l).exp() * (1.0 + 30.0 * l));
    assert!((survive - 0.218273).abs() < 1e-5, "{survive}");
    let closing = run(&sparse(r#", idle_timeout: "10s""#));
    let n = closing.summary.completed as f64;
    let share = (closing.summary.latency.mean_ms - 5.0) / 20.0;
    let sd = (survive * (1.0 - survive) / n).sqrt();
    assert!(
        (share - (1.0 - survive)).abs() < 4.0 * sd,
        "{share} of the queries opened a connection; expected {}",
        1.0 - survive
    );
    // `min` connections are never closed: the one kept open serves them all.
    let min = run(&sparse(r#", min: 1, idle_timeout: "10s""#));
    assert_eq!(min.summary.latency.max_ms.round(), 5.0);
    assert_eq!(min.databases[0].open_connections, 1);
}
