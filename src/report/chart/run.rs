//! The charts of one run over time: error rate, throughput, p99,
//! utilization, queue depth, replicas, and cache hit ratios.

use super::{objective_lines, Bar, BarChart, Chart, Line, Marker, Reference};
use crate::metrics::IntervalRow;
use crate::report::{ReplicaRow, Report};

/// Charts of one run over time (faults marked on each): error rate,
/// throughput, p99, utilization, queue length, replicas; and the hit ratio of
/// every cache tier (when the scenario has caches).
pub fn run_charts(r: &Report) -> Vec<(String, String)> {
    let markers: Vec<Marker> = r
        .faults
        .iter()
        .map(|f| Marker {
            at: f.at_s,
            until: f.until_s,
            label: f.label.clone(),
        })
        .collect();
    let time = "simulated time, s";
    let over_time = |name: &str, f: &dyn Fn(&IntervalRow) -> f64| Line {
        name: name.to_owned(),
        points: r.series.iter().map(|s| (s.t_s, f(s), 0.0)).collect(),
        style: None,
    };
    let per_station = |f: fn(&IntervalRow) -> &Vec<f64>| -> Vec<Line> {
        r.stations
            .iter()
            .enumerate()
            .map(|(i, st)| Line {
                name: st.name.clone(),
                points: r
                    .series
                    .iter()
                    .map(|s| (s.t_s, f(s).get(i).copied().unwrap_or(0.0), 0.0))
                    .collect(),
                style: None,
            })
            .collect()
    };
    let chart = |title: &str, y_label: &str, lines: Vec<Line>| Chart {
        title: format!("{}: {title}", r.scenario),
        x_label: time.into(),
        y_label: y_label.into(),
        lines,
        markers: markers.clone(),
        ..Chart::default()
    };
    let (latency_slo, errors_slo) = r.slo.as_ref().map_or_else(Default::default, |slo| {
        objective_lines(&slo.objective, slo.default)
    });
    let mut out = vec![
        (
            "errors.svg",
            Chart {
                references: errors_slo,
                ..chart(
                    "error rate over time",
                    "error rate, % of finished requests",
                    vec![over_time("error rate", &|s| {
                        let done = s.throughput_rps + s.errors_per_s;
                        if done > 0.0 {
                            s.errors_per_s / done * 100.0
                        } else {
                            0.0
                        }
                    })],
                )
            }
            .svg(),
        ),
        (
            "throughput.svg",
            chart(
                "throughput over time",
                "requests per second",
                vec![
                    over_time("offered", &|s| s.offered_rps),
                    over_time("succeeded", &|s| s.throughput_rps),
                    over_time("failed", &|s| s.errors_per_s),
                ],
            )
            .svg(),
        ),
        (
            "latency.svg",
            Chart {
                references: latency_slo,
                ..chart(
                    "latency over time",
                    "latency of successful requests, ms",
                    vec![
                        over_time("p50", &|s| s.p50_ms),
                        over_time("p99", &|s| s.p99_ms),
                    ],
                )
            }
            .svg(),
        ),
        (
            "utilization.svg",
            Chart {
                references: hpa_targets(r),
                ..chart(
                    "utilization over time",
                    "utilization, % busy",
                    per_station(|s| &s.utilization)
                        .into_iter()
                        .map(|mut l| {
                            l.points.iter_mut().for_each(|p| p.1 *= 100.0);
                            l
                        })
                        .collect(),
                )
            }
            .svg(),
        ),
        (
            "queue.svg",
            chart(
                "queue depth over time",
                "mean requests waiting",
                per_station(|s| &s.queue_length),
            )
            .svg(),
        ),
    ];
    if !r.endpoints.is_empty() {
        out.push(("latency_distribution.svg", percentile_chart(r).svg()));
    }
    if !r.scaling.is_empty() {
        out.push((
            "replicas.svg",
            chart("replicas over time", "pods", replica_lines(r)).svg(),
        ));
    }
    let bars = hit_ratio_bars(r);
    if !bars.is_empty() {
        out.push((
            "caches.svg",
            BarChart {
                title: format!("{}: cache hit ratio per tier", r.scenario),
                x_label: "cache tier".into(),
                y_label: "hit ratio, % of lookups".into(),
                y_max: Some(100.0),
                bars,
            }
            .svg(),
        ));
    }
    out.into_iter().map(|(n, s)| (n.to_owned(), s)).collect()
}

/// Each autoscaled deployment's CPU utilization target, as a reference line.
fn hpa_targets(r: &Report) -> Vec<Reference> {
    r.scaling
        .iter()
        .filter_map(|d| {
            d.cpu_target_percent.map(|y| Reference {
                y,
                label: format!("{}: HPA CPU target {}%", d.name, super::draw::fmt_tick(y)),
            })
        })
        .collect()
}

/// Latency by percentile per endpoint, as HdrHistogram plots it: the x
/// axis is 1 / (1 − q) on a log scale, so 50%, 90%, 99% and 99.9% are
/// equally spaced and the tail is as wide as the body.
fn percentile_chart(r: &Report) -> Chart {
    let lines = r
        .endpoints
        .iter()
        .map(|e| {
            let l = &e.latency;
            let points = [
                (0.5, l.p50_ms),
                (0.9, l.p90_ms),
                (0.99, l.p99_ms),
                (0.999, l.p999_ms),
            ];
            Line {
                name: e.name.clone(),
                points: points
                    .iter()
                    .filter(|_| l.count > 0)
                    .map(|&(q, ms)| (1.0 / (1.0 - q), ms, 0.0))
                    .collect(),
                style: None,
            }
        })
        .collect();
    Chart {
        title: format!("{}: latency by percentile per endpoint", r.scenario),
        x_label: "percentile (log scale of 1 / (1 − q))".into(),
        y_label: "latency of successful requests, ms (log scale)".into(),
        log_x: true,
        log_y: true,
        percentile_x: true,
        lines,
        ..Chart::default()
    }
}

/// Per deployment: ready pods over time, and desired pods when autoscaled
/// (in the ready line's colour, dashed, so both show where they agree).
fn replica_lines(r: &Report) -> Vec<Line> {
    let mut lines = Vec::new();
    for (k, d) in r.scaling.iter().enumerate() {
        let row = |f: fn(&ReplicaRow) -> u32| -> Vec<(f64, f64, f64)> {
            d.series
                .iter()
                .map(|s| (s.t_s, f64::from(f(s)), 0.0))
                .collect()
        };
        lines.push(Line {
            name: format!("{} ready", d.name),
            points: row(|s| s.ready),
            style: Some(k),
        });
        if d.autoscaled {
            lines.push(Line {
                name: format!("{} desired", d.name),
                points: row(|s| s.desired),
                style: Some(k + 8),
            });
        }
    }
    lines
}

/// The hit ratio of every cache tier: CDN edges, then shared caches and L1s.
fn hit_ratio_bars(r: &Report) -> Vec<Bar> {
    let mut bars: Vec<Bar> = r
        .cdns
        .iter()
        .map(|c| Bar {
            name: c.name.clone(),
            group: "CDN edge".into(),
            value: c.hit_ratio * 100.0,
        })
        .collect();
    bars.extend(r.caches.iter().map(|c| Bar {
        name: c.name.clone(),
        group: if c.kind == "l1" {
            "in-process L1".into()
        } else {
            "shared cache".into()
        },
        value: c.hit_ratio * 100.0,
    }));
    bars
}
