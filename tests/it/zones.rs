//! Availability zones and `ZoneDown`, the PodDisruptionBudget's place (drains,
//! not the HPA) and the seeded choice of fault victims.

use crate::{api, d, run_scenario as run};
use scaletwin::scenario::schema::{Component, Deployment, Fault, KillPods, ReclaimSpot, ZoneDown};
use scaletwin::scenario::{parse, validate};
use scaletwin::Report;

const ZONES: &str = include_str!("../../scenarios/zone-outage.ron");
const SPOT: &str = include_str!("../../scenarios/spot-capacity.ron");

fn p99_max(r: &Report, from: f64, to: f64) -> f64 {
    r.series
        .iter()
        .filter(|x| x.t_s > from && x.t_s <= to)
        .map(|x| x.p99_ms)
        .fold(0.0, f64::max)
}

/// Ready pods per zone at the end of the bucket ending at `t`.
fn zones_at(r: &Report, t: f64) -> Vec<u32> {
    let row = r.scaling[0].series.iter().find(|x| x.t_s == t).unwrap();
    row.zones.clone()
}

#[test]
fn a_zone_outage_kills_its_pods_and_replacements_start_in_the_other_zones() {
    let s = parse(ZONES, "zone-outage.ron").unwrap();
    let r = run(&s);
    let sc = &r.scaling[0];
    assert_eq!(sc.zones, ["a", "b", "c"]);
    // The fault is on the time series' fault markers.
    assert_eq!(r.faults[0].label, "ZoneDown(a)");
    assert_eq!(
        (r.faults[0].at_s, r.faults[0].until_s),
        (120.0, Some(180.0))
    );
    // Spread 2/2/2 (maxSkew 1), one node per zone.
    assert_eq!(zones_at(&r, 110.0), [2, 2, 2]);
    assert_eq!(sc.series.iter().find(|x| x.t_s == 110.0).unwrap().nodes, 3);
    // At 2m zone a's two pods die at once; their replacements go to b and c.
    assert_eq!(zones_at(&r, 120.0), [0, 2, 2]);
    let row = sc.series.iter().find(|x| x.t_s == 120.0).unwrap();
    assert_eq!((row.ready, row.starting), (4, 2));
    assert_eq!(sc.pods_killed, 2);
    // In-flight work in them is lost; 4 pods are overloaded: p99 and errors rise.
    assert!(r.summary.errors_by_cause["pod_killed"] > 0);
    assert!(r.summary.errors_by_cause["queue_full"] > 0);
    let before = p99_max(&r, 0.0, 120.0);
    assert!(p99_max(&r, 120.0, 160.0) > 3.0 * before);
    let errors = |from: f64, to: f64| -> f64 {
        r.series
            .iter()
            .filter(|x| x.t_s > from && x.t_s <= to)
            .map(|x| x.errors_per_s)
            .sum()
    };
    assert_eq!(errors(0.0, 120.0), 0.0);
    assert!(errors(120.0, 160.0) > 0.0);
    // After the 30 s startup, capacity is back (in b and c) and so is p99.
    assert_eq!(zones_at(&r, 150.0), [0, 3, 3]);
    assert!(p99_max(&r, 180.0, 300.0) < 1.3 * before);
    // Zone a is back at 3m, but nothing rebalances running pods.
    assert_eq!(zones_at(&r, 300.0), [0, 3, 3]);
}

#[test]
fn pods_placed_after_the_zone_is_back_go_to_it_first() {
    let mut s = parse(ZONES, "zone-outage.ron").unwrap();
    s.faults.push(Fault::KillPods(KillPods {
        deployment: "api".into(),
        count: 2,
        at: d("4m"),
    }));
    let r = run(&s);
    // Two pods of b and c die at 4m; the replacements go to the emptiest up zone, a.
    assert_eq!(zones_at(&r, 230.0), [0, 3, 3]);
    assert_eq!(zones_at(&r, 300.0).iter().sum::<u32>(), 6);
    assert_eq!(zones_at(&r, 300.0)[0], 2);
}

#[test]
fn with_every_zone_down_replacements_wait_until_one_is_back() {
    let mut s = parse(ZONES, "zone-outage.ron").unwrap();
    if let Component::Deployment(Deployment { zones, .. }) = api(&mut s) {
        *zones = Some(vec!["a".into()]);
    }
    s.workload.users = 1_000.0;
    let r = run(&s);
    let row = |t: f64| {
        r.scaling[0]
            .series
            .iter()
            .find(|x| x.t_s == t)
            .unwrap()
            .clone()
    };
    assert_eq!(row(110.0).ready, 6);
    // Down from 2m to 3m: nothing runs, nothing is scheduled (or costs).
    assert_eq!(
        (row(150.0).ready, row(150.0).starting, row(150.0).nodes),
        (0, 0, 0)
    );
    assert!(r.summary.errors_by_cause.values().sum::<u64>() > 0);
    // Back at 3m: 6 pods scheduled there, ready after the 30 s startup.
    assert_eq!((row(180.0).ready, row(180.0).starting), (0, 6));
    assert_eq!(row(210.0).ready, 6);
}

#[test]
fn zones_without_a_fault_change_nothing_but_the_per_zone_counts() {
    let mut s = parse(ZONES, "zone-outage.ron").unwrap();
    s.faults.clear();
    if let Component::Deployment(Deployment { nodes, .. }) = api(&mut s) {
        *nodes = None;
    }
    let zoned = run(&s);
    if let Component::Deployment(Deployment { zones, .. }) = api(&mut s) {
        *zones = None;
    }
    let plain = run(&s);
    assert_eq!(zoned.summary, plain.summary);
    assert_eq!(zoned.endpoints, plain.endpoints);
    assert_eq!(zoned.series, plain.series);
    assert_eq!(zoned.stations, plain.stations);
    assert!(plain.scaling[0].zones.is_empty());
    assert!(plain.scaling[0].series.iter().all(|x| x.zones.is_empty()));
    assert!(zoned.scaling[0].series.iter().all(|x| x.zones == [2, 2, 2]));
}

#[test]
fn a_region_qualifies_the_zone() {
    let text = r#"Scenario(
        name: "z", run: (duration: "2m"),
        workload: (users: 100, rps_per_user: 1.0, mix: { "a": 1.0 }),
        regions: (users: { "us": 1.0, "eu": 0.0 }, rtt: { "us": { "eu": "80ms" } }, primary: "us"),
        components: [
            LoadBalancer(name: "lb", targets: { "us_api": 1, "eu_api": 1 }),
            Deployment(name: "us_api", replicas: 4, concurrency: 4, region: "us", zones: ["a", "b"]),
            Deployment(name: "eu_api", replicas: 4, concurrency: 4, region: "eu", zones: ["a", "b"]),
        ],
        endpoints: { "a": [Lb("lb"), Compute(Exp("1ms"))] },
        faults: [ZoneDown(zone: "a", region: "eu", at: "30s")],
    )"#;
    let s = parse(text, "z.ron").unwrap();
    // Without the region, zone "a" is ambiguous.
    let mut ambiguous = s.clone();
    if let Fault::ZoneDown(ZoneDown { region, .. }) = &mut ambiguous.faults[0] {
        *region = None;
    }
    let err = format!("{:?}", validate(&ambiguous).unwrap_err());
    assert!(err.contains("faults[0].region"), "{err}");
    assert!(err.contains("several regions"), "{err}");
    assert!(err.contains("us") && err.contains("eu"), "{err}");
    let r = run(&s);
    assert_eq!(r.faults[0].label, "ZoneDown(eu/a)");
    let at = |d: usize, t: f64| {
        r.scaling[d]
            .series
            .iter()
            .find(|x| x.t_s == t)
            .unwrap()
            .zones
            .clone()
    };
    assert_eq!(at(0, 40.0), [2, 2]);
    assert_eq!(at(1, 40.0), [0, 4]);
}

#[test]
fn the_hpa_scales_down_below_the_pdb() {
    // Kubernetes' HPA ignores PodDisruptionBudgets: an idle deployment
    // with minAvailable 5 still shrinks to hpa.min.
    let text = r#"Scenario(
        name: "pdb", run: (duration: "10m"),
        workload: (users: 1, rps_per_user: 1.0, mix: { "a": 1.0 }),
        components: [
            LoadBalancer(name: "lb", targets: { "api": 1 }),
            Deployment(name: "api", replicas: 6, concurrency: 1, min_available: 5,
                       hpa: (min: 2, max: 6, cpu: 50)),
        ],
        endpoints: { "a": [Lb("lb"), Compute(Exp("1ms"))] },
    )"#;
    let r = run(&parse(text, "pdb.ron").unwrap());
    let last = r.scaling[0].series.last().unwrap();
    assert_eq!((last.desired, last.ready), (2, 2));
}

#[test]
fn the_notice_drain_evicts_within_the_pdb_and_loses_fewer_requests() {
    let mut s = parse(SPOT, "spot-capacity.ron").unwrap();
    s.workload.users = 24_000.0;
    s.faults = vec![Fault::ReclaimSpot(ReclaimSpot {
        deployment: "api".into(),
        count: None,
        fraction: Some(1.0),
        at: d("60s"),
    })];
    let mut with_pdb = |min: u32| {
        if let Component::Deployment(Deployment {
            nodes: Some(n),
            min_available,
            ..
        }) = api(&mut s)
        {
            n.reclaims_per_hour = 0.0;
            n.notice = Some(d("90s"));
            *min_available = Some(min);
        }
        run(&s)
    };
    // minAvailable 4: 2 of the 4 spot pods are evicted at the notice, the
    // other 2 once the replacements are ready (30 s), all before the node goes.
    let drained = with_pdb(4);
    // minAvailable 6 blocks every eviction: the 4 pods die with the nodes.
    let blocked = with_pdb(6);
    let ready = |r: &Report, t: f64| {
        r.scaling[0]
            .series
            .iter()
            .find(|x| x.t_s == t)
            .unwrap()
            .ready
    };
    assert_eq!(ready(&drained, 70.0), 4);
    assert!(drained.scaling[0].series.iter().all(|x| x.ready >= 4));
    assert_eq!(ready(&blocked, 70.0), 6);
    assert_eq!(ready(&blocked, 160.0), 2);
    let lost = |r: &Report| {
        r.summary
            .errors_by_cause
            .get("pod_killed")
            .copied()
            .unwrap_or(0)
    };
    assert_eq!(drained.scaling[0].pods_killed, 0);
    assert_eq!(lost(&drained), 0);
    assert_eq!(blocked.scaling[0].pods_killed, 4);
    assert!(lost(&blocked) > 0);
}

#[test]
fn kill_pods_picks_its_victims_at_random_but_by_the_seed() {
    // Pods 0..5 sit in zones a b c a b c: the lowest two indices would
    // always be one pod of a and one of b.
    let mut s = parse(ZONES, "zone-outage.ron").unwrap();
    s.workload.users = 1_000.0;
    s.faults = vec![Fault::KillPods(KillPods {
        deployment: "api".into(),
        count: 2,
        at: d("60s"),
    })];
    let mut seen = std::collections::BTreeSet::new();
    for seed in 1..=12 {
        s.seed = seed;
        let a = zones_at(&run(&s), 60.0);
        assert_eq!(a, zones_at(&run(&s), 60.0), "seed {seed}");
        assert_eq!(a.iter().sum::<u32>(), 4, "seed {seed}");
        seen.insert(a);
    }
    assert!(seen.len() >= 3, "{seen:?}");
}
