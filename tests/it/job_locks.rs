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
