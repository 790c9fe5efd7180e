//! `Dependency` components: external calls with latency, errors, a
//! timeout, a circuit breaker and retries.

use super::checks::{check_count, check_finite};
use super::context::{Context, Problems};
use super::samplers::Stage;
use crate::algo::backoff::Backoff;
use crate::algo::breaker::{Breaker, BreakerConfig};
use crate::algo::Nanos;
use crate::scenario::plan::DependencySpec;
use crate::scenario::schema;

/// Checks dependency component `i` and resolves it.
pub(crate) fn resolve(cx: &mut Context, i: usize, d: &schema::Dependency) -> DependencySpec {
    let at = |f: &str| format!("components[{i}].{f}");
    let name = d.name.as_str();
    let p = &mut cx.problems;
    check_finite(
        p,
        &at("error_rate"),
        d.error_rate,
        0.0,
        1.0,
        "an error rate",
    );
    let timeout = d.timeout.map(|t| t.nanos());
    if timeout == Some(Nanos::ZERO) {
        p.add_at(
            at("timeout"),
            "a call timeout must be longer than zero (leave it out for none)",
            name,
        );
    }
    let breaker = d
        .breaker
        .as_ref()
        .and_then(|b| circuit_breaker(p, i, name, b));
    let retries = d.retries.as_ref().and_then(|r| {
        if !check_count(
            p,
            at("retries.attempts"),
            Some(name),
            "attempts (the first call included)",
            r.attempts,
            1..=100,
        ) {
            return None;
        }
        Some(Backoff {
            max_attempts: r.attempts,
            base: r.backoff.nanos(),
            multiplier: 2.0,
            cap: Nanos::from_secs(10).max(r.backoff.nanos()),
            jitter: super::workload::jitter_of(r.jitter),
        })
    });
    let latency = cx
        .samplers
        .add(Stage::DependencyLatency, &at("latency"), &d.latency);
    DependencySpec {
        name: d.name.clone(),
        latency: latency.unwrap_or(0),
        error_rate: d.error_rate,
        timeout,
        breaker,
        retries,
    }
}

/// The circuit breaker's configuration, if it is a valid one.
fn circuit_breaker(
    p: &mut Problems,
    i: usize,
    name: &str,
    b: &schema::BreakerSettings,
) -> Option<BreakerConfig> {
    let at = |f: &str| format!("components[{i}].{f}");
    let config = BreakerConfig {
        failure_threshold: b.failure_threshold,
        rate: None,
        reset_timeout: b.reset_timeout.nanos(),
        half_open_max_calls: b.half_open_max_calls.unwrap_or(1),
        success_threshold: match b.close_on {
            schema::CloseRule::AllProbes => None,
            schema::CloseRule::FirstSuccess => Some(1),
        },
        event_capacity: 10_000,
    };
    if b.failure_threshold == 0 {
        p.add_at(
            at("breaker.failure_threshold"),
            "failure_threshold (consecutive failures that open the breaker) must be at least 1",
            name,
        );
        return None;
    }
    match Breaker::new(config) {
        Ok(_) if config.reset_timeout == Nanos::ZERO => {
            p.add_at(
                at("breaker.reset_timeout"),
                "reset_timeout must be longer than zero",
                name,
            );
            None
        }
        Ok(_) => Some(config),
        Err(e) => {
            p.add_at(
                at("breaker"),
                format!(
                    "{e} (failure_threshold {}, half_open_max_calls {})",
                    b.failure_threshold, config.half_open_max_calls
                ),
                name,
            );
            None
        }
    }
}
