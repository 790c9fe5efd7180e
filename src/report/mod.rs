//! What a run says: the [`Report`] type (serde, stable field order) and its
//! renderings.

mod table;

pub use table::render_table;

use crate::metrics::{IntervalRow, LatencySummary, OccupancySummary};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The result of one simulation run. Serializes to the same bytes for the
/// same scenario and seed on any machine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Scenario name.
    pub scenario: String,
    /// Master seed the run used.
    pub seed: u64,
    /// Simulated seconds, warm-up included.
    pub simulated_s: f64,
    /// Seconds of warm-up left out of the statistics.
    pub warmup_s: f64,
    /// Whole-system figures over the measured period.
    pub summary: Summary,
    /// Per endpoint, in name order.
    pub endpoints: Vec<EndpointReport>,
    /// Per station (deployments, then databases).
    pub stations: Vec<StationReport>,
    /// The fault timeline, to mark on the series.
    pub faults: Vec<FaultReport>,
    /// Per-interval time series (warm-up included, so it shows).
    pub series: Vec<IntervalRow>,
    /// Engine counters.
    pub engine: EngineStats,
    /// Cache tiers: per shared cache, then per deployment's L1 (all pods together).
    #[serde(default)]
    pub caches: Vec<CacheReport>,
    /// `CacheAside` steps: how often the value was loaded (stampede, coalescing).
    #[serde(default)]
    pub cache_loads: Vec<CacheLoadReport>,
    /// Databases: reads, writes, stale reads, connections, nodes, shards.
    #[serde(default)]
    pub databases: Vec<DatabaseReport>,
    /// Connection pools: per deployment (all pods) and per PgBouncer.
    #[serde(default)]
    pub pools: Vec<PoolReport>,
}

/// One cache tier over the measured period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CacheReport {
    /// Cache name, or `<deployment>/l1`.
    pub name: String,
    /// "shared" or "l1".
    pub kind: String,
    /// Lookups.
    pub lookups: u64,
    /// Lookups that found the key.
    pub hits: u64,
    /// hits / lookups.
    pub hit_ratio: f64,
    /// Hits that served a version older than the key's latest write.
    pub stale_reads: u64,
    /// Entries pushed out by capacity.
    pub evictions: u64,
    /// Entries found expired.
    pub expirations: u64,
    /// Entries held at the end.
    pub entries: u64,
    /// Busy share of the server's concurrency (shared caches; 0 for L1).
    pub utilization: f64,
}

/// One `CacheAside` step's loads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CacheLoadReport {
    /// The endpoint holding the step first, and its tiers.
    pub name: String,
    /// Runs of on_miss.
    pub loads: u64,
    /// Loads started while another load of the same key was under way (stampede).
    pub duplicate_loads: u64,
    /// Misses served by another request's load (coalescing on).
    pub coalesced: u64,
}

/// A database's data-tier figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatabaseReport {
    /// Component name.
    pub name: String,
    /// Reads finished (a scatter read counts once).
    pub reads: u64,
    /// Writes finished.
    pub writes: u64,
    /// Replica reads that missed the key's latest write.
    pub stale_reads: u64,
    /// Reads sent to the primary by the read-your-writes window.
    pub read_your_writes_reads: u64,
    /// Server connections open at the end.
    pub open_connections: u32,
    /// Most server connections open at once.
    pub peak_open_connections: u32,
    /// The database's limit, if any.
    pub max_connections: Option<u32>,
    /// Connection attempts refused by max_connections.
    pub refused_connections: u64,
    /// Every node: shard primaries and replicas.
    pub nodes: Vec<NodeReport>,
    /// Per shard (one entry when not sharded).
    pub shards: Vec<ShardReport>,
    /// Share of all queries served by the busiest shard.
    pub hottest_shard_share: f64,
}

/// One database node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeReport {
    /// e.g. `pg/primary`, `pg/replica2`, `pg/shard1/replica1`.
    pub name: String,
    /// Queries finished.
    pub queries: u64,
    /// Connection utilization.
    pub utilization: f64,
    /// Stale reads served.
    pub stale_reads: u64,
    /// Mean replication lag drawn (replicas), milliseconds.
    pub lag_mean_ms: f64,
    /// Largest replication lag drawn (replicas), milliseconds.
    pub lag_max_ms: f64,
}

/// One shard's load.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardReport {
    /// Shard number.
    pub shard: u32,
    /// Queries its nodes finished.
    pub queries: u64,
    /// Its share of all queries.
    pub share: f64,
    /// Its primary's connection utilization.
    pub primary_utilization: f64,
}

/// A connection pool's figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PoolReport {
    /// `<deployment>/pool` or `<database>/pgbouncer`.
    pub name: String,
    /// Connections handed out.
    pub acquisitions: u64,
    /// Acquisitions that had to wait (timeouts included).
    pub waited: u64,
    /// Mean wait of those that waited and got one, milliseconds.
    pub wait_mean_ms: f64,
    /// Longest wait, milliseconds.
    pub wait_max_ms: f64,
    /// Waits that ended in "pool timeout".
    pub timeouts: u64,
    /// Connections open at the end (all pods).
    pub open_connections: u32,
}

/// Whole-system figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Arrivals per second.
    pub offered_rps: f64,
    /// Successful completions per second.
    pub throughput_rps: f64,
    /// Requests that arrived in the measured period.
    pub arrivals: u64,
    /// Requests that finished successfully.
    pub completed: u64,
    /// Requests that failed.
    pub errors: u64,
    /// errors / (completed + errors).
    pub error_rate: f64,
    /// Failures by cause; every cause is listed, zeros included.
    pub errors_by_cause: BTreeMap<String, u64>,
    /// End-to-end latency of successful requests.
    pub latency: LatencySummary,
}

/// One endpoint's figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EndpointReport {
    /// Endpoint name.
    pub name: String,
    /// Successful requests.
    pub completed: u64,
    /// Failed requests.
    pub errors: u64,
    /// errors / (completed + errors).
    pub error_rate: f64,
    /// Latency of successful requests.
    pub latency: LatencySummary,
}

/// One station's figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StationReport {
    /// Component name.
    pub name: String,
    /// "deployment" or "database".
    pub kind: String,
    /// Occupancy statistics.
    #[serde(flatten)]
    pub stats: OccupancySummary,
}

/// Engine counters (deterministic: no wall-clock figures).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EngineStats {
    /// Events processed.
    pub events: u64,
    /// Requests generated, warm-up included.
    pub requests: u64,
    /// Most requests in flight at once.
    pub peak_in_flight: u64,
}

impl Report {
    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a report always serializes");
        s.push('\n');
        s
    }
}

/// A fault as it happened in the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultReport {
    /// What it was, e.g. `Slowdown(pg x3)`.
    pub label: String,
    /// When it started, seconds since the start.
    pub at_s: f64,
    /// When it ended, if it did.
    pub until_s: Option<f64>,
}
