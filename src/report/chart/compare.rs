//! The charts of a comparison: p99 of all requests, error rate and cost vs users per
//! architecture, and each architecture's cost by component.

use super::cost::cost_by_component;
use super::{objective_lines, Chart, Line};
use crate::report::{users_label, CompareReport, CostReport, StageRow};

/// Charts of a comparison: p99 of all requests, error rate and cost vs users per
/// architecture.
pub fn compare_charts(r: &CompareReport) -> Vec<(String, String)> {
    let lines = |f: fn(&StageRow) -> (f64, f64)| -> Vec<Line> {
        r.architectures
            .iter()
            .enumerate()
            .map(|(a, name)| Line {
                name: name.clone(),
                points: r
                    .stages
                    .iter()
                    .filter_map(|s| {
                        let (y, e) = f(s.rows.get(a)?);
                        Some((s.users, y, e))
                    })
                    .collect(),
                style: None,
            })
            .collect()
    };
    let users = "active users (log scale)";
    let (latency_slo, errors_slo) = objective_lines(&r.slo, r.slo_default);
    let mut out: Vec<(String, String)> = [
        (
            "latency.svg",
            Chart {
                title: "p99 latency of all requests vs users".into(),
                x_label: users.into(),
                y_label: "p99 of all requests (failures at their time to fail), ms (log scale)"
                    .into(),
                log_x: true,
                log_y: true,
                lines: lines(|s| (s.p99_all_ms.mean, s.p99_all_ms.ci95)),
                references: latency_slo,
                ..Chart::default()
            },
        ),
        (
            "errors.svg",
            Chart {
                title: "error rate vs users".into(),
                x_label: users.into(),
                y_label: "error rate, % of requests".into(),
                log_x: true,
                lines: lines(|s| (s.error_rate.mean * 100.0, s.error_rate.ci95 * 100.0)),
                references: errors_slo,
                ..Chart::default()
            },
        ),
        (
            "cost.svg",
            Chart {
                title: "monthly cost vs users".into(),
                x_label: users.into(),
                y_label: "cost, USD per month (log scale)".into(),
                log_x: true,
                log_y: true,
                lines: lines(|s| (s.cost.per_month, 0.0)),
                ..Chart::default()
            },
        ),
    ]
    .into_iter()
    .map(|(n, c)| (n.to_owned(), c.svg()))
    .collect();
    let bars: Vec<(String, &CostReport)> = r
        .stages
        .iter()
        .flat_map(|s| {
            r.architectures
                .iter()
                .zip(&s.rows)
                .map(move |(a, row)| (format!("{} {a}", users_label(s.users)), &row.cost))
        })
        .collect();
    out.push((
        "cost_by_component.svg".to_owned(),
        cost_by_component(
            "monthly cost by component vs users".into(),
            "active users, architecture",
            &bars,
        )
        .svg(),
    ));
    out
}
