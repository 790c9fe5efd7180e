//! The edge and resilience tier: CDN points of presence, per-tenant rate
//! limits (a balancer's and per endpoint), client retries on timeout
//! (backoff, jitter, retry budget) and server-side load shedding.
//!
//! ```text
//!  client ──▶ EndpointLimit(tenant tier) ──429──▶ error "rate_limited"
//!     ▲          ▼ (RTT to the nearest PoP if the user's region has none)
//!     │      Cdn PoP edge ──hit───────────────────────▶ answered at the edge
//!     │          │ miss / stale (one background refresh), from the PoP's region
//!     │          ▼
//!     │      RateLimit(tenant tier) ──429──▶ error "rate_limited"
//!     │          ▼
//!     │      pod queue ──waited > shed_after──▶ error "load_shed"
//!     │          ▼
//!     │      origin path ... CdnFill (store at that PoP)
//!     │
//!     └── timeout: the attempt is abandoned (the server keeps working on it)
//!         and, if attempts and the retry budget allow, retried after a backoff
//! ```

use super::interpreter::{Event, Request, Sim};
use crate::algo::backoff::RetryBudget;
use crate::algo::cache::{Cache, Lookup};
use crate::algo::limiter::{Algorithm, KeyedLimiter, Limiter};
use crate::algo::Nanos;
use crate::engine::{stream, Rng};
use crate::metrics::{round6, ErrorCause};
use crate::report::{CdnReport, PopReport, RateLimitReport, RetryReport};
use crate::scenario::{Op, Plan, RateLimitSpec};
use std::collections::BTreeSet;

/// One CDN: its points of presence and the edge latency's stream.
pub(super) struct CdnState {
    pops: Vec<PopState>,
    rng: Rng,
    purges: u64,
}

/// One point of presence: its own edge cache and counters.
struct PopState {
    cache: Cache<(u16, u64), ()>,
    edge_bytes: u64,
    origin_bytes: u64,
    refreshes: u64,
    /// Lookups by users from other regions (who paid the round trip here).
    remote: u64,
}

impl PopState {
    fn reset(&mut self) {
        self.cache.reset_stats();
        self.edge_bytes = 0;
        self.origin_bytes = 0;
        self.refreshes = 0;
        self.remote = 0;
    }

    /// This PoP's figures (`region` left empty).
    fn report(&self) -> PopReport {
        let s = self.cache.stats();
        PopReport {
            region: String::new(),
            lookups: s.lookups(),
            remote_lookups: self.remote,
            hits: s.hits,
            stale_hits: s.stale_hits,
            misses: s.misses,
            hit_ratio: round6(s.hit_ratio()),
            refreshes: self.refreshes,
            evictions: s.evictions,
            edge_bytes: self.edge_bytes,
            origin_bytes: self.origin_bytes,
        }
    }
}

/// Where a CDN lookup is served.
enum PopRoute {
    /// At this PoP, the request is there now.
    Here(u8),
    /// Paying the round trip to the nearest PoP first.
    Travelling,
    /// Every region with a PoP is down.
    Down,
}

/// Adds PoP figures `x` into `total` (the hit ratio over both).
fn add(total: &mut PopReport, x: &PopReport) {
    total.lookups += x.lookups;
    total.remote_lookups += x.remote_lookups;
    total.hits += x.hits;
    total.stale_hits += x.stale_hits;
    total.misses += x.misses;
    total.refreshes += x.refreshes;
    total.evictions += x.evictions;
    total.edge_bytes += x.edge_bytes;
    total.origin_bytes += x.origin_bytes;
    total.hit_ratio = if total.lookups == 0 {
        0.0
    } else {
        round6((total.hits + total.stale_hits) as f64 / total.lookups as f64)
    };
}

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

/// Client retry state.
pub(super) struct RetryState {
    budget: Option<RetryBudget>,
    rng: Rng,
    requests: u64,
    retries: u64,
    budget_denied: u64,
    exhausted: u64,
    abandoned: u64,
}

/// The live state of the edge and resilience tier.
pub(super) struct Edge {
    cdns: Vec<CdnState>,
    /// Per balancer: its tiers, if it rate-limits.
    limits: Vec<Vec<TierState>>,
    /// Per endpoint limit: its tiers.
    endpoint_limits: Vec<Vec<TierState>>,
    retry: Option<RetryState>,
}

impl Edge {
    pub(super) fn new(plan: &Plan) -> Edge {
        let seed = plan.seed;
        Edge {
            cdns: plan
                .cdns
                .iter()
                .map(|c| CdnState {
                    pops: (0..c.pops.len().max(1))
                        .map(|_| PopState {
                            cache: Cache::new(c.cache),
                            edge_bytes: 0,
                            origin_bytes: 0,
                            refreshes: 0,
                            remote: 0,
                        })
                        .collect(),
                    rng: stream(seed, &format!("cdn/{}", c.name)),
                    purges: 0,
                })
                .collect(),
            limits: plan
                .balancers
                .iter()
                .map(|b| b.rate_limit.as_ref().map_or_else(Vec::new, tier_states))
                .collect(),
            endpoint_limits: plan.limits.iter().map(|l| tier_states(&l.limit)).collect(),
            retry: plan.workload.retries.as_ref().map(|r| RetryState {
                budget: r
                    .budget
                    .map(|(ratio, min, max)| RetryBudget::new(ratio, min, max)),
                rng: stream(seed, "workload/retries"),
                requests: 0,
                retries: 0,
                budget_denied: 0,
                exhausted: 0,
                abandoned: 0,
            }),
        }
    }

    /// Whether requests get a real timeout event (clients retry).
    pub(super) fn retries_on(&self) -> bool {
        self.retry.is_some()
    }

    /// Statistics start: counters restart.
    pub(super) fn reset(&mut self) {
        for c in &mut self.cdns {
            c.pops.iter_mut().for_each(PopState::reset);
            c.purges = 0;
        }
        for t in self
            .limits
            .iter_mut()
            .chain(&mut self.endpoint_limits)
            .flatten()
        {
            t.admitted = 0;
            t.rejected = 0;
            t.limited.clear();
        }
        if let Some(r) = &mut self.retry {
            r.requests = 0;
            r.retries = 0;
            r.budget_denied = 0;
            r.exhausted = 0;
            r.abandoned = 0;
        }
    }

    /// Empties CDN `cdn`'s edge cache.
    pub(super) fn purge(&mut self, cdn: usize, measuring: bool) {
        let c = &mut self.cdns[cdn];
        for pop in &mut c.pops {
            pop.cache.clear();
        }
        if measuring {
            c.purges += 1;
        }
    }

    pub(super) fn reports(
        &self,
        plan: &Plan,
    ) -> (Vec<CdnReport>, Vec<RateLimitReport>, Option<RetryReport>) {
        let cdns = plan
            .cdns
            .iter()
            .zip(&self.cdns)
            .map(|(spec, c)| {
                let mut total = PopReport::default();
                let mut pops = Vec::new();
                for (i, pop) in c.pops.iter().enumerate() {
                    let x = pop.report();
                    add(&mut total, &x);
                    if let (Some(rs), Some(&g)) = (&plan.regions, spec.pops.get(i)) {
                        pops.push(PopReport {
                            region: rs.names[g as usize].clone(),
                            ..x
                        });
                    }
                }
                CdnReport {
                    name: spec.name.clone(),
                    lookups: total.lookups,
                    hits: total.hits,
                    stale_hits: total.stale_hits,
                    misses: total.misses,
                    hit_ratio: total.hit_ratio,
                    refreshes: total.refreshes,
                    evictions: total.evictions,
                    edge_bytes: total.edge_bytes,
                    origin_bytes: total.origin_bytes,
                    purges: c.purges,
                    pops,
                }
            })
            .collect();
        let mut limits = Vec::new();
        for (spec, tiers) in plan.balancers.iter().zip(&self.limits) {
            if let Some(r) = &spec.rate_limit {
                tier_reports(r, tiers, (&spec.name, ""), &mut limits);
            }
        }
        for (spec, tiers) in plan.limits.iter().zip(&self.endpoint_limits) {
            tier_reports(&spec.limit, tiers, ("", &spec.endpoint), &mut limits);
        }
        let retries = self.retry.as_ref().map(|r| RetryReport {
            requests: r.requests,
            retries: r.retries,
            amplification: if r.requests == 0 {
                1.0
            } else {
                round6((r.requests + r.retries) as f64 / r.requests as f64)
            },
            budget_denied: r.budget_denied,
            exhausted: r.exhausted,
            abandoned_attempts: r.abandoned,
        });
        (cdns, limits, retries)
    }
}

impl Sim<'_> {
    /// Checks the rate limit of `op` (a balancer's `RateLimit` or an
    /// `EndpointLimit`) for request `r`: true if admitted.
    pub(super) fn rate_limit(&mut self, now: Nanos, r: u32, op: Op) -> bool {
        let (spec, tiers) = match op {
            Op::RateLimit { lb } => (
                self.plan.balancers[lb as usize]
                    .rate_limit
                    .as_ref()
                    .expect("RateLimit ops are compiled only for balancers with a rate limit"),
                &mut self.edge.limits[lb as usize],
            ),
            Op::EndpointLimit { limit } => (
                &self.plan.limits[limit as usize].limit,
                &mut self.edge.endpoint_limits[limit as usize],
            ),
            _ => unreachable!("not a rate-limit op: {op:?}"),
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

    /// The PoP of CDN `cdn` that serves request `r`: the nearest up region
    /// with a PoP, from where the request is; reaching it costs its round trip.
    fn pop_route(&mut self, now: Nanos, r: u32, cdn: u16) -> PopRoute {
        let spec = &self.plan.cdns[cdn as usize];
        let req = &mut self.requests[r];
        let (Some(rs), false) = (&self.plan.regions, spec.pops.is_empty()) else {
            req.pop_from = req.at;
            return PopRoute::Here(0);
        };
        let at = req.at;
        let pick = rs.nearest[at as usize]
            .iter()
            .find(|&&g| !self.geo.is_down(Some(g)) && spec.pop_in[g as usize].is_some());
        let Some(&g) = pick else {
            return PopRoute::Down;
        };
        if g != at && !req.travelled {
            req.travelled = true;
            self.queue.schedule(now + rs.rtt(at, g), Event::Resume(r));
            return PopRoute::Travelling;
        }
        req.travelled = false;
        req.pop_from = at;
        req.at = g;
        PopRoute::Here(spec.pop_in[g as usize].expect("picked a region with a PoP"))
    }

    /// Looks request `r` up at CDN `cdn`'s nearest edge and moves its program
    /// counter: to `hit_pc` on a hit, to the origin path otherwise (which
    /// starts from the PoP's region). Returns the time to wait before
    /// continuing, or `None` if the request is travelling or failed.
    pub(super) fn cdn_lookup(
        &mut self,
        now: Nanos,
        r: u32,
        cdn: u16,
        hit_pc: u32,
    ) -> Option<Nanos> {
        let p = match self.pop_route(now, r, cdn) {
            PopRoute::Here(p) => p,
            PopRoute::Travelling => return None,
            PopRoute::Down => {
                self.fail(now, r, ErrorCause::RegionDown);
                return None;
            }
        };
        let spec = &self.plan.cdns[cdn as usize];
        let c = &mut self.edge.cdns[cdn as usize];
        let t = self.plan.samplers[spec.latency as usize].sample(&mut c.rng);
        let pop = &mut c.pops[p as usize];
        let req = &mut self.requests[r];
        req.pop = p;
        let measuring = self.measure.on;
        if measuring && req.pop_from != req.at {
            pop.remote += 1;
        }
        match pop.cache.get_at(now, &(req.endpoint, req.key)) {
            Lookup::Hit(_) | Lookup::Stale { refresh: false, .. } => {
                if measuring {
                    pop.edge_bytes += spec.response_bytes;
                }
                req.pc = hit_pc;
                req.at = req.pop_from;
                Some(t)
            }
            Lookup::Stale { refresh: true, .. } => {
                // The client gets the stale copy now; this request carries on
                // to the origin in the background to refresh the edge.
                if measuring {
                    pop.edge_bytes += spec.response_bytes;
                    pop.refreshes += 1;
                }
                req.pc += 1;
                let (start, endpoint, home) = (req.start, req.endpoint, req.home);
                req.refreshing = cdn + 1;
                req.detached = true;
                req.deadline = Nanos::MAX;
                self.record_success(now, start, endpoint, home, now + t - start);
                Some(Nanos::ZERO)
            }
            Lookup::Miss => {
                req.pc += 1;
                Some(t)
            }
        }
    }

    /// The origin answered request `r`: store it at its PoP of CDN `cdn`.
    pub(super) fn cdn_fill(&mut self, now: Nanos, r: u32, cdn: u16) {
        let req = &mut self.requests[r];
        req.pc += 1;
        req.refreshing = 0;
        req.at = req.pop_from;
        let key = (req.endpoint, req.key);
        let pop = &mut self.edge.cdns[cdn as usize].pops[req.pop as usize];
        pop.cache.insert_at(now, key, ());
        if self.measure.on {
            pop.origin_bytes += self.plan.cdns[cdn as usize].response_bytes;
        }
    }

    /// A background refresh failed: the next stale read starts another.
    pub(super) fn cdn_refresh_failed(&mut self, req: &Request) {
        let c = &mut self.edge.cdns[req.refreshing as usize - 1];
        c.pops[req.pop as usize]
            .cache
            .refresh_failed(&(req.endpoint, req.key));
    }

    /// Counts an original request for the retry budget and arms its timeout.
    pub(super) fn arm_timeout(&mut self, now: Nanos, r: u32) {
        let measuring = self.measure.on;
        let Some(state) = &mut self.edge.retry else {
            return;
        };
        if measuring {
            state.requests += 1;
        }
        if let Some(b) = &mut state.budget {
            b.on_request_at(now);
        }
        let req = &self.requests[r];
        let (deadline, id) = (req.deadline, req.id);
        let slot = self.pairs.insert((r, id));
        self.queue.schedule(deadline, Event::Timeout(slot));
    }

    /// The client of `req` gave up at `now` for good: a timeout error.
    fn count_timeout(&mut self, now: Nanos, req: &Request) {
        let cause = ErrorCause::ClientTimeout;
        self.count_error(now, req.start, req.endpoint, req.home, cause);
    }

    /// The client of attempt `r` (identity `id`) gives up: the attempt is
    /// abandoned (the servers keep working on it) and retried after a backoff
    /// if attempts and the budget allow; otherwise it is a timeout error.
    pub(super) fn timeout(&mut self, now: Nanos, r: u32, id: u32) {
        let req = self.requests[r];
        if !req.alive || req.id != id || req.detached {
            return;
        }
        let spec = self
            .plan
            .workload
            .retries
            .as_ref()
            .expect("timeouts are armed only with retries");
        let timeout = self
            .plan
            .workload
            .client_timeout
            .expect("retries need a client timeout");
        let measuring = self.measure.on;
        let state = self.edge.retry.as_mut().expect("retries are on");
        {
            let live = &mut self.requests[r];
            live.detached = true;
            live.deadline = Nanos::MAX;
        }
        if measuring {
            state.abandoned += 1;
        }
        let attempts_made = u32::from(req.attempt) + 1;
        if !spec.backoff.allows_retry(attempts_made) {
            if measuring {
                state.exhausted += 1;
            }
            self.count_timeout(now, &req);
            return;
        }
        if let Some(b) = &mut state.budget {
            if !b.try_retry_at(now) {
                if measuring {
                    state.budget_denied += 1;
                }
                self.count_timeout(now, &req);
                return;
            }
        }
        let delay = spec
            .backoff
            .delay(u32::from(req.attempt), req.backoff_prev, &mut state.rng);
        if measuring {
            state.retries += 1;
        }
        let at = now.saturating_add(delay);
        let retry = self.new_request(|id| Request {
            id,
            start: req.start,
            deadline: at.saturating_add(timeout),
            attempt: req.attempt + 1,
            backoff_prev: delay,
            home: req.home,
            at: req.home,
            hop_from: req.home,
            ..Request::fresh(req.endpoint, req.tenant, req.key, req.user)
        });
        self.queue.schedule(at, Event::Resume(retry));
        let id = self.requests[retry].id;
        let slot = self.pairs.insert((retry, id));
        self.queue
            .schedule(self.requests[retry].deadline, Event::Timeout(slot));
    }
}
