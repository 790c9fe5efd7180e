//! The plain fallback: a CSV of `time,series,value`, where `series` is a
//! Prometheus-style selector (`http_requests_per_second{endpoint="list"}`).
//! Quote the series field when its labels hold commas.

use super::{parse_selector, push_point, Series};
use crate::workload::rows::{RowError, Rows};
use crate::workload::TIME_COLUMNS;
use std::collections::BTreeMap;
use std::path::Path;

/// Reads a `time,series,value` CSV.
pub(super) fn load(path: &Path) -> Result<Vec<Series>, RowError> {
    let mut rows = Rows::open(path)?;
    let present = rows.select(&[TIME_COLUMNS, &["series", "metric"], &["value"]]);
    if present.iter().any(|p| !p) {
        return Err(
            rows.file_error("a telemetry CSV needs the columns time, series and value".into())
        );
    }
    let mut all = Vec::new();
    let mut index = BTreeMap::new();
    while rows.advance()? {
        let time = rows.required(0)?;
        let text = rows
            .text(1)
            .ok_or_else(|| rows.error(1, "missing (a series such as name{label=\"x\"})".into()))?;
        let (name, labels, rest) = parse_selector(text).map_err(|m| rows.error(1, m))?;
        if !rest.trim().is_empty() {
            return Err(rows.error(1, format!("unexpected `{}` after the series", rest.trim())));
        }
        let value = rows.required(2)?;
        push_point(&mut all, &mut index, name, labels, (time, value));
    }
    Ok(all)
}
