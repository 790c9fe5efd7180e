//! The scenario language: RON text -> [`Scenario`] (what the user wrote) ->
//! [`Model`] (checked and indexed, what the simulator runs).
//!
//! ```text
//!  file.ron ──ron──▶ Scenario ──--set overrides──▶ Scenario ──validate──▶ Model
//!              │                     │                          │
//!        Syntax error          Override error           Invalid (all problems)
//! ```

mod autoscale;
mod calls;
mod error;
mod graph;
mod jobs;
mod model;
mod place;
mod regions;
pub mod schema;
pub mod units;
mod validate;

pub use calls::{MAX_CALL_DEPTH, MAX_ENDPOINT_STEPS, MAX_TOTAL_STEPS};
pub use error::{LocatedProblem, ScenarioError};
pub use graph::Topology;
pub use model::*;
pub use schema::Scenario;
pub use validate::{validate, Problem};

use error::snippet;

/// The scenario compiled into the binary, run when no file is given.
pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/default.ron");
/// The name the default scenario is reported under.
pub const DEFAULT_SCENARIO_FILE: &str = "scenarios/default.ron";

/// RON options: `Some(..)` may be left out around optional values.
fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
}

/// Parses RON text into a [`Scenario`]; `file` names the source in errors.
pub fn parse(source: &str, file: &str) -> Result<Scenario, ScenarioError> {
    ron_options().from_str::<Scenario>(source).map_err(|e| {
        let (line, column) = (e.span.start.line, e.span.start.col);
        ScenarioError::Syntax {
            file: file.to_owned(),
            line,
            column,
            message: e.code.to_string(),
            snippet: snippet(source, line, column),
        }
    })
}

/// Reads and parses a scenario file.
pub fn read(path: &std::path::Path) -> Result<(Scenario, String), ScenarioError> {
    let file = path.display().to_string();
    let source = std::fs::read_to_string(path).map_err(|e| ScenarioError::Io {
        file: file.clone(),
        message: e.to_string(),
    })?;
    Ok((parse(&source, &file)?, source))
}

/// Validates `scenario`, locating each problem in `source` where possible.
pub fn check(scenario: &Scenario, source: &str, file: &str) -> Result<Model, ScenarioError> {
    validate(scenario).map_err(|problems| {
        let mut locator = place::Locator::new(source);
        ScenarioError::Invalid {
            file: file.to_owned(),
            problems: problems
                .into_iter()
                .map(|problem| LocatedProblem {
                    position: locator.position(&problem.path, problem.needle.as_deref()),
                    problem,
                })
                .collect(),
        }
    })
}

/// Applies `path=value` overrides (e.g. `workload.users=5000`,
/// `components.api.replicas=4`, `run.duration=10m`) to a scenario.
///
/// A path walks fields by name; in a list, a segment is an index or the
/// `name` of an element. The value is JSON if it parses as JSON, else a string.
pub fn apply_overrides(scenario: &Scenario, sets: &[String]) -> Result<Scenario, ScenarioError> {
    if sets.is_empty() {
        return Ok(scenario.clone());
    }
    let err = |expression: &str, message: String| ScenarioError::Override {
        expression: expression.to_owned(),
        message,
    };
    let mut tree = serde_json::to_value(scenario).map_err(|e| err("", e.to_string()))?;
    for expression in sets {
        let (path, value) = expression.split_once('=').ok_or_else(|| {
            err(
                expression,
                "expected path=value, e.g. workload.users=5000".into(),
            )
        })?;
        let value = serde_json::from_str(value.trim())
            .unwrap_or_else(|_| serde_json::Value::String(value.trim().to_owned()));
        let slot = walk(&mut tree, path.trim()).map_err(|m| err(expression, m))?;
        *slot = value;
        // Re-check after each override so the error names the one that broke it.
        serde_json::from_value::<Scenario>(tree.clone())
            .map_err(|e| err(expression, e.to_string()))?;
    }
    serde_json::from_value(tree).map_err(|e| err("", e.to_string()))
}

/// Finds the value at a dotted path in a JSON tree.
fn walk<'a>(
    tree: &'a mut serde_json::Value,
    path: &str,
) -> Result<&'a mut serde_json::Value, String> {
    use serde_json::Value;
    let mut node = tree;
    let mut walked = String::new();
    for segment in path.split('.') {
        // Enum wrappers ({"Deployment": {...}}) are transparent.
        node = unwrap_variant(node);
        let here = if walked.is_empty() {
            "the scenario".to_owned()
        } else {
            walked.clone()
        };
        node = match node {
            Value::Object(map) => {
                let fields: Vec<String> = map.keys().cloned().collect();
                map.get_mut(segment).ok_or_else(|| {
                    format!(
                        "{here} has no field `{segment}`; it has: {}",
                        fields.join(", ")
                    )
                })?
            }
            Value::Array(items) => {
                let names: Vec<String> = items
                    .iter()
                    .filter_map(|v| element_name(v).map(str::to_owned))
                    .collect();
                let index = match segment.parse::<usize>() {
                    Ok(i) if i < items.len() => i,
                    _ => items
                        .iter()
                        .position(|v| element_name(v) == Some(segment))
                        .ok_or_else(|| {
                            format!("{here} has no element `{segment}`; use an index below {} or a name: {}", items.len(), names.join(", "))
                        })?,
                };
                &mut items[index]
            }
            _ => {
                return Err(format!(
                    "{here} is a single value; it has no field `{segment}`"
                ))
            }
        };
        if !walked.is_empty() {
            walked.push('.');
        }
        walked.push_str(segment);
    }
    Ok(node)
}

fn unwrap_variant(v: &mut serde_json::Value) -> &mut serde_json::Value {
    let is_variant = matches!(v, serde_json::Value::Object(m) if m.len() == 1
        && m.keys().all(|k| k.starts_with(|c: char| c.is_ascii_uppercase()))
        && m.values().all(serde_json::Value::is_object));
    if is_variant {
        if let serde_json::Value::Object(m) = v {
            return m.values_mut().next().expect("one entry");
        }
    }
    v
}

fn element_name(v: &serde_json::Value) -> Option<&str> {
    let inner = match v {
        serde_json::Value::Object(m) if m.len() == 1 => m.values().next()?,
        other => other,
    };
    inner.get("name")?.as_str()
}

/// Loads a scenario from a file (or the bundled default when `path` is
/// `None`), applies overrides, and validates it.
pub fn load(
    path: Option<&std::path::Path>,
    sets: &[String],
) -> Result<(Scenario, Model), ScenarioError> {
    let (scenario, source, file) = match path {
        Some(p) => {
            let (s, src) = read(p)?;
            (s, src, p.display().to_string())
        }
        None => (
            parse(DEFAULT_SCENARIO, DEFAULT_SCENARIO_FILE)?,
            DEFAULT_SCENARIO.to_owned(),
            DEFAULT_SCENARIO_FILE.to_owned(),
        ),
    };
    let scenario = apply_overrides(&scenario, sets)?;
    let model = check(&scenario, &source, &file)?;
    Ok((scenario, model))
}
