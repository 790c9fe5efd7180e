//! An index of report folders: one line per report with what it answers
//! (its SLO verdict), linking its HTML page.
//!
//! ```text
//! reports/stage3-horizontal/report.json ─┐
//! reports/journey/report.json ───────────┼─▶ reports/index.html
//! reports/run-spot-capacity/report.json ─┘   stages · compare · run, one verdict each
//! ```

use super::html::esc;
use super::slo::percent;
use super::{label::users_label, CompareReport, Report, StagesReport, SweepReport};
use std::fmt::Write;

/// A report read back from its JSON, whichever command wrote it.
#[derive(Debug)]
pub enum AnyReport {
    /// `run`.
    Run(Box<Report>),
    /// `stages`.
    Stages(Box<StagesReport>),
    /// `compare`.
    Compare(Box<CompareReport>),
    /// `sweep` or `merge`.
    Sweep(Box<SweepReport>),
}

impl AnyReport {
    /// Reads a report of any kind from its JSON text, telling the kind by
    /// the fields only it has.
    pub fn from_json(text: &str) -> Result<AnyReport, serde_json::Error> {
        let v: serde_json::Value = serde_json::from_str(text)?;
        let has = |k: &str| v.get(k).is_some();
        Ok(if has("architectures") {
            AnyReport::Compare(Box::new(serde_json::from_value(v)?))
        } else if has("points") {
            AnyReport::Sweep(Box::new(serde_json::from_value(v)?))
        } else if has("stages") && has("bottleneck") {
            AnyReport::Stages(Box::new(serde_json::from_value(v)?))
        } else {
            AnyReport::Run(Box::new(serde_json::from_value(v)?))
        })
    }

    /// The command that wrote it.
    pub fn kind(&self) -> &'static str {
        match self {
            AnyReport::Run(_) => "run",
            AnyReport::Stages(_) => "stages",
            AnyReport::Compare(_) => "compare",
            AnyReport::Sweep(_) => "sweep",
        }
    }

    /// What it is about: the scenario, or the architectures compared.
    pub fn subject(&self) -> String {
        match self {
            AnyReport::Run(r) => r.scenario.clone(),
            AnyReport::Stages(r) => r.scenario.clone(),
            AnyReport::Compare(r) => r.architectures.join(" vs "),
            AnyReport::Sweep(r) => r.scenario.clone(),
        }
    }

    /// Its answer in one line: the SLO verdict.
    pub fn verdict(&self) -> String {
        match self {
            AnyReport::Run(r) => run_verdict(r),
            AnyReport::Stages(r) => stages_verdict(r),
            AnyReport::Compare(r) => compare_verdict(r),
            AnyReport::Sweep(r) => {
                let met = r.points.iter().filter(|p| p.slo_met).count();
                format!(
                    "{met} of {} points meet the SLO ({} varied)",
                    r.points.len(),
                    r.vary.join(", ")
                )
            }
        }
    }
}

fn run_verdict(r: &Report) -> String {
    let Some(slo) = &r.slo else {
        return format!("errors {}", percent(r.summary.error_rate));
    };
    let met = slo.latency_met && slo.errors_met;
    format!(
        "SLO {}: {} of requests good within {}, errors {} (objective {})",
        if met { "met" } else { "breached" },
        percent(slo.good_ratio),
        slo.objective.p99,
        percent(r.summary.error_rate),
        percent(slo.objective.error_rate),
    )
}

fn stages_verdict(r: &StagesReport) -> String {
    let last_met = r
        .stages
        .iter()
        .take_while(|s| s.slo_met)
        .last()
        .map(|s| s.name.clone());
    match (&r.first_failing_stage, last_met) {
        (None, _) => format!(
            "meets the SLO at every stage, up to {} users",
            r.stages
                .last()
                .map_or_else(String::new, |s| users_label(s.users))
        ),
        (Some(f), Some(m)) => format!("meets the SLO up to {m}; first breaks at {f}"),
        (Some(f), None) => format!("breaks the SLO from the first stage ({f})"),
    }
}

fn compare_verdict(r: &CompareReport) -> String {
    let cheapest: Vec<String> = r
        .stages
        .iter()
        .map(|s| {
            format!(
                "{}: {}",
                s.name,
                s.cheapest_meeting_slo.as_deref().unwrap_or("none")
            )
        })
        .collect();
    format!("cheapest meeting the SLO: {}", cheapest.join(", "))
}

/// One report in the index: its folder (the link) and the report.
#[derive(Debug)]
pub struct IndexEntry {
    /// Folder name relative to the index, e.g. `stage3-horizontal`.
    pub folder: String,
    /// Whether the folder holds a `report.html` to link (else `report.json`).
    pub has_html: bool,
    /// The report.
    pub report: AnyReport,
}

/// The index page: a table of every report with its kind and verdict.
pub fn index_html(title: &str, entries: &[IndexEntry]) -> String {
    let mut rows = String::new();
    for e in entries {
        let page = if e.has_html {
            "report.html"
        } else {
            "report.json"
        };
        let _ = writeln!(
            rows,
            "<tr><td><a href=\"{link}/{page}\">{folder}</a></td><td>{kind}</td><td>{subject}</td><td>{verdict}</td></tr>",
            link = href(&e.folder),
            folder = esc(&e.folder),
            kind = e.report.kind(),
            subject = esc(&e.report.subject()),
            verdict = esc(&e.report.verdict()),
        );
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:75rem}}\
         table{{border-collapse:collapse;width:100%}}th,td{{text-align:left;padding:.4rem .6rem;\
         border-bottom:1px solid #ddd;vertical-align:top}}th{{background:#f4f4f4}}</style></head>\n\
         <body><h1>{t}</h1>\n<p>{n} reports; each line is the report's own verdict against its SLO.</p>\n\
         <table><thead><tr><th>report</th><th>kind</th><th>about</th><th>verdict</th></tr></thead>\n\
         <tbody>\n{rows}</tbody></table></body></html>\n",
        t = esc(title),
        n = entries.len(),
    )
}

/// A folder name as a link target: HTML-escaped, with `"` percent-encoded.
fn href(folder: &str) -> String {
    esc(folder).replace('"', "%22")
}
