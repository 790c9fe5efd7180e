//! Markdown and CSV renderings of stages, comparisons and sweeps (the
//! Markdown doubles as the terminal table).

use super::slo::describe;
use super::{
    by_component_markdown, users_label, CompareReport, CostReport, PrecisionReached, StageRow,
    StagesReport, SweepReport,
};
use crate::metrics::stats::Estimate;
use std::fmt::Write;

/// How a row meets the SLO, said once above each table.
const SLO_RULE: &str = "A row meets it when at least 99% of its finished requests succeed within the p99 threshold and its error rate is within the limit (good-events ratios, failures are never good).";

/// What the latency columns count.
const LATENCY_COLUMNS: &str = "`p50 ms` and `p99 ms` are over successful requests; `p99 all ms` over every finished request, a failure at its time to fail; `within` is the share of finished requests that succeeded within the threshold.";

fn pct(e: &Estimate) -> String {
    pct_with(e, 2)
}

/// A share as a percentage with its confidence half-width, `decimals` places.
fn pct_with(e: &Estimate, decimals: usize) -> String {
    let s = Estimate {
        mean: e.mean * 100.0,
        ci95: e.ci95 * 100.0,
        n: e.n,
    };
    format!("{}%", s.show(decimals))
}

/// The stages table with the bottleneck and the first failing stage.
pub fn stages_markdown(r: &StagesReport) -> String {
    let mut o = String::new();
    let reps = r.stages.first().map_or(1, |s| s.runs.len());
    let _ = writeln!(o, "# {}: stages\n", r.scenario);
    let runs = match r.stages.first().and_then(|s| s.precision.as_ref()) {
        Some(_) => "One run per stage, to a precision (see below); ± is p99's 95% confidence half-width by sectioning, and the other figures are the run's own.".to_owned(),
        None => format!("{reps} replication(s) per stage; ± is the 95% confidence half-width."),
    };
    let _ = writeln!(
        o,
        "SLO: {}. {SLO_RULE} {runs}\n",
        describe(&r.slo, r.slo_default),
    );
    let _ = writeln!(o, "{LATENCY_COLUMNS}\n");
    let _ = writeln!(o, "| stage | users | req/s | sim s | p50 ms | p99 ms | p99 all ms | within {} | errors | throughput/s | busiest (util) | $/month | $/M req | SLO | replicas start→end | steady |", r.slo.p99);
    let _ = writeln!(
        o,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|---|---|"
    );
    for s in &r.stages {
        let _ = writeln!(
            o,
            "| {} | {} | {:.0} | {:.0} | {} | {} | {} | {} | {} | {} | {} ({}{}) | {:.0} | {:.2} | {} | {} | {} |",
            s.name,
            users_label(s.users),
            s.offered_rps,
            s.simulated_s,
            s.p50_ms.show(1),
            s.p99_ms.show(1),
            s.p99_all_ms.show(1),
            pct(&s.good_ratio),
            pct(&s.error_rate),
            s.throughput_rps.show(0),
            s.busiest,
            pct_with(&s.busiest_utilization, 0),
            s.busiest_waits_on
                .as_ref()
                .map_or(String::new(), |w| format!(", {:.0}% waiting on {}", w.share * 100.0, w.on)),
            s.cost.per_month,
            s.cost.per_million_requests,
            if s.slo_met { "met" } else { "BROKEN" },
            replica_spans(s),
            s.unsteady.as_deref().unwrap_or("yes")
        );
    }
    let _ = writeln!(o);
    match &r.bottleneck {
        Some(b) => {
            let _ = write!(
                o,
                "Bottleneck: `{}` saturates first, at about {:.0} users",
                b.station, b.saturates_at_users
            );
            match &b.waits_on {
                Some(w) => {
                    let _ = writeln!(
                        o,
                        "; its workers are held, {:.0}% of the time waiting on `{}`: size `{}` first.",
                        w.share * 100.0,
                        w.on,
                        w.on
                    );
                }
                None => {
                    let _ = writeln!(o, ".");
                }
            }
        }
        None => {
            let _ = writeln!(o, "Bottleneck: none found (no station is busy).");
        }
    }
    match &r.first_failing_stage {
        Some(s) => {
            let _ = writeln!(o, "First stage to break the SLO: {s}.");
        }
        None => {
            let _ = writeln!(o, "Every stage meets the SLO.");
        }
    }
    backlogs_markdown(&mut o, &r.stages);
    if !r.stages.is_empty() {
        let headers: Vec<String> = r.stages.iter().map(|s| s.name.clone()).collect();
        let bills: Vec<&CostReport> = r.stages.iter().map(|s| &s.cost).collect();
        let _ = writeln!(
            o,
            "\n## cost by component\n\n{}",
            by_component_markdown(&headers, &bills)
        );
    }
    if let Some(s) = r.stages.first() {
        let _ = writeln!(o, "Prices: {} ({}).", s.cost.table, s.cost.note);
        for n in &s.cost.not_billed {
            let _ = writeln!(o, "Not billed: {n}.");
        }
        if s.cost.schedule_savings_per_month > 0.0 {
            let _ = writeln!(
                o,
                "Scheduled shutdowns save ${:.2}/month at stage {}.",
                s.cost.schedule_savings_per_month, s.name
            );
        }
    }
    if r.max_requests > 0
        && r.stages
            .iter()
            .any(|s| s.simulated_s + 1e-9 < r.stages[0].simulated_s)
    {
        let _ = writeln!(
            o,
            "Runs were capped at {} requests each: larger stages simulate a shorter span (sim s).",
            r.max_requests
        );
    }
    precision_markdown(
        &mut o,
        r.stages
            .iter()
            .map(|s| (s.name.clone(), s.precision.as_ref())),
    );
    o
}

/// The precision each configuration run to one reached (nothing when none
/// was): its half-widths, replications and simulated time, and whether the
/// cap stopped it first.
fn precision_markdown<'a>(
    o: &mut String,
    rows: impl Iterator<Item = (String, Option<&'a PrecisionReached>)>,
) {
    let rows: Vec<(String, &PrecisionReached)> =
        rows.filter_map(|(name, p)| Some((name, p?))).collect();
    let Some((_, first)) = rows.first() else {
        return;
    };
    let _ = writeln!(
        o,
        "\nRun to a precision of {}%: one run per configuration, its warm-up as written, a pilot (MSER-5's truncation, batches long enough to be independent) planned the length at which the 95% half-widths of the mean latency (batch means) and of p99 (sectioning) come within {}% of them, at most the duration as written; the intervals cover the run after the pilot (`left out s`: the pilot, or MSER-5's transient while the pilot was still running, and the remainder that keeps the sections equal; `sim s` is the run's, warm-up included).\n",
        first.target_pct, first.target_pct
    );
    let _ = writeln!(
        o,
        "| configuration | mean ± | p99 ± | sections | simulated s | left out s | stopped by |"
    );
    let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|---|");
    for (name, p) in rows {
        let _ = writeln!(
            o,
            "| {name} | {} | {} | {} | {:.1} | {:.1} | {} |",
            super::precision::half_width(p.mean_pct, Some(2)),
            super::precision::half_width(p.p99_pct, Some(2)),
            p.sections,
            p.simulated_s,
            p.truncated_s,
            stopped_by(p)
        );
    }
}

/// Why a run to a precision stopped where it did.
fn stopped_by(p: &PrecisionReached) -> String {
    if let Some(d) = &p.slo_decided {
        format!(
            "the SLO, decided: fails ({} {} of finished, at least {} at 99.9% over {} sections, above {})",
            d.indicator,
            super::slo::percent(d.share),
            super::slo::percent(d.lower),
            d.sections,
            super::slo::percent(d.limit),
        )
    } else if p.capped {
        "not reached (the cap or its last planned length)".to_owned()
    } else {
        "the precision".to_owned()
    }
}

/// Job queues, apart from the request path: where each one's backlog grows
/// (more than one job a minute), per stage.
fn backlogs_markdown(o: &mut String, stages: &[super::StageRow]) {
    let Some(first) = stages.first() else {
        return;
    };
    for (i, (queue, _)) in first.backlogs.iter().enumerate() {
        let growing: Vec<String> = stages
            .iter()
            .filter(|s| s.backlogs[i].1 > 1.0 / 60.0)
            .map(|s| format!("{:.2} jobs/s at {}", s.backlogs[i].1, s.name))
            .collect();
        if growing.is_empty() {
            let _ = writeln!(o, "Job queue `{queue}` (answers at once, apart from the SLO): keeps up at every stage.");
        } else {
            let _ = writeln!(
                o,
                "Job queue `{queue}` (answers at once, apart from the SLO): backlog grows {}.",
                growing.join(", ")
            );
        }
    }
}

/// One line per stage: the CSV the charts are drawn from.
pub fn stages_csv(r: &StagesReport) -> String {
    let mut o = String::from("stage,users,offered_rps,simulated_s,p50_ms,p50_ci95,p99_ms,p99_ci95,error_rate,error_rate_ci95,throughput_rps,busiest,busiest_utilization,cost_per_hour,cost_per_month,cost_per_million,slo_met,p99_all_ms,good_ratio,steady\n");
    for s in &r.stages {
        let _ = writeln!(
            o,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            s.name,
            s.users,
            s.offered_rps,
            s.simulated_s,
            s.p50_ms.mean,
            s.p50_ms.ci95,
            s.p99_ms.mean,
            s.p99_ms.ci95,
            s.error_rate.mean,
            s.error_rate.ci95,
            s.throughput_rps.mean,
            s.busiest,
            s.busiest_utilization.mean,
            s.cost.per_hour,
            s.cost.per_month,
            s.cost.per_million_requests,
            s.slo_met,
            s.p99_all_ms.mean,
            s.good_ratio.mean,
            s.unsteady.is_none()
        );
    }
    o
}

/// The sweep as CSV, one row per point: its overrides (one column per
/// varied field) and each figure's mean and 95% half-width.
pub fn sweep_csv(r: &SweepReport) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fields: Vec<&str> = r
        .vary
        .iter()
        .map(|v| v.split_once('=').map_or(v.as_str(), |(path, _)| path))
        .collect();
    let mut header = vec!["index"];
    header.extend(&fields);
    header.extend([
        "p99_ms",
        "p99_ci95",
        "mean_ms",
        "mean_ci95",
        "error_rate",
        "error_rate_ci95",
        "throughput_rps",
        "throughput_ci95",
        "cost_per_month",
        "cost_ci95",
        "good_ratio",
        "good_ratio_ci95",
        "slo_met",
    ]);
    let _ = w.write_record(&header);
    for p in &r.points {
        let mut row = vec![p.index.to_string()];
        row.extend(
            p.sets
                .iter()
                .map(|s| s.split_once('=').map_or("", |(_, v)| v).to_owned()),
        );
        for e in [
            &p.p99_ms,
            &p.mean_ms,
            &p.error_rate,
            &p.throughput_rps,
            &p.cost_per_month,
            &p.good_ratio,
        ] {
            row.push(e.mean.to_string());
            row.push(e.ci95.to_string());
        }
        row.push(p.slo_met.to_string());
        let _ = w.write_record(&row);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The first replication's autoscaled deployments as `app 7→7`, or `-`.
fn replica_spans(s: &StageRow) -> String {
    let spans: Vec<String> = s.runs.first().map_or_else(Vec::new, |r| {
        r.autoscaled
            .iter()
            .map(|a| format!("{} {}→{}", a.deployment, a.start, a.end))
            .collect()
    });
    if spans.is_empty() {
        "-".to_owned()
    } else {
        spans.join(", ")
    }
}

/// The comparison: each architecture per stage, paired differences, journey.
pub fn compare_markdown(r: &CompareReport) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# compare: {}\n", r.architectures.join(" vs "));
    let first = r.files.first().map_or(&r.architectures[0], |f| f);
    let precise = r
        .stages
        .iter()
        .flat_map(|st| &st.rows)
        .any(|row| row.precision.is_some());
    let intervals = if precise {
        "± the 95% half-widths of the two runs' p99 and mean combined (one run each, to a precision); errors and cost are the runs' own"
    } else {
        "± 95% CI of the paired differences"
    };
    let _ = writeln!(
        o,
        "Same seeds (common random numbers) and users. SLO: {}, from `{first}`, for every architecture. {SLO_RULE} Differences are against `{}`, {intervals}.\n",
        describe(&r.slo, r.slo_default),
        r.architectures[0]
    );
    workload_differences_markdown(&mut o, r);
    let _ = writeln!(o, "{LATENCY_COLUMNS}\n");
    for st in &r.stages {
        let _ = writeln!(
            o,
            "## stage {} ({} users)\n",
            st.name,
            users_label(st.users)
        );
        let _ = writeln!(
            o,
            "| architecture | p99 ms | p99 all ms | within {} | mean ms | errors | $/month | SLO |",
            r.slo.p99
        );
        let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|---:|---|");
        for (a, row) in r.architectures.iter().zip(&st.rows) {
            let _ = writeln!(
                o,
                "| {a} | {} | {} | {} | {} | {} | {:.0} | {} |",
                row.p99_ms.show(1),
                row.p99_all_ms.show(1),
                pct(&row.good_ratio),
                row.mean_ms.show(2),
                pct(&row.error_rate),
                row.cost.per_month,
                if row.slo_met { "met" } else { "BROKEN" }
            );
        }
        let bills: Vec<&CostReport> = st.rows.iter().map(|x| &x.cost).collect();
        let _ = writeln!(o, "\n{}", by_component_markdown(&r.architectures, &bills));
        for d in &st.diffs {
            let _ = writeln!(
                o,
                "\n{} - {}: p99 {} ms, mean {} ms, errors {}, cost {} $/month",
                d.architecture,
                r.architectures[0],
                d.p99_ms.show(2),
                d.mean_ms.show(3),
                pct(&d.error_rate),
                d.cost_per_month.show(0)
            );
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(o, "## journey: cheapest architecture meeting the SLO\n");
    let _ = writeln!(o, "| stage | users | choice |");
    let _ = writeln!(o, "|---|---:|---|");
    for st in &r.stages {
        let _ = writeln!(
            o,
            "| {} | {} | {} |",
            st.name,
            users_label(st.users),
            st.cheapest_meeting_slo
                .as_deref()
                .unwrap_or("none meets the SLO")
        );
    }
    precision_markdown(
        &mut o,
        r.stages.iter().flat_map(|st| {
            r.architectures
                .iter()
                .zip(&st.rows)
                .map(move |(a, row)| (format!("{a} at {}", st.name), row.precision.as_ref()))
        }),
    );
    o
}

/// Where the compared files' workloads differ: the runs use each file's
/// own workload, but the first file's users and seeds.
fn workload_differences_markdown(o: &mut String, r: &CompareReport) {
    if r.workload_differences.is_empty() {
        let _ = writeln!(o, "The files' workloads are the same.\n");
        return;
    }
    let _ = writeln!(
        o,
        "The files' workloads differ (each runs its own, with the first file's users per stage):\n"
    );
    let _ = writeln!(
        o,
        "| architecture | field | `{}` | this file |",
        r.architectures[0]
    );
    let _ = writeln!(o, "|---|---|---|---|");
    for d in &r.workload_differences {
        let _ = writeln!(
            o,
            "| {} | `{}` | {} | {} |",
            d.architecture, d.field, d.first, d.other
        );
    }
    let _ = writeln!(o);
}

/// The sweep's grid table.
pub fn sweep_markdown(r: &SweepReport) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# {}: sweep over {}\n", r.scenario, r.vary.join(", "));
    if let Some((i, n)) = r.partition {
        let _ = writeln!(o, "Partition {i} of {n}.\n");
    }
    let _ = writeln!(o, "{SLO_RULE}\n");
    let _ = writeln!(
        o,
        "| # | point | p99 ms | mean ms | errors | throughput/s | $/month | within p99 | SLO |"
    );
    let _ = writeln!(o, "|---:|---|---:|---:|---:|---:|---:|---:|---|");
    for p in &r.points {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {}: {} |",
            p.index,
            p.sets.join(" "),
            p.p99_ms.show(1),
            p.mean_ms.show(2),
            pct(&p.error_rate),
            p.throughput_rps.show(0),
            p.cost_per_month.show(0),
            pct(&p.good_ratio),
            if p.slo_met { "met" } else { "BROKEN" },
            describe(&p.slo, p.slo_default)
        );
    }
    precision_markdown(
        &mut o,
        r.points
            .iter()
            .map(|p| (format!("#{}", p.index), p.precision.as_ref())),
    );
    o
}
