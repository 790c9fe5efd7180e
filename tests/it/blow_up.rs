//! Inputs whose size once blew up the checker: a long chain of `Call`s (a
//! stack overflow at 18,000), a doubling fan-out of calls (2^40 inlined
//! steps; shared programs now, but 2^40 steps a request would run), and
//! thousands of problems to place in a large file (quadratic).
//! Each must end, exit 2 and say what is wrong; no timing is asserted.
//! Also runs whose memory would run away: refused by the estimate, or held
//! at the in-flight bound.

use std::process::Command;

/// Writes `endpoints` into a scenario file in a temp dir and validates it.
fn validate(name: &str, endpoints: &str) -> (i32, String) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("blow_up_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Tests run in parallel: one file per test, named after what it holds.
    let path = dir.join(format!("{name}.ron"));
    let text = format!(
        r#"Scenario(
    name: "x", run: (duration: "1m"),
    workload: (users: 10, rps_per_user: 1.0, mix: {{ "e0": 1.0 }}),
    components: [
        LoadBalancer(name: "lb", targets: {{ "api": 1 }}),
        Deployment(name: "api", replicas: 2, concurrency: 4),
    ],
    endpoints: {{
{endpoints}
    }},
)
"#
    );
    std::fs::write(&path, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_scaletwin"))
        .args(["validate", path.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{name} panicked:\n{stderr}");
    (out.status.code().unwrap_or(-1), stderr)
}

/// `e0` calls `e1` ... calls `e{n-1}`, which does the work.
fn chain(n: usize) -> String {
    let mut out: String = (0..n - 1)
        .map(|k| format!("        \"e{k}\": [Call(\"e{}\")],\n", k + 1))
        .collect();
    out.push_str(&format!(
        "        \"e{}\": [Lb(\"lb\"), Compute(Exp(\"1ms\"))],\n",
        n - 1
    ));
    out
}

#[test]
fn a_chain_of_18000_calls_is_refused_naming_its_ends() {
    let (code, stderr) = validate("chain", &chain(18_000));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("1 problem found"), "{stderr}");
    assert!(
        stderr.contains(
            "chain.ron:9:9: endpoints.e0: e0 -> e1 -> e2 -> ... -> e17999: call depth 17999 is over 64"
        ),
        "{stderr}"
    );
}

#[test]
fn a_chain_of_8000_calls_is_refused_and_one_of_64_runs() {
    let (code, stderr) = validate("chain8000", &chain(8_000));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("e7999: call depth 7999 is over 64"),
        "{stderr}"
    );
    let (code, stderr) = validate("chain65", &chain(65));
    assert_eq!(code, 0, "64 calls deep is within the limit:\n{stderr}");
}

#[test]
fn a_doubling_fan_out_is_refused_with_its_size() {
    let mut eps: String = (0..40)
        .map(|k| {
            format!(
                "        \"e{k}\": [Call(\"e{0}\"), Call(\"e{0}\")],\n",
                k + 1
            )
        })
        .collect();
    eps.push_str("        \"e40\": [Lb(\"lb\"), Compute(Exp(\"1ms\"))],\n");
    let (code, stderr) = validate("fan", &eps);
    assert_eq!(code, 2, "{stderr}");
    // e40 is 3 steps (Lb, Compute); 2^40 copies of its 2 steps.
    assert!(
        stderr.contains(&format!(
            "fan.ron:9:9: endpoints.e0: e0 -> e1 -> e2 -> ... -> e40: expands to {} steps per request",
            2u64 << 40
        )),
        "{stderr}"
    );
}

#[test]
fn twenty_thousand_problems_in_a_large_file_are_each_placed() {
    let n = 20_000;
    let eps: String = (0..n)
        .map(|k| {
            format!("        \"e{k}\": [Lb(\"no_such_balancer\"), Compute(Exp(\"1ms\")), Delay(Const(\"1ms\"))],\n")
        })
        .collect();
    assert!(eps.len() > 1_300_000);
    let (code, stderr) = validate("many", &eps);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("20000 problems found"),
        "{}",
        &stderr[..200]
    );
    // Endpoints are reported in name order; e9999 is on line 9 + 9999.
    assert!(
        stderr.contains(
            "many.ron:10008:22: endpoints.e9999[0]: no LoadBalancer is named \"no_such_balancer\""
        ),
        "{}",
        &stderr[..400]
    );
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_scaletwin"))
        .arg("run")
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "panicked:\n{stderr}");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    )
}

fn bundled(name: &str) -> String {
    format!("{}/scenarios/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_trillion_keys_with_replicas_for_a_day_is_refused_with_its_estimate() {
    let file = bundled("data-replicas.ron");
    let sets = [
        "--set",
        "workload.keys.count=1000000000000",
        "--set",
        "run.duration=30d",
        "--set",
        "run.interval=1h",
    ];
    // Checked through the library first, so a wrong estimate fails here
    // instead of starting a month-long run.
    let (_, plan) = scaletwin::scenario::load(
        Some(std::path::Path::new(&file)),
        &[
            "workload.keys.count=1000000000000".into(),
            "run.duration=30d".into(),
            "run.interval=1h".into(),
        ],
    )
    .unwrap();
    let estimate = scaletwin::sim::Footprint::of(&plan);
    assert!(!estimate.fits(), "{}", estimate.summary());
    // `run` and `bench` refuse it alike, before simulating anything.
    for command in ["run", "bench"] {
        let mut args = vec![command, file.as_str()];
        if command == "run" {
            args.push("--quiet");
        }
        args.extend(sets);
        let out = Command::new(env!("CARGO_BIN_EXE_scaletwin"))
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command}: {stderr}");
        for f in [
            "data-replicas.ron: too large to run",
            "requests",
            "GiB of memory",
            "over the 4 GiB budget",
            "--allow-large",
        ] {
            assert!(
                stderr.contains(f),
                "{command}: expected `{f}` in:\n{stderr}"
            );
        }
    }
    // The same trillion keys over the scenario's own 40 s fits and runs.
    let (code, _, stderr) = run(&[
        file.as_str(),
        "--quiet",
        "--set",
        "workload.keys.count=1000000000000",
    ]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_hundred_million_users_on_an_unbounded_queue_stop_at_the_in_flight_bound() {
    // 5e7 requests/s on one pod with no queue_limit: the queue would grow
    // by 5e7 a second; in-flight requests stop at the bound instead.
    let json = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bound.json");
    let (code, _, stderr) = run(&[
        &bundled("mm1.ron"),
        "--quiet",
        "--set",
        "workload.users=1e8",
        "--set",
        "run.duration=60ms",
        "--set",
        "run.warmup=0s",
        "--set",
        "run.interval=10ms",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let engine = &report["engine"];
    assert_eq!(engine["peak_in_flight"], scaletwin::sim::MAX_IN_FLIGHT);
    let refused = engine["refused_in_flight"].as_u64().unwrap();
    let requests = engine["requests"].as_u64().unwrap();
    // About 6e6 arrivals; the first 2e6 are taken, the rest turned away.
    assert!(refused > 1_000_000, "{engine}");
    assert!(requests < scaletwin::sim::MAX_IN_FLIGHT + 1_000, "{engine}");
}

#[test]
fn every_bundled_scenario_fits_the_memory_estimate() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "ron") {
            let (_, plan) = scaletwin::scenario::load(Some(&path), &[]).unwrap();
            let estimate = scaletwin::sim::Footprint::of(&plan);
            assert!(
                estimate.fits(),
                "{}: {}",
                path.display(),
                estimate.summary()
            );
            assert!(estimate.requests > 0.0);
            checked += 1;
        }
    }
    assert!(checked >= 20);
}

#[test]
fn batch_commands_refuse_a_run_over_the_budget_before_any_starts() {
    let file = bundled("data-replicas.ron");
    let too_large = [
        "--set",
        "workload.keys.count=1000000000000",
        "--set",
        "run.duration=30d",
        "--set",
        "run.interval=1h",
    ];
    for (command, extra) in [
        ("stages", vec!["--replications", "1"]),
        ("sweep", vec!["--vary", "components.pg.connections=10,20"]),
        ("compare", vec![file.as_str()]),
    ] {
        let mut args = vec![command, file.as_str()];
        args.extend(extra);
        args.push("--quiet");
        args.extend(too_large);
        let out = Command::new(env!("CARGO_BIN_EXE_scaletwin"))
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command}: {stderr}");
        for f in [
            "too large to run",
            "users:",
            "over the 4 GiB budget",
            "--allow-large",
        ] {
            assert!(
                stderr.contains(f),
                "{command}: expected `{f}` in:\n{stderr}"
            );
        }
    }
}
