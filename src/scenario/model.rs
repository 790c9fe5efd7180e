//! The checked, indexed form of a scenario that the simulator runs.
//!
//! Every name is resolved to an index, every duration to [`Nanos`], every
//! distribution to a [`Sampler`], and every endpoint to a flat program of
//! [`Op`]s (nested `Call`s inlined, network hops made explicit).

use crate::algo::balance::Strategy;
use crate::algo::Nanos;
use crate::engine::Sampler;
use crate::workload::{PopularitySampler, RatePattern};

/// A validated scenario.
#[derive(Clone, Debug)]
pub struct Model {
    /// The scenario's name.
    pub name: String,
    /// Master seed.
    pub seed: u64,
    /// Simulated time, warm-up included.
    pub duration: Nanos,
    /// Left out of statistics.
    pub warmup: Nanos,
    /// Time-series bucket width.
    pub interval: Nanos,
    /// The offered load.
    pub workload: WorkloadSpec,
    /// Load balancers.
    pub balancers: Vec<BalancerSpec>,
    /// Deployments of pods.
    pub deployments: Vec<DeploymentSpec>,
    /// Databases.
    pub databases: Vec<DatabaseSpec>,
    /// Endpoints, in name order.
    pub endpoints: Vec<EndpointSpec>,
    /// Every distribution, referenced by index from [`Op`]s.
    pub samplers: Vec<Sampler>,
    /// The fault timeline, in scenario order.
    pub faults: Vec<FaultSpec>,
}

/// A station a fault can hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StationRef {
    /// A deployment, by index.
    Deployment(usize),
    /// A database, by index.
    Database(usize),
}

/// A resolved fault.
#[derive(Clone, Debug)]
pub struct FaultSpec {
    /// A short label for reports, e.g. `Slowdown(pg x3)`.
    pub label: String,
    /// When it starts.
    pub at: Nanos,
    /// When it ends, if it does.
    pub until: Option<Nanos>,
    /// What happens.
    pub kind: FaultKind,
}

/// What a fault does.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultKind {
    /// Multiplies a station's service times.
    Slowdown {
        /// The station.
        target: StationRef,
        /// The multiplier.
        factor: f64,
    },
    /// Kills ready pods of a deployment.
    KillPods {
        /// Deployment index.
        deployment: usize,
        /// How many.
        count: u32,
    },
    /// Gives spot nodes of a deployment's pool their termination notice.
    ReclaimSpot {
        /// Deployment index.
        deployment: usize,
        /// A node count, or `None` to use `fraction`.
        count: Option<u32>,
        /// Share of spot nodes (rounded up) when `count` is `None`.
        fraction: f64,
    },
}

/// The offered load, resolved.
#[derive(Clone, Debug)]
pub struct WorkloadSpec {
    /// Requests per second at factor 1.
    pub rate: f64,
    /// Distinct users (at least 1), for per-user behaviour such as read-your-writes.
    pub users: u64,
    /// Rate multiplier over time.
    pub pattern: RatePattern,
    /// Tenant popularity, if tenants are modelled.
    pub tenants: Option<PopularitySampler>,
    /// Key popularity, if keys are modelled.
    pub keys: Option<PopularitySampler>,
    /// Cumulative mix probabilities, one per endpoint (last = 1).
    pub mix_cumulative: Vec<f64>,
    /// Client timeout.
    pub client_timeout: Option<Nanos>,
}

/// A load balancer, resolved.
#[derive(Clone, Debug)]
pub struct BalancerSpec {
    /// Name.
    pub name: String,
    /// Strategy.
    pub strategy: Strategy,
    /// (deployment index, weight) in name order.
    pub targets: Vec<(usize, u32)>,
}

/// A deployment, resolved.
#[derive(Clone, Debug)]
pub struct DeploymentSpec {
    /// Name.
    pub name: String,
    /// Pod count.
    pub replicas: u32,
    /// Worker slots per pod.
    pub concurrency: u32,
    /// Per-pod queue limit (`None`: unbounded).
    pub queue_limit: Option<u32>,
    /// The database its queries go to.
    pub database: Option<usize>,
    /// The autoscaler, if any.
    pub hpa: Option<AutoscaleSpec>,
    /// Scheduling to ready.
    pub startup: Nanos,
    /// CPU request per pod, millicores.
    pub cpu_milli: i64,
    /// Memory request per pod, MiB.
    pub memory_mib: f64,
    /// Memory in use by an idle pod, MiB.
    pub base_memory_mib: f64,
    /// Memory per request in the pod, MiB.
    pub per_request_mib: f64,
    /// The node pool, if modelled.
    pub nodes: Option<NodePoolSpec>,
    /// PodDisruptionBudget `minAvailable`.
    pub min_available: Option<u32>,
}

/// A resolved HPA: the algorithm's spec plus the sync period.
#[derive(Clone, Debug)]
pub struct AutoscaleSpec {
    /// The HorizontalPodAutoscaler spec handed to [`crate::algo::hpa::Autoscaler`].
    pub spec: crate::algo::hpa::HpaSpec,
    /// Controller sync period.
    pub sync_period: Nanos,
}

/// A resolved node pool.
#[derive(Clone, Debug)]
pub struct NodePoolSpec {
    /// Pods that fit on one node (by CPU and memory requests).
    pub pods_per_node: u32,
    /// Share of nodes that are spot.
    pub spot_fraction: f64,
    /// Reclaims per spot node per hour.
    pub reclaims_per_hour: f64,
    /// Termination notice.
    pub notice: Nanos,
}

/// A database, resolved.
#[derive(Clone, Debug)]
pub struct DatabaseSpec {
    /// Name.
    pub name: String,
    /// Concurrent queries.
    pub connections: u32,
    /// Queue limit (`None`: unbounded).
    pub queue_limit: Option<u32>,
}

/// An endpoint's compiled program.
#[derive(Clone, Debug)]
pub struct EndpointSpec {
    /// Name.
    pub name: String,
    /// The steps, flattened.
    pub program: Vec<Op>,
}

/// One instruction of an endpoint program. Small and `Copy`: the simulator
/// reads it on every step of every request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Choose a pod through balancer `lb` and take one of its worker slots.
    Enter {
        /// Balancer index.
        lb: u16,
    },
    /// Release the innermost held worker slot.
    Leave,
    /// Work on the current pod for a draw of `dist`.
    Compute {
        /// Sampler index.
        dist: u32,
    },
    /// A query on database `db` lasting a draw of `dist`.
    Query {
        /// Database index.
        db: u16,
        /// Write (true) or read.
        write: bool,
        /// Sampler index.
        dist: u32,
    },
    /// Wait a draw of `dist` holding nothing new (network hops, external latency).
    Delay {
        /// Sampler index.
        dist: u32,
    },
}

/// Deepest nesting of `Lb` steps one request may hold at once.
pub const MAX_NESTING: usize = 4;
