//! The scenario text for what the traces show: a Deployment and a balancer
//! per service, the databases and caches, the endpoints with fitted steps.

use super::super::quoted;
use super::fit::Lognormal;
use super::shape::{Endpoint, Op, System};
use crate::algo::Nanos;
use std::collections::BTreeSet;
use std::fmt::Write;

/// Writes the scenario.
pub(super) fn scenario(file: &str, system: &System) -> String {
    let names = endpoint_names(system);
    let roots: usize = system.endpoints.iter().map(|e| e.roots).sum();
    let seconds = (system.window.1.saturating_sub(system.window.0)) as f64 / 1e9;
    // n arrivals between the first and the last: n - 1 gaps (the rate's MLE).
    let rate = if seconds > 0.0 && roots > 1 {
        (roots - 1) as f64 / seconds
    } else {
        1.0
    };
    let services: BTreeSet<&str> = system
        .endpoints
        .iter()
        .map(|e| e.service.as_str())
        .collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "// Imported by `scaletwin import otlp {file}`: {} spans, {roots} requests",
        system.spans
    );
    let _ = writeln!(
        out,
        "// from clients over {seconds:.1} s ({rate:.3} req/s)."
    );
    out.push_str(
        "// Endpoints come from root spans, their steps from child spans, every\n\
         // distribution is a Lognormal fitted by maximum likelihood to the observed\n\
         // durations (n = sample size). Sizes (replicas, concurrency, connections,\n\
         // cache capacity) are not in traces: the lines marked EDIT are a skeleton.\n",
    );
    let _ = writeln!(
        out,
        "Scenario(\n    name: {},",
        quoted(&format!("otlp-{}", stem(file)))
    );
    out.push_str(
        "    // EDIT: how long to simulate.\n    run: (duration: \"10m\", warmup: \"1m\"),\n",
    );
    let _ = writeln!(
        out,
        "    // The observed arrival rate and mix (share of root spans per endpoint)."
    );
    let _ = writeln!(
        out,
        "    workload: (\n        users: {rate:.3},\n        rps_per_user: 1.0,"
    );
    if !system.caches.is_empty() {
        out.push_str(
            "        // EDIT: the keys requests touch (caches need them); not in traces.\n",
        );
        out.push_str("        keys: (count: 100_000, popularity: Zipf(1.0)),\n");
    }
    out.push_str("        mix: {\n");
    for (e, name) in system.endpoints.iter().zip(&names) {
        if e.roots > 0 {
            let _ = writeln!(
                out,
                "            {}: {:.4}, // {} of {roots} requests",
                quoted(name),
                e.roots as f64 / roots as f64,
                e.roots
            );
        }
    }
    out.push_str("        },\n    ),\n    components: [\n");
    for service in &services {
        let _ = writeln!(out, "        // service.name {service:?}");
        let _ = writeln!(
            out,
            "        LoadBalancer(name: {}, targets: {{ {}: 1 }}),",
            quoted(&format!("{service}-lb")),
            quoted(service)
        );
        let database = match system.uses.get(*service) {
            Some(dbs) if system.databases.len() > 1 => dbs
                .iter()
                .next()
                .map(|d| format!(", database: {}", quoted(d))),
            _ => None,
        };
        let _ = writeln!(
            out,
            "        Deployment(name: {}, replicas: 3, concurrency: 16{}), // EDIT: replicas, concurrency",
            quoted(service),
            database.unwrap_or_default()
        );
    }
    for db in &system.databases {
        let _ = writeln!(
            out,
            "        // database {db:?} (db.namespace / db.name, else db.system)"
        );
        let _ = writeln!(
            out,
            "        Database(name: {}, connections: 20), // EDIT: connections",
            quoted(db)
        );
    }
    for (cache, durations) in &system.caches {
        let _ = writeln!(
            out,
            "        // cache {cache:?} (db.system): latency of its {} operations",
            durations.len()
        );
        let _ = writeln!(
            out,
            "        Cache(name: {}, ttl: \"5m\", latency: {}, concurrency: 64), // EDIT: ttl, capacity, concurrency",
            quoted(cache),
            dist(durations)
        );
    }
    out.push_str("    ],\n    endpoints: {\n");
    for (e, name) in system.endpoints.iter().zip(&names) {
        endpoint(&mut out, e, name, &names);
    }
    out.push_str("    },\n)\n");
    out
}

/// One endpoint's steps: through its service's balancer, its self time as
/// `Compute`, then the most common shape's steps.
fn endpoint(out: &mut String, e: &Endpoint, name: &str, names: &[String]) {
    let Some(shape) = e.modal() else { return };
    let _ = writeln!(
        out,
        "        // service {:?}: {} requests; self time (no child span) n = {}; the most common shape, {} of {} requests{}",
        e.service,
        e.requests(),
        e.self_times.len(),
        shape.count,
        e.requests(),
        if e.shapes.len() > 1 { format!(" ({} shapes seen)", e.shapes.len()) } else { String::new() }
    );
    let mut steps = vec![
        format!("Lb({})", quoted(&format!("{}-lb", e.service))),
        format!("Compute({})", dist(&e.self_times)),
    ];
    let mut i = 0;
    while i < shape.steps.len() {
        let (op, durations) = &shape.steps[i];
        let step = match op {
            Op::DbRead(_) => format!("DbRead({})", dist(durations)),
            Op::DbWrite(_) => format!("DbWrite({})", dist(durations)),
            Op::CacheRead(cache) => {
                // A read, the load on a miss, and the fill after it: one cache-aside read.
                let mut on_miss = Vec::new();
                if let Some((Op::DbRead(_), d)) = shape.steps.get(i + 1) {
                    on_miss.push(format!("DbRead({})", dist(d)));
                    i += 1;
                }
                if matches!(shape.steps.get(i + 1), Some((Op::CacheWrite(c, true), _)) if c == cache)
                {
                    i += 1;
                }
                format!(
                    "CacheAside(tiers: [{}], on_miss: [{}])",
                    quoted(cache),
                    on_miss.join(", ")
                )
            }
            Op::CacheWrite(cache, _) => format!("Invalidate([{}])", quoted(cache)),
            Op::Call(callee) => format!("Call({})", quoted(&names[*callee])),
            Op::Delay(_) => format!("Delay({})", dist(durations)),
        };
        steps.push(step);
        i += 1;
    }
    let _ = writeln!(
        out,
        "        {}: [\n            {},\n        ],",
        quoted(name),
        steps.join(",\n            ")
    );
}

/// A fitted distribution as RON: Lognormal(median, p99), or Const when the
/// durations do not vary (or there is one).
fn dist(durations: &[f64]) -> String {
    let Some(f) = Lognormal::fit(durations) else {
        return "Const(\"0ns\")".to_owned();
    };
    let median = Nanos(f.median().round() as u64).to_string();
    let p99 = Nanos(f.p99().round() as u64).to_string();
    if f.n < 2 || median == p99 {
        return format!("Const({median:?})");
    }
    format!(
        "Lognormal(median: {median:?}, p99: {p99:?}) /* n = {} */",
        f.n
    )
}

/// Endpoint names, qualified by their service where two services share one.
fn endpoint_names(system: &System) -> Vec<String> {
    system
        .endpoints
        .iter()
        .map(|e| {
            let shared = system
                .endpoints
                .iter()
                .any(|o| o.name == e.name && o.service != e.service);
            if shared {
                format!("{} {}", e.service, e.name)
            } else {
                e.name.clone()
            }
        })
        .collect()
}

fn stem(file: &str) -> String {
    std::path::Path::new(file)
        .file_stem()
        .map_or("traces".to_owned(), |s| s.to_string_lossy().into_owned())
}
