//! A backtest's result as a Markdown summary, a per-interval CSV, JSON,
//! and one overlay chart per compared figure (observed and predicted over
//! time, the prediction with its 95% band as error bars).

use super::compare::{Comparison, Quantity};
use crate::report::chart::{Chart, Line};
use serde::Serialize;
use std::fmt::Write;

/// Everything a backtest found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BacktestReport {
    /// The scenario's name.
    pub scenario: String,
    /// Where the observations came from.
    pub observed: String,
    /// Interval length, seconds.
    pub interval_s: f64,
    /// Intervals compared.
    pub intervals: usize,
    /// Replications behind each prediction, and their seeds.
    pub seeds: Vec<u64>,
    /// One entry per figure the observations have.
    pub comparisons: Vec<Comparison>,
}

impl BacktestReport {
    /// Comparisons over their tolerance.
    pub fn failures(&self) -> Vec<&Comparison> {
        self.comparisons.iter().filter(|c| !c.passed).collect()
    }

    /// The summary table (and verdict) as Markdown.
    pub fn markdown(&self) -> String {
        let mut o = format!(
            "# Backtest: {}\n\nObserved: {}; {} intervals of {} s; {} replications (seeds {}).\n\n",
            self.scenario,
            self.observed,
            self.intervals,
            self.interval_s,
            self.seeds.len(),
            self.seeds
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
        o.push_str("| figure | intervals | error | tolerance | inside 95% band | verdict |\n|---|---|---|---|---|---|\n");
        for c in &self.comparisons {
            let show = |x: f64| {
                if c.quantity.absolute() {
                    format!("{:.4} (mean abs. difference)", x)
                } else {
                    format!("{:.1}% (MAPE)", x * 100.0)
                }
            };
            let _ = writeln!(
                o,
                "| {} ({}) | {} | {} | {} | {:.0}% | {} |",
                c.quantity.name(),
                c.unit,
                c.scored,
                show(c.error),
                if c.quantity.absolute() {
                    format!("{:.4}", c.tolerance)
                } else {
                    format!("{:.1}%", c.tolerance * 100.0)
                },
                c.inside_band * 100.0,
                if c.passed { "ok" } else { "DRIFT" }
            );
        }
        let failed = self.failures();
        if failed.is_empty() {
            o.push_str("\nEvery compared figure is within its tolerance.\n");
        } else {
            let _ = writeln!(
                o,
                "\nOver tolerance: {}.",
                failed
                    .iter()
                    .map(|c| c.quantity.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        o
    }

    /// Per interval and figure: observed, predicted mean and band.
    pub fn csv(&self) -> String {
        let mut o = String::from("figure,t_s,observed,predicted,low,high,inside\n");
        for c in &self.comparisons {
            for p in &c.points {
                let _ = writeln!(
                    o,
                    "{},{},{},{},{},{},{}",
                    c.quantity.name(),
                    p.t_s,
                    p.observed,
                    p.predicted,
                    p.low,
                    p.high,
                    p.inside()
                );
            }
        }
        o
    }

    /// Pretty JSON with a trailing newline.
    pub fn json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// One overlay chart per figure: `backtest-<figure>.svg`.
    pub fn charts(&self) -> Vec<(String, String)> {
        self.comparisons
            .iter()
            .map(|c| {
                let label = match c.quantity {
                    Quantity::Throughput => "throughput (req/s)",
                    Quantity::P50 => "p50 latency (ms)",
                    Quantity::P99 => "p99 latency (ms)",
                    Quantity::ErrorRate => "error rate (share)",
                    Quantity::Replicas => "ready replicas (pods)",
                    Quantity::Cpu => "CPU (cores)",
                };
                let chart = Chart {
                    title: format!(
                        "{}: observed vs predicted ({}% inside the 95% band)",
                        c.quantity.name(),
                        (c.inside_band * 100.0).round()
                    ),
                    x_label: "time (s)".into(),
                    y_label: label.into(),
                    lines: vec![
                        Line {
                            name: "observed".into(),
                            points: c.points.iter().map(|p| (p.t_s, p.observed, 0.0)).collect(),
                            style: None,
                        },
                        Line {
                            name: "predicted (mean, 95% band)".into(),
                            points: c
                                .points
                                .iter()
                                .map(|p| (p.t_s, p.predicted, (p.high - p.predicted).max(0.0)))
                                .collect(),
                            style: None,
                        },
                    ],
                    ..Chart::default()
                };
                (format!("backtest-{}.svg", c.quantity.name()), chart.svg())
            })
            .collect()
    }
}
