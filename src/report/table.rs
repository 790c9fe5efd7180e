//! The terminal rendering of a report: aligned plain-text tables.

use super::{ProbeReport, Report, StationReport};
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

/// A byte count in B, KB, MB, GB or TB (powers of 1,000, as egress is billed).
fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut x = n as f64;
    let mut unit = 0;
    while x >= 1000.0 && unit + 1 < UNITS.len() {
        x /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{x:.1} {}", UNITS[unit])
    }
}

/// One database's counters, naming only what its architecture has: stale
/// and read-your-writes reads with replicas, connections with a pool or a
/// limit, the hottest shard with shards.
fn database_line(d: &super::DatabaseReport) -> String {
    let mut parts = vec![
        d.name.clone(),
        format!("reads {}", d.reads),
        format!("writes {}", d.writes),
    ];
    let replicated = d.nodes.len() > d.shards.len().max(1);
    if replicated || d.stale_reads > 0 {
        parts.push(format!("stale replica reads {}", d.stale_reads));
    }
    if replicated && d.read_your_writes_reads > 0 {
        parts.push(format!(
            "read-your-writes reads {}",
            d.read_your_writes_reads
        ));
    }
    if d.peak_open_connections > 0 || d.max_connections.is_some() {
        let max = d
            .max_connections
            .map_or_else(|| "no limit".to_owned(), |m| m.to_string());
        parts.push(format!(
            "connections open {} (peak {}, max {max}, refused {})",
            d.open_connections, d.peak_open_connections, d.refused_connections
        ));
    }
    if d.shards.len() > 1 {
        parts.push(format!("hottest shard {}", pct(d.hottest_shard_share)));
    }
    let primary = d.nodes.first();
    if let Some((class, busy)) = primary.and_then(|n| n.class.as_ref().zip(n.cpu_utilization)) {
        parts.push(format!("primary {class} vCPUs busy {}", pct(busy)));
    }
    if let Some(s) = primary.and_then(|n| n.storage.as_ref()) {
        parts.push(format!(
            "primary buffer cache hits {} (Che {}), page reads {:.1}/s (volume busy {}, wait {} ms)",
            pct(s.hit_ratio),
            pct(s.che_hit_ratio),
            s.reads_per_second,
            pct(s.volume_busy),
            ms(s.read_wait_mean_ms)
        ));
    }
    parts.join("  ")
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
    if s.in_flight > 0 {
        let _ = writeln!(
            out,
            "in flight at the end: {} (arrivals = ok + errors + in flight)",
            s.in_flight
        );
    }
    out.push_str(
        "\nlatency (ms; `all finished` counts failures at their time to fail, the other rows successful requests)\n",
    );
    let mut rows = vec![
        latency_row(
            "all finished",
            s.completed,
            s.errors,
            s.error_rate,
            &s.latency_all,
        ),
        latency_row("all", s.completed, s.errors, s.error_rate, &s.latency),
    ];
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
    for phrase in r.stations.iter().filter_map(StationReport::held_phrase) {
        let _ = writeln!(out, "  {phrase}");
    }
    render_edge(&mut out, r);
    regions_table(&mut out, r);
    queues_table(&mut out, r);
    data_tables(&mut out, r);
    scaling(&mut out, r);
    rollouts(&mut out, r);
    pod_cpu(&mut out, r);
    out
}

/// CDNs, rate limits and client retries, when the scenario has them.
fn render_edge(out: &mut String, r: &Report) {
    cdn_tables(out, r);
    if !r.rate_limits.is_empty() {
        out.push_str(
            "
rate limits (per tenant)
",
        );
        let rows: Vec<Vec<String>> = r
            .rate_limits
            .iter()
            .map(|l| {
                vec![
                    if l.endpoint.is_empty() {
                        format!("{}/{}", l.balancer, l.tier)
                    } else {
                        format!("endpoint {}/{}", l.endpoint, l.tier)
                    },
                    l.algorithm.clone(),
                    l.limit.to_string(),
                    l.tenants.to_string(),
                    l.admitted.to_string(),
                    l.rejected.to_string(),
                    l.tenants_limited.to_string(),
                ]
            })
            .collect();
        table(
            out,
            &[
                "limit/tier",
                "algorithm",
                "limit",
                "tenants",
                "admitted",
                "429s",
                "tenants hit",
            ],
            &rows,
        );
    }
    if !r.dependencies.is_empty() {
        out.push_str("\ndependencies\n");
        let rows: Vec<Vec<String>> = r
            .dependencies
            .iter()
            .map(|d| {
                vec![
                    d.name.clone(),
                    d.calls.to_string(),
                    d.failures.to_string(),
                    d.retries.to_string(),
                    d.breaker_rejected.to_string(),
                    d.fallbacks.to_string(),
                    d.failed_requests.to_string(),
                    breaker_events(&d.breaker_events),
                ]
            })
            .collect();
        table(
            out,
            &[
                "dependency",
                "calls",
                "failed",
                "retries",
                "rejected",
                "fallbacks",
                "errors",
                "breaker",
            ],
            &rows,
        );
    }
    calls_table(out, r);
    if let Some(x) = &r.retries {
        let _ = writeln!(
            out,
            "
client retries: {} requests, {} retries (amplification x{:.3}), {} denied by budget, {} exhausted, {} attempts abandoned",
            x.requests, x.retries, x.amplification, x.budget_denied, x.exhausted, x.abandoned_attempts
        );
    }
}

/// The `CallWith` and `Parallel` steps, a row each.
fn calls_table(out: &mut String, r: &Report) {
    if r.calls.is_empty() {
        return;
    }
    out.push_str("\ncalls (CallWith, Parallel)\n");
    let rows: Vec<Vec<String>> = r
        .calls
        .iter()
        .map(|c| {
            vec![
                c.site.clone(),
                format!("{} {}", c.wait, c.callees.join(", ")),
                c.requests.to_string(),
                c.attempts.to_string(),
                c.timeouts.to_string(),
                c.retries.to_string(),
                c.errors.to_string(),
                c.late_answers.to_string(),
                c.fallbacks.to_string(),
                c.failed_requests.to_string(),
            ]
        })
        .collect();
    table(
        out,
        &[
            "step",
            "waits for",
            "requests",
            "attempts",
            "timeouts",
            "retries",
            "errors",
            "late",
            "fallbacks",
            "failed",
        ],
        &rows,
    );
}

/// Latency per user region, when the scenario has regions.
fn regions_table(out: &mut String, r: &Report) {
    if !r.regions.is_empty() {
        out.push_str("\nregions (by where the users are)\n");
        let rows: Vec<Vec<String>> = r
            .regions
            .iter()
            .map(|g| {
                let mut row = latency_row(&g.name, g.completed, g.errors, g.error_rate, &g.latency);
                row.insert(1, pct(g.user_share));
                row
            })
            .collect();
        table(
            out,
            &[
                "region", "users", "ok", "errors", "err%", "mean", "p50", "p90", "p99", "p99.9",
                "max",
            ],
            &rows,
        );
    }
}

/// Job queues, when the scenario has them.
fn queues_table(out: &mut String, r: &Report) {
    if !r.queues.is_empty() {
        out.push_str("\njob queues (dead-lettered jobs are not client errors)\n");
        let rows: Vec<Vec<String>> = r
            .queues
            .iter()
            .map(|q| {
                vec![
                    q.name.clone(),
                    q.enqueued.to_string(),
                    q.succeeded.to_string(),
                    q.retries.to_string(),
                    q.dead_lettered.to_string(),
                    format!("{:.2}", q.stats.mean_queue_length),
                    ms(q.wait.mean_ms),
                    ms(q.wait.p99_ms),
                    ms(q.run.mean_ms),
                    ms(q.run.p99_ms),
                    // Highest waiting + running at a bucket end, and the worker range.
                    q.series
                        .iter()
                        .map(|b| b.waiting + u64::from(b.running))
                        .max()
                        .unwrap_or(0)
                        .to_string(),
                    {
                        let w = q.series.iter().map(|b| b.workers);
                        match (w.clone().min(), w.max()) {
                            (Some(lo), Some(hi)) if lo != hi => format!("{lo}..{hi}"),
                            _ => q.workers_at_end.to_string(),
                        }
                    },
                ]
            })
            .collect();
        table(
            out,
            &[
                "queue",
                "enqueued",
                "ok",
                "retries",
                "dead-letter",
                "depth",
                "wait ms",
                "wait p99",
                "run ms",
                "run p99",
                "peak depth",
                "workers",
            ],
            &rows,
        );
        for q in r.queues.iter().filter(|q| q.stalled + q.lost_runs > 0) {
            out.push_str(&format!(
                "  {}: {} attempts found stalled (lock expired), {} runs lost (their work done again)\n",
                q.name, q.stalled, q.lost_runs
            ));
        }
    }
}

/// CDNs and their points of presence, when the scenario has them.
fn cdn_tables(out: &mut String, r: &Report) {
    if !r.cdns.is_empty() {
        out.push_str(
            "
cdn
",
        );
        let rows: Vec<Vec<String>> = r
            .cdns
            .iter()
            .map(|c| {
                vec![
                    c.name.clone(),
                    c.lookups.to_string(),
                    pct(c.hit_ratio),
                    c.stale_hits.to_string(),
                    c.refreshes.to_string(),
                    bytes(c.edge_bytes),
                    bytes(c.origin_bytes),
                    c.purges.to_string(),
                ]
            })
            .collect();
        table(
            out,
            &[
                "cdn",
                "lookups",
                "hit%",
                "stale",
                "refreshes",
                "edge bytes",
                "origin bytes",
                "purges",
            ],
            &rows,
        );
        let pops: Vec<Vec<String>> = r
            .cdns
            .iter()
            .flat_map(|c| {
                c.pops.iter().map(|p| {
                    vec![
                        format!("{}@{}", c.name, p.region),
                        p.lookups.to_string(),
                        p.remote_lookups.to_string(),
                        pct(p.hit_ratio),
                        p.stale_hits.to_string(),
                        bytes(p.edge_bytes),
                        bytes(p.origin_bytes),
                    ]
                })
            })
            .collect();
        if !pops.is_empty() {
            out.push_str("\ncdn points of presence\n");
            table(
                out,
                &[
                    "pop",
                    "lookups",
                    "remote",
                    "hit%",
                    "stale",
                    "edge bytes",
                    "origin bytes",
                ],
                &pops,
            );
        }
    }
}

/// The first few breaker state changes, then how many more.
fn breaker_events(events: &[super::BreakerEventReport]) -> String {
    const SHOWN: usize = 4;
    let mut s: Vec<String> = events
        .iter()
        .take(SHOWN)
        .map(|e| format!("{}@{:.1}s", e.to, e.at_s))
        .collect();
    if events.len() > SHOWN {
        s.push(format!("(+{} more)", events.len() - SHOWN));
    }
    s.join(" ")
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
                || !s.zones.is_empty()
                || s.memory.is_some()
                || s.probes.is_some_and(|p| p != ProbeReport::default())
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
        if !s.zones.is_empty() {
            // Ready pods per zone: least and most over the run, and at the end.
            let per_zone: Vec<String> = s
                .zones
                .iter()
                .enumerate()
                .map(|(z, name)| {
                    let ready = s.series.iter().filter_map(|x| x.zones.get(z).copied());
                    let (lo, hi) = ready.fold((u32::MAX, 0), |(lo, hi), v| (lo.min(v), hi.max(v)));
                    let end = s.series.last().and_then(|x| x.zones.get(z)).copied();
                    match end {
                        Some(end) => format!("{name} {lo}..{hi} (end {end})"),
                        None => format!("{name} -"),
                    }
                })
                .collect();
            let _ = writeln!(out, "  {} ready per zone: {}", s.name, per_zone.join(", "));
        }
        if let Some(m) = &s.memory {
            let _ = writeln!(
                out,
                "  {} memory: limit {} MiB, peak {:.1} MiB, {} OOM kills, {} restarts",
                s.name, m.limit_mib, m.peak_mib, m.oom_kills, m.restarts
            );
        }
        if let Some(p) = s.probes.filter(|p| *p != ProbeReport::default()) {
            let _ = writeln!(
                out,
                "  {} probes: {} readiness and {} liveness failures, {} removals from the targets, {} liveness restarts",
                s.name,
                p.readiness_failures,
                p.liveness_failures,
                p.removed_from_targets,
                p.liveness_restarts
            );
        }
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

/// Rolling updates: their window, bounds, and the p99 and errors of the
/// requests that ended during each, beside those outside any rollout.
fn rollouts(out: &mut String, r: &Report) {
    let rows: Vec<Vec<String>> = r
        .scaling
        .iter()
        .flat_map(|s| s.rollouts.iter().map(move |ro| (s, ro)))
        .map(|(s, ro)| {
            vec![
                s.name.clone(),
                format!("{:.1}s", ro.started_s),
                ro.completed_s
                    .map_or("not done".into(), |t| format!("{t:.1}s")),
                format!(
                    "{}/{} ({}/{} pods)",
                    ro.max_surge, ro.max_unavailable, ro.surge_pods, ro.unavailable_pods
                ),
                ro.peak_pods.to_string(),
                ro.min_ready.to_string(),
                format!(
                    "{} (outside {})",
                    ms(ro.latency.p99_ms),
                    ms(ro.p99_outside_ms)
                ),
                format!(
                    "{} ({}; outside {})",
                    ro.errors,
                    pct(ro.error_rate),
                    pct(ro.error_rate_outside)
                ),
            ]
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    out.push_str("\nrollouts\n");
    table(
        out,
        &[
            "deployment",
            "start",
            "complete",
            "surge/unavailable",
            "peak pods",
            "min ready",
            "p99 during",
            "errors during",
        ],
        &rows,
    );
}

/// CPU used per deployment with the CPU model (shown only for those).
fn pod_cpu(out: &mut String, r: &Report) {
    let rows: Vec<Vec<String>> = r
        .scaling
        .iter()
        .filter_map(|s| {
            let c = s.resources.as_ref()?;
            Some(vec![
                s.name.clone(),
                format!("{}", c.cpu_request_cores),
                c.cpu_limit_cores.map_or("-".into(), |l| format!("{l}")),
                format!("{:.3}", c.cpu_used_cores),
                format!("{:.1}%", c.cpu_used_pct_of_request),
                c.throttled_share
                    .map_or("-".into(), |t| format!("{:.1}%", 100.0 * t)),
            ])
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    out.push_str("\npod cpu\n");
    table(
        out,
        &[
            "deployment",
            "request",
            "limit",
            "used cores",
            "of request",
            "throttled",
        ],
        &rows,
    );
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

/// Caches, databases (nodes, shards) and pools, when the scenario has them.
fn data_tables(out: &mut String, r: &Report) {
    if !r.caches.is_empty() {
        out.push_str("\ncaches\n");
        let rows: Vec<Vec<String>> = r
            .caches
            .iter()
            .filter(|c| c.lookups > 0 || c.evictions > 0 || c.expirations > 0)
            .map(|c| {
                vec![
                    c.name.clone(),
                    c.kind.clone(),
                    c.lookups.to_string(),
                    pct(c.hit_ratio),
                    c.stale_reads.to_string(),
                    c.evictions.to_string(),
                    c.expirations.to_string(),
                    pct(c.utilization),
                ]
            })
            .collect();
        table(
            out,
            &[
                "cache", "kind", "lookups", "hit%", "stale", "evicted", "expired", "util",
            ],
            &rows,
        );
        let rows: Vec<Vec<String>> = r
            .cache_loads
            .iter()
            .map(|c| {
                vec![
                    c.name.clone(),
                    c.loads.to_string(),
                    c.duplicate_loads.to_string(),
                    c.coalesced.to_string(),
                ]
            })
            .collect();
        table(
            out,
            &["cache-aside", "loads", "stampede", "coalesced"],
            &rows,
        );
    }
    for d in &r.databases {
        let _ = writeln!(out, "\ndatabase {}", database_line(d));
        if d.nodes.len() > 1 {
            let rows: Vec<Vec<String>> = d
                .nodes
                .iter()
                .map(|n| {
                    vec![
                        n.name.clone(),
                        n.queries.to_string(),
                        pct(n.utilization),
                        n.stale_reads.to_string(),
                        ms(n.lag_mean_ms),
                        ms(n.lag_max_ms),
                    ]
                })
                .collect();
            table(
                out,
                &["node", "queries", "util", "stale", "lag ms", "lag max"],
                &rows,
            );
        }
        if d.shards.len() > 1 {
            let rows: Vec<Vec<String>> = d
                .shards
                .iter()
                .map(|s| {
                    vec![
                        s.shard.to_string(),
                        s.queries.to_string(),
                        pct(s.share),
                        pct(s.primary_utilization),
                    ]
                })
                .collect();
            table(out, &["shard", "queries", "share", "primary util"], &rows);
        }
    }
    if !r.pools.is_empty() {
        out.push_str("\npools\n");
        let rows: Vec<Vec<String>> = r
            .pools
            .iter()
            .map(|p| {
                vec![
                    p.name.clone(),
                    p.acquisitions.to_string(),
                    p.waited.to_string(),
                    ms(p.wait_mean_ms),
                    ms(p.wait_max_ms),
                    p.timeouts.to_string(),
                    p.open_connections.to_string(),
                ]
            })
            .collect();
        table(
            out,
            &[
                "pool", "acquired", "waited", "wait ms", "wait max", "timeouts", "open",
            ],
            &rows,
        );
    }
}
