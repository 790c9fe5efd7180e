//! The charts of one run over time: error rate, throughput, p99,
//! utilization, queue depth, replicas, and cache hit ratios.

use super::{Bar, BarChart, Chart, Line, Marker};
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
    let mut out = vec![
        (
            "errors.svg",
            chart(
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
            chart(
                "p99 latency over time",
                "p99 latency, ms",
                vec![over_time("p99", &|s| s.p99_ms)],
            )
            .svg(),
        ),
        (
            "utilization.svg",
            chart(
                "utilization over time",
                "utilization, busy share 0..1",
                per_station(|s| &s.utilization),
            )
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

/// Per deployment: ready pods over time, and desired pods when autoscaled.
fn replica_lines(r: &Report) -> Vec<Line> {
    let mut lines = Vec::new();
    for d in &r.scaling {
        let row = |f: fn(&ReplicaRow) -> u32| -> Vec<(f64, f64, f64)> {
            d.series
                .iter()
                .map(|s| (s.t_s, f64::from(f(s)), 0.0))
                .collect()
        };
        lines.push(Line {
            name: format!("{} ready", d.name),
            points: row(|s| s.ready),
        });
        if d.autoscaled {
            lines.push(Line {
                name: format!("{} desired", d.name),
                points: row(|s| s.desired),
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
