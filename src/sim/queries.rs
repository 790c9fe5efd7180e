//! Database queries at run time: per-pod pools and PgBouncer to a primary
//! or a replica of the right shard, replication lag with per-key versions,
//! read-your-writes, failover, and scatter-gather reads.
//!
//! ```text
//!  Query: pod pool ──▶ PgBouncer (per shard) ──▶ node (primary | replica) ──▶ done
//!         (wait ≤ acquire_timeout)  (wait)          (connections, FIFO)
//! ```
//!
//! Versions: every key has a write count and the global sequence number of
//! its last write. A write ships to each replica of its shard with a drawn
//! lag (applied in commit order); a replica read of a key whose last write it
//! has not applied is a stale read and returns the previous version, which a
//! cache fill then keeps. Failover: writes and primary reads fail with
//! "db failover" while the promotion lasts; every committed write survives
//! and the promoted node serves as the primary afterwards.

use super::database::Database;
use super::event::{Event, U32};
use super::families::{Family, StationSamples};
use super::interpreter::Sim;
use super::pool::{Acquire, Gate};
use super::regions::DbRoute;
use crate::algo::ring::ShardMap;
use crate::algo::Nanos;
use crate::engine::{stream, PagedTable, Rng};
use crate::metrics::ErrorCause;
use crate::report::{DatabaseReport, NodeReport, PoolReport, Report, ShardReport, StationReport};
use crate::scenario::{DataOp, Plan, ReadRouting};
use crate::sim::station::Admission;

/// Marks a queued id as one shard's part of a scatter-gather read.
const SUB: u32 = 0x8000_0000;
/// Bits of a sub-query id that hold the node index.
const NODE_BITS: u32 = 10;
/// No node / no pool.
const NONE: u32 = u32::MAX;

/// A query event.
#[derive(Copy, Clone, Debug)]
#[repr(u8)]
pub(super) enum QueryEvent {
    /// A request's query (or one shard's part of a scatter read) finished.
    Done(U32),
    /// A request's wait for a pool connection may have timed out.
    PoolTimeout(U32),
    /// A database node's vCPUs (its place in all databases' nodes, and the
    /// generation of its pending event): a query's CPU work may be done.
    Cpu(U32, u8),
    /// A request's new pool connection is open (its connect time is over).
    Connected(U32),
    /// A deployment's pool housekeeper closes connections idle too long.
    Housekeep(U32),
    /// A query's (or scatter part's) page read from its node's volume is done.
    Read(U32),
}

/// How often a pool's housekeeper looks for idle connections to close
/// (HikariCP's `housekeepingPeriodMs`, 30s).
pub(super) const HOUSEKEEPING_PERIOD: Nanos = Nanos::from_secs(30);

/// A request's query state.
#[derive(Copy, Clone, Debug)]
pub(super) struct QuerySide {
    db: u16,
    write: bool,
    dist: u32,
    node: u32,
    shard: u32,
    /// Pool held or waited for: deployment and pod (`NONE`: no pool).
    pool_dep: u32,
    pool_pod: u32,
    has_pool: bool,
    has_bouncer: bool,
    waiting_pool: bool,
    since: Nanos,
    /// Outstanding scatter-gather parts.
    remaining: u32,
    /// Why a scatter read fails once its started parts are done.
    scatter_failed: Option<ErrorCause>,
    /// Its `Done` is the pool's statement timeout cancelling it.
    cancelled: bool,
}

impl QuerySide {
    /// A request with no query.
    pub(super) const NONE: QuerySide = QuerySide {
        db: 0,
        write: false,
        dist: 0,
        node: NONE,
        shard: 0,
        pool_dep: NONE,
        pool_pod: NONE,
        has_pool: false,
        has_bouncer: false,
        waiting_pool: false,
        since: Nanos::ZERO,
        remaining: 0,
        scatter_failed: None,
        cancelled: false,
    };
}

/// The queries family's state.
pub(super) struct Queries {
    /// Databases (copies in regions included).
    pub(super) databases: Vec<Database>,
    /// Per database: the stream of its query times and lags.
    pub(super) rngs: Vec<Rng>,
    /// Per database: the stream of its buffer-cache lookups and page reads.
    pub(super) storage_rngs: Vec<Rng>,
    /// Per database copy: the stream of the lags of the writes it receives
    /// from another region (drawn only when a lag is declared).
    cross_rngs: Vec<Rng>,
    /// Per deployment: its pods' connection pools.
    pools: Vec<Vec<Gate>>,
    /// Per key: its write count in every database (the version cache-aside
    /// compares with its cached values). Kept only when something reads it
    /// (replicas or regional copies, cache-aside): it grows with the keys
    /// written.
    versions: PagedTable<u32>,
    /// Per database (its writer copy's index): per key, the sequence number
    /// of its last write there, which a replica or regional copy has applied
    /// or not (a stale read). Pages only for databases with replicas or copies.
    last_writes: Vec<PagedTable<u64>>,
    /// Per database (its writer copy's index): whether any node of it reads
    /// behind the primary (replicas, or copies in other regions).
    lagging: Vec<bool>,
    track_versions: bool,
    /// Whether the workload models keys: without them every request touches
    /// key 0, whose versions say nothing of staleness, so none is counted.
    keyed: bool,
    /// Per user: time of the last write + 1 ns (0: none); kept only for
    /// read-your-writes.
    last_write: PagedTable<u64>,
    track_users: bool,
    seq: u64,
    /// Per database: the place of its first node in all databases' nodes.
    pub(super) node_base: Vec<u32>,
}

impl Queries {
    /// Idle databases and empty pools for `plan`.
    pub(super) fn new(plan: &Plan) -> Queries {
        let databases: Vec<Database> = plan.databases.iter().map(Database::new).collect();
        let node_base = databases
            .iter()
            .scan(0u32, |next, d| {
                let base = *next;
                *next += d.nodes.len() as u32;
                Some(base)
            })
            .collect();
        Queries {
            databases,
            node_base,
            rngs: plan
                .databases
                .iter()
                .map(|d| stream(plan.seed, &format!("database/{}", d.name)))
                .collect(),
            storage_rngs: plan
                .databases
                .iter()
                .map(|d| stream(plan.seed, &format!("database/{}/storage", d.name)))
                .collect(),
            cross_rngs: plan
                .databases
                .iter()
                .map(|d| stream(plan.seed, &format!("database/{}/cross-region", d.name)))
                .collect(),
            pools: plan.deployments.iter().map(|_| Vec::new()).collect(),
            versions: PagedTable::new(plan.workload.keys.as_ref().map_or(1, |k| k.len())),
            last_writes: plan
                .databases
                .iter()
                .map(|_| PagedTable::new(plan.workload.keys.as_ref().map_or(1, |k| k.len())))
                .collect(),
            lagging: (0..plan.databases.len())
                .map(|w| {
                    plan.databases
                        .iter()
                        .enumerate()
                        .any(|(i, d)| d.writer == w && (d.replicas > 0 || i != w))
                })
                .collect(),
            track_versions: !plan.asides.is_empty()
                || plan
                    .databases
                    .iter()
                    .any(|d| d.replicas > 0 || !d.copies.is_empty()),
            keyed: plan.workload.keys.is_some(),
            last_write: PagedTable::new(plan.workload.users),
            track_users: plan.reads_users(),
            seq: 0,
        }
    }

    /// Writes of `key` so far: its version.
    pub(super) fn count(&self, key: u64) -> u32 {
        self.versions.get(key)
    }

    /// The databases' and pools' report sections.
    fn reports(&mut self, plan: &Plan, now: Nanos) -> (Vec<DatabaseReport>, Vec<PoolReport>) {
        let mut databases = Vec::new();
        let mut pools = Vec::new();
        for (spec, d) in plan.databases.iter().zip(&mut self.databases) {
            let sharded = spec.shards.is_some();
            let mut nodes = Vec::new();
            let mut shards = Vec::new();
            let total: u64 = d.nodes.iter().map(|n| n.queries).sum();
            let group = d.group as usize;
            let since = d.measured_since;
            for (s, chunk) in d.nodes.chunks_mut(group).enumerate() {
                let queries: u64 = chunk.iter().map(|n| n.queries).sum();
                let mut primary_util = 0.0;
                for (i, n) in chunk.iter_mut().enumerate() {
                    let util = n.occupancy.summary(now).utilization;
                    if i == 0 {
                        primary_util = util;
                    }
                    let role = if i == 0 {
                        "primary".to_owned()
                    } else {
                        format!("replica{i}")
                    };
                    nodes.push(NodeReport {
                        name: if sharded {
                            format!("{}/shard{s}/{role}", spec.name)
                        } else {
                            format!("{}/{role}", spec.name)
                        },
                        queries: n.queries,
                        utilization: util,
                        stale_reads: n.stale_reads,
                        lag_mean_ms: if n.lag_n == 0 {
                            0.0
                        } else {
                            crate::metrics::round6(n.lag_sum * 1e3 / n.lag_n as f64)
                        },
                        lag_max_ms: ms(n.lag_max),
                        class: if i == 0 {
                            &spec.class
                        } else {
                            &spec.replica_class
                        }
                        .as_ref()
                        .map(|c| c.name.clone()),
                        cpu_utilization: n.cpu_utilization(since, now),
                        storage: spec.data.as_ref().map(|data| {
                            let cache = if i == 0 { &data.primary } else { &data.replica };
                            let seconds = (now - since).as_secs_f64();
                            n.storage.report(data, cache.hit_ratio, seconds)
                        }),
                    });
                }
                shards.push(ShardReport {
                    shard: s as u32,
                    queries,
                    share: ratio(queries, total),
                    primary_utilization: primary_util,
                });
            }
            let hottest = shards.iter().map(|s| s.share).fold(0.0, f64::max);
            databases.push(DatabaseReport {
                name: spec.name.clone(),
                reads: d.reads,
                writes: d.writes,
                stale_reads: d.nodes.iter().map(|n| n.stale_reads).sum(),
                read_your_writes_reads: d.ryw_reads,
                open_connections: d.open,
                peak_open_connections: d.open_peak,
                max_connections: spec.max_connections,
                refused_connections: d.refused,
                nodes,
                shards,
                hottest_shard_share: hottest,
            });
            if !d.bouncers.is_empty() {
                pools.push(pool_report(format!("{}/pgbouncer", spec.name), &d.bouncers));
            }
        }
        for (spec, gates) in plan.deployments.iter().zip(&self.pools) {
            if spec.pool.is_some() {
                pools.push(pool_report(format!("{}/pool", spec.name), gates));
            }
        }
        (databases, pools)
    }
}

impl Family for Queries {
    fn reset(&mut self, now: Nanos) {
        for d in &mut self.databases {
            d.occupancy.reset(now);
            d.reset(now);
        }
        for g in self.pools.iter_mut().flatten() {
            g.reset();
        }
    }

    fn tick(&mut self, now: Nanos, stations: &mut StationSamples) {
        for d in &mut self.databases {
            stations.push(d.occupancy.take_interval(now));
        }
    }

    fn report(&mut self, plan: &Plan, now: Nanos, report: &mut Report) {
        for (spec, d) in plan.databases.iter().zip(&mut self.databases) {
            report.stations.push(StationReport {
                name: spec.name.clone(),
                kind: "database".into(),
                stats: d.occupancy.summary(now),
                held: Vec::new(),
            });
        }
        (report.databases, report.pools) = self.reports(plan, now);
    }
}

impl Sim<'_> {
    /// Routes a query event.
    #[inline]
    pub(super) fn query_event(&mut self, now: Nanos, event: QueryEvent) {
        match event {
            QueryEvent::Done(id) => self.query_done(now, id.get()),
            QueryEvent::PoolTimeout(r) => self.pool_timeout(now, r.get()),
            QueryEvent::Cpu(at, generation) => self.query_cpu_event(now, at.get(), generation),
            QueryEvent::Connected(r) => self.stage_bouncer(now, r.get()),
            QueryEvent::Housekeep(d) => self.housekeep(now, d.get()),
            QueryEvent::Read(id) => self.read_done(now, id.get()),
        }
    }

    /// Runs database op `op` of request `r`; true if the request goes on stepping now.
    pub(super) fn data_op(&mut self, now: Nanos, r: u32, op: DataOp) -> bool {
        match op {
            DataOp::Query { db, write, dist } => {
                let db = match self.database_route(now, r, db, write) {
                    DbRoute::Copy(c) => c,
                    DbRoute::Travelling => return false,
                    DbRoute::Down => {
                        self.fail(now, r, ErrorCause::RegionDown);
                        return false;
                    }
                };
                self.requests[r].station_since = now;
                self.query(now, r, db, write, dist);
            }
            DataOp::Scatter { db, dist } => self.scatter(now, r, db, dist),
        }
        false
    }

    /// Opens the per-pod pools' `min` connections at start.
    pub(super) fn open_min_connections(&mut self) {
        for (d, spec) in self.plan.deployments.iter().enumerate() {
            let Some(pool) = spec.pool else { continue };
            for _ in 0..spec.replicas {
                let open = match spec.database {
                    Some(db) if self.plan.databases[db].bouncer.is_none() => {
                        self.families.queries.databases[db]
                            .open_many(pool.min, self.plan.databases[db].max_connections)
                    }
                    _ => pool.min,
                };
                self.families.queries.pools[d].push(Gate::new(pool.max, open));
            }
            if pool.idle_timeout.is_some() && HOUSEKEEPING_PERIOD < self.plan.duration {
                self.queue.schedule(
                    HOUSEKEEPING_PERIOD,
                    Event::Queries(QueryEvent::Housekeep((d as u32).into())),
                );
            }
        }
    }

    /// Deployment `d`'s pool housekeeper: in every pod's pool, the
    /// connections above `min` idle `idle_timeout` or longer are closed
    /// (and with them their server connections); it runs again a period later.
    fn housekeep(&mut self, now: Nanos, d: u32) {
        let spec = &self.plan.deployments[d as usize];
        let pool = spec.pool.expect("a housekeeper needs a pool");
        let timeout = pool
            .idle_timeout
            .expect("a housekeeper needs an idle timeout");
        let direct = spec
            .database
            .filter(|&db| self.plan.databases[db].bouncer.is_none());
        let fam = &mut self.families.queries;
        for gate in &mut fam.pools[d as usize] {
            let closed = gate.close_idle(now, timeout, pool.min);
            if let Some(db) = direct {
                fam.databases[db].close(closed);
            }
        }
        let next = now + HOUSEKEEPING_PERIOD;
        if next < self.plan.duration {
            self.queue
                .schedule(next, Event::Queries(QueryEvent::Housekeep(d.into())));
        }
    }

    fn shard_of(&self, db: usize, r: u32) -> u32 {
        let d = &self.families.queries.databases[db];
        match (&d.ring, self.plan.databases[db].shards) {
            (Some(ring), Some(spec)) => {
                let req = &self.requests[r];
                let k = if spec.by_tenant { req.tenant } else { req.key };
                ring.shard_for_digest(spec.hash.digest(k)).unwrap_or(0)
            }
            _ => 0,
        }
    }

    /// Starts query `r` on database `db`: pool, then PgBouncer, then a node.
    pub(super) fn query(&mut self, now: Nanos, r: u32, db: u16, write: bool, dist: u32) {
        let shard = self.shard_of(db as usize, r);
        let req = &self.requests[r];
        let (mut pool_dep, mut pool_pod) = (NONE, NONE);
        if req.depth > 0 {
            let held = req.held[req.depth as usize - 1];
            if self.plan.deployments[held.deployment as usize]
                .pool
                .is_some()
            {
                pool_dep = u32::from(held.deployment);
                pool_pod = held.pod;
            }
        }
        let s = &mut self.requests[r].query;
        s.db = db;
        s.write = write;
        s.dist = dist;
        s.shard = shard;
        s.node = NONE;
        s.pool_dep = pool_dep;
        s.pool_pod = pool_pod;
        s.has_pool = false;
        s.has_bouncer = false;
        s.waiting_pool = false;
        s.cancelled = false;
        self.stage_pool(now, r);
    }

    fn pool_gate(&mut self, d: u32, p: u32) -> &mut Gate {
        let spec = self.plan.deployments[d as usize]
            .pool
            .expect("a pool stage needs a pool");
        let pools = &mut self.families.queries.pools[d as usize];
        while pools.len() <= p as usize {
            pools.push(Gate::new(spec.max, 0));
        }
        &mut pools[p as usize]
    }

    fn stage_pool(&mut self, now: Nanos, r: u32) {
        let s = self.requests[r].query;
        if s.pool_dep == NONE {
            return self.stage_bouncer(now, r);
        }
        let db = s.db as usize;
        let direct = self.plan.databases[db].bouncer.is_none();
        let max = self.plan.databases[db].max_connections;
        match self.pool_gate(s.pool_dep, s.pool_pod).try_acquire() {
            Acquire::Idle => {}
            Acquire::Open => {
                // Without PgBouncer a pool connection is a server connection.
                if direct && !self.families.queries.databases[db].try_open(max) {
                    return self.query_fail(now, r, ErrorCause::TooManyConnections);
                }
                self.pool_gate(s.pool_dep, s.pool_pod).opened();
                let connect = self.plan.deployments[s.pool_dep as usize]
                    .pool
                    .expect("pool")
                    .connect_time;
                if connect > Nanos::ZERO {
                    // The query goes on once its new connection is open.
                    self.requests[r].query.has_pool = true;
                    self.queue.schedule(
                        now + connect,
                        Event::Queries(QueryEvent::Connected(r.into())),
                    );
                    return;
                }
            }
            Acquire::Wait => {
                self.pool_gate(s.pool_dep, s.pool_pod)
                    .queue
                    .push_back((r, now));
                let timeout = self.plan.deployments[s.pool_dep as usize]
                    .pool
                    .expect("pool")
                    .acquire_timeout;
                let side = &mut self.requests[r].query;
                side.waiting_pool = true;
                side.since = now;
                self.queue.schedule(
                    now + timeout,
                    Event::Queries(QueryEvent::PoolTimeout(r.into())),
                );
                return;
            }
        }
        self.requests[r].query.has_pool = true;
        self.stage_bouncer(now, r);
    }

    /// A pool wait timed out (if `r` is still waiting since then).
    pub(super) fn pool_timeout(&mut self, now: Nanos, r: u32) {
        let s = self.requests[r].query;
        if !s.waiting_pool || !self.requests[r].alive {
            return;
        }
        let timeout = self.plan.deployments[s.pool_dep as usize]
            .pool
            .expect("pool")
            .acquire_timeout;
        if s.since + timeout != now {
            return;
        }
        let measured = self.measure.on;
        let gate = self.pool_gate(s.pool_dep, s.pool_pod);
        if gate.time_out(r, s.since) {
            if !measured {
                gate.timeouts -= 1;
            }
            self.requests[r].query.waiting_pool = false;
            self.query_fail(now, r, ErrorCause::PoolTimeout);
        }
    }

    fn stage_bouncer(&mut self, now: Nanos, r: u32) {
        let s = self.requests[r].query;
        let db = s.db as usize;
        if self.families.queries.databases[db].bouncers.is_empty() {
            return self.stage_node(now, r);
        }
        let max = self.plan.databases[db].max_connections;
        let d = &mut self.families.queries.databases[db];
        match d.bouncers[s.shard as usize].try_acquire() {
            Acquire::Idle => {}
            Acquire::Open => {
                if !d.try_open(max) {
                    return self.query_fail(now, r, ErrorCause::TooManyConnections);
                }
                d.bouncers[s.shard as usize].opened();
            }
            Acquire::Wait => {
                d.bouncers[s.shard as usize].queue.push_back((r, now));
                return;
            }
        }
        self.requests[r].query.has_bouncer = true;
        self.stage_node(now, r);
    }

    /// Whether request `r`'s user wrote within database `db`'s
    /// read-your-writes window before `now` (so it reads from the primary).
    pub(super) fn reads_own_write(&self, now: Nanos, r: u32, db: usize) -> bool {
        self.plan.databases[db].read_your_writes.is_some_and(|w| {
            // 0: never wrote; else the time of the last write + 1 ns.
            let t = self.families.queries.last_write.get(self.requests[r].user);
            t > 0 && now < Nanos(t - 1).saturating_add(w)
        })
    }

    /// The node a query of `r` goes to, or `None` if it needs the primary during a failover.
    fn route_node(
        &mut self,
        now: Nanos,
        r: u32,
        db: usize,
        shard: u32,
        write: bool,
    ) -> Option<u32> {
        let spec = &self.plan.databases[db];
        let group = self.families.queries.databases[db].group;
        let base = shard * group;
        let replicas = group - 1;
        // Only the writer's primary has every write (a read that reached
        // another copy did so because the writer's region was down).
        let ryw = !write && db == spec.writer && self.reads_own_write(now, r, db);
        let d = &mut self.families.queries.databases[db];
        // Counted when the database has somewhere else to read: replicas or copies.
        if ryw && (replicas > 0 || spec.copies.len() > 1) && self.measure.on {
            d.ryw_reads += 1;
        }
        let node = if write || replicas == 0 || ryw || spec.reads == ReadRouting::Primary {
            base
        } else if spec.reads == ReadRouting::LeastLoaded {
            (1..=replicas)
                .min_by_key(|&i| d.nodes[(base + i) as usize].slots.in_flight())
                .map_or(base, |i| base + i)
        } else {
            d.rr = d.rr.wrapping_add(1);
            base + 1 + d.rr % replicas
        };
        if node == base && d.failing_over {
            None
        } else {
            Some(node)
        }
    }

    fn stage_node(&mut self, now: Nanos, r: u32) {
        let s = self.requests[r].query;
        let db = s.db as usize;
        let Some(node) = self.route_node(now, r, db, s.shard, s.write) else {
            return self.query_fail(now, r, ErrorCause::DbFailover);
        };
        self.requests[r].query.node = node;
        self.requests[r].station_since = now;
        let d = &mut self.families.queries.databases[db];
        let n = &mut d.nodes[node as usize];
        match n.slots.admit(r, now) {
            Admission::Started => {
                n.occupancy.arrive_and_start(now);
                d.occupancy.arrive_and_start(now);
                self.start_query(now, db, node, r, s.dist);
            }
            Admission::Queued => {
                n.occupancy.arrive_and_queue(now);
                d.occupancy.arrive_and_queue(now);
            }
            Admission::Rejected => {
                n.occupancy.reject();
                d.occupancy.reject();
                self.query_fail(now, r, ErrorCause::QueueFull);
            }
        }
    }

    /// Query (or scatter part) `id` starts on node `node`: its time is
    /// drawn from `dist`, then waited, or, on a node sized by its class,
    /// worked on its vCPUs.
    pub(super) fn start_service(&mut self, now: Nanos, db: usize, node: u32, id: u32, dist: u32) {
        let t = self.plan.samplers[dist as usize].sample(&mut self.families.queries.rngs[db]);
        let d = &self.families.queries.databases[db];
        let t = super::interpreter::slowed(t, d.slowdown);
        if d.nodes[node as usize].cpu.is_some() {
            return self.start_query_cpu(now, db, node, id, t);
        }
        let t = match self.statement_timeout(id) {
            Some(limit) if t > limit => {
                self.requests[id].query.cancelled = true;
                limit
            }
            _ => t,
        };
        self.queue
            .schedule(now + t, Event::Queries(QueryEvent::Done(id.into())));
    }

    /// The `statement_timeout` of the pool query `id` (not a scatter part) holds, if any.
    fn statement_timeout(&self, id: u32) -> Option<Nanos> {
        if id & SUB != 0 {
            return None;
        }
        let s = &self.requests[id].query;
        if !s.has_pool {
            return None;
        }
        self.plan.deployments[s.pool_dep as usize]
            .pool
            .and_then(|p| p.statement_timeout)
    }

    /// Query (or scatter part) `id`'s page read is done: its work starts.
    fn read_done(&mut self, now: Nanos, id: u32) {
        let s = self.requests[owner(id)].query;
        let node = if id & SUB != 0 {
            id & ((1 << NODE_BITS) - 1)
        } else {
            s.node
        };
        self.start_service(now, s.db as usize, node, id, s.dist);
    }

    /// Releases the pool and PgBouncer connections `r` holds; hands them on.
    fn release_connections(&mut self, now: Nanos, r: u32) {
        let s = self.requests[r].query;
        let db = s.db as usize;
        if s.has_bouncer {
            self.requests[r].query.has_bouncer = false;
            if let Some((next, _)) =
                self.families.queries.databases[db].bouncers[s.shard as usize].release(now)
            {
                self.requests[next].query.has_bouncer = true;
                self.stage_node(now, next);
            }
        }
        if s.has_pool {
            self.requests[r].query.has_pool = false;
            if let Some((next, _)) = self.pool_gate(s.pool_dep, s.pool_pod).release(now) {
                let side = &mut self.requests[next].query;
                side.waiting_pool = false;
                side.has_pool = true;
                self.stage_bouncer(now, next);
            }
        }
    }

    fn query_fail(&mut self, now: Nanos, r: u32, cause: ErrorCause) {
        self.release_connections(now, r);
        self.fail(now, r, cause);
    }

    /// Frees a connection of `node`; the next queued query (or part) starts.
    fn release_node(&mut self, now: Nanos, db: usize, node: u32, since: Nanos) {
        let d = &mut self.families.queries.databases[db];
        let n = &mut d.nodes[node as usize];
        n.occupancy.finish(now, now - since);
        d.occupancy.finish(now, now - since);
        if self.measure.on {
            n.queries += 1;
        }
        if let Some((next, queued_at)) = n.slots.release() {
            n.occupancy.start_from_queue(now, now - queued_at);
            d.occupancy.start_from_queue(now, now - queued_at);
            let owner = if next & SUB != 0 {
                (next & !SUB) >> NODE_BITS
            } else {
                next
            };
            let dist = self.requests[owner].query.dist;
            self.start_query(now, db, node, next, dist);
        }
    }

    /// A query (or one shard's part of a scatter read) finished.
    pub(super) fn query_done(&mut self, now: Nanos, id: u32) {
        if id & SUB != 0 {
            let r = (id & !SUB) >> NODE_BITS;
            let node = id & ((1 << NODE_BITS) - 1);
            let s = self.requests[r].query;
            self.release_node(now, s.db as usize, node, s.since);
            let side = &mut self.requests[r].query;
            side.remaining -= 1;
            if side.remaining == 0 {
                if let Some(cause) = side.scatter_failed {
                    // A part could not run: the request fails once every part it started is done.
                    self.fail(now, r, cause);
                    return;
                }
                if self.measure.on {
                    self.families.queries.databases[s.db as usize].reads += 1;
                }
                self.requests[r].pc += 1;
                self.step(now, r);
            }
            return;
        }
        let r = id;
        let s = self.requests[r].query;
        let db = s.db as usize;
        let since = self.requests[r].station_since;
        self.release_node(now, db, s.node, since);
        if s.cancelled {
            // Cancelled on the server: nothing committed, connections freed now.
            self.requests[r].query.cancelled = false;
            return self.query_fail(now, r, ErrorCause::StatementTimeout);
        }
        self.commit(now, r, db, s);
        self.release_connections(now, r);
        self.requests[r].pc += 1;
        // A query whose database copy's region went down meanwhile fails.
        if self.families.regions.any_down() && self.families.regions.db_down(self.plan, db) {
            self.fail(now, r, ErrorCause::RegionDown);
            return;
        }
        self.step(now, r);
    }

    /// Versions and replication for a finished query.
    fn commit(&mut self, now: Nanos, r: u32, db: usize, s: QuerySide) {
        let (key, user) = (self.requests[r].key, self.requests[r].user);
        let measured = self.measure.on;
        let fam = &mut self.families.queries;
        let d = &mut fam.databases[db];
        if s.write {
            fam.seq += 1;
            let seq = fam.seq;
            if fam.track_versions {
                *fam.versions.get_mut(key) += 1;
                let writer = self.plan.databases[db].writer;
                if fam.lagging[writer] {
                    *fam.last_writes[writer].get_mut(key) = seq;
                }
            }
            if fam.track_users {
                *fam.last_write.get_mut(user) = now.0 + 1;
            }
            if measured {
                d.writes += 1;
            }
            self.replicate(now, db, s.shard, seq);
        } else {
            if measured {
                d.reads += 1;
            }
            let writer = self.plan.databases[db].writer;
            let primary = db == writer && s.node.is_multiple_of(d.group);
            let count = fam.versions.get(key);
            let n = &mut d.nodes[s.node as usize];
            n.catch_up(now);
            // Stale against this database's last write of the key (not writes
            // of the same key to other databases): any node but the writer's
            // primary may lag.
            let stale = fam.keyed && !primary && fam.last_writes[writer].get(key) > n.applied;
            if stale && measured {
                n.stale_reads += 1;
            }
            self.requests[r].cache.version = if stale { count - 1 } else { count };
        }
    }

    /// Ships write `seq` of `shard`, committed on database copy `db`, to
    /// its replicas (each after a draw of the replication lag, or at once)
    /// and to every other copy of it: each copy's node of that shard applies
    /// it after a draw of the cross-region lag (default: half the round
    /// trip), its replicas a replication lag after that.
    fn replicate(&mut self, now: Nanos, db: usize, shard: u32, seq: u64) {
        let (plan, measured) = (self.plan, self.measure.on);
        let spec = &plan.databases[db];
        let fam = &mut self.families.queries;
        let d = &mut fam.databases[db];
        let (base, extra) = (shard * d.group, d.extra_lag);
        if let Some(lag) = spec.lag {
            for i in 1..d.group {
                let drawn = plan.samplers[lag as usize].sample(&mut fam.rngs[db]) + extra;
                d.nodes[(base + i) as usize].ship(seq, now, drawn, measured);
            }
        } else {
            for i in 1..d.group {
                d.nodes[(base + i) as usize].applied = seq;
            }
        }
        let (Some(rs), Some(from)) = (&plan.regions, spec.region) else {
            return;
        };
        for &c in spec.copies.iter().filter(|&&c| c != db) {
            let rng = &mut fam.cross_rngs[c];
            let cross = spec.cross_region_lag.map_or_else(
                || Nanos(rs.rtt(from, plan.databases[c].region.expect("placed")).0 / 2),
                |x| plan.samplers[x as usize].sample(rng),
            ) + extra;
            let copy = &mut fam.databases[c];
            let base = shard * copy.group;
            copy.nodes[base as usize].ship(seq, now, cross, measured);
            for i in 1..copy.group {
                let local = plan.databases[c]
                    .lag
                    .map_or(Nanos::ZERO, |x| plan.samplers[x as usize].sample(rng));
                copy.nodes[(base + i) as usize].ship(seq, now, cross + local, measured);
            }
        }
    }

    /// A read on every shard; the request goes on when the slowest part is done.
    fn scatter(&mut self, now: Nanos, r: u32, db: u16, dist: u32) {
        let shards = self.plan.databases[db as usize]
            .shards
            .map_or(1, |s| s.count);
        let s = &mut self.requests[r].query;
        s.db = db;
        s.dist = dist;
        s.write = false;
        s.since = now;
        s.remaining = shards;
        s.node = NONE;
        s.has_pool = false;
        s.has_bouncer = false;
        s.waiting_pool = false;
        let mut failed = None;
        let mut admitted = 0;
        for shard in 0..shards {
            let Some(node) = self.route_node(now, r, db as usize, shard, false) else {
                failed = Some(ErrorCause::DbFailover);
                continue;
            };
            let id = SUB | (r << NODE_BITS) | node;
            let d = &mut self.families.queries.databases[db as usize];
            let n = &mut d.nodes[node as usize];
            match n.slots.admit(id, now) {
                Admission::Started => {
                    n.occupancy.arrive_and_start(now);
                    d.occupancy.arrive_and_start(now);
                    admitted += 1;
                    self.start_query(now, db as usize, node, id, dist);
                }
                Admission::Queued => {
                    n.occupancy.arrive_and_queue(now);
                    d.occupancy.arrive_and_queue(now);
                    admitted += 1;
                }
                Admission::Rejected => {
                    n.occupancy.reject();
                    d.occupancy.reject();
                    failed = Some(ErrorCause::QueueFull);
                }
            }
        }
        let side = &mut self.requests[r].query;
        side.remaining = admitted;
        side.scatter_failed = failed;
        if admitted == 0 {
            if let Some(cause) = failed {
                self.fail(now, r, cause);
            }
        }
    }
}

/// The request a query id (a request, or one shard's part of its scatter read) belongs to.
pub(super) fn owner(id: u32) -> u32 {
    if id & SUB != 0 {
        (id & !SUB) >> NODE_BITS
    } else {
        id
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        crate::metrics::round6(a as f64 / b as f64)
    }
}

fn ms(t: Nanos) -> f64 {
    crate::metrics::round6(t.as_millis_f64())
}

fn pool_report(name: String, gates: &[Gate]) -> crate::report::PoolReport {
    let acquired: u64 = gates.iter().map(|g| g.acquired).sum();
    let waited: u64 = gates.iter().map(|g| g.waited).sum();
    let timeouts: u64 = gates.iter().map(|g| g.timeouts).sum();
    let sum: f64 = gates.iter().map(|g| g.wait_sum.as_millis_f64()).sum();
    let got = waited - timeouts;
    crate::report::PoolReport {
        name,
        acquisitions: acquired,
        waited,
        wait_mean_ms: if got == 0 {
            0.0
        } else {
            crate::metrics::round6(sum / got as f64)
        },
        wait_max_ms: ms(gates
            .iter()
            .map(|g| g.wait_max)
            .max()
            .unwrap_or(Nanos::ZERO)),
        timeouts,
        open_connections: gates.iter().map(|g| g.open).sum(),
    }
}
