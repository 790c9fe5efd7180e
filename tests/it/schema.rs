//! `scaletwin schema`: the JSON Schema of the scenario format accepts every
//! bundled scenario (as serde's data model in JSON) and refuses what the
//! parser refuses.

use scaletwin::scenario::{json_schema, read, Scenario};
use serde_json::{json, Value};
use std::path::Path;

fn validator() -> jsonschema::Validator {
    jsonschema::validator_for(&json_schema()).expect("the generated schema is a valid JSON Schema")
}

/// Every bundled scenario, read as the CLI reads it, in JSON form.
fn bundled() -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 20,
        "bundled scenarios found: {}",
        files.len()
    );
    files
        .into_iter()
        .map(|path| {
            let (scenario, _) = read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let value = serde_json::to_value(&scenario).unwrap();
            (path.display().to_string(), value)
        })
        .collect()
}

fn errors(v: &jsonschema::Validator, value: &Value) -> Vec<String> {
    v.iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn schema_accepts_every_bundled_scenario() {
    let v = validator();
    for (file, value) in bundled() {
        let problems = errors(&v, &value);
        assert!(problems.is_empty(), "{file}: {problems:#?}");
    }
}

/// The first Deployment of a scenario that has one with `resources`, and the
/// scenario.
fn with_deployment() -> Value {
    bundled()
        .into_iter()
        .map(|(_, v)| v)
        .find(|v| {
            v["components"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c.get("Deployment").is_some())
        })
        .expect("a bundled scenario with a Deployment")
}

fn deployment(v: &mut Value) -> &mut Value {
    v["components"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find_map(|c| c.get_mut("Deployment"))
        .unwrap()
}

/// Whether the schema and the parser (serde, from the JSON form) agree
/// about `value`; returns the schema's verdict.
fn verdict(v: &jsonschema::Validator, value: &Value) -> bool {
    let schema_ok = v.is_valid(value);
    let parsed = serde_json::from_value::<Scenario>(value.clone());
    assert_eq!(
        schema_ok,
        parsed.is_ok(),
        "schema and parser disagree on {value}: parser says {parsed:?}"
    );
    schema_ok
}

#[test]
fn schema_rejects_what_the_parser_rejects() {
    let v = validator();
    let good = with_deployment();
    assert!(verdict(&v, &good));

    let mut bad = good.clone();
    deployment(&mut bad)["replicas"] = json!("four");
    assert!(!verdict(&v, &bad), "replicas: \"four\"");

    let mut bad = good.clone();
    deployment(&mut bad)["replicaz"] = json!(4);
    assert!(!verdict(&v, &bad), "an unknown field");

    let mut bad = good.clone();
    bad["components"]
        .as_array_mut()
        .unwrap()
        .push(json!({"Kubernetes": {"name": "k"}}));
    assert!(!verdict(&v, &bad), "an unknown component variant");

    let mut bad = good.clone();
    bad["run"]["duration"] = json!("5 parsecs");
    assert!(!verdict(&v, &bad), "a duration with an unknown unit");

    let mut bad = good.clone();
    bad["run"]["duration"] = json!(300);
    assert!(!verdict(&v, &bad), "a duration without a unit");

    let mut bad = good.clone();
    bad.as_object_mut().unwrap().remove("workload");
    assert!(!verdict(&v, &bad), "a missing required field");
}

#[test]
fn schema_takes_quantities_as_numbers_or_strings_and_options_as_absent() {
    let v = validator();
    let mut s = with_deployment();
    let d = deployment(&mut s);
    d["resources"] = json!({"cpu": "250m", "memory_mib": 512});
    d["nodes"] = json!({"cpu": 2, "memory_mib": "7Gi"});
    assert!(verdict(&v, &s));
    deployment(&mut s)["resources"] = json!({"cpu": "lots"});
    assert!(!verdict(&v, &s), "cpu: \"lots\"");
    deployment(&mut s)["resources"] = json!({"memory": "1Gi"});
    deployment(&mut s)["nodes"] = json!({"cpu": "1930m", "memory": 7168});
    assert!(verdict(&v, &s), "memory, the alias of memory_mib");
    deployment(&mut s)["nodes"] = json!({"cpu": 2, "memory": 1, "memory_mib": 1});
    assert!(!verdict(&v, &s), "memory and memory_mib both");
    deployment(&mut s)["nodes"] = json!({"cpu": 2});
    assert!(!verdict(&v, &s), "nodes without memory");

    let mut s = with_deployment();
    for key in ["queue_limit", "hpa", "resources", "nodes", "zones"] {
        deployment(&mut s).as_object_mut().unwrap().remove(key);
    }
    s.as_object_mut().unwrap().remove("regions");
    assert!(verdict(&v, &s), "Option fields may be omitted");
}

#[test]
fn schema_describes_fields_from_their_doc_comments() {
    let schema = json_schema();
    assert_eq!(
        schema["properties"]["seed"]["description"],
        "Master seed: every random stream derives from it."
    );
    let text = schema.to_string();
    assert!(
        text.contains("Requests one pod works on at once"),
        "Deployment.concurrency"
    );
    assert!(text.contains("250ms"), "the Duration description");
}

#[test]
fn the_schema_subcommand_prints_it() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scaletwin"))
        .arg("schema")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed, json_schema());
}

#[test]
fn the_schema_subcommand_writes_out_a_file() {
    let dir = std::env::temp_dir().join(format!("scaletwin-schema-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("scaletwin.schema.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scaletwin"))
        .args(["schema", "--out", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(written, json_schema());
    std::fs::remove_dir_all(&dir).unwrap();
}
