//! A database node's buffer cache and storage volume, when the database
//! has a `data_size`: a query first looks up its key's page in the node's
//! cache; a miss reads the page from the volume before the query's work.
//!
//! ```text
//!  query on a connection ─▶ page cached? ─yes─────────────────────────▶ work
//!                                        └no─▶ volume (FIFO, a read starts
//!                                              every 1/IOPS at most) ─▶ work
//! ```
//!
//! The cache is a Bernoulli draw per lookup with the key's hit probability
//! by Che's approximation ([`DataSpec::hit_probability`]), not an LRU over
//! pages: a db.r6g.4xlarge caches 12.6M pages, whose LRU would take over a
//! gigabyte per node and, starting empty, most of an hour of simulated
//! traffic to warm, while production databases run warm. The test
//! `data_size::a_real_lru_over_pages_hits_as_the_model_says` checks the
//! draw against an LRU over the same pages.
//!
//! The volume serves reads in order, starting one every `read_interval`
//! (the larger of 1/IOPS and a page over the throughput), so IOPS is a
//! throughput ceiling and reads queue near it; each read then takes its
//! drawn latency. The query holds its connection meanwhile, not its CPU.

use super::event::Event;
use super::interpreter::Sim;
use super::queries::QueryEvent;
use crate::algo::Nanos;
use crate::metrics::round6;
use crate::report::NodeStorageReport;
use crate::scenario::DataSpec;

/// A node's buffer cache and volume counters (measured period), and when
/// its volume may start the next read.
#[derive(Clone, Debug, Default)]
pub(super) struct NodeStorage {
    next_free: Nanos,
    lookups: u64,
    hits: u64,
    reads: u64,
    /// Time reads waited for the volume, nanoseconds.
    wait_ns: f64,
}

impl NodeStorage {
    /// Zeroes the counters at the end of the warm-up.
    pub(super) fn reset(&mut self) {
        *self = NodeStorage {
            next_free: self.next_free,
            ..NodeStorage::default()
        };
    }

    /// The node's figures over `seconds` measured, its cache predicted to
    /// hit `che`.
    pub(super) fn report(&self, data: &DataSpec, che: f64, seconds: f64) -> NodeStorageReport {
        let per_second = |x: f64| round6(x / seconds.max(1e-9));
        NodeStorageReport {
            lookups: self.lookups,
            hit_ratio: if self.lookups == 0 {
                0.0
            } else {
                round6(self.hits as f64 / self.lookups as f64)
            },
            che_hit_ratio: round6(che),
            reads: self.reads,
            reads_per_second: per_second(self.reads as f64),
            volume_busy: per_second(self.reads as f64 * data.volume.read_interval.as_secs_f64()),
            read_wait_mean_ms: if self.reads == 0 {
                0.0
            } else {
                round6(self.wait_ns / self.reads as f64 / 1e6)
            },
        }
    }
}

impl Sim<'_> {
    /// Looks up the page of query `id`'s key in node `node` of database
    /// `db`: `None` on a hit (or without data), else when the page read
    /// from the volume is done.
    fn page_read(&mut self, now: Nanos, db: usize, node: u32, id: u32) -> Option<Nanos> {
        let data = self.plan.databases[db].data.as_ref()?;
        let key = self.requests[super::queries::owner(id)].key;
        let queries = &mut self.families.queries;
        let d = &mut queries.databases[db];
        let cache = if node.is_multiple_of(d.group) {
            &data.primary
        } else {
            &data.replica
        };
        let rng = &mut queries.storage_rngs[db];
        let hit = crate::engine::unit_open(rng) < data.hit_probability(cache, key);
        let measured = self.measure.on;
        let s = &mut d.nodes[node as usize].storage;
        if measured {
            s.lookups += 1;
            s.hits += u64::from(hit);
        }
        if hit {
            return None;
        }
        let start = now.max(s.next_free);
        s.next_free = start + data.volume.read_interval;
        if measured {
            s.reads += 1;
            s.wait_ns += (start - now).0 as f64;
        }
        let latency = self.plan.samplers[data.volume.latency as usize].sample(rng);
        Some(start + latency)
    }

    /// Starts query (or scatter part) `id` on its node: its page read
    /// first if the page is not cached, then its work.
    pub(super) fn start_query(&mut self, now: Nanos, db: usize, node: u32, id: u32, dist: u32) {
        match self.page_read(now, db, node, id) {
            Some(done) => self
                .queue
                .schedule(done, Event::Queries(QueryEvent::Read(id.into()))),
            None => self.start_service(now, db, node, id, dist),
        }
    }
}
