//! The Kubernetes sweep of deploy/k8s runs as N local processes: the very
//! scripts its ConfigMap ships, one per completion index, then the merge
//! script. The merged result must equal a single-process sweep, byte for byte.

use std::path::Path;
use std::process::Command;

/// The shell script stored under `key` in the sweep Job's ConfigMap.
fn script(key: &str) -> String {
    let yaml = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/k8s/sweep-job.yaml"),
    )
    .unwrap();
    let begin = format!("# begin {key}\n");
    let body = &yaml[yaml.find(&begin).expect("begin marker") + begin.len()..];
    let body = &body[..body.find(&format!("# end {key}")).expect("end marker")];
    let mut lines = body.lines();
    assert_eq!(
        lines.next().map(str::trim),
        Some(format!("{key}: |").as_str())
    );
    lines
        .map(|l| l.strip_prefix("    ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

fn sh(script: &str, dir: &Path, index: Option<usize>, parts: usize) -> std::process::Child {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(script)
        .env("SCALETWIN", env!("CARGO_BIN_EXE_scaletwin"))
        .env("PARTS", parts.to_string())
        .env(
            "SCENARIO",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/mm1.ron"),
        )
        .env("VARY", "workload.rps_per_user=0.3,0.5,0.7,0.8,0.9")
        .env("REPLICATIONS", "2")
        .env("RESULTS", dir);
    if let Some(i) = index {
        cmd.env("JOB_COMPLETION_INDEX", i.to_string());
    }
    cmd.spawn().expect("sh")
}

#[test]
fn the_indexed_job_flow_merges_to_the_single_process_sweep() {
    let dir = std::env::temp_dir().join(format!("scaletwin-k8s-sweep-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let parts = 3;
    let sweep = script("sweep.sh");
    let pods: Vec<_> = (0..parts)
        .map(|i| sh(&sweep, &dir, Some(i), parts))
        .collect();
    for mut p in pods {
        assert!(p.wait().unwrap().success(), "a partition failed");
    }
    for i in 0..parts {
        assert!(dir.join(format!("part-{i}.json")).is_file());
    }
    assert!(sh(&script("merge.sh"), &dir, None, parts)
        .wait()
        .unwrap()
        .success());
    let merged = std::fs::read_to_string(dir.join("sweep.json")).unwrap();

    let whole = dir.join("whole.json");
    let out = Command::new(env!("CARGO_BIN_EXE_scaletwin"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "sweep",
            "scenarios/mm1.ron",
            "--vary",
            "workload.rps_per_user=0.3,0.5,0.7,0.8,0.9",
            "--replications",
            "2",
            "--quiet",
            "--json",
        ])
        .arg(&whole)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let single = std::fs::read_to_string(&whole).unwrap();
    // The merged file names no partition; a single sweep's file says null
    // too. Only the provenance differs: the merge names its parts.
    let parse =
        |text: &str| -> scaletwin::report::SweepReport { serde_json::from_str(text).unwrap() };
    let (mut merged, mut single) = (parse(&merged), parse(&single));
    let merged_from = merged.provenance.take().expect("provenance").inputs;
    assert_eq!(merged_from.len(), parts, "the merge lists its parts");
    assert!(single
        .provenance
        .take()
        .expect("provenance")
        .inputs
        .is_empty());
    assert_eq!(
        serde_json::to_string_pretty(&merged).unwrap(),
        serde_json::to_string_pretty(&single).unwrap()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
