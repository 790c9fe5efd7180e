//! Job queues: jobs put on a queue by `Enqueue` steps or schedules wait in
//! FIFO order for a worker slot, start no faster than the queue's rate limit
//! (GCRA from src/algo/limiter), run, and on failure come back after a
//! backoff delay (src/algo/backoff) until their attempts run out, when they
//! are dead-lettered.
//!
//! ```text
//!  Enqueue / schedule ──▶ [ FIFO ] ──rate limit──▶ worker slot ──done──▶ success
//!                            ▲                                  │ failed
//!                            └──── backoff delay ◀── attempts left? ── no ──▶ dead letter
//! ```
//!
//! The queue is also a station: its `Occupancy` gives utilization of the
//! worker slots and the time-weighted queue depth per interval (the series'
//! `queue_length` column), which an autoscaler can read as a metric.

use super::sim::{Event, Sim};
use crate::algo::limiter::{DirectLimiter, Gcra};
use crate::algo::Nanos;
use crate::engine::{stream, unit_open, Rng};
use crate::metrics::{round6, LatencyHistogram, Occupancy};
use crate::report::QueueReport;
use crate::scenario::QueueSpec;
use std::collections::VecDeque;

/// One job, from its first enqueue to success or the dead-letter queue.
#[derive(Copy, Clone, Debug)]
pub(super) struct Job {
    queue: u16,
    work: u32,
    /// Attempts started or about to start (1 for the first).
    attempt: u32,
    /// When the current attempt joined the queue.
    enqueued: Nanos,
    /// When the job was first enqueued.
    created: Nanos,
    /// When the current attempt started running.
    started: Nanos,
    /// The previous backoff delay (for decorrelated jitter).
    prev_delay: Nanos,
}

/// Counters and histograms over the measured period.
#[derive(Clone, Debug)]
struct JobStats {
    enqueued: u64,
    started: u64,
    succeeded: u64,
    failed_attempts: u64,
    retries: u64,
    dead_lettered: u64,
    wait: LatencyHistogram,
    run: LatencyHistogram,
    total: LatencyHistogram,
}

/// The live state of one queue.
pub(super) struct JobQueue {
    waiting: VecDeque<u32>,
    busy: u32,
    slots: u32,
    limiter: Option<DirectLimiter<Gcra>>,
    /// A `QueueWake` is scheduled (the limiter said wait).
    wake_pending: bool,
    /// Worker slots and queue depth, time-weighted.
    pub(super) occupancy: Occupancy,
    work_rng: Rng,
    retry_rng: Rng,
    stats: JobStats,
}

impl JobQueue {
    /// An empty queue with idle workers.
    pub(super) fn new(spec: &QueueSpec, seed: u64) -> Self {
        JobQueue {
            waiting: VecDeque::new(),
            busy: 0,
            slots: spec.slots,
            limiter: spec.rate_limit.map(DirectLimiter::new),
            wake_pending: false,
            occupancy: Occupancy::new(u64::from(spec.slots)),
            work_rng: stream(seed, &format!("queue/{}/work", spec.name)),
            retry_rng: stream(seed, &format!("queue/{}/retry", spec.name)),
            stats: JobStats {
                enqueued: 0,
                started: 0,
                succeeded: 0,
                failed_attempts: 0,
                retries: 0,
                dead_lettered: 0,
                wait: LatencyHistogram::new(3),
                run: LatencyHistogram::new(3),
                total: LatencyHistogram::new(3),
            },
        }
    }

    /// Forgets the warm-up's figures.
    pub(super) fn reset(&mut self, now: Nanos) {
        self.occupancy.reset(now);
        let s = &mut self.stats;
        (s.enqueued, s.started, s.succeeded) = (0, 0, 0);
        (s.failed_attempts, s.retries, s.dead_lettered) = (0, 0, 0);
        s.wait.reset();
        s.run.reset();
        s.total.reset();
    }

    /// The queue's section of the report.
    pub(super) fn report(&mut self, spec: &QueueSpec, now: Nanos) -> QueueReport {
        let s = &self.stats;
        let attempts = s.succeeded + s.failed_attempts;
        QueueReport {
            name: spec.name.clone(),
            enqueued: s.enqueued,
            started: s.started,
            succeeded: s.succeeded,
            failed_attempts: s.failed_attempts,
            retries: s.retries,
            dead_lettered: s.dead_lettered,
            attempt_failure_rate: if attempts == 0 {
                0.0
            } else {
                round6(s.failed_attempts as f64 / attempts as f64)
            },
            depth_at_end: self.waiting.len() as u64,
            wait: s.wait.summary(),
            run: s.run.summary(),
            total: s.total.summary(),
            stats: self.occupancy.summary(now),
        }
    }
}

impl Sim<'_> {
    /// Schedules each queue's first repeating jobs.
    pub(super) fn start_schedules(&mut self) {
        for (q, spec) in self.model.queues.iter().enumerate() {
            for (i, &(every, _)) in spec.schedules.iter().enumerate() {
                if every < self.model.duration {
                    self.queue
                        .schedule(every, Event::Scheduled(q as u16, i as u16));
                }
            }
        }
    }

    /// A scheduled job is due: enqueue it and schedule the next one.
    pub(super) fn scheduled(&mut self, now: Nanos, q: u16, i: u16) {
        let (every, work) = self.model.queues[q as usize].schedules[i as usize];
        self.enqueue(now, q, work);
        let next = now.saturating_add(every);
        if next < self.model.duration {
            self.queue.schedule(next, Event::Scheduled(q, i));
        }
    }

    /// A new job working a draw of sampler `work` joins queue `q`.
    pub(super) fn enqueue(&mut self, now: Nanos, q: u16, work: u32) {
        let j = self.jobs.insert(Job {
            queue: q,
            work,
            attempt: 1,
            enqueued: now,
            created: now,
            started: now,
            prev_delay: Nanos::ZERO,
        });
        if self.measure.on {
            self.job_queues[q as usize].stats.enqueued += 1;
        }
        self.push_job(now, j);
    }

    /// Job `j` (a new one or a retry) joins the back of its queue.
    fn push_job(&mut self, now: Nanos, j: u32) {
        let job = &mut self.jobs[j];
        job.enqueued = now;
        let q = job.queue;
        let jq = &mut self.job_queues[q as usize];
        jq.waiting.push_back(j);
        jq.occupancy.arrive_and_queue(now);
        self.dispatch(now, q);
    }

    /// A retry's backoff delay is over.
    pub(super) fn job_retry(&mut self, now: Nanos, j: u32) {
        self.push_job(now, j);
    }

    /// The rate limiter allows another start now.
    pub(super) fn queue_wake(&mut self, now: Nanos, q: u16) {
        self.job_queues[q as usize].wake_pending = false;
        self.dispatch(now, q);
    }

    /// Starts waiting jobs while worker slots are free and the limiter allows.
    fn dispatch(&mut self, now: Nanos, q: u16) {
        let on = self.measure.on;
        let jq = &mut self.job_queues[q as usize];
        while jq.busy < jq.slots && !jq.waiting.is_empty() {
            if let Some(limiter) = &mut jq.limiter {
                let d = limiter.check_at(now);
                if !d.allowed {
                    if !jq.wake_pending {
                        jq.wake_pending = true;
                        self.queue
                            .schedule(d.retry_at.max(now + Nanos(1)), Event::QueueWake(q));
                    }
                    return;
                }
            }
            let j = jq.waiting.pop_front().expect("not empty");
            let job = &mut self.jobs[j];
            let waited = now - job.enqueued;
            jq.busy += 1;
            jq.occupancy.start_from_queue(now, waited);
            let mut t = self.model.samplers[job.work as usize].sample(&mut jq.work_rng);
            if let Some(d) = self.model.queues[q as usize].deployment {
                t = super::sim::slowed(t, self.deployments[d].slowdown);
            }
            job.started = now;
            if on {
                jq.stats.started += 1;
                jq.stats.wait.record(waited);
            }
            self.queue.schedule(now + t, Event::JobDone(j));
        }
    }

    /// Job `j`'s attempt ends: success, a retry after backoff, or the dead-letter queue.
    pub(super) fn job_done(&mut self, now: Nanos, j: u32) {
        let on = self.measure.on;
        let job = self.jobs[j];
        let q = job.queue;
        let spec = &self.model.queues[q as usize];
        let jq = &mut self.job_queues[q as usize];
        jq.busy -= 1;
        jq.occupancy.finish(now, now - job.enqueued);
        if on {
            jq.stats.run.record(now - job.started);
        }
        let failed = spec.failure_probability > 0.0
            && unit_open(&mut jq.retry_rng) < spec.failure_probability;
        if !failed {
            if on {
                jq.stats.succeeded += 1;
                jq.stats.total.record(now - job.created);
            }
            self.jobs.remove(j);
        } else {
            if on {
                jq.stats.failed_attempts += 1;
            }
            if spec.backoff.allows_retry(job.attempt) {
                let delay = spec
                    .backoff
                    .delay(job.attempt - 1, job.prev_delay, &mut jq.retry_rng);
                if on {
                    jq.stats.retries += 1;
                }
                let job = &mut self.jobs[j];
                job.attempt += 1;
                job.prev_delay = delay;
                self.queue.schedule(now + delay, Event::JobRetry(j));
            } else {
                // Dead-lettered: not a client error (the client got its 202 long ago).
                if on {
                    jq.stats.dead_lettered += 1;
                }
                self.jobs.remove(j);
            }
        }
        self.dispatch(now, q);
    }
}
