//! Job locks, as BullMQ keeps them: a running job holds a lock that its
//! worker extends every half `lock.duration` (three commands on the
//! queue's Redis node, `extendLock`); a lock that expires unrenewed (the
//! worker died, or its event loop is blocked: `lock_renewal: Some(false)`)
//! is found by the stalled-job check, which puts the job back on the wait
//! list, or fails it past `max_stalled_count`. A run that lost its lock
//! goes on on its worker as an orphan, and its completion is refused
//! (`lost_runs`).
//!
//! ```text
//!  run starts ──renews?──yes──▶ Renew every half lock duration until it ends
//!             └─no, and the run outlasts the lock──▶ LockExpired at the next stalled check
//!  worker dies ──▶ slot freed; LockExpired a lock duration after the last renewal
//!  LockExpired ──▶ stalled: run still going → orphan copy; job → wait list, or dead past max_stalled
//! ```

use super::{Job, JobEvent, NOT_RUNNING};
use crate::algo::Nanos;
use crate::scenario::{bullmq_commands, JobLock};
use crate::sim::event::Event;
use crate::sim::interpreter::Sim;

/// A run's hold on its job's lock.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum RunLock {
    /// Held (renewed while the worker lives), or no lock is modelled.
    Held,
    /// It expires before the run ends: the job is found stalled (a
    /// `LockExpired` is scheduled) and the run's completion is refused.
    Lost,
    /// The run of a job found stalled while it ran, still on its worker:
    /// a copy of the job that goes when the run ends.
    Orphan,
}

impl Sim<'_> {
    /// Run `j` starts on a worker: with a lock that is not renewed and a
    /// run as long as it, the lock is lost before the run ends and the
    /// stalled-job check will find the job; with a renewing worker on a
    /// Redis node, its first lock extension is due.
    pub(super) fn lock_taken(&mut self, now: Nanos, j: u32) {
        let job = self.families.jobs.jobs[j];
        let spec = &self.plan.queues[job.queue as usize];
        let renews = spec.lock.is_none_or(|l| l.renewal);
        if let Some(lock) = spec
            .lock
            .filter(|l| !l.renewal && job.done_at - now >= l.duration)
        {
            self.families.jobs.jobs[j].lock = RunLock::Lost;
            self.queue.schedule(
                lock.found_at(now),
                Event::Jobs(JobEvent::LockExpired(j.into())),
            );
        } else if let Some(redis) = spec
            .redis
            .filter(|r| renews && now + r.renew_every < job.done_at)
        {
            let slot = self.pairs.insert((j, job.token));
            self.queue.schedule(
                now + redis.renew_every,
                Event::Jobs(JobEvent::Renew(slot.into())),
            );
        }
    }

    /// Job `j`'s worker extends the lock of run `token` (if that run still
    /// goes on): its commands go to the queue's Redis node, and the next
    /// extension is due unless the run ends first.
    pub(super) fn renew(&mut self, now: Nanos, j: u32, token: u32) {
        let job = self.families.jobs.jobs[j];
        if job.run_idx == NOT_RUNNING || job.token != token || job.done_at <= now {
            return;
        }
        self.queue_commands(now, job.queue, bullmq_commands::EXTEND_LOCK);
        let every = self.plan.queues[job.queue as usize]
            .redis
            .expect("renewals are counted on a Redis node")
            .renew_every;
        if now + every < job.done_at {
            let slot = self.pairs.insert((j, token));
            self.queue
                .schedule(now + every, Event::Jobs(JobEvent::Renew(slot.into())));
        }
    }

    /// Job `j`'s worker died under it: its slot is free now, and the job
    /// is found stalled once its lock expires, a `lock.duration` after it
    /// was last set: the last renewal (every half lock duration since it
    /// started) or, without renewals, the start.
    pub(super) fn lose_locked(&mut self, now: Nanos, j: u32, lock: JobLock) {
        self.free_slot(now, j);
        let started = self.families.jobs.jobs[j].started;
        let half = Nanos(lock.duration.0 / 2).max(Nanos(1));
        let renewed = if lock.renewal {
            started + Nanos((now - started).0 / half.0 * half.0)
        } else {
            started
        };
        self.queue.schedule(
            lock.found_at(renewed),
            Event::Jobs(JobEvent::LockExpired(j.into())),
        );
    }

    /// A run that had lost its lock left its worker (it ended, its
    /// completion refused, or its worker died): its slot is free, and an
    /// orphan run's copy of the job goes.
    pub(super) fn run_without_lock_ended(&mut self, now: Nanos, j: u32) {
        self.free_slot(now, j);
        let job = self.families.jobs.jobs[j];
        if self.measure.on {
            self.families.jobs.queues[job.queue as usize]
                .stats
                .lost_runs += 1;
        }
        if job.lock == RunLock::Orphan {
            self.families.jobs.jobs.remove(j);
        }
    }

    /// Job `j` is found stalled (its lock expired unrenewed): back to the
    /// wait list, or failed for good past `max_stalled_count` stalls. A run
    /// still going on its worker becomes an orphan (a copy of the job that
    /// holds the worker until the run ends).
    pub(super) fn stalled(&mut self, now: Nanos, j: u32) {
        let on = self.measure.on;
        let job = self.families.jobs.jobs[j];
        if job.run_idx != NOT_RUNNING {
            let orphan = self.families.jobs.jobs.insert(Job {
                lock: RunLock::Orphan,
                ..job
            });
            let jq = &mut self.families.jobs.queues[job.queue as usize];
            jq.running[job.run_idx as usize] = orphan;
            self.pairs[job.done_slot] = (orphan, job.token);
            self.families.jobs.jobs[j].run_idx = NOT_RUNNING;
        }
        let job = &mut self.families.jobs.jobs[j];
        job.stalled += 1;
        let (q, stalls) = (job.queue as usize, job.stalled);
        let lock = self.plan.queues[q].lock.expect("stalls need a lock");
        let jq = &mut self.families.jobs.queues[q];
        if on {
            jq.stats.stalled += 1;
            jq.stats.failed_attempts += 1;
        }
        if stalls > lock.max_stalled {
            if on {
                jq.stats.dead_lettered += 1;
            }
            self.families.jobs.jobs.remove(j);
        } else {
            self.push_job(now, j);
        }
    }
}
