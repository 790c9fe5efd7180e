//! The scenario language: RON text -> [`Scenario`] (what the user wrote) ->
//! [`Plan`] (checked and indexed, what the simulator runs).
//!
//! ```text
//!  file.ron ──ron──▶ Scenario ──--set overrides──▶ Scenario ──resolve───▶ Plan
//!              │                     │                          │
//!        Syntax error          Override error           Invalid (all problems)
//! ```

mod error;
mod graph;
mod overrides;
mod place;
mod plan;
pub mod quantity;
mod resolve;
pub mod schema;
mod suggest;
mod syntax;
pub(crate) mod unique;
pub mod units;
mod warnings;

pub use error::{LocatedProblem, ScenarioError};
pub use graph::Topology;
pub use plan::*;
pub use resolve::resolve_paths;
pub(crate) use resolve::{number, MAX_RATE};
pub use resolve::{validate, Problem};
pub use resolve::{
    MAX_CALL_DEPTH, MAX_COMPONENTS, MAX_ENDPOINT_STEPS, MAX_FAULTS, MAX_TOTAL_STEPS,
};
pub use schema::Scenario;
pub(crate) use suggest::did_you_mean;
pub use warnings::{warnings, Warning};

use error::snippet;

/// The scenario compiled into the binary, run when no file is given.
pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/default.ron");
/// The name the default scenario is reported under.
pub const DEFAULT_SCENARIO_FILE: &str = "scenarios/default.ron";

/// RON options: `Some(..)` may be left out around optional values, and a
/// component's fields sit directly in its variant (`Queue(name: "jobs", ..)`,
/// not `Queue((name: "jobs", ..))`) although the variant holds a struct.
fn ron_options() -> ron::Options {
    use ron::extensions::Extensions;
    ron::Options::default()
        .with_default_extension(Extensions::IMPLICIT_SOME)
        .with_default_extension(Extensions::UNWRAP_VARIANT_NEWTYPES)
}

/// The text without a UTF-8 byte-order mark at its start (editors on
/// Windows write one; it is not part of the scenario).
fn without_bom(source: &str) -> &str {
    source.strip_prefix('\u{feff}').unwrap_or(source)
}

/// Parses RON text into a [`Scenario`]; `file` names the source in errors.
pub fn parse(source: &str, file: &str) -> Result<Scenario, ScenarioError> {
    let source = without_bom(source);
    ron_options().from_str::<Scenario>(source).map_err(|e| {
        let x = syntax::explain(source, &e);
        ScenarioError::Syntax {
            file: file.to_owned(),
            line: x.line,
            column: x.column,
            message: x.message,
            snippet: snippet(source, x.line, x.column),
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
    let source = without_bom(&source).to_owned();
    let mut scenario = parse(&source, &file)?;
    resolve_paths(
        &mut scenario,
        path.parent().unwrap_or(std::path::Path::new("")),
    );
    Ok((scenario, source))
}

/// Validates `scenario`, locating each problem in `source` where possible.
pub fn check(scenario: &Scenario, source: &str, file: &str) -> Result<Plan, ScenarioError> {
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

/// A change to one scenario field and the command-line flag that asked
/// for it, so an error names what the user typed (`--duration 90`, not a
/// `--set` they never wrote).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    /// The flag: `--set`, `--duration`, `--vary`...
    pub flag: String,
    /// The flag's value as the user gave it.
    pub given: String,
    /// The override it stands for: `path=value`.
    pub expression: String,
}

impl Setting {
    /// A `--set path=value`.
    pub fn set(expression: &str) -> Setting {
        Setting {
            flag: "--set".to_owned(),
            given: expression.to_owned(),
            expression: expression.to_owned(),
        }
    }

    /// A flag that sets the field at `path` to its value (`--seed 7`).
    pub fn flag(flag: &str, given: &str, path: &str) -> Setting {
        Setting {
            flag: flag.to_owned(),
            given: given.to_owned(),
            expression: format!("{path}={given}"),
        }
    }
}

/// Applies `path=value` overrides (e.g. `workload.users=5000`,
/// `components.api.replicas=4`, `run.duration=10m`) to a scenario.
///
/// A path walks fields by name; in a list, a segment is an index or the
/// `name` of an element. The value is any RON value the file could hold there
/// (`200_000`, `(min: 2, max: 8)`, `[..]`, `None` to remove an optional
/// block); a bare word that is not RON (`1m`, `us-east`) is a string.
pub fn apply_overrides(scenario: &Scenario, sets: &[String]) -> Result<Scenario, ScenarioError> {
    let settings: Vec<Setting> = sets.iter().map(|e| Setting::set(e)).collect();
    apply_settings(scenario, &settings)
}

/// [`apply_overrides`] for settings from any flag; errors name the flag.
pub fn apply_settings(scenario: &Scenario, sets: &[Setting]) -> Result<Scenario, ScenarioError> {
    if sets.is_empty() {
        return Ok(scenario.clone());
    }
    let err = |setting: &Setting, message: String| ScenarioError::Override {
        flag: setting.flag.clone(),
        expression: setting.given.clone(),
        message,
    };
    let whole = Setting::set("");
    let mut tree = overrides::to_ron(scenario).map_err(|m| err(&whole, m))?;
    for setting in sets {
        let (path, value) = setting.expression.split_once('=').ok_or_else(|| {
            err(
                setting,
                "expected path=value, e.g. workload.users=5000".into(),
            )
        })?;
        // Each override is checked as it is applied, so an error names the one that broke it.
        tree = overrides::set(&tree, path.trim(), value.trim()).map_err(|m| err(setting, m))?;
    }
    overrides::from_ron(&tree).map_err(|m| err(&whole, m))
}

/// Loads a scenario from a file (or the bundled default when `path` is
/// `None`), applies `--set` overrides, and validates it.
pub fn load(
    path: Option<&std::path::Path>,
    sets: &[String],
) -> Result<(Scenario, Plan), ScenarioError> {
    let settings: Vec<Setting> = sets.iter().map(|e| Setting::set(e)).collect();
    let loaded = load_with(path, &settings)?;
    Ok((loaded.scenario, loaded.plan))
}

/// A scenario as a command uses it.
#[derive(Debug)]
pub struct Loaded {
    /// What the file says, overrides applied.
    pub scenario: Scenario,
    /// The checked plan.
    pub plan: Plan,
    /// What it says but probably did not mean (see [`warnings`]).
    pub warnings: Vec<Warning>,
    /// The file's name, as given (or the bundled default's).
    pub file: String,
}

/// [`load`] with settings from any flag, and the scenario's warnings.
pub fn load_with(
    path: Option<&std::path::Path>,
    sets: &[Setting],
) -> Result<Loaded, ScenarioError> {
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
    let scenario = apply_settings(&scenario, sets)?;
    let plan = check(&scenario, &source, &file)?;
    Ok(Loaded {
        warnings: warnings(&scenario, &source),
        scenario,
        plan,
        file,
    })
}

#[cfg(test)]
mod tests {
    use super::schema::{Component, Fault};
    use super::*;

    #[test]
    fn overrides_reach_the_fields_of_component_and_fault_structs() {
        let text = include_str!("../../scenarios/cdn-regions.ron");
        let s = parse(text, "cdn-regions.ron").unwrap();
        let sets = [
            "components.api.replicas=6".to_owned(),
            "faults.0.for=\"2m\"".to_owned(),
        ];
        let t = apply_overrides(&s, &sets).unwrap();
        let api = t.components.iter().find(|c| c.name() == "api").unwrap();
        let Component::Deployment(api) = api else {
            panic!("api is a Deployment")
        };
        assert_eq!(api.replicas, 6);
        let Fault::RegionDown(down) = &t.faults[0] else {
            panic!("the fault is a RegionDown")
        };
        assert_eq!(
            down.length.map(units::Duration::nanos),
            Some(crate::algo::Nanos::from_secs(120))
        );
        let Err(ScenarioError::Override { message, .. }) =
            apply_overrides(&s, &["components.api.replicaz=6".to_owned()])
        else {
            panic!("an unknown field is refused")
        };
        assert!(message.contains("did you mean `replicas`?"), "{message}");
    }

    #[test]
    fn a_component_written_with_its_fields_in_the_variant_parses_into_its_struct() {
        let s = parse(DEFAULT_SCENARIO, DEFAULT_SCENARIO_FILE).unwrap();
        assert!(matches!(&s.components[2], Component::Database(db) if db.connections == 20));
        // The struct's own parentheses are not part of the language.
        let doubled = DEFAULT_SCENARIO.replace(
            r#"Database(name: "pg", connections: 20)"#,
            r#"Database((name: "pg", connections: 20))"#,
        );
        assert!(parse(&doubled, "d.ron").is_err());
    }
}
