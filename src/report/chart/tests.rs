//! Tests of the drawing: well-formed SVG, titles, axes, legends, error
//! bars, fault markers, bars, degenerate input.

use super::draw::{color, fmt_tick, BAR_DODGE, H, MARKER_COLOR, ROW_H, W};
use super::*;
use plotters::style::RGBColor;

/// Checks that `svg` is one well-formed `<svg>` element: every tag is
/// closed in order, attributes are quoted, text holds no raw `<`/`&`.
fn well_formed(svg: &str) {
    assert!(svg.starts_with("<svg "), "{svg}");
    assert!(svg.trim_end().ends_with("</svg>"), "{svg}");
    let mut stack: Vec<String> = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find('<') {
        let text = &rest[..i];
        for (k, _) in text.match_indices('&') {
            let t = &text[k..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                    .iter()
                    .any(|e| t.starts_with(e)),
                "raw & in {text:?}"
            );
        }
        let j = rest[i..].find('>').expect("unclosed tag") + i;
        let tag = &rest[i + 1..j];
        assert_eq!(
            tag.matches('"').count() % 2,
            0,
            "unbalanced quotes in <{tag}>"
        );
        assert!(!tag.contains('<'), "< inside <{tag}>");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name.trim()), "</{name}>");
        } else if !tag.ends_with('/') {
            let name = tag.split_whitespace().next().unwrap_or("");
            assert!(!name.is_empty(), "empty tag");
            stack.push(name.to_owned());
        }
        rest = &rest[j + 1..];
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    assert!(rest.trim().is_empty(), "text after </svg>: {rest:?}");
}

/// The text contents of every `<text>` element, trimmed.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .map(|t| {
            let a = t.find('>').unwrap() + 1;
            let b = t.find("</text>").unwrap();
            t[a..b].trim().to_owned()
        })
        .collect()
}

fn hex(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

fn sample() -> Chart {
    Chart {
        title: "latency <vs> users & cost".into(),
        x_label: "active users (log scale)".into(),
        y_label: "latency, ms (log scale)".into(),
        log_x: true,
        log_y: true,
        lines: vec![
            Line {
                name: "p50".into(),
                points: vec![(100.0, 5.0, 0.5), (1000.0, 6.0, 0.7), (1e4, 9.0, 0.0)],
                style: None,
            },
            Line {
                name: "p99".into(),
                points: vec![(100.0, 40.0, 4.0), (1000.0, 45.0, 0.0), (1e4, 300.0, 20.0)],
                style: None,
            },
        ],
        ..Chart::default()
    }
}

#[test]
fn line_chart_has_title_axes_units_legend_and_error_bars() {
    let svg = sample().svg();
    well_formed(&svg);
    let t = texts(&svg);
    for want in [
        "latency &lt;vs&gt; users &amp; cost",
        "active users (log scale)",
        "latency, ms (log scale)",
        "bars: 95% confidence interval",
    ] {
        assert!(t.iter().any(|s| s == want), "{want} not in {t:?}");
    }
    // One legend entry per series.
    assert_eq!(t.iter().filter(|s| *s == "p50").count(), 1);
    assert_eq!(t.iter().filter(|s| *s == "p99").count(), 1);
    // Log axes: decade ticks.
    for tick in ["100", "1K", "10K", "1", "10"] {
        assert!(t.iter().any(|s| s == tick), "tick {tick} not in {t:?}");
    }
    // Error bars: a stem and two caps per point with a CI, in the series
    // colour; no interval reaches 0, so no arrows and no arrow note.
    for (k, bars) in [(0, 2), (1, 2)] {
        let n = bar_strokes(&svg, k).len();
        assert_eq!(n, 3 * bars, "series {k}");
        assert!(
            bar_strokes(&svg, k).iter().all(|p| p.len() == 2),
            "series {k}: caps"
        );
    }
    assert!(!t.iter().any(|s| s.starts_with("arrow")));
    // Each series: its line in the plot and its sample in the legend.
    for k in 0..2 {
        let c = hex(color(k));
        let n = svg
            .lines()
            .filter(|l| {
                l.starts_with("<polyline")
                    && l.contains(&format!("stroke=\"{c}\""))
                    && l.contains("stroke-width=\"2\"")
            })
            .count();
        assert_eq!(n, 2, "series {k}");
    }
}

/// The thin strokes of series `k` (its error bars): each a list of points.
fn bar_strokes(svg: &str, k: usize) -> Vec<Vec<(i32, i32)>> {
    let c = hex(color(k));
    svg.lines()
        .filter(|l| {
            l.starts_with("<polyline")
                && l.contains(&format!("stroke=\"{c}\""))
                && l.contains("stroke-width=\"1\"")
        })
        .map(|l| {
            let points = l
                .split("points=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            points
                .split_whitespace()
                .map(|xy| {
                    let (x, y) = xy.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect()
        })
        .collect()
}

#[test]
fn bars_at_one_x_stand_apart_and_an_interval_below_a_log_axis_ends_in_an_arrow() {
    let mut c = sample();
    // p50 at 1K users: 6 ± 7 reaches below 0, under a log axis.
    c.lines[0].points[1].2 = 7.0;
    c.lines[1].points[1].2 = 5.0;
    let svg = c.svg();
    well_formed(&svg);
    let stems = |k| -> Vec<i32> {
        bar_strokes(&svg, k)
            .iter()
            .filter(|p| p.len() == 2 && p[0].0 == p[1].0)
            .map(|p| p[0].0)
            .collect()
    };
    let (a, b) = (stems(0), stems(1));
    assert_eq!((a.len(), b.len()), (2, 3));
    // Same x for both series: the stems are 2 x BAR_DODGE apart.
    assert_eq!(b[0] - a[0], 2 * BAR_DODGE);
    assert_eq!(b[1] - a[1], 2 * BAR_DODGE);
    // The cut interval: a cap on top, an arrow (three points, tip
    // lowest on the page) at the bottom; every other bar has two caps.
    let arrows: Vec<_> = bar_strokes(&svg, 0)
        .into_iter()
        .filter(|p| p.len() == 3)
        .collect();
    assert_eq!(arrows.len(), 1);
    assert!(arrows[0][1].1 > arrows[0][0].1 && arrows[0][1].1 > arrows[0][2].1);
    assert!(bar_strokes(&svg, 1).iter().all(|p| p.len() == 2));
    assert!(texts(&svg)
        .iter()
        .any(|s| s == "arrow: it reaches 0 or below"));
}

#[test]
fn faults_are_marked_numbered_and_listed() {
    let chart = Chart {
        title: "errors over time".into(),
        x_label: "simulated time, s".into(),
        y_label: "error rate, %".into(),
        lines: vec![Line {
            name: "error rate".into(),
            points: (0..30)
                .map(|i| (f64::from(i) * 10.0, f64::from(i % 7), 0.0))
                .collect(),
            style: None,
        }],
        markers: vec![
            Marker {
                at: 60.0,
                until: Some(90.0),
                label: "Slowdown(api x3)".into(),
            },
            Marker {
                at: 200.0,
                until: None,
                label: "Kill(pg)".into(),
            },
        ],
        ..Chart::default()
    };
    let svg = chart.svg();
    well_formed(&svg);
    let t = texts(&svg);
    assert!(t.iter().any(|s| s == "F1"));
    assert!(t.iter().any(|s| s == "F2"));
    assert!(!t.iter().any(|s| s == "F3"));
    assert!(
        t.iter().any(|s| s == "F1 (60–90 s): Slowdown(api x3)"),
        "{t:?}"
    );
    assert!(t.iter().any(|s| s == "F2 (from 200 s): Kill(pg)"), "{t:?}");
    assert!(t.iter().any(|s| s == "simulated time, s"));
    assert!(t.iter().any(|s| s == "error rate, %"));
    // The fault list makes the document taller.
    assert!(svg.starts_with(&format!(
        "<svg width=\"{W}\" height=\"{}\"",
        H + 2 * ROW_H + 8
    )));
    // Dashed marker lines are drawn in the marker colour.
    assert!(svg.contains(&format!("stroke=\"{}\"", hex(MARKER_COLOR))));
    // The shaded span of F1.
    assert!(svg.contains("fill-opacity=\"0.08\"") || svg.contains("opacity=\"0.08\""));
}

#[test]
fn bar_chart_has_one_bar_per_tier_and_a_legend_per_group() {
    let chart = BarChart {
        title: "cache hit ratio per tier".into(),
        x_label: "cache tier".into(),
        y_label: "hit ratio, % of lookups".into(),
        y_max: Some(100.0),
        bars: vec![
            Bar {
                name: "edge".into(),
                group: "CDN edge".into(),
                value: 60.4,
            },
            Bar {
                name: "redis".into(),
                group: "shared cache".into(),
                value: 41.7,
            },
            Bar {
                name: "api/l1".into(),
                group: "in-process L1".into(),
                value: 11.3,
            },
            Bar {
                name: "web/l1".into(),
                group: "in-process L1".into(),
                value: 0.0,
            },
        ],
    };
    let svg = chart.svg();
    well_formed(&svg);
    let t = texts(&svg);
    for want in [
        "cache tier",
        "hit ratio, % of lookups",
        "edge",
        "redis",
        "api/l1",
        "web/l1",
        "60.4",
        "CDN edge",
        "shared cache",
        "in-process L1",
        "100",
    ] {
        assert!(t.iter().any(|s| s == want), "{want} not in {t:?}");
    }
    // Bars plus legend swatches per colour: L1 has two bars.
    let filled = |k: usize| {
        svg.lines()
            .filter(|l| {
                l.starts_with("<rect") && l.contains(&format!("fill=\"{}\"", hex(color(k))))
            })
            .count()
    };
    assert_eq!((filled(0), filled(1), filled(2)), (2, 2, 3));
}

#[test]
fn degenerate_input_does_not_panic_and_stays_well_formed() {
    let base = Chart {
        title: "t".into(),
        x_label: "x, s".into(),
        y_label: "y, ms".into(),
        ..Chart::default()
    };
    let line = |points: Vec<(f64, f64, f64)>| Line {
        name: "s".into(),
        points,
        style: None,
    };
    let cases: Vec<Vec<Line>> = vec![
        vec![],
        vec![line(vec![])],
        vec![line(vec![(5.0, 3.0, 1.0)])],
        vec![line(vec![
            (0.0, 0.0, 0.0),
            (1.0, 0.0, 0.0),
            (2.0, 0.0, 0.0),
        ])],
        vec![line(vec![
            (0.0, f64::NAN, f64::NAN),
            (1.0, f64::INFINITY, -1.0),
        ])],
        vec![line(vec![(1.0, -5.0, 2.0), (2.0, -1.0, 0.0)])],
        vec![line(vec![(3.0, 7.0, 0.0), (3.0, 7.0, 0.0)])],
    ];
    for lines in cases {
        for (log_x, log_y) in [(false, false), (true, false), (false, true), (true, true)] {
            let c = Chart {
                lines: lines.clone(),
                log_x,
                log_y,
                markers: vec![Marker {
                    at: 0.0,
                    until: Some(0.0),
                    label: "at zero".into(),
                }],
                ..base.clone()
            };
            let svg = c.svg();
            well_formed(&svg);
            assert!(texts(&svg).iter().any(|s| s == "y, ms"), "{svg}");
            assert!(!svg.contains("chart error"), "{svg}");
        }
    }
    let empty = BarChart::default().svg();
    well_formed(&empty);
    assert!(texts(&empty).iter().any(|s| s == "no data"));
    let odd = BarChart {
        bars: vec![Bar {
            name: "a very long cache tier name indeed".into(),
            group: "g".into(),
            value: f64::NAN,
        }],
        ..BarChart::default()
    };
    well_formed(&odd.svg());
}

#[test]
fn output_is_byte_identical_for_the_same_input() {
    assert_eq!(sample().svg(), sample().svg());
}

#[test]
fn ticks_are_short() {
    let cases = [
        (0.0, "0"),
        (1.0, "1"),
        (2.5, "2.5"),
        (0.25, "0.25"),
        (0.001, "0.001"),
        (12.5, "12.5"),
        (100.0, "100"),
        (1000.0, "1K"),
        (1500.0, "1.5K"),
        (250_000.0, "250K"),
        (1e6, "1M"),
        (-20.0, "-20"),
    ];
    for (v, s) in cases {
        assert_eq!(fmt_tick(v), s, "{v}");
    }
}

#[test]
fn twenty_four_series_have_distinct_styles() {
    use super::draw::dash;
    let styles: Vec<(String, Option<(u32, u32)>)> =
        (0..24).map(|k| (hex(color(k)), dash(k))).collect();
    for (a, sa) in styles.iter().enumerate() {
        for sb in &styles[a + 1..] {
            assert_ne!(sa, sb, "two series share colour and dash");
        }
    }
    // Swatches (bars) differ by colour alone.
    let colours: std::collections::BTreeSet<String> = (0..24).map(|k| hex(color(k))).collect();
    assert_eq!(colours.len(), 24);
    // A chart of 16 lines draws dashed pieces for the ninth line on.
    let chart = Chart {
        lines: (0..16)
            .map(|k| Line {
                name: format!("s{k}"),
                points: vec![(0.0, k as f64, 0.0), (10.0, k as f64 + 1.0, 0.0)],
                style: None,
            })
            .collect(),
        ..Chart::default()
    };
    let svg = chart.svg();
    well_formed(&svg);
    let shade = hex(color(8));
    assert!(
        svg.matches(&format!("stroke=\"{shade}\"")).count() > 4,
        "ninth line not dashed"
    );
}

#[test]
fn reference_lines_are_drawn_labelled_and_in_range() {
    let chart = Chart {
        title: "latency".into(),
        lines: vec![Line {
            name: "p99".into(),
            points: vec![(0.0, 10.0, 0.0), (1.0, 20.0, 0.0)],
            style: None,
        }],
        references: vec![Reference {
            y: 500.0,
            label: "SLO: 99% within 500 ms".into(),
        }],
        ..Chart::default()
    };
    let svg = chart.svg();
    well_formed(&svg);
    assert!(texts(&svg).iter().any(|t| t == "SLO: 99% within 500 ms"));
    // The axis reaches the objective, far above the data.
    assert!(texts(&svg).iter().any(|t| t == "500"), "{:?}", texts(&svg));
}

#[test]
fn percentile_ticks_read_as_percentiles() {
    use super::draw::fmt_percentile;
    assert_eq!(fmt_percentile(1.0), "0%");
    assert_eq!(fmt_percentile(10.0), "90%");
    assert_eq!(fmt_percentile(100.0), "99%");
    assert_eq!(fmt_percentile(1000.0), "99.9%");
    assert_eq!(fmt_percentile(10000.0), "99.99%");
}

#[test]
fn dashes_alternate_along_a_path_and_cover_it() {
    use super::draw::dashes;
    let pieces = dashes(&[(0, 0), (22, 0)], 7, 4);
    assert_eq!(pieces, vec![vec![(0, 0), (7, 0)], vec![(11, 0), (18, 0)]]);
    // The pattern runs on around a corner.
    let pieces = dashes(&[(0, 0), (5, 0), (5, 12)], 7, 4);
    assert_eq!(
        pieces,
        vec![vec![(0, 0), (5, 0), (5, 2)], vec![(5, 6), (5, 12)]]
    );
}
