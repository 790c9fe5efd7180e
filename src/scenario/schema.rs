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
    /// The user ladder `scaletwin stages` walks: (stage name, active users).
    /// Default: 100, 1K, 10K, 100K, 1M.
    #[serde(default)]
    pub stages: Option<Vec<(String, f64)>>,
    /// The service-level objective each run is judged against.
    #[serde(default)]
    pub slo: Option<crate::cost::Slo>,
    /// Price table: a bundled table's name, with optional overrides.
    #[serde(default)]
    pub prices: Option<crate::cost::PriceSpec>,
    /// Hours the whole environment is switched off (e.g. a staging copy).
    #[serde(default)]
    pub schedule: Option<crate::cost::Schedule>,
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
    /// Independent replications (distinct seeds) behind every confidence
    /// interval of `stages`, `compare` and `sweep` (default 1).
    #[serde(default)]
    pub replications: Option<u32>,
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
        /// Instance size one pod runs on, priced from the price table
        /// (default: the table's `default_instance`).
        #[serde(default)]
        instance: Option<String>,
        /// Share of pod-hours on spot capacity (0..1, default 0).
        #[serde(default)]
        spot: Option<f64>,
        /// Hours this deployment is switched off (cost only).
        #[serde(default)]
        schedule: Option<crate::cost::Schedule>,
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
        /// Managed database class, priced from the price table
        /// (default: the table's `default_database`).
        #[serde(default)]
        class: Option<String>,
    },
}

impl Component {
    /// The component's name.
    pub fn name(&self) -> &str {
        match self {
            Component::LoadBalancer { name, .. }
            | Component::Deployment { name, .. }
            | Component::Database { name, .. } => name,
        }
    }

    /// The kind, as written in the file.
    pub fn kind(&self) -> &'static str {
        match self {
            Component::LoadBalancer { .. } => "LoadBalancer",
            Component::Deployment { .. } => "Deployment",
            Component::Database { .. } => "Database",
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
}
