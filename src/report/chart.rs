//! SVG charts drawn by hand (no fonts, no system libraries): generic line
//! charts over named series, with error bars and vertical markers, and the
//! self-contained HTML page that embeds them.
//!
//! Other report sections (replicas, queue depth, cache hit ratio) plug in by
//! building a [`Chart`] of their own series.

use crate::sweep::{CompareReport, StagesReport};
use crate::Report;
use std::fmt::Write;

/// One named line: (x, y, ± error) points.
#[derive(Clone, Debug, Default)]
pub struct Line {
    /// Legend text.
    pub name: String,
    /// Points in x order.
    pub points: Vec<(f64, f64, f64)>,
}

/// A line chart.
#[derive(Clone, Debug, Default)]
pub struct Chart {
    /// Title.
    pub title: String,
    /// X axis label with unit.
    pub x_label: String,
    /// Y axis label with unit.
    pub y_label: String,
    /// Logarithmic x axis.
    pub log_x: bool,
    /// Logarithmic y axis.
    pub log_y: bool,
    /// The lines.
    pub lines: Vec<Line>,
    /// Vertical markers: (x, label), e.g. faults.
    pub markers: Vec<(f64, String)>,
}

const COLORS: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
];

fn fmt_tick(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{}M", v / 1e6)
    } else if a >= 1e3 {
        format!("{}K", v / 1e3)
    } else if a >= 10.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 0.1 {
        format!("{v:.2}")
    } else {
        format!("{v:.1e}")
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl Chart {
    /// The chart as a standalone SVG document.
    pub fn svg(&self) -> String {
        let (w, h, l, r, t, b) = (640.0, 360.0, 70.0, 150.0, 36.0, 50.0);
        let tx = |v: f64| if self.log_x { v.max(1e-12).log10() } else { v };
        let ty = |v: f64| if self.log_y { v.max(1e-6).log10() } else { v };
        let pts = self.lines.iter().flat_map(|s| s.points.iter());
        let (mut x0, mut x1, mut y0, mut y1) = (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        );
        for &(x, y, e) in pts.filter(|p| p.1.is_finite()) {
            x0 = x0.min(tx(x));
            x1 = x1.max(tx(x));
            y0 = y0.min(ty((y - e).max(if self.log_y { y * 0.5 } else { f64::MIN })));
            y1 = y1.max(ty(y + e));
        }
        for (x, _) in &self.markers {
            x0 = x0.min(tx(*x));
            x1 = x1.max(tx(*x));
        }
        if !x0.is_finite() {
            (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
        }
        if !self.log_y {
            y0 = y0.min(0.0);
        }
        if x1 - x0 < 1e-12 {
            x1 = x0 + 1.0;
        }
        if y1 - y0 < 1e-12 {
            y1 = y0 + 1.0;
        }
        let px = |x: f64| l + (tx(x) - x0) / (x1 - x0) * (w - l - r);
        let py = |y: f64| h - b - (ty(y) - y0) / (y1 - y0) * (h - t - b);
        let mut o = String::new();
        let _ = write!(
            o,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="11">"#
        );
        let _ = write!(
            o,
            r#"<rect width="{w}" height="{h}" fill="white"/><text x="{}" y="20" text-anchor="middle" font-size="14">{}</text>"#,
            (w - r + l) / 2.0,
            esc(&self.title)
        );
        // Axes, ticks and grid.
        let _ = write!(
            o,
            r##"<path d="M{l} {t}V{}H{}" fill="none" stroke="#333"/>"##,
            h - b,
            w - r
        );
        for i in 0..=4 {
            let f = i as f64 / 4.0;
            let (xv, yv) = (x0 + f * (x1 - x0), y0 + f * (y1 - y0));
            let xs = if self.log_x { 10f64.powf(xv) } else { xv };
            let ys = if self.log_y { 10f64.powf(yv) } else { yv };
            let (gx, gy) = (l + f * (w - l - r), h - b - f * (h - t - b));
            let _ = write!(
                o,
                r##"<line x1="{gx:.1}" y1="{t}" x2="{gx:.1}" y2="{}" stroke="#eee"/><text x="{gx:.1}" y="{}" text-anchor="middle">{}</text>"##,
                h - b,
                h - b + 15.0,
                fmt_tick(xs)
            );
            let _ = write!(
                o,
                r##"<line x1="{l}" y1="{gy:.1}" x2="{}" y2="{gy:.1}" stroke="#eee"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
                w - r,
                l - 5.0,
                gy + 4.0,
                fmt_tick(ys)
            );
        }
        let _ = write!(
            o,
            r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
            (w - r + l) / 2.0,
            h - 12.0,
            esc(&self.x_label)
        );
        let _ = write!(
            o,
            r#"<text transform="translate(16 {}) rotate(-90)" text-anchor="middle">{}</text>"#,
            (h - b + t) / 2.0,
            esc(&self.y_label)
        );
        for (x, label) in &self.markers {
            let _ = write!(
                o,
                r##"<line x1="{0:.1}" y1="{t}" x2="{0:.1}" y2="{1}" stroke="#999" stroke-dasharray="4 3"/><text x="{2:.1}" y="{3}" font-size="9" fill="#666">{4}</text>"##,
                px(*x),
                h - b,
                px(*x) + 2.0,
                t + 10.0,
                esc(label)
            );
        }
        for (k, s) in self.lines.iter().enumerate() {
            let c = COLORS[k % COLORS.len()];
            let path: Vec<String> = s
                .points
                .iter()
                .filter(|p| p.1.is_finite())
                .map(|&(x, y, _)| format!("{:.1},{:.1}", px(x), py(y)))
                .collect();
            let _ = write!(
                o,
                r#"<polyline points="{}" fill="none" stroke="{c}" stroke-width="2"/>"#,
                path.join(" ")
            );
            for &(x, y, e) in s.points.iter().filter(|p| p.1.is_finite()) {
                let _ = write!(
                    o,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="2.5" fill="{c}"/>"#,
                    px(x),
                    py(y)
                );
                if e > 0.0 {
                    let lo = if self.log_y {
                        (y - e).max(y * 0.5)
                    } else {
                        y - e
                    };
                    let _ = write!(
                        o,
                        r#"<line x1="{0:.1}" y1="{1:.1}" x2="{0:.1}" y2="{2:.1}" stroke="{c}"/>"#,
                        px(x),
                        py(lo),
                        py(y + e)
                    );
                }
            }
            let ly = t + 10.0 + 16.0 * k as f64;
            let _ = write!(
                o,
                r#"<rect x="{}" y="{}" width="12" height="3" fill="{c}"/><text x="{}" y="{}">{}</text>"#,
                w - r + 10.0,
                ly - 4.0,
                w - r + 26.0,
                ly,
                esc(&s.name)
            );
        }
        o.push_str("</svg>\n");
        o
    }
}

/// Charts of a stages run: latency, cost, errors and utilization vs users.
pub fn stages_charts(r: &StagesReport) -> Vec<(String, String)> {
    let line = |name: &str, f: &dyn Fn(&crate::sweep::StageRow) -> (f64, f64)| Line {
        name: name.to_owned(),
        points: r
            .stages
            .iter()
            .map(|s| {
                let (y, e) = f(s);
                (s.users, y, e)
            })
            .collect(),
    };
    let mut charts = vec![
        (
            "latency.svg",
            Chart {
                title: format!("{}: latency vs users", r.scenario),
                x_label: "active users (log)".into(),
                y_label: "latency, ms (log)".into(),
                log_x: true,
                log_y: true,
                lines: vec![
                    line("p50", &|s| (s.p50_ms.mean, s.p50_ms.ci95)),
                    line("p99", &|s| (s.p99_ms.mean, s.p99_ms.ci95)),
                ],
                markers: vec![],
            },
        ),
        (
            "cost.svg",
            Chart {
                title: format!("{}: monthly cost vs users", r.scenario),
                x_label: "active users (log)".into(),
                y_label: "USD per month".into(),
                log_x: true,
                lines: vec![line("cost", &|s| (s.cost.per_month, 0.0))],
                ..Chart::default()
            },
        ),
        (
            "errors.svg",
            Chart {
                title: format!("{}: error rate vs users", r.scenario),
                x_label: "active users (log)".into(),
                y_label: "error rate, %".into(),
                log_x: true,
                lines: vec![line("errors", &|s| {
                    (s.error_rate.mean * 100.0, s.error_rate.ci95 * 100.0)
                })],
                ..Chart::default()
            },
        ),
    ];
    let stations = r.stages.first().map_or(0, |s| s.utilization.len());
    charts.push((
        "utilization.svg",
        Chart {
            title: format!("{}: utilization vs users", r.scenario),
            x_label: "active users (log)".into(),
            y_label: "utilization, 0..1".into(),
            log_x: true,
            lines: (0..stations)
                .map(|i| Line {
                    name: r.stages[0].utilization[i].0.clone(),
                    points: r
                        .stages
                        .iter()
                        .map(|s| (s.users, s.utilization[i].1, 0.0))
                        .collect(),
                })
                .collect(),
            ..Chart::default()
        },
    ));
    charts
        .into_iter()
        .map(|(n, c)| (n.to_owned(), c.svg()))
        .collect()
}

/// Charts of a comparison: p99 and cost vs users per architecture.
pub fn compare_charts(r: &CompareReport) -> Vec<(String, String)> {
    let lines = |f: fn(&crate::sweep::StageRow) -> (f64, f64)| -> Vec<Line> {
        r.architectures
            .iter()
            .enumerate()
            .map(|(a, name)| Line {
                name: name.clone(),
                points: r
                    .stages
                    .iter()
                    .map(|s| {
                        let (y, e) = f(&s.rows[a]);
                        (s.users, y, e)
                    })
                    .collect(),
            })
            .collect()
    };
    vec![
        (
            "latency.svg".to_owned(),
            Chart {
                title: "p99 latency vs users".into(),
                x_label: "active users (log)".into(),
                y_label: "p99 latency, ms (log)".into(),
                log_x: true,
                log_y: true,
                lines: lines(|s| (s.p99_ms.mean, s.p99_ms.ci95)),
                markers: vec![],
            }
            .svg(),
        ),
        (
            "cost.svg".to_owned(),
            Chart {
                title: "monthly cost vs users".into(),
                x_label: "active users (log)".into(),
                y_label: "USD per month".into(),
                log_x: true,
                lines: lines(|s| (s.cost.per_month, 0.0)),
                ..Chart::default()
            }
            .svg(),
        ),
    ]
}

/// Charts of one run over time: errors with faults marked, utilization.
pub fn run_charts(r: &Report) -> Vec<(String, String)> {
    let markers: Vec<(f64, String)> = r.faults.iter().map(|f| (f.at_s, f.label.clone())).collect();
    let errors = Chart {
        title: format!("{}: errors and throughput over time", r.scenario),
        x_label: "simulated time, s".into(),
        y_label: "requests per second".into(),
        lines: vec![
            Line {
                name: "errors/s".into(),
                points: r
                    .series
                    .iter()
                    .map(|s| (s.t_s, s.errors_per_s, 0.0))
                    .collect(),
            },
            Line {
                name: "ok/s".into(),
                points: r
                    .series
                    .iter()
                    .map(|s| (s.t_s, s.throughput_rps, 0.0))
                    .collect(),
            },
        ],
        markers: markers.clone(),
        ..Chart::default()
    };
    let util = Chart {
        title: format!("{}: utilization over time", r.scenario),
        x_label: "simulated time, s".into(),
        y_label: "utilization, 0..1".into(),
        lines: r
            .stations
            .iter()
            .enumerate()
            .map(|(i, st)| Line {
                name: st.name.clone(),
                points: r
                    .series
                    .iter()
                    .map(|s| (s.t_s, s.utilization.get(i).copied().unwrap_or(0.0), 0.0))
                    .collect(),
            })
            .collect(),
        markers,
        ..Chart::default()
    };
    vec![
        ("errors.svg".to_owned(), errors.svg()),
        ("utilization.svg".to_owned(), util.svg()),
    ]
}

/// A self-contained HTML page: the Markdown text and every SVG in `files`.
pub fn html(markdown: &str, files: &[(String, String)]) -> String {
    let mut o = String::from("<!doctype html><html><head><meta charset=\"utf-8\"><title>scaletwin report</title><style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}pre{white-space:pre-wrap;font-size:12px;background:#f6f6f6;padding:1em}</style></head><body>\n");
    let _ = writeln!(o, "<pre>{}</pre>", esc(markdown));
    for (name, svg) in files.iter().filter(|(n, _)| n.ends_with(".svg")) {
        let _ = writeln!(
            o,
            "<figure>{svg}<figcaption>{}</figcaption></figure>",
            esc(name)
        );
    }
    o.push_str("</body></html>\n");
    o
}
