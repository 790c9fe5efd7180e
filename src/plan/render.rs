//! The plan as Markdown (the terminal shows the same text).

use super::outcome::{PlanReport, StagePlan, Trial};
use super::search::verdict_word;
use super::space::CapacityOrder;
use crate::metrics::stats::Estimate;
use crate::report::slo::{describe, percent};
use std::fmt::Write as _;

/// The plan as Markdown: the space, then per stage the chosen
/// configuration, what binds it, the runners-up and every candidate run.
pub fn markdown(r: &PlanReport) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# {}: plan\n", r.scenario);
    let _ = writeln!(
        o,
        "The cheapest configuration whose SLO ({}) holds with 95% confidence: {} replication(s) \
         per candidate on common seeds, up to {} when undecided; ± is the 95% confidence half-width.\n",
        describe(&r.slo, r.slo_default),
        r.replications,
        r.max_replications
    );
    let _ = writeln!(
        o,
        "| varied path | values, least capacity first | ordered by |"
    );
    let _ = writeln!(o, "|---|---|---|");
    for d in &r.dimensions {
        let order = match d.order {
            CapacityOrder::Numbers => "number",
            CapacityOrder::Price => "hourly price",
            CapacityOrder::Unordered => "(unordered)",
        };
        let _ = writeln!(o, "| `{}` | {} | {order} |", d.path, d.values.join(", "));
    }
    let _ = writeln!(o);
    for s in &r.stages {
        stage(&mut o, s);
    }
    o
}

fn stage(o: &mut String, s: &StagePlan) {
    let _ = writeln!(
        o,
        "## {} ({} users)\n",
        s.name,
        crate::report::users_label(s.users)
    );
    match &s.chosen {
        Some(c) => {
            let _ = writeln!(o, "**Chosen**: {}  ", sets(c));
            let _ = writeln!(o, "{}  ", figures(c));
            if let Some(b) = &s.binding {
                let _ = writeln!(
                    o,
                    "Binds: **{}**, {} of its budget left ({}); busiest station `{}` at {}.",
                    b.objective,
                    percent(b.budget_left),
                    b.detail,
                    b.station,
                    util(&b.utilization)
                );
            }
        }
        None => {
            let _ = writeln!(
                o,
                "**No candidate meets the SLO at {} users** with 95% confidence; widen the space.",
                crate::report::users_label(s.users)
            );
        }
    }
    let _ = writeln!(o);
    match &s.runner_up {
        Some(t) => {
            let _ = writeln!(
                o,
                "Runner-up (next cheapest meeting): {}; {}.  ",
                sets(t),
                figures(t)
            );
        }
        None => {
            let _ = writeln!(o, "Runner-up: none ran (the search stopped when no other candidate could cost less).  ");
        }
    }
    if let Some(t) = &s.cheapest_failing {
        let _ = writeln!(
            o,
            "Cheapest not meeting: {} ({}): {}; busiest `{}` at {}.",
            sets(t),
            verdict_word(t.verdict),
            t.why,
            t.figures.busiest,
            util(&t.figures.busiest_utilization)
        );
    }
    let _ = writeln!(
        o,
        "\nSearch: {} candidates, {} run ({} simulations), {} pruned (a candidate with at least as much capacity failed), {} skipped (could not cost less).\n",
        s.candidates, s.evaluated, s.runs, s.pruned, s.bounded
    );
    let _ = writeln!(o, "| # | configuration | floor $/month | $/month | within SLO latency | errors | p99 ms | busiest | verdict |");
    let _ = writeln!(o, "|---:|---|---:|---:|---:|---:|---:|---|---|");
    for (i, t) in s.trials.iter().enumerate() {
        let f = &t.figures;
        let _ = writeln!(
            o,
            "| {} | {} | {:.2} | {} | {} | {} | {} | {} ({}) | {} |",
            i + 1,
            t.sets.join(" "),
            t.floor_per_month,
            t.cost_per_month.show(2),
            pct(&f.good_ratio),
            pct(&f.error_rate),
            f.p99_ms.show(1),
            f.busiest,
            util(&f.busiest_utilization),
            verdict_word(t.verdict)
        );
    }
    let _ = writeln!(o);
}

/// `path=value` overrides as inline code.
fn sets(t: &Trial) -> String {
    t.sets
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Cost and the SLO figures with their intervals.
fn figures(t: &Trial) -> String {
    let f = &t.figures;
    format!(
        "${}/month, p50 {} ms, p99 {} ms, {} within the latency threshold, errors {}, {} req/s served",
        t.cost_per_month.show(2),
        f.p50_ms.show(1),
        f.p99_ms.show(1),
        pct(&f.good_ratio),
        pct(&f.error_rate),
        f.throughput_rps.show(0)
    )
}

/// A share with its interval in percent.
fn pct(e: &Estimate) -> String {
    if e.n < 2 {
        percent(e.mean)
    } else {
        format!("{}±{}", percent(e.mean), percent(e.ci95))
    }
}

/// A utilization in whole percent.
fn util(e: &Estimate) -> String {
    format!("{:.0}%", e.mean * 100.0)
}
