//! Monthly cost by component as stacked bars, shared by the stages and
//! compare chart lists.

use super::StackedBarChart;
use crate::report::CostReport;

/// Monthly cost by component per category (a stage, or a stage and an
/// architecture), components in order of first appearance.
pub(super) fn cost_by_component(
    title: String,
    x_label: &str,
    bars: &[(String, &CostReport)],
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
