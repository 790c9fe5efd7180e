//! Databases sized by their class (`sized_by_class`): queries share the
//! class's vCPUs by processor sharing, against Erlang C; a larger class
//! changes latency, throughput and cost; `max_connections` defaults from
//! the class memory as RDS PostgreSQL computes it; replicas have their own
//! class's capacity.

use super::stats::{mean_ci, mmc};
use rayon::prelude::*;
use scaletwin::cost::{cost, Usage};
use scaletwin::scenario::{parse, validate};
use scaletwin::Report;

/// Runs scenario text.
fn run(text: &str) -> Report {
    let s = parse(text, "db_class.ron").unwrap_or_else(|e| panic!("{e}\n{text}"));
    let plan = validate(&s).unwrap_or_else(|p| panic!("{p:?}\n{text}"));
    scaletwin::simulate(&plan)
}

/// Poisson queries at `lambda`/s straight to database `pg` (no pods, no
/// network), each `work` of CPU; `db` is the rest of the database's fields.
fn direct(lambda: f64, work: &str, db: &str, seed: u64, seconds: u64) -> String {
    format!(
        r#"Scenario(
            name: "db-class", seed: {seed},
            run: (duration: "{seconds}s", warmup: "{warmup}s", interval: "1h"),
            workload: (users: {lambda}, rps_per_user: 1.0, mix: {{ "q": 1.0 }}),
            components: [ Database(name: "pg", {db}) ],
            endpoints: {{ "q": [DbRead({work})] }},
        )"#,
        warmup = seconds / 20
    )
}

/// Mean sojourn (s) over `reps` replications and its 95% half-width.
fn mean_sojourn(lambda: f64, db: &str, seconds: u64, reps: u64) -> (f64, f64) {
    let ws: Vec<f64> = (0..reps)
        .into_par_iter()
        .map(|k| {
            let r = run(&direct(lambda, "Exp(\"100ms\")", db, 700 + k, seconds));
            assert_eq!(r.summary.errors, 0);
            r.summary.latency.mean_ms / 1e3
        })
        .collect();
    mean_ci(&ws)
}

#[test]
fn queries_on_a_class_match_mmc_over_its_vcpus() {
    // db.r6g.xlarge: 4 vCPUs. λ = 30/s of Exp(100 ms) CPU work: ρ = 0.75.
    let (lambda, mu) = (30.0, 10.0);
    let xlarge = "class: \"db.r6g.xlarge\", sized_by_class: true";
    let (_, w4, _) = mmc(lambda, mu, 4);
    // Connections = vCPUs: M/M/4 (FIFO for a connection, then a core each).
    // Connections > vCPUs: 64 share 4 cores; the number in service moves as
    // the same birth-death chain (rate min(n, 4) μ), so the mean sojourn is
    // still M/M/4's, not the M/M/64 the connections alone would give.
    for connections in [4, 64] {
        let db = format!("connections: {connections}, {xlarge}");
        let (w, ci) = mean_sojourn(lambda, &db, 3000, 8);
        assert!(
            (w - w4).abs() <= ci + 0.005 * w4 && (w / w4 - 1.0).abs() < 0.02,
            "{connections} connections on 4 vCPUs: W {w} ± {ci} vs M/M/4 {w4}"
        );
    }
    // Fewer connections than vCPUs: the connections bind, M/M/2 at ρ = 0.75.
    let (_, w2, _) = mmc(15.0, mu, 2);
    let (w, ci) = mean_sojourn(15.0, &format!("connections: 2, {xlarge}"), 3000, 8);
    assert!(
        (w / w2 - 1.0).abs() < 0.02,
        "2 connections on 4 vCPUs: W {w} ± {ci} vs M/M/2 {w2}"
    );
    // The same 64 connections without the class model: 64 servers, no wait.
    let plain = direct(
        lambda,
        "Exp(\"100ms\")",
        "connections: 64, class: \"db.r6g.xlarge\"",
        700,
        600,
    );
    let w = run(&plain).summary.latency.mean_ms / 1e3;
    assert!((w - 0.1).abs() < 0.003, "unsized: W {w} vs 1/μ");
}

/// 32 connections, `lambda` queries/s of Exp(10 ms) CPU on `class`.
fn loaded(class: &str, lambda: f64) -> (Report, scaletwin::report::CostReport) {
    let text = direct(
        lambda,
        "Exp(\"10ms\")",
        &format!("connections: 32, class: \"{class}\", sized_by_class: true"),
        11,
        600,
    );
    let plan = validate(&parse(&text, "db_class.ron").unwrap()).unwrap();
    let r = scaletwin::simulate(&plan);
    let c = cost(&plan, &Usage::from_report(&r)).unwrap();
    (r, c)
}

#[test]
fn a_larger_class_lowers_p99_raises_throughput_and_costs_more() {
    // 150 queries/s of 10 ms CPU = 1.5 vCPUs busy: ρ 0.75 on db.r6g.large
    // (2 vCPUs), 0.375 on db.r6g.xlarge (4).
    let (large, large_cost) = loaded("db.r6g.large", 150.0);
    let (xlarge, xlarge_cost) = loaded("db.r6g.xlarge", 150.0);
    let p99 = |r: &Report| r.summary.latency.p99_ms;
    assert!(
        p99(&xlarge) < 0.7 * p99(&large),
        "p99 {} (xlarge) vs {} (large)",
        p99(&xlarge),
        p99(&large)
    );
    // Each class's node is billed at its hourly price: 0.450 vs 0.225.
    let diff = xlarge_cost.per_hour - large_cost.per_hour;
    assert!((diff - 0.225).abs() < 1e-9, "{diff}");
    let util = |r: &Report| r.databases[0].nodes[0].cpu_utilization.unwrap();
    assert!((util(&large) - 0.75).abs() < 0.02, "{}", util(&large));
    assert!((util(&xlarge) - 0.375).abs() < 0.01, "{}", util(&xlarge));
    assert_eq!(
        large.databases[0].nodes[0].class.as_deref(),
        Some("db.r6g.large")
    );
    // 300 queries/s = 3 vCPUs: the large class serves at most 200/s (its
    // queue grows), the xlarge keeps up.
    let served = |r: &Report| r.databases[0].nodes[0].queries as f64 / 570.0;
    let (large, _) = loaded("db.r6g.large", 300.0);
    let (xlarge, _) = loaded("db.r6g.xlarge", 300.0);
    assert!((served(&large) - 200.0).abs() < 5.0, "{}", served(&large));
    assert!((served(&xlarge) - 300.0).abs() < 6.0, "{}", served(&xlarge));
}

#[test]
fn max_connections_defaults_from_the_class_memory() {
    // LEAST(GiB x 10^9 / 9531392, 5000), truncated.
    let max = |db: &str| {
        let r = run(&direct(1.0, "Exp(\"1ms\")", db, 1, 20));
        r.databases[0].max_connections
    };
    let sized = |class: &str| {
        max(&format!(
            "connections: 4, class: \"{class}\", sized_by_class: true"
        ))
    };
    assert_eq!(sized("db.t3.medium"), Some(419)); // 4e9 / 9531392 = 419.66
    assert_eq!(sized("db.r6g.large"), Some(1678)); // 16e9 / 9531392 = 1678.64
    assert_eq!(sized("db.r6g.2xlarge"), Some(5000)); // 6714.6, capped
                                                     // A custom class given in the prices: 15.25 GiB, AWS's worked example.
    let custom = direct(
        1.0,
        "Exp(\"1ms\")",
        "connections: 4, class: \"big-box\", sized_by_class: true",
        1,
        20,
    )
    .replace(
        "components:",
        r#"prices: (databases: { "big-box": 0.2 },
                        database_classes: { "big-box": (vcpus: 2, memory: "15616Mi") }),
            components:"#,
    );
    assert_eq!(run(&custom).databases[0].max_connections, Some(1599)); // 15.25e9 / 9531392 = 1599.98
                                                                       // Each shard's primary accepts its own.
    assert_eq!(
        max("connections: 4, class: \"db.t3.medium\", sized_by_class: true, shards: (count: 3, by: Key)"),
        Some(3 * 419)
    );
    // Given, it wins; unsized, there is none.
    assert_eq!(
        max("connections: 4, class: \"db.t3.medium\", sized_by_class: true, max_connections: 100"),
        Some(100)
    );
    assert_eq!(max("connections: 4, class: \"db.t3.medium\""), None);
}

#[test]
fn connections_over_the_class_default_are_refused() {
    // 10 pods each open 50 pool connections at start: 500 asked of a
    // db.t3.medium that accepts 419, so 81 are refused; queries that need a
    // connection beyond them fail as Postgres's "too many clients" does.
    let text = r#"Scenario(
        name: "refused", seed: 2,
        run: (duration: "20s", warmup: "0s", interval: "1h"),
        workload: (users: 2000, rps_per_user: 1.0, mix: { "q": 1.0 }),
        components: [
            LoadBalancer(name: "lb", targets: { "api": 1 }),
            Deployment(name: "api", replicas: 10, concurrency: 200,
                       pool: (min: 50, max: 60, acquire_timeout: "1s")),
            Database(name: "pg", connections: 600, class: "db.t3.medium", sized_by_class: true),
        ],
        endpoints: { "q": [Lb("lb"), DbRead(Exp("1ms"))] },
    )"#;
    let r = run(text);
    let d = &r.databases[0];
    assert_eq!(d.max_connections, Some(419));
    assert_eq!(d.open_connections, 419);
    assert!(d.refused_connections >= 81, "{}", d.refused_connections);
    let refused = r
        .summary
        .errors_by_cause
        .get("too_many_connections")
        .copied()
        .unwrap_or(0);
    assert!(refused > 0, "{:?}", r.summary.errors_by_cause);
}

#[test]
fn replicas_have_their_own_class_capacity() {
    // 50 writes/s and 50 reads/s of Exp(20 ms): 1 vCPU of work each. The
    // primary is a db.r6g.large (2 vCPUs: 50% busy), the replica a
    // db.r6g.2xlarge (8 vCPUs: 12.5%).
    let text = r#"Scenario(
        name: "replica-class", seed: 5,
        run: (duration: "600s", warmup: "30s", interval: "1h"),
        workload: (users: 100, rps_per_user: 1.0, mix: { "get": 0.5, "put": 0.5 }),
        components: [
            Database(name: "pg", connections: 16, replicas: 1, class: "db.r6g.large",
                     replica_class: "db.r6g.2xlarge", sized_by_class: true),
        ],
        endpoints: { "get": [DbRead(Exp("20ms"))], "put": [DbWrite(Exp("20ms"))] },
    )"#;
    let r = run(text);
    let nodes = &r.databases[0].nodes;
    let (primary, replica) = (&nodes[0], &nodes[1]);
    assert_eq!(replica.class.as_deref(), Some("db.r6g.2xlarge"));
    let (p, q) = (
        primary.cpu_utilization.unwrap(),
        replica.cpu_utilization.unwrap(),
    );
    assert!((p - 0.5).abs() < 0.02, "primary {p}");
    assert!((q - 0.125).abs() < 0.006, "replica {q}");
    let table = scaletwin::report::render_table(&r);
    assert!(table.contains("primary db.r6g.large vCPUs busy"), "{table}");
}

#[test]
fn stages_measure_a_class_sized_database_by_its_busiest_vcpus() {
    // 32 connections on 2 vCPUs at 150 queries/s of 10 ms: the cores are
    // 75% busy (rho = 150 x 0.01 / 2) while the connections, each holding a
    // query for its sojourn, are far less used. The stage row's utilization
    // of `pg`, which the bottleneck reads, is the cores'.
    let mut s = parse(
        &direct(
            150.0,
            "Exp(\"10ms\")",
            r#"connections: 32, class: "db.r6g.large", sized_by_class: true"#,
            5,
            400,
        ),
        "db_class.ron",
    )
    .unwrap();
    s.stages = Some(vec![("150/s".into(), 150.0)]);
    let batch = scaletwin::sweep::Batch {
        replications: 1,
        max_requests: 0,
        allow_large: false,
    };
    let r = scaletwin::sweep::stages(&s, "db_class.ron", batch, None).unwrap();
    let row = &r.stages[0];
    let util = row.utilization.iter().find(|u| u.0 == "pg").unwrap().1;
    assert!((util - 0.75).abs() < 0.03, "cores {util}");
    // The same run's connections: the station's own utilization.
    let run = run(&direct(
        150.0,
        "Exp(\"10ms\")",
        r#"connections: 32, class: "db.r6g.large", sized_by_class: true"#,
        5,
        400,
    ));
    let connections = run.stations[0].stats.utilization;
    assert!(connections < 0.2, "connections {connections}");
}
