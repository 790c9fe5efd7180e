//! The terminal rendering of a report: aligned plain-text tables.

use super::Report;
use std::fmt::Write;

/// Left-aligns the first column and right-aligns the rest.
fn table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let mut width: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            width[i] = width[i].max(cell.chars().count());
        }
    }
    let line = |out: &mut String, cells: &[String]| {
        for (i, cell) in cells.iter().enumerate() {
            let pad = width[i] - cell.chars().count();
            if i == 0 {
                let _ = write!(out, "  {cell}{}", " ".repeat(pad));
            } else {
                let _ = write!(out, "  {}{cell}", " ".repeat(pad));
            }
        }
        out.push('\n');
    };
    line(
        out,
        &header.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
    );
    for row in rows {
        line(out, row);
    }
}

fn ms(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

fn pct(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

/// The report as human-readable tables.
pub fn render_table(r: &Report) -> String {
    let mut out = String::new();
    let s = &r.summary;
    let _ = writeln!(
        out,
        "scenario {}  seed {}  simulated {}s (warm-up {}s excluded)",
        r.scenario, r.seed, r.simulated_s, r.warmup_s
    );
    let _ = writeln!(
        out,
        "offered {:.1} req/s  throughput {:.1} req/s  errors {} ({})",
        s.offered_rps,
        s.throughput_rps,
        s.errors,
        pct(s.error_rate)
    );
    let causes: Vec<String> = s
        .errors_by_cause
        .iter()
        .filter(|(_, &n)| n > 0)
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    if !causes.is_empty() {
        let _ = writeln!(out, "errors by cause: {}", causes.join(", "));
    }
    out.push_str("\nlatency (ms, successful requests)\n");
    let mut rows = vec![latency_row(
        "all",
        s.completed,
        s.errors,
        s.error_rate,
        &s.latency,
    )];
    for e in &r.endpoints {
        rows.push(latency_row(
            &e.name,
            e.completed,
            e.errors,
            e.error_rate,
            &e.latency,
        ));
    }
    table(
        &mut out,
        &[
            "endpoint", "ok", "errors", "err%", "mean", "p50", "p90", "p99", "p99.9", "max",
        ],
        &rows,
    );
    out.push_str("\nstations\n");
    let rows: Vec<Vec<String>> = r
        .stations
        .iter()
        .map(|st| {
            let x = &st.stats;
            vec![
                st.name.clone(),
                st.kind.clone(),
                format!("{:.1}", x.servers),
                pct(x.utilization),
                format!("{:.2}", x.mean_queue_length),
                ms(x.mean_wait_ms),
                ms(x.wait_p99_ms),
                format!("{:.1}", x.arrival_rate),
                x.rejected.to_string(),
            ]
        })
        .collect();
    table(
        &mut out,
        &[
            "station", "kind", "servers", "util", "queue", "wait ms", "wait p99", "arr/s",
            "rejected",
        ],
        &rows,
    );
    scaling(&mut out, r);
    out
}

/// Replicas, scaling events and capacity per deployment (shown when anything scaled or runs on nodes).
fn scaling(out: &mut String, r: &Report) {
    let shown: Vec<_> = r
        .scaling
        .iter()
        .filter(|s| {
            s.autoscaled
                || !s.events.is_empty()
                || s.node_hours_spot + s.node_hours_on_demand > 0.0
                || s.pods_killed > 0
        })
        .collect();
    if shown.is_empty() {
        return;
    }
    out.push_str("\ncapacity\n");
    let rows: Vec<Vec<String>> = shown
        .iter()
        .map(|s| {
            let (lo, hi) = s.series.iter().fold((u32::MAX, 0), |(lo, hi), x| {
                (lo.min(x.ready), hi.max(x.ready))
            });
            vec![
                s.name.clone(),
                if s.series.is_empty() {
                    "-".into()
                } else {
                    format!("{lo}..{hi}")
                },
                s.events.len().to_string(),
                format!("{:.0}", s.pod_seconds_on_demand),
                format!("{:.0}", s.pod_seconds_spot),
                format!("{:.2}", s.node_hours_on_demand),
                format!("{:.2}", s.node_hours_spot),
                s.spot_reclaims.to_string(),
                s.pods_killed.to_string(),
            ]
        })
        .collect();
    table(
        out,
        &[
            "deployment",
            "ready",
            "scalings",
            "pod-s od",
            "pod-s spot",
            "node-h od",
            "node-h spot",
            "reclaims",
            "killed",
        ],
        &rows,
    );
    for s in shown {
        for e in s.events.iter().take(20) {
            let _ = writeln!(
                out,
                "  {:>8.1}s {} {} -> {}: {}",
                e.t_s, s.name, e.from, e.to, e.reason
            );
        }
        if s.events.len() > 20 {
            let _ = writeln!(
                out,
                "  ... {} more scaling events in the JSON report",
                s.events.len() - 20
            );
        }
    }
}

fn latency_row(
    name: &str,
    ok: u64,
    errors: u64,
    rate: f64,
    l: &crate::metrics::LatencySummary,
) -> Vec<String> {
    vec![
        name.to_owned(),
        ok.to_string(),
        errors.to_string(),
        pct(rate),
        ms(l.mean_ms),
        ms(l.p50_ms),
        ms(l.p90_ms),
        ms(l.p99_ms),
        ms(l.p999_ms),
        ms(l.max_ms),
    ]
}
