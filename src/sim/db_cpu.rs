//! A database node's vCPUs, when the database is sized by its class: a
//! query holds one of the node's connections while its time, drawn as
//! before, is CPU work served by processor sharing over the class's vCPUs
//! (a [`Processor`], the pods' model without a quota; one vCPU at most per
//! query). More busy connections than vCPUs share them; a larger class
//! serves the same work faster.
//!
//! ```text
//!  query ─▶ connection (FIFO beyond `connections`) ─▶ CPU work, n busy on c vCPUs: each at min(1, c/n)
//! ```
//!
//! Each such node keeps one pending [`QueryEvent::Cpu`], numbered by the
//! node's place in all databases' nodes and its processor's generation.

use super::cpu::Processor;
use super::database::Node;
use super::event::Event;
use super::interpreter::Sim;
use super::queries::{Queries, QueryEvent};
use crate::algo::Nanos;
use crate::metrics::round6;

impl Queries {
    /// The database and node of a node's place in all databases' nodes.
    fn node_at(&self, at: u32) -> (usize, u32) {
        let db = self.node_base.partition_point(|&b| b <= at) - 1;
        (db, at - self.node_base[db])
    }
}

impl Node {
    /// The share of its vCPUs its queries used since `since` (`None`
    /// without a class).
    pub(super) fn cpu_utilization(&mut self, since: Nanos, now: Nanos) -> Option<f64> {
        let cpu = self.cpu.as_mut()?;
        cpu.advance(now, &mut self.cpu_totals);
        let capacity = cpu.cores() * (now - since).0.max(1) as f64;
        Some(round6(self.cpu_totals.used_ns / capacity))
    }
}

impl Sim<'_> {
    /// Query (or scatter part) `id` on node `node` of database `db` starts
    /// `work` of CPU.
    pub(super) fn start_query_cpu(
        &mut self,
        now: Nanos,
        db: usize,
        node: u32,
        id: u32,
        work: Nanos,
    ) {
        let n = &mut self.families.queries.databases[db].nodes[node as usize];
        let cpu = n.cpu.as_mut().expect("a node sized by its class");
        cpu.start(now, work, id, &mut n.cpu_totals);
        self.schedule_query_cpu(now, db, node);
    }

    /// A node's CPU event: the queries whose work is done finish.
    pub(super) fn query_cpu_event(&mut self, now: Nanos, at: u32, generation: u8) {
        let (db, node) = self.families.queries.node_at(at);
        let n = &mut self.families.queries.databases[db].nodes[node as usize];
        let Some(cpu) = &mut n.cpu else { return };
        if !cpu.take_event(generation) {
            return; // superseded
        }
        cpu.advance(now, &mut n.cpu_totals);
        loop {
            let n = &mut self.families.queries.databases[db].nodes[node as usize];
            let Some(id) = n.cpu.as_mut().and_then(Processor::pop_done) else {
                break;
            };
            self.query_done(now, id);
        }
        self.schedule_query_cpu(now, db, node);
    }

    /// (Re)schedules node `node`'s next CPU event if its time changed.
    fn schedule_query_cpu(&mut self, now: Nanos, db: usize, node: u32) {
        let at = self.families.queries.node_base[db] + node;
        let n = &mut self.families.queries.databases[db].nodes[node as usize];
        let cpu = n.cpu.as_mut().expect("a node sized by its class");
        let due = cpu.next_due().map_or(Nanos::MAX, |t| t.max(now));
        if cpu.set_due(due) && due != Nanos::MAX {
            let e = QueryEvent::Cpu(at.into(), cpu.generation);
            self.queue.schedule(due, Event::Queries(e));
        }
    }
}
