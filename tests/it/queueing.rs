//! The simulator against queueing theory: M/M/1 and M/M/c stations must
//! reproduce Erlang C, the waiting-time distribution and Little's law.
//!
//! Each check runs independent replications (different seeds) in parallel
//! and asserts that the exact value lies inside the 95% confidence interval
//! of the simulated mean, and within the tolerance THEORY.md states.

use super::stats::{mean_ci, mmc, mmc_wait_quantile};
use rayon::prelude::*;
use scaletwin::Report;

/// A scenario that is exactly an M/M/c queue: Poisson arrivals at `lambda`
/// per second, one pod with `c` worker slots, exponential service with rate
/// `mu`, no network delay, no timeout.
fn mmc_scenario(lambda: f64, mu: f64, c: u32, seed: u64, seconds: u64, warmup: u64) -> String {
    format!(
        r#"Scenario(
            name: "mmc", seed: {seed},
            run: (duration: "{seconds}s", warmup: "{warmup}s", interval: "1h"),
            workload: (users: {lambda}, rps_per_user: 1.0, mix: {{ "serve": 1.0 }}),
            components: [
                LoadBalancer(name: "lb", targets: {{ "station": 1 }}),
                Deployment(name: "station", replicas: 1, concurrency: {c}),
            ],
            endpoints: {{ "serve": [Lb("lb"), Compute(Exp("{mean}ms"))] }},
        )"#,
        mean = 1000.0 / mu
    )
}

fn replicate(lambda: f64, mu: f64, c: u32, customers_per_rep: f64, reps: u64) -> Vec<Report> {
    let seconds = (customers_per_rep / lambda) as u64;
    let warmup = seconds / 20;
    (0..reps)
        .into_par_iter()
        .map(|r| {
            let text = mmc_scenario(lambda, mu, c, 1000 + r, seconds, warmup);
            let s = scaletwin::scenario::parse(&text, "mmc.ron").unwrap();
            let plan = scaletwin::scenario::validate(&s).unwrap();
            scaletwin::simulate(&plan)
        })
        .collect()
}

fn check_mmc(lambda: f64, mu: f64, c: u32, customers_per_rep: f64, reps: u64) {
    let reports = replicate(lambda, mu, c, customers_per_rep, reps);
    let (wq, w, _) = mmc(lambda, mu, c);
    let wait_p99 = mmc_wait_quantile(lambda, mu, c, 0.99);
    let seeds: Vec<u64> = reports.iter().map(|r| r.seed).collect();
    let label = format!("M/M/{c} λ={lambda} μ={mu} (seeds {seeds:?})");

    // Mean time in system W: end-to-end latency (no network, so it is the station's sojourn).
    let ws: Vec<f64> = reports
        .iter()
        .map(|r| r.summary.latency.mean_ms / 1e3)
        .collect();
    let (w_sim, w_ci) = mean_ci(&ws);
    assert!(
        (w_sim - w).abs() <= w_ci.max(1e-9) + 1e-9 || (w_sim / w - 1.0).abs() < 0.005,
        "{label}: W {w_sim} ± {w_ci} vs exact {w}"
    );
    assert!(
        (w_sim / w - 1.0).abs() < 0.02,
        "{label}: W {w_sim} vs {w} beyond 2%"
    );

    // Mean wait in queue Wq, from the station.
    let wqs: Vec<f64> = reports
        .iter()
        .map(|r| r.stations[0].stats.mean_wait_ms / 1e3)
        .collect();
    let (wq_sim, wq_ci) = mean_ci(&wqs);
    assert!(
        (wq_sim / wq - 1.0).abs() < 0.03,
        "{label}: Wq {wq_sim} ± {wq_ci} vs {wq}"
    );

    // 99th percentile of the wait: within 5%.
    let p99s: Vec<f64> = reports
        .iter()
        .map(|r| r.stations[0].stats.wait_p99_ms / 1e3)
        .collect();
    let (p99_sim, p99_ci) = mean_ci(&p99s);
    assert!(
        (p99_sim / wait_p99 - 1.0).abs() < 0.05,
        "{label}: wait p99 {p99_sim} ± {p99_ci} vs {wait_p99}"
    );

    for r in &reports {
        let st = &r.stations[0].stats;
        // Little's law on the station: L = λ W within 1%.
        let l = st.mean_in_station;
        let lw = st.arrival_rate * st.mean_time_in_station_ms / 1e3;
        assert!(
            (l / lw - 1.0).abs() < 0.01,
            "{label} seed {}: L {l} vs λW {lw}",
            r.seed
        );
        // Utilization = λ / (c μ).
        let rho = lambda / (f64::from(c) * mu);
        assert!(
            (st.utilization / rho - 1.0).abs() < 0.01,
            "{label}: utilization {} vs {rho}",
            st.utilization
        );
        assert_eq!(r.summary.errors, 0);
    }
}

#[test]
fn mm1_at_rho_0_9_matches_theory() {
    // Heavy traffic: the estimator's variance is large, so 10 M customers in all.
    check_mmc(0.9, 1.0, 1, 1_000_000.0, 10);
}

#[test]
fn mm1_at_rho_0_5_matches_theory() {
    check_mmc(0.5, 1.0, 1, 400_000.0, 6);
}

#[test]
fn mm8_at_rho_0_9_matches_theory() {
    check_mmc(7.2, 1.0, 8, 1_000_000.0, 6);
}

#[test]
fn mm4_at_rho_0_75_matches_theory() {
    check_mmc(3.0, 1.0, 4, 400_000.0, 6);
}
