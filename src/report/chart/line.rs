//! The line chart: lines over a numeric x axis (linear or log), error bars
//! of 95% confidence intervals, fault markers and their list.

use super::draw::{
    axis_range, clip, color, fmt_percentile, fmt_tick, no_data, reference_line, render, shape,
    styled_path, text_style, Area, Res, BAR_DODGE, FONT, H, LEGEND_W, MARKER_COLOR, MAX_SHAPES,
    ROW_H, W,
};
use super::Chart;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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
        let ys = self
            .points()
            .flat_map(|p| [p.1 - e(p), p.1, p.1 + e(p)])
            .chain(self.references.iter().map(|r| r.y));
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
            .x_label_formatter(&|v| {
                if self.percentile_x {
                    fmt_percentile(*v)
                } else {
                    fmt_tick(*v)
                }
            })
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
        let (ox, oy) = area.get_base_pixel();
        for line in self
            .references
            .iter()
            .filter(|r| r.y >= y_lo && r.y <= y_hi)
        {
            let left = chart.backend_coord(&(x_lo, line.y));
            let right = chart.backend_coord(&(x_hi, line.y));
            reference_line(
                area,
                (left.0 - ox, left.1 - oy),
                (right.0 - ox, right.1 - oy),
                &line.label,
            )?;
        }
        for (position, line) in self.lines.iter().enumerate() {
            let k = line.style.unwrap_or(position);
            let c = color(k);
            let pts: Vec<(f64, f64, f64)> = line
                .points
                .iter()
                .filter(|p| p.0.is_finite() && p.1.is_finite())
                .map(|&(x, y, e)| (x, y, if e.is_finite() { e.max(0.0) } else { 0.0 }))
                .collect();
            let (ox, oy) = area.get_base_pixel();
            let pixels: Vec<(i32, i32)> = pts
                .iter()
                .map(|p| {
                    let b = chart.backend_coord(&(p.0, clamp_y(p.1)));
                    (b.0 - ox, b.1 - oy)
                })
                .collect();
            styled_path(area, k, &pixels)?;
            // Series side by side at the same x would hide each other's
            // bars: each series' bars sit a few pixels left or right.
            let dodge = (2 * position as i32 - (self.lines.len() as i32 - 1)) * BAR_DODGE;
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
                for &p in &pixels {
                    shape(area, k, p, c)?;
                }
            }
        }
        if self.lines.iter().all(|l| l.points.is_empty()) {
            no_data(area)?;
        }
        Ok(cut)
    }

    /// The legend column: one entry per line, and a note on the error bars
    /// (and on their arrows when some interval runs past the axis: `cut`).
    fn legend(&self, area: &Area, cut: bool) -> Res {
        let mut y = 44;
        for (position, line) in self.lines.iter().enumerate() {
            let k = line.style.unwrap_or(position);
            styled_path(area, k, &[(4, y), (28, y)])?;
            shape(area, k, (16, y), color(k))?;
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
