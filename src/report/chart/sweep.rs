//! The charts of a sweep: p99, error rate, the latency objective's good
//! ratio and cost against the first varied field, one line per combination
//! of the other varied fields.

use super::{objective_lines, Chart, Line};
use crate::metrics::stats::Estimate;
use crate::report::{SweepPoint, SweepReport};

/// The value of each point's first override, split at `=`.
fn first_value(p: &SweepPoint) -> &str {
    p.sets
        .first()
        .and_then(|s| s.split_once('='))
        .map_or("", |(_, v)| v)
}

/// The x axis: the first field's values when every one is a number, else
/// their positions 1, 2, ... in the order the grid lists them (the label
/// then names them).
fn x_axis(r: &SweepReport) -> (Vec<f64>, String) {
    let field = r
        .vary
        .first()
        .and_then(|v| v.split_once('='))
        .map_or("point", |(path, _)| path);
    let numbers: Option<Vec<f64>> = r
        .points
        .iter()
        .map(|p| first_value(p).replace('_', "").parse::<f64>().ok())
        .collect();
    if let Some(xs) = numbers.filter(|xs| xs.iter().all(|x| x.is_finite())) {
        return (xs, field.to_owned());
    }
    let mut distinct: Vec<&str> = Vec::new();
    let xs = r
        .points
        .iter()
        .map(|p| {
            let v = first_value(p);
            let at = distinct.iter().position(|d| *d == v).unwrap_or_else(|| {
                distinct.push(v);
                distinct.len() - 1
            });
            (at + 1) as f64
        })
        .collect();
    let named: Vec<String> = distinct
        .iter()
        .enumerate()
        .map(|(k, v)| format!("{}={v}", k + 1))
        .collect();
    (xs, format!("{field} ({})", named.join(", ")))
}

/// One line per combination of the other fields' values (the rest of each
/// point's overrides), in order of first appearance.
fn lines(r: &SweepReport, xs: &[f64], f: impl Fn(&SweepPoint) -> (f64, f64)) -> Vec<Line> {
    let mut out: Vec<(String, Line)> = Vec::new();
    for (p, &x) in r.points.iter().zip(xs) {
        let key = p
            .sets
            .get(1..)
            .map(|rest| rest.join(" "))
            .unwrap_or_default();
        let k = out.iter().position(|(n, _)| *n == key).unwrap_or_else(|| {
            out.push((
                key.clone(),
                Line {
                    name: if key.is_empty() {
                        "all points".into()
                    } else {
                        key.clone()
                    },
                    ..Line::default()
                },
            ));
            out.len() - 1
        });
        let (y, e) = f(p);
        out[k].1.points.push((x, y, e));
    }
    for (_, line) in &mut out {
        line.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    out.into_iter().map(|(_, l)| l).collect()
}

/// Charts of a sweep (none when it ran no point).
pub fn sweep_charts(r: &SweepReport) -> Vec<(String, String)> {
    let Some(first) = r.points.first() else {
        return Vec::new();
    };
    let (xs, x_label) = x_axis(r);
    let (latency_slo, errors_slo) = objective_lines(&first.slo, first.slo_default);
    let with_ci = |e: &Estimate, scale: f64| (e.mean * scale, e.ci95 * scale);
    let chart = |title: &str, y_label: &str, lines: Vec<Line>| Chart {
        title: format!("{}: {title}", r.scenario),
        x_label: x_label.clone(),
        y_label: y_label.into(),
        lines,
        ..Chart::default()
    };
    [
        (
            "latency.svg",
            Chart {
                references: latency_slo,
                ..chart(
                    "p99 latency",
                    "p99 latency, ms",
                    lines(r, &xs, |p| with_ci(&p.p99_ms, 1.0)),
                )
            },
        ),
        (
            "errors.svg",
            Chart {
                references: errors_slo,
                ..chart(
                    "error rate",
                    "error rate, % of requests",
                    lines(r, &xs, |p| with_ci(&p.error_rate, 100.0)),
                )
            },
        ),
        (
            "good_ratio.svg",
            chart(
                "requests within the latency objective",
                "succeeded within the threshold, % of finished",
                lines(r, &xs, |p| with_ci(&p.good_ratio, 100.0)),
            ),
        ),
        (
            "cost.svg",
            chart(
                "monthly cost",
                "cost, USD per month",
                lines(r, &xs, |p| with_ci(&p.cost_per_month, 1.0)),
            ),
        ),
    ]
    .into_iter()
    .map(|(n, c)| (n.to_owned(), c.svg()))
    .collect()
}
