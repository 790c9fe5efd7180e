//! SLIs as SRE practice defines them (latency over every finished request,
//! the SLO as good-events ratios), one measured population per report, the
//! verdict in `run` and `check`, and what `compare` says about its inputs.

use crate::run_text as run;
use scaletwin::scenario::{apply_overrides, read};
use scaletwin::sweep::{prepare, run_one, DEFAULT_STAGES};
use scaletwin::Report;
use std::path::{Path, PathBuf};

/// One endpoint per (name, delay) with the given mix weights; no servers, so
/// a request takes exactly its delay.
fn delays(endpoints: &[(&str, &str, f64)], timeout: &str, slo: &str) -> String {
    let mix: Vec<String> = endpoints
        .iter()
        .map(|(n, _, w)| format!("\"{n}\": {w}"))
        .collect();
    let steps: Vec<String> = endpoints
        .iter()
        .map(|(n, t, _)| format!("\"{n}\": [Delay(Const(\"{t}\"))]"))
        .collect();
    format!(
        r#"Scenario(
    name: "delays", seed: 11,
    run: (duration: "60s", warmup: "10s"),
    workload: (users: 100, rps_per_user: 1.0, mix: {{ {} }}, client_timeout: "{timeout}"),
    components: [
        LoadBalancer(name: "lb", targets: {{ "api": 1 }}),
        Deployment(name: "api", replicas: 1, concurrency: 1),
    ],
    endpoints: {{ {} }},
    {slo}
)"#,
        mix.join(", "),
        steps.join(", ")
    )
}

fn population_adds_up(r: &Report, what: &str) {
    let s = &r.summary;
    assert_eq!(
        s.arrivals,
        s.completed + s.errors + s.in_flight,
        "{what}: arrivals {} != completed {} + errors {} + in flight {}",
        s.arrivals,
        s.completed,
        s.errors,
        s.in_flight
    );
    let ok: u64 = r.endpoints.iter().map(|e| e.completed).sum();
    let failed: u64 = r.endpoints.iter().map(|e| e.errors).sum();
    assert_eq!((ok, failed), (s.completed, s.errors), "{what}: endpoints");
    if !r.regions.is_empty() {
        let sum = |f: fn(&scaletwin::report::RegionReport) -> u64| -> u64 {
            r.regions.iter().map(f).sum()
        };
        assert_eq!(sum(|g| g.arrivals), s.arrivals, "{what}: region arrivals");
        assert_eq!(
            sum(|g| g.completed),
            s.completed,
            "{what}: region successes"
        );
        assert_eq!(sum(|g| g.errors), s.errors, "{what}: region errors");
    }
    assert_eq!(s.latency_all.count, s.completed + s.errors, "{what}");
}

#[test]
fn every_request_failing_at_its_timeout_is_counted_at_the_timeout() {
    // Each request takes 10 s, its client gives up after 2 s: every request
    // sent after the warm-up fails exactly 2 s after it was sent, except the
    // last 2 s of arrivals, still waiting at the end.
    let r = run(&delays(
        &[("slow", "10s", 1.0)],
        "2s",
        r#"slo: (p99: "300ms", error_rate: 0.01),"#,
    ));
    let s = &r.summary;
    population_adds_up(&r, "all timeouts");
    assert_eq!(s.completed, 0);
    assert_eq!(s.errors, s.errors_by_cause["client_timeout"]);
    assert!(s.errors > 4000 && s.in_flight > 100, "{s:?}");
    // The successful-only percentiles are empty; over every request they are the timeout.
    assert_eq!(s.latency.count, 0);
    assert_eq!(s.latency_all.count, s.errors);
    assert_eq!(s.latency_all.mean_ms, 2000.0);
    assert!(
        (2000.0..=2002.0).contains(&s.latency_all.p99_ms),
        "{}",
        s.latency_all.p99_ms
    );
    let v = r.slo.as_ref().unwrap();
    assert_eq!((v.finished, v.good, v.good_ratio), (s.errors, 0, 0.0));
    assert_eq!(v.p99_good_ms, None);
    assert!(!v.latency_met && !v.errors_met && !v.default);
}

#[test]
fn failures_are_bad_events_however_healthy_the_successes_look() {
    // 90% of requests answer in 50 ms, 10% take 10 s and time out at 1 s.
    // The successes' p99 is 50 ms, inside a 100 ms objective, but only the
    // fast successes are good events.
    let text = delays(
        &[("fast", "50ms", 0.9), ("slow", "10s", 0.1)],
        "1s",
        r#"slo: (p99: "100ms", error_rate: 0.2),"#,
    );
    let r = run(&text);
    population_adds_up(&r, "fast and slow");
    let s = &r.summary;
    let fast = r.endpoints.iter().find(|e| e.name == "fast").unwrap();
    let slow = r.endpoints.iter().find(|e| e.name == "slow").unwrap();
    assert_eq!((fast.errors, slow.completed), (0, 0));
    assert!(s.latency.p99_ms <= 100.0, "successes look healthy");
    let v = r.slo.as_ref().unwrap();
    assert_eq!(v.good, fast.completed);
    assert_eq!(v.finished, fast.completed + slow.errors);
    let ratio = fast.completed as f64 / v.finished as f64;
    assert!((v.good_ratio - ratio).abs() < 1e-6);
    assert!(ratio < 0.95, "about 90%: {ratio}");
    assert!(!v.latency_met && v.errors_met);
    // Every finished request: a success at 50 ms, a failure at 1 s.
    let want = (fast.completed as f64 * 50.0 + slow.errors as f64 * 1000.0) / v.finished as f64;
    assert!((s.latency_all.mean_ms - want).abs() < 1e-5, "{want}");
    assert!((999.0..=1001.0).contains(&s.latency_all.p99_ms));
    // A threshold below the fast requests' 50 ms: no good events at all.
    let tight = run(&text.replace("p99: \"100ms\"", "p99: \"49ms\""));
    assert_eq!(tight.slo.as_ref().unwrap().good, 0);
    // With 1% slow requests the objective holds (99% within 100 ms needs
    // at least that share of fast ones; 0.5% slow leaves room).
    let rare = run(&text
        .replace("\"fast\": 0.9", "\"fast\": 0.995")
        .replace("\"slow\": 0.1", "\"slow\": 0.005"));
    let v = rare.slo.as_ref().unwrap();
    assert!(v.latency_met && v.errors_met, "{v:?}");
    assert!(!v.default && v.p99_good_ms.is_some_and(|p| (50.0..=50.1).contains(&p)));
}

#[test]
fn the_default_objective_applies_and_says_so_without_a_slo() {
    let r = run(&delays(&[("fast", "5ms", 1.0)], "1s", ""));
    let v = r.slo.as_ref().unwrap();
    assert!(v.default && v.met());
    assert_eq!(v.objective, scaletwin::scenario::Slo::fallback());
}

fn every_scenario() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "ron"))
            .collect();
    v.sort();
    v
}

#[test]
fn every_bundled_scenario_reports_one_population() {
    for f in every_scenario() {
        let (s, _) = read(&f).unwrap();
        let end = s.run.duration;
        let mut s = s;
        s.faults.retain(|x| x.at() < end);
        let r = scaletwin::simulate(&scaletwin::scenario::validate(&s).unwrap());
        population_adds_up(&r, &f.display().to_string());
    }
}

#[test]
fn every_stage_of_the_ladder_reports_one_population() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/stage3-horizontal.ron");
    let (s, _) = read(&path).unwrap();
    for (k, (name, users)) in DEFAULT_STAGES.iter().enumerate() {
        let job = prepare(&s, Some(*users), 1 + k as u64, 20_000);
        let (r, _, _) = run_one(&job, "stage3-horizontal.ron").unwrap();
        population_adds_up(&r, &format!("stage {name}"));
    }
}

// ---------------------------------------------------------------------------
// The command line
// ---------------------------------------------------------------------------

fn scaletwin(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_scaletwin"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run scaletwin")
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let d = std::env::temp_dir().join(format!("scaletwin-sli-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        TempDir(d)
    }

    fn file(&self, name: &str, text: &str) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn run_prints_the_verdict_first_and_check_exits_1_on_a_breach() {
    let dir = TempDir::new("run");
    let slo = r#"slo: (p99: "100ms", error_rate: 0.2),"#;
    let broken = dir.file(
        "broken.ron",
        &delays(&[("fast", "50ms", 0.9), ("slow", "10s", 0.1)], "1s", slo),
    );
    let fine = dir.file("fine.ron", &delays(&[("fast", "50ms", 1.0)], "1s", slo));
    let out = scaletwin(&["run", &fine, "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("SLO p99 <= 100ms, errors <= 20% (the scenario's)\n"),
        "{text}"
    );
    assert!(
        text.contains("  ✓ 99% of requests succeed within 100ms: 100%"),
        "{text}"
    );
    let json = dir.path("broken.json");
    let out = scaletwin(&["run", &broken, "--check", "--json", &json]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("  ✗ 99% of requests succeed within 100ms"),
        "{text}"
    );
    assert!(text.contains("  ✓ error rate <= 20%"), "{text}");
    // Without --check the same run exits 0.
    assert_eq!(scaletwin(&["run", &broken, "-q"]).status.code(), Some(0));
    // check defaults to the objective recorded in the report.
    let out = scaletwin(&["check", &json]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).starts_with("SLO: 9"), "{}", stdout(&out));
    assert!(stdout(&out).contains("of requests succeeded within 100ms (objective 99%)"));
    // A looser objective given on the command line replaces it.
    let out = scaletwin(&["check", &json, "--slo", "p99=2s,error_rate=0.2"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "10% failed: fewer than 99% succeeded"
    );
    assert!(stdout(&out).contains("fewer than 99% of requests succeeded"));
    let out = scaletwin(&["check", &json, "--slo", "error_rate=0.2"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("passes (--slo error_rate=0.2)"));
}

#[test]
fn check_accepts_stages_compare_and_sweep_reports() {
    let dir = TempDir::new("multi");
    let slo = r#"slo: (p99: "100ms", error_rate: 0.2),"#;
    let fine = dir.file("fine.ron", &delays(&[("fast", "50ms", 1.0)], "1s", slo));
    let broken = dir.file(
        "broken.ron",
        &delays(&[("fast", "50ms", 0.9), ("slow", "10s", 0.1)], "1s", slo),
    );
    let small = ["--max-requests", "3000", "-q"];
    let stages = dir.path("stages.json");
    let mut args = vec!["stages", broken.as_str(), "--json", stages.as_str()];
    args.extend(small);
    assert!(scaletwin(&args).status.success());
    let out = scaletwin(&["check", &stages]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("SLO: stage 100: "),
        "{}",
        stdout(&out)
    );
    let compare = dir.path("compare.json");
    let mut args = vec![
        "compare",
        fine.as_str(),
        fine.as_str(),
        "--json",
        compare.as_str(),
    ];
    args.extend(small);
    assert!(scaletwin(&args).status.success());
    let out = scaletwin(&["check", &compare]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("(p99 <= 100ms, errors <= 20% (the scenario's))"));
    let sweep = dir.path("sweep.json");
    let mut args = vec![
        "sweep",
        broken.as_str(),
        "--vary",
        "workload.client_timeout=1s,20s",
        "--json",
        sweep.as_str(),
    ];
    args.extend(small);
    assert!(scaletwin(&args).status.success());
    let out = scaletwin(&["check", &sweep]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    // At 1 s the slow requests fail; at 20 s they succeed, but late.
    assert!(
        text.contains("SLO: point 0 (workload.client_timeout=1s)"),
        "{text}"
    );
    assert!(
        text.contains("SLO: point 1 (workload.client_timeout=20s)"),
        "{text}"
    );
    let out = scaletwin(&["check", &stages, "--baseline", &stages]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--baseline compares run reports"));
}

#[test]
fn compare_names_rows_by_file_lists_workload_differences_and_marks_a_default_slo() {
    let dir = TempDir::new("compare");
    let a = dir.file("a.ron", &delays(&[("fast", "5ms", 1.0)], "1s", ""));
    let b = dir.file(
        "b.ron",
        &delays(&[("fast", "5ms", 1.0)], "1s", "")
            .replace("rps_per_user: 1.0", "rps_per_user: 0.5"),
    );
    let json = dir.path("compare.json");
    let out = scaletwin(&[
        "compare",
        &a,
        &b,
        "--json",
        &json,
        "--max-requests",
        "2000",
        "-q",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: scaletwin::report::CompareReport =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(
        r.architectures,
        [a.clone(), b.clone()],
        "both are named `delays`"
    );
    assert_eq!(r.files, [a.clone(), b.clone()]);
    assert_eq!(
        r.workload_differences.len(),
        1,
        "{:?}",
        r.workload_differences
    );
    let d = &r.workload_differences[0];
    assert_eq!(
        (
            d.architecture.as_str(),
            d.field.as_str(),
            d.first.as_str(),
            d.other.as_str()
        ),
        (b.as_str(), "workload.rps_per_user", "1.0", "0.5")
    );
    assert!(r.slo_default);
    let md = scaletwin::report::compare_markdown(&r);
    assert!(
        md.contains("SLO: p99 <= 1s, errors <= 1% (default: the scenario states no `slo`), from `"),
        "{md}"
    );
    assert!(
        md.contains("| `workload.rps_per_user` | 1.0 | 0.5 |"),
        "{md}"
    );
    assert!(md.contains(&format!("# compare: {a} vs {b}")), "{md}");
}

#[test]
fn overrides_keep_one_population() {
    // A warm-up longer than most requests' latency: arrivals during it that
    // finish after it are not counted (the old rule counted their outcome).
    let s =
        scaletwin::scenario::parse(&delays(&[("slow", "3s", 1.0)], "10s", ""), "t.ron").unwrap();
    let s = apply_overrides(&s, &["run.warmup=5s".to_owned()]).unwrap();
    let r = crate::run_scenario(&s);
    population_adds_up(&r, "3 s requests, 5 s warm-up");
    // Requests sent in the last 3 s are still in flight: about 300 of them.
    assert!(
        (200..=400).contains(&r.summary.in_flight),
        "{}",
        r.summary.in_flight
    );
    assert_eq!(r.summary.latency.p50_ms, r.summary.latency.max_ms);
}
