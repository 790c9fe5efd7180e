//! Readiness and liveness probes that queue behind real work: the cascade
//! of `scenarios/probe-cascade.ron` reproduced, its two ways out, a pod
//! without load that never fails a probe, and CPU throttling that fails
//! probes which find a free worker slot.

use crate::{api, run_scenario, run_text};
use scaletwin::report::ProbeReport;
use scaletwin::scenario::schema::{Component, ProbePort};
use scaletwin::scenario::{parse, Scenario};
use scaletwin::Report;

/// The bundled cascade scenario.
fn cascade() -> Scenario {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/probe-cascade.ron");
    parse(&std::fs::read_to_string(path).unwrap(), path).unwrap()
}

/// The probes of deployment "api" of a scenario.
fn probes(s: &mut Scenario) -> &mut scaletwin::scenario::schema::Probes {
    let Component::Deployment(d) = api(s) else {
        panic!("api is a Deployment")
    };
    d.probes.as_mut().unwrap()
}

/// What the probes of the run's only deployment did.
fn probe_report(r: &Report) -> ProbeReport {
    r.scaling[0].probes.expect("probes are reported")
}

fn cause(r: &Report, c: &str) -> u64 {
    r.summary.errors_by_cause.get(c).copied().unwrap_or(0)
}

#[test]
fn a_spike_collapses_a_deployment_whose_probes_queue_behind_work() {
    // 1,800 req/s against 1,600 of capacity: each pod's queue wait grows by
    // 0.125 s a second, so probes time out (1 s) from about 8 s into the
    // spike; 3 readiness failures in a row (5 s apart) take each pod out,
    // 3 liveness failures (10 s apart) restart it.
    let r = run_scenario(&cascade());
    let p = probe_report(&r);
    assert!(p.readiness_failures >= 12, "{p:?}");
    assert!(p.liveness_failures >= 6, "{p:?}");
    assert!(
        p.removed_from_targets >= 4,
        "every pod leaves the targets: {p:?}"
    );
    assert!(p.liveness_restarts >= 2, "{p:?}");
    // Out of the targets, pods leave requests no healthy pod; restarts kill
    // the work in flight and queued.
    assert!(
        cause(&r, "no_healthy_pod") > 1_000,
        "{:?}",
        r.summary.errors_by_cause
    );
    assert!(
        cause(&r, "pod_killed") > 5_000,
        "{:?}",
        r.summary.errors_by_cause
    );
    assert!(
        (0.05..0.15).contains(&r.summary.error_rate),
        "error rate {}",
        r.summary.error_rate
    );
}

#[test]
fn a_separate_probe_port_or_a_longer_timeout_avoids_the_cascade() {
    let mut separate = cascade();
    probes(&mut separate).port = ProbePort::Separate;
    let mut patient = cascade();
    probes(&mut patient).readiness.as_mut().unwrap().timeout = Some(crate::d("10s"));
    probes(&mut patient).liveness.as_mut().unwrap().timeout = Some(crate::d("10s"));
    for s in [separate, patient] {
        let r = run_scenario(&s);
        assert_eq!(probe_report(&r), ProbeReport::default());
        assert_eq!(r.summary.errors, 0, "{:?}", r.summary.errors_by_cause);
        // The spike alone: 40 s of 50 extra requests a second per pod,
        // served at 400 a second, leave the last of them waiting 5 s (under
        // the 10 s client timeout, so nothing fails).
        let max_s = r.summary.latency.max_ms / 1e3;
        assert!((4.5..6.0).contains(&max_s), "worst latency {max_s} s");
    }
}

/// One pod, `concurrency` workers, `rps` requests a second of 10 ms of CPU
/// under a CPU limit of `cpu_limit`, probed every second with a 100 ms timeout, one failure
/// enough, for 5 minutes.
fn lone_pod(rps: f64, concurrency: u32, cpu_limit: &str) -> Report {
    run_text(&format!(
        r#"Scenario(
            name: "probed", seed: 3, run: (duration: "5m", warmup: "0s"),
            workload: (users: 1, rps_per_user: {rps}, mix: {{ "a": 1.0 }}),
            components: [
                LoadBalancer(name: "lb", targets: {{ "api": 1 }}),
                Deployment(name: "api", replicas: 1, concurrency: {concurrency}, startup: "1s",
                           resources: (limits: (cpu: "{cpu_limit}")),
                           probes: (
                               readiness: (period: "1s", timeout: "100ms", failure_threshold: 1),
                               liveness: (period: "1s", timeout: "100ms", failure_threshold: 1),
                               cost: "1ms",
                           )),
            ],
            endpoints: {{ "a": [Lb("lb"), Compute(Exp("10ms"))] }},
        )"#
    ))
}

#[test]
fn a_pod_not_under_load_never_fails_a_probe() {
    // 20 % busy: a probe rarely waits for a slot, and then for 10 ms at most
    // on average; its 1 ms of CPU shares one core with at most 3 requests.
    // 300 probes of each kind, none near the 100 ms timeout.
    let r = lone_pod(20.0, 4, "1");
    assert_eq!(probe_report(&r), ProbeReport::default());
    assert_eq!(r.summary.errors, 0);
    // The same pod overloaded (120 req/s of 10 ms on one worker) fails
    // them: the check can fail.
    let r = lone_pod(120.0, 1, "1");
    let p = probe_report(&r);
    assert!(p.readiness_failures > 0 && p.liveness_restarts > 0, "{p:?}");
}

#[test]
fn cpu_throttling_fails_probes_that_find_a_free_slot() {
    // 64 workers never queue at 60 req/s, but a 0.1-core limit gives the
    // pod 10 ms of CPU per 100 ms period while 60 req/s ask for 600 ms a
    // second: the jobs pile up on the processor, and a probe's 1 ms, shared
    // with them under the quota, takes far longer than 100 ms.
    // Each liveness failure restarts it (back-off 0, 10, 20, 40, 80 s ...),
    // each readiness failure takes it out of the balancer.
    let r = lone_pod(60.0, 64, "100m");
    let p = probe_report(&r);
    assert!(
        p.readiness_failures >= 3 && p.removed_from_targets >= 3,
        "{p:?}"
    );
    assert!(p.liveness_restarts >= 4, "{p:?}");
    assert!(
        cause(&r, "pod_killed") > 0,
        "{:?}",
        r.summary.errors_by_cause
    );
    // With a whole core, the same load (60 % busy: 2.5 requests on the
    // processor on average, a probe's 1 ms stretched to a few) fails none.
    let r = lone_pod(60.0, 64, "1");
    assert_eq!(probe_report(&r), ProbeReport::default());
}
