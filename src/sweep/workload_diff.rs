//! What `compare` tells about its inputs: a name for each architecture's
//! rows, and the differences between the workloads of the compared files.

use crate::report::WorkloadDifference;
use crate::scenario::Scenario;
use serde_json::Value;
use std::collections::BTreeMap;

/// The name of each architecture's rows: the scenario names, or the files
/// when two scenarios share a name (a copied-and-tweaked file); a file
/// given twice gets its position too.
pub(super) fn labels(scenarios: &[(Scenario, String)]) -> Vec<String> {
    let names: Vec<&str> = scenarios.iter().map(|(s, _)| s.name.as_str()).collect();
    let unique = |xs: &[&str]| xs.iter().enumerate().all(|(i, x)| !xs[..i].contains(x));
    if unique(&names) {
        return names.iter().map(|n| (*n).to_owned()).collect();
    }
    let files: Vec<&str> = scenarios.iter().map(|(_, f)| f.as_str()).collect();
    if unique(&files) {
        return files.iter().map(|f| (*f).to_owned()).collect();
    }
    files
        .iter()
        .enumerate()
        .map(|(i, f)| format!("{f} (#{})", i + 1))
        .collect()
}

/// Every workload field in which `other` differs from `first`, in field order.
pub(super) fn workload_differences(
    first: &Scenario,
    other: &Scenario,
    label: &str,
) -> Vec<WorkloadDifference> {
    let (a, b) = (fields(first), fields(other));
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| WorkloadDifference {
            architecture: label.to_owned(),
            field: k.clone(),
            first: a.get(k).cloned().unwrap_or_else(|| "-".to_owned()),
            other: b.get(k).cloned().unwrap_or_else(|| "-".to_owned()),
        })
        .collect()
}

/// The scenario's workload as `path -> value` (compact JSON), leaves only.
fn fields(s: &Scenario) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let value = serde_json::to_value(&s.workload).expect("a workload always serializes");
    flatten("workload", &value, &mut out);
    out
}

fn flatten(path: &str, v: &Value, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                flatten(&format!("{path}.{k}"), x, out);
            }
        }
        Value::Null => {}
        leaf => {
            out.insert(path.to_owned(), leaf.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(name: &str, sets: &[&str]) -> Scenario {
        let s = crate::scenario::parse(crate::scenario::DEFAULT_SCENARIO, "default.ron").unwrap();
        let mut s = crate::scenario::apply_overrides(
            &s,
            &sets.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
        )
        .unwrap();
        s.name = name.to_owned();
        s
    }

    #[test]
    fn rows_are_named_by_file_when_names_repeat() {
        let a = (scenario("x", &[]), "a.ron".to_owned());
        let b = (scenario("x", &[]), "b.ron".to_owned());
        let c = (scenario("y", &[]), "a.ron".to_owned());
        assert_eq!(labels(&[a.clone(), c]), ["x", "y"]);
        assert_eq!(labels(&[a.clone(), b]), ["a.ron", "b.ron"]);
        assert_eq!(labels(&[a.clone(), a]), ["a.ron (#1)", "a.ron (#2)"]);
    }

    #[test]
    fn differences_name_each_changed_field_with_both_values() {
        let a = scenario("a", &[]);
        let b = scenario("b", &["workload.rps_per_user=0.5"]);
        let d = workload_differences(&a, &b, "b");
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].field, "workload.rps_per_user");
        assert_eq!(d[0].other, "0.5");
        assert_ne!(d[0].first, d[0].other);
        assert!(workload_differences(&a, &a, "a").is_empty());
    }
}
