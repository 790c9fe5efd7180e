//! CPU on pods against theory and the CFS quota's arithmetic: processor
//! sharing (M/M/1-PS, M/G/1-PS insensitivity, M/M/c), throttling under a
//! CPU limit, and the HPA scaling on CPU used rather than busy worker slots.

use super::stats::{mean_ci, mmc};
use rayon::prelude::*;
use scaletwin::report::PodResourceReport;
use scaletwin::Report;

/// Runs scenario text.
fn run(text: &str) -> Report {
    let s = scaletwin::scenario::parse(text, "pod_cpu.ron").unwrap();
    let plan = scaletwin::scenario::validate(&s).unwrap();
    scaletwin::simulate(&plan)
}

/// One pod with `cores` cores (`requests.cpu`) and 1000 worker slots, Poisson
/// arrivals at `lambda`, each request a CPU demand drawn from `demand`.
fn ps_scenario(lambda: f64, cores: u32, demand: &str, seed: u64, seconds: u64) -> String {
    format!(
        r#"Scenario(
            name: "ps", seed: {seed},
            run: (duration: "{seconds}s", warmup: "{warmup}s", interval: "1h"),
            workload: (users: {lambda}, rps_per_user: 1.0, mix: {{ "serve": 1.0 }}),
            components: [
                LoadBalancer(name: "lb", targets: {{ "pod": 1 }}),
                Deployment(name: "pod", replicas: 1, concurrency: 1000,
                           resources: (requests: (cpu: "{cores}"))),
            ],
            endpoints: {{ "serve": [Lb("lb"), Compute({demand})] }},
        )"#,
        warmup = seconds / 20
    )
}

/// Mean sojourn (s) over `reps` replications and its 95% half-width.
fn mean_sojourn(lambda: f64, cores: u32, demand: &str, seconds: u64, reps: u64) -> (f64, f64) {
    let ws: Vec<f64> = (0..reps)
        .into_par_iter()
        .map(|k| {
            let r = run(&ps_scenario(lambda, cores, demand, 500 + k, seconds));
            assert_eq!(r.summary.errors, 0);
            r.summary.latency.mean_ms / 1e3
        })
        .collect();
    mean_ci(&ws)
}

#[test]
fn mm1_ps_pod_mean_sojourn_is_one_over_mu_minus_lambda() {
    // One core, 1000 workers, λ = 70/s, μ = 100/s: W = 1 / (μ - λ) = 33.3 ms.
    let (lambda, mu) = (70.0, 100.0);
    let (w, ci) = mean_sojourn(lambda, 1, "Exp(\"10ms\")", 2000, 8);
    let exact = 1.0 / (mu - lambda);
    assert!(
        (w - exact).abs() <= ci + 0.005 * exact && (w / exact - 1.0).abs() < 0.03,
        "M/M/1-PS: W {w} ± {ci} vs 1/(μ-λ) = {exact}"
    );
}

#[test]
fn mg1_ps_mean_sojourn_is_insensitive_to_the_demand_distribution() {
    // ρ = 0.5 on one core: W = E[S] / (1 - ρ) whatever the distribution. A
    // FCFS single worker would give 1.5 E[S] for a constant demand instead.
    let z99 = 2.326_347_874_040_841;
    let sigma = (50.0f64 / 5.0).ln() / z99;
    let mean_ms = 5.0 * (sigma * sigma / 2.0).exp(); // Lognormal(5 ms, p99 50 ms)
    let lambda = 0.5 / (mean_ms / 1e3);
    let exact = mean_ms / 1e3 / 0.5;
    let dists = [
        format!("Exp(\"{mean_ms:.6}ms\")"),
        format!("Const(\"{mean_ms:.6}ms\")"),
        "Lognormal(median: \"5ms\", p99: \"50ms\")".to_owned(),
    ];
    for d in &dists {
        let (w, ci) = mean_sojourn(lambda, 1, d, 3000, 8);
        assert!(
            (w / exact - 1.0).abs() < 0.02,
            "M/G/1-PS with {d}: W {w} ± {ci} vs E[S]/(1-ρ) = {exact} beyond 2%"
        );
    }
}

#[test]
fn c_core_pod_with_more_workers_than_cores_matches_mmc() {
    // Exponential demands on 4 cores shared by up to 1000 requests: the
    // number computing is the M/M/4 birth-death chain (rate min(n, 4) μ),
    // so the mean sojourn is M/M/4's (Erlang C).
    let (lambda, mu, c) = (30.0, 10.0, 4);
    let (w, ci) = mean_sojourn(lambda, c, "Exp(\"100ms\")", 3000, 8);
    let (_, exact, _) = mmc(lambda, mu, c);
    assert!(
        (w - exact).abs() <= ci + 0.005 * exact && (w / exact - 1.0).abs() < 0.02,
        "4-core PS pod: W {w} ± {ci} vs M/M/4 {exact}"
    );
}

fn resources(r: &Report, name: &str) -> PodResourceReport {
    let s = r.scaling.iter().find(|s| s.name == name).unwrap();
    s.resources.clone().expect("a resources section")
}

#[test]
fn a_half_core_limit_serves_a_one_core_demand_at_the_quota_rate() {
    // One worker computing back to back (100 requests/s of 10 ms CPU, one at
    // a time): a constant 1-core demand. The 0.5-core limit's quota is 50 ms
    // per 100 ms period: exactly 5 requests per period, 3000 in 60 s, and
    // every period is throttled.
    let text = r#"Scenario(
        name: "throttle", seed: 3,
        run: (duration: "60s", interval: "1h"),
        workload: (users: 100, rps_per_user: 1.0, mix: { "serve": 1.0 }),
        components: [
            LoadBalancer(name: "lb", targets: { "pod": 1 }),
            Deployment(name: "pod", replicas: 1, concurrency: 1,
                       resources: (requests: (cpu: "250m"), limits: (cpu: "500m")),
                       nodes: (cpu: 2, memory: "4Gi")),
        ],
        endpoints: { "serve": [Lb("lb"), Compute(Const("10ms"))] },
    )"#;
    let r = run(text);
    let res = resources(&r, "pod");
    assert!(
        r.summary.completed.abs_diff(3000) <= 5,
        "completed {} vs 5 per 100 ms period",
        r.summary.completed
    );
    let used = res.cpu_used_cores;
    assert!((used - 0.5).abs() < 0.005, "CPU used {used} cores vs 0.5");
    assert!(res.throttled_share.unwrap() > 0.99, "{res:?}");
    // Used over the 250m request: 200%, above 100% as the limit allows.
    let pct = res.cpu_used_pct_of_request;
    assert!((pct - 200.0).abs() < 2.0, "{pct}% of the request");

    // The same pod without a limit runs its core flat out: no throttling,
    // and it keeps up with the demand (ρ = 1, less the Poisson slack).
    let free = run(&text.replace(", limits: (cpu: \"500m\")", ""));
    let res = resources(&free, "pod");
    assert_eq!(res.throttled_share, None);
    assert!(free.summary.completed > 5400, "{:?}", free.summary);
}

/// Each request computes 2 ms and waits 8 ms on the database: its worker
/// slot is busy 10 ms, its CPU 2 ms. 300 requests/s over 3 pods of 4 workers
/// and a 250m CPU request: busy slots 100/s x 10 ms / 4 = 25% per pod, CPU
/// 100/s x 2 ms = 0.2 cores = 80% of the request. The HPA targets 50%.
fn db_bound(resources: &str) -> String {
    format!(
        r#"Scenario(
        name: "db-bound", seed: 9,
        run: (duration: "420s", interval: "15s"),
        workload: (users: 300, rps_per_user: 1.0, mix: {{ "serve": 1.0 }}),
        components: [
            LoadBalancer(name: "lb", targets: {{ "api": 1 }}),
            Deployment(name: "api", replicas: 3, concurrency: 4,
                       resources: {resources},
                       hpa: (min: 2, max: 20, cpu: 50)),
            Database(name: "pg", connections: 100),
        ],
        endpoints: {{ "serve": [Lb("lb"), Compute(Const("2ms")), DbRead(Const("8ms"))] }},
    )"#
    )
}

#[test]
fn hpa_scales_on_cpu_used_not_on_busy_worker_slots() {
    let cpu = run(&db_bound("(requests: (cpu: \"250m\"))"));
    let slots = run(&db_bound("(cpu: \"250m\")"));
    let busy = |r: &Report| r.stations[0].stats.utilization;
    let used = resources(&cpu, "api").cpu_used_pct_of_request;
    // The two numbers: worker slots ~25% busy, CPU ~80% of the request.
    println!(
        "busy slots {:.1}%, CPU {used:.1}% of request",
        100.0 * busy(&cpu)
    );
    assert!(
        busy(&slots) < 0.35 && busy(&slots) > 0.1,
        "busy slots {}",
        busy(&slots)
    );
    let final_replicas = |r: &Report| r.scaling[0].series.last().unwrap().desired;
    // On CPU: 3 x 80 / 50 = 4.8, so 5 pods (CPU then 48% of the request).
    assert_eq!(final_replicas(&cpu), 5, "{:?}", cpu.scaling[0].events);
    assert!(used > 45.0 && used < 85.0, "{used}");
    // On busy slots (the older model): 25% < 50%, it scales down to its
    // minimum once the 5-minute stabilization window has passed.
    assert_eq!(final_replicas(&slots), 2, "{:?}", slots.scaling[0].events);
    assert!(slots.scaling[0].resources.is_none());
}

#[test]
fn a_pod_killed_mid_compute_fails_its_requests() {
    // Requests of 10 s CPU on a 1-core pod killed at 5 s: none can have
    // finished, so every request in it fails with pod_killed (none hangs);
    // its replacement starts for 60 s, so later ones find no healthy pod.
    let text = r#"Scenario(
        name: "kill", seed: 1,
        run: (duration: "30s", interval: "1h"),
        workload: (users: 2, rps_per_user: 1.0, mix: { "serve": 1.0 }),
        components: [
            LoadBalancer(name: "lb", targets: { "pod": 1 }),
            Deployment(name: "pod", replicas: 1, concurrency: 1000, startup: "60s",
                       resources: (requests: (cpu: 1))),
        ],
        endpoints: { "serve": [Lb("lb"), Compute(Const("10s"))] },
        faults: [KillPods(deployment: "pod", count: 1, at: "5s")],
    )"#;
    let r = run(text);
    let killed = r.summary.errors_by_cause["pod_killed"];
    let no_pod = r.summary.errors_by_cause["no_healthy_pod"];
    assert!(killed > 3, "{:?}", r.summary);
    assert_eq!(killed + no_pod, r.summary.arrivals);
    assert_eq!(r.summary.completed, 0);
    assert_eq!(r.summary.in_flight, 0);
}
