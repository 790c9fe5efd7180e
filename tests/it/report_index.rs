//! `scaletwin index DIR`: every report folder under DIR, linked with its verdict.

use std::path::{Path, PathBuf};
use std::process::Command;

fn scaletwin(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_scaletwin"))
        .args(args)
        .output()
        .unwrap()
}

fn fresh(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_index_links_each_report_with_its_own_verdict() {
    let dir = fresh("index-reports");
    let mm1 = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/mm1.ron");
    let run_dir = dir.join("run-mm1");
    let out = scaletwin(&[
        "run",
        mm1,
        "--quiet",
        "--duration",
        "20000s",
        "--out",
        run_dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stages_dir = dir.join("stages-mm1");
    let out = scaletwin(&[
        "stages",
        mm1,
        "--quiet",
        "--replications",
        "1",
        "--set",
        r#"stages=[("light", 0.2), ("heavy", 2.0)]"#,
        // M/M/1 with a 1 s mean service: p99 about 5.8 s at 0.2 req/s, and
        // unstable at 2 req/s.
        "--set",
        r#"slo=(p99: "30s", error_rate: 0.01)"#,
        "--set",
        "run.duration=20000s",
        "--out",
        stages_dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Not a report folder: left out.
    std::fs::create_dir_all(dir.join("notes")).unwrap();

    let out = scaletwin(&["index", dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(
        page.contains("<a href=\"run-mm1/report.html\">run-mm1</a>"),
        "{page}"
    );
    assert!(
        page.contains("<a href=\"stages-mm1/report.html\">stages-mm1</a>"),
        "{page}"
    );
    assert!(!page.contains("notes"), "{page}");
    // The run's verdict is its own SLO section; the stages' names where it breaks.
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run_dir.join("report.json")).unwrap())
            .unwrap();
    let met =
        run["slo"]["latency_met"].as_bool().unwrap() && run["slo"]["errors_met"].as_bool().unwrap();
    assert!(
        page.contains(if met { "SLO met" } else { "SLO breached" }),
        "{page}"
    );
    let stages: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(stages_dir.join("report.json")).unwrap())
            .unwrap();
    assert_eq!(stages["first_failing_stage"], "heavy");
    assert!(
        page.contains("meets the SLO up to light; first breaks at heavy"),
        "{page}"
    );
}

#[test]
fn a_folder_without_reports_is_refused() {
    let dir = fresh("index-empty");
    let out = scaletwin(&["index", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no folder in it holds a report.json"));
    let out = scaletwin(&["index", dir.join("missing").to_str().unwrap()]);
    assert_ne!(out.status.code(), Some(0));
}
