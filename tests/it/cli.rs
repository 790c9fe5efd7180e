//! The command line as a user meets it.

use std::process::Command;

fn scaletwin(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_scaletwin"))
        .args(args)
        .output()
        .expect("run scaletwin")
}

#[test]
fn run_without_a_file_runs_the_bundled_default() {
    let out = scaletwin(&["run", "--duration", "60s"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("default-saas-api") && text.contains("p99") && text.contains("stations"));
}

#[test]
fn json_output_is_written_atomically_and_matches_the_library() {
    let dir = std::env::temp_dir().join(format!("scaletwin-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("report.json");
    let out = scaletwin(&[
        "run",
        "--quiet",
        "--duration",
        "60s",
        "--seed",
        "7",
        "--json",
        path.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty(), "--quiet prints nothing");
    let written = std::fs::read_to_string(&path).unwrap();
    let (_, plan) =
        scaletwin::scenario::load(None, &["run.duration=60s".into(), "seed=7".into()]).unwrap();
    assert_eq!(
        crate::without_provenance(&written),
        scaletwin::simulate(&plan).to_json()
    );
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name() != "report.json")
        .collect();
    assert!(leftovers.is_empty(), "no temporary files left behind");
    // A failed run must not clobber the good report.
    let out = scaletwin(&[
        "run",
        "--quiet",
        "--set",
        "workload.users=-5",
        "--json",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), written);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn overrides_change_the_run_and_bad_ones_are_input_errors() {
    let out = scaletwin(&[
        "run",
        "--duration",
        "60s",
        "--set",
        "components.api.replicas=1",
        "--set",
        "workload.users=2000",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = scaletwin(&["run", "--set", "components.nope.replicas=1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no element `nope`") && err.contains("api"),
        "{err}"
    );
    let out = scaletwin(&["run", "--set", "workload.userz=1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rps_per_user"));
    let out = scaletwin(&["run", "--duration", "ten minutes"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn validate_accepts_every_bundled_scenario() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "ron") {
            let out = scaletwin(&["validate", path.to_str().unwrap()]);
            assert!(
                out.status.success(),
                "{}: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn validate_checks_the_plan_space_as_plan_reads_it() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/stage3-horizontal.ron"
    );
    let ok = scaletwin(&["validate", path]);
    assert!(ok.status.success());
    // 3 HPA ceilings x 3 classes x 2 replica counts.
    assert!(String::from_utf8_lossy(&ok.stdout).contains("plan: 18 candidates over 3 fields"));
    let text = std::fs::read_to_string(path)
        .unwrap()
        .replace("\"components.pg.class\"", "\"components.pg.klass\"");
    let dir = std::env::temp_dir().join(format!("scaletwin-plan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad-plan.ron");
    std::fs::write(&bad, text).unwrap();
    let out = scaletwin(&["validate", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("plan.vary.components.pg.klass[0]") && err.contains("did you mean `class`?"),
        "{err}"
    );
}

#[test]
fn help_teaches() {
    let out = scaletwin(&["run", "--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("--set") && text.contains("workload.users=5000"));
}

#[test]
fn completions_are_generated_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef scaletwin"),
        ("fish", "complete -c scaletwin"),
    ] {
        let out = scaletwin(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(marker), "{shell}: {text:.200}");
        // Every subcommand is offered.
        for sub in [
            "run", "stages", "compare", "sweep", "merge", "check", "graph",
        ] {
            assert!(text.contains(sub), "{shell} lacks {sub}");
        }
    }
    let out = scaletwin(&["completions", "tcsh"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

#[test]
fn every_subcommand_help_shows_examples() {
    for sub in [
        "run",
        "validate",
        "bench",
        "stages",
        "compare",
        "sweep",
        "merge",
        "check",
        "graph",
        "completions",
    ] {
        let out = scaletwin(&[sub, "--help"]);
        assert!(out.status.success(), "{sub}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Example"), "{sub} --help has no example");
        assert!(text.contains(&format!("scaletwin {sub}")), "{sub}");
    }
}

#[test]
fn every_report_carries_its_provenance() {
    let dir = std::env::temp_dir().join(format!("scaletwin-prov-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/mm1.ron");
    let bytes = std::fs::read(&file).unwrap();
    let out = dir.join("run");
    let res = scaletwin(&[
        "run",
        file.to_str().unwrap(),
        "-q",
        "--seed",
        "11",
        "--set",
        "run.duration=\"2000s\"",
        "--set",
        "run.warmup=\"100s\"",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let p = &json["provenance"];
    assert_eq!(
        p["tool"],
        format!("scaletwin {}", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(p["scenario_file"], file.to_str().unwrap());
    assert_eq!(p["scenario_sha256"], scaletwin::report::sha256_hex(&bytes));
    assert_eq!(p["seed"], 11);
    assert_eq!(
        p["sets"],
        serde_json::json!(["seed=11", "run.duration=\"2000s\"", "run.warmup=\"100s\""])
    );
    // Where the output goes and -q cannot change a result: left out.
    let command: Vec<String> = serde_json::from_value(p["command"].clone()).unwrap();
    assert_eq!(command[..2], ["scaletwin", "run"]);
    assert!(
        !command.iter().any(|a| a == "--out" || a == "-q"),
        "{command:?}"
    );
    assert!(p["prices"].as_str().unwrap().contains("2025-01-01"));
    for page in ["report.md", "report.html"] {
        let text = std::fs::read_to_string(out.join(page)).unwrap();
        assert!(text.contains("Provenance"), "{page}");
        assert!(
            text.contains(&scaletwin::report::sha256_hex(&bytes)),
            "{page}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn validate_shows_the_offered_load_of_the_pattern() {
    // 600 req/s base, ×5 from 1m for 3m of a 6m run:
    // mean = (3 × 600 + 3 × 3000) / 6 = 1800 req/s, peak 3000 req/s.
    let out = scaletwin(&[
        "validate",
        concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/autoscale-spike.ron"),
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("offered load: 600.0 req/s base, 1800.0 req/s mean and 3000.0 req/s peak"),
        "{text}"
    );
}
