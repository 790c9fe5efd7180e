//! Prometheus exposition through the `metrics` facade and
//! `metrics-exporter-prometheus`. Every series the service exposes is named
//! here; figures held elsewhere (pool, L1, slots, process CPU) are read at
//! each scrape, so a scrape sees them exactly as they are.
//!
//! | series | kind | labels |
//! |---|---|---|
//! | `testbed_requests_total` | counter | endpoint, status |
//! | `testbed_request_duration_seconds` | histogram | endpoint (arrival to response) |
//! | `testbed_slot_wait_seconds` | histogram | endpoint (waiting for a worker slot) |
//! | `testbed_compute_seconds` | histogram | endpoint (CPU time of the request's work) |
//! | `testbed_pool_wait_seconds` | histogram | endpoint (waiting for a connection) |
//! | `testbed_db_query_seconds` | histogram | endpoint (statement round trip) |
//! | `testbed_get_source_total` | counter | source (l1, redis, postgres) |
//! | `testbed_cache_redis_lookups_total` | counter | result (hit, miss) |
//! | `testbed_cache_redis_errors_total` | counter | |
//! | `testbed_cache_l1_*_total`, `testbed_cache_l1_entries` | counter, gauge | L1 [`CacheStats`] |
//! | `testbed_pool_connections` | gauge | state (max, open, idle), and `testbed_pool_waiting` |
//! | `testbed_slots_busy`, `testbed_slots_waiting`, `testbed_slots` | gauge | worker slots |
//! | `testbed_process_cpu_seconds` | gauge | CPU time used by the service so far |

use std::time::Duration;

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use scaletwin::algo::cache::CacheStats;

use crate::endpoint::Endpoint;
use crate::service::admission::Admission;
use crate::service::cpu;
use crate::service::store::{PoolFigures, Source};

/// Histogram bucket bounds, seconds: fine below 50 ms where the low load
/// steps live, coarser up to the client's 5 s timeout.
const BUCKETS: [f64; 24] = [
    0.0005, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05,
    0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 3.0, 5.0,
];

/// Installs the global recorder; the handle renders the exposition text.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    Ok(PrometheusBuilder::new()
        .set_buckets(&BUCKETS)?
        .install_recorder()?)
}

/// One finished request.
pub fn request(endpoint: Endpoint, status: u16, duration: Duration) {
    counter!("testbed_requests_total", "endpoint" => endpoint.name(), "status" => status.to_string())
        .increment(1);
    histogram!("testbed_request_duration_seconds", "endpoint" => endpoint.name())
        .record(duration.as_secs_f64());
}

/// Time a request waited for its worker slot.
pub fn slot_wait(endpoint: Endpoint, wait: Duration) {
    histogram!("testbed_slot_wait_seconds", "endpoint" => endpoint.name())
        .record(wait.as_secs_f64());
}

/// CPU time a request's work used.
pub fn compute(endpoint: Endpoint, used: Duration) {
    histogram!("testbed_compute_seconds", "endpoint" => endpoint.name()).record(used.as_secs_f64());
}

/// Time a request waited for a pooled connection.
pub fn pool_wait(endpoint: Endpoint, wait: Duration) {
    histogram!("testbed_pool_wait_seconds", "endpoint" => endpoint.name())
        .record(wait.as_secs_f64());
}

/// Round trip of one statement.
pub fn db_query(endpoint: Endpoint, took: Duration) {
    histogram!("testbed_db_query_seconds", "endpoint" => endpoint.name())
        .record(took.as_secs_f64());
}

/// Which tier answered a `get_project`.
pub fn get_source(source: Source) {
    let source = match source {
        Source::L1 => "l1",
        Source::Redis => "redis",
        Source::Postgres => "postgres",
    };
    counter!("testbed_get_source_total", "source" => source).increment(1);
}

/// A Redis lookup that found the key (`hit`) or not.
pub fn redis_lookup(hit: bool) {
    let result = if hit { "hit" } else { "miss" };
    counter!("testbed_cache_redis_lookups_total", "result" => result).increment(1);
}

/// A failed Redis command (the request went on without the cache).
pub fn redis_error() {
    counter!("testbed_cache_redis_errors_total").increment(1);
}

/// Sets the figures read at scrape time.
pub fn refresh(pool: PoolFigures, l1: (CacheStats, usize), slots: &Admission, slot_count: usize) {
    for (state, n) in [("max", pool.max), ("open", pool.open), ("idle", pool.idle)] {
        gauge!("testbed_pool_connections", "state" => state).set(n as f64);
    }
    gauge!("testbed_pool_waiting").set(pool.waiting as f64);
    let (stats, entries) = l1;
    for (name, v) in [
        ("testbed_cache_l1_hits_total", stats.hits),
        ("testbed_cache_l1_stale_hits_total", stats.stale_hits),
        ("testbed_cache_l1_misses_total", stats.misses),
        ("testbed_cache_l1_evictions_total", stats.evictions),
        ("testbed_cache_l1_expirations_total", stats.expirations),
        ("testbed_cache_l1_inserts_total", stats.inserts),
    ] {
        counter!(name).absolute(v);
    }
    gauge!("testbed_cache_l1_entries").set(entries as f64);
    gauge!("testbed_slots").set(slot_count as f64);
    gauge!("testbed_slots_busy").set(slots.busy() as f64);
    gauge!("testbed_slots_waiting").set(slots.waiting() as f64);
    gauge!("testbed_process_cpu_seconds").set(cpu::process_cpu_time().as_secs_f64());
}
