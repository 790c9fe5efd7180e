//! Autoscaling and capacity through the whole simulator: HPA fidelity against
//! src/algo/hpa, spikes, flapping, killed pods, spot reclaims, the PDB,
//! node packing and the pod-seconds split.

use crate::{api, d, run_scenario as run};
use proptest::prelude::*;
use scaletwin::algo::hpa::{
    Autoscaler, Behavior, HpaSpec, MetricInput, MetricSpec, PodSample, ResourceName,
};
use scaletwin::algo::Nanos;
use scaletwin::scenario::schema::{
    Component, Deployment, Fault, HpaBehavior, KillPods, Pattern, ReclaimSpot, ScalingRules,
};
use scaletwin::scenario::{parse, units::Duration, validate, Scenario};
use scaletwin::sim::replay_hpa;
use scaletwin::Report;

const SPIKE: &str = include_str!("../../scenarios/autoscale-spike.ron");
const SPOT: &str = include_str!("../../scenarios/spot-capacity.ron");
const FLAP: &str = include_str!("../../scenarios/hpa-flapping.ron");

/// A one-deployment HPA scenario (1 core, 1 worker per pod, startup 0).
fn hpa_scenario(replicas: u32, min: u32, max: u32, behavior: Option<HpaBehavior>) -> Scenario {
    let text = format!(
        r#"Scenario(
            name: "replay", run: (duration: "1h"),
            workload: (users: 1, rps_per_user: 1.0, mix: {{ "a": 1.0 }}),
            components: [
                LoadBalancer(name: "lb", targets: {{ "api": 1 }}),
                Deployment(name: "api", replicas: {replicas}, concurrency: 1,
                           hpa: (min: {min}, max: {max}, cpu: 50)),
            ],
            endpoints: {{ "a": [Lb("lb"), Compute(Exp("1ms"))] }},
        )"#
    );
    let mut s = parse(&text, "replay.ron").unwrap();
    if let Component::Deployment(Deployment { hpa: Some(h), .. }) = api(&mut s) {
        h.behavior = behavior;
    }
    s
}

/// `n` ready pods sharing `total` millicores, as tests/it/algo_hpa.rs feeds them.
fn load(total: i64, n: i32) -> MetricInput {
    let n64 = i64::from(n);
    MetricInput::Pods(
        (0..n64)
            .map(|i| PodSample::ready(total / n64 + i64::from(i < total % n64), 1000))
            .collect(),
    )
}

/// The algorithm alone on the same series (the target follows at once).
fn algo_series(spec: HpaSpec, start: i32, loads: &[i64]) -> Vec<u32> {
    let mut a = Autoscaler::new(spec);
    let mut n = start;
    loads
        .iter()
        .enumerate()
        .map(|(k, &l)| {
            n = a
                .reconcile_at(Nanos::from_secs(15 * (k as u64 + 1)), n, &[load(l, n)])
                .desired_replicas;
            n as u32
        })
        .collect()
}

fn cpu50(min: i32, max: i32, behavior: Option<Behavior>) -> HpaSpec {
    HpaSpec {
        min_replicas: min,
        max_replicas: max,
        metrics: vec![MetricSpec::ResourceUtilization {
            resource: ResourceName::Cpu,
            target_average_utilization: 50,
        }],
        behavior,
    }
}

#[test]
fn hpa_fidelity_default_behavior_over_28_syncs() {
    // tests/it/algo_hpa.rs scenario_default_behavior_over_28_syncs, through the Deployment.
    let s = hpa_scenario(2, 1, 10, Some(HpaBehavior::default()));
    let loads: Vec<i64> = (1..=28)
        .map(|k| match k {
            1 => 1000,
            2..=4 => 4000,
            5..=25 => 2000,
            _ => 12_000,
        })
        .collect();
    let got = replay_hpa(&validate(&s).unwrap(), 0, &loads);
    let mut expected = vec![2, 6, 8, 8];
    expected.extend(std::iter::repeat_n(8, 19));
    expected.extend([4, 4, 8, 10, 10]);
    assert_eq!(got, expected);
}

#[test]
fn hpa_fidelity_no_behavior_over_24_syncs() {
    // tests/it/algo_hpa.rs scenario_no_behavior_over_24_syncs, through the Deployment.
    let s = hpa_scenario(1, 1, 20, None);
    let loads: Vec<i64> = (1..=24).map(|k| if k <= 3 { 3050 } else { 500 }).collect();
    let got = replay_hpa(&validate(&s).unwrap(), 0, &loads);
    let mut expected = vec![4, 7, 7];
    expected.extend(std::iter::repeat_n(7, 20));
    expected.push(1);
    assert_eq!(got, expected);
}

proptest! {
    #![proptest_config(crate::cases(24))]
    #[test]
    fn hpa_fidelity_any_series_matches_the_algorithm_step_by_step(
        loads in prop::collection::vec(0i64..20_000, 1..40),
        start in 1u32..6,
        window in prop::option::of(0u64..120),
        legacy in any::<bool>(),
    ) {
        let behavior = (!legacy).then(|| HpaBehavior {
            scale_up: None,
            scale_down: window.map(|w| ScalingRules {
                stabilization_window: Some(Duration(Nanos::from_secs(w))),
                ..ScalingRules::default()
            }),
        });
        let s = hpa_scenario(start, 1, 12, behavior);
        let plan = validate(&s).unwrap();
        let algo_behavior = plan.deployments()[0].hpa.as_ref().unwrap().spec.behavior.clone();
        let got = replay_hpa(&plan, 0, &loads);
        prop_assert_eq!(got, algo_series(cpu50(1, 12, algo_behavior), start as i32, &loads));
    }
}

fn p99_max(r: &Report, from: f64, to: f64) -> f64 {
    r.series
        .iter()
        .filter(|x| x.t_s > from && x.t_s <= to)
        .map(|x| x.p99_ms)
        .fold(0.0, f64::max)
}

#[test]
fn a_5x_spike_scales_up_within_policy_limits_and_p99_recovers() {
    let s = parse(SPIKE, "autoscale-spike.ron").unwrap();
    let r = run(&s);
    let sc = &r.scaling[0];
    assert!(sc.autoscaled);
    // It scaled up, and never by more than the policy's 4 pods per 15 s.
    assert!(sc.events.iter().any(|e| e.to >= 20), "{:?}", sc.events);
    for e in &sc.events {
        let added: u32 = sc
            .events
            .iter()
            .filter(|x| x.t_s > e.t_s - 15.0 && x.t_s <= e.t_s && x.to > x.from)
            .map(|x| x.to - x.from)
            .sum();
        assert!(
            added <= 4,
            "more than 4 pods in 15 s by {}: {:?}",
            e.t_s,
            sc.events
        );
        assert!(e.t_s >= 60.0, "no scaling before the spike: {e:?}");
    }
    // p99 rises at the spike, and recovers before the spike ends once the pods are ready.
    let base = p99_max(&r, 0.0, 60.0);
    assert!(p99_max(&r, 60.0, 120.0) > 5.0 * base);
    assert!(
        p99_max(&r, 210.0, 240.0) < 2.0 * base,
        "{} vs {base}",
        p99_max(&r, 210.0, 240.0)
    );
    // Ready follows desired after the 20 s startup; pods cost from scheduling.
    let first = &sc.events[0];
    let lag = sc
        .series
        .iter()
        .find(|x| x.t_s > first.t_s && x.t_s < first.t_s + 20.0)
        .unwrap();
    assert_eq!(
        (lag.desired, lag.ready, lag.starting),
        (first.to, first.from, first.to - first.from)
    );
    let last = sc.series.last().unwrap();
    assert_eq!(last.ready, last.desired);
    let ready_s: f64 = sc.series.iter().map(|x| f64::from(x.ready) * 10.0).sum();
    assert!(
        sc.pod_seconds_on_demand > ready_s,
        "{} vs {ready_s}",
        sc.pod_seconds_on_demand
    );
    assert_eq!(sc.pod_seconds_spot, 0.0);
    // Without the HPA, the spike overloads the fixed pods to the end of the spike.
    let mut fixed = s.clone();
    if let Component::Deployment(Deployment { hpa, .. }) = api(&mut fixed) {
        *hpa = None;
    }
    let f = run(&fixed);
    assert!(p99_max(&f, 210.0, 240.0) > 5.0 * base);
    assert!(f.scaling[0].events.is_empty());
}

fn reversals(r: &Report) -> usize {
    let ev = &r.scaling[0].events;
    ev.windows(2)
        .filter(|w| (w[0].to > w[0].from) != (w[1].to > w[1].from))
        .count()
}

#[test]
fn flapping_shows_without_stabilization_and_not_with_the_default_window() {
    let s = parse(FLAP, "hpa-flapping.ron").unwrap();
    let flappy = run(&s);
    assert!(reversals(&flappy) >= 6, "{:?}", flappy.scaling[0].events);
    let mut steady = s.clone();
    if let Component::Deployment(Deployment { hpa: Some(h), .. }) = api(&mut steady) {
        h.behavior.as_mut().unwrap().scale_down = None; // the default 300 s window
    }
    let steady = run(&steady);
    assert_eq!(reversals(&steady), 0, "{:?}", steady.scaling[0].events);
    // The replica series shows it: many changes of desired vs a few steps up.
    let changes = |r: &Report| {
        r.scaling[0]
            .series
            .windows(2)
            .filter(|w| w[0].desired != w[1].desired)
            .count()
    };
    assert!(changes(&flappy) > 2 * changes(&steady));
}

#[test]
fn killing_pods_raises_p99_until_replacements_are_ready() {
    let mut s = parse(SPOT, "spot-capacity.ron").unwrap();
    s.faults.clear();
    s.workload.users = 24_000.0; // 2,400 req/s: about 21 busy workers
    if let Component::Deployment(Deployment {
        nodes,
        min_available,
        replicas,
        ..
    }) = api(&mut s)
    {
        *nodes = None;
        *min_available = None;
        *replicas = 4;
    }
    // 4 pods x 8 workers are 2/3 busy; killing 2 halves the capacity: overload.
    let base = run(&s);
    s.faults.push(Fault::KillPods(KillPods {
        deployment: "api".into(),
        count: 2,
        at: d("60s"),
    }));
    let killed = run(&s);
    let sc = &killed.scaling[0];
    assert_eq!(killed.faults[0].label, "KillPods(api x2)");
    assert_eq!(sc.pods_killed, 2);
    assert!(killed.summary.errors_by_cause["pod_killed"] > 0);
    let ready_at = |t: f64| sc.series.iter().find(|x| x.t_s == t).unwrap().ready;
    assert_eq!(ready_at(50.0), 4);
    assert_eq!(ready_at(70.0), 2); // replacements start (30 s)
    assert_eq!(ready_at(100.0), 4);
    assert!(p99_max(&killed, 60.0, 90.0) > 3.0 * p99_max(&base, 60.0, 90.0));
    assert!(p99_max(&killed, 120.0, 360.0) < 1.5 * p99_max(&base, 120.0, 360.0));
    // Before the fault the runs are identical.
    assert_eq!(base.series[..6], killed.series[..6]);
}

#[test]
fn a_spot_reclaim_wave_dips_capacity_and_recovers_and_the_pdb_limits_it() {
    let mut s = parse(SPOT, "spot-capacity.ron").unwrap();
    s.workload.users = 24_000.0; // about 21 busy workers: 2 pods cannot carry it
    s.faults = vec![Fault::ReclaimSpot(ReclaimSpot {
        deployment: "api".into(),
        count: None,
        fraction: Some(1.0),
        at: d("60s"),
    })];
    if let Component::Deployment(Deployment {
        nodes: Some(n),
        min_available,
        ..
    }) = api(&mut s)
    {
        n.reclaims_per_hour = 0.0;
        n.notice = Some(d("20s"));
        *min_available = None;
    }
    let r = run(&s);
    let sc = &r.scaling[0];
    let row = |t: f64| sc.series.iter().find(|x| x.t_s == t).unwrap().clone();
    // 6 pods on 3 nodes (2 per node), 2 of them spot.
    assert_eq!((row(50.0).ready, row(50.0).nodes), (6, 3));
    assert_eq!(sc.spot_reclaims, 2);
    // The 4 spot pods drain at the notice; replacements need 30 s.
    assert_eq!(row(70.0).ready, 2);
    assert_eq!(row(100.0).ready, 6);
    assert!(p99_max(&r, 60.0, 90.0) > 2.0 * p99_max(&r, 0.0, 60.0));
    assert!(p99_max(&r, 120.0, 360.0) < 1.5 * p99_max(&r, 0.0, 60.0));
    // With minAvailable 4, the drain evicts only 2 pods at first.
    if let Component::Deployment(Deployment { min_available, .. }) = api(&mut s) {
        *min_available = Some(4);
    }
    let pdb = run(&s);
    let min_ready = |r: &Report| {
        r.scaling[0]
            .series
            .iter()
            .filter(|x| x.t_s > 60.0 && x.t_s < 80.0)
            .map(|x| x.ready)
            .min()
            .unwrap()
    };
    assert_eq!(min_ready(&r), 2);
    assert_eq!(min_ready(&pdb), 4);
    // The notice (20 s) ends before the replacements are ready: the blocked
    // pods die with the node (involuntary), which the PDB cannot stop.
    assert!(pdb.scaling[0].pods_killed >= 2);
    assert_eq!(r.scaling[0].pods_killed, 0);
}

#[test]
fn node_hours_and_pod_seconds_split_on_demand_and_spot() {
    let mut s = parse(SPOT, "spot-capacity.ron").unwrap();
    s.faults.clear();
    if let Component::Deployment(Deployment { nodes: Some(n), .. }) = api(&mut s) {
        n.reclaims_per_hour = 0.0;
    }
    let r = run(&s);
    let sc = &r.scaling[0];
    // 3 nodes of 2 pods for 6 minutes: 2 spot, 1 on-demand.
    assert_eq!(sc.node_hours_spot, 0.2);
    assert_eq!(sc.node_hours_on_demand, 0.1);
    assert_eq!(sc.pod_seconds_spot, 4.0 * 360.0);
    assert_eq!(sc.pod_seconds_on_demand, 2.0 * 360.0);
    // Poisson reclaims (own stream) happen at the configured rate, deterministically.
    let mut p = s.clone();
    p.run.duration = d("1h");
    if let Component::Deployment(Deployment { nodes: Some(n), .. }) = api(&mut p) {
        n.reclaims_per_hour = 10.0;
    }
    let a = run(&p);
    let b = run(&p);
    assert_eq!(a.to_json(), b.to_json());
    let reclaims = a.scaling[0].spot_reclaims as f64;
    // At most 2 spot nodes x 10 / h x 1 h = 20 expected; at least 1 spot node.
    assert!((4.0..=35.0).contains(&reclaims), "{reclaims}");
    // Replacement nodes keep the spot share at most 2/3 of the nodes alive
    // (nodes under notice included), so the spot share of node-hours dips below it.
    let sc = &a.scaling[0];
    let share = sc.node_hours_spot / (sc.node_hours_spot + sc.node_hours_on_demand);
    assert!((0.2..=0.67).contains(&share), "{share}");
}

#[test]
fn requests_per_second_and_memory_targets_drive_the_hpa() {
    let base = |hpa: &str| {
        let text = format!(
            r#"Scenario(
                name: "m", run: (duration: "3m"),
                workload: (users: 300, rps_per_user: 1.0, mix: {{ "a": 1.0 }}),
                components: [
                    LoadBalancer(name: "lb", strategy: LeastConnections, targets: {{ "api": 1 }}),
                    Deployment(name: "api", replicas: 2, concurrency: 50,
                               resources: (memory_mib: 200, base_memory_mib: 100, per_request_mib: 10),
                               hpa: {hpa}),
                ],
                endpoints: {{ "a": [Lb("lb"), Compute(Const("100ms"))] }},
            )"#
        );
        run(&parse(&text, "m.ron").unwrap()).scaling[0]
            .series
            .last()
            .unwrap()
            .desired
    };
    // 300 req/s at 50 req/s per pod: 6 pods.
    // (ceil of ratio x pods: a sample 1 % above the target at 2 pods gives 7.)
    let rps = base("(min: 1, max: 20, rps: 50)");
    assert!((6..=7).contains(&rps), "{rps}");
    // 30 requests in flight in total; 100 + 10 x in-flight MiB per pod against 200 MiB
    // at a 100 % target: n pods use 100 + 300/n MiB, so n = 3 (and the CPU at
    // 30 busy of 50 x n workers stays below its 80 % default target).
    let mem = base("(min: 1, max: 20, memory: 100)");
    assert!((3..=4).contains(&mem), "{mem}");
    // CPU alone: 30 busy workers over 2 x 50 is 30 % < 80 %: scales down to the minimum... of 1.
    assert_eq!(
        base("(min: 1, max: 20, cpu: 80, behavior: (scale_down: (stabilization_window: \"0s\")))"),
        1
    );
}

#[test]
fn a_deployment_without_hpa_keeps_its_pods() {
    let s = parse(scaletwin::scenario::DEFAULT_SCENARIO, "default.ron").unwrap();
    let r = run(&s);
    let sc = &r.scaling[0];
    assert!(!sc.autoscaled);
    assert!(sc.events.is_empty());
    assert!(sc
        .series
        .iter()
        .all(|x| x.desired == 4 && x.ready == 4 && x.starting == 0));
    assert_eq!(sc.pod_seconds_on_demand, 4.0 * 300.0);
}

#[test]
fn bad_autoscaling_input_names_each_field() {
    let mut s = parse(SPIKE, "autoscale-spike.ron").unwrap();
    if let Component::Deployment(Deployment {
        hpa: Some(h),
        resources,
        ..
    }) = api(&mut s)
    {
        h.min = 0;
        h.max = 50_000;
        h.cpu = Some(0);
        h.rps = Some(-1.0);
        h.behavior = Some(HpaBehavior {
            scale_up: Some(ScalingRules {
                stabilization_window: Some(d("1500ms")),
                ..ScalingRules::default()
            }),
            scale_down: None,
        });
        resources.as_mut().unwrap().cpu = Some(-2.0);
    }
    s.faults.push(Fault::KillPods(KillPods {
        deployment: "nope".into(),
        count: 0,
        at: d("1m"),
    }));
    s.faults.push(Fault::ReclaimSpot(ReclaimSpot {
        deployment: "api".into(),
        count: Some(1),
        fraction: Some(0.5),
        at: d("1m"),
    }));
    s.workload.pattern = Pattern::Constant;
    let problems = validate(&s).unwrap_err();
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    for want in [
        "components[1].hpa.min",
        "components[1].hpa.max",
        "components[1].hpa.cpu",
        "components[1].hpa.rps",
        "components[1].hpa.behavior.scale_up.stabilization_window",
        "components[1].resources.cpu",
        "faults[0].deployment",
        "faults[0].count",
        "faults[1].deployment",
        "faults[1].count",
    ] {
        assert!(paths.contains(&want), "{want} missing from {paths:?}");
    }
}
