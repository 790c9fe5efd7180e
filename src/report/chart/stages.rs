//! The charts of a stages run: latency, cost, errors, throughput and
//! utilization vs users.

use super::cost::cost_by_component;
use super::{objective_lines, Chart, Line};
use crate::report::{users_label, CostReport, StageRow, StagesReport};

/// A line over the stages: (users, f(stage)).
fn stage_line(name: &str, rows: &[StageRow], f: impl Fn(&StageRow) -> (f64, f64)) -> Line {
    Line {
        name: name.to_owned(),
        points: rows
            .iter()
            .map(|s| {
                let (y, e) = f(s);
                (s.users, y, e)
            })
            .collect(),
        style: None,
    }
}

/// Charts of a stages run: latency, cost, errors, throughput and
/// utilization vs users.
pub fn stages_charts(r: &StagesReport) -> Vec<(String, String)> {
    let st = &r.stages;
    let users = "active users (log scale)";
    let mut cost_lines = vec![stage_line("total", st, |s| (s.cost.per_month, 0.0))];
    // Without spot, on-demand pods and the rest would draw over the total.
    if st.iter().any(|s| s.cost.spot_per_month > 0.0) {
        cost_lines.push(stage_line("on-demand", st, |s| {
            (s.cost.on_demand_per_month, 0.0)
        }));
        cost_lines.push(stage_line("spot", st, |s| (s.cost.spot_per_month, 0.0)));
    }
    let stations = st.first().map_or(0, |s| s.utilization.len());
    let (latency_slo, errors_slo) = objective_lines(&r.slo, r.slo_default);
    let charts = [
        (
            "latency.svg",
            Chart {
                title: format!("{}: latency vs users", r.scenario),
                x_label: users.into(),
                y_label: "latency, ms (log scale)".into(),
                log_x: true,
                log_y: true,
                lines: vec![
                    stage_line("p50", st, |s| (s.p50_ms.mean, s.p50_ms.ci95)),
                    stage_line("p99 of successes", st, |s| (s.p99_ms.mean, s.p99_ms.ci95)),
                    stage_line(
                        "p99 of all requests (failures at their time to fail)",
                        st,
                        |s| (s.p99_all_ms.mean, s.p99_all_ms.ci95),
                    ),
                    stage_line("mean", st, |s| (s.mean_ms.mean, s.mean_ms.ci95)),
                ],
                references: latency_slo,
                ..Chart::default()
            },
        ),
        (
            "cost.svg",
            Chart {
                title: format!("{}: monthly cost vs users", r.scenario),
                x_label: users.into(),
                y_label: "cost, USD per month (log scale)".into(),
                log_x: true,
                log_y: true,
                lines: cost_lines,
                ..Chart::default()
            },
        ),
        (
            "cost_per_million.svg",
            Chart {
                title: format!("{}: cost per million requests vs users", r.scenario),
                x_label: users.into(),
                y_label: "cost, USD per 1M requests (log scale)".into(),
                log_x: true,
                log_y: true,
                lines: vec![stage_line("per 1M requests", st, |s| {
                    (s.cost.per_million_requests, 0.0)
                })],
                ..Chart::default()
            },
        ),
        (
            "errors.svg",
            Chart {
                title: format!("{}: error rate vs users", r.scenario),
                x_label: users.into(),
                y_label: "error rate, % of requests".into(),
                log_x: true,
                lines: vec![stage_line("error rate", st, |s| {
                    (s.error_rate.mean * 100.0, s.error_rate.ci95 * 100.0)
                })],
                references: errors_slo,
                ..Chart::default()
            },
        ),
        (
            "throughput.svg",
            Chart {
                title: format!("{}: throughput vs users", r.scenario),
                x_label: users.into(),
                y_label: "requests per second (log scale)".into(),
                log_x: true,
                log_y: true,
                lines: vec![
                    stage_line("offered", st, |s| (s.offered_rps, 0.0)),
                    stage_line("succeeded", st, |s| {
                        (s.throughput_rps.mean, s.throughput_rps.ci95)
                    }),
                ],
                ..Chart::default()
            },
        ),
        (
            "utilization.svg",
            Chart {
                title: format!("{}: utilization vs users", r.scenario),
                x_label: users.into(),
                y_label: "utilization, % busy".into(),
                log_x: true,
                lines: (0..stations)
                    .map(|i| Line {
                        name: st[0].utilization[i].0.clone(),
                        points: st
                            .iter()
                            .map(|s| {
                                let u = s.utilization.get(i).map_or(0.0, |u| u.1);
                                (s.users, u * 100.0, 0.0)
                            })
                            .collect(),
                        style: None,
                    })
                    .collect(),
                ..Chart::default()
            },
        ),
    ];
    let by_component: Vec<(String, &CostReport)> =
        st.iter().map(|s| (users_label(s.users), &s.cost)).collect();
    let mut out: Vec<(String, String)> = charts
        .into_iter()
        .map(|(n, c)| (n.to_owned(), c.svg()))
        .collect();
    out.push((
        "cost_by_component.svg".to_owned(),
        cost_by_component(
            format!("{}: monthly cost by component vs users", r.scenario),
            "active users",
            &by_component,
        )
        .svg(),
    ));
    out
}
