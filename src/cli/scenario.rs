//! Loading the scenario a command names: its warnings go to stderr.

use super::CliError;
use crate::scenario::{Plan, Scenario, Setting};
use std::path::Path;

/// `--set` expressions as settings.
pub(crate) fn sets(expressions: &[String]) -> Vec<Setting> {
    expressions.iter().map(|e| Setting::set(e)).collect()
}

/// Loads, overrides and checks a scenario (the bundled default when `path`
/// is `None`), printing its warnings to stderr.
pub(crate) fn load(
    path: Option<&Path>,
    settings: &[Setting],
) -> Result<(Scenario, Plan), CliError> {
    let loaded = crate::scenario::load_with(path, settings)?;
    for w in &loaded.warnings {
        super::console::eprint(&format!(
            "{}\n",
            super::terminal_safe(&w.render(&loaded.file))
        ));
    }
    Ok((loaded.scenario, loaded.plan))
}

/// The name a scenario file is shown under (the bundled default's when none).
pub(crate) fn display_name(path: Option<&Path>) -> String {
    path.map_or_else(
        || crate::scenario::DEFAULT_SCENARIO_FILE.to_owned(),
        |f| f.display().to_string(),
    )
}
