//! The edge and resilience tier: CDN edge caches, per-tenant rate limits,
//! client retries on timeout (backoff, jitter, retry budget) and server-side
//! load shedding.
//!
//! ```text
//!  client ──▶ Cdn edge ──hit──────────────────────────▶ answered at the edge
//!     ▲          │ miss / stale (one background refresh)
//!     │          ▼
//!     │      RateLimit(tenant tier) ──429──▶ error "rate_limited"
//!     │          ▼
//!     │      pod queue ──waited > shed_after──▶ error "load_shed"
//!     │          ▼
//!     │      origin path ... CdnFill (store at the edge)
//!     │
//!     └── timeout: the attempt is abandoned (the server keeps working on it)
//!         and, if attempts and the retry budget allow, retried after a backoff
//! ```

use super::sim::{Event, Request, Sim};
use crate::algo::backoff::RetryBudget;
use crate::algo::cache::{Cache, Lookup};
use crate::algo::limiter::{Algorithm, KeyedLimiter, Limiter};
use crate::algo::Nanos;
use crate::engine::{stream, Rng};
use crate::metrics::{round6, ErrorCause};
use crate::report::{CdnReport, RateLimitReport, RetryReport};
use crate::scenario::Model;
use std::collections::BTreeSet;

/// One CDN's edge cache and counters.
pub(super) struct CdnState {
    cache: Cache<(u16, u64), ()>,
    rng: Rng,
    edge_bytes: u64,
    origin_bytes: u64,
    refreshes: u64,
    purges: u64,
}

/// One rate-limit tier's limiter and counters.
pub(super) struct TierState {
    limiter: KeyedLimiter<Limiter, u64>,
    admitted: u64,
    rejected: u64,
    limited: BTreeSet<u64>,
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
    retry: Option<RetryState>,
}

impl Edge {
    pub(super) fn new(model: &Model) -> Edge {
        let seed = model.seed;
        Edge {
            cdns: model
                .cdns
                .iter()
                .map(|c| CdnState {
                    cache: Cache::new(c.cache),
                    rng: stream(seed, &format!("cdn/{}", c.name)),
                    edge_bytes: 0,
                    origin_bytes: 0,
                    refreshes: 0,
                    purges: 0,
                })
                .collect(),
            limits: model
                .balancers
                .iter()
                .map(|b| {
                    b.rate_limit.as_ref().map_or_else(Vec::new, |r| {
                        r.tiers
                            .iter()
                            .map(|(_, l)| TierState {
                                limiter: KeyedLimiter::new(*l),
                                admitted: 0,
                                rejected: 0,
                                limited: BTreeSet::new(),
                            })
                            .collect()
                    })
                })
                .collect(),
            retry: model.workload.retries.as_ref().map(|r| RetryState {
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
            c.cache.reset_stats();
            c.edge_bytes = 0;
            c.origin_bytes = 0;
            c.refreshes = 0;
            c.purges = 0;
        }
        for t in self.limits.iter_mut().flatten() {
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
        c.cache.clear();
        if measuring {
            c.purges += 1;
        }
    }

    pub(super) fn reports(
        &self,
        model: &Model,
    ) -> (Vec<CdnReport>, Vec<RateLimitReport>, Option<RetryReport>) {
        let cdns = model
            .cdns
            .iter()
            .zip(&self.cdns)
            .map(|(spec, c)| {
                let s = c.cache.stats();
                CdnReport {
                    name: spec.name.clone(),
                    lookups: s.lookups(),
                    hits: s.hits,
                    stale_hits: s.stale_hits,
                    misses: s.misses,
                    hit_ratio: round6(s.hit_ratio()),
                    refreshes: c.refreshes,
                    evictions: s.evictions,
                    edge_bytes: c.edge_bytes,
                    origin_bytes: c.origin_bytes,
                    purges: c.purges,
                }
            })
            .collect();
        let mut limits = Vec::new();
        for (spec, tiers) in model.balancers.iter().zip(&self.limits) {
            let Some(r) = &spec.rate_limit else { continue };
            for (i, ((name, l), t)) in r.tiers.iter().zip(tiers).enumerate() {
                let tenants = (0..r.tenants).filter(|&k| r.tier_of(k) == i).count() as u64;
                limits.push(RateLimitReport {
                    balancer: spec.name.clone(),
                    tier: name.clone(),
                    algorithm: l.name().to_owned(),
                    limit: l.limit(),
                    tenants,
                    admitted: t.admitted,
                    rejected: t.rejected,
                    tenants_limited: t.limited.len() as u64,
                });
            }
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
    /// Checks balancer `lb`'s rate limit for request `r`: true if admitted.
    pub(super) fn rate_limit(&mut self, now: Nanos, r: u32, lb: u16) -> bool {
        let spec = self.model.balancers[lb as usize]
            .rate_limit
            .as_ref()
            .expect("RateLimit ops are compiled only for balancers with a rate limit");
        let tenant = self.requests[r].tenant;
        let tier = spec.tier_of(tenant);
        let t = &mut self.edge.limits[lb as usize][tier];
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

    /// Looks request `r` up at CDN `cdn`'s edge and moves its program counter:
    /// to `hit_pc` on a hit, to the origin path otherwise. Returns the edge
    /// latency to wait before continuing.
    pub(super) fn cdn_lookup(&mut self, now: Nanos, r: u32, cdn: u16, hit_pc: u32) -> Nanos {
        let spec = &self.model.cdns[cdn as usize];
        let c = &mut self.edge.cdns[cdn as usize];
        let t = self.model.samplers[spec.latency as usize].sample(&mut c.rng);
        let req = &mut self.requests[r];
        let measuring = self.measure.on;
        match c.cache.get_at(now, &(req.endpoint, req.key)) {
            Lookup::Hit(_) | Lookup::Stale { refresh: false, .. } => {
                if measuring {
                    c.edge_bytes += spec.response_bytes;
                }
                req.pc = hit_pc;
                t
            }
            Lookup::Stale { refresh: true, .. } => {
                // The client gets the stale copy now; this request carries on
                // to the origin in the background to refresh the edge.
                if measuring {
                    c.edge_bytes += spec.response_bytes;
                    c.refreshes += 1;
                }
                req.pc += 1;
                let (start, endpoint) = (req.start, req.endpoint);
                req.refreshing = cdn + 1;
                req.detached = true;
                req.deadline = Nanos::MAX;
                self.record_success(now, endpoint, now + t - start);
                Nanos::ZERO
            }
            Lookup::Miss => {
                req.pc += 1;
                t
            }
        }
    }

    /// The origin answered request `r`: store it at CDN `cdn`'s edge.
    pub(super) fn cdn_fill(&mut self, now: Nanos, r: u32, cdn: u16) {
        let req = &mut self.requests[r];
        req.pc += 1;
        req.refreshing = 0;
        let key = (req.endpoint, req.key);
        let c = &mut self.edge.cdns[cdn as usize];
        c.cache.insert_at(now, key, ());
        if self.measure.on {
            c.origin_bytes += self.model.cdns[cdn as usize].response_bytes;
        }
    }

    /// A background refresh failed: the next stale read starts another.
    pub(super) fn cdn_refresh_failed(&mut self, req: &Request) {
        let c = &mut self.edge.cdns[req.refreshing as usize - 1];
        c.cache.refresh_failed(&(req.endpoint, req.key));
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
        self.queue.schedule(req.deadline, Event::Timeout(r, req.id));
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
            .model
            .workload
            .retries
            .as_ref()
            .expect("timeouts are armed only with retries");
        let timeout = self
            .model
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
            self.count_error(now, req.endpoint, ErrorCause::ClientTimeout);
            return;
        }
        if let Some(b) = &mut state.budget {
            if !b.try_retry_at(now) {
                if measuring {
                    state.budget_denied += 1;
                }
                self.count_error(now, req.endpoint, ErrorCause::ClientTimeout);
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
        let retry = self.new_request(Request {
            start: req.start,
            deadline: at.saturating_add(timeout),
            attempt: req.attempt + 1,
            backoff_prev: delay,
            ..Request::fresh(req.endpoint, req.tenant, req.key, req.user)
        });
        self.queue.schedule(at, Event::Resume(retry));
        let id = self.requests[retry].id;
        self.queue
            .schedule(self.requests[retry].deadline, Event::Timeout(retry, id));
    }
}
