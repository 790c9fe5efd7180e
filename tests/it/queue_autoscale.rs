//! A queue worked by an autoscaled Deployment, scaled on queue depth: the
//! HPA's External metric against src/algo/hpa, workers following the ready
//! pods, draining on scale-down, and jobs lost with killed pods retried.

use crate::run_scenario as run;
use scaletwin::algo::hpa::{Autoscaler, MetricInput};
use scaletwin::algo::Nanos;
use scaletwin::report::QueueReport;
use scaletwin::report::ScalingReport;
use scaletwin::scenario::schema::{Component, Deployment, Fault, KillPods};
use scaletwin::scenario::{parse, validate, Scenario};
use scaletwin::sim::replay_queue_hpa;
use scaletwin::Report;

const QA: &str = include_str!("../../scenarios/queue-autoscale.ron");

fn scenario() -> Scenario {
    parse(QA, "queue-autoscale.ron").unwrap()
}

fn workers(s: &mut Scenario) -> &mut Component {
    s.components
        .iter_mut()
        .find(|c| c.name() == "workers")
        .unwrap()
}

fn queue(r: &Report) -> &QueueReport {
    r.queues.iter().find(|q| q.name == "exports").unwrap()
}

fn scaling<'a>(r: &'a Report, name: &str) -> &'a ScalingReport {
    r.scaling.iter().find(|s| s.name == name).unwrap()
}

/// The HPA of "workers" replayed on depths, through the simulator's code.
fn replay(s: &Scenario, depths: &[u64]) -> Vec<u32> {
    let plan = validate(s).unwrap();
    let d = plan
        .deployments()
        .iter()
        .position(|d| d.name == "workers")
        .unwrap();
    replay_queue_hpa(&plan, d, depths)
}

#[test]
fn queue_metric_matches_the_algorithm_and_hand_computed_kubernetes_steps() {
    let s = scenario();
    let depths = [0, 40, 60, 100, 100, 26, 8, 8, 8, 8, 8, 0, 0, 0, 0, 0, 0, 0];
    let sim = replay(&s, &depths);
    // The algorithm alone, fed the same depths as an External metric whose
    // status.replicas is the current count (all pods exist at once).
    let plan = validate(&s).unwrap();
    let spec = plan
        .deployments()
        .iter()
        .find(|d| d.name == "workers")
        .unwrap()
        .hpa
        .clone()
        .unwrap();
    let mut a = Autoscaler::new(spec.spec);
    let mut n = 2;
    let algo: Vec<u32> = depths
        .iter()
        .enumerate()
        .map(|(k, &d)| {
            let input = MetricInput::External {
                values_milli: vec![d as i64 * 1000],
                status_replicas: n,
            };
            n = a
                .reconcile_at(Nanos::from_secs(15 * (k as u64 + 1)), n, &[input])
                .desired_replicas;
            n as u32
        })
        .collect();
    assert_eq!(sim, algo);
    // By hand: ceil(depth / 4) clamped to [2, 20], at most +4 pods per 15 s;
    // depth 0 proposes 0, raised to min.
    assert_eq!(&sim[..5], &[2, 6, 10, 14, 18]);
    // Down: the 1-minute window keeps the highest raw proposal of the last
    // 60 s: 25 (100 jobs) at t = 60 s and 75 s holds 18 until t = 135 s, when
    // the window (75 s, 135 s] holds 7 (26 jobs), 2, 2, 2; then 2.
    assert_eq!(
        &sim[5..8],
        &[18, 18, 18],
        "26 jobs propose 7, but the window holds"
    );
    assert_eq!(sim[5..].iter().position(|&r| r < 18), Some(3), "{sim:?}");
    assert_eq!(&sim[8..10], &[7, 2]);
    assert_eq!(
        *sim.last().unwrap(),
        2,
        "back to min once the queue is empty"
    );
}

#[test]
fn queue_metric_tolerance_is_applied_to_depth_over_target_times_replicas() {
    let mut s = scenario();
    if let Component::Deployment(Deployment { replicas, hpa, .. }) = workers(&mut s) {
        *replicas = 6;
        hpa.as_mut().unwrap().behavior = None;
    }
    // 26 / (4 x 6) = 1.083: within 0.1, stay; 27 / 24 = 1.125: ceil(27/4) = 7;
    // 28 / 28 = 1: stay; 31 / 28 = 1.107: ceil(31/4) = 8.
    assert_eq!(replay(&s, &[26, 27, 28, 31]), vec![6, 7, 7, 8]);
}

#[test]
fn burst_scales_workers_up_within_policy_then_down_after_the_window() {
    let mut s = scenario();
    s.faults.clear();
    let r = run(&s);
    let q = queue(&r);
    let w = scaling(&r, "workers");
    // Workers are the worker Deployment's ready pods, bucket by bucket.
    assert_eq!(q.series.len(), w.series.len());
    for (qr, wr) in q.series.iter().zip(&w.series) {
        assert_eq!(qr.workers, wr.ready, "at {} s", qr.t_s);
        assert!(
            qr.running <= 2 * qr.workers + 2 * wr.starting,
            "at {} s",
            qr.t_s
        );
    }
    // Up: at most +4 pods per 15 s (behavior.scale_up), never above max.
    let ups: Vec<_> = w.events.iter().filter(|e| e.to > e.from).collect();
    assert!(ups.len() >= 3, "{:?}", w.events);
    for pair in ups.windows(2) {
        assert!(pair[1].t_s - pair[0].t_s >= 15.0);
    }
    for e in &ups {
        assert!(e.to - e.from <= 4 && e.to <= 20, "{e:?}");
        assert!(e.reason.contains("queue/exports"), "{e:?}");
    }
    // The backlog builds while pods start, then drains as workers join,
    // before the burst ends (3m).
    let peak = q.series.iter().max_by_key(|r| r.waiting).unwrap();
    assert!(peak.waiting > 100, "{peak:?}");
    assert!(q
        .series
        .iter()
        .any(|r| r.t_s > peak.t_s && r.t_s < 180.0 && r.waiting == 0));
    let at_peak_workers = q.series.iter().find(|r| r.t_s > peak.t_s).unwrap();
    assert!(at_peak_workers.workers > 2);
    // Down: not before the 1-minute window after the last up-scale, then to min.
    let last_up = ups.last().unwrap().t_s;
    let first_down = w.events.iter().find(|e| e.to < e.from).unwrap();
    assert!(first_down.t_s >= last_up + 60.0, "{:?}", w.events);
    assert_eq!(w.series.last().unwrap().desired, 2);
    assert_eq!(q.workers_at_end, 2);
    // Removed pods drained their jobs: nothing was lost.
    assert_eq!(q.failed_attempts, 0);
    assert_eq!(w.pods_killed, 0);
    let last = q.series.last().unwrap();
    assert_eq!(
        q.enqueued,
        q.succeeded + last.waiting + u64::from(last.running)
    );
}

#[test]
fn autoscaled_workers_cut_job_wait_against_a_fixed_deployment() {
    let mut auto = scenario();
    auto.faults.clear();
    let mut fixed = auto.clone();
    if let Component::Deployment(Deployment { hpa, .. }) = workers(&mut fixed) {
        *hpa = None;
    }
    let (a, f) = (run(&auto), run(&fixed));
    let (qa, qf) = (queue(&a), queue(&f));
    assert!(scaling(&f, "workers").events.is_empty());
    assert!(
        qf.wait.mean_ms > 3.0 * qa.wait.mean_ms,
        "fixed {} ms, autoscaled {} ms",
        qf.wait.mean_ms,
        qa.wait.mean_ms
    );
    assert!(qf.wait.p99_ms > qa.wait.p99_ms);
}

#[test]
fn killing_worker_pods_mid_job_retries_their_jobs() {
    // Two workers × 2 slots, one 8 s job every 2 s: 4 jobs run at once, 2 per pod.
    let text = r#"Scenario(
        name: "kill-workers", seed: 3, run: (duration: "2m", interval: "10s"),
        workload: (users: 1, rps_per_user: 0.001, mix: { "a": 1.0 }),
        components: [
            LoadBalancer(name: "lb", targets: { "api": 1 }),
            Deployment(name: "api", replicas: 1, concurrency: 1),
            Deployment(name: "workers", replicas: 2, concurrency: 2, startup: "5s"),
            Queue(name: "q", deployment: "workers", concurrency: 2, attempts: ATTEMPTS,
                  backoff: (base: "1s", jitter: None),
                  schedules: [(every: "2s", work: Const("8s"))]),
        ],
        endpoints: { "a": [Lb("lb"), Compute(Exp("1ms"))] },
        faults: [KillPods(deployment: "workers", count: 1, at: "61s")],
    )"#;
    let go = |attempts: u32| {
        let s = parse(&text.replace("ATTEMPTS", &attempts.to_string()), "k.ron").unwrap();
        run(&s)
    };
    let r = go(3);
    let q = r.queues.iter().find(|q| q.name == "q").unwrap();
    let w = scaling(&r, "workers");
    assert_eq!(w.pods_killed, 1);
    // The killed pod ran 2 jobs: both attempts failed and were retried.
    assert_eq!(q.failed_attempts, 2, "{q:?}");
    assert_eq!(q.retries, 2);
    assert_eq!(q.dead_lettered, 0);
    assert!(q.run.max_ms < 8100.0, "{q:?}");
    // The replacement pod became a worker after its startup.
    let after = q.series.iter().find(|r| r.t_s == 70.0).unwrap();
    assert_eq!(after.workers, 2, "{:?}", q.series);
    let during = q.series.iter().find(|r| r.t_s == 60.0).unwrap();
    assert_eq!(during.workers, 2);
    // Without attempts left, the lost jobs are dead-lettered.
    let r1 = go(1);
    let q1 = r1.queues.iter().find(|q| q.name == "q").unwrap();
    assert_eq!(q1.failed_attempts, 2);
    assert_eq!(q1.dead_lettered, 2);
    assert_eq!(q1.retries, 0);
}

#[test]
fn fault_in_the_example_loses_and_retries_running_jobs() {
    let r = run(&scenario());
    let q = queue(&r);
    let w = scaling(&r, "workers");
    assert_eq!(w.pods_killed, 2);
    assert!(q.failed_attempts >= 1 && q.failed_attempts <= 4, "{q:?}");
    assert_eq!(q.retries, q.failed_attempts);
    assert!(matches!(
        scenario().faults[0],
        Fault::KillPods(KillPods { count: 2, .. })
    ));
}

#[test]
fn running_jobs_are_busy_cpu_for_a_cpu_hpa_on_the_workers() {
    // Same burst, the workers scaled on CPU instead (deployment concurrency =
    // queue concurrency, so CPU utilization = busy job slots / slots).
    let mut s = scenario();
    s.faults.clear();
    if let Component::Deployment(Deployment { hpa, .. }) = workers(&mut s) {
        let h = hpa.as_mut().unwrap();
        h.queue = None;
        h.cpu = Some(60);
    }
    let r = run(&s);
    let w = scaling(&r, "workers");
    let peak = w.series.iter().map(|row| row.desired).max().unwrap();
    assert!(peak >= 6, "{:?}", w.events);
    assert!(
        w.events.iter().any(|e| e.reason.contains("cpu")),
        "{:?}",
        w.events
    );
    // The queue metric sees the backlog, CPU only the busy slots: it reacts
    // less, so jobs wait longer.
    let mut by_depth = scenario();
    by_depth.faults.clear();
    assert!(queue(&run(&by_depth)).wait.mean_ms < queue(&r).wait.mean_ms);
}
