//! Resolution and checks of job queues (`Queue` components).

use super::plan::QueueSpec;
use super::schema::{Component, JitterKind, Step};
use super::validate::{check_finite, Problems, MAX_SIZE};
use crate::algo::backoff::{Backoff, Jitter};
use crate::algo::jobqueue::DailyTimes;
use crate::algo::limiter::Gcra;
use crate::algo::Nanos;

/// Checks queue component `i` and resolves it (schedules are compiled later,
/// with the endpoints' distributions).
pub(super) fn resolve_queue(p: &mut Problems, i: usize, c: &Component) -> QueueSpec {
    let Component::Queue {
        name,
        workers,
        deployment,
        concurrency,
        rate_limit,
        attempts,
        backoff,
        failure_probability,
        schedules,
        ..
    } = c
    else {
        unreachable!("resolve_queue is called on Queue components")
    };
    let at = |f: &str| format!("components[{i}].{f}");
    if workers.is_some() == deployment.is_some() {
        p.add_at(
            at("workers"),
            "give either `workers` (a count) or `deployment` (the worker Deployment's name), not both or neither",
            name,
        );
    }
    let workers = workers.unwrap_or(1);
    if workers == 0 || workers > MAX_SIZE {
        p.add_at(
            at("workers"),
            format!("workers must be from 1 to {MAX_SIZE}, not {workers}"),
            name,
        );
    }
    if *concurrency == 0 || *concurrency > MAX_SIZE {
        p.add_at(
            at("concurrency"),
            format!(
                "concurrency (jobs per worker) must be from 1 to {MAX_SIZE}, not {concurrency}"
            ),
            name,
        );
    }
    let slots = u64::from(workers) * u64::from(*concurrency);
    if slots > u64::from(MAX_SIZE) {
        p.add_at(
            at("workers"),
            format!("workers × concurrency = {slots} job slots is more than {MAX_SIZE}"),
            name,
        );
    }
    if *attempts == 0 || *attempts > 100 {
        p.add_at(
            at("attempts"),
            format!("attempts (the first included) must be from 1 to 100, not {attempts}"),
            name,
        );
    }
    check_finite(
        p,
        &at("failure_probability"),
        *failure_probability,
        0.0,
        1.0,
        "a failure probability",
    );
    let rate_limit = rate_limit.as_ref().and_then(|r| {
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
        if r.burst == 0 || r.burst > MAX_SIZE {
            p.add(
                at("rate_limit.burst"),
                format!("a burst must be from 1 to {MAX_SIZE}, not {}", r.burst),
            );
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
    });
    let mut policy = Backoff {
        max_attempts: *attempts,
        base: Nanos::from_secs(1),
        multiplier: 2.0,
        cap: Nanos::from_secs(300),
        jitter: Jitter::Full,
    };
    if let Some(b) = backoff {
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
        policy.jitter = match b.jitter {
            JitterKind::None => Jitter::None,
            JitterKind::Full => Jitter::Full,
            JitterKind::Equal => Jitter::Equal,
            JitterKind::Decorrelated => Jitter::Decorrelated,
        };
    }
    for (j, s) in schedules.iter().enumerate() {
        match (&s.every, s.at.is_empty()) {
            (Some(every), true) if every.nanos() < Nanos::from_millis(1) => p.add(
                at(&format!("schedules[{j}].every")),
                format!("a schedule's period must be at least 1ms (e.g. \"5m\"), not {every}"),
            ),
            (Some(_), true) => {}
            (None, false) => {
                if let Err(e) = DailyTimes::parse(&s.at) {
                    p.add(at(&format!("schedules[{j}].at")), e.to_string());
                }
            }
            _ => p.add(
                at(&format!("schedules[{j}]")),
                "give either `every` (a period, e.g. \"5m\") or `at` (times of day, e.g. [\"03:00\"]), not both or neither",
            ),
        }
    }
    QueueSpec {
        name: name.clone(),
        slots: slots.min(u64::from(MAX_SIZE)) as u32,
        rate_limit,
        backoff: policy,
        failure_probability: *failure_probability,
        schedules: Vec::new(),
        deployment: None,
        concurrency: *concurrency,
    }
}

/// Whether queue `name` gets jobs: it has schedules, or an `Enqueue` step
/// (anywhere, fallbacks and cache loads included) names it.
pub(super) fn is_fed(s: &super::schema::Scenario, name: &str) -> bool {
    fn enqueues(steps: &[Step], name: &str) -> bool {
        steps.iter().any(|st| match st {
            Step::Enqueue { queue, .. } => queue == name,
            Step::External { fallback, .. } => enqueues(fallback, name),
            Step::CacheAside { on_miss, .. } => enqueues(on_miss, name),
            _ => false,
        })
    }
    let scheduled = s.components.iter().any(|c| {
        matches!(c, Component::Queue { name: n, schedules, .. } if n == name && !schedules.is_empty())
    });
    scheduled || s.endpoints.values().any(|steps| enqueues(steps, name))
}
