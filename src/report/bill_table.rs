//! Text renderings of a bill: the `run` table's cost section and the
//! by-component breakdown of stages and comparisons.

use super::CostReport;
use std::fmt::Write;

/// The cost section of the `run` table: every component's bill lines, the
/// totals and what is not billed.
pub fn cost_section(c: &CostReport) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "\ncost ({}: {})\n  {:<22} {:<52} {:>12} {:>12}",
        c.table, c.note, "component", "item", "$/hour", "$/month"
    );
    for comp in &c.by_component {
        for (k, i) in comp.items.iter().enumerate() {
            let name = if k == 0 { comp.name.as_str() } else { "" };
            let _ = writeln!(
                o,
                "  {:<22} {:<52} {:>12.4} {:>12.2}",
                name,
                format!("{}: {}", i.item, i.billed_as),
                i.per_hour,
                i.per_month
            );
        }
    }
    let _ = writeln!(
        o,
        "  {:<22} {:<52} {:>12.4} {:>12.2}\n  per million requests served: ${:.4}",
        "total", "", c.per_hour, c.per_month, c.per_million_requests
    );
    if c.schedule_savings_per_month > 0.0 {
        let _ = writeln!(
            o,
            "  schedules save ${:.2}/month",
            c.schedule_savings_per_month
        );
    }
    for n in &c.not_billed {
        let _ = writeln!(o, "  not billed: {n}");
    }
    o
}

/// A Markdown table of monthly cost by component: one row per component
/// (in order of first appearance), one column per bill (`headers`).
pub fn by_component_markdown(headers: &[String], bills: &[&CostReport]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for b in bills {
        for c in &b.by_component {
            if !names.contains(&c.name.as_str()) {
                names.push(&c.name);
            }
        }
    }
    let mut o = String::new();
    let _ = writeln!(o, "| component, $/month | {} |", headers.join(" | "));
    let _ = writeln!(o, "|---|{}", "---:|".repeat(headers.len()));
    for n in names {
        let cells: Vec<String> = bills
            .iter()
            .map(|b| match b.by_component.iter().find(|c| c.name == n) {
                // A cost that rounds to nothing prints 0, not "-0".
                Some(c) => format!("{:.0}", c.per_month.round() + 0.0),
                None => "-".to_owned(),
            })
            .collect();
        let _ = writeln!(o, "| {n} | {} |", cells.join(" | "));
    }
    let totals: Vec<String> = bills
        .iter()
        .map(|b| format!("**{:.0}**", b.per_month))
        .collect();
    let _ = writeln!(o, "| **total** | {} |", totals.join(" | "));
    o
}
