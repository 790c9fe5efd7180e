//! The Prometheus text exposition format (what `/metrics` serves): a
//! snapshot, one sample per line, optionally with a millisecond timestamp.
//! Several snapshots may be concatenated; a sample without a timestamp is
//! at time 0.
//!
//! ```text
//! # TYPE http_request_duration_seconds histogram
//! http_request_duration_seconds_bucket{endpoint="list",le="0.1"} 1270
//! http_request_duration_seconds_count{endpoint="list"} 1500 1700000000000
//! ```

use super::{parse_selector, parse_value, push_point, Series};
use crate::workload::rows::RowError;
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

/// Reads an exposition-format file.
pub(super) fn load(path: &Path) -> Result<Vec<Series>, RowError> {
    let file = path.display().to_string();
    let fail = |line: u64, field: Option<&str>, message: String| RowError {
        file: file.clone(),
        line,
        field: field.map(str::to_owned),
        message,
    };
    let f = crate::workload::rows::open_reader(path)
        .map_err(|e| fail(0, None, format!("cannot open: {e}")))?;
    let mut all = Vec::new();
    let mut index = BTreeMap::new();
    for (n, line) in std::io::BufReader::new(f).lines().enumerate() {
        let n = n as u64 + 1;
        let line = line.map_err(|e| fail(n, None, e.to_string()))?;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, labels, rest) = parse_selector(line).map_err(|m| fail(n, Some("labels"), m))?;
        let mut parts = rest.split_whitespace();
        let value = parts
            .next()
            .ok_or_else(|| fail(n, Some("value"), "missing sample value".into()))?;
        let value = parse_value(value)
            .ok_or_else(|| fail(n, Some("value"), format!("`{value}` is not a number")))?;
        let time = match parts.next() {
            None => 0.0,
            Some(ms) => ms
                .parse::<i64>()
                .map(|ms| ms as f64 / 1000.0)
                .map_err(|_| {
                    fail(
                        n,
                        Some("timestamp"),
                        format!("`{ms}` is not a timestamp in milliseconds"),
                    )
                })?,
        };
        if let Some(extra) = parts.next() {
            return Err(fail(
                n,
                None,
                format!("unexpected `{extra}` after the timestamp"),
            ));
        }
        push_point(&mut all, &mut index, name, labels, (time, value));
    }
    Ok(all)
}
