//! Where a report came from: the tool, the scenario file and its digest, the
//! seed, every override and the command line, and the price table.
//!
//! The command line leaves out the options that cannot change a result
//! (`--threads`, `--quiet`, progress settings, where the output goes), so
//! reports of the same work stay byte-identical at any thread count and
//! whatever file they are written to.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt::Write;

/// The inputs and tool that produced a report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// `scaletwin <version>`.
    pub tool: String,
    /// The scenario file as given (`<bundled default>` without one).
    pub scenario_file: String,
    /// SHA-256 of the scenario file's bytes, in hex.
    pub scenario_sha256: String,
    /// The master seed (after `--seed` and `--set`).
    pub seed: u64,
    /// Every `--set` override, in the order given (flags such as
    /// `--duration` appear as the override they make).
    pub sets: Vec<String>,
    /// The command line, without options that cannot change the result.
    pub command: Vec<String>,
    /// The price table: its name and what it says of its date.
    pub prices: String,
    /// Other input files (e.g. the parts a merge combined) and their SHA-256.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<InputFile>,
}

/// An input file and its digest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputFile {
    /// The path as given.
    pub path: String,
    /// SHA-256 of its bytes, in hex.
    pub sha256: String,
}

/// SHA-256 of `bytes` as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Options that never change what a report says, with whether they take a value.
const RESULT_NEUTRAL: [(&str, bool); 6] = [
    ("--threads", true),
    ("--json", true),
    ("--out", true),
    ("--quiet", false),
    ("-q", false),
    ("--progress-every", true),
];

/// `args` (the process's arguments, program first) without the options
/// that cannot change a result, and with the program named `scaletwin`.
pub fn result_command(args: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = args.into_iter();
    if it.next().is_some() {
        out.push("scaletwin".to_owned());
    }
    while let Some(a) = it.next() {
        let name = a.split_once('=').map_or(a.as_str(), |(n, _)| n);
        match RESULT_NEUTRAL.iter().find(|(n, _)| *n == name) {
            Some((_, takes_value)) => {
                if *takes_value && !a.contains('=') {
                    it.next();
                }
            }
            None => out.push(a),
        }
    }
    out
}

impl Provenance {
    /// The provenance of a report on `scenario_file` (with its bytes).
    pub fn new(
        scenario_file: &str,
        scenario_bytes: &[u8],
        seed: u64,
        sets: &[String],
        prices: String,
    ) -> Provenance {
        Provenance {
            tool: format!("scaletwin {}", env!("CARGO_PKG_VERSION")),
            scenario_file: scenario_file.to_owned(),
            scenario_sha256: sha256_hex(scenario_bytes),
            seed,
            sets: sets.to_vec(),
            command: result_command(std::env::args()),
            prices,
            inputs: Vec::new(),
        }
    }

    /// A Markdown section for report.md and report.html.
    pub fn markdown(&self) -> String {
        let mut o = String::from("\n## Provenance\n\n| | |\n|---|---|\n");
        let mut row = |k: &str, v: &str| {
            let _ = writeln!(o, "| {k} | `{}` |", v.replace('|', "\\|").replace('`', "'"));
        };
        row("tool", &self.tool);
        row("scenario", &self.scenario_file);
        row("scenario SHA-256", &self.scenario_sha256);
        row("seed", &self.seed.to_string());
        row(
            "overrides",
            &if self.sets.is_empty() {
                "none".to_owned()
            } else {
                self.sets.join(" ")
            },
        );
        row("command", &self.command.join(" "));
        row("prices", &self.prices);
        for f in &self.inputs {
            row(&format!("input {}", f.path), &f.sha256);
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_the_standard_test_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn result_neutral_options_are_left_out() {
        let args = [
            "/usr/bin/scaletwin",
            "sweep",
            "s.ron",
            "--threads",
            "2",
            "-q",
            "--vary",
            "a=1,2",
            "--threads=4",
            "--json",
            "out.json",
            "--set",
            "seed=3",
        ]
        .map(String::from);
        assert_eq!(
            result_command(args),
            [
                "scaletwin",
                "sweep",
                "s.ron",
                "--vary",
                "a=1,2",
                "--set",
                "seed=3"
            ]
        );
    }
}
