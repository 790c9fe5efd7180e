//! What a user writes: the RON scenario format, as serde types.
//!
//! These types mirror the file one to one (`deny_unknown_fields` everywhere,
//! so a typo is an error, not a silently ignored field). Names are still
//! strings here; [`super::validate`] resolves them into the checked
//! [`crate::scenario::Plan`].

use super::unique;
use super::units::{self, Duration};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A whole scenario file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A short name, printed in reports.
    pub name: String,
    /// Master seed: every random stream derives from it.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// How long to simulate and what to measure.
    pub run: Run,
    /// Who sends what, how often.
    pub workload: Workload,
    /// Latency of each call between components.
    #[serde(default)]
    pub network: Network,
    /// The architecture's parts.
    pub components: Vec<Component>,
    /// What each request type does, step by step.
    #[serde(deserialize_with = "unique::map")]
    pub endpoints: BTreeMap<String, Vec<Step>>,
    /// Things that go wrong, on a timeline.
    #[serde(default)]
    pub faults: Vec<Fault>,
    /// Geography: where users are and how far apart regions are.
    #[serde(default)]
    pub regions: Option<Regions>,
    /// The user ladder `scaletwin stages` walks: (stage name, active users).
    /// Default: 100, 1K, 10K, 100K, 1M.
    #[serde(default)]
    pub stages: Option<Vec<(String, f64)>>,
    /// How each stage of `stages` (and `compare --stages`) sizes its
    /// tenants and keys. Default: both grow in proportion to the stage's
    /// users from the counts declared at `workload.users`.
    #[serde(default)]
    pub ladder: Option<Ladder>,
    /// The service-level objective each run is judged against.
    #[serde(default)]
    pub slo: Option<super::Slo>,
    /// Price table: a bundled table's name, with optional overrides.
    #[serde(default)]
    pub prices: Option<super::PriceSpec>,
    /// Hours the whole environment is switched off (e.g. a staging copy).
    #[serde(default)]
    pub schedule: Option<super::Schedule>,
    /// Per-endpoint, per-tenant rate limits: endpoint name -> limit (the same
    /// form as a LoadBalancer's `rate_limit`). Checked when a client's request
    /// for that endpoint arrives (before any other step, a Cdn included);
    /// requests over the limit fail with "rate_limited" (HTTP 429). Calls from
    /// other endpoints are not limited; without `workload.tenants` all
    /// clients share one budget. Default: none.
    #[serde(default, deserialize_with = "unique::map")]
    pub limits: BTreeMap<String, RateLimit>,
    /// The search space of `scaletwin plan`: which fields it may change and
    /// to what. Only `plan` reads it; every other command ignores it.
    #[serde(default)]
    pub plan: Option<PlanSpace>,
}

/// What `scaletwin plan` may vary to find the cheapest configuration that
/// meets the SLO: `plan: (vary: {"components.api.hpa.max": [10, 20, 40],
/// "components.pg.class": ["db.r6g.large", "db.r6g.xlarge"]})`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanSpace {
    /// Field path (as `--set` takes it) -> the values to try, smallest
    /// capacity first or in any order: numbers are ordered ascending,
    /// instance sizes, database classes and cache nodes by their hourly
    /// price in the scenario's price table.
    #[serde(deserialize_with = "unique::map")]
    pub vary: BTreeMap<String, Vec<PlanValue>>,
}

/// One value a plan path may take: a number, or text as `--set` takes it
/// (`"db.r6g.xlarge"`, `"2m"`, `"None"`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum PlanValue {
    /// A number: `4`, `0.5`.
    Number(f64),
    /// Text, spliced as `--set` splices it.
    Text(String),
}

impl PlanValue {
    /// The value as `--set` text: `4`, `0.5`, `db.r6g.xlarge`.
    pub fn as_set_text(&self) -> String {
        match self {
            PlanValue::Number(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{x:.0}"),
            PlanValue::Number(x) => format!("{x}"),
            PlanValue::Text(t) => t.clone(),
        }
    }
}

/// Named regions, their users and the round-trip times between them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Regions {
    /// Region name -> share of the users there (relative weights; 0 allowed).
    #[serde(deserialize_with = "unique::map")]
    pub users: BTreeMap<String, f64>,
    /// Round-trip time between two regions, each pair once:
    /// `{ "us-east": { "eu-west": "80ms" } }`. Symmetric.
    #[serde(deserialize_with = "unique::nested")]
    pub rtt: BTreeMap<String, BTreeMap<String, Duration>>,
    /// Where writes go.
    pub primary: String,
}

fn default_seed() -> u64 {
    1
}

/// Simulated time span and measurement settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Run {
    /// Simulated time, warm-up included.
    pub duration: Duration,
    /// Initial period left out of every statistic.
    #[serde(default)]
    pub warmup: Duration,
    /// Width of one time-series bucket (default 10 s).
    #[serde(default = "default_interval")]
    pub interval: Duration,
    /// Independent replications (distinct seeds) behind every confidence
    /// interval of `stages`, `compare` and `sweep` (default 1).
    #[serde(default)]
    pub replications: Option<u32>,
    /// Stop each configuration of `stages`, `compare` and `sweep` once the
    /// 95% confidence half-widths of its mean latency and p99 are within
    /// this share of the estimates ("5%"): replications measuring a
    /// twentieth of the span after the warm-up (each with the warm-up as
    /// written) are added until then, at most twenty. `run` ignores it.
    #[serde(default)]
    pub precision: Option<units::Precision>,
}

fn default_interval() -> Duration {
    Duration(crate::algo::Nanos::from_secs(10))
}

/// The offered load.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// Active users at the pattern's factor 1.
    pub users: f64,
    /// Requests per second each user sends (leave out with `arrivals: Replay`).
    #[serde(default)]
    pub rps_per_user: f64,
    /// How the rate changes over time.
    #[serde(default)]
    pub pattern: Pattern,
    /// Where arrivals come from: a Poisson process (default) or a replayed log.
    #[serde(default)]
    pub arrivals: ArrivalProcess,
    /// Tenants (organisations) and how unevenly they send traffic.
    #[serde(default)]
    pub tenants: Option<Population>,
    /// Data keys requests touch, and their popularity.
    #[serde(default)]
    pub keys: Option<Population>,
    /// Endpoint name -> relative weight.
    #[serde(deserialize_with = "unique::map")]
    pub mix: BTreeMap<String, f64>,
    /// A client gives up after this long; the request counts as a timeout error.
    #[serde(default)]
    pub client_timeout: Option<Duration>,
    /// Clients retry a timed-out request (needs `client_timeout`). Default: no retries.
    #[serde(default)]
    pub retries: Option<Retries>,
    /// Requests the system sends itself on a timer, besides the users'
    /// (a Prometheus scrape, a health checker, a cron-triggered call): each
    /// runs its endpoint's steps and takes their resources like any request,
    /// but nobody in the workload waits for it, so it is not counted in the
    /// report's requests, latencies or errors. Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub periodic: Vec<PeriodicRequest>,
}

/// A request sent every `every`, from `every` after the start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PeriodicRequest {
    /// The endpoint whose steps it runs.
    pub endpoint: String,
    /// Its period (at least 1ms).
    pub every: Duration,
}

/// Client retries on timeout: how many attempts, how long to back off, and an
/// optional retry budget (src/algo/backoff).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retries {
    /// Total attempts per request, the first included (2 = one retry).
    pub attempts: u32,
    /// Delay before the first retry, before jitter.
    pub backoff: Duration,
    /// Growth of the delay per retry (default 2).
    #[serde(default)]
    pub multiplier: Option<f64>,
    /// Longest delay (default 10s).
    #[serde(default)]
    pub cap: Option<Duration>,
    /// How the delay is randomised (default None: every client waits the same).
    #[serde(default)]
    pub jitter: JitterKind,
    /// At most this share of requests may be retries. Default: unlimited.
    #[serde(default)]
    pub budget: Option<RetryBudget>,
}

/// Backoff jitter, as in the AWS "Exponential Backoff and Jitter" article.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum JitterKind {
    /// The plain exponential delay.
    #[default]
    None,
    /// Uniform in [0, delay].
    Full,
    /// Half the delay plus uniform up to the other half.
    Equal,
    /// Uniform in [base, 3 × previous delay], capped.
    Decorrelated,
}

/// A retry budget (Finagle/Envoy style): retries ≤ ratio × requests + min_per_s × seconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryBudget {
    /// Retries allowed per original request (0.1 = 10%).
    pub ratio: f64,
    /// Retries allowed per second regardless of traffic (default 0).
    #[serde(default)]
    pub min_per_s: u32,
    /// Most retries saved up (default 100).
    #[serde(default)]
    pub max_saved: Option<u32>,
}

/// A per-tenant rate limit with tiers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Which limiter from src/algo/limiter.
    pub algorithm: LimitAlgorithm,
    /// The window each tier's `max` applies to (for TokenBucket/Gcra: `max`
    /// per `window`, with bursts of `max`).
    pub window: Duration,
    /// Tiers, in tenant popularity order: the first tier's share of tenants
    /// are the most active ones (list enterprise first to give the biggest
    /// tenants the largest limit).
    pub tiers: Vec<RateTier>,
    /// The `Cache` node (Redis) that holds the limiter's counters: every
    /// check is one round trip there that holds one of its `concurrency`
    /// servers for the check's commands, each a draw of its `latency`, in
    /// line with the cache reads (SortedSetLog and SlidingLog 4:
    /// ZREMRANGEBYSCORE, ZADD, ZCARD, EXPIRE in one MULTI or script;
    /// SlidingCounter 3: INCR, EXPIRE, GET; TokenBucket 3: HMGET, HSET,
    /// EXPIRE in a script; Gcra 2: GET, SET in a script). The request waits
    /// for the answer. Default: none (the check takes no time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redis: Option<String>,
}

/// A rate-limit algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum LimitAlgorithm {
    /// Sliding-window log (exact; a timestamp per admitted request).
    SlidingLog,
    /// Sliding-window log as Redis sorted-set code writes it (`ZADD` before
    /// `ZCARD`): rejected requests enter the window too, so a client that
    /// keeps retrying over the limit stays blocked.
    SortedSetLog,
    /// Sliding-window counter (two fixed windows, weighted).
    SlidingCounter,
    /// Token bucket.
    TokenBucket,
    /// Generic cell rate algorithm.
    Gcra,
}

/// One rate-limit tier.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateTier {
    /// Its name in reports ("free", "pro"...).
    pub name: String,
    /// Share of tenants in this tier (shares add up to 1).
    pub share: f64,
    /// Requests per tenant per window.
    pub max: u32,
}

/// A time-varying multiplier on the base arrival rate.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub enum Pattern {
    /// The base rate throughout.
    #[default]
    Constant,
    /// A daily cycle: the rate starts at its trough (base / peak) and reaches
    /// the base rate half a period later.
    Diurnal {
        /// Ratio of the peak rate to the trough rate (>= 1).
        peak: f64,
        /// Length of one cycle (default 24h).
        #[serde(default)]
        period: Option<Duration>,
    },
    /// The base rate, multiplied by `factor` from `at` for `for`.
    Spike {
        /// When the spike starts.
        at: Duration,
        /// Multiplier during the spike.
        factor: f64,
        /// How long it lasts.
        #[serde(rename = "for")]
        length: Duration,
    },
    /// Piecewise constant: each step sets the factor from its time on (1 before the first).
    Steps(Vec<RateStep>),
    /// A recorded rate: a CSV of `time` (seconds) and `rps`, and/or one
    /// column per endpoint; the factor at each time is the recorded rate,
    /// so with `users × rps_per_user = 1` the run offers the recording.
    Trace {
        /// The CSV file, relative to the scenario file's directory.
        file: String,
    },
}

/// Where arrivals come from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub enum ArrivalProcess {
    /// A Poisson process at `users × rps_per_user × pattern`.
    #[default]
    Poisson,
    /// A recorded request log, re-issued request by request.
    Replay {
        /// CSV or JSON Lines (`.jsonl`): timestamp, endpoint, and optionally
        /// tenant, user, key (other columns are ignored); relative to the
        /// scenario file's directory.
        file: String,
        /// Time compression: 2 replays twice as fast (default 1).
        #[serde(default = "unit_factor")]
        speed: f64,
        /// Load multiplier keeping the shape (default 1): whole copies
        /// shifted in time plus thinning for the fraction.
        #[serde(default = "unit_factor")]
        scale: f64,
    },
}

fn unit_factor() -> f64 {
    1.0
}

/// One change of a [`Pattern::Steps`] pattern.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateStep {
    /// When the factor takes effect.
    pub at: Duration,
    /// Multiplier from then on.
    pub factor: f64,
}

/// How the user ladder sizes each stage's populations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ladder {
    /// Tenants and keys grow in proportion to the stage's users (rounded,
    /// at least 1) from the counts declared at `workload.users` (default
    /// true); false keeps the declared counts at every stage. A database's
    /// `data_size` grows with the keys (each key keeps its pages).
    #[serde(default = "yes")]
    pub scale_populations: bool,
    /// Per stage name, counts that replace the scaled (or declared) ones,
    /// e.g. `{ "1M": (tenants: 5000) }`.
    #[serde(default, deserialize_with = "unique::map")]
    pub populations: BTreeMap<String, StagePopulation>,
    /// Where an autoscaled deployment starts each stage (default `Settled`).
    #[serde(default)]
    pub start: LadderStart,
}

/// Where each stage's autoscaled deployments start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum LadderStart {
    /// At the replica count their HPA settles at for the stage's load: a
    /// pilot run at `max` replicas measures each HPA metric per unit of
    /// load, and the HPA's rule desired = ceil(current x metric / target)
    /// (10% tolerance, within min and max) is iterated to its fixed point.
    #[default]
    Settled,
    /// At `replicas`, as written: the stage measures the HPA climbing.
    Cold,
}

/// A stage's own population counts (each absent: the ladder's rule).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StagePopulation {
    /// Tenants at this stage (needs `workload.tenants`).
    #[serde(default)]
    pub tenants: Option<u64>,
    /// Keys at this stage (needs `workload.keys`).
    #[serde(default)]
    pub keys: Option<u64>,
}

/// A set of identities (tenants, keys) with a popularity law.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Population {
    /// How many there are.
    pub count: u64,
    /// How requests spread over them.
    #[serde(default)]
    pub popularity: Popularity,
}

/// How requests spread over a population.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub enum Popularity {
    /// Every member equally likely.
    #[default]
    Uniform,
    /// The k-th most popular member has weight 1/k^s.
    Zipf(f64),
}

/// Network latency settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// Round-trip latency added to every call from one component to another
    /// (into a load balancer, from a pod to the database). Default: none.
    #[serde(default)]
    pub hop: Option<Dist>,
}

/// A named distribution of durations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub enum Dist {
    /// Always this value.
    Const(Duration),
    /// Exponential with this mean.
    Exp(Duration),
    /// Lognormal through the given median and 99th percentile.
    Lognormal {
        /// The 50th percentile.
        median: Duration,
        /// The 99th percentile.
        p99: Duration,
    },
    /// Uniform between the two bounds.
    Uniform(Duration, Duration),
    /// Discrete: each value with its relative weight.
    Empirical(Vec<(Duration, f64)>),
    /// Unknown until measured: `scaletwin calibrate` replaces it with a
    /// distribution fitted to observations (a scenario with `Fit` cannot run).
    Fit,
}

/// Load-balancing strategy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Strategy {
    /// Each backend in turn.
    #[default]
    RoundRobin,
    /// A uniformly random backend.
    Random,
    /// The backend with the fewest requests in flight.
    LeastConnections,
    /// Smooth weighted round robin over the targets' weights.
    Weighted,
    /// The less loaded of two random backends.
    PowerOfTwoChoices,
}

/// One part of the architecture.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
// A parsed file holds few components; boxing the Deployment's optional parts would only add noise.
#[allow(clippy::large_enum_variant)]
pub enum Component {
    /// Spreads requests over the pods of one or more deployments.
    LoadBalancer(LoadBalancer),
    /// A set of identical pods, each with worker slots and a FIFO queue.
    Deployment(Deployment),
    /// A database server: a number of connections, each serving one query at a time.
    Database(Database),
    /// A job queue worked by a pool of worker slots.
    Queue(Queue),
    /// A shared cache server (Redis-like): the named tier of `CacheAside` steps.
    Cache(Cache),
    /// A CDN: edge caches in front of the origin, keyed by (endpoint, key).
    Cdn(Cdn),
    /// An external dependency (a third-party API, another team's service).
    Dependency(Dependency),
}

/// Spreads requests over the pods of one or more deployments.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancer {
    /// Unique name.
    pub name: String,
    /// How a pod is chosen.
    #[serde(default)]
    pub strategy: Strategy,
    /// Deployment name -> weight (weights matter to `Weighted`).
    #[serde(deserialize_with = "unique::map")]
    pub targets: BTreeMap<String, u32>,
    /// Per-tenant rate limit applied before a pod is chosen; rejected
    /// requests fail with "rate_limited" (HTTP 429). Default: none.
    #[serde(default)]
    pub rate_limit: Option<RateLimit>,
}

/// A set of identical pods, each with worker slots and a FIFO queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    /// Unique name.
    pub name: String,
    /// Number of pods.
    pub replicas: u32,
    /// Requests one pod works on at once (worker slots).
    pub concurrency: u32,
    /// Longest wait queue per pod; a request arriving to a full queue fails
    /// with "queue full". Default: unbounded.
    #[serde(default)]
    pub queue_limit: Option<u32>,
    /// The database this service's `DbRead`/`DbWrite` steps use
    /// (default: the only database).
    #[serde(default)]
    pub database: Option<String>,
    /// Load shedding: a request that waited longer than this in a pod's
    /// queue is dropped when a worker would take it ("load_shed" error),
    /// so no work is spent on clients that have likely given up. Default: off.
    #[serde(default)]
    pub shed_after: Option<Duration>,
    /// The region its pods run in (default: none, no round trips charged).
    #[serde(default)]
    pub region: Option<String>,
    /// An in-process cache in every pod (cold on a new pod), the `L1` tier
    /// of `CacheAside` and `Invalidate` steps.
    #[serde(default)]
    pub l1: Option<L1>,
    /// A connection pool in every pod, in front of the database.
    #[serde(default)]
    pub pool: Option<Pool>,
    /// Horizontal pod autoscaler (`replicas` is then the starting count).
    #[serde(default)]
    pub hpa: Option<Hpa>,
    /// Time from scheduling a pod to it being ready for traffic (default 0).
    #[serde(default)]
    pub startup: Option<Duration>,
    /// Resource requests and the memory model of one pod.
    #[serde(default)]
    pub resources: Option<PodResources>,
    /// The nodes pods are packed onto (default: none modelled).
    #[serde(default)]
    pub nodes: Option<Nodes>,
    /// PodDisruptionBudget `minAvailable`: voluntary evictions through the
    /// eviction API (the drain of a spot node under notice) never take the
    /// ready pods below this. The HPA ignores it, as in Kubernetes.
    #[serde(default)]
    pub min_available: Option<u32>,
    /// Instance size one pod runs on, priced from the price table
    /// (default: the table's `default_instance`). With `nodes`, the
    /// instance type of those nodes: the bill is then their node-hours.
    #[serde(default)]
    pub instance: Option<String>,
    /// Share of pod-hours on spot capacity (0..1, default 0).
    #[serde(default)]
    pub spot: Option<f64>,
    /// Hours this deployment is switched off (cost only).
    #[serde(default)]
    pub schedule: Option<super::Schedule>,
    /// Availability zones its pods (and nodes) are spread over, as a
    /// topology spread constraint with maxSkew 1 would: each new pod goes
    /// to the up zone with the fewest pods. Default: none.
    #[serde(default)]
    pub zones: Option<Vec<String>>,
    /// The kubelet's readiness and liveness probes of its pods. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probes: Option<Probes>,
}

/// The kubelet's probes of a deployment's pods. On the shared port a probe
/// is a request to the pod that waits for a worker slot behind real work
/// (and computes `cost` with the CPU model); it fails when it has no
/// answer within its timeout. Readiness failures take the pod out of its
/// balancers' targets until it passes again; liveness failures restart
/// its container in place.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Probes {
    /// Readiness probe: after `failure_threshold` failures in a row the pod
    /// leaves the balancers' targets (it finishes what it holds) until
    /// `success_threshold` passes in a row. Default: none.
    #[serde(default)]
    pub readiness: Option<Probe>,
    /// Liveness probe: after `failure_threshold` failures in a row the
    /// container restarts in place (its requests fail, start-up again,
    /// cold L1, the CrashLoopBackOff of OOM kills). Default: none.
    #[serde(default)]
    pub liveness: Option<Probe>,
    /// Where probes are answered (default `Shared`: by the worker slots).
    #[serde(default)]
    pub port: ProbePort,
    /// CPU time the probe handler computes on the pod's processors (needs
    /// the deployment's CPU model and the shared port). Default "1ms".
    #[serde(default)]
    pub cost: Option<Duration>,
}

/// One probe's timing, as Kubernetes writes it (`periodSeconds`, ...).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Probe {
    /// Time between probes (default "10s", at least "1s"); a probe still waiting when the
    /// next is due delays it until its answer or its timeout.
    #[serde(default)]
    pub period: Option<Duration>,
    /// A probe without an answer after this long fails (default "1s").
    #[serde(default)]
    pub timeout: Option<Duration>,
    /// Failures in a row that make the probe fail (default 3).
    #[serde(default)]
    pub failure_threshold: Option<u32>,
    /// Passes in a row that make a failed probe pass (default 1; must be
    /// 1 for liveness, as in Kubernetes).
    #[serde(default)]
    pub success_threshold: Option<u32>,
    /// Time after the container starts before the first probe (default "0s").
    #[serde(default)]
    pub initial_delay: Option<Duration>,
}

/// Where a pod answers its probes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ProbePort {
    /// The port the requests use: a probe waits for a worker slot.
    #[default]
    Shared,
    /// A port and thread of their own: probes pass while the process lives.
    Separate,
}

/// A database server: a number of connections, each serving one query at a time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Database {
    /// Unique name.
    pub name: String,
    /// Queries served at once.
    pub connections: u32,
    /// Longest wait queue; beyond it a query fails with "queue full". Default: unbounded.
    #[serde(default)]
    pub queue_limit: Option<u32>,
    /// Regions holding a copy (each with `connections`): reads go to the
    /// copy nearest the caller, writes to the copy in the primary region
    /// (or the first listed). Default: none, no round trips charged.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Read replicas (default 0), each with its own connections.
    #[serde(default)]
    pub replicas: u32,
    /// Connections of each replica (default: `connections`).
    #[serde(default)]
    pub replica_connections: Option<u32>,
    /// Where reads go when there are replicas (default `RoundRobin` over the replicas).
    #[serde(default)]
    pub reads: ReadRouting,
    /// Delay before a replica applies a write, drawn per write and replica (default: none).
    #[serde(default)]
    pub replication_lag: Option<Dist>,
    /// Delay before each regional copy (and so its replicas) applies a write
    /// committed in the primary region, drawn per write and copy. Default:
    /// the one-way network delay, half the round trip between the two regions.
    /// Needs copies in two or more `regions`.
    #[serde(default)]
    pub cross_region_lag: Option<Dist>,
    /// After a user's write, that user's reads go to the primary (crossing
    /// to the primary region if need be, like a replica-lag cookie) for this long.
    #[serde(default)]
    pub read_your_writes: Option<Duration>,
    /// Most server connections the database accepts; opening one more fails
    /// the query with "too many connections". Default: unlimited.
    #[serde(default)]
    pub max_connections: Option<u32>,
    /// A PgBouncer-style pooler in transaction mode in front of the database.
    #[serde(default)]
    pub pgbouncer: Option<Bouncer>,
    /// Split the data over shards, each a primary with its own replicas.
    #[serde(default)]
    pub shards: Option<Shards>,
    /// Managed database class, priced from the price table
    /// (default: the table's `default_database`). Every primary (each
    /// shard's, in each region) is billed as one node of this class.
    #[serde(default)]
    pub class: Option<String>,
    /// Class each read replica is billed as (default: `class`).
    #[serde(default)]
    pub replica_class: Option<String>,
    /// The class sets the capacity (default false: only the price): each
    /// node's queries share its class's vCPUs (a query's time is CPU work,
    /// processor sharing, one vCPU at most per query), every primary with
    /// `class`'s, every replica with `replica_class`'s, and
    /// `max_connections` defaults from the primary class's memory as RDS
    /// PostgreSQL computes it. The class needs vCPUs and memory in the
    /// price table (`prices.database_classes` for one of your own).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sized_by_class: bool,
    /// The data it holds (`"100Gi"`), spread evenly over `workload.keys`:
    /// each node then caches pages in a buffer cache sized from its class's
    /// memory (needs `sized_by_class`), hits as an LRU of that size does by
    /// Che's approximation over the keys' popularity, and a query that
    /// misses first reads a page from its storage volume (`storage`).
    /// Default: none, every query served from memory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_size: Option<units::Size>,
    /// The pages, buffer cache and volume behind `data_size` (default: 8Ki
    /// pages, 75% of memory caching them, a gp3 volume at its baseline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<Storage>,
}

/// A database's pages, buffer cache and storage volume (with `data_size`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    /// Page size (default `"8Ki"`, PostgreSQL's block).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<units::Size>,
    /// Share of the class's memory that caches pages: shared_buffers and
    /// the OS page cache together, PostgreSQL's `effective_cache_size`
    /// (default 0.75, as RDS's and PostgreSQL's tuning guides set it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_share: Option<f64>,
    /// The volume type (default `Gp3`).
    #[serde(default)]
    pub volume: VolumeType,
    /// Provisioned IOPS of each node's volume. gp3: default and at least
    /// the baseline (3,000 IOPS, 12,000 from 400 GiB as RDS stripes it),
    /// IOPS above it billed; io2: required, all billed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iops: Option<u32>,
    /// Throughput of each node's volume per second (`"125Mi"`). gp3:
    /// default and at least the baseline (125 MiB/s, 500 from 400 GiB),
    /// more billed; io2: default 4,000 MiB/s, included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<units::Size>,
    /// Time of one page read once the volume starts it (default gp3
    /// `Lognormal(median: "0.6ms", p99: "2ms")`, io2
    /// `Lognormal(median: "0.3ms", p99: "1ms")`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_latency: Option<Dist>,
}

/// An EBS volume type, as RDS offers them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum VolumeType {
    /// General purpose SSD: a baseline of IOPS and throughput included,
    /// more provisioned at a price.
    #[default]
    Gp3,
    /// Provisioned IOPS SSD: every IOPS provisioned and billed.
    Io2,
}

/// A job queue: jobs wait in FIFO order for one of `workers × concurrency`
/// worker slots, run, and on failure are retried with backoff until their
/// attempts run out, when they are dead-lettered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Queue {
    /// Unique name.
    pub name: String,
    /// Worker processes (a fixed count), or give `deployment`.
    #[serde(default)]
    pub workers: Option<u32>,
    /// The Deployment whose pods are the workers (one worker per READY
    /// pod at each moment, so its HPA moves the worker count; removed pods
    /// drain their jobs, killed pods lose them as failed attempts; running
    /// jobs count as busy CPU; its slowdowns slow the jobs). Give this or `workers`.
    #[serde(default)]
    pub deployment: Option<String>,
    /// Jobs one worker runs at once (default 1).
    #[serde(default = "one")]
    pub concurrency: u32,
    /// Caps how fast jobs start (a GCRA limiter). Default: no limit.
    #[serde(default)]
    pub rate_limit: Option<JobRateLimit>,
    /// Attempts per job, the first included (default 1: never retry).
    #[serde(default = "one")]
    pub attempts: u32,
    /// Delay before each retry (default: 1s base, doubling, 5m cap, full jitter).
    #[serde(default)]
    pub backoff: Option<JobBackoff>,
    /// Chance that one attempt fails (0 to 1, default 0).
    #[serde(default)]
    pub failure_probability: f64,
    /// Jobs enqueued on a timer (cron-like), besides those from `Enqueue` steps.
    #[serde(default)]
    pub schedules: Vec<JobSchedule>,
    /// A BullMQ-style queue kept on a Redis node of this cache class
    /// (billed per node-hour). Default: a managed queue billed per request
    /// (a send, a receive and a delete per message).
    #[serde(default)]
    pub redis_node: Option<String>,
    /// BullMQ's `lockDuration` (its default is 30s): a worker holds a lock
    /// on its job, renewed every half of it while the worker lives. When a
    /// worker pod dies under a job, the job is seen as stalled only when
    /// its lock expires (the last renewal + `lock_duration`), and then goes
    /// back to the wait list at once (no backoff, no attempt used); its
    /// `max_stalled_count + 1`th stall fails it for good (dead-lettered).
    /// Needs `deployment` workers. Default: not modelled, a killed pod's
    /// jobs fail at once and are retried per `attempts` and `backoff`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_duration: Option<Duration>,
    /// BullMQ's `maxStalledCount` (default 1): stalls a job survives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_stalled_count: Option<u32>,
    /// BullMQ's `stalledInterval` (its default is 30s): the stalled-job
    /// check runs on this timer (at 0, every interval after), not at the
    /// moment a lock expires. A job is found stalled at the first check
    /// that sees its lock gone after an earlier check marked it active.
    /// Needs `lock_duration`. Default: a job is found at its lock's expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stalled_interval: Option<Duration>,
    /// Whether a live worker renews its jobs' locks (every half
    /// `lock_duration`; BullMQ does, default true). `false` is a worker
    /// whose event loop is blocked by its job (CPU-bound work in Node.js):
    /// a run longer than `lock_duration` loses its lock while it runs, is
    /// found stalled and runs again on a free worker; the first run goes on
    /// to its end, and its completion is refused (a lost run: its work is
    /// done twice). Needs `lock_duration`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_renewal: Option<bool>,
    /// The `Cache` node (Redis) the queue lives on: each BullMQ operation
    /// is a Lua script that holds one of its servers for its commands, each
    /// a draw of the cache's latency, in line with cache reads: adding a
    /// job 8 commands (the `Enqueue` step waits for it), a worker taking
    /// one 8 (moveToActive), finishing one 14 (moveToFinished; 13 for a
    /// failure), and each lock renewal 3 (every half `lock_duration`, or
    /// 15s, BullMQ's default lock of 30s). The worker side does not wait
    /// for its commands. Default: none (queue operations take no time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redis: Option<String>,
}

/// A shared cache server (Redis-like): the named tier of `CacheAside` steps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cache {
    /// Unique name.
    pub name: String,
    /// Most entries (LRU eviction). Default: unlimited (a TTL-only cache).
    #[serde(default)]
    pub capacity: Option<u64>,
    /// Time to live of an entry. Default: none.
    #[serde(default)]
    pub ttl: Option<Duration>,
    /// Time one operation takes on the server.
    pub latency: Dist,
    /// Operations served at once; more wait in line.
    pub concurrency: u32,
    /// Node class it is billed as, from the price table's cache nodes
    /// (default: the table's `default_cache_node`).
    #[serde(default)]
    pub node: Option<String>,
    /// Size of one cached value with its key (`"2Ki"`): the cache then
    /// holds at most as many entries as its node's memory allows
    /// (maxmemory over item size + Redis's per-entry overhead), and a
    /// larger `capacity` is capped. Default: capacity alone bounds it.
    #[serde(default)]
    pub item_size: Option<units::Size>,
}

/// A CDN: edge caches in front of the origin, keyed by (endpoint, key).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cdn {
    /// Unique name.
    pub name: String,
    /// Most objects held at the edge.
    pub capacity: u64,
    /// How long a response stays fresh (s-maxage).
    pub ttl: Duration,
    /// How long after `ttl` a stale copy is still served while one
    /// background request refreshes it (default 0).
    #[serde(default)]
    pub stale_while_revalidate: Duration,
    /// Latency of the edge itself (client to edge and back).
    pub latency: Dist,
    /// Size of one response in bytes, for the byte counters (default 0).
    #[serde(default)]
    pub response_bytes: u64,
    /// With `regions`: the regions that have a point of presence (PoP),
    /// each with its own edge cache of `capacity`. Default: every region.
    /// A user in a region without a PoP (or whose PoP's region is down)
    /// uses the nearest PoP and pays the round trip to it.
    #[serde(default)]
    pub pops: Vec<String>,
    /// Content classes: endpoints whose responses are cached by rules of
    /// their own (e.g. fingerprinted static assets kept a year, API
    /// responses with a short s-maxage). An endpoint in no class uses the
    /// fields above. Default: none.
    #[serde(default)]
    pub classes: Vec<CdnClass>,
}

/// A CDN content class: what a request through one of its endpoints asks
/// the edge for, and how long the answer stays there (Cache-Control).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CdnClass {
    /// Unique name within the CDN (reported per class).
    pub name: String,
    /// The endpoints whose `Cdn` step of this CDN uses the class.
    pub used_by: Vec<String>,
    /// The class's own objects and their popularity (e.g. 20,000
    /// fingerprinted assets): each request asks for one of them, drawn on
    /// its own stream, and carries it as its key. Default: the request's
    /// data key (one response per endpoint and key, as for API responses).
    #[serde(default)]
    pub objects: Option<Population>,
    /// How long an object stays fresh (s-maxage; `"365d"` for immutable,
    /// fingerprinted assets).
    pub ttl: Duration,
    /// How long after `ttl` a stale copy is still served while one
    /// background request revalidates it (default 0).
    #[serde(default)]
    pub stale_while_revalidate: Duration,
    /// Size of one response in bytes (default 0).
    #[serde(default)]
    pub response_bytes: u64,
    /// Most objects of this class held at each PoP, apart from the other
    /// classes (default: the CDN's `capacity`).
    #[serde(default)]
    pub capacity: Option<u64>,
}

/// An external dependency (a third-party API, another team's service):
/// pure latency and an error probability, optionally behind a circuit
/// breaker and with retries. It holds nothing of ours but the caller's slot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dependency {
    /// Unique name.
    pub name: String,
    /// How long one call takes.
    pub latency: Dist,
    /// Probability that a call fails (0 to 1, default 0).
    #[serde(default)]
    pub error_rate: f64,
    /// The caller gives up on a call after this long (a failure). Default: never.
    #[serde(default)]
    pub timeout: Option<Duration>,
    /// A circuit breaker around the calls. Default: none.
    #[serde(default)]
    pub breaker: Option<BreakerSettings>,
    /// Retries of a failed call, with backoff. Default: none.
    #[serde(default)]
    pub retries: Option<DependencyRetries>,
}

/// Circuit breaker settings (src/algo/breaker).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakerSettings {
    /// Consecutive failures that open the breaker.
    pub failure_threshold: u32,
    /// How long it stays open before letting probes through.
    pub reset_timeout: Duration,
    /// Probe calls allowed while half-open (default 1).
    #[serde(default)]
    pub half_open_max_calls: Option<u32>,
    /// What closes a half-open breaker (default AllProbes); any failed probe reopens it.
    #[serde(default)]
    pub close_on: CloseRule,
}

/// What closes a half-open circuit breaker.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum CloseRule {
    /// Every one of the `half_open_max_calls` probes must succeed.
    #[default]
    AllProbes,
    /// The first successful probe closes it (the seed material's breaker).
    FirstSuccess,
}

/// Retries of a failed dependency call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DependencyRetries {
    /// Total calls, the first included (2 = one retry).
    pub attempts: u32,
    /// Delay before the first retry (doubling, capped at 10s).
    pub backoff: Duration,
    /// Jitter (default Full).
    #[serde(default = "full_jitter")]
    pub jitter: JitterKind,
}

fn full_jitter() -> JitterKind {
    JitterKind::Full
}

fn one() -> u32 {
    1
}

fn yes() -> bool {
    true
}

/// A limit on job starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobRateLimit {
    /// Jobs started per second at most, on average.
    pub per_second: f64,
    /// Jobs that may start back to back after an idle spell (default 1).
    #[serde(default = "one")]
    pub burst: u32,
}

/// Retry delays of a job queue (src/algo/backoff).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobBackoff {
    /// Delay before the first retry, before jitter.
    pub base: Duration,
    /// Growth per retry (default 2).
    #[serde(default = "two")]
    pub multiplier: f64,
    /// Longest delay (default 5m).
    #[serde(default)]
    pub cap: Option<Duration>,
    /// Randomisation of the delay (default Full).
    #[serde(default = "full_jitter")]
    pub jitter: JitterKind,
}

fn two() -> f64 {
    2.0
}

/// A repeating job: give `every` or `at`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobSchedule {
    /// Period: one job at `every`, `2 × every`, ...
    #[serde(default)]
    pub every: Option<Duration>,
    /// Times of day, "HH:MM" or "HH:MM:SS" (cron `M H * * *`): one job at
    /// each, every day; the run starts at 00:00.
    #[serde(default)]
    pub at: Vec<String>,
    /// How long one run of the job works.
    pub work: Dist,
    /// Its jobs' priority: higher first, FIFO within a priority (default 0).
    #[serde(default)]
    pub priority: u32,
}

/// A per-pod in-process cache.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct L1 {
    /// Most entries per pod (LRU eviction).
    pub capacity: u64,
    /// Time to live of an entry. Default: none.
    #[serde(default)]
    pub ttl: Option<Duration>,
    /// How long an `Invalidate` takes to reach the other pods (pub/sub delay). Default: 0.
    #[serde(default)]
    pub propagation: Duration,
    /// Memory one entry takes in the pod (`"2Ki"`), counted in the pod's
    /// memory (OOM kills, the HPA memory metric). Default: none counted.
    #[serde(default)]
    pub item_size: Option<units::Size>,
}

/// A per-pod connection pool.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pool {
    /// Connections opened at start and kept open.
    #[serde(default)]
    pub min: u32,
    /// Most connections per pod.
    pub max: u32,
    /// A query waiting longer than this for a connection fails with "pool timeout".
    pub acquire_timeout: Duration,
    /// PostgreSQL's `statement_timeout` on the pool's connections: a query
    /// still running this long after it started on a database connection
    /// is cancelled there; it fails with "statement_timeout" and frees its
    /// database connection and pool connection at the cancel. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement_timeout: Option<Duration>,
    /// HikariCP's `idleTimeout`: a connection above `min` left idle this long
    /// is closed; a later query that needs it opens a new one and pays
    /// `connect_time` first. Default: never closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_timeout: Option<Duration>,
    /// Time to open a connection (TCP, TLS and authentication) that a
    /// query pays before it runs when the pool opens one for it
    /// (default 0; a PostgreSQL connection typically takes 5-20ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_time: Option<Duration>,
}

/// A shared transaction-mode pooler (PgBouncer).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bouncer {
    /// Server connections it opens to the database (per shard); clients wait for one.
    pub pool_size: u32,
    /// Instance size its host is billed as, one per regional copy
    /// (default: the price table's `default_bouncer_instance`).
    #[serde(default)]
    pub instance: Option<String>,
}

/// How a database is split into shards.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Shards {
    /// Number of shards.
    pub count: u32,
    /// Virtual nodes per shard on the consistent-hash ring (default 100).
    #[serde(default = "default_vnodes")]
    pub vnodes: u32,
    /// What a row is placed by.
    pub by: ShardKey,
    /// How keys map to shards (default Ring).
    #[serde(default)]
    pub layout: ShardLayout,
    /// The hash of the tenant or key id that the layout routes by (default XxHash64).
    #[serde(default)]
    pub hash: ShardHash,
}

/// The hash a sharded database routes key ids by (src/algo/keyhash).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ShardHash {
    /// xxHash64 of the id's 8 little-endian bytes.
    #[default]
    XxHash64,
    /// MD5 of the id written in decimal (tenant 42 -> `md5("42")`); with
    /// `layout: Ranges` the shard is picked by `md5(key)[0]`.
    Md5,
}

/// How a sharded database maps keys to shards.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ShardLayout {
    /// A consistent-hash ring with `vnodes` virtual nodes per shard.
    #[default]
    Ring,
    /// Fixed ranges of the first byte of the key's digest, split evenly
    /// (at most 256 shards; `vnodes` does not apply).
    Ranges,
}

fn default_vnodes() -> u32 {
    100
}

/// The request attribute that picks a shard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ShardKey {
    /// The request's tenant.
    Tenant,
    /// The request's data key.
    Key,
}

/// Where reads go on a database with replicas.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ReadRouting {
    /// Each replica in turn.
    #[default]
    RoundRobin,
    /// The replica with the fewest queries in flight.
    LeastLoaded,
    /// Every read on the primary (replicas idle).
    Primary,
}

/// A cache tier: `L1` (the pod's own cache) or a `Cache` component's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tier {
    /// The in-process cache of the pod running the step.
    L1,
    /// A shared `Cache` component.
    Named(String),
}

impl Serialize for Tier {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // "L1" as text: it reads back as the L1 tier (a Cache may not take that name).
        match self {
            Tier::L1 => s.serialize_str("L1"),
            Tier::Named(n) => s.serialize_str(n),
        }
    }
}

impl JsonSchema for Tier {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Tier".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "minLength": 1,
            "description": "A cache tier: \"L1\" (the pod's own cache) or the name of a Cache component.",
        })
    }
}

impl<'de> Deserialize<'de> for Tier {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        /// Read through serde's buffered (untagged) path: RON hands a bare
        /// identifier to it as its text, so `L1`, `redis` and `"redis"` all
        /// arrive as strings and a mistyped identifier is not taken for `L1`.
        #[derive(Deserialize)]
        #[serde(untagged, expecting = "L1 or the name of a Cache component in quotes")]
        enum Text {
            Name(String),
        }
        let Text::Name(name) = Text::deserialize(d)?;
        Ok(if name == "L1" {
            Tier::L1
        } else {
            Tier::Named(name)
        })
    }
}

impl Component {
    /// The component's name.
    pub fn name(&self) -> &str {
        match self {
            Component::LoadBalancer(c) => &c.name,
            Component::Deployment(c) => &c.name,
            Component::Database(c) => &c.name,
            Component::Queue(c) => &c.name,
            Component::Cache(c) => &c.name,
            Component::Cdn(c) => &c.name,
            Component::Dependency(c) => &c.name,
        }
    }

    /// Which kind of component this is.
    pub fn component_kind(&self) -> ComponentKind {
        match self {
            Component::LoadBalancer(_) => ComponentKind::LoadBalancer,
            Component::Deployment(_) => ComponentKind::Deployment,
            Component::Database(_) => ComponentKind::Database,
            Component::Queue(_) => ComponentKind::Queue,
            Component::Cache(_) => ComponentKind::Cache,
            Component::Cdn(_) => ComponentKind::Cdn,
            Component::Dependency(_) => ComponentKind::Dependency,
        }
    }

    /// The kind, as written in the file.
    pub fn kind(&self) -> &'static str {
        self.component_kind().as_str()
    }
}

/// The kinds of [`Component`], without their fields: what a name must refer to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ComponentKind {
    /// [`Component::LoadBalancer`].
    LoadBalancer,
    /// [`Component::Deployment`].
    Deployment,
    /// [`Component::Database`].
    Database,
    /// [`Component::Queue`].
    Queue,
    /// [`Component::Cache`].
    Cache,
    /// [`Component::Cdn`].
    Cdn,
    /// [`Component::Dependency`].
    Dependency,
}

impl ComponentKind {
    /// The kind as written in the file (`"LoadBalancer"`).
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentKind::LoadBalancer => "LoadBalancer",
            ComponentKind::Deployment => "Deployment",
            ComponentKind::Database => "Database",
            ComponentKind::Queue => "Queue",
            ComponentKind::Cache => "Cache",
            ComponentKind::Cdn => "Cdn",
            ComponentKind::Dependency => "Dependency",
        }
    }

    /// The plural in messages: "LoadBalancers", "Dependencies".
    pub fn plural(self) -> &'static str {
        match self {
            ComponentKind::LoadBalancer => "LoadBalancers",
            ComponentKind::Deployment => "Deployments",
            ComponentKind::Database => "Databases",
            ComponentKind::Queue => "Queues",
            ComponentKind::Cache => "Caches",
            ComponentKind::Cdn => "Cdns",
            ComponentKind::Dependency => "Dependencies",
        }
    }
}

impl std::fmt::Display for ComponentKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One step of an endpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub enum Step {
    /// Go through a load balancer to a pod and hold one of its worker slots
    /// for the rest of the enclosing step list.
    Lb(String),
    /// CPU work on the current pod.
    Compute(Dist),
    /// A read query on the service's database.
    DbRead(Dist),
    /// A write query on the service's database.
    DbWrite(Dist),
    /// Pure latency that holds no resource of ours (e.g. a third-party call).
    Delay(Dist),
    /// Run another endpoint's steps here (service-to-service calls).
    Call(String),
    /// Look the request's key up at this CDN's edge: a hit is answered there
    /// (after the edge latency); a miss runs the rest of the step list (the
    /// origin path) and then stores the response at the edge. Needs
    /// `workload.keys`; must come before any `Lb` step of its list.
    Cdn(String),
    /// Call an external dependency (through its breaker, with its retries).
    /// If the call fails or the breaker is open, the `fallback` steps run
    /// instead (a degraded answer); without a fallback the request fails
    /// ("dependency_error" or "breaker_open").
    External {
        /// The Dependency's name.
        dependency: String,
        /// Steps that produce a degraded answer. Default: none.
        #[serde(default)]
        fallback: Vec<Step>,
    },
    /// Read the user's session from a `Cache` node (Redis), as
    /// connect-redis or a session middleware does: one GET, or with
    /// `write` a GET and a SET with the session's expiry (a changed or
    /// rolling session), run on one of its servers in line with cache
    /// reads, each command a draw of its latency. The request waits for
    /// the answer.
    Session {
        /// The Cache's name.
        cache: String,
        /// Also save the session back (SET with EX). Default: false.
        #[serde(default)]
        write: bool,
    },
    /// Put a job on a queue and go on at once: the client's request does not
    /// wait for the job (an HTTP 202).
    Enqueue {
        /// The Queue's name.
        queue: String,
        /// How long the job works once a worker takes it.
        work: Dist,
        /// Its priority on the queue: higher first, FIFO within a priority (default 0).
        #[serde(default)]
        priority: u32,
    },
    /// Read through cache tiers in order; a hit fills the tiers above it; a
    /// miss everywhere runs `on_miss` and then fills every tier.
    CacheAside {
        /// Tiers, nearest first: `L1` and/or `Cache` names.
        tiers: Vec<Tier>,
        /// What loads the value on a miss (e.g. a `DbRead`).
        on_miss: Vec<Step>,
        /// Concurrent misses for one key wait for the first one's load
        /// (request coalescing) instead of all loading. Default: false.
        #[serde(default)]
        coalesce: bool,
        /// Steps run each time a reply from a shared (`Cache`) tier comes
        /// back: after its lookup, hit or miss, and after the fill that
        /// follows a load (once per shared tier), as an async handler is
        /// polled again on its runtime thread after every await (e.g.
        /// `[Call("resume")]`, a wait for that thread). Default: none.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        after_round_trip: Vec<Step>,
    },
    /// Delete the request's key from these tiers: a shared cache and this pod's
    /// L1 at once, the other pods' L1 after the L1's propagation delay.
    Invalidate(Vec<Tier>),
    /// A read on every shard of the service's database; done when the slowest is.
    ScatterRead(Dist),
    /// Call another endpoint as a real client: a sub-request of its own (from
    /// the callee's entry, its limit and `Lb` included) that this request
    /// waits for, holding its worker slots. Past `timeout` the caller gives
    /// up ("call_timeout") while the callee's work runs on to its end (an
    /// orphan, its late answer discarded); a failed or timed-out attempt is
    /// retried as a new sub-request after a backoff; if it still fails the
    /// `fallback` steps run, or the request fails with the callee's cause.
    CallWith {
        /// The called endpoint's name.
        endpoint: String,
        /// How long the caller waits for one attempt. Default: no limit.
        #[serde(default)]
        timeout: Option<Duration>,
        /// Retries of a failed or timed-out attempt. Default: none.
        #[serde(default)]
        retries: Option<DependencyRetries>,
        /// Steps that give a degraded answer when the call fails. Default: none.
        #[serde(default)]
        fallback: Vec<Step>,
    },
    /// Run `calls` (each a `Call` or a `CallWith` without fallback) at once,
    /// each a sub-request as `CallWith` makes, and wait for all or the first
    /// success; the calls the request no longer waits for run on as orphans.
    /// If the fan-out fails (`All`: any call failed; `First`: every call
    /// failed) the `fallback` steps run, or the request fails.
    Parallel {
        /// What the request waits for. Default: `All`.
        #[serde(default)]
        wait: Wait,
        /// The calls, started together.
        calls: Vec<Step>,
        /// Steps that give a degraded answer when the fan-out fails. Default: none.
        #[serde(default)]
        fallback: Vec<Step>,
    },
}

/// What a `Parallel` step waits for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Wait {
    /// Every call's success (the slowest decides); the first failure fails
    /// the fan-out at once.
    #[default]
    All,
    /// The first success; it fails once every call has failed.
    First,
}

impl Step {
    /// The step lists nested in this step (fallbacks, loads, the calls of a
    /// `Parallel`).
    pub fn nested_lists(&self) -> Vec<&[Step]> {
        match self {
            Step::External { fallback, .. } | Step::CallWith { fallback, .. } => vec![fallback],
            Step::CacheAside {
                on_miss,
                after_round_trip,
                ..
            } => vec![on_miss, after_round_trip],
            Step::Parallel {
                calls, fallback, ..
            } => vec![calls, fallback],
            _ => Vec::new(),
        }
    }
}

/// A Deployment's HorizontalPodAutoscaler (autoscaling/v2), run every sync period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Hpa {
    /// `minReplicas`.
    pub min: u32,
    /// `maxReplicas`.
    pub max: u32,
    /// Target average CPU utilization in percent (busy worker time over
    /// capacity), a whole number as `averageUtilization` (70, not 0.7).
    /// Default 80 when no other metric is given.
    #[serde(default, deserialize_with = "units::percent")]
    pub cpu: Option<u32>,
    /// Target average memory utilization in percent of the memory request.
    #[serde(default, deserialize_with = "units::percent")]
    pub memory: Option<u32>,
    /// Target requests per second per pod (a Pods metric).
    #[serde(default)]
    pub rps: Option<f64>,
    /// Kubernetes `behavior`; absent: the controller's legacy rules.
    #[serde(default)]
    pub behavior: Option<HpaBehavior>,
    /// Controller sync period (default 15s).
    #[serde(default)]
    pub sync_period: Option<Duration>,
    /// Scale on a job queue's depth (an External metric with an AverageValue
    /// target, as KEDA's queue scalers do): replicas = ceil(depth / per_pod).
    #[serde(default)]
    pub queue: Option<HpaQueue>,
}

/// An HPA metric on a job queue's depth: the jobs waiting plus those running
/// (visible + in flight, as KEDA's SQS scaler counts), sampled at each sync.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HpaQueue {
    /// The `Queue` component's name.
    pub name: String,
    /// `target.averageValue`: jobs per pod.
    pub per_pod: f64,
}

/// `spec.behavior`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HpaBehavior {
    /// Scale-up rules (default: window 0, max(4 pods, 100 %) per 15 s).
    #[serde(default)]
    pub scale_up: Option<ScalingRules>,
    /// Scale-down rules (default: window 5m, 100 % per 15 s).
    #[serde(default)]
    pub scale_down: Option<ScalingRules>,
}

/// `HPAScalingRules` for one direction.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScalingRules {
    /// `stabilizationWindowSeconds` (whole seconds, at most 1h).
    #[serde(default)]
    pub stabilization_window: Option<Duration>,
    /// `selectPolicy` (default Max).
    #[serde(default)]
    pub select_policy: Option<SelectPolicy>,
    /// `policies`; empty: the direction's defaults.
    #[serde(default)]
    pub policies: Vec<ScalingPolicy>,
}

/// `selectPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SelectPolicy {
    /// The policy allowing the largest change.
    Max,
    /// The policy allowing the smallest change.
    Min,
    /// No scaling in this direction.
    Disabled,
}

/// One `HPAScalingPolicy`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub enum ScalingPolicy {
    /// At most `value` pods per `period`.
    Pods {
        /// Pods.
        value: u32,
        /// Period (whole seconds, at most 30m).
        period: Duration,
    },
    /// At most `value` percent of the current pods per `period`.
    Percent {
        /// Percent.
        value: u32,
        /// Period (whole seconds, at most 30m).
        period: Duration,
    },
}

/// What one pod requests, and how much memory it uses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = memory_alias)]
pub struct PodResources {
    /// CPU request in cores (default 1): `0.5`, or a Kubernetes quantity `"500m"`.
    #[serde(default, deserialize_with = "units::cores")]
    #[schemars(with = "Option<units::Cores>")]
    pub cpu: Option<f64>,
    /// Memory request in MiB (default 512): `512`, or a Kubernetes quantity
    /// `"512Mi"`, `"1Gi"`. Also written `memory`.
    #[serde(default, alias = "memory", deserialize_with = "units::mib")]
    #[schemars(with = "Option<units::Mebibytes>")]
    pub memory_mib: Option<f64>,
    /// Memory in use when idle, MiB or a quantity (default: half the request).
    #[serde(default, deserialize_with = "units::mib")]
    #[schemars(with = "Option<units::Mebibytes>")]
    pub base_memory_mib: Option<f64>,
    /// Extra memory per request in the pod (in service or queued), MiB or a
    /// quantity (default 1).
    #[serde(default, deserialize_with = "units::mib")]
    #[schemars(with = "Option<units::Mebibytes>")]
    pub per_request_mib: Option<f64>,
    /// Kubernetes `resources.requests`. A CPU request here (or any CPU
    /// limit) turns on the CPU model: `Compute` steps consume CPU time,
    /// shared by the requests computing on the pod, and the HPA's CPU
    /// utilization is CPU used over this request. (The older `cpu` field sets
    /// the request only, and pods keep the worker-slot model.)
    #[serde(default)]
    pub requests: Option<ResourceList>,
    /// Kubernetes `resources.limits`: `cpu` caps the cores the pod runs on
    /// and throttles it as the CFS quota does (limit x 100 ms per 100 ms
    /// period). `memory` turns on the OOM killer: a pod whose memory (idle
    /// footprint + per request in it + its L1's entries x `l1.item_size`)
    /// would pass the limit is OOM-killed (its requests fail) and restarted
    /// in place, with the kubelet's CrashLoopBackOff delay if it keeps dying.
    #[serde(default)]
    pub limits: Option<ResourceList>,
}

/// CPU and memory amounts, as in a Kubernetes `ResourceList`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceList {
    /// CPU in cores (`0.5`) or a Kubernetes quantity (`"500m"`).
    #[serde(default, deserialize_with = "units::cores")]
    #[schemars(with = "Option<units::Cores>")]
    pub cpu: Option<f64>,
    /// Memory in MiB (`512`) or a Kubernetes quantity (`"512Mi"`, `"1Gi"`).
    #[serde(default, deserialize_with = "units::mib")]
    #[schemars(with = "Option<units::Mebibytes>")]
    pub memory: Option<f64>,
}

/// The node pool a Deployment's pods run on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = memory_alias)]
pub struct Nodes {
    /// Allocatable CPU per node, cores (`2.0`) or a quantity (`"1930m"`).
    #[serde(deserialize_with = "units::cores_given")]
    #[schemars(with = "units::Cores")]
    pub cpu: f64,
    /// Allocatable memory per node, MiB or a quantity (`"7Gi"`). Also written `memory`.
    #[serde(alias = "memory", deserialize_with = "units::mib_given")]
    #[schemars(with = "units::Mebibytes")]
    pub memory_mib: f64,
    /// Share of nodes that are spot (0 to 1; default 0).
    #[serde(default)]
    pub spot_fraction: f64,
    /// Reclaims per spot node per hour (Poisson; default 0).
    #[serde(default)]
    pub reclaims_per_hour: f64,
    /// Termination notice before a reclaimed node goes (default 2m).
    #[serde(default)]
    pub notice: Option<Duration>,
}

/// Adds serde's `alias = "memory"` of `memory_mib` to a struct's schema
/// (schemars leaves aliases out): `memory` takes the same values, and at
/// most one of the two may be given (exactly one where `memory_mib` is
/// required), as serde refuses a field given twice.
fn memory_alias(schema: &mut schemars::Schema) {
    use serde_json::{json, Value};
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let Some(properties) = object.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    let Some(field) = properties.get("memory_mib").cloned() else {
        return;
    };
    properties.insert("memory".to_owned(), field);
    let required = match object.get_mut("required").and_then(Value::as_array_mut) {
        Some(list) => {
            let before = list.len();
            list.retain(|name| name != "memory_mib");
            list.len() != before
        }
        None => false,
    };
    if required {
        let one = json!([{ "required": ["memory_mib"] }, { "required": ["memory"] }]);
        object.insert("oneOf".to_owned(), one);
    } else {
        let not_both = json!({ "required": ["memory_mib", "memory"] });
        object.insert("not".to_owned(), not_both);
    }
}

/// Something that goes wrong at a given time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub enum Fault {
    /// See [`Slowdown`].
    Slowdown(Slowdown),
    /// See [`FailDependency`].
    FailDependency(FailDependency),
    /// See [`PurgeCdn`].
    PurgeCdn(PurgeCdn),
    /// See [`RegionDown`].
    RegionDown(RegionDown),
    /// See [`ReplicationLag`].
    ReplicationLag(ReplicationLag),
    /// See [`Failover`].
    Failover(Failover),
    /// See [`FlushCache`].
    FlushCache(FlushCache),
    /// See [`KillPods`].
    KillPods(KillPods),
    /// See [`ReclaimSpot`].
    ReclaimSpot(ReclaimSpot),
    /// See [`ZoneDown`].
    ZoneDown(ZoneDown),
    /// See [`Deploy`].
    Deploy(Deploy),
}

/// Every service time of a deployment's pods or a database's queries is
/// multiplied by `factor` from `at`, for `for` (default: to the end).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Slowdown {
    /// A Deployment or Database name.
    pub target: String,
    /// Multiplier on service times (> 0; 3.0 = three times slower).
    pub factor: f64,
    /// When it starts.
    pub at: Duration,
    /// How long it lasts.
    #[serde(default, rename = "for")]
    pub length: Option<Duration>,
}

/// A dependency's calls fail with probability `error_rate` from `at`, for
/// `for` (default: to the end). (`Slowdown` also accepts a Dependency.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FailDependency {
    /// The Dependency's name.
    pub dependency: String,
    /// Failure probability while the fault lasts (0 to 1).
    pub error_rate: f64,
    /// When it starts.
    pub at: Duration,
    /// How long it lasts.
    #[serde(default, rename = "for")]
    pub length: Option<Duration>,
}

/// Every object cached at a CDN's edge is purged at `at`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PurgeCdn {
    /// The Cdn's name.
    pub cdn: String,
    /// When.
    pub at: Duration,
}

/// A whole region goes dark: its pods and database copies stop serving
/// (requests there fail), load balancers send its users to the next
/// nearest region, and it comes back after `for` (default: never).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionDown {
    /// The region's name.
    pub region: String,
    /// When it goes down.
    pub at: Duration,
    /// How long it stays down.
    #[serde(default, rename = "for")]
    pub length: Option<Duration>,
}

/// Every replica of a database lags `extra` more, from `at` for `for`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplicationLag {
    /// A Database name.
    pub database: String,
    /// Added to every drawn replication lag.
    pub extra: Duration,
    /// When it starts.
    pub at: Duration,
    /// How long it lasts (default: to the end).
    #[serde(default, rename = "for")]
    pub length: Option<Duration>,
}

/// The primary fails and a replica is promoted: for `promotion`, every
/// query that needs the primary (writes, primary reads) fails with
/// "db failover"; then the promoted node serves as primary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Failover {
    /// A Database name.
    pub database: String,
    /// When the primary fails.
    pub at: Duration,
    /// How long promotion takes.
    pub promotion: Duration,
}

/// Every entry of a shared cache (or of every L1 of a deployment) is lost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FlushCache {
    /// A Cache or Deployment name.
    pub target: String,
    /// When.
    pub at: Duration,
}

/// `count` ready pods of a deployment die at once (involuntary); their
/// requests fail and the deployment schedules replacements.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KillPods {
    /// A Deployment name.
    pub deployment: String,
    /// Pods killed.
    pub count: u32,
    /// When.
    pub at: Duration,
}

/// Spot nodes get their termination notice at once: `count` nodes, or
/// `fraction` of the spot nodes (rounded up) when `count` is absent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReclaimSpot {
    /// A Deployment name (its node pool).
    pub deployment: String,
    /// Nodes reclaimed.
    #[serde(default)]
    pub count: Option<u32>,
    /// Share of spot nodes reclaimed (0 to 1).
    #[serde(default)]
    pub fraction: Option<f64>,
    /// When.
    pub at: Duration,
}

/// An availability zone goes dark: every pod (and node) of the
/// deployments spread over it dies at once, and no pod is placed there
/// until it comes back after `for` (default: never). Replacements go to
/// the surviving zones; running pods are not rebalanced afterwards.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ZoneDown {
    /// The zone's name (as in the Deployments' `zones`).
    pub zone: String,
    /// The region of the zone, needed when zones of that name exist in
    /// several regions (default: every Deployment with that zone).
    #[serde(default)]
    pub region: Option<String>,
    /// When it goes down.
    pub at: Duration,
    /// How long it stays down.
    #[serde(default, rename = "for")]
    pub length: Option<Duration>,
}

/// A rolling update of a deployment's pods, as the Kubernetes Deployment
/// controller runs one: new pods are created up to the desired replicas
/// plus `max_surge`, old pods are removed while the ready pods stay at or
/// above the desired replicas minus `max_unavailable`; a new pod counts as
/// available once ready (it pays the startup, with a cold L1 cache), an old
/// one drains. The desired count is the HPA's when it has one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Deploy {
    /// A Deployment name.
    pub deployment: String,
    /// When the rollout starts.
    pub at: Duration,
    /// Pods above the desired replicas during the rollout: a count or a
    /// percentage of the replicas, rounded up (default "25%").
    #[serde(default)]
    pub max_surge: Option<units::IntOrPercent>,
    /// Pods below the desired replicas that may be unavailable: a count or
    /// a percentage, rounded down (default "25%"); not both zero.
    #[serde(default)]
    pub max_unavailable: Option<units::IntOrPercent>,
}

impl Fault {
    /// When the fault starts.
    pub fn at(&self) -> Duration {
        match self {
            Fault::Slowdown(f) => f.at,
            Fault::FailDependency(f) => f.at,
            Fault::PurgeCdn(f) => f.at,
            Fault::RegionDown(f) => f.at,
            Fault::ReplicationLag(f) => f.at,
            Fault::Failover(f) => f.at,
            Fault::FlushCache(f) => f.at,
            Fault::KillPods(f) => f.at,
            Fault::ReclaimSpot(f) => f.at,
            Fault::ZoneDown(f) => f.at,
            Fault::Deploy(f) => f.at,
        }
    }
}
