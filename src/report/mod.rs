//! What a run says, and how it is shown: the [`Report`] type (serde, stable
//! field order) that the simulator fills, the reports of many runs
//! ([`StagesReport`], [`CompareReport`], [`SweepReport`]) that `sweep`
//! fills, the bill that `cost` fills, and their renderings: terminal
//! tables, Markdown and CSV, SVG charts and the HTML page.
//!
//! ```text
//! sim ──▶ Report ─┬─▶ table (render_table, cost_section) · JSON
//! cost ─▶ CostReport ─┤
//! sweep ─▶ StagesReport · CompareReport · SweepReport ─▶ batch_table (Markdown, CSV)
//!                 └─▶ chart (SVG) ─▶ html (one page)
//! ```

mod batch;
mod batch_table;
mod bill;
mod bill_table;
pub mod chart;
mod html;
pub mod index;
mod label;
mod precision;
mod provenance;
pub mod slo;
mod table;
mod topology;

pub use batch::{
    Bottleneck, CompareReport, CompareStage, PairedDiff, PrecisionReached, ReplicaSpan, RunSummary,
    SloDecided, StageRow, StagesReport, SweepPoint, SweepReport, WorkloadDifference,
};
pub use batch_table::{compare_markdown, stages_csv, stages_markdown, sweep_csv, sweep_markdown};
pub use bill::{BillItem, ComponentCost, CostReport};
pub use bill_table::{by_component_markdown, cost_section};
pub use html::html;
pub use label::users_label;
pub use precision::{run_precision_section, RunPrecision};
pub use provenance::{result_command, sha256_hex, InputFile, Provenance};
pub use table::render_table;
pub use topology::topology_file;

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
    /// The service-level objective and its verdict (absent from reports
    /// written before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slo: Option<slo::SloReport>,
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
    /// Each CDN's edge cache and byte counters (measured period), in scenario order.
    pub cdns: Vec<CdnReport>,
    /// Each per-tenant rate limit, per tier (measured period).
    pub rate_limits: Vec<RateLimitReport>,
    /// Client retries on timeout (measured period); absent when clients do not retry.
    pub retries: Option<RetryReport>,
    /// External dependencies: calls, failures, breaker and fallbacks.
    pub dependencies: Vec<DependencyReport>,
    /// `CallWith` and `Parallel` steps: sub-requests, timeouts, orphans.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<CallSiteReport>,
    /// Job queues, in scenario order. Their dead-lettered jobs are not client
    /// errors (the client got its 202 at once) and are counted here only, under
    /// the cause "queue dead-lettered".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queues: Vec<QueueReport>,
    /// Per user region (by where the users are, not where they were served), in name order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<RegionReport>,
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
    /// Per deployment: replicas over time, scaling events, pod-seconds and
    /// node-hours split on-demand / spot (for the cost model).
    pub scaling: Vec<ScalingReport>,
    /// Where the report came from (set by the command line; absent from a
    /// report made through the library).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
    /// When `run` ran to a precision: the estimates over its replications
    /// (the rest of the report is the first replication's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<RunPrecision>,
}

/// One external dependency's figures (counters over the measured period;
/// breaker state changes over the whole run).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DependencyReport {
    /// Component name.
    pub name: String,
    /// Calls made (retries included).
    pub calls: u64,
    /// Calls that failed (errors and timeouts).
    pub failures: u64,
    /// Calls cut off by the caller's timeout.
    pub timeouts: u64,
    /// Calls retried after a failure.
    pub retries: u64,
    /// Calls the open breaker refused.
    pub breaker_rejected: u64,
    /// Requests answered by the fallback instead.
    pub fallbacks: u64,
    /// Requests that failed because of this dependency (no fallback).
    pub failed_requests: u64,
    /// Every breaker state change, in order.
    pub breaker_events: Vec<BreakerEventReport>,
}

/// One `CallWith` or `Parallel` step's figures (measured period).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallSiteReport {
    /// Where the step is written: `endpoint[step]`.
    pub site: String,
    /// What it waits for: `one` (a `CallWith`), `all` or `first`.
    pub wait: String,
    /// The called endpoints, in order.
    pub callees: Vec<String>,
    /// Requests that ran the step.
    pub requests: u64,
    /// Sub-requests sent (retries included).
    pub attempts: u64,
    /// Attempts the caller stopped waiting for at its timeout.
    pub timeouts: u64,
    /// Attempts retried after a failure or a timeout.
    pub retries: u64,
    /// Attempts that failed at the callee.
    pub errors: u64,
    /// Answers nobody waited for any more (after a timeout, or once the
    /// fan-out had decided): the orphaned work's results, discarded.
    pub late_answers: u64,
    /// Requests answered by the step's fallback.
    pub fallbacks: u64,
    /// Requests that failed at the step (no fallback).
    pub failed_requests: u64,
}

/// A circuit breaker state change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BreakerEventReport {
    /// When, seconds since the start.
    pub at_s: f64,
    /// "closed", "open" or "half_open".
    pub from: String,
    /// "closed", "open" or "half_open".
    pub to: String,
}

/// One CDN's figures. Clients receive `edge_bytes` from the cache; the origin
/// sends `origin_bytes` to the edge (misses and background refreshes), which
/// the edge passes on to clients for misses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CdnReport {
    /// Component name.
    pub name: String,
    /// Lookups at the edge.
    pub lookups: u64,
    /// Answered fresh from the edge.
    pub hits: u64,
    /// Answered stale from the edge (inside stale-while-revalidate).
    pub stale_hits: u64,
    /// Sent on to the origin.
    pub misses: u64,
    /// (hits + stale hits) / lookups.
    pub hit_ratio: f64,
    /// Background refreshes started by stale hits.
    pub refreshes: u64,
    /// Objects pushed out by capacity.
    pub evictions: u64,
    /// Bytes answered from the edge cache (hits and stale hits).
    pub edge_bytes: u64,
    /// Bytes the origin sent to the edge (misses and refreshes).
    pub origin_bytes: u64,
    /// Purges (PurgeCdn faults) applied.
    pub purges: u64,
    /// With regions: each point of presence, in region order (the figures
    /// above are their sums). Empty without regions (one PoP).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pops: Vec<PopReport>,
    /// With content classes: each class over every PoP, the CDN's own
    /// (endpoints in no class) first as "default". Empty without classes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<CdnClassReport>,
}

/// One CDN content class, over every point of presence.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CdnClassReport {
    /// The class ("default" for the CDN's own fields).
    pub name: String,
    /// Lookups of this class's objects.
    pub lookups: u64,
    /// Answered fresh from an edge.
    pub hits: u64,
    /// Answered stale from an edge (inside stale-while-revalidate).
    pub stale_hits: u64,
    /// Sent on to the origin.
    pub misses: u64,
    /// (hits + stale hits) / lookups.
    pub hit_ratio: f64,
    /// Background revalidations started by stale hits.
    pub refreshes: u64,
    /// Objects pushed out by capacity.
    pub evictions: u64,
    /// Bytes answered from the edges.
    pub edge_bytes: u64,
    /// Bytes the origin sent to the edges.
    pub origin_bytes: u64,
}

/// One CDN point of presence (edge cache) in a region.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PopReport {
    /// The region it is in.
    pub region: String,
    /// Lookups here.
    pub lookups: u64,
    /// Lookups by users from other regions (who paid the round trip here).
    pub remote_lookups: u64,
    /// Answered fresh from this edge.
    pub hits: u64,
    /// Answered stale from this edge (inside stale-while-revalidate).
    pub stale_hits: u64,
    /// Sent on to the origin.
    pub misses: u64,
    /// (hits + stale hits) / lookups.
    pub hit_ratio: f64,
    /// Background refreshes started by stale hits.
    pub refreshes: u64,
    /// Objects pushed out by capacity.
    pub evictions: u64,
    /// Bytes answered from this edge (hits and stale hits).
    pub edge_bytes: u64,
    /// Bytes the origin sent to this edge (misses and refreshes).
    pub origin_bytes: u64,
}

/// One tier of a per-tenant rate limit (a load balancer's or an endpoint's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RateLimitReport {
    /// The load balancer (empty for an endpoint's limit).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub balancer: String,
    /// The tier.
    pub tier: String,
    /// The algorithm ("sliding_log", "sliding_counter", "token_bucket", "gcra").
    pub algorithm: String,
    /// Requests per tenant per window.
    pub limit: u64,
    /// Tenants assigned to the tier.
    pub tenants: u64,
    /// Requests admitted.
    pub admitted: u64,
    /// Requests rejected with 429.
    pub rejected: u64,
    /// Distinct tenants that got at least one 429.
    pub tenants_limited: u64,
    /// The endpoint, for a per-endpoint limit (`limits`); empty for a balancer's.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub endpoint: String,
}

/// Client retries: how much the retries amplified the load.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RetryReport {
    /// Original requests (first attempts).
    pub requests: u64,
    /// Retries sent.
    pub retries: u64,
    /// (requests + retries) / requests: the retry amplification factor.
    pub amplification: f64,
    /// Timed-out requests not retried because the retry budget was empty.
    pub budget_denied: u64,
    /// Timed-out requests that had used all their attempts.
    pub exhausted: u64,
    /// Attempts the servers kept working on after their client had given up.
    pub abandoned_attempts: u64,
}

/// The requests of one region's users over the measured period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegionReport {
    /// Region name.
    pub name: String,
    /// Share of the users there.
    pub user_share: f64,
    /// Requests its users sent.
    pub arrivals: u64,
    /// Requests that succeeded.
    pub completed: u64,
    /// Requests that failed.
    pub errors: u64,
    /// errors / (completed + errors).
    pub error_rate: f64,
    /// End-to-end latency of its users' successful requests (round trips to other regions included).
    pub latency: LatencySummary,
}

/// One job queue's figures over the measured period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueReport {
    /// Queue name.
    pub name: String,
    /// Jobs put on the queue (first attempts; retries are counted in `retries`).
    pub enqueued: u64,
    /// Attempts that started running.
    pub started: u64,
    /// Jobs that finished successfully.
    pub succeeded: u64,
    /// Attempts that failed.
    pub failed_attempts: u64,
    /// Failed attempts that were retried after a backoff delay.
    pub retries: u64,
    /// Attempts lost with their worker and found stalled when their lock
    /// expired (counted in `failed_attempts` too; with a `lock_duration`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub stalled: u64,
    /// Runs that went on after losing their lock (`lock_renewal: false`):
    /// their completion was refused or their worker died, and the job ran
    /// again, its work done twice.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub lost_runs: u64,
    /// Jobs whose last attempt failed (error cause "queue dead-lettered").
    pub dead_lettered: u64,
    /// failed_attempts / finished attempts.
    pub attempt_failure_rate: f64,
    /// Jobs waiting when the run ended.
    pub depth_at_end: u64,
    /// Wait of each attempt in the queue before a worker took it (rate limit included).
    pub wait: LatencySummary,
    /// Run time of each attempt on a worker.
    pub run: LatencySummary,
    /// First enqueue to success, retries and backoff included.
    pub total: LatencySummary,
    /// Worker-slot occupancy and time-weighted queue depth.
    pub stats: OccupancySummary,
    /// Workers taking jobs when the run ended (a worker Deployment's ready pods).
    #[serde(default)]
    pub workers_at_end: u32,
    /// Jobs waiting and running, and workers, at the end of each time-series bucket.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub series: Vec<QueueRow>,
}

/// One change of a deployment's replica count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScalingEvent {
    /// Seconds since the start.
    pub t_s: f64,
    /// Replicas before.
    pub from: u32,
    /// Replicas after.
    pub to: u32,
    /// Why (the HPA's reason, or the fault).
    pub reason: String,
}

/// A deployment's replicas at the end of a time-series bucket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplicaRow {
    /// End of the bucket, seconds since the start.
    pub t_s: f64,
    /// `spec.replicas` (what the HPA asked for).
    pub desired: u32,
    /// Pods taking traffic.
    pub ready: u32,
    /// Pods scheduled but not yet ready.
    pub starting: u32,
    /// Nodes alive (including those under notice).
    pub nodes: u32,
    /// Ready pods per availability zone, in the order of the deployment's
    /// `zones` (absent without zones).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<u32>,
}

/// A deployment's scaling and capacity figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScalingReport {
    /// Deployment name.
    pub name: String,
    /// Whether an HPA drives it.
    pub autoscaled: bool,
    /// The HPA's CPU utilization target, percent of the pods' request,
    /// when it scales on CPU utilization (drawn on the utilization chart).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_target_percent: Option<f64>,
    /// Pod-seconds on on-demand capacity (every pod when no node pool is modelled).
    pub pod_seconds_on_demand: f64,
    /// Pod-seconds on spot nodes.
    pub pod_seconds_spot: f64,
    /// On-demand node-hours.
    pub node_hours_on_demand: f64,
    /// Spot node-hours.
    pub node_hours_spot: f64,
    /// Spot nodes that got a termination notice.
    pub spot_reclaims: u64,
    /// Pods that died with work in them or were killed (faults, reclaimed nodes).
    pub pods_killed: u64,
    /// Every replica-count change.
    pub events: Vec<ScalingEvent>,
    /// Replicas per time-series bucket.
    pub series: Vec<ReplicaRow>,
    /// The availability zones its pods are spread over (the order of
    /// `ReplicaRow::zones`; absent without zones).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<String>,
    /// Per HPA metric, the mean usage ratio (metric / target) its syncs
    /// saw: what `stages` reads from a pilot run to start a stage settled.
    /// Not written out.
    #[serde(skip)]
    pub hpa_usage: Vec<f64>,
    /// CPU its pods used (absent unless the deployment declares CPU
    /// requests or limits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<PodResourceReport>,
    /// Memory and OOM kills (absent unless the deployment declares a
    /// memory limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<PodMemoryReport>,
    /// Its rolling updates (`Deploy`), in start order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rollouts: Vec<RolloutReport>,
    /// What its readiness and liveness probes did (absent without `probes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probes: Option<ProbeReport>,
}

/// What a deployment's probes did over the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeReport {
    /// Readiness probes that failed (timed out, or refused by a full queue).
    pub readiness_failures: u64,
    /// Liveness probes that failed.
    pub liveness_failures: u64,
    /// Times a pod left its balancers' targets (`failure_threshold`
    /// readiness failures in a row).
    pub removed_from_targets: u64,
    /// Containers restarted after `failure_threshold` liveness failures
    /// in a row (a restart whose back-off outlasts the run is not counted).
    pub liveness_restarts: u64,
}

/// What a deployment's pods did with their memory limit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PodMemoryReport {
    /// Memory limit per pod, MiB.
    pub limit_mib: f64,
    /// The most memory a pod used, MiB (at the moments it grew).
    pub peak_mib: f64,
    /// Pods OOM-killed (each one's requests failed with "pod_killed").
    pub oom_kills: u64,
    /// Container restarts after OOM kills (a kill whose back-off outlasts
    /// the run, or a draining pod's, has none).
    pub restarts: u64,
}

/// One rolling update of a deployment, as it ran: its window, the
/// controller's steps, and the requests that ended during it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RolloutReport {
    /// The fault's index in the timeline (to mark its end on the charts).
    #[serde(skip)]
    pub fault: usize,
    /// When it started, seconds since the start.
    pub started_s: f64,
    /// When it completed (every pod of the new template ready, none of the
    /// old ones left); absent if the run ended first or another `Deploy`
    /// of the deployment overtook it.
    pub completed_s: Option<f64>,
    /// `max_surge` as written, and in pods of the desired count at the start.
    pub max_surge: String,
    /// `max_unavailable` as written.
    pub max_unavailable: String,
    /// Pods above the desired count allowed (at the start).
    pub surge_pods: u32,
    /// Pods below it allowed unavailable (at the start).
    pub unavailable_pods: u32,
    /// Most pods starting or ready at once (draining pods not counted, as
    /// the controller counts them).
    pub peak_pods: u32,
    /// Fewest ready pods at once.
    pub min_ready: u32,
    /// Pods of the new template created.
    pub pods_created: u32,
    /// Each step of the controller: the replica counts it set.
    pub steps: Vec<RolloutStep>,
    /// Requests that ended while it ran (whenever sent), by outcome.
    pub completed: u64,
    /// Failures among them.
    pub errors: u64,
    /// Errors as a share of those answers.
    pub error_rate: f64,
    /// Latency of the successes among them.
    pub latency: LatencySummary,
    /// The p99 of the successes that ended while no rollout ran (the run's
    /// own, to compare with).
    pub p99_outside_ms: f64,
    /// The error rate of the requests that ended while no rollout ran.
    pub error_rate_outside: f64,
}

/// A step of a rolling update: the pod counts the Deployment controller
/// set for the old and new templates' ReplicaSets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RolloutStep {
    /// When, seconds since the start.
    pub t_s: f64,
    /// Pods wanted of the old templates.
    pub old: u32,
    /// Pods wanted of the new template.
    pub new: u32,
}

/// What a deployment's pods used of their CPU.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PodResourceReport {
    /// CPU request per pod, cores.
    pub cpu_request_cores: f64,
    /// CPU limit per pod, cores (absent without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_limit_cores: Option<f64>,
    /// CPU in use, cores, summed over the pods and averaged over the run.
    pub cpu_used_cores: f64,
    /// CPU used per pod-second over the request, percent (can pass 100
    /// up to the limit).
    pub cpu_used_pct_of_request: f64,
    /// Share of the CFS periods with work to run in which the quota ran
    /// out (`nr_throttled / nr_periods`; absent without a CPU limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttled_share: Option<f64>,
}

/// A queue's state at the end of a time-series bucket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueRow {
    /// End of the bucket, seconds since the start.
    pub t_s: f64,
    /// Jobs waiting for a worker (retries in backoff not included).
    pub waiting: u64,
    /// Jobs running on workers.
    pub running: u32,
    /// Workers taking jobs: the fixed count, or the worker Deployment's ready pods.
    pub workers: u32,
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
    /// Reads that missed the key's latest write: of replicas, and of the
    /// copies in other regions than the primary's (counted when the
    /// workload models `keys`).
    pub stale_reads: u64,
    /// Reads sent to the primary by the read-your-writes window (counted
    /// when there are replicas or copies in other regions to read from).
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
    /// Its class, when the database is sized by its class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// Share of its class's vCPUs its queries used (sized by class).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_utilization: Option<f64>,
    /// Its buffer cache and volume (with a data size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<NodeStorageReport>,
}

/// A database node's buffer cache and storage volume (measured period).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeStorageReport {
    /// Page lookups (one per query started).
    pub lookups: u64,
    /// Share of lookups that found their page cached.
    pub hit_ratio: f64,
    /// The hit ratio Che's approximation predicts for its cache.
    pub che_hit_ratio: f64,
    /// Pages read from the volume (the misses).
    pub reads: u64,
    /// Page reads per second.
    pub reads_per_second: f64,
    /// Share of its IOPS (or throughput) the reads used.
    pub volume_busy: f64,
    /// Mean wait of a read for the volume, milliseconds.
    pub read_wait_mean_ms: f64,
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

/// Whole-system figures over one population: the requests that arrived
/// after the warm-up, wherever in time they ended, so that
/// `arrivals = completed + errors + in_flight`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Arrivals per second.
    pub offered_rps: f64,
    /// Successful completions per second.
    pub throughput_rps: f64,
    /// Requests that arrived in the measured period.
    pub arrivals: u64,
    /// Of those, requests that finished successfully.
    pub completed: u64,
    /// Of those, requests that failed.
    pub errors: u64,
    /// errors / (completed + errors).
    pub error_rate: f64,
    /// Failures by cause; every cause is listed, zeros included, but those
    /// of opt-in features (`statement_timeout`) only once they occur.
    pub errors_by_cause: BTreeMap<String, u64>,
    /// Of those, requests still waiting for their answer when the run ended.
    #[serde(default)]
    pub in_flight: u64,
    /// End-to-end latency of successful requests.
    pub latency: LatencySummary,
    /// End-to-end latency of every finished request: a success at its
    /// answer, a failure at its time to fail (a timeout at the timeout).
    #[serde(default)]
    pub latency_all: LatencySummary,
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
    /// A deployment's held worker time by what it was spent on (its own
    /// compute, or waiting on a database, cache, dependency, called
    /// deployment or the network), as shares of the busy slot time, largest
    /// first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<HeldShare>,
}

impl StationReport {
    /// What its workers' held time went to, for a table: "`app` workers 14.2%
    /// held: 48% waiting on pg, 33% compute, 13% network" (None for stations
    /// without a breakdown).
    pub fn held_phrase(&self) -> Option<String> {
        if self.held.is_empty() {
            return None;
        }
        let parts: Vec<String> = self
            .held
            .iter()
            .map(|h| match h.on.as_str() {
                "compute" | "network" | "other" => format!("{:.0}% {}", h.share * 100.0, h.on),
                name => format!("{:.0}% waiting on {name}", h.share * 100.0),
            })
            .collect();
        Some(format!(
            "{} workers {:.1}% held: {}",
            self.name,
            self.stats.utilization * 100.0,
            parts.join(", ")
        ))
    }

    /// The component its workers mostly wait on (over half the held time),
    /// with that share.
    pub fn mostly_waiting_on(&self) -> Option<&HeldShare> {
        self.held
            .iter()
            .find(|h| h.share > 0.5 && !matches!(h.on.as_str(), "compute" | "network" | "other"))
    }
}

/// A share of a deployment's held worker time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeldShare {
    /// What the time went to: `compute`, `network`, `other` or a component's name.
    pub on: String,
    /// Share of the busy slot time (0..1).
    pub share: f64,
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
    /// Arrivals turned away because the simulator's bound on requests in
    /// flight (`sim::MAX_IN_FLIGHT`) was reached (counted as `queue_full`
    /// errors); absent when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub refused_in_flight: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
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
