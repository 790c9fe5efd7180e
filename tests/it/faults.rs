//! The fault timeline: each fault changes the run while it is active.

use scaletwin::scenario::{parse, schema::Fault, units::Duration, validate, DEFAULT_SCENARIO};

#[test]
fn a_database_slowdown_raises_latency_only_while_it_lasts() {
    let mut s = parse(DEFAULT_SCENARIO, "default.ron").unwrap();
    s.run.duration = Duration::parse("180s").unwrap();
    let base = scaletwin::simulate(&validate(&s).unwrap());
    s.faults.push(Fault::Slowdown {
        target: "pg".into(),
        factor: 3.0,
        at: Duration::parse("60s").unwrap(),
        length: Some(Duration::parse("30s").unwrap()),
    });
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
    s.faults.push(Fault::Slowdown {
        target: "alb".into(),
        factor: 2.0,
        at: Duration::parse("10s").unwrap(),
        length: None,
    });
    let problems = validate(&s).unwrap_err();
    assert_eq!(problems[0].path, "faults[0].target");
    assert!(
        problems[0].message.contains("\"api\", \"pg\""),
        "{}",
        problems[0].message
    );
}
