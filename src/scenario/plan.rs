//! The checked, indexed form of a scenario that the simulator runs.
//!
//! Every name is resolved to an index, every duration to [`Nanos`], every
//! distribution to a [`Sampler`], and every endpoint to flat programs of
//! [`Op`]s (network hops made explicit; a `Call` runs the callee's program,
//! compiled once and shared by every caller).

use crate::algo::backoff::Backoff;
use crate::algo::balance::Strategy;
use crate::algo::breaker::BreakerConfig;
use crate::algo::cache::CacheConfig;
use crate::algo::jobqueue::DailyTimes;
use crate::algo::keyhash::KeyHash;
use crate::algo::limiter::Limiter;
use crate::algo::Nanos;
use crate::engine::Sampler;
use crate::scenario::units::IntOrPercent;
use crate::workload::{PopularitySampler, RatePattern, ReplayLog};

/// A validated scenario. Its fields are crate-private: validation is the only
/// way to build one.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The scenario's name.
    pub(crate) name: String,
    /// Master seed.
    pub(crate) seed: u64,
    /// Simulated time, warm-up included.
    pub(crate) duration: Nanos,
    /// Left out of statistics.
    pub(crate) warmup: Nanos,
    /// Time-series bucket width.
    pub(crate) interval: Nanos,
    /// The offered load.
    pub(crate) workload: WorkloadSpec,
    /// Load balancers.
    pub(crate) balancers: Vec<BalancerSpec>,
    /// Deployments of pods.
    pub(crate) deployments: Vec<DeploymentSpec>,
    /// Databases.
    pub(crate) databases: Vec<DatabaseSpec>,
    /// Endpoints, in name order.
    pub(crate) endpoints: Vec<EndpointSpec>,
    /// Compiled step lists; `programs[i]` for `i < endpoints.len()` is
    /// endpoint `i`'s entry, where its requests start.
    pub(crate) programs: Vec<Program>,
    /// Every distribution, referenced by index from [`Op`]s.
    pub(crate) samplers: Vec<Sampler>,
    /// The fault timeline, in scenario order.
    pub(crate) faults: Vec<FaultSpec>,
    /// CDNs.
    pub(crate) cdns: Vec<CdnSpec>,
    /// External dependencies.
    pub(crate) dependencies: Vec<DependencySpec>,
    /// Job queues.
    pub(crate) queues: Vec<QueueSpec>,
    /// Regions, if the scenario has a geography.
    pub(crate) regions: Option<RegionsSpec>,
    /// Shared cache servers.
    pub(crate) caches: Vec<CacheSpec>,
    /// `CacheAside` steps, one per place a request can run one (a callee's
    /// step once per `Call` that runs it), referenced from [`Op`]s by offset.
    pub(crate) asides: Vec<AsideSpec>,
    /// Per-endpoint rate limits, in endpoint name order.
    pub(crate) limits: Vec<EndpointLimitSpec>,
    /// `CallWith` and `Parallel` steps, referenced from [`ClientOp`]s.
    pub(crate) call_sites: Vec<CallSiteSpec>,
    /// The service-level objective the scenario states, if any.
    pub(crate) slo: Option<super::Slo>,
    /// What each component is billed as, by its index in its family.
    pub(crate) billing: BillingSpec,
}

impl Plan {
    /// The deployments, in scenario order (read-only: a plan is built only by
    /// validation, so its invariants hold).
    pub fn deployments(&self) -> &[DeploymentSpec] {
        &self.deployments
    }

    /// The databases, in scenario order (read-only, as `deployments`).
    pub fn databases(&self) -> &[DatabaseSpec] {
        &self.databases
    }

    /// Whether a request's user changes what happens to it: only a
    /// database's read-your-writes window reads the user.
    pub fn reads_users(&self) -> bool {
        self.databases.iter().any(|d| d.read_your_writes.is_some())
    }

    /// Whether program `program`, or one it calls, has an op for which
    /// `found` is true (each program is looked at once).
    pub(crate) fn reaches(&self, program: u32, found: impl Fn(&Op) -> bool) -> bool {
        let mut seen = vec![false; self.programs.len()];
        let mut todo = vec![program];
        while let Some(p) = todo.pop() {
            if std::mem::replace(&mut seen[p as usize], true) {
                continue;
            }
            for op in &self.programs[p as usize].ops {
                if found(op) {
                    return true;
                }
                match op {
                    Op::Call { program, .. } => todo.push(*program),
                    Op::Client(c) => todo.extend(
                        self.call_sites[c.site as usize]
                            .calls
                            .iter()
                            .map(|call| u32::from(call.endpoint)),
                    ),
                    _ => {}
                }
            }
        }
        false
    }
}

/// An external dependency, resolved.
#[derive(Clone, Debug)]
pub struct DependencySpec {
    /// Name.
    pub name: String,
    /// Sampler index of one call's latency.
    pub latency: u32,
    /// Probability that a call fails.
    pub error_rate: f64,
    /// The caller's timeout per call, if any.
    pub timeout: Option<Nanos>,
    /// Its circuit breaker, if any.
    pub breaker: Option<BreakerConfig>,
    /// Retries of failed calls, if any.
    pub retries: Option<Backoff>,
}

/// A CDN, resolved.
#[derive(Clone, Debug)]
pub struct CdnSpec {
    /// Name.
    pub name: String,
    /// Content classes: 0 is the CDN's own fields (endpoints in no class),
    /// then the declared classes in order.
    pub classes: Vec<CdnClassSpec>,
    /// Per endpoint (in endpoint order), the class its lookups use.
    pub class_of: Vec<u8>,
    /// Sampler index of the edge latency.
    pub latency: u32,
    /// With regions: the region of each point of presence, in region order.
    /// Empty without regions (one PoP, no round trips).
    pub pops: Vec<u8>,
    /// With regions: per region, its PoP (index into `pops`), if it has one.
    pub pop_in: Vec<Option<u8>>,
}

/// A CDN content class, resolved: its edge cache at each PoP and its objects.
#[derive(Clone, Debug)]
pub struct CdnClassSpec {
    /// Name (empty for the CDN's own class 0).
    pub name: String,
    /// Edge cache per PoP: capacity, s-maxage TTL, stale-while-revalidate.
    pub cache: CacheConfig,
    /// Bytes per response.
    pub response_bytes: u64,
    /// The class's own objects, or `None`: requests keep their data key.
    pub objects: Option<PopularitySampler>,
}

/// A per-endpoint rate limit, resolved.
#[derive(Clone, Debug)]
pub struct EndpointLimitSpec {
    /// The endpoint whose clients' requests it limits.
    pub endpoint: String,
    /// Its tiers and limiters.
    pub limit: RateLimitSpec,
}

/// Client retries, resolved.
#[derive(Clone, Debug)]
pub struct RetrySpec {
    /// Attempts and delays.
    pub backoff: Backoff,
    /// (ratio, min per second, most saved) of a retry budget, if any.
    pub budget: Option<(f64, u32, u32)>,
}

/// A tiered per-tenant rate limit, resolved.
#[derive(Clone, Debug)]
pub struct RateLimitSpec {
    /// Per tier: its name and its limiter.
    pub tiers: Vec<(String, Limiter)>,
    /// Tier of each tenant rank is the first whose cumulative share exceeds
    /// `(rank + 0.5) / tenants`.
    pub cumulative: Vec<f64>,
    /// Tenants in the workload (1 when tenants are not modelled).
    pub tenants: u64,
    /// The shared cache holding the counters, and the Redis commands one
    /// check runs there (`None`: the check takes no time).
    pub redis: Option<RedisCommands>,
}

/// Redis commands run on a shared cache's servers in one round trip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RedisCommands {
    /// The cache's index.
    pub cache: u16,
    /// Commands run, each a draw of the cache's latency.
    pub commands: u32,
}

impl RateLimitSpec {
    /// The tier of tenant `tenant` (rank 0 = most active).
    pub fn tier_of(&self, tenant: u64) -> usize {
        let x = (tenant as f64 + 0.5) / self.tenants as f64;
        self.cumulative
            .partition_point(|&c| c <= x)
            .min(self.cumulative.len() - 1)
    }

    /// How many tenants are in tier `tier`: ranks are in tier order, so the
    /// tier's first and last ranks are found by binary search, not a walk
    /// over every tenant.
    pub fn tenants_in(&self, tier: usize) -> u64 {
        // The first rank whose tier is at least `t`.
        let first = |t: usize| {
            let (mut lo, mut hi) = (0u64, self.tenants);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if self.tier_of(mid) < t {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            lo
        };
        first(tier + 1) - first(tier)
    }
}

/// Regions, resolved.
#[derive(Clone, Debug)]
pub struct RegionsSpec {
    /// Names, in name order (a region's index is its position here).
    pub names: Vec<String>,
    /// Share of the users in each region (adds up to 1).
    pub shares: Vec<f64>,
    /// Cumulative shares (last = 1), to draw a user's region.
    pub share_cumulative: Vec<f64>,
    /// Round-trip times, `rtt[a * n + b]`; zero on the diagonal.
    pub rtt: Vec<Nanos>,
    /// For each region, every region from the nearest (itself) to the farthest.
    pub nearest: Vec<Vec<u8>>,
    /// Where writes go.
    pub primary: u8,
}

impl RegionsSpec {
    /// The round trip between regions `a` and `b`.
    #[inline]
    pub fn rtt(&self, a: u8, b: u8) -> Nanos {
        self.rtt[a as usize * self.names.len() + b as usize]
    }
}

/// A job queue, resolved.
#[derive(Clone, Debug)]
pub struct QueueSpec {
    /// Name.
    pub name: String,
    /// Worker slots: workers × concurrency.
    pub slots: u32,
    /// Limit on job starts, if any.
    pub rate_limit: Option<crate::algo::limiter::Gcra>,
    /// Attempts (`max_attempts`) and retry delays.
    pub backoff: crate::algo::backoff::Backoff,
    /// Chance that one attempt fails.
    pub failure_probability: f64,
    /// Repeating jobs.
    pub schedules: Vec<JobScheduleSpec>,
    /// The worker Deployment, if the workers are its pods.
    pub deployment: Option<usize>,
    /// Jobs per worker.
    pub concurrency: u32,
    /// Lock duration and stalls allowed, when stalled jobs are modelled.
    pub lock: Option<JobLock>,
    /// The shared cache the queue lives on, when its operations are Redis
    /// commands there.
    pub redis: Option<QueueRedis>,
}

/// A BullMQ queue's Redis node and the cadence of its lock renewals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueRedis {
    /// The cache's index.
    pub cache: u16,
    /// Each running job's lock is extended this often (half the lock).
    pub renew_every: Nanos,
}

/// Commands of BullMQ's Lua scripts on their common path (no parent, no
/// deduplication, no delayed jobs; src/commands of taskforcesh/bullmq).
pub mod bullmq_commands {
    /// addStandardJob: INCR, HGET, HMSET, XADD, HMGET, LPUSH, ZADD, XADD.
    pub const ADD: u32 = 8;
    /// moveToActive: HMGET, ZRANGEBYSCORE, RPOPLPUSH, SET, XADD, HMSET,
    /// HINCRBY, HGETALL.
    pub const TAKE: u32 = 8;
    /// moveToFinished, completed: EXISTS, SCARD, ZCARD, GET, DEL, SREM,
    /// HMGET, LREM, HGET, XTRIM, HINCRBY, ZADD, HSET, XADD.
    pub const COMPLETE: u32 = 14;
    /// moveToFinished, failed: as completed less SCARD and ZCARD, plus HDEL.
    pub const FAIL: u32 = 13;
    /// moveToFinished of a run whose lock is gone: EXISTS, SCARD, ZCARD,
    /// GET, then "missing lock".
    pub const REFUSED: u32 = 4;
    /// extendLock: GET, SET, SREM.
    pub const EXTEND_LOCK: u32 = 3;
}

/// BullMQ's job lock: `lockDuration` and `maxStalledCount`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobLock {
    /// How long a lock lasts unrenewed (renewed every half of it).
    pub duration: Nanos,
    /// Stalls a job survives; the next one fails it.
    pub max_stalled: u32,
    /// The stalled-job check's period (`None`: a job is found the moment
    /// its lock expires).
    pub check_every: Option<Nanos>,
    /// Whether a live worker renews its jobs' locks.
    pub renewal: bool,
}

impl JobLock {
    /// When a job whose lock was last set (taken or renewed) at `set` and
    /// not renewed again is found stalled: the lock is gone at `set +
    /// duration`; with a check period, at the first check that finds it
    /// gone after an earlier check at or after `set` marked the job.
    pub fn found_at(&self, set: Nanos) -> Nanos {
        let expiry = set.saturating_add(self.duration);
        let Some(every) = self.check_every else {
            return expiry;
        };
        let ceil = |t: Nanos| Nanos(t.0.div_ceil(every.0).saturating_mul(every.0));
        ceil(expiry).max(ceil(set).saturating_add(every))
    }
}

/// A repeating job, resolved.
#[derive(Clone, Debug)]
pub struct JobScheduleSpec {
    /// When its jobs are enqueued.
    pub when: ScheduleTimes,
    /// Sampler index of one job's work.
    pub work: u32,
    /// Its jobs' priority (higher first).
    pub priority: u32,
}

/// When a schedule enqueues its jobs.
#[derive(Clone, Debug)]
pub enum ScheduleTimes {
    /// At `every`, `2 × every`, ...
    Every(Nanos),
    /// At these times of every day (time 0 is 00:00).
    Daily(DailyTimes),
}

/// A shared cache server, resolved.
#[derive(Clone, Debug)]
pub struct CacheSpec {
    /// Name.
    pub name: String,
    /// Most entries (`None`: unlimited).
    pub capacity: Option<usize>,
    /// Entry time to live.
    pub ttl: Option<Nanos>,
    /// Sampler index of one operation's time.
    pub latency: u32,
    /// Operations served at once.
    pub concurrency: u32,
}

/// A per-pod L1 cache, resolved.
#[derive(Clone, Copy, Debug)]
pub struct L1Spec {
    /// Entries per pod.
    pub capacity: usize,
    /// Entry time to live.
    pub ttl: Option<Nanos>,
    /// Delay before an invalidation reaches the other pods.
    pub propagation: Nanos,
    /// Bytes one entry takes in the pod's memory (0: not counted).
    pub item_bytes: u64,
}

/// A per-pod connection pool, resolved.
#[derive(Clone, Copy, Debug)]
pub struct PoolSpec {
    /// Connections opened at start.
    pub min: u32,
    /// Most connections.
    pub max: u32,
    /// Longest wait for a connection.
    pub acquire_timeout: Nanos,
    /// Longest a query runs on its connection before it is cancelled.
    pub statement_timeout: Option<Nanos>,
    /// Idle time after which a connection above `min` is closed.
    pub idle_timeout: Option<Nanos>,
    /// Time to open a connection, paid by the query that opens it.
    pub connect_time: Nanos,
}

/// A cache tier of a `CacheAside` or `Invalidate` step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TierRef {
    /// The running pod's L1.
    L1,
    /// A shared cache, by index.
    Shared(u16),
}

/// A `CacheAside` step, resolved.
#[derive(Clone, Debug)]
pub struct AsideSpec {
    /// Tiers, nearest first.
    pub tiers: Vec<TierRef>,
    /// Request coalescing on misses.
    pub coalesce: bool,
}

/// Where reads go on a database with replicas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadRouting {
    /// Replicas in turn.
    RoundRobin,
    /// The replica with the fewest queries in flight.
    LeastLoaded,
    /// The primary.
    Primary,
}

/// A sharded database's layout, resolved.
#[derive(Clone, Copy, Debug)]
pub struct ShardSpec {
    /// Shards.
    pub count: u32,
    /// Virtual nodes per shard.
    pub vnodes: u32,
    /// Shard by tenant (true) or by key.
    pub by_tenant: bool,
    /// Hash-byte ranges (true) or the consistent-hash ring.
    pub ranges: bool,
    /// How a tenant or key id becomes the digest the layout routes by.
    pub hash: KeyHash,
}

/// A station a fault can hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StationRef {
    /// A deployment, by index.
    Deployment(usize),
    /// A database, by index.
    Database(usize),
    /// An external dependency, by index (its call latency).
    Dependency(usize),
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
    /// A region's pods and database copies stop serving.
    RegionDown {
        /// Region index.
        region: u8,
    },
    /// Multiplies a station's service times.
    Slowdown {
        /// The station.
        target: StationRef,
        /// The multiplier.
        factor: f64,
    },
    /// Raises a dependency's failure probability.
    FailDependency {
        /// The dependency, by index.
        dependency: usize,
        /// Failure probability while active.
        error_rate: f64,
    },
    /// Empties a CDN's edge cache.
    PurgeCdn {
        /// The CDN, by index.
        cdn: usize,
    },
    /// Adds `extra` to every replication lag of a database.
    ReplicationLag {
        /// Database index.
        db: usize,
        /// Added lag.
        extra: Nanos,
    },
    /// The primary is down until the fault ends (promotion done).
    Failover {
        /// Database index.
        db: usize,
    },
    /// A cache loses every entry.
    FlushCache {
        /// The tier flushed: a shared cache, or every L1 of a deployment.
        target: FlushTarget,
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
    /// An availability zone is down: (deployment index, zone index) of every
    /// deployment spread over it.
    ZoneDown {
        /// The zones hit.
        targets: Vec<(usize, u8)>,
    },
    /// A rolling update replaces a deployment's pods.
    Deploy {
        /// Deployment index.
        deployment: usize,
        /// Pods allowed above the desired count (percentages round up).
        max_surge: IntOrPercent,
        /// Pods allowed below it, unavailable (percentages round down).
        max_unavailable: IntOrPercent,
    },
}

/// What a `FlushCache` fault empties.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlushTarget {
    /// A shared cache, by index.
    Shared(usize),
    /// Every pod's L1 of a deployment, by index.
    L1(usize),
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
    /// Client retries on timeout, if any.
    pub retries: Option<RetrySpec>,
    /// A recorded request log replayed instead of Poisson arrivals.
    pub replay: Option<ReplayLog>,
    /// Requests sent on a timer, not counted (`workload.periodic`).
    pub periodic: Vec<PeriodicSpec>,
}

/// A request of endpoint `endpoint` every `every`, resolved.
#[derive(Clone, Copy, Debug)]
pub struct PeriodicSpec {
    /// The endpoint's index (its entry program).
    pub endpoint: u16,
    /// The period.
    pub every: Nanos,
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
    /// Per-tenant rate limit, if any.
    pub rate_limit: Option<RateLimitSpec>,
    /// With regions: for each region, the targets serving there (placed in it,
    /// or placed nowhere). Empty without regions.
    pub regional: Vec<Vec<(usize, u32)>>,
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
    /// Queue-time limit for load shedding, if any.
    pub shed_after: Option<Nanos>,
    /// The region its pods run in.
    pub region: Option<u8>,
    /// Per-pod L1 cache.
    pub l1: Option<L1Spec>,
    /// Per-pod connection pool.
    pub pool: Option<PoolSpec>,
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
    /// Memory limit per pod, MiB: over it the pod is OOM-killed (`None`: no limit).
    pub memory_limit_mib: Option<f64>,
    /// The node pool, if modelled.
    pub nodes: Option<NodePoolSpec>,
    /// The CPU model, when the deployment declares CPU requests or limits
    /// (`None`: `Compute` holds a worker slot for its time).
    pub cpu: Option<CpuSpec>,
    /// PodDisruptionBudget `minAvailable`.
    pub min_available: Option<u32>,
    /// Availability zones its pods are spread over (empty: none modelled).
    pub zones: Vec<String>,
    /// The kubelet's probes of its pods, if any.
    pub probes: Option<ProbesSpec>,
}

/// A deployment's probes, resolved.
#[derive(Clone, Debug)]
pub struct ProbesSpec {
    /// The readiness probe, if any.
    pub readiness: Option<ProbeSpec>,
    /// The liveness probe, if any.
    pub liveness: Option<ProbeSpec>,
    /// Probes wait for a worker slot (shared port) or always pass (separate).
    pub shared_port: bool,
    /// CPU time of the probe handler (with the CPU model).
    pub cost: Nanos,
}

/// One probe's timing, resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProbeSpec {
    /// Time between probes.
    pub period: Nanos,
    /// Time a probe waits for its answer.
    pub timeout: Nanos,
    /// Failures in a row that make it fail.
    pub failure_threshold: u32,
    /// Passes in a row that make it pass again.
    pub success_threshold: u32,
    /// Time from the container's start to its first probe.
    pub initial_delay: Nanos,
}

/// A resolved HPA: the algorithm's spec plus the sync period.
#[derive(Clone, Debug)]
pub struct AutoscaleSpec {
    /// The HorizontalPodAutoscaler spec handed to [`crate::algo::hpa::Autoscaler`].
    pub spec: crate::algo::hpa::HpaSpec,
    /// Controller sync period.
    pub sync_period: Nanos,
    /// The queue whose depth is the External metric, if any (index into `Plan::queues`).
    pub queue: Option<usize>,
}

/// A pod's processors, resolved.
#[derive(Clone, Debug)]
pub struct CpuSpec {
    /// Cores the pod may run on at once.
    pub cores: f64,
    /// CPU limit in cores (its CFS quota), if any.
    pub limit: Option<f64>,
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
    /// The region of this copy.
    pub region: Option<u8>,
    /// Every copy of this database (indices into the databases, this one
    /// first), when it is placed in regions; empty otherwise. Extra copies
    /// come after all the databases the scenario names.
    pub copies: Vec<usize>,
    /// Read replicas per shard.
    pub replicas: u32,
    /// Connections per replica.
    pub replica_connections: u32,
    /// Read routing.
    pub reads: ReadRouting,
    /// Sampler index of the replication lag (`None`: replicas apply at once).
    pub lag: Option<u32>,
    /// The copy that takes every write (this one when not in regions): the
    /// copy in the primary region, or the first listed.
    pub writer: usize,
    /// Sampler index of the cross-region lag of the other copies (`None`:
    /// half the round trip from the writer's region).
    pub cross_region_lag: Option<u32>,
    /// Read-your-writes window.
    pub read_your_writes: Option<Nanos>,
    /// Most open server connections.
    pub max_connections: Option<u32>,
    /// PgBouncer server pool size (per shard).
    pub bouncer: Option<u32>,
    /// Sharding (`None`: one shard).
    pub shards: Option<ShardSpec>,
    /// Every primary's class, when the database is sized by its class.
    pub class: Option<NodeClass>,
    /// Every replica's class, when the database is sized by its class.
    pub replica_class: Option<NodeClass>,
    /// Its data on pages, its nodes' buffer caches and volumes (`data_size`).
    pub data: Option<DataSpec>,
}

/// A database's data on pages, each node's buffer cache and storage volume.
///
/// The data is spread evenly over the workload's keys, in order of
/// popularity (key k's rows fill pages `[k·m, (k+1)·m)`, m =
/// `pages_per_key`, below 1 when keys share a page), and a query of key k
/// reads one of its pages: the page's lookups come at p_k/m of all. A
/// node's cache is an LRU of `pages`, which by Che's approximation holds
/// the page of rate q with probability 1 − e^{−qT}, T its
/// characteristic time (in lookups), so a query of key k hits with
/// probability 1 − e^{−p_k·T/m}.
#[derive(Clone, Debug)]
pub struct DataSpec {
    /// Bytes of data.
    pub bytes: u64,
    /// Page size, bytes.
    pub page_size: u64,
    /// Pages of each key's rows.
    pub pages_per_key: f64,
    /// The keys' popularity.
    pub keys: crate::workload::Law,
    /// Each primary's buffer cache.
    pub primary: BufferCache,
    /// Each replica's buffer cache.
    pub replica: BufferCache,
    /// Each node's volume.
    pub volume: VolumeSpec,
}

/// A node's buffer cache by Che's approximation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BufferCache {
    /// Pages it holds (its class's memory x the cache share / page size).
    pub pages: f64,
    /// Characteristic time in lookups (the database's, over all its
    /// shards: each shard's node caches `pages` of its keys); infinite when
    /// every page fits.
    pub characteristic: f64,
    /// Che's hit ratio over all queries.
    pub hit_ratio: f64,
}

impl DataSpec {
    /// The probability that a query of `key` finds its page in `cache`.
    pub fn hit_probability(&self, cache: &BufferCache, key: u64) -> f64 {
        if cache.characteristic.is_infinite() {
            return 1.0;
        }
        let rate = self.keys.probability(key) / self.pages_per_key;
        -libm::expm1(-rate * cache.characteristic)
    }
}

/// A node's storage volume.
#[derive(Clone, Debug, PartialEq)]
pub struct VolumeSpec {
    /// Its type.
    pub kind: crate::scenario::schema::VolumeType,
    /// Provisioned IOPS.
    pub iops: u32,
    /// Throughput, bytes per second.
    pub throughput: u64,
    /// IOPS and throughput (bytes/s) included in the price (gp3's baseline).
    pub included_iops: u32,
    /// Throughput included in the price, bytes per second.
    pub included_throughput: u64,
    /// Time between the starts of two reads at full speed: the larger of
    /// 1/IOPS and a page over the throughput.
    pub read_interval: Nanos,
    /// Sampler index of one read's latency.
    pub latency: u32,
}

/// The capacity of a database node sized by its class.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeClass {
    /// The class name.
    pub name: String,
    /// vCPUs its queries share.
    pub vcpus: u32,
    /// Memory, MiB.
    pub memory_mib: f64,
}

/// An endpoint, resolved (its entry program is `Plan::programs` at its index).
#[derive(Clone, Debug)]
pub struct EndpointSpec {
    /// Name.
    pub name: String,
    /// Where its requests' `CacheAside` steps start in `Plan::asides`: the
    /// aside of a `CacheOp` in its entry program is this plus the op's offset.
    pub asides: u16,
}

/// One endpoint's steps compiled for one stack of balancers its callers
/// hold, flattened. Shared by every `Call` that runs it in that context.
#[derive(Clone, Debug)]
pub struct Program {
    /// The endpoint whose steps these are (index into `Plan::endpoints`).
    pub endpoint: u16,
    /// The instructions; a request returns from the program (or completes,
    /// if it was not called) when its counter passes the last.
    pub ops: Vec<Op>,
}

/// One instruction of an endpoint program. Small and `Copy`: the simulator
/// reads it on every step of every request. Each component family's
/// instructions are its own enum, so the simulator routes them to that
/// family with one exhaustive match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Op {
    /// Pods: take and release worker slots, compute on them.
    Pod(PodOp),
    /// Wait a draw of `dist` holding nothing new (network hops, external latency).
    Delay {
        /// Sampler index.
        dist: u32,
    },
    /// Run program `program` to its end, then go on after this op.
    Call {
        /// Index into `Plan::programs`.
        program: u32,
        /// The callee's `CacheAside` steps start this far after the caller's.
        asides: u16,
    },
    /// Per-tenant rate limits.
    Limit(LimitOp),
    /// CDN edge caches.
    Cdn(CdnOp),
    /// External dependencies.
    Dependency(DependencyOp),
    /// Background jobs.
    Jobs(JobOp),
    /// Cache-aside: lookups, loads, fills and invalidations.
    Cache(CacheOp),
    /// Database queries.
    Data(DataOp),
    /// Calls to other endpoints as sub-requests (`CallWith`, `Parallel`).
    Client(ClientOp),
    /// Commands on a shared Redis node that are neither cache reads nor
    /// limiter checks.
    Redis(RedisOp),
}

/// A step that runs Redis commands on a shared cache and waits for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum RedisOp {
    /// Read (and with two commands, save) the user's session.
    Session(RedisCommands),
}

/// A `CallWith` or `Parallel` step: start its calls as sub-requests and wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientOp {
    /// Index into `Plan::call_sites`.
    pub site: u32,
    /// Where the request goes on when the calls succeed (past the fallback
    /// ops that follow this one).
    pub end: u32,
}

/// A `CallWith` or `Parallel` step, resolved.
#[derive(Clone, Debug)]
pub struct CallSiteSpec {
    /// Where it is written: `endpoint[step]` (with `.fallback[k]` when nested).
    pub name: String,
    /// Whether the step waits for the first success (`Parallel(wait: First)`).
    pub first: bool,
    /// The calls, started together.
    pub calls: Vec<ClientCallSpec>,
}

/// One call of a call site: a sub-request to an endpoint's entry.
#[derive(Clone, Debug)]
pub struct ClientCallSpec {
    /// The called endpoint (its entry program has the same index).
    pub endpoint: u16,
    /// How long the caller waits for one attempt.
    pub timeout: Option<Nanos>,
    /// Retries of a failed or timed-out attempt.
    pub retries: Option<Backoff>,
}

/// A pod instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum PodOp {
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
}

/// A rate-limit check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum LimitOp {
    /// Check balancer `lb`'s per-tenant rate limit.
    Balancer {
        /// Balancer index.
        lb: u16,
    },
    /// Check per-endpoint rate limit `limit` (an index into `Plan::limits`).
    Endpoint {
        /// Limit index.
        limit: u16,
    },
}

/// A CDN instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum CdnOp {
    /// Look the request up at CDN `cdn`'s edge; on a hit jump to `hit_pc`.
    Lookup {
        /// CDN index.
        cdn: u16,
        /// Where a hit continues (just after the matching `Fill`).
        hit_pc: u32,
    },
    /// The origin answered: store the response at CDN `cdn`'s edge.
    Fill {
        /// CDN index.
        cdn: u16,
    },
}

/// A call to an external dependency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum DependencyOp {
    /// Call dependency `dep`; on success jump to `end`; on failure run the
    /// fallback ops that follow (if `end` is not the next op) or fail.
    Call {
        /// Dependency index.
        dep: u16,
        /// The op after the fallback.
        end: u32,
    },
}

/// A background-job instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum JobOp {
    /// Put a job working a draw of `dist` on queue `queue`; continue at once.
    Enqueue {
        /// Queue index.
        queue: u16,
        /// Sampler index of the job's work.
        dist: u32,
        /// The job's priority (higher first).
        priority: u32,
    },
}

/// A cache-aside instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum CacheOp {
    /// Look the request's key up in tier `tier` of `CacheAside` `aside`; on a
    /// hit fill the tiers above and jump `skip` ops ahead (past the fill).
    /// Every `aside` here is an offset from the running program's first
    /// aside (see [`EndpointSpec::asides`] and [`Op::Call`]).
    Get {
        /// Aside offset.
        aside: u16,
        /// Tier position in the aside's list.
        tier: u8,
        /// Ops to jump over on a hit.
        skip: u16,
    },
    /// Start loading a missed key (or, with coalescing, wait for the load in
    /// progress and then jump `skip` ops ahead).
    Load {
        /// Aside offset.
        aside: u16,
        /// Ops to jump over when another request's load served this one.
        skip: u16,
    },
    /// Fill every tier of `aside` with the loaded value.
    Fill {
        /// Aside offset.
        aside: u16,
    },
    /// Jump `skip` ops ahead: from the end of a `CacheAside`'s miss path
    /// past the copies of its `after_round_trip` steps that hits run.
    Jump {
        /// Ops to jump over.
        skip: u16,
    },
    /// Delete the request's key from a tier.
    Invalidate {
        /// The tier.
        tier: TierRef,
    },
}

/// A database instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum DataOp {
    /// A query on database `db` lasting a draw of `dist`.
    Query {
        /// Database index.
        db: u16,
        /// Write (true) or read.
        write: bool,
        /// Sampler index.
        dist: u32,
    },
    /// A read on every shard of `db`, each lasting a draw of `dist`.
    Scatter {
        /// Database index.
        db: u16,
        /// Sampler index.
        dist: u32,
    },
}

/// Deepest nesting of `Lb` steps one request may hold at once.
pub const MAX_NESTING: usize = 4;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::limiter::Gcra;

    #[test]
    fn tenants_per_tier_match_a_walk_over_every_tenant() {
        let limiter = Limiter::Gcra(Gcra::per_period(10, Nanos::from_secs(1)).unwrap());
        for tenants in [1u64, 2, 3, 7, 10, 999, 1000, 12_345] {
            for cumulative in [vec![1.0], vec![0.1, 1.0], vec![0.05, 0.5, 0.5, 1.0]] {
                let spec = RateLimitSpec {
                    tiers: vec![("t".to_owned(), limiter); cumulative.len()],
                    cumulative,
                    tenants,
                    redis: None,
                };
                for tier in 0..spec.tiers.len() {
                    let walked = (0..tenants).filter(|&k| spec.tier_of(k) == tier).count();
                    assert_eq!(spec.tenants_in(tier), walked as u64, "{tenants} {tier}");
                }
            }
        }
        // A trillion tenants: counted without visiting them.
        let spec = RateLimitSpec {
            tiers: vec![("free".to_owned(), limiter), ("paid".to_owned(), limiter)],
            cumulative: vec![0.9, 1.0],
            tenants: 1_000_000_000_000,
            redis: None,
        };
        assert_eq!(spec.tenants_in(0) + spec.tenants_in(1), spec.tenants);
        assert_eq!(spec.tenants_in(1), 100_000_000_000);
    }
}

/// What billing needs of a scenario, resolved by validation
/// (`resolve/billing.rs`): the price table to use and each component's
/// billing, in scenario order.
#[derive(Clone, Debug)]
pub struct BillingSpec {
    /// The bundled table and the scenario's overrides of it.
    pub prices: super::PriceSpec,
    /// Share of the week the whole environment runs (its schedule).
    pub env_on: f64,
    /// Every component, in scenario order.
    pub components: Vec<BilledSpec>,
    /// Whether data crosses regions or zones (which no bill line prices).
    pub cross_region: bool,
}

/// A database node's storage volume, as billed: its size, and the IOPS
/// and throughput provisioned beyond what its type includes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StorageBilled {
    /// Volume type.
    pub kind: crate::scenario::schema::VolumeType,
    /// Size of each node's volume, GiB.
    pub gib: f64,
    /// IOPS beyond the included ones.
    pub extra_iops: u32,
    /// Throughput beyond the included, MiB/s.
    pub extra_mibps: f64,
}

/// One component's billing.
#[derive(Clone, Debug)]
pub struct BilledSpec {
    /// Its name, for the bill's rows.
    pub name: String,
    /// Its kind, as the scenario writes it (`Deployment`, ...).
    pub kind: &'static str,
    /// Share of the week it runs (its own schedule).
    pub on: f64,
    /// What it is billed as.
    pub billed: Billed,
}

/// What a component is billed as. Sizes and classes are keys of the price
/// table (`None`: the table's default); indices are the family's, in plan
/// and report order.
#[derive(Clone, Debug)]
pub enum Billed {
    /// The pods of deployment `deployment`, each one instance of `instance`;
    /// `spot` splits them when no node pool (`nodes`) is modelled.
    Pods {
        /// Index in the plan's deployments.
        deployment: usize,
        /// Instance size.
        instance: Option<String>,
        /// Share of pod-hours on spot capacity.
        spot: Option<f64>,
        /// Whether a node pool is modelled (its spot share is measured).
        nodes: bool,
    },
    /// A database's nodes: per regional copy (or one), each shard's primary
    /// and read replicas, and a PgBouncer host per copy if it has one.
    Database {
        /// Class of the primaries.
        class: Option<String>,
        /// Class of the read replicas (default: `class`).
        replica_class: Option<String>,
        /// Shards (1 without sharding).
        shards: u32,
        /// Read replicas per shard.
        replicas: u32,
        /// Regions of its copies (empty: one copy).
        regions: Vec<String>,
        /// With PgBouncer: its instance size.
        pgbouncer: Option<Option<String>>,
        /// Each node's storage volume, with a data size.
        storage: Option<StorageBilled>,
    },
    /// One load balancer.
    LoadBalancer,
    /// One shared-cache node of `class`.
    CacheNode {
        /// Cache node class.
        class: Option<String>,
    },
    /// The edge traffic of CDN `cdn`.
    Cdn {
        /// Index in the plan's CDNs.
        cdn: usize,
    },
    /// Job queue `queue`: a Redis node of `redis_node`, or a managed queue
    /// billed by its requests.
    Queue {
        /// Index in the plan's queues.
        queue: usize,
        /// The Redis node class, if Redis-backed.
        redis_node: Option<String>,
    },
    /// An external dependency: not ours to bill.
    External,
}
