//! Same scenario + seed = byte-identical report; another seed = another report.

use scaletwin::scenario::load;

fn report_json(sets: &[&str]) -> String {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let (_, plan) = load(None, &sets).expect("the default scenario is valid");
    scaletwin::simulate(&plan).to_json()
}

#[test]
fn same_seed_gives_identical_bytes() {
    let a = report_json(&["run.duration=60s", "run.warmup=10s"]);
    let b = report_json(&["run.duration=60s", "run.warmup=10s"]);
    assert_eq!(a, b);
}

#[test]
fn another_seed_gives_another_report() {
    let a = report_json(&["run.duration=60s", "seed=1"]);
    let b = report_json(&["run.duration=60s", "seed=2"]);
    assert_ne!(a, b);
}

#[test]
fn identical_across_threads() {
    // Runs on rayon's worker threads must match a run on this thread.
    use rayon::prelude::*;
    let here = report_json(&["run.duration=60s"]);
    let there: Vec<String> = (0..4)
        .into_par_iter()
        .map(|_| report_json(&["run.duration=60s"]))
        .collect();
    assert!(there.iter().all(|r| *r == here));
}

#[test]
fn adding_a_component_leaves_arrivals_unchanged() {
    // Common random numbers: a new database (unused by the mix) must not
    // shift the arrival stream or the mix, so the offered load is identical.
    use scaletwin::scenario::schema::{Component, Database, Deployment};
    use scaletwin::scenario::{parse, validate, DEFAULT_SCENARIO};
    let mut base = parse(DEFAULT_SCENARIO, "default.ron").unwrap();
    for c in &mut base.components {
        if let Component::Deployment(Deployment { database, .. }) = c {
            *database = Some("pg".into());
        }
    }
    let mut more = base.clone();
    more.components.push(Component::Database(Database {
        name: "analytics".into(),
        connections: 4,
        queue_limit: None,
        regions: Vec::new(),
        replicas: 0,
        replica_connections: None,
        reads: Default::default(),
        replication_lag: None,
        cross_region_lag: None,
        read_your_writes: None,
        max_connections: None,
        pgbouncer: None,
        shards: None,
        class: None,
        replica_class: None,
        sized_by_class: false,
        data_size: None,
        storage: None,
    }));
    let a = scaletwin::simulate(&validate(&base).unwrap());
    let b = scaletwin::simulate(&validate(&more).unwrap());
    let rps = |r: &scaletwin::Report| r.series.iter().map(|x| x.offered_rps).collect::<Vec<_>>();
    assert_eq!(rps(&a), rps(&b));
    assert_eq!(a.summary.arrivals, b.summary.arrivals);
}
