//! `scaletwin import otlp`: OpenTelemetry traces (OTLP JSON, read with the
//! `opentelemetry-proto` types) into a scenario skeleton.
//!
//! ```text
//! root SERVER span ─▶ endpoint (http.route, else the span's name), share of the mix
//!   ├─ db span (db.system) ─────────▶ DbRead / DbWrite (by db.operation or the statement)
//!   ├─ cache span (db.system=redis) ─▶ CacheAside (reads) / Invalidate (writes)
//!   ├─ CLIENT span ─▶ SERVER span ──▶ Call(the callee's endpoint)
//!   ├─ CLIENT span, callee untraced ─▶ Delay
//!   └─ time in no child span ───────▶ Compute (self time)
//! ```
//!
//! Each step's distribution is a Lognormal fitted by maximum likelihood
//! ([`fit`]) to the durations observed for it.

pub mod fit;
mod read;
mod shape;
mod write;

use super::{ImportError, Imported};

/// Imports one trace file: one ExportTraceServiceRequest JSON per line (the
/// collector's file exporter) or one whole JSON document.
pub fn import(file: &str, text: &str) -> Result<Imported, ImportError> {
    let spans = read::spans(file, text)?;
    if spans.is_empty() {
        return Err(ImportError::file(
            file,
            "no spans: nothing to build endpoints from",
        ));
    }
    let system = shape::System::from_spans(&spans);
    if system.endpoints.iter().all(|e| e.roots == 0) {
        return Err(ImportError::file(
            file,
            "no root span (a span without a parent): the traces show no request from a client",
        ));
    }
    let ron = write::scenario(file, &system);
    let scenario = crate::scenario::parse(&ron, "imported.ron").map_err(|e| {
        ImportError::file(file, format!("the traces give an unreadable scenario: {e}"))
    })?;
    if let Err(problems) = crate::scenario::validate(&scenario) {
        let text: Vec<String> = problems
            .iter()
            .map(|p| format!("{}: {}", p.path, p.message))
            .collect();
        return Err(ImportError::file(
            file,
            format!("the traces give an invalid scenario:\n{}", text.join("\n")),
        ));
    }
    Ok(Imported {
        ron,
        warnings: system.warnings,
    })
}
