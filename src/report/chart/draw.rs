//! Drawing primitives every chart shares: the palette and point shapes,
//! tick labels, axis ranges, the category axes of bar charts, and
//! [`render`], which draws into an SVG string.

use crate::report::html::esc;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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

/// The colour of series `k`: the palette, then (series 8 to 15) its
/// shades and (16 to 23) its tints, so bars and swatches stay apart for 24
/// series; lines also differ by [`dash`] and [`shape`].
pub(super) fn color(k: usize) -> RGBColor {
    let RGBColor(r, g, b) = PALETTE[k % PALETTE.len()];
    let mix = |c: u8, toward: u8, share: u32| {
        ((u32::from(c) * (100 - share) + u32::from(toward) * share) / 100) as u8
    };
    match (k / PALETTE.len()) % 3 {
        0 => RGBColor(r, g, b),
        // Black has no shade: dark grey stands in.
        1 if (r, g, b) == (0, 0, 0) => RGBColor(0x44, 0x44, 0x44),
        1 => RGBColor(mix(r, 0, 40), mix(g, 0, 40), mix(b, 0, 40)),
        _ => RGBColor(mix(r, 255, 45), mix(g, 255, 45), mix(b, 255, 45)),
    }
}

/// The dash pattern of line `k` (pixels drawn, pixels skipped): solid for
/// the first eight series, then dashed, then dotted.
pub(super) fn dash(k: usize) -> Option<(u32, u32)> {
    match (k / PALETTE.len()) % 3 {
        0 => None,
        1 => Some((7, 4)),
        _ => Some((2, 3)),
    }
}

/// Writes "no data" in the middle of `area`, for a chart with nothing to draw.
pub(super) fn no_data(area: &Area) -> Res {
    let (w, h) = area.dim_in_pixel();
    area.draw(&Text::new(
        "no data",
        (w as i32 / 2, h as i32 / 2),
        text_style(14)
            .color(&MARKER_COLOR)
            .pos(Pos::new(HPos::Center, VPos::Center)),
    ))?;
    Ok(())
}

/// The colour of reference lines (objectives, targets).
const REFERENCE_COLOR: RGBColor = RGBColor(0xB0, 0x00, 0x20);

pub(super) const MARKER_COLOR: RGBColor = RGBColor(0x55, 0x55, 0x55);
pub(super) const FONT: &str = "sans-serif";
/// Chart size in pixels (before the fault list).
pub(super) const W: u32 = 760;
pub(super) const H: u32 = 400;
/// Width of the legend column on the right.
pub(super) const LEGEND_W: u32 = 200;
/// Height of one line of the fault list.
pub(super) const ROW_H: u32 = 16;
/// Lines with more points than this are drawn without point shapes.
pub(super) const MAX_SHAPES: usize = 40;
/// Pixels between the error bars of neighbouring series at one x.
pub(super) const BAR_DODGE: i32 = 3;

/// A tick label: at most three significant digits, K/M suffixes, no
/// trailing zeros.
pub(super) fn fmt_tick(v: f64) -> String {
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

/// The tick label of x = 1 / (1 − q) on a percentile axis: q in percent
/// with as many nines as it has (`90%`, `99.9%`).
pub(super) fn fmt_percentile(x: f64) -> String {
    if x < 1.0 {
        return String::new();
    }
    let q = (1.0 - 1.0 / x) * 100.0;
    let decimals = (x.log10().round() as usize).saturating_sub(2).min(6);
    format!("{q:.decimals$}%")
}

/// `s` cut to `n` characters, with an ellipsis when cut.
pub(super) fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

pub(super) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
pub(super) type Res = Result<(), Box<dyn std::error::Error>>;
/// A bar chart's coordinates: category segments by values.
pub(super) type CategoryCoord = Cartesian2d<
    plotters::coord::ranged1d::SegmentedCoord<plotters::coord::types::RangedCoordusize>,
    plotters::coord::types::RangedCoordf64,
>;

/// The axes of a bar chart: one labelled segment per category (`names`),
/// values from 0 to `top`; `text` is the title, the x label and the y label.
pub(super) fn category_axes<'a, 'b>(
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
pub(super) fn render(size: (u32, u32), draw: impl FnOnce(&Area) -> Res) -> String {
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

pub(super) fn text_style(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().color(&BLACK)
}

/// Draws the point shape of series `k` at pixel `p` in `area`: five
/// shapes, so neighbours in the palette and in its shades differ in shape.
pub(super) fn shape(area: &Area, k: usize, p: (i32, i32), c: RGBColor) -> Res {
    let s = c.filled();
    match k % 5 {
        0 => area.draw(&Circle::new(p, 3, s))?,
        1 => area.draw(&TriangleMarker::new(p, 4, s))?,
        2 => area.draw(&Rectangle::new([(p.0 - 3, p.1 - 3), (p.0 + 3, p.1 + 3)], s))?,
        3 => area.draw(&Cross::new(p, 3, c.stroke_width(2)))?,
        _ => area.draw(&Polygon::new(
            vec![
                (p.0, p.1 - 4),
                (p.0 + 4, p.1),
                (p.0, p.1 + 4),
                (p.0 - 4, p.1),
            ],
            s,
        ))?,
    }
    Ok(())
}

/// Draws a polyline through pixels `points` in the style of series `k`
/// (its colour, width 2, its dash pattern).
pub(super) fn styled_path(area: &Area, k: usize, points: &[(i32, i32)]) -> Res {
    let style = color(k).stroke_width(2);
    match dash(k) {
        None => area.draw(&PathElement::new(points.to_vec(), style))?,
        Some((on, off)) => {
            for piece in dashes(points, on, off) {
                area.draw(&PathElement::new(piece, style))?;
            }
        }
    }
    Ok(())
}

/// A dashed reference line from pixel `left` to `right`, `label` written
/// above its right end.
pub(super) fn reference_line(area: &Area, left: (i32, i32), right: (i32, i32), label: &str) -> Res {
    let style = REFERENCE_COLOR.stroke_width(2);
    for piece in dashes(&[left, right], 9, 5) {
        area.draw(&PathElement::new(piece, style))?;
    }
    area.draw(&Text::new(
        clip(label, 48),
        (right.0 - 4, right.1 - 4),
        text_style(11)
            .color(&REFERENCE_COLOR)
            .pos(Pos::new(HPos::Right, VPos::Bottom)),
    ))?;
    Ok(())
}

/// The pieces of a polyline drawn `on` pixels, skipped `off`, the pattern
/// running on across its corners.
pub(super) fn dashes(points: &[(i32, i32)], on: u32, off: u32) -> Vec<Vec<(i32, i32)>> {
    let (on, period) = (f64::from(on), f64::from(on + off));
    let mut pieces = Vec::new();
    let mut current: Vec<(i32, i32)> = Vec::new();
    let mut phase = 0.0; // distance into the pattern
    for w in points.windows(2) {
        let (a, b) = (w[0], w[1]);
        let (dx, dy) = (f64::from(b.0 - a.0), f64::from(b.1 - a.1));
        let len = dx.hypot(dy);
        let at = |t: f64| {
            let f = if len > 0.0 { t / len } else { 0.0 };
            (a.0 + (dx * f).round() as i32, a.1 + (dy * f).round() as i32)
        };
        let mut t = 0.0;
        while t < len {
            let drawing = phase < on;
            let left = if drawing { on - phase } else { period - phase };
            let step = left.min(len - t);
            if drawing {
                if current.is_empty() {
                    current.push(at(t));
                }
                current.push(at(t + step));
            }
            t += step;
            phase += step;
            if phase >= period - 1e-9 {
                phase = 0.0;
            }
            if phase >= on && !current.is_empty() {
                pieces.push(std::mem::take(&mut current));
            }
        }
    }
    if current.len() > 1 {
        pieces.push(current);
    }
    pieces
}

/// The range of an axis: [lo, hi] over `values`, including 0 on a linear
/// axis whose data is all of one sign; log axes widen to whole decades.
/// Degenerate input (nothing, one value) still gives a non-empty range.
pub(super) fn axis_range(
    values: impl Iterator<Item = f64>,
    log: bool,
    pad_top: bool,
) -> (f64, f64) {
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

/// The legend column of a bar chart: a colour swatch and a name per entry.
pub(super) fn swatch_legend<'n>(side: &Area, names: impl Iterator<Item = &'n str>) -> Res {
    let mut y = 44;
    for (k, name) in names.enumerate() {
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
