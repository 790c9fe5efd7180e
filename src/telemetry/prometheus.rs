//! Prometheus HTTP API results saved as JSON: `query_range` (a matrix of
//! `values`) or an instant query (a vector of single `value`s).
//!
//! ```text
//! {"status":"success","data":{"resultType":"matrix","result":[
//!   {"metric":{"__name__":"http_requests_total","endpoint":"list"},
//!    "values":[[1700000000,"120"],[1700000015,"131"]]}]}}
//! ```

use super::{parse_value, Series};
use crate::workload::rows::RowError;
use serde::de::{self, Deserializer};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Deserialize)]
struct Response {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    result_type: String,
    result: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<Sample>,
    #[serde(default)]
    value: Option<Sample>,
}

/// `[unix_seconds, "value"]`.
struct Sample(f64, f64);

impl<'de> Deserialize<'de> for Sample {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Sample, D::Error> {
        let (t, v): (f64, String) = Deserialize::deserialize(d)?;
        let v = parse_value(&v).ok_or_else(|| {
            de::Error::custom(format!(
                "field `value`: sample value `{v}` is not a number (Prometheus writes e.g. \"1.5\", \"NaN\", \"+Inf\")"
            ))
        })?;
        Ok(Sample(t, v))
    }
}

/// Reads a saved `query_range` or instant-query response.
pub(super) fn load(path: &Path) -> Result<Vec<Series>, RowError> {
    let file = path.display().to_string();
    let fail = |line: usize, message: String| RowError {
        file: file.clone(),
        line: line as u64,
        field: None,
        message,
    };
    let reader = crate::workload::rows::open_reader(path)
        .map_err(|e| fail(0, format!("cannot open: {e}")))?;
    let response: Response = serde_json::from_reader(std::io::BufReader::new(reader))
        .map_err(|e| fail(e.line(), format!("column {}: {e}", e.column())))?;
    if response.status != "success" {
        return Err(fail(
            1,
            format!(
                "field `status`: the query failed ({}): {}",
                response.status,
                response.error.unwrap_or_default()
            ),
        ));
    }
    let data = response
        .data
        .ok_or_else(|| fail(1, "field `data`: missing".into()))?;
    if data.result_type != "matrix" && data.result_type != "vector" {
        return Err(fail(
            1,
            format!(
                "field `resultType`: `{}` is not a series result (matrix or vector)",
                data.result_type
            ),
        ));
    }
    Ok(data
        .result
        .into_iter()
        .map(|mut item| {
            let name = item.metric.remove("__name__").unwrap_or_default();
            let mut points: Vec<(f64, f64)> = item.values.iter().map(|s| (s.0, s.1)).collect();
            points.extend(item.value.map(|s| (s.0, s.1)));
            Series {
                name,
                labels: item.metric,
                points,
            }
        })
        .collect())
}
