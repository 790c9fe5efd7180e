//! Redis commands on a shared `Cache` node besides cache reads: a request's
//! session (`Session` steps), a BullMQ queue's scripts (adding a job, a
//! worker taking, finishing and renewing one) and, through the same door,
//! a rate limiter's checks. Each holds one of the node's servers for its
//! commands (`redis_round_trip`, `admit_on_redis` and `start_redis_service` in
//! `cache_aside`), so they load the servers cache reads wait for.
//!
//! ```text
//!  Session / RateLimit / Enqueue (a request waits) ──┐
//!  worker: take, finish, renew (nobody waits) ───────┼─▶ [ Cache servers ] ─▶ answer
//!  CacheAside get ───────────────────────────────────┘
//! ```
//!
//! A request's commands are found from the op it stands at. Work nobody
//! waits for is a token from [`REDIS_TOKENS`] up in the node's slots, its
//! commands and arrival kept in a slab.

use super::autoscale::PROBE_TOKENS;
use super::interpreter::Sim;
use crate::algo::Nanos;
use crate::engine::Slab;
use crate::scenario::{bullmq_commands, JobOp, Op, RedisCommands, RedisOp};

/// Slot ids from here up (below the probes' tokens) are background commands.
pub(super) const REDIS_TOKENS: u32 = 0xFE00_0000;

/// Whether slot id `id` is background work rather than a request.
#[inline]
pub(super) fn is_background(id: u32) -> bool {
    (REDIS_TOKENS..PROBE_TOKENS).contains(&id)
}

/// Commands that nobody waits for, queued or running on a cache.
#[derive(Copy, Clone, Debug)]
pub(super) struct BackgroundWork {
    /// Which cache.
    cache: u16,
    /// Commands, each a draw of the cache's latency.
    commands: u32,
    /// When they reached the cache.
    since: Nanos,
}

/// The background work in flight on every cache.
pub(super) type BackgroundSlab = Slab<BackgroundWork>;

impl Sim<'_> {
    /// Runs Redis op `op` of request `r`: its commands go to the cache,
    /// and the request waits for them.
    pub(super) fn redis_op(&mut self, now: Nanos, r: u32, op: RedisOp) -> bool {
        match op {
            RedisOp::Session(commands) => self.redis_round_trip(now, r, commands.cache),
        }
        false
    }

    /// The Redis commands `op` runs on a shared cache, if any (`None`: a
    /// cache read, one command on its tier's cache).
    pub(super) fn redis_commands_of(&self, op: Op) -> Option<RedisCommands> {
        match op {
            Op::Limit(op) => self.limit_spec(op).redis,
            Op::Redis(RedisOp::Session(commands)) => Some(commands),
            Op::Jobs(JobOp::Enqueue { queue, .. }) => {
                self.plan.queues[queue as usize]
                    .redis
                    .map(|q| RedisCommands {
                        cache: q.cache,
                        commands: bullmq_commands::ADD,
                    })
            }
            _ => None,
        }
    }

    /// Request `r`'s commands for `op` (not a read nor a limit check) were
    /// answered: it goes on past the op, a job added to its queue first.
    pub(super) fn redis_answered(&mut self, now: Nanos, r: u32, op: Op) {
        self.requests[r].pc += 1;
        if let Op::Jobs(JobOp::Enqueue {
            queue,
            dist,
            priority,
        }) = op
        {
            self.enqueue(now, queue, dist, priority);
        }
    }

    /// Queue `q`'s worker sends `commands` to its Redis node, if it has
    /// one, without waiting for them.
    pub(super) fn queue_commands(&mut self, now: Nanos, q: u16, commands: u32) {
        let Some(redis) = self.plan.queues[q as usize].redis else {
            return;
        };
        let work = self.families.jobs.background.insert(BackgroundWork {
            cache: redis.cache,
            commands,
            since: now,
        });
        let token = REDIS_TOKENS + work;
        assert!(
            is_background(token),
            "too much background Redis work at once"
        );
        self.admit_on_redis(now, token, redis.cache);
    }

    /// The commands slot id `id` runs once on a server: a request's by the
    /// op it stands at, background work's as it was sent.
    pub(super) fn commands_at(&self, id: u32) -> u32 {
        if is_background(id) {
            return self.families.jobs.background[id - REDIS_TOKENS].commands;
        }
        self.redis_commands_of(self.op_at(id))
            .map_or(1, |x| x.commands)
    }

    /// Background work `id` is done: its cache and when it arrived there.
    pub(super) fn background_done(&mut self, id: u32) -> (u16, Nanos) {
        let work = self.families.jobs.background[id - REDIS_TOKENS];
        self.families.jobs.background.remove(id - REDIS_TOKENS);
        (work.cache, work.since)
    }
}
