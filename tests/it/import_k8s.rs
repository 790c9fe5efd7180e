//! `scaletwin import k8s`: the seed manifests behave exactly like the same
//! system written by hand, unmodelled fields are named, bad input exits 2.

use scaletwin::import::k8s;
use scaletwin::scenario::schema::{Component, Deployment};
use scaletwin::scenario::{parse, Scenario};
use std::process::Command;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/k8s");

fn fixture(name: &str) -> (String, String) {
    let path = format!("{DIR}/{name}");
    let text = std::fs::read_to_string(&path).unwrap();
    (path, text)
}

fn seed_import() -> scaletwin::import::Imported {
    k8s::import(&[fixture("seed.yaml")]).unwrap_or_else(|e| panic!("{e}"))
}

fn hand_written() -> Scenario {
    let (path, text) = fixture("seed.ron");
    parse(&text, &path).unwrap()
}

/// The hand-written scenario with the imported components in place of its own.
fn with_imported_components(imported: &Scenario) -> Scenario {
    let mut s = hand_written();
    s.components = imported.components.clone();
    s
}

fn report_json(s: &Scenario) -> String {
    serde_json::to_string(&crate::run_scenario(s)).unwrap()
}

#[test]
fn seed_manifests_give_the_hand_written_components() {
    let imported = parse(&seed_import().ron, "imported.ron").unwrap();
    assert_eq!(imported.components, hand_written().components);
}

#[test]
fn seed_manifests_give_the_same_replica_trajectory_under_a_spike() {
    let imported = parse(&seed_import().ron, "imported.ron").unwrap();
    let by_hand = report_json(&hand_written());
    let from_yaml = report_json(&with_imported_components(&imported));
    assert_eq!(from_yaml, by_hand, "the whole report, byte for byte");

    // The trajectory is not trivial: the spike makes the HPA scale up,
    // by at most max(100 %, 4 pods) per 15 s, and the 5-minute window holds it.
    let report = crate::run_scenario(&hand_written());
    let api = &report.scaling[0];
    let peak = api.series.iter().map(|r| r.desired).max().unwrap();
    assert!(peak >= 8, "the spike scales api up (peak {peak})");
    for e in api.events.iter().filter(|e| e.to > e.from) {
        assert!(e.to <= (2 * e.from).max(e.from + 4), "{e:?}");
    }

    // The manifests' limits act: Compute is CPU time on the pods, the
    // HPA reads it over the 250m request, and the 500m limit throttles.
    let cpu = api.resources.as_ref().expect("the CPU model is on");
    assert_eq!(
        (cpu.cpu_request_cores, cpu.cpu_limit_cores),
        (0.25, Some(0.5))
    );
    assert!(cpu.throttled_share.unwrap() > 0.0, "{cpu:?}");

    // And the HPA's behavior matters: the same manifests without it differ.
    let mut without = imported.clone();
    for c in &mut without.components {
        if let Component::Deployment(Deployment { hpa: Some(h), .. }) = c {
            h.behavior = None;
        }
    }
    assert_ne!(report_json(&with_imported_components(&without)), by_hand);
}

#[test]
fn unmodelled_fields_are_warnings_naming_them() {
    let imported = seed_import();
    let has = |text: &str| imported.warnings.iter().any(|w| w.contains(text));
    for path in [
        "Deployment/shop/api: spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef: not modelled",
        "spec.template.spec.containers[0].livenessProbe.httpGet.path: not modelled",
        "Service/shop/api: spec.ports[0]: not modelled",
    ] {
        assert!(has(path), "no warning {path:?} in {:#?}", imported.warnings);
    }
    // Each names its line in the file.
    let secret = imported
        .warnings
        .iter()
        .find(|w| w.contains("secretKeyRef"))
        .unwrap();
    assert!(secret.contains("seed.yaml:28:"), "{secret}");
    // What is modelled is not a warning.
    for modelled in [
        "requests",
        "limits",
        "readinessProbe.periodSeconds",
        "livenessProbe.initialDelaySeconds",
        "containers[0].ports",
        "behavior",
        "minAvailable",
        "spec.replicas",
    ] {
        assert!(
            !has(modelled),
            "{modelled} is modelled: {:#?}",
            imported.warnings
        );
    }
    // The warnings are in the file too, and every block names its source.
    assert!(imported.ron.contains("//   ") && imported.ron.contains("secretKeyRef"));
    for source in [
        "// Deployment/shop/api (",
        "// HorizontalPodAutoscaler/shop/api (",
        "// PodDisruptionBudget/shop/api (",
        "// Service/shop/api (",
    ] {
        assert!(imported.ron.contains(source), "{source}");
    }
}

#[test]
fn the_cli_writes_a_scenario_that_validates() {
    let dir = std::env::temp_dir().join(format!("scaletwin-import-k8s-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out_path = dir.join("seed.ron");
    let out = Command::new(env!("CARGO_BIN_EXE_scaletwin"))
        .args(["import", "k8s", &format!("{DIR}/seed.yaml"), "--out"])
        .arg(&out_path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: ") && stderr.contains("secretKeyRef: not modelled"),
        "{stderr}"
    );
    let validate = Command::new(env!("CARGO_BIN_EXE_scaletwin"))
        .arg("validate")
        .arg(&out_path)
        .output()
        .unwrap();
    assert!(
        validate.status.success(),
        "{}",
        String::from_utf8_lossy(&validate.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn malformed_manifests_exit_2_with_file_line_and_field() {
    for (file, wanted) in [
        (
            "bad-syntax.yaml",
            &["bad-syntax.yaml:9:1:", "did not find expected", "at line 8"][..],
        ),
        (
            "bad-type.yaml",
            &["bad-type.yaml:15:13:", "spec.replicas", "expected i32"],
        ),
        (
            "bad-kind.yaml",
            &[
                "bad-kind.yaml:3:",
                "kind",
                "Deploymnet",
                "HorizontalPodAutoscaler",
            ],
        ),
        (
            "bad-quantity.yaml",
            &[
                "bad-quantity.yaml:20:",
                "resources.requests.cpu",
                "half a core",
                "Mi",
            ],
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_scaletwin"))
            .args(["import", "k8s", &format!("{DIR}/{file}")])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file}: {stderr}");
        for w in wanted {
            assert!(stderr.contains(w), "{file}: {w:?} not in {stderr}");
        }
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn wrong_api_version_and_unsupported_kinds() {
    let hpa_v1 = "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: a}\n";
    let e = k8s::import(&[("h.yaml".into(), hpa_v1.into())]).unwrap_err();
    assert_eq!((e.line, e.field.as_str()), (Some(1), "apiVersion"));
    assert!(e.message.contains("autoscaling/v2"), "{e}");

    // A ConfigMap is a known kind with nothing to simulate: one warning.
    let (_, seed) = fixture("seed.yaml");
    let text =
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings}}\n---\n{seed}");
    let imported = k8s::import(&[("all.yaml".into(), text)]).unwrap();
    assert!(
        imported.warnings[0].starts_with("all.yaml:2: ConfigMap/default/settings: not modelled")
    );
}

#[test]
fn pod_resources_sum_requests_and_limit_only_when_every_container_has_one() {
    // Container a: CPU request and limit, a memory limit only (Kubernetes
    // then requests the limit). Container b: both requests, a CPU limit, no
    // memory limit (so the pod's memory is not bounded).
    let yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: two}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: two}}\n  template:\n    metadata: {labels: {app: two}}\n    spec:\n      containers:\n        - name: a\n          resources:\n            requests: {cpu: 200m}\n            limits: {cpu: 300m, memory: 128Mi}\n        - name: b\n          resources:\n            requests: {cpu: 100m, memory: 64Mi}\n            limits: {cpu: 200m}\n";
    let imported = k8s::import(&[("two.yaml".into(), yaml.into())]).unwrap();
    let s = parse(&imported.ron, "two.ron").unwrap();
    let d = s
        .components
        .iter()
        .find_map(|c| match c {
            Component::Deployment(d) => Some(d),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{}", imported.ron));
    let r = d.resources.as_ref().unwrap();
    let requests = r.requests.as_ref().unwrap();
    assert_eq!((requests.cpu, requests.memory), (Some(0.3), Some(192.0)));
    let limits = r.limits.as_ref().unwrap();
    assert_eq!((limits.cpu, limits.memory), (Some(0.5), None));
    assert!(
        imported
            .ron
            .contains("memory limit 128Mi, taken as the request too")
            && imported.ron.contains("cpu request 100m, limit 200m"),
        "{}",
        imported.ron
    );
    // The limits are modelled, so no warning names them.
    assert!(
        !imported.warnings.iter().any(|w| w.contains("limits")),
        "{:#?}",
        imported.warnings
    );
}
