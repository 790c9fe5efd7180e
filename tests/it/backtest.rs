//! `scaletwin backtest`: observations made here by an independent generator
//! (SplitMix64 + Box-Muller, not the simulator) from known rates and
//! latency laws pass against the scenario with those laws, fail (exit 1)
//! against one that drifted, and malformed inputs exit 2 with file and line.

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("scaletwin-bt-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn scaletwin(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_scaletwin"))
        .args(args)
        .output()
        .expect("run scaletwin")
}

/// SplitMix64 uniforms, Box-Muller normals: an independent generator.
struct SplitMix(u64);

impl SplitMix {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        let (u, v) = (self.unit(), self.unit());
        let z = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
        median * (sigma * z).exp()
    }
}

/// The laws the generator draws from, as the twin writes them:
/// `a` Lognormal(8 ms, σ 0.5), `b` Lognormal(20 ms, σ 0.3) (p99 = median ·
/// e^(2.3263 σ)), 70/30, on 2 pods of 32 slots with 0.5 core each.
fn scenario(a_median_ms: f64) -> String {
    let p99 = |m: f64, s: f64| m * (2.326_348 * s).exp();
    format!(
        r#"Scenario(
    name: "backtest-twin", seed: 7, run: (duration: "60s", interval: "20s"),
    workload: (users: 1, rps_per_user: 1.0, mix: {{ "a": 0.7, "b": 0.3 }}),
    components: [
        LoadBalancer(name: "lb", targets: {{ "api": 1 }}),
        Deployment(name: "api", replicas: 2, concurrency: 32, resources: (cpu: 0.5)),
    ],
    endpoints: {{
        "a": [Lb("lb"), Compute(Lognormal(median: "{a_median_ms}ms", p99: "{:.4}ms"))],
        "b": [Lb("lb"), Compute(Lognormal(median: "20ms", p99: "{:.4}ms"))],
    }},
)"#,
        p99(a_median_ms, 0.5),
        p99(20.0, 0.3)
    )
}

/// Rates per minute: 20, 50, then 30 requests per second.
const RATES: [f64; 3] = [20.0, 50.0, 30.0];
const T0: u64 = 1_700_000_000;
/// Latency histogram bounds (s): 2 ms apart to 60 ms, then coarser.
fn bounds() -> Vec<f64> {
    let mut b: Vec<f64> = (1..=30).map(|i| f64::from(i) * 0.002).collect();
    b.extend([0.1, 0.25, 0.5, 1.0]);
    b
}

/// One generated request: arrival (s from T0), endpoint, latency (s).
fn requests() -> Vec<(f64, &'static str, f64)> {
    let mut g = SplitMix(20_261_206);
    let mut out = Vec::new();
    for (minute, rate) in RATES.iter().enumerate() {
        let end = 60.0 * (minute + 1) as f64;
        // Piecewise Poisson: exponential gaps, restarted at each boundary
        // (memoryless, so the process is exact).
        let mut t = 60.0 * minute as f64;
        loop {
            t += -g.unit().ln() / rate;
            if t >= end {
                break;
            }
            let (e, latency) = if g.unit() < 0.7 {
                ("a", g.lognormal(0.008, 0.5))
            } else {
                ("b", g.lognormal(0.020, 0.3))
            };
            out.push((t, e, latency));
        }
    }
    out
}

fn write_log(path: &Path, reqs: &[(f64, &str, f64)]) {
    let mut text = String::from("intended_time,endpoint,status,latency\n");
    for &(t, e, l) in reqs {
        let _ = writeln!(
            text,
            "{}.{:06},{e},200,{l:.9}",
            T0 + t as u64,
            (t.fract() * 1e6) as u64
        );
    }
    std::fs::write(path, text).unwrap();
}

/// Telemetry as a monitoring system would scrape it each second: request
/// counters and latency buckets by completion, ready replicas, and the CPU
/// seconds counter (each busy slot-second is 1/32 of a pod's 0.5 core).
fn write_telemetry(path: &Path, reqs: &[(f64, &str, f64)]) {
    let mut text = String::from("time,series,value\n");
    let bounds = bounds();
    let mut busy = vec![0.0f64; 182];
    for &(t, _, l) in reqs {
        let (mut from, to) = (t, t + l);
        while from < to {
            let s = from.floor();
            let upto = to.min(s + 1.0);
            busy[s as usize + 1] += upto - from;
            from = upto;
        }
    }
    let mut cpu_seconds = 0.0;
    for s in 0..=180u64 {
        let now = s as f64;
        let time = T0 + s;
        for e in ["a", "b"] {
            let done: Vec<f64> = reqs
                .iter()
                .filter(|r| r.1 == e && r.0 + r.2 <= now)
                .map(|r| r.2)
                .collect();
            let _ = writeln!(
                text,
                "{time},\"http_requests_total{{endpoint=\"\"{e}\"\",status=\"\"200\"\"}}\",{}",
                done.len()
            );
            for le in &bounds {
                let _ = writeln!(
                    text,
                    "{time},\"http_request_duration_seconds_bucket{{endpoint=\"\"{e}\"\",le=\"\"{le}\"\"}}\",{}",
                    done.iter().filter(|l| *l <= le).count()
                );
            }
            let _ = writeln!(
                text,
                "{time},\"http_request_duration_seconds_bucket{{endpoint=\"\"{e}\"\",le=\"\"+Inf\"\"}}\",{}",
                done.len()
            );
        }
        let _ = writeln!(text, "{time},kube_deployment_status_replicas_ready,2");
        cpu_seconds += busy[s as usize] / 32.0 * 0.5;
        let _ = writeln!(
            text,
            "{time},container_cpu_usage_seconds_total,{cpu_seconds}"
        );
    }
    std::fs::write(path, text).unwrap();
}

/// (figure, error, share inside the band, passed) from backtest.json.
fn figures(json: &str) -> Vec<(String, f64, f64, bool)> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["quantity"].as_str().unwrap().to_owned(),
                c["error"].as_f64().unwrap(),
                c["inside_band"].as_f64().unwrap(),
                c["passed"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn setup(name: &str, a_median_ms: f64) -> (PathBuf, Vec<(f64, &'static str, f64)>) {
    let d = dir(name);
    std::fs::write(d.join("twin.ron"), scenario(a_median_ms)).unwrap();
    (d, requests())
}

#[test]
fn a_twin_with_the_generating_laws_passes_against_its_log_and_its_telemetry() {
    let (d, reqs) = setup("pass", 8.0);
    write_log(&d.join("requests.csv"), &reqs);
    write_telemetry(&d.join("telemetry.csv"), &reqs);
    let twin = d.join("twin.ron");
    for (data, map, figures_expected) in [
        (
            "requests.csv",
            "",
            vec!["throughput", "p50", "p99", "error_rate"],
        ),
        (
            "telemetry.csv",
            "rate=http_requests_total,cpu=container_cpu_usage_seconds_total",
            vec!["throughput", "p50", "p99", "error_rate", "replicas", "cpu"],
        ),
    ] {
        let out_dir = d.join(format!("out-{data}"));
        let out = scaletwin(&[
            "backtest",
            twin.to_str().unwrap(),
            "--observed",
            d.join(data).to_str().unwrap(),
            "--map",
            map,
            "--out",
            out_dir.to_str().unwrap(),
        ]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{data}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json = std::fs::read_to_string(out_dir.join("backtest.json")).unwrap();
        let got = figures(&json);
        let names: Vec<&str> = got.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(names, figures_expected, "{data}");
        for (name, error, inside, passed) in &got {
            assert!(passed, "{data}: {name} error {error}\n{stdout}");
            // Known rates in, so the twin's throughput follows the data to
            // within the counting noise of 400-1000 requests per interval.
            let bound = match name.as_str() {
                "throughput" | "p50" | "cpu" => 0.08,
                "p99" => 0.20,
                _ => 1e-9,
            };
            assert!(*error <= bound, "{data}: {name} error {error}");
            // Most observations fall inside a 95% band of a right twin.
            assert!(*inside >= 0.6, "{data}: {name} inside {inside}");
        }
        // The trace that drove the twin is the observed rate per endpoint.
        let trace = std::fs::read_to_string(out_dir.join("observed-rate.csv")).unwrap();
        assert!(trace.starts_with("time,a,b\n0,"), "{trace}");
        for f in ["backtest-throughput.svg", "backtest-p99.svg", "report.html"] {
            assert!(out_dir.join(f).exists(), "{f}");
        }
        assert!(stdout.contains("Every compared figure is within its tolerance"));
    }
}

#[test]
fn a_twin_that_drifted_fails_with_exit_code_1() {
    // The real `a` has a median of 8 ms; this twin says 14 ms.
    let (d, reqs) = setup("drift", 14.0);
    write_log(&d.join("requests.csv"), &reqs);
    let out = scaletwin(&[
        "backtest",
        d.join("twin.ron").to_str().unwrap(),
        "--observed",
        d.join("requests.csv").to_str().unwrap(),
        "--json",
        d.join("bt.json").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("| p50 (ms) |") && stdout.contains("DRIFT"),
        "{stdout}"
    );
    let got = figures(&std::fs::read_to_string(d.join("bt.json")).unwrap());
    let p50 = got.iter().find(|f| f.0 == "p50").unwrap();
    assert!(!p50.3 && p50.1 > 0.3, "{p50:?}");
    // Throughput does not depend on the latency: it still passes.
    assert!(got.iter().find(|f| f.0 == "throughput").unwrap().3);
    // A looser tolerance accepts the same drift.
    let out = scaletwin(&[
        "backtest",
        d.join("twin.ron").to_str().unwrap(),
        "--observed",
        d.join("requests.csv").to_str().unwrap(),
        "--tolerance",
        "p50=2,p99=2",
        "--quiet",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

#[test]
fn malformed_observations_exit_2_with_file_and_line() {
    let (d, _) = setup("bad", 8.0);
    let twin = d.join("twin.ron");
    let cases: [(&str, &str, &[&str]); 4] = [
        (
            "log.csv",
            "intended_time,endpoint,latency\n1.0,a,0.01\n2.0,a,fast\n",
            &["log.csv:3", "latency", "not a finite number"],
        ),
        (
            "log2.csv",
            "intended_time,endpoint,latency\n1.0,c,0.01\n",
            &["endpoint `c`", "a, b"],
        ),
        (
            "tele.csv",
            "time,series,value\n1,x{a=1},2\n",
            &["tele.csv:2", "double quotes"],
        ),
        (
            "tele.json",
            "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\n\"result\":[{\"values\":[[1,\"x\"]]}]}}",
            &["tele.json:2", "not a number"],
        ),
    ];
    for (name, text, words) in cases {
        std::fs::write(d.join(name), text).unwrap();
        let out = scaletwin(&[
            "backtest",
            twin.to_str().unwrap(),
            "--observed",
            d.join(name).to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        for w in words {
            assert!(stderr.contains(w), "{name}: `{w}` not in {stderr}");
        }
    }
    let out = scaletwin(&[
        "backtest",
        twin.to_str().unwrap(),
        "--observed",
        d.join("log.csv").to_str().unwrap(),
        "--tolerance",
        "p95=0.1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--tolerance `p95` is not a compared figure")
    );
}
