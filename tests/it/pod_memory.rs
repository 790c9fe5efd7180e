//! Memory on pods against its arithmetic: a pod's memory is its idle
//! footprint plus `per_request_mib` per request in it plus its L1's entries
//! times `l1.item_size`; over `limits.memory` it is OOM-killed at the very
//! request that takes it over, its requests fail, and it restarts in place
//! with the kubelet's back-off (none, then 10 s, 20 s, ...). The HPA's
//! memory metric reads the same model.

use scaletwin::report::PodMemoryReport;
use scaletwin::scenario::{parse, resolve_paths, validate};
use scaletwin::Report;
use std::path::PathBuf;

/// A fresh directory for one test's files.
fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("scaletwin-mem-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Unix time of the log's first request (the run's time zero).
const T0: u64 = 1_700_000_000;

/// A request log: 2048 "warm" requests with distinct keys in the first
/// 0.82 s (each leaves one L1 entry), then one "hold" request every 10 ms
/// from 2 s to 60 s (each stays in the pod for a minute).
fn write_log(path: &std::path::Path) {
    let mut text = String::from("intended_time,endpoint,key\n");
    for i in 0..2048u64 {
        let us = i * 400;
        text.push_str(&format!("{T0}.{us:06},warm,{i}\n"));
    }
    for k in 0..5800u64 {
        let ms = 2000 + k * 10;
        text.push_str(&format!(
            "{}.{:06},hold,0\n",
            T0 + ms / 1000,
            (ms % 1000) * 1000
        ));
    }
    std::fs::write(path, text).unwrap();
}

/// One pod (one worker: the other requests wait in its queue, and count in
/// its memory) with 200Mi idle + 1Mi per request, an L1 of 2048 entries of
/// 10Ki (20Mi when full), a 300Mi limit and a 1 s startup, run for `duration`.
fn run(name: &str, duration: &str, limit: &str) -> Report {
    let d = dir(name);
    write_log(&d.join("requests.csv"));
    let text = format!(
        r#"Scenario(
            name: "oom", seed: 1,
            run: (duration: "{duration}", warmup: "0s", interval: "1s"),
            workload: (users: 1, arrivals: Replay(file: "requests.csv"), keys: (count: 4096),
                       mix: {{ "warm": 1.0, "hold": 1.0 }}),
            components: [
                LoadBalancer(name: "lb", targets: {{ "api": 1 }}),
                Deployment(name: "api", replicas: 1, concurrency: 1, startup: "1s",
                           l1: (capacity: 4096, item_size: "10Ki"),
                           resources: (requests: (memory: "256Mi"), limits: (memory: "{limit}"),
                                       base_memory_mib: "200Mi", per_request_mib: "1Mi")),
            ],
            endpoints: {{
                "warm": [Lb("lb"), CacheAside(tiers: [L1], on_miss: [Compute(Const("1us"))])],
                "hold": [Lb("lb"), Compute(Const("60s"))],
            }},
        )"#
    );
    let mut s = parse(&text, "oom.ron").unwrap_or_else(|e| panic!("{e}"));
    resolve_paths(&mut s, &d);
    let plan = validate(&s).unwrap_or_else(|p| panic!("{p:?}"));
    scaletwin::simulate(&plan)
}

fn memory(r: &Report) -> &PodMemoryReport {
    r.scaling[0].memory.as_ref().expect("a memory section")
}

fn failed(r: &Report, cause: &str) -> u64 {
    r.summary.errors_by_cause.get(cause).copied().unwrap_or(0)
}

#[test]
fn the_pod_is_oom_killed_at_exactly_the_computed_in_flight_count() {
    // 200Mi + 2048 x 10Ki (= 20Mi) + n x 1Mi > 300Mi first at n = 81: the
    // 81st hold request, which arrives at 2 s + 80 x 10 ms = 2.80 s.
    let before = run("before", "2795ms", "300Mi");
    assert_eq!(memory(&before).oom_kills, 0);
    assert_eq!(before.summary.errors, 0);
    assert_eq!(memory(&before).peak_mib, 300.0, "200 + 20 + 80 requests");
    let after = run("after", "2805ms", "300Mi");
    let m = memory(&after);
    assert_eq!((m.oom_kills, m.restarts), (1, 1));
    assert_eq!(m.peak_mib, 301.0);
    // The 80 requests waiting in its queue (the 81st among them) fail at
    // once; the one in service fails when its step ends.
    assert_eq!(failed(&after, "pod_killed"), 80);
    assert_eq!(after.summary.in_flight, 1);
    assert_eq!(
        after.scaling[0].pods_killed, 0,
        "an OOM kill is not a deletion"
    );
}

#[test]
fn the_restarted_pod_is_out_of_the_balancer_for_its_startup_then_backs_off() {
    // First kill at 2.80 s: restarted at once, ready at 3.80 s (startup 1 s);
    // the 99 requests from 2.81 to 3.79 s find no healthy pod.
    let r = run("startup", "3805ms", "300Mi");
    assert_eq!(failed(&r, "no_healthy_pod"), 99);
    // Its L1 restarted cold: 200 + n > 300 first at n = 101, the 101st
    // request from 3.80 s, at 4.80 s: the second kill, 10 s of back-off.
    let r = run("second-before", "4795ms", "300Mi");
    assert_eq!(memory(&r).oom_kills, 1);
    let r = run("second", "4805ms", "300Mi");
    assert_eq!((memory(&r).oom_kills, memory(&r).restarts), (2, 1));
    // Restarted at 14.80 s, ready at 15.80 s, third kill at 16.80 s.
    let r = run("second-restart", "14805ms", "300Mi");
    assert_eq!((memory(&r).oom_kills, memory(&r).restarts), (2, 2));
    let r = run("third-before", "16795ms", "300Mi");
    assert_eq!(memory(&r).oom_kills, 2);
    let r = run("third", "16805ms", "300Mi");
    assert_eq!(memory(&r).oom_kills, 3);
    // Then 20 s of back-off: the restart at 36.80 s.
    let r = run("third-restart-before", "36795ms", "300Mi");
    assert_eq!(memory(&r).restarts, 2);
    let r = run("third-restart", "36805ms", "300Mi");
    assert_eq!(memory(&r).restarts, 3);
}

#[test]
fn a_limit_above_the_peak_kills_nothing() {
    // 58 s of hold requests (5800 of them, all still in the pod): 200 + 20 + 5800.
    let r = run("roomy", "62s", "6100Mi");
    let m = memory(&r);
    assert_eq!((m.oom_kills, m.restarts), (0, 0));
    assert_eq!(m.peak_mib, 6020.0);
    assert_eq!(r.summary.errors, 0);
}

/// Replicas at the end of a run of two pods (100Mi idle, 200Mi requested)
/// scaled on memory at 80 %, whose L1s take `l1` (`""`: no item size).
fn replicas_on_memory(item_size: &str) -> u32 {
    let text = format!(
        r#"Scenario(
            name: "hpa-memory", seed: 3,
            run: (duration: "120s", warmup: "0s", interval: "5s"),
            workload: (users: 200, rps_per_user: 1.0, keys: (count: 1000000),
                       mix: {{ "get": 1.0 }}),
            components: [
                LoadBalancer(name: "lb", targets: {{ "api": 1 }}),
                Deployment(name: "api", replicas: 2, concurrency: 8,
                           hpa: (min: 2, max: 3, memory: 80),
                           l1: (capacity: 2000 {item_size}),
                           resources: (requests: (memory: "200Mi"),
                                       base_memory_mib: "100Mi", per_request_mib: "1Mi")),
            ],
            endpoints: {{ "get": [Lb("lb"), CacheAside(tiers: [L1], on_miss: [Compute(Exp("1ms"))])] }},
        )"#
    );
    let r = crate::run_text(&text);
    assert_eq!(r.summary.errors, 0);
    r.scaling[0].series.last().unwrap().desired
}

#[test]
fn the_hpa_memory_metric_counts_what_the_l1_holds() {
    // Almost every key is new, so each pod's L1 fills to 2000 entries: with
    // 50Ki entries that is 97.7Mi, and a pod uses 100 + 97.7 + ~0.1 (requests
    // in flight) of its 200Mi: 99 % against the 80 % target, past the 10 %
    // tolerance: the HPA scales up to its max of 3.
    assert_eq!(replicas_on_memory(r#", item_size: "50Ki""#), 3);
    // Without an item size the L1 is not counted: 50 % stays at the min.
    assert_eq!(replicas_on_memory(""), 2);
}
