//! SVG charts drawn with plotters' SVG backend into a `String` (pure Rust:
//! no font library, no bitmap backend; text goes into the SVG as `<text>`
//! and the browser lays it out), and the self-contained HTML page that
//! embeds them.
//!
//! Two chart kinds cover every report:
//! - [`Chart`]: lines over a numeric x axis (linear or log), each point with
//!   an optional ± half-width of its 95% confidence interval drawn as an
//!   error bar, and fault markers (dashed vertical lines numbered F1, F2, ...
//!   with the fault's span shaded and its label listed under the plot);
//! - [`BarChart`]: one bar per category (e.g. cache hit ratio per tier),
//!   coloured by group.
//!
//! ```text
//!  +-------------------- title ----------------+-----------+
//!  | y axis  |  plot (grid, lines, error bars) | legend    |
//!  | (unit)  |  F1 ¦        F2 ¦               | — p50     |
//!  |         +---------------------------------+ — p99     |
//!  |             x axis (unit)                 |           |
//!  +-------------------------------------------+-----------+
//!  | F1 at 120 s: Slowdown(pg x3)                          |
//!  +-------------------------------------------------------+
//! ```
//!
//! Output is deterministic: the same input gives the same bytes (no maps, no
//! clocks; plotters writes coordinates as integers).
//!
//! Colours are the Okabe-Ito palette (distinguishable with the common forms
//! of colour blindness), and each series also gets its own point shape, so
//! lines stay apart in grey scale too.

use crate::sweep::{CompareReport, StageRow, StagesReport};
use crate::Report;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::fmt::Write;

/// One named line: (x, y, ± error) points.
#[derive(Clone, Debug, Default)]
pub struct Line {
    /// Legend text.
    pub name: String,
    /// Points in x order: (x, y, half-width of the 95% confidence interval,
    /// 0 when there is none).
    pub points: Vec<(f64, f64, f64)>,
}

/// A vertical marker on a time axis, e.g. a fault.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Marker {
    /// Where it starts (x units).
    pub at: f64,
    /// Where it ends, if it does (the span between is shaded).
    pub until: Option<f64>,
    /// What it is, listed under the plot.
    pub label: String,
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
    /// Vertical markers, e.g. faults.
    pub markers: Vec<Marker>,
}

/// One bar of a [`BarChart`].
#[derive(Clone, Debug, Default)]
pub struct Bar {
    /// Category label under the bar.
    pub name: String,
    /// Group (legend entry and colour), e.g. the kind of cache.
    pub group: String,
    /// Height.
    pub value: f64,
}

/// A bar chart: one bar per category.
#[derive(Clone, Debug, Default)]
pub struct BarChart {
    /// Title.
    pub title: String,
    /// X axis label (what the categories are).
    pub x_label: String,
    /// Y axis label with unit.
    pub y_label: String,
    /// Fixed y range top (e.g. 100 for percentages); None: from the data.
    pub y_max: Option<f64>,
    /// The bars, left to right.
    pub bars: Vec<Bar>,
}

/// A stacked bar chart: one bar per category, one segment per series.
#[derive(Clone, Debug, Default)]
pub struct StackedBarChart {
    /// Title.
    pub title: String,
    /// X axis label (what the categories are).
    pub x_label: String,
    /// Y axis label with unit.
    pub y_label: String,
    /// Category labels, left to right.
    pub categories: Vec<String>,
    /// (legend entry, one value per category), stacked bottom to top.
    pub series: Vec<(String, Vec<f64>)>,
}

/// Okabe-Ito: blue, vermillion, bluish green, orange, reddish purple, sky
/// blue, black, yellow (last: weakest on white).
const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0x00, 0x00, 0x00),
    RGBColor(0xF0, 0xE4, 0x42),
];

/// The colour of series `k`.
fn color(k: usize) -> RGBColor {
    PALETTE[k % PALETTE.len()]
}

const MARKER_COLOR: RGBColor = RGBColor(0x55, 0x55, 0x55);
const FONT: &str = "sans-serif";
/// Chart size in pixels (before the fault list).
const W: u32 = 760;
const H: u32 = 400;
/// Width of the legend column on the right.
const LEGEND_W: u32 = 200;
/// Height of one line of the fault list.
const ROW_H: u32 = 16;
/// Lines with more points than this are drawn without point shapes.
const MAX_SHAPES: usize = 40;
/// Pixels between the error bars of neighbouring series at one x.
const BAR_DODGE: i32 = 3;

/// A tick label: at most three significant digits, K/M suffixes, no
/// trailing zeros.
fn fmt_tick(v: f64) -> String {
    let a = v.abs();
    let (x, suffix) = if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "K")
    } else {
        (v, "")
    };
    let ax = x.abs();
    if ax == 0.0 {
        return "0".into();
    }
    if ax < 1e-3 {
        return format!("{x:.0e}");
    }
    let decimals = if ax >= 100.0 {
        0
    } else if ax >= 10.0 {
        1
    } else if ax >= 1.0 {
        2
    } else {
        (2 - ax.log10().floor() as i32).clamp(0, 6) as usize
    };
    let mut s = format!("{x:.decimals$}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    s.push_str(suffix);
    s
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `s` cut to `n` characters, with an ellipsis when cut.
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Res = Result<(), Box<dyn std::error::Error>>;
/// A bar chart's coordinates: category segments by values.
type CategoryCoord = Cartesian2d<
    plotters::coord::ranged1d::SegmentedCoord<plotters::coord::types::RangedCoordusize>,
    plotters::coord::types::RangedCoordf64,
>;

/// The axes of a bar chart: one labelled segment per category (`names`),
/// values from 0 to `top`; `text` is the title, the x label and the y label.
fn category_axes<'a, 'b>(
    plot: &'a Area<'b>,
    [title, x_label, y_label]: [&str; 3],
    names: &[String],
    top: f64,
) -> Result<ChartContext<'a, SVGBackend<'b>, CategoryCoord>, Box<dyn std::error::Error>> {
    let n = names.len().max(1);
    let mut chart = ChartBuilder::on(plot)
        .caption(clip(title, 64), (FONT, 17))
        .margin_top(8)
        .margin_left(8)
        .margin_right(18)
        .margin_bottom(4)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d((0..n - 1).into_segmented(), 0.0..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .x_labels(n)
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                names.get(*i).cloned().unwrap_or_default()
            }
            SegmentValue::Last => String::new(),
        })
        .y_label_formatter(&|v| fmt_tick(*v))
        .label_style((FONT, 12))
        .axis_desc_style((FONT, 13))
        .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd))
        .light_line_style(RGBColor(0xf3, 0xf3, 0xf3))
        .max_light_lines(1)
        .draw()?;
    Ok(chart)
}

/// Renders `draw` into an SVG document of `size`; a drawing error (none is
/// expected when drawing into a String) becomes an SVG that says so.
fn render(size: (u32, u32), draw: impl FnOnce(&Area) -> Res) -> String {
    let mut out = String::new();
    let result = {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        draw(&root).and_then(|()| root.present().map_err(|e| e.to_string().into()))
    };
    match result {
        Ok(()) => {
            if !out.ends_with('\n') {
                out.push('\n');
            }
            out
        }
        Err(e) => format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\"><text x=\"10\" y=\"20\">chart error: {}</text></svg>\n",
            size.0,
            size.1,
            esc(&e.to_string())
        ),
    }
}

fn text_style(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().color(&BLACK)
}

/// Draws the point shape of series `k` at pixel `p` in `area`.
fn shape(area: &Area, k: usize, p: (i32, i32), c: RGBColor) -> Res {
    let s = c.filled();
    match k % 4 {
        0 => area.draw(&Circle::new(p, 3, s))?,
        1 => area.draw(&TriangleMarker::new(p, 4, s))?,
        2 => area.draw(&Rectangle::new([(p.0 - 3, p.1 - 3), (p.0 + 3, p.1 + 3)], s))?,
        _ => area.draw(&Cross::new(p, 3, c.stroke_width(2)))?,
    }
    Ok(())
}

/// The range of an axis: [lo, hi] over `values`, including 0 on a linear
/// axis whose data is all of one sign; log axes widen to whole decades.
/// Degenerate input (nothing, one value) still gives a non-empty range.
fn axis_range(values: impl Iterator<Item = f64>, log: bool, pad_top: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if log {
        if !lo.is_finite() {
            return (1.0, 10.0);
        }
        let lo = 10f64.powf(lo.log10().floor());
        let mut hi = 10f64.powf(hi.log10().ceil());
        if hi <= lo {
            hi = lo * 10.0;
        }
        return (lo, hi);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    lo = lo.min(0.0);
    hi = hi.max(0.0);
    if hi - lo < 1e-12 {
        hi = lo + 1.0;
    }
    if pad_top {
        hi += (hi - lo) * 0.05;
    }
    (lo, hi)
}

impl Chart {
    /// The chart as a standalone SVG document.
    pub fn svg(&self) -> String {
        let list = self.markers.len() as u32 * ROW_H + if self.markers.is_empty() { 0 } else { 8 };
        render((W, H + list), |root| self.draw(root))
    }

    fn points(&self) -> impl Iterator<Item = &(f64, f64, f64)> {
        self.lines
            .iter()
            .flat_map(|l| l.points.iter())
            .filter(|p| p.0.is_finite() && p.1.is_finite())
    }

    fn draw(&self, root: &Area) -> Res {
        root.fill(&WHITE)?;
        let (top, bottom) = root.split_vertically(H);
        let (plot, side) = top.split_horizontally(W - LEGEND_W);
        let xs = self.points().map(|p| p.0).chain(
            self.markers
                .iter()
                .flat_map(|m| [Some(m.at), m.until])
                .flatten(),
        );
        let (mut x0, mut x1) = axis_range(xs, self.log_x, false);
        if !self.log_x {
            x1 += (x1 - x0) * 0.02;
        }
        if self.log_x {
            // Keep the first and last points (and their error bars) off the
            // y axis and the right edge.
            for x in self.points().map(|p| p.0).filter(|x| *x > 0.0) {
                x0 = x0.min(x / 1.6);
                x1 = x1.max(x * 1.6);
            }
        }
        let e = |p: &(f64, f64, f64)| if p.2.is_finite() { p.2.max(0.0) } else { 0.0 };
        let ys = self.points().flat_map(|p| [p.1 - e(p), p.1, p.1 + e(p)]);
        let (y0, y1) = axis_range(ys, self.log_y, true);
        let cut = match (self.log_x, self.log_y) {
            (false, false) => self.plot(&plot, x0..x1, y0..y1)?,
            (true, false) => self.plot(&plot, (x0..x1).log_scale(), y0..y1)?,
            (false, true) => self.plot(&plot, x0..x1, (y0..y1).log_scale())?,
            (true, true) => self.plot(&plot, (x0..x1).log_scale(), (y0..y1).log_scale())?,
        };
        self.legend(&side, cut)?;
        for (k, m) in self.markers.iter().enumerate() {
            let span = match m.until {
                Some(u) => format!("{}–{} s", fmt_tick(m.at), fmt_tick(u)),
                None => format!("from {} s", fmt_tick(m.at)),
            };
            bottom.draw(&Text::new(
                format!("F{} ({span}): {}", k + 1, m.label),
                (12, 4 + k as i32 * ROW_H as i32),
                text_style(12).color(&MARKER_COLOR),
            ))?;
        }
        Ok(())
    }

    /// The plot itself over coordinates `xr` x `yr`; whether some error
    /// bar runs past the axis (and ends in an arrow).
    fn plot<X, Y>(&self, area: &Area, xr: X, yr: Y) -> Result<bool, Box<dyn std::error::Error>>
    where
        X: AsRangedCoord<Value = f64>,
        Y: AsRangedCoord<Value = f64>,
        X::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
        Y::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        // The title is drawn by hand so the fault numbers fit between it and
        // the plot.
        area.draw(&Text::new(
            clip(&self.title, 64),
            (area.dim_in_pixel().0 as i32 / 2, 10),
            text_style(17).pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
        let mut chart = ChartBuilder::on(area)
            .margin_top(if self.markers.is_empty() {
                36
            } else {
                36 + 2 * 13
            })
            .margin_left(8)
            .margin_right(18)
            .margin_bottom(4)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(xr, yr)?;
        let (x_lo, x_hi) = {
            let r = chart.x_range();
            (r.start, r.end)
        };
        let (y_lo, y_hi) = {
            let r = chart.y_range();
            (r.start, r.end)
        };
        chart
            .configure_mesh()
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .x_label_formatter(&|v| fmt_tick(*v))
            .y_label_formatter(&|v| fmt_tick(*v))
            .x_labels(8)
            .y_labels(8)
            .label_style((FONT, 12))
            .axis_desc_style((FONT, 13))
            .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd))
            .light_line_style(RGBColor(0xf3, 0xf3, 0xf3))
            .max_light_lines(1)
            .draw()?;
        // Fault spans and markers below the data; their numbers above the
        // plot, on a second row when the previous one is too close.
        let mut last_label: Option<(i32, i32)> = None;
        for (k, m) in self.markers.iter().enumerate() {
            if let Some(u) = m.until.filter(|u| *u > m.at) {
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(m.at.max(x_lo), y_lo), (u.min(x_hi), y_hi)],
                    MARKER_COLOR.mix(0.08).filled(),
                )))?;
            }
            chart.draw_series(DashedLineSeries::new(
                [(m.at, y_lo), (m.at, y_hi)],
                5,
                4,
                MARKER_COLOR.stroke_width(1),
            ))?;
            let p = chart.backend_coord(&(m.at, y_hi));
            let (ox, oy) = area.get_base_pixel();
            let row = match last_label {
                Some((x, row)) if p.0 - x < 30 => 1 - row,
                _ => 0,
            };
            last_label = Some((p.0, row));
            area.draw(&Text::new(
                format!("F{}", k + 1),
                (p.0 - ox, p.1 - oy - 3 - row * 13),
                text_style(11)
                    .color(&MARKER_COLOR)
                    .pos(Pos::new(HPos::Center, VPos::Bottom)),
            ))?;
        }
        let clamp_y = |y: f64| y.clamp(y_lo, y_hi);
        let mut cut = false;
        for (k, line) in self.lines.iter().enumerate() {
            let c = color(k);
            let pts: Vec<(f64, f64, f64)> = line
                .points
                .iter()
                .filter(|p| p.0.is_finite() && p.1.is_finite())
                .map(|&(x, y, e)| (x, y, if e.is_finite() { e.max(0.0) } else { 0.0 }))
                .collect();
            chart.draw_series(LineSeries::new(
                pts.iter().map(|p| (p.0, clamp_y(p.1))),
                c.stroke_width(2),
            ))?;
            // Series side by side at the same x would hide each other's
            // bars: each series' bars sit a few pixels left or right.
            let dodge = (2 * k as i32 - (self.lines.len() as i32 - 1)) * BAR_DODGE;
            let (ox, oy) = area.get_base_pixel();
            for p in pts.iter().filter(|p| p.2 > 0.0) {
                let (lo, hi) = (p.1 - p.2, p.1 + p.2);
                let top = chart.backend_coord(&(p.0, clamp_y(hi)));
                let bottom = chart.backend_coord(&(p.0, clamp_y(lo)));
                let x = top.0 - ox + dodge;
                let style = c.stroke_width(1);
                area.draw(&PathElement::new(
                    vec![(x, top.1 - oy), (x, bottom.1 - oy)],
                    style,
                ))?;
                // A cap where the interval ends; an arrow where it runs
                // past the axis (on a log axis: to 0 or below).
                for (y, past, away) in [(top.1 - oy, hi > y_hi, 5), (bottom.1 - oy, lo < y_lo, -5)]
                {
                    cut |= past;
                    let end = if past {
                        vec![(x - 3, y + away), (x, y), (x + 3, y + away)]
                    } else {
                        vec![(x - 4, y), (x + 4, y)]
                    };
                    area.draw(&PathElement::new(end, style))?;
                }
            }
            if pts.len() <= MAX_SHAPES {
                let (ox, oy) = area.get_base_pixel();
                for p in &pts {
                    let b = chart.backend_coord(&(p.0, clamp_y(p.1)));
                    shape(area, k, (b.0 - ox, b.1 - oy), c)?;
                }
            }
        }
        if self.lines.iter().all(|l| l.points.is_empty()) {
            let (w, h) = area.dim_in_pixel();
            area.draw(&Text::new(
                "no data",
                (w as i32 / 2, h as i32 / 2),
                text_style(14)
                    .color(&MARKER_COLOR)
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            ))?;
        }
        Ok(cut)
    }

    /// The legend column: one entry per line, and a note on the error bars
    /// (and on their arrows when some interval runs past the axis: `cut`).
    fn legend(&self, area: &Area, cut: bool) -> Res {
        let mut y = 44;
        for (k, line) in self.lines.iter().enumerate() {
            let c = color(k);
            area.draw(&PathElement::new(vec![(4, y), (28, y)], c.stroke_width(2)))?;
            shape(area, k, (16, y), c)?;
            area.draw(&Text::new(
                clip(&line.name, 26),
                (34, y),
                text_style(11).pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
            y += 18;
        }
        if self.lines.iter().flat_map(|l| &l.points).any(|p| p.2 > 0.0) {
            let notes = [
                "bars: 95% confidence interval",
                "arrow: it reaches 0 or below",
            ];
            for (i, note) in notes.iter().take(if cut { 2 } else { 1 }).enumerate() {
                area.draw(&Text::new(
                    *note,
                    (4, y + 6 + 16 * i as i32),
                    text_style(11)
                        .color(&MARKER_COLOR)
                        .pos(Pos::new(HPos::Left, VPos::Center)),
                ))?;
            }
        }
        Ok(())
    }
}

impl StackedBarChart {
    /// The chart as a standalone SVG document.
    pub fn svg(&self) -> String {
        render((W, H), |root| self.draw(root))
    }

    fn total(&self, i: usize) -> f64 {
        self.series
            .iter()
            .map(|(_, v)| {
                v.get(i)
                    .copied()
                    .filter(|x| x.is_finite())
                    .unwrap_or(0.0)
                    .max(0.0)
            })
            .sum()
    }

    fn draw(&self, root: &Area) -> Res {
        root.fill(&WHITE)?;
        let (plot, side) = root.split_horizontally(W - LEGEND_W);
        let n = self.categories.len().max(1);
        let top = axis_range((0..n).map(|i| self.total(i)), false, true).1;
        let names: Vec<String> = self.categories.iter().map(|c| clip(c, 14)).collect();
        let chart = category_axes(
            &plot,
            [&self.title, &self.x_label, &self.y_label],
            &names,
            top,
        )?;
        let (ox, oy) = plot.get_base_pixel();
        for i in 0..self.categories.len() {
            let end = if i + 1 < n {
                SegmentValue::Exact(i + 1)
            } else {
                SegmentValue::Last
            };
            let mut base = 0.0;
            for (k, (_, values)) in self.series.iter().enumerate() {
                let v = values
                    .get(i)
                    .copied()
                    .filter(|x| x.is_finite())
                    .unwrap_or(0.0)
                    .max(0.0);
                if v <= 0.0 {
                    continue;
                }
                let l = chart.backend_coord(&(SegmentValue::Exact(i), base));
                let r = chart.backend_coord(&(end.clone(), (base + v).min(top)));
                let pad = ((r.0 - l.0) / 6).max(1);
                plot.draw(&Rectangle::new(
                    [(l.0 - ox + pad, r.1 - oy), (r.0 - ox - pad, l.1 - oy)],
                    color(k).filled(),
                ))?;
                base += v;
            }
            let l = chart.backend_coord(&(SegmentValue::Exact(i), base));
            let r = chart.backend_coord(&(end, base));
            plot.draw(&Text::new(
                fmt_tick(base),
                ((l.0 + r.0) / 2 - ox, r.1 - oy - 3),
                text_style(11).pos(Pos::new(HPos::Center, VPos::Bottom)),
            ))?;
        }
        let mut y = 44;
        for (k, (name, _)) in self.series.iter().enumerate() {
            side.draw(&Rectangle::new(
                [(4, y - 6), (24, y + 6)],
                color(k).filled(),
            ))?;
            side.draw(&Text::new(
                clip(name, 26),
                (34, y),
                text_style(11).pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
            y += 18;
        }
        Ok(())
    }
}

/// Monthly cost by component per category (a stage, or a stage and an
/// architecture), components in order of first appearance.
fn cost_by_component(
    title: String,
    x_label: &str,
    bars: &[(String, &crate::cost::CostReport)],
) -> StackedBarChart {
    let mut names: Vec<String> = Vec::new();
    for (_, c) in bars {
        for x in &c.by_component {
            if !names.contains(&x.name) {
                names.push(x.name.clone());
            }
        }
    }
    StackedBarChart {
        title,
        x_label: x_label.to_owned(),
        y_label: "cost, USD per month".into(),
        categories: bars.iter().map(|b| b.0.clone()).collect(),
        series: names
            .into_iter()
            .map(|n| {
                let v = bars
                    .iter()
                    .map(|(_, c)| {
                        c.by_component
                            .iter()
                            .find(|x| x.name == n)
                            .map_or(0.0, |x| x.per_month)
                    })
                    .collect();
                (n, v)
            })
            .collect(),
    }
}

/// Users as a short label: 1K, 10K, 1M.
fn users_label(u: f64) -> String {
    if u >= 1e6 && u % 1e6 == 0.0 {
        format!("{}M", u / 1e6)
    } else if u >= 1e3 && u % 1e3 == 0.0 {
        format!("{}K", u / 1e3)
    } else {
        format!("{u}")
    }
}

impl BarChart {
    /// The chart as a standalone SVG document.
    pub fn svg(&self) -> String {
        render((W, H), |root| self.draw(root))
    }

    /// Groups in order of first appearance.
    fn groups(&self) -> Vec<&str> {
        let mut g: Vec<&str> = Vec::new();
        for b in &self.bars {
            if !g.contains(&b.group.as_str()) {
                g.push(&b.group);
            }
        }
        g
    }

    fn draw(&self, root: &Area) -> Res {
        root.fill(&WHITE)?;
        let groups = self.groups();
        let (plot, side) = root.split_horizontally(W - LEGEND_W);
        let n = self.bars.len().max(1);
        let top = match self.y_max {
            Some(m) if m > 0.0 => m,
            _ => axis_range(self.bars.iter().map(|b| b.value), false, true).1,
        };
        let names: Vec<String> = self.bars.iter().map(|b| clip(&b.name, 14)).collect();
        let chart = category_axes(
            &plot,
            [&self.title, &self.x_label, &self.y_label],
            &names,
            top,
        )?;
        let (ox, oy) = plot.get_base_pixel();
        for (i, b) in self.bars.iter().enumerate() {
            let k = groups.iter().position(|g| *g == b.group).unwrap_or(0);
            let v = if b.value.is_finite() {
                b.value.clamp(0.0, top)
            } else {
                0.0
            };
            let l = chart.backend_coord(&(SegmentValue::Exact(i), 0.0));
            let end = if i + 1 < n {
                SegmentValue::Exact(i + 1)
            } else {
                SegmentValue::Last
            };
            let r = chart.backend_coord(&(end, v));
            let pad = ((r.0 - l.0) / 6).max(1);
            plot.draw(&Rectangle::new(
                [(l.0 - ox + pad, r.1 - oy), (r.0 - ox - pad, l.1 - oy)],
                color(k).filled(),
            ))?;
            plot.draw(&Text::new(
                fmt_tick(v),
                ((l.0 + r.0) / 2 - ox, r.1 - oy - 3),
                text_style(11).pos(Pos::new(HPos::Center, VPos::Bottom)),
            ))?;
        }
        if self.bars.is_empty() {
            let (w, h) = plot.dim_in_pixel();
            plot.draw(&Text::new(
                "no data",
                (w as i32 / 2, h as i32 / 2),
                text_style(14)
                    .color(&MARKER_COLOR)
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            ))?;
        }
        let mut y = 44;
        for (k, g) in groups.iter().enumerate() {
            side.draw(&Rectangle::new(
                [(4, y - 6), (24, y + 6)],
                color(k).filled(),
            ))?;
            side.draw(&Text::new(
                clip(g, 26),
                (34, y),
                text_style(11).pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
            y += 18;
        }
        Ok(())
    }
}

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
                    stage_line("p99", st, |s| (s.p99_ms.mean, s.p99_ms.ci95)),
                    stage_line("mean", st, |s| (s.mean_ms.mean, s.mean_ms.ci95)),
                ],
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
                y_label: "utilization, busy share 0..1".into(),
                log_x: true,
                lines: (0..stations)
                    .map(|i| Line {
                        name: st[0].utilization[i].0.clone(),
                        points: st
                            .iter()
                            .map(|s| (s.users, s.utilization.get(i).map_or(0.0, |u| u.1), 0.0))
                            .collect(),
                    })
                    .collect(),
                ..Chart::default()
            },
        ),
    ];
    let by_component: Vec<(String, &crate::cost::CostReport)> =
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

/// Charts of a comparison: p99, error rate and cost vs users per architecture.
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
            })
            .collect()
    };
    let users = "active users (log scale)";
    let mut out: Vec<(String, String)> = [
        (
            "latency.svg",
            Chart {
                title: "p99 latency vs users".into(),
                x_label: users.into(),
                y_label: "p99 latency, ms (log scale)".into(),
                log_x: true,
                log_y: true,
                lines: lines(|s| (s.p99_ms.mean, s.p99_ms.ci95)),
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
    let bars: Vec<(String, &crate::cost::CostReport)> = r
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
    let over_time = |name: &str, f: &dyn Fn(&crate::metrics::IntervalRow) -> f64| Line {
        name: name.to_owned(),
        points: r.series.iter().map(|s| (s.t_s, f(s), 0.0)).collect(),
    };
    let per_station = |f: fn(&crate::metrics::IntervalRow) -> &Vec<f64>| -> Vec<Line> {
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
        let mut lines = Vec::new();
        for d in &r.scaling {
            let row = |f: fn(&crate::sim::ReplicaRow) -> u32| -> Vec<(f64, f64, f64)> {
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
        out.push((
            "replicas.svg",
            chart("replicas over time", "pods", lines).svg(),
        ));
    }
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

/// A self-contained HTML page: the Markdown text and every SVG in `files`.
pub fn html(markdown: &str, files: &[(String, String)]) -> String {
    let mut o = String::from("<!doctype html><html><head><meta charset=\"utf-8\"><title>scaletwin report</title><style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}pre{white-space:pre-wrap;font-size:12px;background:#f6f6f6;padding:1em}table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #ccc;padding:2px 6px}td.num{text-align:right}figure{margin:1em 0}svg{max-width:100%;height:auto}</style></head><body>\n");
    markdown_html(&mut o, markdown);
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

/// Renders the Markdown the reports write (headings, paragraphs, pipe tables
/// with `---:` right alignment, fenced blocks, `code` spans) as HTML.
fn markdown_html(o: &mut String, markdown: &str) {
    let mut lines = markdown.lines().peekable();
    let mut paragraph: Vec<String> = Vec::new();
    let flush = |o: &mut String, p: &mut Vec<String>| {
        if !p.is_empty() {
            let _ = writeln!(o, "<p>{}</p>", p.join(" "));
            p.clear();
        }
    };
    while let Some(line) = lines.next() {
        if line.starts_with("```") {
            flush(o, &mut paragraph);
            o.push_str("<pre>");
            for l in lines.by_ref().take_while(|l| !l.starts_with("```")) {
                let _ = writeln!(o, "{}", esc(l));
            }
            o.push_str("</pre>\n");
        } else if line.starts_with('#') {
            flush(o, &mut paragraph);
            let level = line.chars().take_while(|&c| c == '#').count().min(6);
            let _ = writeln!(o, "<h{level}>{}</h{level}>", inline(line[level..].trim()));
        } else if line.starts_with('|') {
            flush(o, &mut paragraph);
            let mut rows = vec![line];
            while let Some(l) = lines.next_if(|l| l.starts_with('|')) {
                rows.push(l);
            }
            table_html(o, &rows);
        } else if line.trim().is_empty() {
            flush(o, &mut paragraph);
        } else {
            paragraph.push(inline(line.trim()));
        }
    }
    flush(o, &mut paragraph);
}

/// The cells of one pipe-table row.
fn cells(row: &str) -> Vec<&str> {
    let row = row.trim().trim_start_matches('|').trim_end_matches('|');
    row.split('|').map(str::trim).collect()
}

/// A pipe table: header row, alignment row, body rows.
fn table_html(o: &mut String, rows: &[&str]) {
    let right: Vec<bool> = rows
        .get(1)
        .map(|r| cells(r).iter().map(|c| c.ends_with(':')).collect())
        .unwrap_or_default();
    o.push_str("<table>\n<tr>");
    for c in cells(rows[0]) {
        let _ = write!(o, "<th>{}</th>", inline(c));
    }
    o.push_str("</tr>\n");
    for row in rows.iter().skip(2) {
        o.push_str("<tr>");
        for (k, c) in cells(row).into_iter().enumerate() {
            let class = if right.get(k) == Some(&true) {
                " class=\"num\""
            } else {
                ""
            };
            let _ = write!(o, "<td{class}>{}</td>", inline(c));
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</table>\n");
}

/// Escapes text and turns `code` spans into `<code>`.
fn inline(text: &str) -> String {
    esc(text)
        .split('`')
        .enumerate()
        .map(|(k, part)| {
            if k % 2 == 1 {
                format!("<code>{part}</code>")
            } else {
                part.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
                },
                Line {
                    name: "p99".into(),
                    points: vec![(100.0, 40.0, 4.0), (1000.0, 45.0, 0.0), (1e4, 300.0, 20.0)],
                },
            ],
            markers: vec![],
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
    fn html_embeds_every_svg() {
        let files = vec![
            ("report.json".to_owned(), "{}".to_owned()),
            ("a.svg".to_owned(), sample().svg()),
            ("b.svg".to_owned(), BarChart::default().svg()),
        ];
        let h = html("# t <x>", &files);
        assert_eq!(h.matches("<svg ").count(), 2);
        assert!(h.contains("<h1>t &lt;x&gt;</h1>"));
        assert!(h.ends_with("</body></html>\n"));
    }

    #[test]
    fn html_renders_the_report_markdown() {
        let md = "# stages\n\nSLO: p99 <= 500ms,\nerrors `1%`.\n\n\
                  | stage | p99 ms |\n|---|---:|\n| 100 | 35.1 |\n| 1K | 36.0 |\n\n\
                  ```text\na  <b>\n```\nend";
        let h = html(md, &[]);
        assert!(h.contains("<h1>stages</h1>"), "{h}");
        assert!(
            h.contains("<p>SLO: p99 &lt;= 500ms, errors <code>1%</code>.</p>"),
            "{h}"
        );
        assert!(h.contains("<tr><th>stage</th><th>p99 ms</th></tr>"), "{h}");
        assert!(
            h.contains("<tr><td>1K</td><td class=\"num\">36.0</td></tr>"),
            "{h}"
        );
        assert_eq!(h.matches("<tr>").count(), 3);
        assert!(h.contains("<pre>a  &lt;b&gt;\n</pre>"), "{h}");
        assert!(h.contains("<p>end</p>"), "{h}");
    }
}
