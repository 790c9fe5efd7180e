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
    /// Geography: where users are and how far apart regions are.
    #[serde(default)]
    pub regions: Option<Regions>,
}

/// Named regions, their users and the round-trip times between them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regions {
    /// Region name -> share of the users there (relative weights; 0 allowed).
    pub users: BTreeMap<String, f64>,
    /// Round-trip time between two regions, each pair once:
    /// `{ "us-east": { "eu-west": "80ms" } }`. Symmetric.
    pub rtt: BTreeMap<String, BTreeMap<String, Duration>>,
    /// Where writes go.
    pub primary: String,
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
        /// The region its pods run in (default: none, no round trips charged).
        #[serde(default)]
        region: Option<String>,
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
        /// Regions holding a copy (each with `connections`): reads go to the
        /// copy nearest the caller, writes to the copy in the primary region
        /// (or the first listed). Default: none, no round trips charged.
        #[serde(default)]
        regions: Vec<String>,
    },
    /// A job queue: jobs wait in FIFO order for one of `workers × concurrency`
    /// worker slots, run, and on failure are retried with backoff until their
    /// attempts run out, when they are dead-lettered.
    Queue {
        /// Unique name.
        name: String,
        /// Worker processes (a fixed count), or give `deployment`.
        #[serde(default)]
        workers: Option<u32>,
        /// The Deployment whose pods are the workers (one worker per pod; its
        /// slowdowns slow the jobs). Give this or `workers`.
        #[serde(default)]
        deployment: Option<String>,
        /// Jobs one worker runs at once (default 1).
        #[serde(default = "one")]
        concurrency: u32,
        /// Caps how fast jobs start (a GCRA limiter). Default: no limit.
        #[serde(default)]
        rate_limit: Option<JobRateLimit>,
        /// Attempts per job, the first included (default 1: never retry).
        #[serde(default = "one")]
        attempts: u32,
        /// Delay before each retry (default: 1s base, doubling, 5m cap, full jitter).
        #[serde(default)]
        backoff: Option<JobBackoff>,
        /// Chance that one attempt fails (0 to 1, default 0).
        #[serde(default)]
        failure_probability: f64,
        /// Jobs enqueued on a timer (cron-like), besides those from `Enqueue` steps.
        #[serde(default)]
        schedules: Vec<JobSchedule>,
    },
}

fn one() -> u32 {
    1
}

/// A limit on job starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobRateLimit {
    /// Jobs started per second at most, on average.
    pub per_second: f64,
    /// Jobs that may start back to back after an idle spell (default 1).
    #[serde(default = "one")]
    pub burst: u32,
}

/// Retry delays of a job queue (src/algo/backoff).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    #[serde(default)]
    pub jitter: JitterKind,
}

fn two() -> f64 {
    2.0
}

/// How a backoff delay is randomised (AWS "Exponential Backoff and Jitter").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum JitterKind {
    /// The plain exponential delay.
    None,
    /// Uniform between zero and the exponential delay.
    #[default]
    Full,
    /// Half the delay plus uniform up to the other half.
    Equal,
    /// Uniform between the base and three times the previous delay.
    Decorrelated,
}

/// A repeating job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSchedule {
    /// Period: one job at `every`, `2 × every`, ...
    pub every: Duration,
    /// How long one run of the job works.
    pub work: Dist,
}

impl Component {
    /// The component's name.
    pub fn name(&self) -> &str {
        match self {
            Component::LoadBalancer { name, .. }
            | Component::Deployment { name, .. }
            | Component::Database { name, .. }
            | Component::Queue { name, .. } => name,
        }
    }

    /// The kind, as written in the file.
    pub fn kind(&self) -> &'static str {
        match self {
            Component::LoadBalancer { .. } => "LoadBalancer",
            Component::Deployment { .. } => "Deployment",
            Component::Database { .. } => "Database",
            Component::Queue { .. } => "Queue",
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
    /// Put a job on a queue and go on at once: the client's request does not
    /// wait for the job (an HTTP 202).
    Enqueue {
        /// The Queue's name.
        queue: String,
        /// How long the job works once a worker takes it.
        work: Dist,
    },
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
    /// A whole region goes dark: its pods and database copies stop serving
    /// (requests there fail), load balancers send its users to the next
    /// nearest region, and it comes back after `for` (default: never).
    RegionDown {
        /// The region's name.
        region: String,
        /// When it goes down.
        at: Duration,
        /// How long it stays down.
        #[serde(default, rename = "for")]
        length: Option<Duration>,
    },
}
