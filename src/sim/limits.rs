//! Per-tenant rate limits at run time: a balancer's and per endpoint, each
//! tenant in its tier, each tier with its own keyed limiter.
//!
//! ```text
//!  client ──▶ EndpointLimit(tenant tier) ──429──▶ error "rate_limited"
//!     ...  ──▶ RateLimit(tenant tier) (a balancer's) ──429──▶ error "rate_limited"
//! ```

use super::families::Family;
use super::interpreter::Sim;
use crate::algo::limiter::{Algorithm, KeyedLimiter, Limiter};
use crate::algo::Nanos;
use crate::metrics::ErrorCause;
use crate::report::{RateLimitReport, Report};
use crate::scenario::{LimitOp, Plan, RateLimitSpec};
use std::collections::BTreeSet;

/// One rate-limit tier's limiter and counters.
pub(super) struct TierState {
    limiter: KeyedLimiter<Limiter, u64>,
    admitted: u64,
    rejected: u64,
    limited: BTreeSet<u64>,
}

/// A fresh limiter and counters for each tier of `spec`.
fn tier_states(spec: &RateLimitSpec) -> Vec<TierState> {
    spec.tiers
        .iter()
        .map(|(_, l)| TierState {
            limiter: KeyedLimiter::new(*l),
            admitted: 0,
            rejected: 0,
            limited: BTreeSet::new(),
        })
        .collect()
}

/// Appends one report row per tier of limit `spec`, owned by (balancer, endpoint).
fn tier_reports(
    spec: &RateLimitSpec,
    tiers: &[TierState],
    (balancer, endpoint): (&str, &str),
    out: &mut Vec<RateLimitReport>,
) {
    for (i, ((name, l), t)) in spec.tiers.iter().zip(tiers).enumerate() {
        let tenants = spec.tenants_in(i);
        out.push(RateLimitReport {
            balancer: balancer.to_owned(),
            tier: name.clone(),
            algorithm: l.name().to_owned(),
            limit: l.limit(),
            tenants,
            admitted: t.admitted,
            rejected: t.rejected,
            tenants_limited: t.limited.len() as u64,
            endpoint: endpoint.to_owned(),
        });
    }
}

/// The rate-limit family's state.
pub(super) struct Limits {
    /// Per balancer: its tiers, if it rate-limits.
    balancers: Vec<Vec<TierState>>,
    /// Per endpoint limit: its tiers.
    endpoints: Vec<Vec<TierState>>,
}

impl Limits {
    /// Fresh limiters for every limit of `plan`.
    pub(super) fn new(plan: &Plan) -> Limits {
        Limits {
            balancers: plan
                .balancers
                .iter()
                .map(|b| b.rate_limit.as_ref().map_or_else(Vec::new, tier_states))
                .collect(),
            endpoints: plan.limits.iter().map(|l| tier_states(&l.limit)).collect(),
        }
    }
}

impl Family for Limits {
    fn reset(&mut self, _now: Nanos) {
        for t in self
            .balancers
            .iter_mut()
            .chain(&mut self.endpoints)
            .flatten()
        {
            t.admitted = 0;
            t.rejected = 0;
            t.limited.clear();
        }
    }

    fn report(&mut self, plan: &Plan, _now: Nanos, report: &mut Report) {
        let limits = &mut report.rate_limits;
        for (spec, tiers) in plan.balancers.iter().zip(&self.balancers) {
            if let Some(r) = &spec.rate_limit {
                tier_reports(r, tiers, (&spec.name, ""), limits);
            }
        }
        for (spec, tiers) in plan.limits.iter().zip(&self.endpoints) {
            tier_reports(&spec.limit, tiers, ("", &spec.endpoint), limits);
        }
    }
}

impl Sim<'_> {
    /// Runs rate-limit op `op` of request `r`; true if the request goes on
    /// stepping now. A limit kept on a shared cache first sends its
    /// commands there; the check is made when they are done.
    pub(super) fn limit_op(&mut self, now: Nanos, r: u32, op: LimitOp) -> bool {
        if let Some(redis) = self.limit_spec(op).redis {
            self.redis_round_trip(now, r, redis.cache);
            return false;
        }
        self.limit_checked(now, r, op)
    }

    /// The limit op `op` checks.
    pub(super) fn limit_spec(&self, op: LimitOp) -> &RateLimitSpec {
        match op {
            LimitOp::Balancer { lb } => self.plan.balancers[lb as usize]
                .rate_limit
                .as_ref()
                .expect("RateLimit ops are compiled only for balancers with a rate limit"),
            LimitOp::Endpoint { limit } => &self.plan.limits[limit as usize].limit,
        }
    }

    /// Makes request `r`'s check of `op`: admitted, it moves on (true);
    /// rejected, it fails with "rate_limited".
    pub(super) fn limit_checked(&mut self, now: Nanos, r: u32, op: LimitOp) -> bool {
        if !self.rate_limit(now, r, op) {
            self.fail(now, r, ErrorCause::RateLimited);
            return false;
        }
        self.requests[r].pc += 1;
        true
    }

    /// Checks the rate limit of `op` for request `r`: true if admitted.
    fn rate_limit(&mut self, now: Nanos, r: u32, op: LimitOp) -> bool {
        let (spec, tiers) = match op {
            LimitOp::Balancer { lb } => (
                self.plan.balancers[lb as usize]
                    .rate_limit
                    .as_ref()
                    .expect("RateLimit ops are compiled only for balancers with a rate limit"),
                &mut self.families.limits.balancers[lb as usize],
            ),
            LimitOp::Endpoint { limit } => (
                &self.plan.limits[limit as usize].limit,
                &mut self.families.limits.endpoints[limit as usize],
            ),
        };
        let tenant = self.requests[r].tenant;
        let t = &mut tiers[spec.tier_of(tenant)];
        let allowed = t.limiter.check_at(&tenant, now).allowed;
        if self.measure.on {
            if allowed {
                t.admitted += 1;
            } else {
                t.rejected += 1;
                t.limited.insert(tenant);
            }
        }
        allowed
    }
}
