//! `scaletwin import`: write a scenario from Kubernetes manifests or
//! OpenTelemetry traces; warnings (what is not modelled) go to stderr.

use super::console;
use super::output::write_output;
use super::CliError;
use crate::import::{ImportError, Imported};
use std::path::PathBuf;

/// Arguments of `scaletwin import`.
#[derive(Debug, clap::Args)]
pub(crate) struct ImportArgs {
    #[command(subcommand)]
    source: Source,
}

#[derive(Debug, clap::Subcommand)]
enum Source {
    /// Kubernetes YAML (Deployment, autoscaling/v2 HPA, policy/v1 PDB, Service;
    /// several documents per file) into scenario components.
    K8s {
        /// Manifest files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Write the scenario here (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// OpenTelemetry traces (OTLP JSON, as the collector's file exporter
    /// writes them) into endpoints, steps, the mix and fitted distributions.
    Otlp {
        /// Trace file.
        file: PathBuf,
        /// Write the scenario here (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub(crate) fn import(args: ImportArgs) -> Result<(), CliError> {
    let (imported, out) = match args.source {
        Source::K8s { files, out } => {
            let texts = files.iter().map(read).collect::<Result<Vec<_>, _>>()?;
            (crate::import::k8s::import(&texts)?, out)
        }
        Source::Otlp { file, out } => {
            let (name, text) = read(&file)?;
            (crate::import::otlp::import(&name, &text)?, out)
        }
    };
    let Imported { ron, warnings } = imported;
    for w in &warnings {
        console::eprint(&format!("warning: {}\n", super::terminal_safe(w)));
    }
    match out {
        Some(path) => {
            write_output(&path, &ron)?;
            console::eprint(&format!(
                "{}: written ({} warning(s)); check it with `scaletwin validate {}`\n",
                path.display(),
                warnings.len(),
                path.display()
            ));
            Ok(())
        }
        None => console::print(&ron),
    }
}

fn read(path: &PathBuf) -> Result<(String, String), ImportError> {
    let name = path.display().to_string();
    std::fs::read_to_string(path)
        .map(|text| (name.clone(), text))
        .map_err(|e| ImportError::file(&name, format!("cannot read: {e}")))
}
