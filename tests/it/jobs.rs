//! Job queues: M/M/c theory, the rate limit on job starts, retries and dead
//! letters against the failure probability, schedules, and the client's 202.

use super::stats::{mean_ci, mmc};
use crate::run_text as run;
use rayon::prelude::*;
use scaletwin::report::QueueReport;
use scaletwin::Report;

/// Clients enqueue jobs at `rate` per second (Poisson) on queue `q`, defined by `queue`.
fn scenario(seed: u64, seconds: u64, warmup: u64, rate: f64, queue: &str, work: &str) -> String {
    format!(
        r#"Scenario(
            name: "jobs", seed: {seed},
            run: (duration: "{seconds}s", warmup: "{warmup}s", interval: "10s"),
            workload: (users: {rate}, rps_per_user: 1.0, mix: {{ "submit": 1.0 }}, client_timeout: "1s"),
            components: [ {queue} ],
            endpoints: {{ "submit": [Enqueue(queue: "q", work: {work})] }},
        )"#
    )
}

fn q(r: &Report) -> &QueueReport {
    r.queues.iter().find(|q| q.name == "q").unwrap()
}

#[test]
fn poisson_jobs_with_exponential_work_wait_as_in_erlang_c() {
    // λ = 3 jobs/s, mean work 1 s, 2 workers × 2 jobs each = M/M/4 at ρ = 0.75.
    let (lambda, mu, c) = (3.0, 1.0, 4);
    let reports: Vec<Report> = (0..8u64)
        .into_par_iter()
        .map(|r| {
            run(&scenario(
                500 + r,
                40_000,
                1000,
                lambda,
                r#"Queue(name: "q", workers: 2, concurrency: 2)"#,
                r#"Exp("1s")"#,
            ))
        })
        .collect();
    let (wq, w, _) = mmc(lambda, mu, c);
    let waits: Vec<f64> = reports.iter().map(|r| q(r).wait.mean_ms / 1e3).collect();
    let (wq_sim, ci) = mean_ci(&waits);
    assert!(
        (wq_sim - wq).abs() <= ci || (wq_sim / wq - 1.0).abs() < 0.03,
        "job wait {wq_sim} ± {ci} vs Erlang C {wq}"
    );
    assert!((wq_sim / wq - 1.0).abs() < 0.04, "{wq_sim} vs {wq}");
    eprintln!("M/M/4 job wait {wq_sim:.4} ± {ci:.4} s vs Erlang C {wq:.4} s");
    let runs: Vec<f64> = reports.iter().map(|r| q(r).run.mean_ms / 1e3).collect();
    assert!((mean_ci(&runs).0 - 1.0 / mu).abs() < 0.02);
    let totals: Vec<f64> = reports.iter().map(|r| q(r).total.mean_ms / 1e3).collect();
    assert!((mean_ci(&totals).0 / w - 1.0).abs() < 0.05);
    // Worker slots are busy ρ of the time; the queue station shows the depth (Lq = λ Wq).
    let util: Vec<f64> = reports.iter().map(|r| q(r).stats.utilization).collect();
    assert!((mean_ci(&util).0 - 0.75).abs() < 0.01);
    let lq: Vec<f64> = reports
        .iter()
        .map(|r| q(r).stats.mean_queue_length)
        .collect();
    assert!((mean_ci(&lq).0 / (lambda * wq) - 1.0).abs() < 0.06);
}

#[test]
fn more_workers_cut_the_wait() {
    let wait = |workers: u32| {
        let queue = format!(r#"Queue(name: "q", workers: {workers})"#);
        q(&run(&scenario(7, 2000, 100, 3.0, &queue, r#"Exp("1s")"#)))
            .wait
            .mean_ms
    };
    let (four, eight) = (wait(4), wait(8));
    assert!(eight < four / 5.0, "{eight} vs {four}");
}

#[test]
fn the_rate_limit_caps_job_starts() {
    // 50 jobs/s offered, 10 jobs/s allowed, plenty of workers.
    let limited = run(&scenario(
        3,
        120,
        20,
        50.0,
        r#"Queue(name: "q", workers: 100, rate_limit: (per_second: 10, burst: 5))"#,
        r#"Const("10ms")"#,
    ));
    let x = q(&limited);
    let rate = x.started as f64 / 100.0;
    assert!((rate - 10.0).abs() < 0.1, "{rate} starts/s");
    // The backlog grows at the difference: about 40 jobs/s.
    assert!(x.depth_at_end > 4000, "depth {}", x.depth_at_end);
    let depth = limited
        .series
        .iter()
        .map(|row| *row.queue_length.last().unwrap())
        .collect::<Vec<_>>();
    assert!(depth.windows(2).all(|w| w[1] > w[0]), "{depth:?}");
    // Without the limit, every job starts at once.
    let free = run(&scenario(
        3,
        120,
        20,
        50.0,
        r#"Queue(name: "q", workers: 100)"#,
        r#"Const("10ms")"#,
    ));
    assert!(q(&free).started as f64 / 100.0 > 45.0);
    assert!(q(&free).wait.max_ms < 0.01);
}

#[test]
fn dead_letters_and_retries_follow_the_failure_probability() {
    let p: f64 = 0.5;
    let r = run(&scenario(
        11,
        600,
        0,
        50.0,
        r#"Queue(name: "q", workers: 50, attempts: 3, failure_probability: 0.5,
                 backoff: (base: "100ms", multiplier: 2, jitter: Equal))"#,
        r#"Exp("20ms")"#,
    ));
    let x = q(&r);
    let n = x.enqueued as f64;
    assert!(n > 25_000.0);
    let dead = x.dead_lettered as f64 / n;
    let expect = p.powi(3);
    let sd = (expect * (1.0 - expect) / n).sqrt();
    assert!((dead - expect).abs() < 4.0 * sd, "dead {dead} vs {expect}");
    // Retries per job: p + p^2 (a second attempt with prob p, a third with p^2).
    let retries = x.retries as f64 / n;
    assert!((retries - (p + p * p)).abs() < 0.02, "retries {retries}");
    assert!((x.attempt_failure_rate - p).abs() < 0.01);
    // Dead-lettered jobs are not client errors.
    assert_eq!(r.summary.errors, 0);
    // Every job ends one way or the other; the rest are still running or backing off.
    let ended = x.succeeded + x.dead_lettered;
    assert!(ended <= x.enqueued && x.enqueued - ended < 100);
    // Backoff shows in the total time: successes after retries waited >= 50 ms (Equal jitter).
    assert!(x.total.p90_ms >= 50.0, "{}", x.total.p90_ms);

    // One attempt: the dead-letter fraction is p itself, with no retries.
    let once = run(&scenario(
        11,
        200,
        0,
        50.0,
        r#"Queue(name: "q", workers: 50, failure_probability: 0.2)"#,
        r#"Exp("20ms")"#,
    ));
    let x = q(&once);
    assert_eq!(x.retries, 0);
    assert!((x.dead_lettered as f64 / x.enqueued as f64 - 0.2).abs() < 0.015);
}

#[test]
fn the_client_gets_its_202_without_waiting_for_the_job() {
    let r = run(&scenario(
        5,
        60,
        0,
        20.0,
        r#"Queue(name: "q", workers: 1)"#,
        r#"Const("10s")"#,
    ));
    // The jobs take 10 s each and pile up, yet every client succeeds at once.
    assert_eq!(r.summary.errors, 0);
    assert_eq!(r.summary.completed, r.summary.arrivals);
    assert!(
        r.summary.latency.max_ms < 0.01,
        "{}",
        r.summary.latency.max_ms
    );
    assert!(q(&r).depth_at_end > 1000);
    assert!(q(&r).wait.max_ms > 30_000.0);
}

#[test]
fn scheduled_jobs_repeat() {
    let r = run(&scenario(
        5,
        3600,
        0,
        0.001,
        r#"Queue(name: "q", workers: 1, schedules: [(every: "5m", work: Const("30s")), (every: "20m", work: Const("1s"))])"#,
        r#"Const("1s")"#,
    ));
    let x = q(&r);
    // At 5m, 10m, ... 55m (11 jobs) and 20m, 40m (2 jobs), plus the few client jobs.
    let clients = r.summary.completed;
    assert_eq!(x.enqueued, 13 + clients);
    assert!(x.run.max_ms >= 30_000.0 - 1.0);
}

#[test]
fn bad_queues_are_input_errors() {
    let text = scenario(
        1,
        60,
        0,
        1.0,
        r#"Queue(name: "q", workers: 0, concurrency: 0, attempts: 0, failure_probability: 1.5,
                 rate_limit: (per_second: 0), backoff: (base: "2s", cap: "1s", multiplier: 0.5),
                 schedules: [(every: "0s", work: Const("1s"))])"#,
        r#"Const("1s")"#,
    );
    let s = scaletwin::scenario::parse(&text, "jobs.ron").unwrap();
    let problems = scaletwin::scenario::validate(&s).unwrap_err();
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    for want in [
        "components[0].workers",
        "components[0].concurrency",
        "components[0].attempts",
        "components[0].failure_probability",
        "components[0].rate_limit.per_second",
        "components[0].backoff.multiplier",
        "components[0].backoff.cap",
        "components[0].schedules[0].every",
    ] {
        assert!(paths.contains(&want), "{want} missing from {paths:?}");
    }
    let text = scenario(
        1,
        60,
        0,
        1.0,
        r#"Queue(name: "q", workers: 1)"#,
        "Const(\"1s\")",
    )
    .replace(r#"Enqueue(queue: "q""#, r#"Enqueue(queue: "docs""#);
    let s = scaletwin::scenario::parse(&text, "jobs.ron").unwrap();
    let problems = scaletwin::scenario::validate(&s).unwrap_err();
    assert_eq!(problems[0].path, "endpoints.submit[0].queue");
    assert!(problems[0]
        .message
        .contains("no Queue is named \"docs\"; Queues: \"q\""));
}

#[test]
fn a_worker_deployment_supplies_one_worker_per_pod_and_its_slowdowns() {
    let with = |queue: &str, faults: &str| {
        let text = scenario(9, 600, 60, 3.0, queue, r#"Exp("1s")"#).replace(
            "components: [",
            r#"faults: [FAULTS], components: [Deployment(name: "workers", replicas: 3, concurrency: 1),"#,
        );
        run(&text.replace("FAULTS", faults))
    };
    let by_count = with(r#"Queue(name: "q", workers: 3, concurrency: 2)"#, "");
    let by_pods = with(
        r#"Queue(name: "q", deployment: "workers", concurrency: 2)"#,
        "",
    );
    // 3 pods × 2 jobs = the same 6 slots, the same random streams: the same queue.
    assert_eq!(q(&by_count), q(&by_pods));
    assert_eq!(q(&by_pods).stats.servers, 6.0);
    // Slowing the worker pods slows the jobs.
    let slow = with(
        r#"Queue(name: "q", deployment: "workers", concurrency: 2)"#,
        r#"Slowdown(target: "workers", factor: 2.0, at: "0s")"#,
    );
    // Every draw doubles; the measured set of jobs differs a little (fewer
    // finish when they are slower), hence a tolerance rather than equality.
    let ratio = q(&slow).run.mean_ms / q(&by_pods).run.mean_ms;
    assert!((ratio - 2.0).abs() < 0.025, "{ratio}");
    // Exactly one of the two.
    let text = scenario(
        1,
        60,
        0,
        1.0,
        r#"Queue(name: "q", workers: 2, deployment: "api")"#,
        r#"Const("1s")"#,
    );
    let s = scaletwin::scenario::parse(&text, "jobs.ron").unwrap();
    let problems = scaletwin::scenario::validate(&s).unwrap_err();
    assert_eq!(problems[0].path, "components[0].workers");
    assert!(problems[0].message.contains("not both or neither"));
    assert!(problems.iter().any(|p| p.path == "components[0].deployment"
        && p.message.contains("no Deployment is named \"api\"")));
}

/// One worker, no clients to speak of, and jobs only from `schedules`.
fn scheduled_only(duration: &str, schedules: &str) -> String {
    format!(
        r#"Scenario(
            name: "sched", seed: 1,
            run: (duration: "{duration}", interval: "1h"),
            workload: (users: 1, rps_per_user: 0.0001, mix: {{ "noop": 1.0 }}),
            components: [ Queue(name: "q", workers: 1, schedules: [{schedules}]) ],
            endpoints: {{ "noop": [Delay(Const("1ms"))] }},
        )"#
    )
}

#[test]
fn higher_priority_jobs_start_first_and_fifo_holds_within_a_priority() {
    // One worker: a 10 s job at 0 s, then a low-priority job at 1 s and a
    // high-priority one at 9 s, each working 1 s. FIFO (equal priorities):
    // the low one starts at 10 s, the high one at 11 s: waits 0, 9 and 2 s.
    // With priorities the high one starts at 10 s and the low one at 11 s:
    // waits 0, 1 and 10 s. Same mean (11/3 s, the conservation law), but the
    // median drops from 2 s to 1 s and the longest wait grows from 9 s to 10 s.
    let schedules = |high: u32| {
        format!(
            r#"(at: ["00:00:00"], work: Const("10s")),
               (at: ["00:00:01"], work: Const("1s"), priority: 0),
               (at: ["00:00:09"], work: Const("1s"), priority: {high})"#
        )
    };
    let fifo = run(&scheduled_only("30s", &schedules(0)));
    let prio = run(&scheduled_only("30s", &schedules(5)));
    let (f, p) = (&q(&fifo).wait, &q(&prio).wait);
    assert_eq!((f.count, p.count), (3, 3));
    // The histogram keeps 3 significant digits: 10 ms at most on these.
    let near = |x: f64, ms: f64| (x - ms).abs() < 10.0;
    assert!(near(f.mean_ms, 11_000.0 / 3.0) && near(p.mean_ms, 11_000.0 / 3.0));
    assert!(near(f.p50_ms, 2_000.0) && near(f.max_ms, 9_000.0), "{f:?}");
    assert!(near(p.p50_ms, 1_000.0) && near(p.max_ms, 10_000.0), "{p:?}");
}

#[test]
fn daily_schedules_fire_at_their_times_of_day() {
    // "03:00" and "15:30" every day from a 00:00 start: in 26 h at 3 h and
    // 15.5 h (2 jobs); in 28 h also at 27 h (3 jobs). `every: "12h"` in 28 h: 12 h and 24 h.
    let daily = r#"(at: ["03:00", "15:30"], work: Const("1s"))"#;
    assert_eq!(q(&run(&scheduled_only("26h", daily))).enqueued, 2);
    assert_eq!(q(&run(&scheduled_only("28h", daily))).enqueued, 3);
    let every = r#"(every: "12h", work: Const("1s"))"#;
    assert_eq!(q(&run(&scheduled_only("28h", every))).enqueued, 2);
    // The worker's busy time is exactly the jobs' work: 3 s out of 28 h.
    let r = run(&scheduled_only("28h", daily));
    assert!((q(&r).run.mean_ms - 1000.0).abs() < 1.0);
    assert!((q(&r).stats.utilization - 3.0 / (28.0 * 3600.0)).abs() < 1e-6);
}
