//! Rolling updates (`Deploy`): the Deployment controller's steps, cold L1
//! caches on the new pods, and what `max_surge` / `max_unavailable` cost.

use crate::run_text;
use scaletwin::report::{RolloutReport, RolloutStep};
use scaletwin::Report;

/// 10 pods of 4 workers (20 ms each: 200 rps a pod), 10 s startup, an L1
/// per pod, 1,200 rps offered (60% of 10 pods); a rollout at 30 s.
fn scenario(deploy: &str, warmup: &str) -> String {
    format!(
        r#"Scenario(
            name: "rollout", seed: 7,
            run: (duration: "90s", warmup: "{warmup}", interval: "1s"),
            workload: (users: 1_200, rps_per_user: 1.0, mix: {{ "get": 1.0 }},
                       keys: (count: 20_000, popularity: Zipf(1.0)), client_timeout: "2s"),
            components: [
                LoadBalancer(name: "lb", strategy: LeastConnections, targets: {{ "api": 1 }}),
                Deployment(name: "api", replicas: 10, concurrency: 4, queue_limit: 40,
                           startup: "10s", l1: (capacity: 2_000, ttl: "5m")),
                Database(name: "pg", connections: 100),
            ],
            endpoints: {{
                "get": [Lb("lb"), Compute(Exp("20ms")),
                        CacheAside(tiers: [L1], on_miss: [DbRead(Const("2ms"))])],
            }},
            faults: [{deploy}],
        )"#
    )
}

fn rollout(r: &Report) -> &RolloutReport {
    &r.scaling[0].rollouts[0]
}

fn step(t_s: f64, old: u32, new: u32) -> RolloutStep {
    RolloutStep { t_s, old, new }
}

#[test]
fn ten_pods_at_25_percent_follow_the_controllers_arithmetic() {
    let r = run_text(&scenario(
        r#"Deploy(deployment: "api", at: "30s", max_surge: "25%", max_unavailable: "25%")"#,
        "5s",
    ));
    let ro = rollout(&r);
    // maxSurge = ceil(25% x 10) = 3, maxUnavailable = floor(25% x 10) = 2:
    // at most 13 pods, at least 8 available.
    assert_eq!((ro.surge_pods, ro.unavailable_pods), (3, 2));
    // t=30: new = min(10, 0 + (13 - 10)) = 3; old: ready 10 - min 8 = 2 go: 8.
    //       new = min(10, 3 + (13 - 11)) = 5; old: 13 - 8 - 5 unready = 0 more.
    // t=40 (the 5 new pods ready): ready 13 - 8 = 5 old go: 3;
    //       new = min(10, 5 + (13 - 8)) = 10; old: 13 - 8 - 5 unready = 0.
    // t=50 (the other 5 ready): ready 13 - 8 = 5 > 3 old: 0. Complete.
    assert_eq!(
        ro.steps,
        [
            step(30.0, 8, 3),
            step(30.0, 8, 5),
            step(40.0, 3, 5),
            step(40.0, 3, 10),
            step(50.0, 0, 10),
        ]
    );
    assert_eq!((ro.peak_pods, ro.min_ready, ro.pods_created), (13, 8, 10));
    assert_eq!(ro.completed_s, Some(50.0));
    // The timeline shows the rollout's window.
    assert_eq!(r.faults[0].label, "Deploy(api)");
    assert_eq!((r.faults[0].at_s, r.faults[0].until_s), (30.0, Some(50.0)));
    // The replica rows never see more than 13 pods nor fewer than 8 ready.
    for row in &r.scaling[0].series {
        assert!(row.ready + row.starting <= 13, "{row:?}");
        assert!(row.ready >= 8, "{row:?}");
    }
    let last = r.scaling[0].series.last().unwrap();
    assert_eq!((last.ready, last.starting), (10, 0));
}

#[test]
fn absolute_counts_and_zero_unavailable_go_one_surge_pod_at_a_time() {
    let r = run_text(&scenario(
        r#"Deploy(deployment: "api", at: "30s", max_surge: 2, max_unavailable: 0)"#,
        "5s",
    ));
    let ro = rollout(&r);
    // 12 pods at most, 10 ready at least: 2 new, then each pair ready lets
    // 2 old go and 2 new start, every 10 s: done after 5 batches.
    assert_eq!((ro.peak_pods, ro.min_ready), (12, 10));
    assert_eq!(ro.completed_s, Some(80.0));
    assert_eq!(ro.steps[0], step(30.0, 10, 2));
    assert_eq!(ro.steps[1], step(40.0, 8, 2));
    assert_eq!(ro.steps[2], step(40.0, 8, 4));
    assert_eq!(ro.steps.last(), Some(&step(80.0, 0, 10)));
}

#[test]
fn new_pods_start_with_cold_l1_caches_that_refill() {
    let hit_ratio = |r: &Report| {
        let l1 = r.caches.iter().find(|c| c.name == "api/l1").unwrap();
        l1.hit_ratio
    };
    // 500 entries per L1 (the hot keys): a pod's cache fills in seconds.
    let run = |deploy: &str, warmup: &str, duration: &str| {
        let text = scenario(deploy, warmup)
            .replace("capacity: 2_000", "capacity: 500")
            .replace(r#"duration: "90s""#, &format!("duration: {duration:?}"));
        hit_ratio(&run_text(&text))
    };
    let deploy = r#"Deploy(deployment: "api", at: "30s")"#;
    // Measured from 25 s to 60 s: the rollout's cold caches count.
    let steady = run("", "25s", "60s");
    let during = run(deploy, "25s", "60s");
    assert!(
        during < steady - 0.02,
        "cold L1s lower the hit ratio: {during} vs {steady}"
    );
    // Measured from 100 s (rollout done at 50 s): the new pods' caches
    // are warm again.
    let steady = run("", "100s", "150s");
    let after = run(deploy, "100s", "150s");
    assert!(
        (after - steady).abs() < 0.01,
        "refilled: {after} vs {steady}"
    );
}

#[test]
fn zero_downtime_with_surge_only_and_errors_with_a_big_batch() {
    let safe = run_text(&scenario(
        r#"Deploy(deployment: "api", at: "30s", max_surge: "25%", max_unavailable: 0)"#,
        "5s",
    ));
    let big = run_text(&scenario(
        r#"Deploy(deployment: "api", at: "30s", max_surge: 0, max_unavailable: "50%")"#,
        "5s",
    ));
    let (safe_ro, big_ro) = (rollout(&safe), rollout(&big));
    // Surge only: 10 ready pods throughout, 60% busy: nothing fails and the
    // p99 stays that of the run.
    assert_eq!(safe_ro.min_ready, 10);
    assert_eq!(safe_ro.errors, 0);
    assert_eq!(safe.summary.errors, 0);
    assert!(safe_ro.latency.p99_ms < 1.5 * safe_ro.p99_outside_ms);
    assert_eq!(safe_ro.error_rate_outside, 0.0);
    // Half the pods at once: 5 pods (1,000 rps) for 1,200 rps while the new
    // ones start: queues fill, requests fail, the p99 jumps.
    assert_eq!(big_ro.min_ready, 5);
    assert!(big_ro.errors > 1_000, "{big_ro:?}");
    // Queues of 40 at 200 rps a pod: about 200 ms more wait.
    let (big_p99, safe_p99) = (big_ro.latency.p99_ms, safe_ro.latency.p99_ms);
    assert!(big_p99 > 2.0 * safe_p99, "{big_p99} vs {safe_p99}");
    assert!(big_p99 > 2.0 * big_ro.p99_outside_ms);
    assert!(big_ro.error_rate > 0.05 && big_ro.error_rate_outside < 0.01);
    assert_eq!(big.summary.errors, big_ro.errors);
}

#[test]
fn a_rollout_under_an_hpa_follows_its_desired_count() {
    let text = scenario(r#"Deploy(deployment: "api", at: "30s")"#, "5s").replace(
        r#"startup: "10s","#,
        r#"startup: "10s", hpa: (min: 4, max: 20, cpu: 40),"#,
    );
    let r = run_text(&text);
    let s = &r.scaling[0];
    let ro = &s.rollouts[0];
    // The desired count when the last step was taken is the new
    // template's count at the end.
    let desired = s
        .series
        .iter()
        .rev()
        .find(|row| row.t_s <= ro.completed_s.unwrap())
        .unwrap()
        .desired;
    assert_eq!(ro.steps.last().unwrap().new, desired);
    assert!(desired != 10, "the HPA moved it: {desired}");
}

#[test]
fn an_hpa_scaling_mid_rollout_grows_both_replica_sets_in_proportion() {
    let text = scenario(
        r#"Deploy(deployment: "api", at: "30s", max_surge: "25%", max_unavailable: 0)"#,
        "5s",
    )
    .replace(
        r#"startup: "10s","#,
        r#"startup: "10s", hpa: (min: 4, max: 40, cpu: 40),"#,
    )
    .replace(
        "users: 1_200,",
        r#"users: 1_200, pattern: Spike(at: "33s", factor: 2.0, for: "10m"),"#,
    );
    let r = run_text(&text);
    let s = &r.scaling[0];
    let desired_at = |t: f64| s.series.iter().find(|row| row.t_s == t).unwrap().desired;
    // The HPA's sync at 60 s takes the deployment from 16 to 23 replicas
    // while the rollout stands at 8 old and 12 new pods (16 + 4 surge).
    assert_eq!((desired_at(59.0), desired_at(60.0)), (16, 23));
    let ro = &s.rollouts[0];
    let i = ro.steps.iter().position(|st| st.t_s == 60.0).unwrap();
    assert_eq!(ro.steps[i - 1], step(50.0, 8, 12));
    // sync.go `scale`: 23 + ceil(25% x 23) = 29 allowed, 9 to add, shared by
    // size against the max-replicas annotation 20, larger first: new
    // round(12 x 29 / 20) - 12 = 5, old min(round(8 x 29 / 20) - 8, 9 - 5)
    // = 4. The rolling rule alone would grow only the new one (to 21).
    assert_eq!(ro.steps[i], step(60.0, 12, 17));
    // Then the rolling steps go on to 23 new pods.
    assert_eq!(ro.steps.last(), Some(&step(80.0, 0, 23)));
    assert_eq!(ro.completed_s, Some(80.0));
}
