//! What a user writes: the RON scenario format, as serde types.
//!
//! These types mirror the file one to one (`deny_unknown_fields` everywhere,
//! so a typo is an error, not a silently ignored field). Names are still
//! strings here; [`super::validate`] resolves them into the checked
//! [`crate::model::Model`].

use super::units::Duration;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A whole scenario file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    pub endpoints: BTreeMap<String, Vec<Step>>,
    /// Things that go wrong, on a timeline.
    #[serde(default)]
    pub faults: Vec<Fault>,
}

fn default_seed() -> u64 {
    1
}

/// Simulated time span and measurement settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
}

fn default_interval() -> Duration {
    Duration(crate::algo::Nanos::from_secs(10))
}

/// The offered load.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// Active users at the pattern's factor 1.
    pub users: f64,
    /// Requests per second each user sends.
    pub rps_per_user: f64,
    /// How the rate changes over time.
    #[serde(default)]
    pub pattern: Pattern,
    /// Tenants (organisations) and how unevenly they send traffic.
    #[serde(default)]
    pub tenants: Option<Population>,
    /// Data keys requests touch, and their popularity.
    #[serde(default)]
    pub keys: Option<Population>,
    /// Endpoint name -> relative weight.
    pub mix: BTreeMap<String, f64>,
    /// A client gives up after this long; the request counts as a timeout error.
    #[serde(default)]
    pub client_timeout: Option<Duration>,
}

/// A time-varying multiplier on the base arrival rate.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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
}

/// One change of a [`Pattern::Steps`] pattern.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateStep {
    /// When the factor takes effect.
    pub at: Duration,
    /// Multiplier from then on.
    pub factor: f64,
}

/// A set of identities (tenants, keys) with a popularity law.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Population {
    /// How many there are.
    pub count: u64,
    /// How requests spread over them.
    #[serde(default)]
    pub popularity: Popularity,
}

/// How requests spread over a population.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Popularity {
    /// Every member equally likely.
    #[default]
    Uniform,
    /// The k-th most popular member has weight 1/k^s.
    Zipf(f64),
}

/// Network latency settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// Round-trip latency added to every call from one component to another
    /// (into a load balancer, from a pod to the database). Default: none.
    #[serde(default)]
    pub hop: Option<Dist>,
}

/// A named distribution of durations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
}

/// Load-balancing strategy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Component {
    /// Spreads requests over the pods of one or more deployments.
    LoadBalancer {
        /// Unique name.
        name: String,
        /// How a pod is chosen.
        #[serde(default)]
        strategy: Strategy,
        /// Deployment name -> weight (weights matter to `Weighted`).
        targets: BTreeMap<String, u32>,
    },
    /// A set of identical pods, each with worker slots and a FIFO queue.
    Deployment {
        /// Unique name.
        name: String,
        /// Number of pods.
        replicas: u32,
        /// Requests one pod works on at once (worker slots).
        concurrency: u32,
        /// Longest wait queue per pod; a request arriving to a full queue fails
        /// with "queue full". Default: unbounded.
        #[serde(default)]
        queue_limit: Option<u32>,
        /// The database this service's `DbRead`/`DbWrite` steps use
        /// (default: the only database).
        #[serde(default)]
        database: Option<String>,
        /// An in-process cache in every pod (cold on a new pod), the `L1` tier
        /// of `CacheAside` and `Invalidate` steps.
        #[serde(default)]
        l1: Option<L1>,
        /// A connection pool in every pod, in front of the database.
        #[serde(default)]
        pool: Option<Pool>,
    },
    /// A database server: a number of connections, each serving one query at a time.
    Database {
        /// Unique name.
        name: String,
        /// Queries served at once.
        connections: u32,
        /// Longest wait queue; beyond it a query fails with "queue full". Default: unbounded.
        #[serde(default)]
        queue_limit: Option<u32>,
        /// Read replicas (default 0), each with its own connections.
        #[serde(default)]
        replicas: u32,
        /// Connections of each replica (default: `connections`).
        #[serde(default)]
        replica_connections: Option<u32>,
        /// Where reads go when there are replicas (default `RoundRobin` over the replicas).
        #[serde(default)]
        reads: ReadRouting,
        /// Delay before a replica applies a write, drawn per write and replica (default: none).
        #[serde(default)]
        replication_lag: Option<Dist>,
        /// After a user's write, that user's reads go to the primary for this long.
        #[serde(default)]
        read_your_writes: Option<Duration>,
        /// Most server connections the database accepts; opening one more fails
        /// the query with "too many connections". Default: unlimited.
        #[serde(default)]
        max_connections: Option<u32>,
        /// A PgBouncer-style pooler in transaction mode in front of the database.
        #[serde(default)]
        pgbouncer: Option<Bouncer>,
        /// Split the data over shards, each a primary with its own replicas.
        #[serde(default)]
        shards: Option<Shards>,
    },
    /// A shared cache server (Redis-like): the named tier of `CacheAside` steps.
    Cache {
        /// Unique name.
        name: String,
        /// Most entries (LRU eviction). Default: unlimited (a TTL-only cache).
        #[serde(default)]
        capacity: Option<u64>,
        /// Time to live of an entry. Default: none.
        #[serde(default)]
        ttl: Option<Duration>,
        /// Time one operation takes on the server.
        latency: Dist,
        /// Operations served at once; more wait in line.
        concurrency: u32,
    },
}

/// A per-pod in-process cache.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
}

/// A per-pod connection pool.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pool {
    /// Connections opened at start and kept open.
    #[serde(default)]
    pub min: u32,
    /// Most connections per pod.
    pub max: u32,
    /// A query waiting longer than this for a connection fails with "pool timeout".
    pub acquire_timeout: Duration,
}

/// A shared transaction-mode pooler (PgBouncer).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bouncer {
    /// Server connections it opens to the database (per shard); clients wait for one.
    pub pool_size: u32,
}

/// How a database is split into shards.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shards {
    /// Number of shards.
    pub count: u32,
    /// Virtual nodes per shard on the consistent-hash ring (default 100).
    #[serde(default = "default_vnodes")]
    pub vnodes: u32,
    /// What a row is placed by.
    pub by: ShardKey,
}

fn default_vnodes() -> u32 {
    100
}

/// The request attribute that picks a shard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShardKey {
    /// The request's tenant.
    Tenant,
    /// The request's data key.
    Key,
}

/// Where reads go on a database with replicas.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
        match self {
            Tier::L1 => s.serialize_unit_struct("L1"),
            Tier::Named(n) => s.serialize_str(n),
        }
    }
}

impl<'de> Deserialize<'de> for Tier {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Tier;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("L1 or the name of a Cache component in quotes")
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Tier, E> {
                Ok(Tier::L1)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Tier, E> {
                Ok(Tier::Named(v.to_owned()))
            }
        }
        d.deserialize_any(V)
    }
}

impl Component {
    /// The component's name.
    pub fn name(&self) -> &str {
        match self {
            Component::LoadBalancer { name, .. }
            | Component::Deployment { name, .. }
            | Component::Database { name, .. }
            | Component::Cache { name, .. } => name,
        }
    }

    /// The kind, as written in the file.
    pub fn kind(&self) -> &'static str {
        match self {
            Component::LoadBalancer { .. } => "LoadBalancer",
            Component::Deployment { .. } => "Deployment",
            Component::Database { .. } => "Database",
            Component::Cache { .. } => "Cache",
        }
    }
}

/// One step of an endpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    },
    /// Delete the request's key from these tiers: a shared cache and this pod's
    /// L1 at once, the other pods' L1 after the L1's propagation delay.
    Invalidate(Vec<Tier>),
    /// A read on every shard of the service's database; done when the slowest is.
    ScatterRead(Dist),
}

/// Something that goes wrong at a given time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Fault {
    /// Every service time of a deployment's pods or a database's queries is
    /// multiplied by `factor` from `at`, for `for` (default: to the end).
    Slowdown {
        /// A Deployment or Database name.
        target: String,
        /// Multiplier on service times (> 0; 3.0 = three times slower).
        factor: f64,
        /// When it starts.
        at: Duration,
        /// How long it lasts.
        #[serde(default, rename = "for")]
        length: Option<Duration>,
    },
    /// Every replica of a database lags `extra` more, from `at` for `for`.
    ReplicationLag {
        /// A Database name.
        database: String,
        /// Added to every drawn replication lag.
        extra: Duration,
        /// When it starts.
        at: Duration,
        /// How long it lasts (default: to the end).
        #[serde(default, rename = "for")]
        length: Option<Duration>,
    },
    /// The primary fails and a replica is promoted: for `promotion`, every
    /// query that needs the primary (writes, primary reads) fails with
    /// "db failover"; then the promoted node serves as primary.
    Failover {
        /// A Database name.
        database: String,
        /// When the primary fails.
        at: Duration,
        /// How long promotion takes.
        promotion: Duration,
    },
    /// Every entry of a shared cache (or of every L1 of a deployment) is lost.
    FlushCache {
        /// A Cache or Deployment name.
        target: String,
        /// When.
        at: Duration,
    },
}
