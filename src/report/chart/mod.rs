//! SVG charts drawn with plotters' SVG backend into a `String` (pure Rust:
//! no font library, no bitmap backend; text goes into the SVG as `<text>`
//! and the browser lays it out).
//!
//! Three chart kinds cover every report:
//! - [`Chart`]: lines over a numeric x axis (linear or log), each point with
//!   an optional ± half-width of its 95% confidence interval drawn as an
//!   error bar, and fault markers (dashed vertical lines numbered F1, F2, ...
//!   with the fault's span shaded and its label listed under the plot);
//! - [`BarChart`]: one bar per category (e.g. cache hit ratio per tier),
//!   coloured by group;
//! - [`StackedBarChart`]: one stacked bar per category (e.g. cost by
//!   component per stage).
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
//!
//! `draw` holds the primitives, `line` and `bars` draw the three kinds, and
//! one file per report kind lists its charts: [`run_charts`],
//! [`stages_charts`], [`compare_charts`], [`sweep_charts`] (`calibrate` draws its QQ plots
//! with [`Chart`] itself).

mod bars;
mod compare;
mod cost;
mod draw;
mod line;
mod run;
mod stages;
mod sweep;
#[cfg(test)]
mod tests;

pub use compare::compare_charts;
pub use run::run_charts;
pub use stages::stages_charts;
pub use sweep::sweep_charts;

/// One named line: (x, y, ± error) points.
#[derive(Clone, Debug, Default)]
pub struct Line {
    /// Legend text.
    pub name: String,
    /// Points in x order: (x, y, half-width of the 95% confidence interval,
    /// 0 when there is none).
    pub points: Vec<(f64, f64, f64)>,
    /// The style (colour, dash, point shape) to draw it in, as the
    /// series at that position would be; None: its own position's. Two
    /// lines of one thing (e.g. a deployment's ready and desired pods)
    /// share a colour this way and differ by dash.
    pub style: Option<usize>,
}

/// A horizontal reference line, e.g. an objective or a target.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reference {
    /// Where it is (y units).
    pub y: f64,
    /// What it is, written at its right end.
    pub label: String,
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
    /// The x values are 1 / (1 − q) of percentiles q, labelled as
    /// percentiles (use with `log_x`).
    pub percentile_x: bool,
    /// The lines.
    pub lines: Vec<Line>,
    /// Vertical markers, e.g. faults.
    pub markers: Vec<Marker>,
    /// Horizontal reference lines, e.g. the SLO's threshold.
    pub references: Vec<Reference>,
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

/// The SLO's latency threshold and error-rate objective as reference lines
/// for a latency chart in ms and an error chart in percent, marked when the
/// default objective applies.
fn objective_lines(slo: &crate::scenario::Slo, default: bool) -> (Vec<Reference>, Vec<Reference>) {
    let default = if default { " (default)" } else { "" };
    let p99_ms = slo.p99.0.as_secs_f64() * 1e3;
    let errors = slo.error_rate * 100.0;
    (
        vec![Reference {
            y: p99_ms,
            label: format!("SLO: 99% within {} ms{default}", draw::fmt_tick(p99_ms)),
        }],
        vec![Reference {
            y: errors,
            label: format!("SLO: errors ≤ {}%{default}", draw::fmt_tick(errors)),
        }],
    )
}
