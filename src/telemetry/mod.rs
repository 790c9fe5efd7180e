//! Telemetry in: time series as a monitoring system exported them, read
//! into one shape ([`Series`]) whatever the format.
//!
//! ```text
//! query_range JSON (.json) ─┐
//! text exposition (.prom)  ─┼─▶ Vec<Series> ──Mapping──▶ rate per endpoint,
//! CSV time,series,value    ─┘                            latency histogram,
//!                                                        replicas, CPU
//! ```

mod csv;
mod exposition;
mod mapping;
mod prometheus;

pub use mapping::{Histogram, Mapping, MappingError};

use crate::workload::rows::RowError;
use std::collections::BTreeMap;
use std::path::Path;

/// One labelled time series.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The metric name (`__name__`; may be empty for a computed expression).
    pub name: String,
    /// Its labels, `__name__` excluded.
    pub labels: BTreeMap<String, String>,
    /// (time in seconds, value), in time order.
    pub points: Vec<(f64, f64)>,
}

/// Reads a telemetry file: Prometheus `query_range` (or instant query)
/// JSON for `.json`, CSV (`time,series,value`) for `.csv`, the text
/// exposition format otherwise (`.prom`, `.txt`, `metrics`); any of them
/// gzip-compressed with a `.gz` suffix.
pub fn load(path: &Path) -> Result<Vec<Series>, RowError> {
    match crate::workload::rows::content_extension(path).as_deref() {
        Some("json") => prometheus::load(path),
        Some("csv") => csv::load(path),
        _ => exposition::load(path),
    }
}

/// Parses a sample value as Prometheus writes it ("1.5", "NaN", "+Inf").
pub(crate) fn parse_value(text: &str) -> Option<f64> {
    match text {
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => text.parse().ok(),
    }
}

/// Parses `name{a="x",b="y"}` (labels optional; `\"`, `\\` and `\n`
/// escapes as in the exposition format); returns the name, the labels and
/// the rest of the text after the selector.
pub(crate) fn parse_selector(
    text: &str,
) -> Result<(String, BTreeMap<String, String>, &str), String> {
    let text = text.trim_start();
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(text.len());
    let name = text[..end].to_owned();
    let mut rest = &text[end..];
    let mut labels = BTreeMap::new();
    if let Some(body) = rest.strip_prefix('{') {
        let mut chars = body.char_indices().peekable();
        loop {
            while chars
                .next_if(|(_, c)| c.is_whitespace() || *c == ',')
                .is_some()
            {}
            match chars.peek() {
                Some((i, '}')) => {
                    rest = &body[i + 1..];
                    break;
                }
                None => return Err("a label set is not closed with `}`".into()),
                _ => {}
            }
            let mut key = String::new();
            while let Some((_, c)) = chars.next_if(|(_, c)| c.is_ascii_alphanumeric() || *c == '_')
            {
                key.push(c);
            }
            while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
            if key.is_empty() || chars.next().map(|x| x.1) != Some('=') {
                return Err(format!("expected label=\"value\" after `{key}`"));
            }
            while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
            if chars.next().map(|x| x.1) != Some('"') {
                return Err(format!(
                    "the value of label `{key}` must be in double quotes"
                ));
            }
            let mut value = String::new();
            loop {
                match chars.next() {
                    Some((_, '\\')) => match chars.next() {
                        Some((_, 'n')) => value.push('\n'),
                        Some((_, c)) => value.push(c),
                        None => return Err(format!("label `{key}`: unfinished escape")),
                    },
                    Some((_, '"')) => break,
                    Some((_, c)) => value.push(c),
                    None => {
                        return Err(format!(
                            "label `{key}`: the value's closing quote is missing"
                        ))
                    }
                }
            }
            labels.insert(key, value);
        }
    }
    if name.is_empty() && labels.is_empty() {
        return Err("expected a metric name".into());
    }
    Ok((name, labels, rest))
}

/// Adds a point to the series `(name, labels)` in `all`, creating it.
pub(crate) fn push_point(
    all: &mut Vec<Series>,
    index: &mut BTreeMap<(String, BTreeMap<String, String>), usize>,
    name: String,
    labels: BTreeMap<String, String>,
    point: (f64, f64),
) {
    let key = (name, labels);
    let i = *index.entry(key.clone()).or_insert_with(|| {
        all.push(Series {
            name: key.0.clone(),
            labels: key.1.clone(),
            points: Vec::new(),
        });
        all.len() - 1
    });
    all[i].points.push(point);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_parse_with_escapes() {
        let (n, l, rest) =
            parse_selector(r#"http_bucket{le="0.1", path="/a\"b",} 3 1000"#).unwrap();
        assert_eq!(n, "http_bucket");
        assert_eq!(l["le"], "0.1");
        assert_eq!(l["path"], "/a\"b");
        assert_eq!(rest.trim(), "3 1000");
        assert!(parse_selector(r#"x{le=0.1}"#)
            .unwrap_err()
            .contains("double quotes"));
        assert!(parse_selector(r#"x{le="0.1""#).is_err());
        assert_eq!(parse_value("+Inf"), Some(f64::INFINITY));
    }
}
