//! Predicted against observed, interval by interval: the error of the
//! prediction's mean, the share of observations inside its 95% band, and
//! the verdict against a tolerance.
//!
//! The band is a prediction interval for one more run: over R replications
//! with mean m and standard deviation s, `m ± t(0.975, R-1) · s · √(1 + 1/R)`.
//! A real system is one more draw of the same process if the twin is right,
//! so about 95% of its intervals should fall inside.

use super::observed::{ObservedInterval, ObservedSeries};
use crate::metrics::stats::t975;
use crate::report::Report;
use serde::Serialize;
use std::collections::BTreeMap;

/// A figure compared per interval.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quantity {
    /// Successful completions per second.
    Throughput,
    /// Median latency of successes, ms.
    P50,
    /// 99th percentile latency of successes, ms.
    P99,
    /// Failed over finished requests.
    ErrorRate,
    /// Ready replicas.
    Replicas,
    /// CPU cores in use.
    Cpu,
}

impl Quantity {
    /// Every quantity, in report order.
    pub const ALL: [Quantity; 6] = [
        Quantity::Throughput,
        Quantity::P50,
        Quantity::P99,
        Quantity::ErrorRate,
        Quantity::Replicas,
        Quantity::Cpu,
    ];

    /// The name used in flags and reports.
    pub fn name(self) -> &'static str {
        match self {
            Quantity::Throughput => "throughput",
            Quantity::P50 => "p50",
            Quantity::P99 => "p99",
            Quantity::ErrorRate => "error_rate",
            Quantity::Replicas => "replicas",
            Quantity::Cpu => "cpu",
        }
    }

    /// The unit, for tables and axes.
    pub fn unit(self) -> &'static str {
        match self {
            Quantity::Throughput => "req/s",
            Quantity::P50 | Quantity::P99 => "ms",
            Quantity::ErrorRate => "share",
            Quantity::Replicas => "pods",
            Quantity::Cpu => "cores",
        }
    }

    /// Whether the error is an absolute difference (the error rate, often
    /// 0, where a percentage means nothing) rather than a relative one.
    pub fn absolute(self) -> bool {
        self == Quantity::ErrorRate
    }

    /// The default tolerance: a mean absolute percentage error (as a
    /// share), or for the error rate a mean absolute difference.
    pub fn default_tolerance(self) -> f64 {
        match self {
            Quantity::Throughput => 0.10,
            Quantity::P50 => 0.20,
            Quantity::P99 => 0.30,
            Quantity::ErrorRate => 0.02,
            Quantity::Replicas => 0.10,
            Quantity::Cpu => 0.20,
        }
    }

    fn observed(self, o: &ObservedInterval) -> Option<f64> {
        match self {
            Quantity::Throughput => o.throughput,
            Quantity::P50 => o.p50_ms,
            Quantity::P99 => o.p99_ms,
            Quantity::ErrorRate => o.error_rate,
            Quantity::Replicas => o.replicas,
            Quantity::Cpu => o.cpu,
        }
    }
}

/// Tolerances per quantity.
#[derive(Clone, Debug, PartialEq)]
pub struct Tolerances(BTreeMap<Quantity, f64>);

impl Default for Tolerances {
    fn default() -> Tolerances {
        Tolerances(
            Quantity::ALL
                .iter()
                .map(|&q| (q, q.default_tolerance()))
                .collect(),
        )
    }
}

impl Tolerances {
    /// The defaults changed by `name=value` pairs, comma-separated (e.g.
    /// `p99=0.25,error_rate=0.01`).
    pub fn parse(text: &str) -> Result<Tolerances, super::BacktestError> {
        Self::read(text).map_err(super::BacktestError)
    }

    fn read(text: &str) -> Result<Tolerances, String> {
        let mut t = Tolerances::default();
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("`{pair}`: expected name=value, e.g. p99=0.25"))?;
            let q = Quantity::ALL
                .into_iter()
                .find(|q| q.name() == key.trim())
                .ok_or_else(|| {
                    format!(
                        "`{}` is not a compared figure; figures: {}",
                        key.trim(),
                        Quantity::ALL.map(Quantity::name).join(", ")
                    )
                })?;
            let v: f64 = value
                .trim()
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| {
                    format!("`{}`: expected a finite number of at least 0", value.trim())
                })?;
            t.0.insert(q, v);
        }
        Ok(t)
    }

    /// The tolerance of `q`.
    pub fn of(&self, q: Quantity) -> f64 {
        self.0[&q]
    }
}

/// Which deployments the replicas and CPU figures cover.
#[derive(Clone, Debug, PartialEq)]
pub struct Deployments {
    /// (deployment name, CPU request per pod in cores).
    pub cpu_request: Vec<(String, f64)>,
}

/// One interval of one quantity.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Point {
    /// End of the interval, seconds.
    pub t_s: f64,
    /// What the real system did.
    pub observed: f64,
    /// The mean over the replications.
    pub predicted: f64,
    /// The 95% band for one more run.
    pub low: f64,
    /// The 95% band for one more run.
    pub high: f64,
}

impl Point {
    /// Whether the observation is inside the band (ends included, with a
    /// rounding margin so a deterministic figure equal to its prediction counts).
    pub fn inside(&self) -> bool {
        let eps = 1e-9 * self.observed.abs().max(1.0);
        self.observed >= self.low - eps && self.observed <= self.high + eps
    }
}

/// How one quantity compared.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// The quantity.
    pub quantity: Quantity,
    /// Its unit.
    pub unit: &'static str,
    /// Intervals where both sides have a value.
    pub points: Vec<Point>,
    /// Mean absolute percentage error (share) of the predicted mean, over
    /// the intervals with a non-zero observation; for the error rate the
    /// mean absolute difference.
    pub error: f64,
    /// Intervals the error is taken over.
    pub scored: usize,
    /// Share of `points` inside the 95% band.
    pub inside_band: f64,
    /// The tolerance on `error`.
    pub tolerance: f64,
    /// `error <= tolerance`.
    pub passed: bool,
}

/// The mean and 95% band of one more run, from replication values.
fn band(xs: &[f64]) -> (f64, f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return (mean, mean, mean);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let half = t975(xs.len() as u32 - 1) * var.sqrt() * (1.0 + 1.0 / n).sqrt();
    (mean, mean - half, mean + half)
}

/// A quantity predicted by one replication for interval `k`.
fn predicted(q: Quantity, r: &Report, k: usize, width: f64, d: &Deployments) -> Option<f64> {
    let row = r.series.get(k)?;
    let ok = row.throughput_rps > 0.0;
    match q {
        Quantity::Throughput => Some(row.throughput_rps),
        Quantity::P50 => ok.then_some(row.p50_ms),
        Quantity::P99 => ok.then_some(row.p99_ms),
        Quantity::ErrorRate => {
            let finished = (row.throughput_rps + row.errors_per_s) * width;
            (finished > 0.0).then(|| row.errors_per_s / (row.throughput_rps + row.errors_per_s))
        }
        Quantity::Replicas | Quantity::Cpu => {
            let mut sum = 0.0;
            for (name, cpu) in &d.cpu_request {
                let s = r.scaling.iter().find(|s| &s.name == name)?;
                let ready = f64::from(s.series.get(k)?.ready);
                sum += if q == Quantity::Replicas {
                    ready
                } else {
                    let i = r.stations.iter().position(|st| &st.name == name)?;
                    row.utilization.get(i)? * ready * cpu
                };
            }
            Some(sum)
        }
    }
}

/// Compares every quantity the observations have with the replications'
/// predictions (one report per replication, same intervals).
pub fn compare(
    observed: &ObservedSeries,
    runs: &[Report],
    deployments: &Deployments,
    tolerances: &Tolerances,
) -> Vec<Comparison> {
    let width = observed.interval_s;
    let mut out = Vec::new();
    for q in Quantity::ALL {
        let mut points = Vec::new();
        for (k, o) in observed.rows.iter().enumerate() {
            let Some(obs) = q.observed(o) else { continue };
            let xs: Vec<f64> = runs
                .iter()
                .filter_map(|r| predicted(q, r, k, width, deployments))
                .collect();
            if xs.is_empty() {
                continue;
            }
            let (predicted, low, high) = band(&xs);
            points.push(Point {
                t_s: o.t_s,
                observed: obs,
                predicted,
                low,
                high,
            });
        }
        if points.is_empty() {
            continue;
        }
        let errors: Vec<f64> = points
            .iter()
            .filter(|p| q.absolute() || p.observed != 0.0)
            .map(|p| {
                let diff = (p.predicted - p.observed).abs();
                if q.absolute() {
                    diff
                } else {
                    diff / p.observed.abs()
                }
            })
            .collect();
        let error = if errors.is_empty() {
            0.0
        } else {
            errors.iter().sum::<f64>() / errors.len() as f64
        };
        let inside = points.iter().filter(|p| p.inside()).count();
        let tolerance = tolerances.of(q);
        out.push(Comparison {
            quantity: q,
            unit: q.unit(),
            inside_band: inside as f64 / points.len() as f64,
            scored: errors.len(),
            points,
            error,
            tolerance,
            passed: error <= tolerance,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_band_is_a_prediction_interval_for_one_more_run() {
        // Mean 2, s = 1 over 3 runs: half-width t(0.975, 2) · 1 · √(4/3).
        let (m, lo, hi) = band(&[1.0, 2.0, 3.0]);
        assert_eq!(m, 2.0);
        let half = 4.303 * (4.0f64 / 3.0).sqrt();
        assert!((hi - m - half).abs() < 1e-12 && (m - lo - half).abs() < 1e-12);
        assert_eq!(band(&[5.0, 5.0]), (5.0, 5.0, 5.0));
        let t = Tolerances::parse("p99=0.25, error_rate=0").unwrap();
        assert_eq!(t.of(Quantity::P99), 0.25);
        assert_eq!(t.of(Quantity::ErrorRate), 0.0);
        assert_eq!(t.of(Quantity::P50), 0.20);
        assert!(Tolerances::parse("p95=1")
            .unwrap_err()
            .0
            .contains("p50, p99"));
        assert!(Tolerances::parse("p99=-1")
            .unwrap_err()
            .0
            .contains("at least 0"));
    }
}
