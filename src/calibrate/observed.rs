//! What was observed, per endpoint, in a time window: latencies from a
//! per-request log, or a latency histogram from telemetry.

use crate::telemetry::{Histogram, Mapping};
use crate::workload::rows::{RowError, Rows};
use crate::workload::{Seconds, TIMESTAMP_COLUMNS};
use std::collections::BTreeMap;
use std::path::Path;

/// Per-endpoint observations in the window.
#[derive(Clone, Debug, PartialEq)]
pub enum Observed {
    /// Latencies of successful requests (seconds), per endpoint, and request counts.
    Requests {
        /// Latencies, sorted.
        latencies: BTreeMap<String, Vec<f64>>,
        /// All requests in the window (errors included).
        counts: BTreeMap<String, u64>,
    },
    /// A latency histogram per endpoint.
    Histograms(BTreeMap<String, Histogram>),
}

/// A window in seconds from the first observation.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Window {
    /// Start (inclusive).
    pub from: f64,
    /// End (exclusive).
    pub to: f64,
}

impl Window {
    /// Everything.
    pub const ALL: Window = Window {
        from: 0.0,
        to: f64::INFINITY,
    };

    /// Parses `FROM..TO` (durations from the first observation, e.g. `1m..6m`).
    pub fn parse(text: &str) -> Result<Window, WindowError> {
        let (a, b) = text
            .split_once("..")
            .ok_or_else(|| WindowError::Form(text.to_owned()))?;
        let d = |s: &str| {
            crate::scenario::units::Duration::parse(s.trim())
                .map(|d| d.0.as_secs_f64())
                .map_err(|e| WindowError::Duration {
                    text: s.to_owned(),
                    message: e.to_string(),
                })
        };
        let w = Window {
            from: d(a)?,
            to: d(b)?,
        };
        if w.to <= w.from {
            return Err(WindowError::Empty(text.to_owned()));
        }
        Ok(w)
    }

    /// Whether `t` seconds from the start is inside.
    pub fn contains(&self, t: f64) -> bool {
        t >= self.from && t < self.to
    }
}

/// Why a `--window` text is not a window.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WindowError {
    /// Not `FROM..TO`.
    #[error("`{0}`: expected FROM..TO, e.g. 1m..6m")]
    Form(String),
    /// One end is not a duration.
    #[error("`{text}`: {message}")]
    Duration {
        /// The end as written.
        text: String,
        /// Why it is not a duration.
        message: String,
    },
    /// The window ends at or before its start.
    #[error("`{0}`: the window must end after it starts")]
    Empty(String),
}

/// Names accepted for a latency column in seconds, then in milliseconds.
const LATENCY_S: &[&str] = &["latency", "latency_s", "duration", "duration_s", "elapsed"];
const LATENCY_MS: &[&str] = &["latency_ms", "duration_ms"];

/// Reads observations: a telemetry file (query_range `.json`, exposition
/// `.prom`/`.txt`, or a CSV with a `series` column) gives histograms; any
/// other CSV or JSON Lines is a per-request log.
pub fn read(path: &Path, window: Window, mapping: &Mapping) -> Result<Observed, RowError> {
    let is_log = match crate::workload::rows::content_extension(path).as_deref() {
        Some("jsonl" | "ndjson") => true,
        Some("csv") => !Rows::open(path)?
            .header()
            .iter()
            .any(|h| h.eq_ignore_ascii_case("series")),
        _ => false,
    };
    if is_log {
        return read_log(path, window);
    }
    let series = crate::telemetry::load(path)?;
    let start = series
        .iter()
        .flat_map(|s| s.points.first().map(|p| p.0))
        .fold(f64::INFINITY, f64::min);
    let (from, to) = (start + window.from, start + window.to);
    let mut out = BTreeMap::new();
    let bucket = format!("{}_bucket", mapping.latency);
    for s in series.iter().filter(|s| s.name == bucket) {
        let e = s
            .labels
            .get(&mapping.endpoint_label)
            .cloned()
            .unwrap_or_default();
        if let std::collections::btree_map::Entry::Vacant(slot) = out.entry(e) {
            let h = mapping.histogram(&series, Some(slot.key()), from, to);
            slot.insert(h);
        }
    }
    if out.is_empty() {
        return Err(RowError {
            file: path.display().to_string(),
            line: 1,
            field: None,
            message: format!(
                "no `{bucket}` series (set the latency metric with --map latency=NAME)"
            ),
        });
    }
    Ok(Observed::Histograms(out))
}

fn read_log(path: &Path, window: Window) -> Result<Observed, RowError> {
    let mut rows = Rows::open(path)?;
    let present = rows.select(&[
        TIMESTAMP_COLUMNS,
        &["endpoint", "route"],
        LATENCY_S,
        LATENCY_MS,
        &["status", "code"],
    ]);
    if !present[0] || !present[1] || !(present[2] || present[3]) {
        return Err(rows.file_error(
            "a request log needs the columns timestamp (or intended_time), endpoint and latency (seconds) or latency_ms".into(),
        ));
    }
    let mut latencies: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut counts = BTreeMap::new();
    let mut origin = None;
    while rows.advance()? {
        let text = rows
            .text(0)
            .ok_or_else(|| rows.error(0, "missing".into()))?;
        let at = Seconds::parse(text)
            .ok_or_else(|| rows.error(0, format!("`{text}` is not a time in seconds")))?;
        let origin = *origin.get_or_insert(at);
        let t = at.since(origin).as_secs_f64();
        let endpoint = rows
            .text(1)
            .ok_or_else(|| rows.error(1, "missing".into()))?
            .to_owned();
        let latency = match rows.number(2)? {
            Some(s) => s,
            None => rows.required(3)? / 1000.0,
        };
        if latency < 0.0 {
            return Err(rows.error(2, "a latency cannot be negative".into()));
        }
        let ok = match rows.text(4) {
            None => true,
            Some(s) => s
                .parse::<u32>()
                .map_or(s.eq_ignore_ascii_case("ok"), |c| (200..400).contains(&c)),
        };
        if window.contains(t) {
            *counts.entry(endpoint.clone()).or_insert(0) += 1;
            if ok {
                latencies.entry(endpoint).or_default().push(latency);
            }
        }
    }
    for v in latencies.values_mut() {
        v.sort_by(f64::total_cmp);
    }
    Ok(Observed::Requests { latencies, counts })
}
