//! A database: one primary and its read replicas per shard, each node with
//! its own connections (served one query each, FIFO queue), replication lag
//! and the connections opened to it.

use super::cpu::{CpuTotals, Processor};
use super::pool::Gate;
use super::station::Slots;
use super::storage::NodeStorage;
use crate::algo::ring::{HashRing, RangeMap, Sharding};
use crate::algo::Nanos;
use crate::metrics::Occupancy;
use crate::scenario::{DatabaseSpec, NodeClass};
use std::collections::VecDeque;

/// One server: a shard's primary or one of its replicas.
pub(super) struct Node {
    /// Connections and the wait queue.
    pub(super) slots: Slots,
    /// Connection occupancy of this node.
    pub(super) occupancy: Occupancy,
    /// Queries finished (measured period).
    pub(super) queries: u64,
    /// Reads that missed the latest write of their key (every node but the
    /// primary of the copy that takes the writes).
    pub(super) stale_reads: u64,
    /// Highest write sequence number applied (all but the writer's primaries).
    pub(super) applied: u64,
    /// Writes shipped but not yet applied: (sequence, apply time), both ascending.
    pub(super) pending: VecDeque<(u64, Nanos)>,
    /// Apply time of the last shipped write.
    pub(super) last_apply: Nanos,
    /// Sum, count and maximum of the lags drawn (measured period).
    pub(super) lag_sum: f64,
    pub(super) lag_n: u64,
    pub(super) lag_max: Nanos,
    /// Its class's vCPUs, when the database is sized by its class.
    pub(super) cpu: Option<Processor>,
    /// CPU its queries used (measured period).
    pub(super) cpu_totals: CpuTotals,
    /// Its buffer cache and volume (with a data size).
    pub(super) storage: NodeStorage,
}

impl Node {
    fn new(connections: u32, limit: Option<u32>, class: Option<&NodeClass>) -> Node {
        Node {
            cpu: class.map(|c| Processor::new(f64::from(c.vcpus), None, Nanos::ZERO, 0)),
            cpu_totals: CpuTotals::default(),
            storage: NodeStorage::default(),
            slots: Slots::new(connections, limit),
            occupancy: Occupancy::new(u64::from(connections)),
            queries: 0,
            stale_reads: 0,
            applied: 0,
            pending: VecDeque::new(),
            last_apply: Nanos::ZERO,
            lag_sum: 0.0,
            lag_n: 0,
            lag_max: Nanos::ZERO,
        }
    }

    /// Ships write `seq`, committed at `now`, to apply after `lag` (and
    /// after every write shipped before it: writes apply in commit order).
    pub(super) fn ship(&mut self, seq: u64, now: Nanos, lag: Nanos, measured: bool) {
        let at = (now + lag).max(self.last_apply);
        self.last_apply = at;
        self.pending.push_back((seq, at));
        if measured {
            self.lag_sum += lag.as_secs_f64();
            self.lag_n += 1;
            self.lag_max = self.lag_max.max(lag);
        }
    }

    /// Applies every shipped write due by `now`.
    pub(super) fn catch_up(&mut self, now: Nanos) {
        while let Some(&(seq, at)) = self.pending.front() {
            if at > now {
                break;
            }
            self.applied = seq;
            self.pending.pop_front();
        }
    }
}

/// The live state of a database.
pub(super) struct Database {
    /// Nodes, shard by shard: the primary, then its replicas.
    pub(super) nodes: Vec<Node>,
    /// Nodes per shard (1 + replicas).
    pub(super) group: u32,
    /// Shard placement (`None`: one shard).
    pub(super) ring: Option<Sharding>,
    /// Connection occupancy summed over all nodes.
    pub(super) occupancy: Occupancy,
    /// Multiplier on service times while a slowdown fault is active.
    pub(super) slowdown: f64,
    /// Round-robin position over replicas.
    pub(super) rr: u32,
    /// Lag added by a ReplicationLag fault.
    pub(super) extra_lag: Nanos,
    /// True while a failover is promoting a replica.
    pub(super) failing_over: bool,
    /// PgBouncer server pools, one per shard.
    pub(super) bouncers: Vec<Gate>,
    /// Server connections open now, and the most at once.
    pub(super) open: u32,
    pub(super) open_peak: u32,
    /// Connection attempts refused by max_connections.
    pub(super) refused: u64,
    /// Reads sent to the primary by the read-your-writes window.
    pub(super) ryw_reads: u64,
    /// Reads and writes finished (measured period).
    pub(super) reads: u64,
    pub(super) writes: u64,
    /// When the measured period began (the end of the warm-up).
    pub(super) measured_since: Nanos,
}

impl Database {
    /// An idle database.
    pub(super) fn new(spec: &DatabaseSpec) -> Self {
        let shards = spec.shards.map_or(1, |s| s.count);
        let group = 1 + spec.replicas;
        let mut nodes = Vec::new();
        let mut total = 0u64;
        for _ in 0..shards {
            nodes.push(Node::new(
                spec.connections,
                spec.queue_limit,
                spec.class.as_ref(),
            ));
            total += u64::from(spec.connections);
            for _ in 0..spec.replicas {
                nodes.push(Node::new(
                    spec.replica_connections,
                    spec.queue_limit,
                    spec.replica_class.as_ref(),
                ));
                total += u64::from(spec.replica_connections);
            }
        }
        Database {
            nodes,
            group,
            ring: spec.shards.map(|s| {
                let ids: Vec<u32> = (0..s.count).collect();
                if s.ranges {
                    Sharding::Ranges(RangeMap::even(&ids).expect("checked shard count"))
                } else {
                    Sharding::Ring(
                        HashRing::with_shards(s.vnodes, ids).expect("checked shard count"),
                    )
                }
            }),
            occupancy: Occupancy::new(total),
            slowdown: 1.0,
            rr: 0,
            extra_lag: Nanos::ZERO,
            failing_over: false,
            bouncers: spec
                .bouncer
                .map_or_else(Vec::new, |b| (0..shards).map(|_| Gate::new(b, 0)).collect()),
            open: 0,
            open_peak: 0,
            refused: 0,
            ryw_reads: 0,
            reads: 0,
            writes: 0,
            measured_since: Nanos::ZERO,
        }
    }

    /// Zeroes the counters at the end of the warm-up.
    pub(super) fn reset(&mut self, now: Nanos) {
        for n in &mut self.nodes {
            n.occupancy.reset(now);
            n.queries = 0;
            n.stale_reads = 0;
            n.lag_sum = 0.0;
            n.lag_n = 0;
            n.lag_max = Nanos::ZERO;
            if let Some(cpu) = &mut n.cpu {
                cpu.advance(now, &mut n.cpu_totals);
            }
            n.cpu_totals = CpuTotals::default();
            n.storage.reset();
        }
        self.measured_since = now;
        for b in &mut self.bouncers {
            b.reset();
        }
        self.open_peak = self.open;
        self.refused = 0;
        self.ryw_reads = 0;
        self.reads = 0;
        self.writes = 0;
    }

    /// Opens up to `n` server connections at once (as `n` calls of
    /// [`Database::try_open`]); returns how many opened.
    pub(super) fn open_many(&mut self, n: u32, max: Option<u32>) -> u32 {
        let room = max.map_or(n, |m| m.saturating_sub(self.open));
        let opened = n.min(room);
        self.open += opened;
        self.open_peak = self.open_peak.max(self.open);
        self.refused += u64::from(n - opened);
        opened
    }

    /// A pool closed `n` of its server connections.
    pub(super) fn close(&mut self, n: u32) {
        self.open -= n;
    }

    /// Opens one server connection if max_connections allows it.
    pub(super) fn try_open(&mut self, max: Option<u32>) -> bool {
        if max.is_some_and(|m| self.open >= m) {
            self.refused += 1;
            return false;
        }
        self.open += 1;
        self.open_peak = self.open_peak.max(self.open);
        true
    }
}
