//! Job queues: jobs put on a queue by `Enqueue` steps or schedules (every
//! period, or at times of day) wait for a worker slot, the highest priority
//! first and FIFO within a priority (src/algo/jobqueue), start no faster
//! than the queue's rate limit (GCRA from src/algo/limiter), run, and on
//! failure come back after a backoff delay (src/algo/backoff) until their
//! attempts run out, when they are dead-lettered. With a lock duration, a
//! job whose worker pod died is found stalled when its lock expires and
//! goes back to the wait list (BullMQ's stalled-job check: `locks`).
//!
//! ```text
//!  Enqueue / schedule ──▶ [ by priority, FIFO ] ──rate limit──▶ worker slot ──done──▶ success
//!                            ▲                                              │ failed
//!                            └──── backoff delay ◀── attempts left? ── no ──▶ dead letter
//! ```
//!
//! The queue is also a station: its `Occupancy` gives utilization of the
//! worker slots and the time-weighted queue depth per interval (the series'
//! `queue_length` column), which an autoscaler can read as a metric.

mod locks;

use super::deployment::PodState;
use super::event::{Event, U16, U32};
use super::families::{Family, StationSamples};
use super::interpreter::Sim;
use super::redis::BackgroundSlab;
use crate::algo::jobqueue::PriorityFifo;
use crate::algo::limiter::{DirectLimiter, Gcra};
use crate::algo::Nanos;
use crate::engine::{stream, unit_open, Rng, Slab};
use crate::metrics::{round6, LatencyHistogram, Occupancy};
use crate::report::{QueueReport, QueueRow, Report, StationReport};
use crate::scenario::{bullmq_commands, JobOp, Plan, QueueSpec, ScheduleTimes};
use locks::RunLock;

/// A job event.
#[derive(Copy, Clone, Debug)]
#[repr(u8)]
pub(super) enum JobEvent {
    /// A job's attempt finished running: `pairs` slot holding (job, attempt token).
    Done(U32),
    /// A failed job's backoff delay is over; it rejoins its queue.
    Retry(U32),
    /// A queue's rate limiter allows the next job start.
    Wake(U16),
    /// Repeating job `.1` of queue `.0` is due.
    Scheduled(U16, U16),
    /// A job's lock expired unrenewed (its worker died, or does not renew)
    /// and the stalled-job check finds it: the job is stalled.
    LockExpired(U32),
    /// A running job's worker extends its lock: `pairs` slot holding (job, attempt token).
    Renew(U32),
}

/// The job family's state.
pub(super) struct Jobs {
    /// Every job from its first enqueue to its end.
    jobs: Slab<Job>,
    /// The queues, in plan order.
    pub(super) queues: Vec<JobQueue>,
    /// Queue commands on Redis nodes that no one waits for.
    pub(super) background: BackgroundSlab,
}

impl Jobs {
    /// Empty queues for `plan`.
    pub(super) fn new(plan: &Plan) -> Jobs {
        Jobs {
            jobs: Slab::new(),
            queues: plan
                .queues
                .iter()
                .map(|q| JobQueue::new(q, plan.seed))
                .collect(),
            background: BackgroundSlab::new(),
        }
    }
}

impl Family for Jobs {
    fn reset(&mut self, now: Nanos) {
        for q in &mut self.queues {
            q.reset(now);
        }
    }

    fn tick(&mut self, now: Nanos, stations: &mut StationSamples) {
        for q in &mut self.queues {
            stations.push(q.occupancy.take_interval(now));
            q.record(now);
        }
    }

    fn report(&mut self, plan: &Plan, now: Nanos, report: &mut Report) {
        for (spec, q) in plan.queues.iter().zip(&mut self.queues) {
            report.stations.push(StationReport {
                name: spec.name.clone(),
                kind: "queue".into(),
                stats: q.occupancy.summary(now),
                held: Vec::new(),
            });
        }
        report.queues = plan
            .queues
            .iter()
            .zip(&mut self.queues)
            .map(|(spec, q)| q.report(spec, now))
            .collect();
    }
}

/// One job, from its first enqueue to success or the dead-letter queue.
#[derive(Copy, Clone, Debug)]
pub(super) struct Job {
    queue: u16,
    work: u32,
    /// Its place on the queue: higher first.
    priority: u32,
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
    /// The worker pod running the current attempt (deployment-backed queues).
    pod: u32,
    /// That pod's epoch when the attempt started (a mismatch: the pod died).
    epoch: u16,
    /// Tells this attempt's `JobDone` from a stale one (of a lost attempt).
    token: u32,
    /// When the current attempt ends.
    done_at: Nanos,
    /// Index in the queue's `running` list (`NOT_RUNNING` when not running).
    run_idx: u32,
    /// Times it was found stalled.
    stalled: u32,
    /// Whether the current run holds its lock.
    lock: RunLock,
    /// The `pairs` slot of the current run's `Done` event.
    done_slot: u32,
}

/// `Job::run_idx` of a job that is waiting or in backoff.
const NOT_RUNNING: u32 = u32::MAX;

/// Counters and histograms over the measured period.
#[derive(Clone, Debug)]
struct JobStats {
    enqueued: u64,
    started: u64,
    succeeded: u64,
    failed_attempts: u64,
    retries: u64,
    dead_lettered: u64,
    stalled: u64,
    lost_runs: u64,
    wait: LatencyHistogram,
    run: LatencyHistogram,
    total: LatencyHistogram,
}

/// The live state of one queue.
pub(super) struct JobQueue {
    waiting: PriorityFifo<u32>,
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
    /// Jobs running now (any order).
    running: Vec<u32>,
    /// Attempts started (the next token).
    runs: u32,
    /// Running jobs of this queue per pod of the worker Deployment.
    pod_jobs: Vec<u32>,
    /// Workers taking jobs now.
    workers: u32,
    /// Depth and workers per time-series bucket.
    series: Vec<QueueRow>,
}

impl JobQueue {
    /// An empty queue with idle workers.
    fn new(spec: &QueueSpec, seed: u64) -> Self {
        JobQueue {
            waiting: PriorityFifo::new(),
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
                stalled: 0,
                lost_runs: 0,
                wait: LatencyHistogram::new(3),
                run: LatencyHistogram::new(3),
                total: LatencyHistogram::new(3),
            },
            running: Vec::new(),
            runs: 0,
            pod_jobs: Vec::new(),
            workers: spec.slots / spec.concurrency.max(1),
            series: Vec::new(),
        }
    }

    /// The depth an autoscaler sees: jobs waiting plus jobs running.
    pub(super) fn depth(&self) -> u64 {
        self.waiting.len() as u64 + u64::from(self.busy)
    }

    /// Appends the row for the bucket ending at `now`.
    fn record(&mut self, now: Nanos) {
        self.series.push(QueueRow {
            t_s: round6(now.as_secs_f64()),
            waiting: self.waiting.len() as u64,
            running: self.busy,
            workers: self.workers,
        });
    }

    /// Adds running job `j` to the `running` list.
    fn track(&mut self, jobs: &mut Slab<Job>, j: u32) {
        jobs[j].run_idx = self.running.len() as u32;
        self.running.push(j);
    }

    /// Removes job `j` from the `running` list.
    fn untrack(&mut self, jobs: &mut Slab<Job>, j: u32) {
        let i = jobs[j].run_idx as usize;
        jobs[j].run_idx = NOT_RUNNING;
        self.running.swap_remove(i);
        if let Some(&moved) = self.running.get(i) {
            jobs[moved].run_idx = i as u32;
        }
    }

    /// Forgets the warm-up's figures.
    fn reset(&mut self, now: Nanos) {
        self.occupancy.reset(now);
        let s = &mut self.stats;
        (s.enqueued, s.started, s.succeeded) = (0, 0, 0);
        (s.failed_attempts, s.retries, s.dead_lettered) = (0, 0, 0);
        (s.stalled, s.lost_runs) = (0, 0);
        s.wait.reset();
        s.run.reset();
        s.total.reset();
    }

    /// The queue's section of the report.
    fn report(&mut self, spec: &QueueSpec, now: Nanos) -> QueueReport {
        let s = &self.stats;
        let attempts = s.succeeded + s.failed_attempts;
        QueueReport {
            name: spec.name.clone(),
            enqueued: s.enqueued,
            started: s.started,
            succeeded: s.succeeded,
            failed_attempts: s.failed_attempts,
            retries: s.retries,
            stalled: s.stalled,
            lost_runs: s.lost_runs,
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
            workers_at_end: self.workers,
            series: std::mem::take(&mut self.series),
        }
    }
}

impl Sim<'_> {
    /// Routes a job event.
    pub(super) fn job_event(&mut self, now: Nanos, event: JobEvent) {
        match event {
            JobEvent::Done(slot) => {
                let (j, token) = self.take_pair(slot.get());
                self.job_done(now, j, token);
            }
            JobEvent::Retry(j) => self.push_job(now, j.get()),
            JobEvent::Wake(q) => self.queue_wake(now, q.get()),
            JobEvent::Scheduled(q, i) => self.scheduled(now, q.get(), i.get()),
            JobEvent::LockExpired(j) => self.stalled(now, j.get()),
            JobEvent::Renew(slot) => {
                let (j, token) = self.take_pair(slot.get());
                self.renew(now, j, token);
            }
        }
    }

    /// Runs job op `op` of request `r`; true: the request goes on at once.
    pub(super) fn job_op(&mut self, now: Nanos, r: u32, op: JobOp) -> bool {
        match op {
            JobOp::Enqueue {
                queue,
                dist,
                priority,
            } => {
                if let Some(redis) = self.plan.queues[queue as usize].redis {
                    // The add script runs first; the job joins when it is done.
                    self.redis_round_trip(now, r, redis.cache);
                    return false;
                }
                self.requests[r].pc += 1;
                self.enqueue(now, queue, dist, priority);
            }
        }
        true
    }

    /// Schedules each queue's first repeating jobs: `every` after the start,
    /// or at the first of the daily times (the run starts at 00:00).
    pub(super) fn start_schedules(&mut self) {
        for (q, spec) in self.plan.queues.iter().enumerate() {
            for (i, s) in spec.schedules.iter().enumerate() {
                let first = match &s.when {
                    ScheduleTimes::Every(every) => *every,
                    ScheduleTimes::Daily(times) => times.next_at_or_after(Nanos::ZERO),
                };
                if first < self.plan.duration {
                    self.queue.schedule(
                        first,
                        Event::Jobs(JobEvent::Scheduled((q as u16).into(), (i as u16).into())),
                    );
                }
            }
        }
    }

    /// A scheduled job is due: enqueue it and schedule the next one.
    fn scheduled(&mut self, now: Nanos, q: u16, i: u16) {
        let s = &self.plan.queues[q as usize].schedules[i as usize];
        let (work, priority) = (s.work, s.priority);
        let next = match &s.when {
            ScheduleTimes::Every(every) => now.saturating_add(*every),
            ScheduleTimes::Daily(times) => times.next_at_or_after(now + Nanos(1)),
        };
        self.enqueue(now, q, work, priority);
        if next < self.plan.duration {
            self.queue
                .schedule(next, Event::Jobs(JobEvent::Scheduled(q.into(), i.into())));
        }
    }

    /// A new job working a draw of sampler `work` joins queue `q` with `priority`.
    pub(super) fn enqueue(&mut self, now: Nanos, q: u16, work: u32, priority: u32) {
        let j = self.families.jobs.jobs.insert(Job {
            queue: q,
            work,
            priority,
            attempt: 1,
            enqueued: now,
            created: now,
            started: now,
            prev_delay: Nanos::ZERO,
            pod: 0,
            epoch: 0,
            token: 0,
            done_at: Nanos::ZERO,
            run_idx: NOT_RUNNING,
            stalled: 0,
            lock: RunLock::Held,
            done_slot: 0,
        });
        if self.measure.on {
            self.families.jobs.queues[q as usize].stats.enqueued += 1;
        }
        self.push_job(now, j);
    }

    /// Job `j` (a new one or a retry) joins the back of its queue.
    fn push_job(&mut self, now: Nanos, j: u32) {
        let job = &mut self.families.jobs.jobs[j];
        job.enqueued = now;
        let q = job.queue;
        let jq = &mut self.families.jobs.queues[q as usize];
        jq.waiting.push(job.priority, j);
        jq.occupancy.arrive_and_queue(now);
        self.dispatch(now, q);
    }

    /// The rate limiter allows another start now.
    fn queue_wake(&mut self, now: Nanos, q: u16) {
        self.families.jobs.queues[q as usize].wake_pending = false;
        self.dispatch(now, q);
    }

    /// Starts waiting jobs while worker slots are free and the limiter allows.
    /// A deployment-backed queue's slots are `concurrency` per READY pod; a
    /// job goes to the ready pod running the fewest of this queue's jobs.
    fn dispatch(&mut self, now: Nanos, q: u16) {
        let first = self.families.jobs.queues[q as usize].running.len();
        self.start_jobs(now, q);
        for k in first..self.families.jobs.queues[q as usize].running.len() {
            let j = self.families.jobs.queues[q as usize].running[k];
            self.queue_commands(now, q, bullmq_commands::TAKE);
            self.lock_taken(now, j);
        }
    }

    /// Starts waiting jobs while worker slots are free and the limiter allows
    /// (appended to the queue's `running` list).
    fn start_jobs(&mut self, now: Nanos, q: u16) {
        let on = self.measure.on;
        let spec = &self.plan.queues[q as usize];
        let jq = &mut self.families.jobs.queues[q as usize];
        while !jq.waiting.is_empty() {
            let pod = match spec.deployment {
                None if jq.busy < jq.slots => None,
                None => return,
                Some(d) => {
                    let mut best: Option<(usize, u32)> = None;
                    for (p, pod) in self.families.pods.deployments[d].pods.iter().enumerate() {
                        let n = jq.pod_jobs.get(p).copied().unwrap_or(0);
                        if pod.state == PodState::Ready
                            && n < spec.concurrency
                            && best.is_none_or(|(_, m)| n < m)
                        {
                            best = Some((p, n));
                        }
                    }
                    match best {
                        Some((p, _)) => Some(p),
                        None => return,
                    }
                }
            };
            if let Some(limiter) = &mut jq.limiter {
                let d = limiter.check_at(now);
                if !d.allowed {
                    if !jq.wake_pending {
                        jq.wake_pending = true;
                        self.queue.schedule(
                            d.retry_at.max(now + Nanos(1)),
                            Event::Jobs(JobEvent::Wake(q.into())),
                        );
                    }
                    return;
                }
            }
            let j = jq.waiting.pop().expect("not empty");
            let job = &mut self.families.jobs.jobs[j];
            let waited = now - job.enqueued;
            jq.busy += 1;
            jq.occupancy.start_from_queue(now, waited);
            let mut t = self.plan.samplers[job.work as usize].sample(&mut jq.work_rng);
            if let Some(d) = spec.deployment {
                let dep = &mut self.families.pods.deployments[d];
                t = super::interpreter::slowed(t, dep.slowdown);
                let p = pod.expect("a pod was chosen");
                if jq.pod_jobs.len() <= p {
                    jq.pod_jobs.resize(p + 1, 0);
                }
                jq.pod_jobs[p] += 1;
                let pod = &mut dep.pods[p];
                pod.touch(now);
                pod.jobs += 1;
                job.pod = p as u32;
                job.epoch = pod.epoch;
            }
            jq.runs = jq.runs.wrapping_add(1);
            job.token = jq.runs;
            job.started = now;
            job.done_at = now + t;
            if on {
                jq.stats.started += 1;
                jq.stats.wait.record(waited);
            }
            let slot = self.pairs.insert((j, jq.runs));
            job.done_slot = slot;
            job.lock = RunLock::Held;
            self.queue
                .schedule(now + t, Event::Jobs(JobEvent::Done(slot.into())));
            jq.track(&mut self.families.jobs.jobs, j);
        }
    }

    /// The worker Deployment `d` changed (pods ready, removed or killed):
    /// the attempts running on pods that died are lost (failed, then retried
    /// per the backoff or dead-lettered), the worker count follows the ready
    /// pods, and new workers take waiting jobs.
    pub(super) fn workers_changed(&mut self, now: Nanos, d: usize) {
        for q in 0..self.families.jobs.queues.len() {
            let spec = &self.plan.queues[q];
            if spec.deployment != Some(d) {
                continue;
            }
            let mut k = 0;
            while k < self.families.jobs.queues[q].running.len() {
                let j = self.families.jobs.queues[q].running[k];
                let job = self.families.jobs.jobs[j];
                if self.families.pods.deployments[d].pods[job.pod as usize].epoch == job.epoch {
                    k += 1;
                    continue;
                }
                // The pod died under the job (its `jobs` count went with it).
                let jq = &mut self.families.jobs.queues[q];
                jq.pod_jobs[job.pod as usize] -= 1;
                jq.untrack(&mut self.families.jobs.jobs, j);
                match (spec.lock, job.lock) {
                    (_, RunLock::Lost | RunLock::Orphan) => self.run_without_lock_ended(now, j),
                    (Some(lock), RunLock::Held) => self.lose_locked(now, j, lock),
                    (None, RunLock::Held) => self.attempt_ended(now, j, true),
                }
            }
            let ready = self.families.pods.deployments[d]
                .pods
                .iter()
                .filter(|p| p.state == PodState::Ready)
                .count() as u32;
            let jq = &mut self.families.jobs.queues[q];
            jq.workers = ready;
            jq.slots = ready.saturating_mul(spec.concurrency);
            jq.occupancy.set_capacity(now, u64::from(jq.slots));
            self.dispatch(now, q as u16);
        }
    }

    /// Job `j`'s attempt ends (unless the event is stale: the attempt was
    /// lost with its pod): success, a retry after backoff, or the dead-letter queue.
    fn job_done(&mut self, now: Nanos, j: u32, token: u32) {
        let job = self.families.jobs.jobs[j];
        if job.run_idx == NOT_RUNNING || job.token != token || job.done_at != now {
            return;
        }
        let q = job.queue as usize;
        let jq = &mut self.families.jobs.queues[q];
        jq.untrack(&mut self.families.jobs.jobs, j);
        let mut drained = None;
        if let Some(d) = self.plan.queues[q].deployment {
            jq.pod_jobs[job.pod as usize] -= 1;
            let pod = &mut self.families.pods.deployments[d].pods[job.pod as usize];
            pod.touch(now);
            pod.jobs -= 1;
            pod.served += 1;
            drained = Some((d, job.pod as usize));
        }
        if job.lock == RunLock::Held {
            let failed = {
                let spec = &self.plan.queues[q];
                spec.failure_probability > 0.0
                    && unit_open(&mut jq.retry_rng) < spec.failure_probability
            };
            let commands = if failed {
                bullmq_commands::FAIL
            } else {
                bullmq_commands::COMPLETE
            };
            self.queue_commands(now, job.queue, commands);
            self.attempt_ended(now, j, failed);
        } else {
            self.queue_commands(now, job.queue, bullmq_commands::REFUSED);
            self.run_without_lock_ended(now, j);
        }
        if let Some((d, p)) = drained {
            // A draining worker pod goes once its last job ends.
            self.check_drained(now, d, p);
        }
        self.dispatch(now, q as u16);
    }

    /// Job `j`'s attempt leaves its worker slot.
    fn free_slot(&mut self, now: Nanos, j: u32) {
        let job = self.families.jobs.jobs[j];
        let jq = &mut self.families.jobs.queues[job.queue as usize];
        jq.busy -= 1;
        jq.occupancy.finish(now, now - job.enqueued);
        if self.measure.on {
            jq.stats.run.record(now - job.started);
        }
    }

    /// Job `j`'s running attempt ended (it is no longer on a worker).
    fn attempt_ended(&mut self, now: Nanos, j: u32, failed: bool) {
        self.free_slot(now, j);
        let on = self.measure.on;
        let job = self.families.jobs.jobs[j];
        let q = job.queue;
        let spec = &self.plan.queues[q as usize];
        let jq = &mut self.families.jobs.queues[q as usize];
        if !failed {
            if on {
                jq.stats.succeeded += 1;
                jq.stats.total.record(now - job.created);
            }
            self.families.jobs.jobs.remove(j);
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
                let job = &mut self.families.jobs.jobs[j];
                job.attempt += 1;
                job.prev_delay = delay;
                self.queue
                    .schedule(now + delay, Event::Jobs(JobEvent::Retry(j.into())));
            } else {
                // Dead-lettered: not a client error (the client got its 202 long ago).
                if on {
                    jq.stats.dead_lettered += 1;
                }
                self.families.jobs.jobs.remove(j);
            }
        }
    }
}
