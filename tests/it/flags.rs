//! Command-line values are checked as strictly as the scenario's fields,
//! and every message names the flag the user typed.

use std::process::{Command, Output};

fn scaletwin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scaletwin"))
        .args(args)
        .output()
        .expect("run scaletwin")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit code 2 and every fragment in stderr.
fn rejected(args: &[&str], fragments: &[&str]) {
    let out = scaletwin(args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    for f in fragments {
        assert!(err.contains(f), "{args:?}: expected `{f}` in:\n{err}");
    }
}

const MM1: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/mm1.ron");

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("scaletwin-flags-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn zero_replications_are_rejected_like_run_replications_zero() {
    for command in ["stages", "sweep", "compare"] {
        let mut args = vec![command, MM1];
        match command {
            "sweep" => args.extend(["--vary", "seed=1,2"]),
            "compare" => args.push(MM1),
            _ => {}
        }
        args.extend(["--replications", "0"]);
        rejected(&args, &["--replications", "'0'", "from 1"]);
    }
}

#[test]
fn check_rejects_an_error_rate_slo_outside_0_to_1_and_a_bad_tolerance() {
    let report = temp("check-report.json");
    let out = scaletwin(&[
        "run",
        MM1,
        "--quiet",
        "--duration",
        "10000s",
        "--json",
        report.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r = report.to_str().unwrap();
    rejected(
        &["check", r, "--slo", "error_rate=7"],
        &["--slo error_rate=7", "from 0 to 1"],
    );
    rejected(
        &["check", r, "--slo", "eror_rate=0.1"],
        &["unknown key `eror_rate`; did you mean `error_rate`?"],
    );
    rejected(
        &["check", r, "--slo", "error_rate=NaN"],
        &["--slo error_rate=NaN", "from 0 to 1"],
    );
    for bad in ["--tolerance=NaN", "--tolerance=-1", "--tolerance=inf"] {
        rejected(
            &["check", r, "--baseline", r, bad],
            &["--tolerance", "finite number of at least 0"],
        );
    }
    // The same report against itself passes within any valid tolerance
    // (an error-rate objective of 100% leaves only the baseline to check).
    let out = scaletwin(&[
        "check",
        r,
        "--slo",
        "error_rate=1",
        "--baseline",
        r,
        "--tolerance",
        "0",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn errors_name_the_flag_that_was_typed() {
    rejected(
        &["run", MM1, "--duration", "90"],
        &["error: --duration 90:", "no unit"],
    );
    rejected(
        &["sweep", MM1, "--vary", "nosuch.path=1,2"],
        &["error: --vary nosuch.path=1,2:", "no field `nosuch`"],
    );
    rejected(
        &["run", MM1, "--set", "workload.userz=3"],
        &[
            "error: --set workload.userz=3:",
            "did you mean `users`? expected one of",
        ],
    );
    rejected(
        &["run", MM1, "--set", "components.servr.replicas=3"],
        &["did you mean `server`?"],
    );
}

#[test]
fn a_byte_order_mark_is_accepted_and_mix_weights_not_adding_to_one_warn() {
    let text = std::fs::read_to_string(MM1).unwrap();
    let bom = temp("bom.ron");
    std::fs::write(&bom, format!("\u{feff}{text}")).unwrap();
    let out = scaletwin(&["validate", bom.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));

    let heavy = temp("mix.ron");
    std::fs::write(&heavy, text.replace("\"serve\": 1.0", "\"serve\": 3.0")).unwrap();
    let out = scaletwin(&["validate", heavy.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains(":12:47: workload.mix: the weights add up to 3, not 1")
            && said.contains("\"serve\": 1.0000"),
        "{said}"
    );
    let out = scaletwin(&[
        "run",
        heavy.to_str().unwrap(),
        "--quiet",
        "--duration",
        "10000s",
    ]);
    assert!(out.status.success());
    assert!(stderr(&out).contains("warning: ") && stderr(&out).contains("add up to 3"));
}

#[test]
fn max_requests_shortens_fault_times_with_the_run() {
    // A kill at 50 s of a 60 s run: shortened to ~600 requests the run lasts
    // about 6 s, and the kill moves to about 5 s instead of falling outside.
    let s = temp("kill.ron");
    std::fs::write(
        &s,
        r#"Scenario(
    name: "kill", run: (duration: "60s"),
    workload: (users: 100, rps_per_user: 1.0, mix: { "a": 1.0 }),
    components: [
        LoadBalancer(name: "lb", targets: { "api": 1 }),
        Deployment(name: "api", replicas: 2, concurrency: 4),
    ],
    endpoints: { "a": [Lb("lb"), Compute(Exp("1ms"))] },
    faults: [KillPods(deployment: "api", count: 1, at: "50s")],
    stages: [("small", 100)],
)"#,
    )
    .unwrap();
    let out = scaletwin(&[
        "stages",
        s.to_str().unwrap(),
        "--quiet",
        "--max-requests",
        "600",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn max_requests_counts_the_requests_a_rate_pattern_adds() {
    // 100 requests a second for 100 s is 10,000 at the base rate; a spike
    // of 11x for 50 s offers 50,000 more. Capped at 6,000 the run keeps a
    // tenth of its timeline (10 s), not 60% of it (6,000 / 10,000).
    let text = r#"Scenario(
        name: "spiky", run: (duration: "100s"),
        workload: (users: 100, rps_per_user: 1.0, mix: { "a": 1.0 },
                   pattern: Spike(at: "25s", factor: 11.0, for: "50s")),
        components: [
            LoadBalancer(name: "lb", targets: { "api": 1 }),
            Deployment(name: "api", replicas: 2, concurrency: 4),
        ],
        endpoints: { "a": [Lb("lb"), Compute(Exp("1ms"))] },
    )"#;
    let s = scaletwin::scenario::parse(text, "spiky.ron").unwrap();
    let short = scaletwin::sweep::prepare(&s, None, 1, 6_000);
    assert_eq!(short.run.duration.nanos().as_secs_f64(), 10.0);
    let plan = scaletwin::scenario::validate(&short).unwrap();
    let requests = scaletwin::simulate(&plan).engine.requests as f64;
    assert!(
        (requests - 6_000.0).abs() < 4.0 * 6_000f64.sqrt(),
        "{requests}"
    );
}

#[test]
fn a_seed_sweep_gives_each_point_its_own_seeds_and_other_sweeps_keep_common_ones() {
    use scaletwin::sweep::{seed_for, sweep, Batch};
    let (s, _) = scaletwin::scenario::read(std::path::Path::new(MM1)).unwrap();
    let batch = Batch {
        replications: 2,
        max_requests: 2_000,
        allow_large: false,
    };
    let seeds = sweep(&s, "mm1.ron", &["seed=1,2".into()], batch, None, None).unwrap();
    let (a, b) = (&seeds.points[0], &seeds.points[1]);
    for r in 0..2 {
        assert_eq!(a.runs[r].seed, seed_for(1, 0, r as u64));
        assert_eq!(b.runs[r].seed, seed_for(2, 0, r as u64));
        assert_ne!(
            a.runs[r].p99_ms, b.runs[r].p99_ms,
            "different seeds, different runs"
        );
    }
    // Not varying the seed: every point runs the base seed's streams.
    let users = ["workload.users=0.5,0.6".to_owned()];
    let crn = sweep(&s, "mm1.ron", &users, batch, None, None).unwrap();
    for p in &crn.points {
        for (r, run) in p.runs.iter().enumerate() {
            assert_eq!(run.seed, seed_for(s.seed, 0, r as u64));
        }
    }
}
