//! `--set` takes what the scenario file takes: any RON value, `None` to
//! remove an optional block, and errors in the scenario's words.

use scaletwin::scenario::{apply_overrides, read, Scenario};
use std::path::Path;

fn bundled(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    read(&path).unwrap().0
}

fn set(s: &Scenario, sets: &[&str]) -> Result<Scenario, String> {
    let sets: Vec<String> = sets.iter().map(|x| (*x).to_owned()).collect();
    apply_overrides(s, &sets).map_err(|e| e.to_string())
}

/// The scenario as the file would have said it, for comparing two ways of writing it.
fn written(s: &Scenario) -> String {
    serde_json::to_string(s).unwrap()
}

#[test]
fn numbers_with_separators_structs_lists_and_enums_are_values() {
    let s = bundled("autoscale-spike.ron");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/autoscale-spike.ron"),
    )
    .unwrap();
    let by_set = set(
        &s,
        &[
            "workload.users=200_000",
            r#"workload.pattern=Spike(at: "2m", factor: 3.0, for: "1m")"#,
        ],
    )
    .unwrap();
    let edited = text
        .replacen("users: ", "users: 200000, // was ", 1)
        .replace(
            r#"pattern: Spike(at: "1m", factor: 5.0, for: "3m")"#,
            r#"pattern: Spike(at: "2m", factor: 3.0, for: "1m")"#,
        );
    let by_file = scaletwin::scenario::parse(&edited, "edited.ron").unwrap();
    assert_eq!(written(&by_set), written(&by_file));
}

#[test]
fn none_removes_an_optional_block_and_a_struct_puts_one_back() {
    let s = bundled("autoscale-spike.ron");
    let without = set(&s, &["components.api.hpa=None"]).unwrap();
    let report = scaletwin::simulate(&scaletwin::scenario::check(&without, "", "x").unwrap());
    assert!(!report.scaling[0].autoscaled);
    let json = serde_json::to_value(&s).unwrap();
    let hpa = &json["components"][1]["Deployment"]["hpa"];
    assert!(hpa.is_object(), "{json}");
    let back = set(
        &without,
        &[&format!(
            "components.api.hpa=(min: {}, max: {}, cpu: {})",
            hpa["min"], hpa["max"], hpa["cpu"]
        )],
    )
    .unwrap();
    let back = serde_json::to_value(&back).unwrap();
    assert_eq!(
        back["components"][1]["Deployment"]["hpa"]["max"],
        hpa["max"]
    );
}

#[test]
fn words_are_strings_and_wrong_values_are_told_in_the_scenarios_words() {
    let s = bundled("mm1.ron");
    let warm = set(&s, &["run.warmup=1m"]).unwrap();
    assert_eq!(serde_json::to_value(&warm).unwrap()["run"]["warmup"], "1m");
    for (expression, said) in [
        ("components.server.replicas=abc", "Expected integer"),
        (
            "components.server.replicas=4.5",
            "expected an integer (a whole number), found 4.5",
        ),
        ("components.server.replicas=None", "integer"),
        ("run.duration=90", "no unit"),
        ("workload.userz=3", "did you mean `users`?"),
    ] {
        let e = set(&s, &[expression]).unwrap_err();
        assert!(e.starts_with(&format!("--set {expression}: ")), "{e}");
        assert!(e.contains(said), "{expression}: expected `{said}` in: {e}");
        for rust in [" u32", " u64", " f64", "usize"] {
            assert!(!e.contains(rust), "{expression}: Rust type in: {e}");
        }
    }
}
