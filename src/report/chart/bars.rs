//! Bar charts over categories: one bar per category coloured by group
//! ([`BarChart`]), or one stacked bar per category ([`StackedBarChart`]).

use super::draw::{
    axis_range, category_axes, clip, color, fmt_tick, no_data, render, swatch_legend, text_style,
    Area, Res, H, LEGEND_W, W,
};
use super::{BarChart, StackedBarChart};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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
        swatch_legend(&side, self.series.iter().map(|(name, _)| name.as_str()))
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
            no_data(&plot)?;
        }
        swatch_legend(&side, groups.into_iter())
    }
}
