//! BullMQ's job lock (`lock_duration`, `max_stalled_count`): a job whose
//! worker pod dies is found stalled only when its lock expires (a lock
//! duration after its last renewal, renewals every half lock duration),
//! then goes back to the wait list, or fails for good past its stalls.

use scaletwin::report::QueueReport;
use scaletwin::scenario::{parse, validate};
use scaletwin::Report;

fn queue(r: &Report) -> &QueueReport {
    r.queues.iter().find(|q| q.name == "q").unwrap()
}

/// One worker pod (one slot, 5s start-up); one job of 40s at 100s; the
/// pod is killed at 120s and replaced (ready at 125s).
fn one_job(queue_extra: &str) -> String {
    format!(
        r#"Scenario(
        name: "job-lock", seed: 3, run: (duration: "300s", warmup: "0s", interval: "10s"),
        workload: (users: 1, rps_per_user: 0.001, mix: {{ "a": 1.0 }}),
        components: [
            LoadBalancer(name: "lb", targets: {{ "api": 1 }}),
            Deployment(name: "api", replicas: 1, concurrency: 1),
            Deployment(name: "workers", replicas: 1, concurrency: 1, startup: "5s"),
            Queue(name: "q", deployment: "workers", concurrency: 1,
                  backoff: (base: "1s", jitter: None),
                  schedules: [(every: "100s", work: Const("40s"))]{queue_extra}),
        ],
        endpoints: {{ "a": [Lb("lb"), Compute(Exp("1ms"))] }},
        faults: [KillPods(deployment: "workers", count: 1, at: "120s")],
    )"#
    )
}

fn run(text: &str) -> Report {
    crate::run_text(text)
}

#[test]
fn a_job_lost_with_its_worker_is_retried_when_its_lock_expires() {
    // Jobs at 100s and 200s. Without a lock the first fails at the kill
    // (120s), is retried 1s later and starts on the replacement at 125s:
    // done at 165s, 65s after it was enqueued.
    let plain = run(&one_job(", attempts: 2"));
    let q = queue(&plain);
    assert_eq!(
        (q.enqueued, q.succeeded, q.failed_attempts, q.retries),
        (2, 2, 1, 1)
    );
    assert_eq!(q.stalled, 0);
    assert!((q.total.max_ms - 65_000.0).abs() < 65.0, "{q:?}");
    // With a 30s lock renewed every 15s, the last renewal before the kill
    // was at 115s: the lock expires at 145s, the job runs again 145s-185s,
    // 85s after it was enqueued; no attempt or backoff is used.
    let locked = run(&one_job(r#", lock_duration: "30s""#));
    let q = queue(&locked);
    assert_eq!(
        (q.enqueued, q.succeeded, q.failed_attempts, q.retries),
        (2, 2, 1, 0)
    );
    assert_eq!((q.stalled, q.dead_lettered, q.started), (1, 0, 3));
    assert!((q.total.max_ms - 85_000.0).abs() < 85.0, "{q:?}");
    // A 60s lock (renewed every 30s, none yet at the kill) expires at 160s.
    let q60 = run(&one_job(r#", lock_duration: "60s""#));
    assert!(
        (queue(&q60).total.max_ms - 100_000.0).abs() < 100.0,
        "{:?}",
        queue(&q60)
    );
}

#[test]
fn past_max_stalled_count_the_stalled_job_fails_for_good() {
    let r = run(&one_job(r#", lock_duration: "30s", max_stalled_count: 0"#));
    let q = queue(&r);
    assert_eq!(
        (q.enqueued, q.succeeded, q.stalled, q.dead_lettered),
        (2, 1, 1, 1)
    );
    assert_eq!(q.failed_attempts, 1);
}

#[test]
fn a_lock_needs_deployment_workers_and_max_stalled_count_a_lock() {
    let text = one_job(r#", lock_duration: "30s""#)
        .replace(r#"deployment: "workers", concurrency: 1,"#, "workers: 1,");
    let problems = validate(&parse(&text, "t.ron").unwrap()).expect_err("refused");
    assert!(
        problems
            .iter()
            .any(|p| p.path == "components[3].lock_duration"),
        "{problems:?}"
    );
    let text = one_job(", max_stalled_count: 2");
    let problems = validate(&parse(&text, "t.ron").unwrap()).expect_err("refused");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, "components[3].max_stalled_count");
}

#[test]
fn with_a_stalled_interval_the_lost_job_is_found_at_the_check_after_its_lock_expired() {
    // The lock set at 115s (the last renewal) expires at 145s. Checks every
    // 30s (0, 30, ..., 120, 150): the one at 120s marks the job, the one
    // at 150s finds its lock gone: it runs 150s-190s, 90s after its enqueue.
    let r = run(&one_job(
        r#", lock_duration: "30s", stalled_interval: "30s""#,
    ));
    let q = queue(&r);
    assert_eq!((q.stalled, q.succeeded, q.started), (1, 2, 3));
    assert!((q.total.max_ms - 90_000.0).abs() < 90.0, "{q:?}");
    // Every 60s (120s marks, 180s finds): it runs 180s-220s, 120s after.
    let r = run(&one_job(
        r#", lock_duration: "30s", stalled_interval: "60s""#,
    ));
    assert!(
        (queue(&r).total.max_ms - 120_000.0).abs() < 120.0,
        "{:?}",
        queue(&r)
    );
}

/// One job of 40s at 100s on `workers` fixed workers whose locks of 30s
/// are not renewed (the job blocks the worker's event loop); the run ends
/// at 199s, before the next scheduled job.
fn blocking_job(workers: u32, queue_extra: &str) -> String {
    format!(
        r#"Scenario(
        name: "job-lock-blocked", seed: 3, run: (duration: "199s", warmup: "0s", interval: "10s"),
        workload: (users: 1, rps_per_user: 0.001, mix: {{ "a": 1.0 }}),
        components: [
            LoadBalancer(name: "lb", targets: {{ "api": 1 }}),
            Deployment(name: "api", replicas: 1, concurrency: 1),
            Queue(name: "q", workers: {workers}, concurrency: 1,
                  schedules: [(every: "100s", work: Const("40s"))],
                  lock_duration: "30s", lock_renewal: Some(false){queue_extra}),
        ],
        endpoints: {{ "a": [Lb("lb"), Compute(Exp("1ms"))] }},
    )"#
    )
}

#[test]
fn a_job_longer_than_its_unrenewed_lock_runs_twice_and_then_fails() {
    // Checks every 30s. Run 1 (100s-140s) loses its lock at 130s; its
    // completion at 140s is refused; the check at 120s marked it, the one
    // at 150s finds it: stall 1, run 2 at 150s on the free worker. Its
    // lock is gone at 180s, when the check (150s marked) finds it still
    // running: stall 2 > max_stalled_count 1, the job fails for good while
    // run 2 goes on to 190s, refused too: two runs of work, no success.
    let r = run(&blocking_job(1, r#", stalled_interval: "30s""#));
    let q = queue(&r);
    assert_eq!(
        (
            q.enqueued,
            q.started,
            q.succeeded,
            q.stalled,
            q.dead_lettered
        ),
        (1, 2, 0, 2, 1),
        "{q:?}"
    );
    assert_eq!((q.lost_runs, q.failed_attempts), (2, 2));
    // The run's table says it under the queues.
    assert!(scaletwin::report::render_table(&r).contains(
        "  q: 2 attempts found stalled (lock expired), 2 runs lost (their work done again)"
    ));
    // Each run held its worker its full 40s (run time max 40s, and the
    // worker was busy 80s of the 199s).
    assert!((q.run.max_ms - 40_000.0).abs() < 40.0, "{q:?}");
    assert!((q.stats.utilization - 80.0 / 199.0).abs() < 1e-3, "{q:?}");
    // With renewals (BullMQ's default) the same job simply succeeds.
    let renewed = blocking_job(1, r#", stalled_interval: "30s""#)
        .replace("lock_renewal: Some(false)", "lock_renewal: Some(true)")
        .replace("workers: 1,", r#"deployment: "api","#);
    let q = run(&renewed);
    let q = queue(&q);
    assert_eq!(
        (q.started, q.succeeded, q.stalled, q.lost_runs),
        (1, 1, 0, 0)
    );
}

#[test]
fn a_second_worker_runs_the_stalled_job_while_the_first_run_goes_on() {
    // Found at the exact expiry (no stalled_interval): at 130s, while run 1
    // still has 10s to go, the job goes back to wait and worker 2 takes it
    // at once (both work on it until 140s: a duplicate). Run 2's lock is
    // gone at 160s: stall 2 > 1, failed; runs 1 and 2 end refused.
    let r = run(&blocking_job(2, ""));
    let q = queue(&r);
    assert_eq!(
        (q.started, q.stalled, q.dead_lettered, q.lost_runs),
        (2, 2, 1, 2),
        "{q:?}"
    );
    // 30s of wait-free reruns: the second run started at 130s, no wait.
    assert!(q.wait.max_ms < 1.0, "{q:?}");
    // Both workers busy 130s-140s: 80s of work over 2 workers and 199s.
    assert!((q.stats.utilization - 80.0 / 398.0).abs() < 1e-3, "{q:?}");
    // With max_stalled_count 2 the third run starts at 160s on worker 1
    // (free since 140s) and is still running at the end; its lock is gone
    // at 190s, when stall 3 fails the job.
    let r = run(&blocking_job(2, ", max_stalled_count: 2"));
    let q = queue(&r);
    assert_eq!((q.started, q.stalled, q.dead_lettered), (3, 3, 1), "{q:?}");
}

#[test]
fn stalled_interval_and_lock_renewal_need_a_lock_duration() {
    for (field, value) in [
        ("stalled_interval", r#""30s""#),
        ("lock_renewal", "Some(false)"),
    ] {
        let text = one_job(&format!(", {field}: {value}"));
        let problems = validate(&parse(&text, "t.ron").unwrap()).expect_err("refused");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].path, format!("components[3].{field}"));
        assert!(
            problems[0].message.contains("lock_duration"),
            "{problems:?}"
        );
    }
    let text = one_job(r#", lock_duration: "30s", stalled_interval: "0s""#);
    let problems = validate(&parse(&text, "t.ron").unwrap()).expect_err("refused");
    assert_eq!(problems[0].path, "components[3].stalled_interval");
}
