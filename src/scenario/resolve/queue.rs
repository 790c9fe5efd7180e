//! `Queue` components: job queues, their workers, retries and schedules.

use super::checks::{check_count, check_finite, check_nonzero, sizes, MAX_SIZE};
use super::context::Context;
use super::limits::redis_cache;
use super::samplers::Stage;
use crate::algo::backoff::{Backoff, Jitter};
use crate::algo::jobqueue::DailyTimes;
use crate::algo::limiter::Gcra;
use crate::algo::Nanos;
use crate::scenario::plan::{
    DeploymentSpec, JobLock, JobScheduleSpec, QueueRedis, QueueSpec, ScheduleTimes,
};
use crate::scenario::schema::{self, Component, ComponentKind, Step};

/// Checks queue component `i` and resolves it (its worker Deployment, if
/// any, is linked by [`link_deployments`] once every deployment is known).
pub(crate) fn resolve(cx: &mut Context, i: usize, q: &schema::Queue) -> QueueSpec {
    let at = |f: &str| format!("components[{i}].{f}");
    let slots = check_workers(cx, i, q);
    check_count(
        &mut cx.problems,
        at("attempts"),
        Some(&q.name),
        "attempts (the first included)",
        q.attempts,
        1..=100,
    );
    check_finite(
        &mut cx.problems,
        &at("failure_probability"),
        q.failure_probability,
        0.0,
        1.0,
        "a failure probability",
    );
    let rate_limit = q.rate_limit.as_ref().and_then(|r| job_rate_limit(cx, i, r));
    let backoff = retry_policy(cx, i, q);
    let schedules = compile_schedules(cx, i, q);
    let lock = job_lock(cx, i, q);
    let redis = queue_redis(cx, i, q, lock);
    QueueSpec {
        name: q.name.clone(),
        slots: slots.min(u64::from(MAX_SIZE)) as u32,
        rate_limit,
        backoff,
        failure_probability: q.failure_probability,
        schedules,
        deployment: None,
        concurrency: q.concurrency,
        lock,
        redis,
    }
}

/// Checks `lock_duration` and `max_stalled_count`; the job lock, if modelled.
fn job_lock(cx: &mut Context, i: usize, q: &schema::Queue) -> Option<JobLock> {
    let at = |f: &str| format!("components[{i}].{f}");
    let p = &mut cx.problems;
    let renewal = q.lock_renewal.unwrap_or(true);
    let Some(duration) = q.lock_duration else {
        let needing = [
            ("max_stalled_count", q.max_stalled_count.is_some()),
            ("stalled_interval", q.stalled_interval.is_some()),
            ("lock_renewal", q.lock_renewal.is_some()),
        ];
        for (field, given) in needing {
            if given {
                p.add_at(
                    at(field),
                    format!("{field} needs a lock_duration (BullMQ's default is \"30s\")"),
                    &q.name,
                );
            }
        }
        return None;
    };
    if q.deployment.is_none() && renewal {
        p.add_at(
            at("lock_duration"),
            "a lock_duration needs `deployment` workers or `lock_renewal: Some(false)`: fixed `workers` never die and renew their locks, so no job stalls",
            &q.name,
        );
    }
    let check_every = q.stalled_interval.map(|d| d.nanos());
    if let Some(every) = check_every {
        check_nonzero(
            p,
            at("stalled_interval"),
            Some(&q.name),
            every,
            "a stalled_interval must be longer than zero",
        );
    }
    let duration = duration.nanos();
    check_nonzero(
        p,
        at("lock_duration"),
        Some(&q.name),
        duration,
        "a lock_duration must be longer than zero",
    );
    Some(JobLock {
        duration,
        max_stalled: q.max_stalled_count.unwrap_or(1),
        check_every,
        renewal,
    })
}

/// BullMQ's default `lockDuration`, the renewal cadence's base when a
/// Redis-backed queue does not model stalls.
const BULLMQ_LOCK: Nanos = Nanos(30_000_000_000);

/// Resolves `redis`: the Cache the queue's commands run on.
fn queue_redis(
    cx: &mut Context,
    i: usize,
    q: &schema::Queue,
    lock: Option<JobLock>,
) -> Option<QueueRedis> {
    let name = q.redis.as_ref()?;
    let path = format!("components[{i}].redis");
    if q.redis_node.is_some() {
        cx.problems.add_at(
            &path,
            "give `redis` (the queue lives on that Cache, billed as the Cache) or `redis_node` (a Redis node of its own, billed per node-hour), not both",
            name,
        );
    }
    let cache = redis_cache(&mut cx.problems, &path, name, cx.scenario)?;
    let lock = lock.map_or(BULLMQ_LOCK, |l| l.duration);
    Some(QueueRedis {
        cache,
        renew_every: Nanos(lock.0 / 2).max(Nanos(1)),
    })
}

/// Checks `workers` / `deployment` and `concurrency`; the job slots.
fn check_workers(cx: &mut Context, i: usize, q: &schema::Queue) -> u64 {
    let at = |f: &str| format!("components[{i}].{f}");
    let p = &mut cx.problems;
    if q.workers.is_some() == q.deployment.is_some() {
        p.add_at(
            at("workers"),
            "give either `workers` (a count) or `deployment` (the worker Deployment's name), not both or neither",
            &q.name,
        );
    }
    let workers = q.workers.unwrap_or(1);
    check_count(p, at("workers"), Some(&q.name), "workers", workers, sizes());
    check_count(
        p,
        at("concurrency"),
        Some(&q.name),
        "concurrency (jobs per worker)",
        q.concurrency,
        sizes(),
    );
    let slots = u64::from(workers) * u64::from(q.concurrency);
    if slots > u64::from(MAX_SIZE) {
        p.add_at(
            at("workers"),
            format!("workers × concurrency = {slots} job slots is more than {MAX_SIZE}"),
            &q.name,
        );
    }
    slots
}

/// The GCRA limiter of `rate_limit`.
fn job_rate_limit(cx: &mut Context, i: usize, r: &schema::JobRateLimit) -> Option<Gcra> {
    let at = |f: &str| format!("components[{i}].{f}");
    let p = &mut cx.problems;
    if !check_finite(
        p,
        &at("rate_limit.per_second"),
        r.per_second,
        1e-6,
        1e9,
        "jobs per second",
    ) {
        return None;
    }
    if !check_count(p, at("rate_limit.burst"), None, "a burst", r.burst, sizes()) {
        return None;
    }
    let t = Nanos(((1e9 / r.per_second).round() as u64).max(1));
    match Gcra::new(t, r.burst) {
        Ok(g) => Some(g),
        Err(e) => {
            p.add(at("rate_limit"), format!("not a usable rate limit: {e}"));
            None
        }
    }
}

/// The retry policy: `backoff` over the defaults (1s base, doubling, 5m cap, full jitter).
fn retry_policy(cx: &mut Context, i: usize, q: &schema::Queue) -> Backoff {
    let at = |f: &str| format!("components[{i}].{f}");
    let p = &mut cx.problems;
    let mut policy = Backoff {
        max_attempts: q.attempts,
        base: Nanos::from_secs(1),
        multiplier: 2.0,
        cap: Nanos::from_secs(300),
        jitter: Jitter::Full,
    };
    let Some(b) = &q.backoff else { return policy };
    if check_finite(
        p,
        &at("backoff.multiplier"),
        b.multiplier,
        1.0,
        1e3,
        "a backoff multiplier",
    ) {
        policy.multiplier = b.multiplier;
    }
    policy.base = b.base.nanos();
    if let Some(cap) = b.cap {
        if cap.nanos() < b.base.nanos() {
            p.add(
                at("backoff.cap"),
                format!(
                    "the cap ({cap}) must be at least the base delay ({})",
                    b.base
                ),
            );
        }
        policy.cap = cap.nanos();
    } else {
        policy.cap = policy.cap.max(policy.base);
    }
    policy.jitter = super::workload::jitter_of(b.jitter);
    policy
}

/// Checks and compiles the timed schedules (each with its work's sampler).
fn compile_schedules(cx: &mut Context, i: usize, q: &schema::Queue) -> Vec<JobScheduleSpec> {
    let at = |f: &str| format!("components[{i}].{f}");
    let mut out = Vec::new();
    for (j, s) in q.schedules.iter().enumerate() {
        let when = match (&s.every, s.at.is_empty()) {
            (Some(every), true) if every.nanos() < Nanos::from_millis(1) => {
                cx.problems.add(
                    at(&format!("schedules[{j}].every")),
                    format!("a schedule's period must be at least 1ms (e.g. \"5m\"), not {every}"),
                );
                None
            }
            (Some(every), true) => Some(ScheduleTimes::Every(every.nanos())),
            (None, false) => match DailyTimes::parse(&s.at) {
                Ok(times) => Some(ScheduleTimes::Daily(times)),
                Err(e) => {
                    cx.problems
                        .add(at(&format!("schedules[{j}].at")), e.to_string());
                    None
                }
            },
            _ => {
                cx.problems.add(
                    at(&format!("schedules[{j}]")),
                    "give either `every` (a period, e.g. \"5m\") or `at` (times of day, e.g. [\"03:00\"]), not both or neither",
                );
                None
            }
        };
        let work = cx.samplers.add(
            Stage::Schedules,
            &at(&format!("schedules[{j}].work")),
            &s.work,
        );
        if let (Some(work), Some(when)) = (work, when) {
            out.push(JobScheduleSpec {
                when,
                work,
                priority: s.priority,
            });
        }
    }
    out
}

/// Queues worked by a Deployment's pods: one worker per pod.
pub(crate) fn link_deployments(
    cx: &mut Context,
    queues: &mut [QueueSpec],
    deployments: &[DeploymentSpec],
) {
    let s = cx.scenario;
    for (i, c) in s.components.iter().enumerate() {
        let Component::Queue(q) = c else { continue };
        let Some(d) = &q.deployment else { continue };
        let path = format!("components[{i}].deployment");
        if let Some(d) = cx.lookup(path, d, ComponentKind::Deployment) {
            let spec = queues
                .iter_mut()
                .find(|x| x.name == q.name)
                .expect("every queue is resolved");
            spec.deployment = Some(d);
            spec.slots = deployments[d].replicas.saturating_mul(spec.concurrency);
        }
    }
}

/// Whether queue `name` gets jobs: it has schedules, or an `Enqueue` step
/// (anywhere, fallbacks and cache loads included) names it.
pub(super) fn is_fed(s: &crate::scenario::schema::Scenario, name: &str) -> bool {
    fn enqueues(steps: &[Step], name: &str) -> bool {
        steps.iter().any(|st| match st {
            Step::Enqueue { queue, .. } => queue == name,
            Step::External { fallback, .. } => enqueues(fallback, name),
            Step::CacheAside { .. } | Step::CallWith { .. } | Step::Parallel { .. } => {
                st.nested_lists().iter().any(|l| enqueues(l, name))
            }
            _ => false,
        })
    }
    let scheduled = s
        .components
        .iter()
        .any(|c| matches!(c, Component::Queue(q) if q.name == name && !q.schedules.is_empty()));
    scheduled || s.endpoints.values().any(|steps| enqueues(steps, name))
}
