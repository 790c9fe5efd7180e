//! Where a deployment's held worker time goes, against arithmetic and
//! Little's law: a station's workers waiting on a database are exactly the
//! requests at that database (queued or in service), and a caller's workers
//! waiting on a callee are exactly the requests in the callee.

use scaletwin::report::StationReport;
use scaletwin::sweep::{self, Batch};
use scaletwin::Report;

fn run(text: &str) -> Report {
    let s = scaletwin::scenario::parse(text, "held_time.ron").unwrap();
    let plan = scaletwin::scenario::validate(&s).unwrap();
    scaletwin::simulate(&plan)
}

fn station<'r>(r: &'r Report, name: &str) -> &'r StationReport {
    r.stations.iter().find(|s| s.name == name).unwrap()
}

fn share(st: &StationReport, on: &str) -> f64 {
    st.held.iter().find(|h| h.on == on).map_or(0.0, |h| h.share)
}

/// `app` computes `compute`, then queries `pg` (`connections`) for `query`.
fn app_on_pg(rate: f64, compute: &str, query: &str, connections: u32) -> String {
    format!(
        r#"Scenario(
            name: "held", seed: 11,
            run: (duration: "400s", warmup: "20s", interval: "10s"),
            workload: (users: {rate}, rps_per_user: 1.0, mix: {{ "q": 1.0 }}),
            components: [
                LoadBalancer(name: "lb", targets: {{ "app": 1 }}),
                Deployment(name: "app", replicas: 2, concurrency: 500),
                Database(name: "pg", connections: {connections}),
            ],
            endpoints: {{ "q": [Lb("lb"), Compute({compute}), DbRead({query})] }},
        )"#
    )
}

#[test]
fn held_time_splits_into_compute_and_waiting_by_the_step_times() {
    // No queueing anywhere: each request holds its slot 20 ms computing and
    // 80 ms in the query, so the held time is 20% compute, 80% waiting on pg.
    let r = run(&app_on_pg(20.0, "Const(\"20ms\")", "Const(\"80ms\")", 100));
    let app = station(&r, "app");
    assert!(
        (share(app, "compute") - 0.2).abs() < 0.005,
        "{:?}",
        app.held
    );
    assert!((share(app, "pg") - 0.8).abs() < 0.005, "{:?}", app.held);
    assert_eq!(app.mostly_waiting_on().unwrap().on, "pg");
    assert!(station(&r, "pg").held.is_empty());
    let phrase = app.held_phrase().unwrap();
    assert!(
        phrase.contains("80% waiting on pg") && phrase.contains("20% compute"),
        "{phrase}"
    );
}

#[test]
fn workers_waiting_on_a_database_are_the_requests_at_it_littles_law() {
    // Two connections at ρ = 0.9: requests queue for them, holding their
    // worker slots. Slots waiting on pg = requests at pg (L, queue included).
    let r = run(&app_on_pg(45.0, "Exp(\"5ms\")", "Exp(\"40ms\")", 2));
    let (app, pg) = (station(&r, "app"), station(&r, "pg"));
    assert!(
        pg.stats.mean_queue_length > 1.0,
        "pg must queue: {:?}",
        pg.stats
    );
    let waiting = share(app, "pg") * app.stats.mean_busy;
    let at_pg = pg.stats.mean_in_station;
    assert!(
        (waiting / at_pg - 1.0).abs() < 0.01,
        "app slots waiting on pg {waiting} vs requests at pg {at_pg}"
    );
}

#[test]
fn a_callers_workers_wait_on_the_deployment_it_calls() {
    let r = run(r#"Scenario(
        name: "nested", seed: 5,
        run: (duration: "300s", warmup: "20s", interval: "10s"),
        workload: (users: 30, rps_per_user: 1.0, mix: { "q": 1.0 }),
        components: [
            LoadBalancer(name: "edge", targets: { "gateway": 1 }),
            LoadBalancer(name: "inner", targets: { "api": 1 }),
            Deployment(name: "gateway", replicas: 1, concurrency: 200),
            Deployment(name: "api", replicas: 1, concurrency: 2),
            Database(name: "pg", connections: 50),
        ],
        endpoints: { "q": [Lb("edge"), Compute(Const("10ms")),
                           Lb("inner"), Compute(Exp("20ms")), DbRead(Exp("30ms"))] },
    )"#);
    let (gateway, api) = (station(&r, "gateway"), station(&r, "api"));
    // The gateway waits on api for the api's queue and everything inside it.
    let waiting = share(gateway, "api") * gateway.stats.mean_busy;
    assert!(
        (waiting / api.stats.mean_in_station - 1.0).abs() < 0.01,
        "gateway slots waiting on api {waiting} vs requests in api {}",
        api.stats.mean_in_station
    );
    assert!(share(gateway, "pg") == 0.0, "{:?}", gateway.held);
    // api's own held time: 20 ms of compute to 30 ms on pg (no pg queue).
    let ratio = share(api, "pg") / share(api, "compute");
    assert!((ratio / 1.5 - 1.0).abs() < 0.05, "{:?}", api.held);
}

#[test]
fn the_bottleneck_says_what_its_workers_wait_on() {
    // Four workers per pod, each request 4 ms of compute and 36 ms on a
    // database with plenty of connections: app's slots fill up while 90% of
    // their time is spent waiting on pg.
    let s = scaletwin::scenario::parse(
        r#"Scenario(
            name: "held-stages", seed: 3,
            run: (duration: "30s", warmup: "5s", interval: "5s"),
            workload: (users: 10, rps_per_user: 1.0, mix: { "q": 1.0 }),
            components: [
                LoadBalancer(name: "lb", targets: { "app": 1 }),
                Deployment(name: "app", replicas: 1, concurrency: 4),
                Database(name: "pg", connections: 400),
            ],
            endpoints: { "q": [Lb("lb"), Compute(Const("4ms")), DbRead(Const("36ms"))] },
            stages: [("10", 10), ("50", 50), ("200", 200)],
        )"#,
        "held.ron",
    )
    .unwrap();
    let batch = Batch {
        replications: 1,
        max_requests: 50_000,
        allow_large: false,
    };
    let r = sweep::stages(&s, "held.ron", batch, None).unwrap();
    let b = r.bottleneck.unwrap();
    assert_eq!(b.station, "app");
    // 4 slots / 40 ms = 100 req/s at saturation.
    assert!((b.saturates_at_users / 100.0 - 1.0).abs() < 0.1, "{b:?}");
    let w = b.waits_on.unwrap();
    assert_eq!(w.on, "pg");
    assert!((w.share - 0.9).abs() < 0.01, "{w:?}");
    let top = r.stages.last().unwrap();
    assert_eq!(top.busiest, "app");
    assert_eq!(top.busiest_waits_on.as_ref().unwrap().on, "pg");
}
