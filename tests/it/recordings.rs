//! Traffic from recordings: a rate trace (`pattern: Trace`) and a replayed
//! request log (`arrivals: Replay`).

use scaletwin::scenario::{parse, resolve_paths, validate, Plan};
use scaletwin::workload::{Feed, NewRequest};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A fresh directory for one test's files.
fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("scaletwin-rec-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A two-endpoint scenario over `workload` (which names files relative to `dir`).
fn model_in(dir: &Path, workload: &str, duration: &str) -> Result<Plan, String> {
    let text = format!(
        r#"Scenario(
            name: "recorded", seed: 11, run: (duration: "{duration}", interval: "1s"),
            workload: ({workload}, mix: {{ "list": 1.0, "update": 1.0 }},
                       keys: (count: 1000, popularity: Zipf(0.9))),
            components: [
                LoadBalancer(name: "lb", targets: {{ "api": 1 }}),
                Deployment(name: "api", replicas: 4, concurrency: 8),
            ],
            endpoints: {{ "list": [Lb("lb"), Compute(Exp("1ms"))], "update": [Lb("lb"), Compute(Exp("2ms"))] }},
        )"#
    );
    let mut s = parse(&text, "recorded.ron").map_err(|e| e.to_string())?;
    resolve_paths(&mut s, dir);
    validate(&s).map_err(|p| format!("{p:?}"))
}

fn drain(plan: &Plan) -> Vec<NewRequest> {
    Feed::with(plan, |mut feed| {
        std::iter::from_fn(|| feed.next_request()).collect()
    })
}

/// A request log made without any random generator: in second `s`,
/// `(s * 7) % 13 + 1` "list" requests and `(s * 3) % 5` "update" requests,
/// spread evenly, at Unix times from 1_700_000_000; keys cycle.
fn write_log(path: &Path, seconds: u64) -> BTreeMap<(u64, &'static str), u64> {
    let mut text = String::from("intended_time,endpoint,key,status,latency\n");
    let mut counts = BTreeMap::new();
    for s in 0..seconds {
        let list = (s * 7) % 13 + 1;
        let update = (s * 3) % 5;
        let mut rows: Vec<(u64, &str)> = (0..list)
            .map(|i| (i * 1_000_000 / list, "list"))
            .chain((0..update).map(|i| (i * 1_000_000 / update + 17, "update")))
            .collect();
        rows.sort();
        for (n, (micros, e)) in rows.into_iter().enumerate() {
            text.push_str(&format!(
                "{}.{micros:06},{e},{},200,0.004\n",
                1_700_000_000 + s,
                (s * 31 + n as u64) % 1000
            ));
            *counts.entry((s, e)).or_insert(0) += 1;
        }
    }
    std::fs::write(path, text).unwrap();
    counts
}

fn per_second(requests: &[NewRequest]) -> BTreeMap<(u64, &'static str), u64> {
    let mut counts = BTreeMap::new();
    for r in requests {
        let e = ["list", "update"][r.endpoint as usize];
        *counts
            .entry((r.at.as_nanos() / 1_000_000_000, e))
            .or_insert(0) += 1;
    }
    counts
}

#[test]
fn a_replayed_log_reproduces_the_recorded_requests_per_endpoint_per_second() {
    let d = dir("exact");
    let recorded = write_log(&d.join("requests.csv"), 60);
    let m = model_in(
        &d,
        r#"users: 100, arrivals: Replay(file: "requests.csv")"#,
        "60s",
    )
    .unwrap();
    let requests = drain(&m);
    assert_eq!(per_second(&requests), recorded);
    // The recorded keys are kept.
    assert_eq!(requests[1].key, 31);
    // The simulation offers exactly these requests, second by second.
    let report = scaletwin::simulate(&m);
    for row in &report.series {
        let s = row.t_s as u64 - 1;
        let want =
            recorded.get(&(s, "list")).unwrap_or(&0) + recorded.get(&(s, "update")).unwrap_or(&0);
        assert_eq!(row.offered_rps, want as f64, "second {s}");
    }
    let total: u64 = recorded.values().sum();
    let done: u64 = report
        .endpoints
        .iter()
        .map(|e| e.completed + e.errors)
        .sum();
    assert_eq!(done, total);

    // JSON Lines read the same way.
    let mut jsonl = String::new();
    for line in std::fs::read_to_string(d.join("requests.csv"))
        .unwrap()
        .lines()
        .skip(1)
    {
        let f: Vec<&str> = line.split(',').collect();
        jsonl.push_str(&format!(
            "{{\"timestamp\": {}, \"endpoint\": \"{}\", \"key\": \"{}\", \"extra\": [1]}}\n",
            f[0], f[1], f[2]
        ));
    }
    std::fs::write(d.join("requests.jsonl"), jsonl).unwrap();
    let mj = model_in(
        &d,
        r#"users: 100, arrivals: Replay(file: "requests.jsonl")"#,
        "60s",
    )
    .unwrap();
    assert_eq!(drain(&mj), requests);
}

#[test]
fn speed_compresses_time_and_scale_multiplies_the_load_keeping_its_shape() {
    let d = dir("scale");
    let recorded = write_log(&d.join("requests.csv"), 120);
    let total: u64 = recorded.values().sum();
    let fast = model_in(
        &d,
        r#"users: 100, arrivals: Replay(file: "requests.csv", speed: 2.0)"#,
        "60s",
    )
    .unwrap();
    let fast = drain(&fast);
    assert_eq!(
        fast.len() as u64,
        total,
        "the whole log fits in half the time"
    );
    let by_half: u64 = recorded
        .iter()
        .filter(|((s, _), _)| *s < 10)
        .map(|(_, n)| n)
        .sum();
    assert_eq!(
        fast.iter().filter(|r| r.at.as_secs_f64() < 5.0).count() as u64,
        by_half
    );

    let m = model_in(
        &d,
        r#"users: 100, arrivals: Replay(file: "requests.csv", scale: 2.0)"#,
        "200s",
    )
    .unwrap();
    let doubled = drain(&m);
    assert_eq!(
        doubled.len() as u64,
        2 * total,
        "scale 2 issues every request twice"
    );
    assert!(
        doubled.windows(2).all(|w| w[0].at <= w[1].at),
        "in time order"
    );
    // The shape: per endpoint and 10-second window, twice the recording,
    // give or take the copies (delayed < 1 s) of the window's last second.
    let got = per_second(&doubled);
    for e in ["list", "update"] {
        for w in 0..12u64 {
            let sum = |c: &BTreeMap<(u64, &str), u64>, from: u64, to: u64| -> u64 {
                (from..to)
                    .map(|s| c.get(&(s, e)).copied().unwrap_or(0))
                    .sum()
            };
            let want = 2 * sum(&recorded, 10 * w, 10 * w + 10);
            let slack = sum(&recorded, 10 * w + 9, 10 * w + 10)
                + sum(&recorded, (10 * w).max(1) - 1, 10 * w);
            let have = sum(&got, 10 * w, 10 * w + 10);
            assert!(
                have.abs_diff(want) <= slack,
                "{e} window {w}: {have} vs {want} ± {slack}"
            );
        }
    }
    // A fraction thins: 1.5 issues each request once, and again with probability 1/2.
    let m = model_in(
        &d,
        r#"users: 100, arrivals: Replay(file: "requests.csv", scale: 1.5)"#,
        "200s",
    )
    .unwrap();
    let n = drain(&m).len() as f64;
    let (mean, sd) = (1.5 * total as f64, (total as f64 * 0.25).sqrt());
    assert!((n - mean).abs() < 4.0 * sd, "{n} vs {mean} ± {sd}");
    assert_eq!(
        drain(&m).len() as f64,
        n,
        "the same seed gives the same requests"
    );
}

#[test]
fn a_rate_trace_drives_the_rate_and_its_endpoint_columns_the_mix() {
    let d = dir("trace");
    std::fs::write(
        d.join("rate.csv"),
        "time,rps\n1700000000,200\n1700000020,800\n1700000040,0\n",
    )
    .unwrap();
    let m = model_in(
        &d,
        r#"users: 1, rps_per_user: 1.0, pattern: Trace(file: "rate.csv")"#,
        "60s",
    )
    .unwrap();
    let reqs = drain(&m);
    let count = |from: f64, to: f64| {
        reqs.iter()
            .filter(|r| (from..to).contains(&r.at.as_secs_f64()))
            .count() as f64
    };
    // Poisson counts: within 4 standard deviations.
    for (from, to, rate) in [(0.0, 20.0, 200.0), (20.0, 40.0, 800.0)] {
        let mean: f64 = rate * (to - from);
        assert!(
            (count(from, to) - mean).abs() < 4.0 * mean.sqrt(),
            "{from}..{to}: {}",
            count(from, to)
        );
    }
    assert_eq!(count(40.0, 60.0), 0.0);
    // users × rps_per_user multiplies the recorded rate (a stage with 3× the users).
    let m3 = model_in(
        &d,
        r#"users: 3, rps_per_user: 1.0, pattern: Trace(file: "rate.csv")"#,
        "20s",
    )
    .unwrap();
    let n3 = drain(&m3).len() as f64;
    assert!((n3 - 12_000.0).abs() < 4.0 * 12_000f64.sqrt(), "{n3}");
    // The run ends where the 800 rps row starts: its peak is the 200 rps
    // before (3 users: 600/s), not the trace's 800, from which arrivals
    // would be thinned at four candidates per arrival.
    let footprint = scaletwin::sim::Footprint::of(&m3);
    assert_eq!(footprint.peak_rate, 600.0);
    assert_eq!(footprint.requests, 12_000.0);

    // Per-endpoint columns: the mix follows the recording.
    std::fs::write(d.join("split.csv"), "t,list,update\n0,300,0\n10,100,300\n").unwrap();
    let m = model_in(
        &d,
        r#"users: 1, rps_per_user: 1.0, pattern: Trace(file: "split.csv")"#,
        "20s",
    )
    .unwrap();
    let reqs = drain(&m);
    let first: Vec<_> = reqs.iter().filter(|r| r.at.as_secs_f64() < 10.0).collect();
    assert!(first.iter().all(|r| r.endpoint == 0));
    let second: Vec<_> = reqs.iter().filter(|r| r.at.as_secs_f64() >= 10.0).collect();
    let share = second.iter().filter(|r| r.endpoint == 1).count() as f64 / second.len() as f64;
    assert!((share - 0.75).abs() < 0.03, "{share}");
    assert!((second.len() as f64 - 4000.0).abs() < 4.0 * 4000f64.sqrt());
}

#[test]
fn a_bad_row_is_reported_with_its_file_and_line() {
    let d = dir("bad");
    const TRACE: &str = r#"users: 1, rps_per_user: 1.0, pattern: Trace(file: "rate.csv")"#;
    const REPLAY: &str = r#"users: 1, arrivals: Replay(file: "requests.csv")"#;
    // (file written first, if any; the workload; what the error must say)
    let cases = [
        (
            Some(("rate.csv", "time,rps\n0,10\n5,ten\n")),
            TRACE,
            "rate.csv:3: field `rps`: `ten` is not a finite number",
        ),
        (
            Some(("rate.csv", "time,rps,search\n0,10,1\n")),
            TRACE,
            "column `search` is neither time, rps nor an endpoint; endpoints: list, update",
        ),
        (
            Some(("requests.csv", "timestamp,endpoint\n1,list\n2,lists\n")),
            REPLAY,
            "requests.csv:3: field `endpoint`: no endpoint is named",
        ),
        (
            Some(("requests.csv", "timestamp,endpoint\n2,list\n1,list\n")),
            REPLAY,
            "requests.csv:3: field `timestamp`: timestamps must not go backwards",
        ),
        (
            None,
            r#"users: 1, rps_per_user: 2.0, arrivals: Replay(file: "requests.csv")"#,
            "leave rps_per_user out",
        ),
        (
            None,
            r#"users: 1, arrivals: Replay(file: "missing.csv")"#,
            "missing.csv:0: cannot open",
        ),
    ];
    for (file, workload, said) in cases {
        if let Some((name, text)) = file {
            std::fs::write(d.join(name), text).unwrap();
        }
        let e = model_in(&d, workload, "10s").unwrap_err();
        assert!(e.contains(said), "expected `{said}` in: {e}");
    }

    // On the command line: exit code 2 with the location.
    let scenario = d.join("s.ron");
    std::fs::write(d.join("rate.csv"), "time,rps\n0,10\n5,-3\n").unwrap();
    std::fs::write(&scenario, r#"Scenario(name: "bad", seed: 1, run: (duration: "10s"),
        workload: (users: 1, rps_per_user: 1.0, pattern: Trace(file: "rate.csv"), mix: { "a": 1.0 }),
        components: [LoadBalancer(name: "lb", targets: { "api": 1 }), Deployment(name: "api", replicas: 1, concurrency: 1)],
        endpoints: { "a": [Lb("lb"), Compute(Exp("1ms"))] })"#).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scaletwin"))
        .args(["validate", scenario.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("rate.csv:3: field `rps`: a rate cannot be negative"),
        "{err}"
    );
}
