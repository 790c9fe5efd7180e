//! A deployment's `probes`: the kubelet's readiness and liveness probes,
//! with Kubernetes' defaults (period 10 s, timeout 1 s, failure threshold
//! 3, success threshold 1, no initial delay) and its rules (a period of at
//! least 1 s, thresholds at least 1, a liveness success threshold of
//! exactly 1). A timeout longer than the period is allowed, as in
//! Kubernetes: the next probe then waits for the answer or the timeout.

use super::checks::{check_count, check_nonzero, sizes};
use super::context::Problems;
use crate::algo::Nanos;
use crate::scenario::plan::{ProbeSpec, ProbesSpec};
use crate::scenario::schema::{self, ProbePort};

/// Kubernetes' default `periodSeconds`.
const DEFAULT_PERIOD: Nanos = Nanos(10_000_000_000);
/// Kubernetes' default `timeoutSeconds`.
const DEFAULT_TIMEOUT: Nanos = Nanos(1_000_000_000);
/// Kubernetes' least `periodSeconds`: a probe every second at most (a
/// shorter period would be a flood of events no kubelet sends).
const MIN_PERIOD: Nanos = Nanos(1_000_000_000);
/// Kubernetes' default `failureThreshold`.
const DEFAULT_FAILURES: u32 = 3;
/// The CPU time of a health handler when the scenario gives none.
const DEFAULT_COST: Nanos = Nanos(1_000_000);

/// Checks the probes of deployment `name` (at path `at`) and resolves them;
/// `has_cpu` says whether the deployment has the CPU model.
pub(super) fn resolve(
    p: &mut Problems,
    at: &str,
    name: &str,
    probes: &schema::Probes,
    has_cpu: bool,
) -> ProbesSpec {
    if probes.readiness.is_none() && probes.liveness.is_none() {
        p.add_at(
            at,
            "probes need a `readiness` or a `liveness` probe (or both)",
            name,
        );
    }
    let shared_port = probes.port == ProbePort::Shared;
    if let Some(cost) = probes.cost {
        let cost_at = format!("{at}.cost");
        if !shared_port {
            p.add_at(
                &cost_at,
                "a probe's cost is CPU time on the worker slots' port; with `port: Separate` probes cost nothing (remove `cost`)",
                name,
            );
        } else if !has_cpu {
            p.add_at(
                &cost_at,
                "a probe's cost is CPU time: it needs the deployment's CPU model (resources with a CPU request or limit); without it a probe takes a free worker slot for no time (remove `cost`)",
                name,
            );
        }
        check_nonzero(
            p,
            cost_at,
            Some(name),
            cost.nanos(),
            "a probe's cost must be longer than zero (leave it out for the default 1ms)",
        );
    }
    ProbesSpec {
        readiness: probes
            .readiness
            .as_ref()
            .map(|r| resolve_probe(p, &format!("{at}.readiness"), name, r, false)),
        liveness: probes
            .liveness
            .as_ref()
            .map(|l| resolve_probe(p, &format!("{at}.liveness"), name, l, true)),
        shared_port,
        cost: probes.cost.map_or(DEFAULT_COST, |c| c.nanos()),
    }
}

/// One probe's timing, defaults filled in.
fn resolve_probe(
    p: &mut Problems,
    at: &str,
    name: &str,
    probe: &schema::Probe,
    liveness: bool,
) -> ProbeSpec {
    let period = probe.period.map_or(DEFAULT_PERIOD, |d| d.nanos());
    let timeout = probe.timeout.map_or(DEFAULT_TIMEOUT, |d| d.nanos());
    if let Some(short) = probe.period.filter(|d| d.nanos() < MIN_PERIOD) {
        p.add_near(
            format!("{at}.period"),
            format!("a probe's period must be at least 1s, as Kubernetes' periodSeconds (default 10s), not {short}"),
            Some(name),
        );
    }
    check_nonzero(
        p,
        format!("{at}.timeout"),
        Some(name),
        timeout,
        "a probe's timeout must be longer than zero (Kubernetes' default is 1s)",
    );
    let failure_threshold = probe.failure_threshold.unwrap_or(DEFAULT_FAILURES);
    check_count(
        p,
        format!("{at}.failure_threshold"),
        Some(name),
        "failure_threshold",
        failure_threshold,
        sizes(),
    );
    let success_threshold = probe.success_threshold.unwrap_or(1);
    if liveness && success_threshold != 1 {
        p.add_at(
            format!("{at}.success_threshold"),
            format!("a liveness probe's success_threshold must be 1, as in Kubernetes, not {success_threshold}"),
            name,
        );
    } else {
        check_count(
            p,
            format!("{at}.success_threshold"),
            Some(name),
            "success_threshold",
            success_threshold,
            sizes(),
        );
    }
    ProbeSpec {
        period,
        timeout,
        failure_threshold,
        success_threshold,
        initial_delay: probe.initial_delay.map_or(Nanos::ZERO, |d| d.nanos()),
    }
}
