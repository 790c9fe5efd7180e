//! The provenance the command line stamps on every report it writes.

use super::CliError;
use crate::report::{sha256_hex, InputFile, Provenance};
use crate::scenario::{Scenario, DEFAULT_SCENARIO, DEFAULT_SCENARIO_FILE};
use std::path::Path;

/// The bytes of a file the command read, or an error naming it.
fn bytes_of(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::Input {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

/// An input file with its digest.
pub(crate) fn input(path: &Path) -> Result<InputFile, CliError> {
    Ok(InputFile {
        path: path.display().to_string(),
        sha256: sha256_hex(&bytes_of(path)?),
    })
}

/// The provenance of a report on `scenario` (read from `file`, or the bundled
/// default) with the overrides `sets`.
pub(crate) fn of(
    file: Option<&Path>,
    scenario: &Scenario,
    sets: &[String],
) -> Result<Provenance, CliError> {
    let (name, bytes) = match file {
        Some(p) => (p.display().to_string(), bytes_of(p)?),
        None => (
            DEFAULT_SCENARIO_FILE.to_owned(),
            DEFAULT_SCENARIO.as_bytes().to_vec(),
        ),
    };
    let prices = crate::cost::table_for(scenario.prices.as_ref())
        .map(|t| format!("{}: {}", t.name, t.note))
        .unwrap_or_default();
    Ok(Provenance::new(&name, &bytes, scenario.seed, sets, prices))
}
