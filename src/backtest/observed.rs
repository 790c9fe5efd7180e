//! What the real system did, per interval: the arrival rate per endpoint
//! (which drives the twin) and the figures the twin is checked against.
//!
//! ```text
//! request log (CSV/JSONL[.gz]) ──┐   per interval [t0 + kI, t0 + (k+1)I):
//!                                ├─▶ arrivals/s per endpoint, throughput,
//! telemetry files (.json, .prom, ┘   p50, p99, error rate, replicas, CPU
//!   .csv [.gz], or a folder)         (each only where observed)
//! ```
//!
//! A request log is read the way the simulator measures: a request arrives
//! at its timestamp and completes at timestamp + latency; throughput and
//! latency percentiles belong to the interval of the completion, as do
//! errors. A telemetry counter (a `_total` name, or `rate(NAME)` in `--map`)
//! raised between two samples counts in the interval holding their
//! midpoint; gauges are averaged over the samples in the interval.

use crate::algo::Nanos;
use crate::metrics::LatencyHistogram;
use crate::telemetry::{Histogram, Mapping, Series};
use crate::workload::rows::{content_extension, RowError, Rows};
use crate::workload::{Seconds, TIMESTAMP_COLUMNS};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One interval of observations; `None` where the data say nothing.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ObservedInterval {
    /// End of the interval, seconds from the first observation.
    pub t_s: f64,
    /// Arrivals per second by endpoint ("" when the data name none).
    pub arrivals: BTreeMap<String, f64>,
    /// Successful completions per second.
    pub throughput: Option<f64>,
    /// Median latency of successes completing in the interval, ms.
    pub p50_ms: Option<f64>,
    /// 99th percentile latency of successes completing in the interval, ms.
    pub p99_ms: Option<f64>,
    /// Failed over finished requests (0..1).
    pub error_rate: Option<f64>,
    /// Ready replicas (mean over the interval).
    pub replicas: Option<f64>,
    /// CPU cores in use (mean over the interval).
    pub cpu: Option<f64>,
}

/// The observations cut into equal intervals.
#[derive(Clone, Debug, PartialEq)]
pub struct ObservedSeries {
    /// Interval length, seconds.
    pub interval_s: f64,
    /// The intervals, in time order (the last may hold a few late completions).
    pub rows: Vec<ObservedInterval>,
}

/// Names accepted for a latency column, in seconds, milliseconds, nanoseconds.
const LATENCY_S: &[&str] = &["latency", "latency_s", "duration", "duration_s", "elapsed"];
const LATENCY_MS: &[&str] = &["latency_ms", "duration_ms"];
const LATENCY_NS: &[&str] = &["latency_ns", "duration_ns"];
/// Names accepted for a timestamp column in nanoseconds.
const TIMESTAMP_NS: &[&str] = &["intended_ns", "timestamp_ns", "time_ns"];

/// Reads `paths`: one per-request log (CSV or JSON Lines with a timestamp,
/// endpoint and latency), or telemetry (files, or folders whose telemetry
/// files are all read), cut into intervals of `interval_s` seconds.
pub fn read(
    paths: &[PathBuf],
    interval_s: f64,
    mapping: &Mapping,
) -> Result<ObservedSeries, RowError> {
    let files = expand(paths)?;
    let logs: Vec<&PathBuf> = files.iter().filter(|p| is_request_log(p)).collect();
    match (logs.as_slice(), files.len()) {
        ([log], 1) => read_log(log, interval_s),
        ([], _) => read_telemetry(&files, interval_s, mapping),
        _ => Err(RowError {
            file: logs[0].display().to_string(),
            line: 0,
            field: None,
            message: "give one request log alone, or telemetry files only".into(),
        }),
    }
}

/// Files named, with folders replaced by the telemetry files in them (name order).
pub(crate) fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, RowError> {
    let mut out = Vec::new();
    for p in paths {
        if !p.is_dir() {
            out.push(p.clone());
            continue;
        }
        let fail = |e: std::io::Error| RowError {
            file: p.display().to_string(),
            line: 0,
            field: None,
            message: format!("cannot list the folder: {e}"),
        };
        let mut inside: Vec<PathBuf> = std::fs::read_dir(p)
            .map_err(fail)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|f| {
                f.is_file()
                    && matches!(
                        content_extension(f).as_deref(),
                        Some("json" | "prom" | "txt" | "csv")
                    )
            })
            .collect();
        inside.sort();
        if inside.is_empty() {
            return Err(RowError {
                file: p.display().to_string(),
                line: 0,
                field: None,
                message:
                    "no telemetry files (.json, .prom, .txt, .csv, optionally .gz) in the folder"
                        .into(),
            });
        }
        out.extend(inside);
    }
    Ok(out)
}

/// A JSON Lines file, or a CSV without a `series` column.
pub(crate) fn is_request_log(path: &Path) -> bool {
    match content_extension(path).as_deref() {
        Some("jsonl" | "ndjson") => true,
        Some("csv") => Rows::open(path).is_ok_and(|rows| {
            !rows
                .header()
                .iter()
                .any(|h| h.eq_ignore_ascii_case("series") || h.eq_ignore_ascii_case("metric"))
        }),
        _ => false,
    }
}

/// Per-interval accumulators of a request log.
#[derive(Default)]
struct LogBucket {
    arrivals: BTreeMap<String, u64>,
    ok: u64,
    failed: u64,
    latency: Option<LatencyHistogram>,
}

fn read_log(path: &Path, interval_s: f64) -> Result<ObservedSeries, RowError> {
    let mut rows = Rows::open(path)?;
    let present = rows.select(&[
        TIMESTAMP_COLUMNS,
        TIMESTAMP_NS,
        &["endpoint", "route"],
        LATENCY_S,
        LATENCY_MS,
        LATENCY_NS,
        &["status", "code"],
    ]);
    if !(present[0] || present[1]) || !present[2] || !(present[3] || present[4] || present[5]) {
        return Err(rows.file_error(
            "a request log needs the columns timestamp (seconds; or intended_ns), endpoint and latency (seconds; or latency_ms, latency_ns)".into(),
        ));
    }
    let width = Nanos::from_secs_f64(interval_s);
    let mut buckets: Vec<LogBucket> = Vec::new();
    let mut origin: Option<Seconds> = None;
    let mut last_arrival = Nanos::ZERO;
    let mut completions: Vec<(usize, Nanos, bool, Nanos)> = Vec::new();
    while rows.advance()? {
        let at = match rows.text(0) {
            Some(text) => Seconds::parse(text)
                .ok_or_else(|| rows.error(0, format!("`{text}` is not a time in seconds")))?,
            None => {
                let ns = rows.required(1)?;
                if ns < 0.0 {
                    return Err(rows.error(1, "a time cannot be negative".into()));
                }
                let ns = ns as i64;
                Seconds {
                    whole: ns.div_euclid(1_000_000_000),
                    nanos: ns.rem_euclid(1_000_000_000) as u32,
                }
            }
        };
        // Time zero is the first timestamp rounded down to the second, as in a replay.
        let origin = *origin.get_or_insert(Seconds {
            whole: at.whole,
            nanos: 0,
        });
        if at < origin {
            return Err(rows.error(
                0,
                "earlier than the first row: rows must be in time order".into(),
            ));
        }
        let t = at.since(origin);
        let endpoint = rows
            .text(2)
            .ok_or_else(|| rows.error(2, "missing".into()))?
            .to_owned();
        let latency = match (rows.number(3)?, rows.number(4)?, rows.number(5)?) {
            (Some(s), _, _) => s,
            (None, Some(ms), _) => ms / 1e3,
            (None, None, Some(ns)) => ns / 1e9,
            (None, None, None) => {
                return Err(rows.error(3, "missing (a latency is required)".into()))
            }
        };
        if latency < 0.0 {
            return Err(rows.error(3, "a latency cannot be negative".into()));
        }
        let ok = rows.text(6).is_none_or(|s| {
            s.parse::<u32>()
                .map_or(s.eq_ignore_ascii_case("ok"), |c| (200..400).contains(&c))
        });
        let b = (t.0 / width.0.max(1)) as usize;
        if buckets.len() <= b {
            buckets.resize_with(b + 1, LogBucket::default);
        }
        *buckets[b].arrivals.entry(endpoint).or_insert(0) += 1;
        last_arrival = last_arrival.max(t);
        completions.push((
            b,
            t + Nanos::from_secs_f64(latency),
            ok,
            Nanos::from_secs_f64(latency),
        ));
    }
    if buckets.is_empty() {
        return Err(rows.file_error("the log has no rows".into()));
    }
    // The log covers whole seconds up to its last arrival; an interval it
    // covers only in part is left out (its rate would read low).
    let covered = last_arrival.0.div_ceil(1_000_000_000) * 1_000_000_000;
    let n = ((covered / width.0.max(1)) as usize).clamp(1, buckets.len());
    buckets.truncate(n);
    // Completions after the last interval count in it, as in the simulator.
    let last = n - 1;
    for (_, done, ok, latency) in completions.into_iter().filter(|c| c.0 < n) {
        let bucket = &mut buckets[((done.0 / width.0.max(1)) as usize).min(last)];
        if ok {
            bucket.ok += 1;
            bucket
                .latency
                .get_or_insert_with(|| LatencyHistogram::new(2))
                .record(latency);
        } else {
            bucket.failed += 1;
        }
    }
    let endpoints: Vec<String> = {
        let mut all: Vec<String> = buckets
            .iter()
            .flat_map(|b| b.arrivals.keys().cloned())
            .collect();
        all.sort();
        all.dedup();
        all
    };
    let rows = buckets
        .into_iter()
        .enumerate()
        .map(|(k, b)| {
            let ms = |q: f64| b.latency.as_ref().map(|h| h.quantile(q) as f64 / 1e6);
            let finished = b.ok + b.failed;
            ObservedInterval {
                t_s: (k + 1) as f64 * interval_s,
                arrivals: endpoints
                    .iter()
                    .map(|e| {
                        let n = b.arrivals.get(e).copied().unwrap_or(0);
                        (e.clone(), n as f64 / interval_s)
                    })
                    .collect(),
                throughput: Some(b.ok as f64 / interval_s),
                p50_ms: ms(0.5),
                p99_ms: ms(0.99),
                error_rate: (finished > 0).then(|| b.failed as f64 / finished as f64),
                replicas: None,
                cpu: None,
            }
        })
        .collect();
    Ok(ObservedSeries { interval_s, rows })
}

/// A mapped metric: its name and whether it is a counter (read as a rate).
fn metric(spec: &str) -> (&str, bool) {
    match spec.strip_prefix("rate(").and_then(|s| s.strip_suffix(')')) {
        Some(name) => (name.trim(), true),
        None => (spec, spec.ends_with("_total")),
    }
}

/// Per interval, a series' value: a counter's increase per second (a reset
/// counts the value after it), or a gauge's mean.
fn per_interval(
    points: &[(f64, f64)],
    counter: bool,
    t0: f64,
    width: f64,
    n: usize,
) -> Vec<Option<f64>> {
    let index = |t: f64| {
        let k = ((t - t0) / width).floor();
        (k >= 0.0 && k < n as f64).then_some(k as usize)
    };
    let mut sum = vec![0.0; n];
    let mut count = vec![0u32; n];
    if counter {
        // A counter first seen after the start was created then, from 0
        // (a 503 counter appears with its first 503s): its first value is
        // a raise too, over the sampling step before it.
        let created = match points {
            [first, second, ..] if first.0 > t0 => Some((2.0 * first.0 - second.0, 0.0)),
            [first] if first.0 > t0 => Some((first.0 - 1.0, 0.0)),
            _ => None,
        };
        let points: Vec<(f64, f64)> = created.into_iter().chain(points.iter().copied()).collect();
        // The raise between two samples happened between them: it counts in
        // the interval holding their midpoint.
        for w in points.windows(2) {
            let (a, b) = (w[0].1, w[1].1);
            let mid = (w[0].0 + w[1].0) / 2.0;
            if let Some(k) = index(mid).filter(|_| a.is_finite() && b.is_finite()) {
                sum[k] += if b >= a { b - a } else { b };
                count[k] += 1;
            }
        }
        sum.iter()
            .zip(&count)
            .map(|(s, &c)| (c > 0).then_some(s / width))
            .collect()
    } else {
        for &(t, v) in points.iter().filter(|p| p.1.is_finite()) {
            if let Some(k) = index(t) {
                sum[k] += v;
                count[k] += 1;
            }
        }
        sum.iter()
            .zip(&count)
            .map(|(s, &c)| (c > 0).then(|| s / f64::from(c)))
            .collect()
    }
}

/// Whether a series' status label (`status` or `code`) says it failed.
fn failed_status(s: &Series) -> Option<bool> {
    let code = s.labels.get("status").or_else(|| s.labels.get("code"))?;
    Some(
        !code
            .parse::<u32>()
            .map_or(code.eq_ignore_ascii_case("ok"), |c| (200..400).contains(&c)),
    )
}

fn read_telemetry(
    files: &[PathBuf],
    interval_s: f64,
    mapping: &Mapping,
) -> Result<ObservedSeries, RowError> {
    let mut all = Vec::new();
    for f in files {
        all.extend(crate::telemetry::load(f)?);
    }
    let (rate_name, rate_counter) = metric(&mapping.rate);
    let rate_series: Vec<&Series> = all.iter().filter(|s| s.name == rate_name).collect();
    let no_rate = || {
        RowError {
        file: files[0].display().to_string(),
        line: 1,
        field: None,
        message: format!(
            "no `{rate_name}` series: the request rate drives the twin (set it with --map rate=NAME, or rate=rate(COUNTER))"
        ),
    }
    };
    let t0 = rate_series
        .iter()
        .flat_map(|s| s.points.first().map(|p| p.0))
        .fold(f64::INFINITY, f64::min);
    let t1 = rate_series
        .iter()
        .flat_map(|s| s.points.last().map(|p| p.0))
        .fold(f64::NEG_INFINITY, f64::max);
    if !t0.is_finite() {
        return Err(no_rate());
    }
    // Whole intervals only: a last one the samples cover in part is left out.
    let n = (((t1 - t0) / interval_s + 1e-9).floor() as usize).max(1);
    let add = |acc: &mut Vec<Option<f64>>, v: Vec<Option<f64>>| {
        for (a, x) in acc.iter_mut().zip(v) {
            if let Some(x) = x {
                *a = Some(a.unwrap_or(0.0) + x);
            }
        }
    };
    // Arrivals per endpoint; with a status label, the failed part too.
    let mut arrivals: BTreeMap<String, Vec<Option<f64>>> = BTreeMap::new();
    let mut status_failed = vec![None; n];
    let mut has_status = false;
    for s in &rate_series {
        let e = s
            .labels
            .get(&mapping.endpoint_label)
            .cloned()
            .unwrap_or_default();
        let v = per_interval(&s.points, rate_counter, t0, interval_s, n);
        match failed_status(s) {
            Some(true) => {
                has_status = true;
                add(&mut status_failed, v.clone());
            }
            Some(false) => {
                has_status = true;
                add(
                    &mut status_failed,
                    v.iter().map(|x| x.map(|_| 0.0)).collect(),
                );
            }
            None => {}
        }
        add(arrivals.entry(e).or_insert_with(|| vec![None; n]), v);
    }
    let total: Vec<Option<f64>> = (0..n)
        .map(|k| {
            arrivals
                .values()
                .map(|v| v[k])
                .fold(None, |a, x| x.map_or(a, |x| Some(a.unwrap_or(0.0) + x)))
        })
        .collect();
    let (err_name, err_counter) = metric(&mapping.errors);
    let mut errors = vec![None; n];
    let mut has_errors = false;
    for s in all.iter().filter(|s| s.name == err_name) {
        has_errors = true;
        add(
            &mut errors,
            per_interval(&s.points, err_counter, t0, interval_s, n),
        );
    }
    if !has_errors && has_status {
        errors = status_failed;
        has_errors = true;
    }
    let gauge = |spec: &str| -> Option<Vec<Option<f64>>> {
        let (name, counter) = metric(spec);
        let mut acc = vec![None; n];
        let mut any = false;
        for s in all.iter().filter(|s| s.name == name) {
            any = true;
            add(
                &mut acc,
                per_interval(&s.points, counter, t0, interval_s, n),
            );
        }
        any.then_some(acc)
    };
    let replicas = gauge(&mapping.replicas);
    let cpu = gauge(&mapping.cpu);
    let histograms = interval_histograms(&all, mapping, t0, interval_s, n);
    let rows = (0..n)
        .map(|k| {
            let err = has_errors.then(|| errors[k].unwrap_or(0.0));
            let (p50_ms, p99_ms) = match histograms.as_ref().map(|h| &h[k]) {
                Some(h) if h.count() > 0.0 => (
                    h.quantile(0.5).map(|s| s * 1e3),
                    h.quantile(0.99).map(|s| s * 1e3),
                ),
                _ => (None, None),
            };
            ObservedInterval {
                t_s: (k + 1) as f64 * interval_s,
                arrivals: arrivals
                    .iter()
                    .map(|(e, v)| (e.clone(), v[k].unwrap_or(0.0)))
                    .collect(),
                throughput: total[k].map(|t| (t - err.unwrap_or(0.0)).max(0.0)),
                p50_ms,
                p99_ms,
                error_rate: match (total[k], err) {
                    (Some(t), Some(e)) if t > 0.0 => Some((e / t).min(1.0)),
                    _ => None,
                },
                replicas: replicas.as_ref().and_then(|v| v[k]),
                cpu: cpu.as_ref().and_then(|v| v[k]),
            }
        })
        .collect();
    Ok(ObservedSeries { interval_s, rows })
}

/// The latency histogram of every interval (all endpoints together), from
/// the bucket counters' increases; `None` without a `<latency>_bucket` series.
fn interval_histograms(
    all: &[Series],
    mapping: &Mapping,
    t0: f64,
    width: f64,
    n: usize,
) -> Option<Vec<Histogram>> {
    let bucket = format!("{}_bucket", mapping.latency);
    let mut by_le: BTreeMap<u64, (f64, Vec<f64>)> = BTreeMap::new();
    for s in all.iter().filter(|s| s.name == bucket) {
        let Some(le) = s
            .labels
            .get("le")
            .and_then(|l| crate::telemetry::parse_value(l))
        else {
            continue;
        };
        let slot = by_le
            .entry(le.to_bits())
            .or_insert_with(|| (le, vec![0.0; n]));
        let inc = per_interval(&s.points, true, t0, width, n);
        for (a, x) in slot.1.iter_mut().zip(inc) {
            *a += x.unwrap_or(0.0) * width;
        }
    }
    if by_le.is_empty() {
        return None;
    }
    let mut les: Vec<(f64, Vec<f64>)> = by_le.into_values().collect();
    les.sort_by(|a, b| a.0.total_cmp(&b.0));
    Some(
        (0..n)
            .map(|k| Histogram {
                buckets: les.iter().map(|(le, c)| (*le, c[k])).collect(),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_raises_count_in_the_interval_where_they_happened() {
        // A counter sampled each second, +2 per second, reset at t = 4.
        let pts = [
            (0.0, 0.0),
            (1.0, 2.0),
            (2.0, 4.0),
            (3.0, 6.0),
            (4.0, 1.0),
            (5.0, 3.0),
        ];
        let v = per_interval(&pts, true, 0.0, 2.0, 3);
        // Raises over (0,1] and (1,2] are in [0,2); (2,3] and the reset
        // (3,4] in [2,4); (4,5] in [4,6).
        assert_eq!(v, vec![Some(2.0), Some(1.5), Some(1.0)]);
        let g = per_interval(&pts, false, 0.0, 2.0, 3);
        assert_eq!(g, vec![Some(1.0), Some(5.0), Some(2.0)]);
        // Created at t = 3 with 4 counted: a raise over (2, 3].
        let late = per_interval(&[(3.0, 4.0), (4.0, 6.0)], true, 0.0, 2.0, 3);
        assert_eq!(late, vec![None, Some(3.0), None]);
        assert_eq!(metric("rate(cpu_seconds)"), ("cpu_seconds", true));
        assert_eq!(metric("http_requests_total"), ("http_requests_total", true));
        assert_eq!(metric("replicas"), ("replicas", false));
    }
}
