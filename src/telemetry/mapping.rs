//! Which series means what: the request rate per endpoint, the latency
//! histogram, errors, replicas and CPU, named by metric (a `--map` flag
//! such as `rate=http_rps,latency=http_request_duration_seconds`).

use super::Series;
use std::collections::BTreeMap;

/// Metric names for what the twin reads from telemetry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// Requests per second, labelled by endpoint (a recorded `rate(...)`).
    pub rate: String,
    /// Errors per second, labelled by endpoint.
    pub errors: String,
    /// Latency histogram base name (`<name>_bucket` with `le`), in seconds.
    pub latency: String,
    /// Ready replicas.
    pub replicas: String,
    /// CPU cores in use.
    pub cpu: String,
    /// The label holding the endpoint name.
    pub endpoint_label: String,
    /// A cache's hits counter: a metric name, or a selector such as
    /// `lookups_total{result="hit"}` (only series with those labels).
    pub hits: String,
    /// The same cache's misses counter (name or selector).
    pub misses: String,
}

impl Default for Mapping {
    fn default() -> Mapping {
        Mapping {
            rate: "http_requests_per_second".into(),
            errors: "http_errors_per_second".into(),
            latency: "http_request_duration_seconds".into(),
            replicas: "kube_deployment_status_replicas_ready".into(),
            cpu: "container_cpu_usage_cores".into(),
            endpoint_label: "endpoint".into(),
            hits: "cache_hits_total".into(),
            misses: "cache_misses_total".into(),
        }
    }
}

impl Mapping {
    /// The defaults changed by `key=metric` pairs, comma-separated; keys:
    /// rate, errors, latency, replicas, cpu, endpoint (the label), hits,
    /// misses (a cache's counters).
    pub fn parse(text: &str) -> Result<Mapping, MappingError> {
        let mut m = Mapping::default();
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| MappingError::NotAPair(pair.to_owned()))?;
            let slot = match key.trim() {
                "rate" => &mut m.rate,
                "errors" => &mut m.errors,
                "latency" => &mut m.latency,
                "replicas" => &mut m.replicas,
                "cpu" => &mut m.cpu,
                "endpoint" => &mut m.endpoint_label,
                "hits" => &mut m.hits,
                "misses" => &mut m.misses,
                other => return Err(MappingError::UnknownKey(other.to_owned())),
            };
            *slot = value.trim().to_owned();
        }
        Ok(m)
    }

    /// Per endpoint, the points of metric `name` summed over its other labels.
    pub fn by_endpoint(&self, all: &[Series], name: &str) -> BTreeMap<String, Vec<(f64, f64)>> {
        let mut out: BTreeMap<String, BTreeMap<i64, (f64, f64)>> = BTreeMap::new();
        for s in all.iter().filter(|s| s.name == name) {
            let e = s
                .labels
                .get(&self.endpoint_label)
                .cloned()
                .unwrap_or_default();
            let slot = out.entry(e).or_default();
            for &(t, v) in &s.points {
                let p = slot.entry((t * 1000.0).round() as i64).or_insert((t, 0.0));
                p.1 += v;
            }
        }
        out.into_iter()
            .map(|(e, pts)| (e, pts.into_values().collect()))
            .collect()
    }

    /// The points of metric `name` summed over all its series (e.g. replicas of every pod set).
    pub fn total(&self, all: &[Series], name: &str) -> Vec<(f64, f64)> {
        let mut sum: BTreeMap<i64, (f64, f64)> = BTreeMap::new();
        for s in all.iter().filter(|s| s.name == name) {
            for &(t, v) in &s.points {
                sum.entry((t * 1000.0).round() as i64).or_insert((t, 0.0)).1 += v;
            }
        }
        sum.into_values().collect()
    }

    /// The increase of the counters `spec` selects (a metric name, or
    /// `name{label="value",..}` for the series carrying those labels) over
    /// `[from, to]` seconds, summed over the series, resets counted; and the
    /// seconds between the first and last samples inside the window, which
    /// the increase covers. `Ok(None)` when no series matches.
    pub fn increase(
        all: &[Series],
        spec: &str,
        from: f64,
        to: f64,
    ) -> Result<Option<(f64, f64)>, String> {
        let (name, labels, rest) = super::parse_selector(spec)?;
        if !rest.trim().is_empty() {
            return Err(format!(
                "`{spec}`: expected a metric name or name{{label=\"value\"}}"
            ));
        }
        let mut found = None;
        for s in all
            .iter()
            .filter(|s| s.name == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(v)))
        {
            let inside: Vec<(f64, f64)> = s
                .points
                .iter()
                .copied()
                .filter(|p| p.0 >= from && p.0 <= to && p.1.is_finite())
                .collect();
            let raised: f64 = inside
                .windows(2)
                .map(|w| {
                    if w[1].1 >= w[0].1 {
                        w[1].1 - w[0].1
                    } else {
                        w[1].1
                    }
                })
                .sum();
            let span = match (inside.first(), inside.last()) {
                (Some(a), Some(b)) => b.0 - a.0,
                _ => 0.0,
            };
            let (sum, longest) = found.get_or_insert((0.0, 0.0));
            *sum += raised;
            *longest = f64::max(*longest, span);
        }
        Ok(found)
    }

    /// The latency histogram of `endpoint` (all endpoints when `None`) over
    /// `[from, to]` seconds: bucket counters' increase across the window
    /// (resets counted), or the value itself for a one-point snapshot.
    pub fn histogram(
        &self,
        all: &[Series],
        endpoint: Option<&str>,
        from: f64,
        to: f64,
    ) -> Histogram {
        let bucket = format!("{}_bucket", self.latency);
        let mut counts: BTreeMap<u64, (f64, f64)> = BTreeMap::new();
        for s in all.iter().filter(|s| s.name == bucket) {
            if endpoint
                .is_some_and(|e| s.labels.get(&self.endpoint_label).map(String::as_str) != Some(e))
            {
                continue;
            }
            let Some(le) = s.labels.get("le").and_then(|l| super::parse_value(l)) else {
                continue;
            };
            let inside: Vec<f64> = s
                .points
                .iter()
                .filter(|p| p.0 >= from && p.0 <= to && p.1.is_finite())
                .map(|p| p.1)
                .collect();
            let increase = match inside.as_slice() {
                [] => 0.0,
                [only] => *only,
                _ => inside
                    .windows(2)
                    .map(|w| if w[1] >= w[0] { w[1] - w[0] } else { w[1] })
                    .sum(),
            };
            counts.entry(le.to_bits()).or_insert((le, 0.0)).1 += increase;
        }
        let mut buckets: Vec<(f64, f64)> = counts.into_values().collect();
        buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        Histogram { buckets }
    }
}

/// A cumulative latency histogram: (upper bound `le` in seconds, count of
/// observations at or below it), sorted by bound; the last bound is +Inf
/// when the source had it.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    /// (le, cumulative count).
    pub buckets: Vec<(f64, f64)>,
}

impl Histogram {
    /// Observations counted.
    pub fn count(&self) -> f64 {
        self.buckets.last().map_or(0.0, |b| b.1)
    }

    /// The `q` quantile by linear interpolation inside its bucket, as
    /// Prometheus' `histogram_quantile` does (the first bucket starts at 0;
    /// a quantile in the +Inf bucket is the highest finite bound).
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.count();
        if total <= 0.0 {
            return None;
        }
        let rank = q * total;
        let mut lower = (0.0, 0.0);
        for &(le, c) in &self.buckets {
            if c >= rank {
                if le.is_infinite() {
                    return Some(lower.0);
                }
                let width = c - lower.1;
                let frac = if width > 0.0 {
                    (rank - lower.1) / width
                } else {
                    1.0
                };
                return Some(lower.0 + (le - lower.0) * frac);
            }
            lower = (le, c);
        }
        Some(lower.0)
    }
}

/// Why a `--map` text is not a mapping.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MappingError {
    /// An entry without `=`.
    #[error("`{0}`: expected key=metric")]
    NotAPair(String),
    /// A key that names no meaning.
    #[error("`{0}` is not a mapping key; keys: rate, errors, latency, replicas, cpu, endpoint, hits, misses")]
    UnknownKey(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_inside_buckets_like_histogram_quantile() {
        let h = Histogram {
            buckets: vec![(0.1, 50.0), (0.2, 90.0), (f64::INFINITY, 100.0)],
        };
        assert!((h.quantile(0.5).unwrap() - 0.1).abs() < 1e-12);
        assert!((h.quantile(0.7).unwrap() - 0.15).abs() < 1e-12);
        assert_eq!(h.quantile(0.99), Some(0.2));
        assert!(
            Mapping::parse("rate=x, endpoint=route")
                .unwrap()
                .endpoint_label
                == "route"
        );
        assert!(Mapping::parse("speed=x")
            .unwrap_err()
            .to_string()
            .contains("not a mapping key"));
    }
}
