//! What each report set holds: the charts and CSV the commands' help
//! promises, the topology drawn in the HTML, the objective's lines.

use std::path::{Path, PathBuf};
use std::process::Command;

fn scaletwin(args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_scaletwin"))
        .args(args)
        .output()
        .expect("run scaletwin");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn scenario(name: &str) -> String {
    format!("{}/scenarios/{name}.ron", env!("CARGO_MANIFEST_DIR"))
}

fn fresh(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scaletwin-sets-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn sweep_out_writes_its_csv_and_charts() {
    let out = fresh("sweep");
    scaletwin(&[
        "sweep",
        &scenario("default"),
        "--vary",
        "components.api.replicas=2,4",
        "--vary",
        "workload.users=500,1000",
        "--set",
        "run.duration=\"20s\"",
        "--set",
        "run.warmup=\"5s\"",
        "--replications",
        "2",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    let files = names(&out);
    for f in [
        "sweep.csv",
        "latency.svg",
        "errors.svg",
        "good_ratio.svg",
        "cost.svg",
        "report.html",
    ] {
        assert!(files.contains(&f.to_owned()), "{f} missing from {files:?}");
    }
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 5, "{csv}");
    assert!(rows[0].starts_with("index,components.api.replicas,workload.users,p99_ms"));
    assert!(rows[1].starts_with("0,2,500,"), "{csv}");
    assert!(rows[4].starts_with("3,4,1000,"), "{csv}");
    // One line per value of the second field, over the first.
    let latency = std::fs::read_to_string(out.join("latency.svg")).unwrap();
    assert!(latency.contains("workload.users=500") && latency.contains("workload.users=1000"));
    assert!(latency.contains("SLO: 99% within"));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_eq!(html.matches("<figure>").count(), 4);
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn run_out_draws_the_topology_objectives_and_latency_by_percentile() {
    let out = fresh("run");
    scaletwin(&[
        "run",
        &scenario("autoscale-spike"),
        "--duration",
        "120s",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    let files = names(&out);
    for f in ["topology.svg", "latency_distribution.svg", "replicas.svg"] {
        assert!(files.contains(&f.to_owned()), "{f} missing from {files:?}");
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<figure class=\"topology\">"));
    // The topology names every component of the scenario.
    let topology = std::fs::read_to_string(out.join("topology.svg")).unwrap();
    for name in ["alb", "api"] {
        assert!(topology.contains(&format!(">{name}<")), "{name}");
    }
    let utilization = std::fs::read_to_string(out.join("utilization.svg")).unwrap();
    assert!(
        utilization.contains("api: HPA CPU target 60%"),
        "HPA target line"
    );
    let latency = std::fs::read_to_string(out.join("latency.svg")).unwrap();
    assert!(latency.contains("SLO: 99% within 1K ms (default)"));
    let replicas = std::fs::read_to_string(out.join("replicas.svg")).unwrap();
    assert!(replicas.contains("api ready") && replicas.contains("api desired"));
    std::fs::remove_dir_all(&out).unwrap();
}
