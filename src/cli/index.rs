//! `scaletwin index DIR`: a page linking every report under DIR with its
//! one-line verdict (`reports/index.html`).

use super::output::{input_error, write_output};
use super::{console, CliError};
use crate::report::index::{index_html, AnyReport, IndexEntry};
use std::path::PathBuf;

/// Arguments of `scaletwin index`.
#[derive(Debug, clap::Args)]
pub(crate) struct IndexArgs {
    /// A folder of report folders (each holding the report.json a `--out` wrote).
    dir: PathBuf,
    /// Where to write the page (default DIR/index.html; - for stdout).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The page's title.
    #[arg(long, default_value = "scaletwin reports")]
    title: String,
}

pub(crate) fn index(args: IndexArgs) -> Result<(), CliError> {
    let listing = std::fs::read_dir(&args.dir).map_err(|e| input_error(&args.dir, e))?;
    let mut folders: Vec<PathBuf> = listing
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("report.json").is_file())
        .collect();
    folders.sort();
    let mut entries = Vec::new();
    for folder in folders {
        let json = folder.join("report.json");
        let text = std::fs::read_to_string(&json).map_err(|e| input_error(&json, e))?;
        let report = AnyReport::from_json(&text).map_err(|e| {
            CliError::Usage(format!("{}: not a scaletwin report: {e}", json.display()))
        })?;
        entries.push(IndexEntry {
            folder: folder
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            has_html: folder.join("report.html").is_file(),
            report,
        });
    }
    if entries.is_empty() {
        return Err(CliError::Usage(format!(
            "{}: no folder in it holds a report.json (write reports with --out DIR)",
            args.dir.display()
        )));
    }
    let page = index_html(&args.title, &entries);
    let out = args.out.unwrap_or_else(|| args.dir.join("index.html"));
    write_output(&out, &page)?;
    for e in &entries {
        console::eprint(&format!("{}: {}\n", e.folder, e.report.verdict()));
    }
    Ok(())
}
