//! CDN points of presence at run time: an edge cache per PoP, the round
//! trip to the nearest PoP with regions, stale-while-revalidate refreshes in
//! the background, and purges. Each PoP holds one cache per content class;
//! a class with its own objects draws the object a request asks for.
//!
//! ```text
//!  client ──(RTT to the nearest PoP if the user's region has none)──▶ PoP edge
//!     hit ──────────────────────────────────────────▶ answered at the edge
//!     miss / stale (one background refresh) ──▶ origin path from the PoP's region
//!                                            ... CdnFill (store at that PoP)
//! ```

use super::event::Event;
use super::families::Family;
use super::interpreter::{Request, Sim};
use crate::algo::cache::{Cache, Lookup};
use crate::algo::Nanos;
use crate::engine::{stream, Rng};
use crate::metrics::{round6, ErrorCause};
use crate::report::{CdnClassReport, CdnReport, PopReport, Report};
use crate::scenario::{CdnOp, Plan};

/// A request's CDN state.
#[derive(Copy, Clone, Debug)]
pub(super) struct CdnSide {
    /// 1 + the CDN this request refreshes in the background (0: none).
    pub(super) refreshing: u16,
    /// The point of presence of its (innermost) edge lookup.
    pop: u8,
    /// The region it was in before that lookup (it returns there after).
    pop_from: u8,
}

impl CdnSide {
    /// A request that has not been to a CDN.
    pub(super) const NONE: CdnSide = CdnSide {
        refreshing: 0,
        pop: 0,
        pop_from: 0,
    };
}

/// One CDN: its points of presence, the edge latency's stream and one
/// stream per content class (drawing its objects).
pub(super) struct CdnState {
    pops: Vec<PopState>,
    rng: Rng,
    objects: Vec<Rng>,
    purges: u64,
}

/// One point of presence: an edge cache per content class, and the lookups
/// it served for other regions.
struct PopState {
    classes: Vec<EdgeCache>,
    /// Lookups by users from other regions (who paid the round trip here).
    remote: u64,
}

/// One content class's edge cache at one PoP, and its byte counters.
struct EdgeCache {
    cache: Cache<(u16, u64), ()>,
    edge_bytes: u64,
    origin_bytes: u64,
    refreshes: u64,
}

impl EdgeCache {
    fn reset(&mut self) {
        self.cache.reset_stats();
        self.edge_bytes = 0;
        self.origin_bytes = 0;
        self.refreshes = 0;
    }

    /// This cache's figures (`region` left empty, no remote lookups).
    fn report(&self) -> PopReport {
        let s = self.cache.stats();
        PopReport {
            region: String::new(),
            lookups: s.lookups(),
            remote_lookups: 0,
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

impl PopState {
    fn reset(&mut self) {
        self.classes.iter_mut().for_each(EdgeCache::reset);
        self.remote = 0;
    }

    /// This PoP's figures over its classes (`region` left empty).
    fn report(&self) -> PopReport {
        let mut total = PopReport::default();
        for c in &self.classes {
            add(&mut total, &c.report());
        }
        if self.classes.len() == 1 {
            // One class: its own ratio, as computed by the cache.
            total.hit_ratio = self.classes[0].report().hit_ratio;
        }
        total.remote_lookups = self.remote;
        total
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

/// The CDN family's state.
pub(super) struct Cdns {
    cdns: Vec<CdnState>,
}

impl Cdns {
    /// Empty edges for every CDN of `plan`.
    pub(super) fn new(plan: &Plan) -> Cdns {
        Cdns {
            cdns: plan
                .cdns
                .iter()
                .map(|c| CdnState {
                    pops: (0..c.pops.len().max(1))
                        .map(|_| PopState {
                            classes: c
                                .classes
                                .iter()
                                .map(|k| EdgeCache {
                                    cache: Cache::new(k.cache),
                                    edge_bytes: 0,
                                    origin_bytes: 0,
                                    refreshes: 0,
                                })
                                .collect(),
                            remote: 0,
                        })
                        .collect(),
                    rng: stream(plan.seed, &format!("cdn/{}", c.name)),
                    objects: c
                        .classes
                        .iter()
                        .map(|k| stream(plan.seed, &format!("cdn/{}/class/{}", c.name, k.name)))
                        .collect(),
                    purges: 0,
                })
                .collect(),
        }
    }

    /// Empties CDN `cdn`'s edge cache.
    pub(super) fn purge(&mut self, cdn: usize, measuring: bool) {
        let c = &mut self.cdns[cdn];
        for pop in &mut c.pops {
            for class in &mut pop.classes {
                class.cache.clear();
            }
        }
        if measuring {
            c.purges += 1;
        }
    }
}

impl Family for Cdns {
    fn reset(&mut self, _now: Nanos) {
        for c in &mut self.cdns {
            c.pops.iter_mut().for_each(PopState::reset);
            c.purges = 0;
        }
    }

    fn report(&mut self, plan: &Plan, _now: Nanos, report: &mut Report) {
        report.cdns = plan
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
                    classes: class_reports(spec, c),
                }
            })
            .collect();
    }
}

/// Each content class over every PoP, when the CDN declares classes.
fn class_reports(spec: &crate::scenario::CdnSpec, c: &CdnState) -> Vec<CdnClassReport> {
    if spec.classes.len() == 1 {
        return Vec::new();
    }
    spec.classes
        .iter()
        .enumerate()
        .map(|(k, class)| {
            let mut t = PopReport::default();
            for pop in &c.pops {
                add(&mut t, &pop.classes[k].report());
            }
            CdnClassReport {
                name: if k == 0 {
                    "default".to_owned()
                } else {
                    class.name.clone()
                },
                lookups: t.lookups,
                hits: t.hits,
                stale_hits: t.stale_hits,
                misses: t.misses,
                hit_ratio: t.hit_ratio,
                refreshes: t.refreshes,
                evictions: t.evictions,
                edge_bytes: t.edge_bytes,
                origin_bytes: t.origin_bytes,
            }
        })
        .collect()
}

impl Sim<'_> {
    /// Runs CDN op `op` of request `r`; true if the request goes on stepping now.
    pub(super) fn cdn_op(&mut self, now: Nanos, r: u32, op: CdnOp) -> bool {
        match op {
            CdnOp::Lookup { cdn, hit_pc } => {
                let Some(t) = self.cdn_lookup(now, r, cdn, hit_pc) else {
                    return false;
                };
                if t > Nanos::ZERO {
                    self.queue.schedule(now + t, Event::Resume(r.into()));
                    return false;
                }
                true
            }
            CdnOp::Fill { cdn } => {
                self.cdn_fill(now, r, cdn);
                true
            }
        }
    }

    /// The PoP of CDN `cdn` that serves request `r`: the nearest up region
    /// with a PoP, from where the request is; reaching it costs its round trip.
    fn pop_route(&mut self, now: Nanos, r: u32, cdn: u16) -> PopRoute {
        let spec = &self.plan.cdns[cdn as usize];
        let req = &mut self.requests[r];
        let (Some(rs), false) = (&self.plan.regions, spec.pops.is_empty()) else {
            req.cdn.pop_from = req.at;
            return PopRoute::Here(0);
        };
        let at = req.at;
        let pick = rs.nearest[at as usize].iter().find(|&&g| {
            !self.families.regions.is_down(Some(g)) && spec.pop_in[g as usize].is_some()
        });
        let Some(&g) = pick else {
            return PopRoute::Down;
        };
        if g != at && !req.travelled {
            req.travelled = true;
            self.queue
                .schedule(now + rs.rtt(at, g), Event::Resume(r.into()));
            return PopRoute::Travelling;
        }
        req.travelled = false;
        req.cdn.pop_from = at;
        req.at = g;
        PopRoute::Here(spec.pop_in[g as usize].expect("picked a region with a PoP"))
    }

    /// Looks request `r` up at CDN `cdn`'s nearest edge and moves its program
    /// counter: to `hit_pc` on a hit, to the origin path otherwise (which
    /// starts from the PoP's region). Returns the time to wait before
    /// continuing, or `None` if the request is travelling or failed.
    fn cdn_lookup(&mut self, now: Nanos, r: u32, cdn: u16, hit_pc: u32) -> Option<Nanos> {
        let p = match self.pop_route(now, r, cdn) {
            PopRoute::Here(p) => p,
            PopRoute::Travelling => return None,
            PopRoute::Down => {
                self.fail(now, r, ErrorCause::RegionDown);
                return None;
            }
        };
        let spec = &self.plan.cdns[cdn as usize];
        let c = &mut self.families.cdn.cdns[cdn as usize];
        let t = self.plan.samplers[spec.latency as usize].sample(&mut c.rng);
        let pop = &mut c.pops[p as usize];
        let req = &mut self.requests[r];
        let k = usize::from(spec.class_of[usize::from(req.endpoint)]);
        let class = &spec.classes[k];
        if let Some(objects) = &class.objects {
            req.key = objects.sample(&mut c.objects[k]);
        }
        req.cdn.pop = p;
        let measuring = self.measure.on;
        if measuring && req.cdn.pop_from != req.at {
            pop.remote += 1;
        }
        let edge = &mut pop.classes[k];
        match edge.cache.get_at(now, &cache_key(class, req)) {
            Lookup::Hit(_) | Lookup::Stale { refresh: false, .. } => {
                if measuring {
                    edge.edge_bytes += class.response_bytes;
                }
                req.pc = hit_pc;
                req.at = req.cdn.pop_from;
                Some(t)
            }
            Lookup::Stale { refresh: true, .. } => {
                // The client gets the stale copy now; this request carries on
                // to the origin in the background to refresh the edge.
                if measuring {
                    edge.edge_bytes += class.response_bytes;
                    edge.refreshes += 1;
                }
                req.pc += 1;
                let (start, endpoint, home, sub) = (req.start, req.endpoint, req.home, req.sub);
                req.cdn.refreshing = cdn + 1;
                req.detached = true;
                req.deadline = Nanos::MAX;
                if sub {
                    // A `CallWith` sub-request: its caller gets the stale copy.
                    self.sub_ended(now, now + t, r, None);
                } else {
                    self.record_success(now, start, endpoint, home, now + t - start);
                }
                Some(Nanos::ZERO)
            }
            Lookup::Miss => {
                req.pc += 1;
                Some(t)
            }
        }
    }

    /// The origin answered request `r`: store it at its PoP of CDN `cdn`.
    fn cdn_fill(&mut self, now: Nanos, r: u32, cdn: u16) {
        let req = &mut self.requests[r];
        req.pc += 1;
        req.cdn.refreshing = 0;
        req.at = req.cdn.pop_from;
        let spec = &self.plan.cdns[cdn as usize];
        let k = usize::from(spec.class_of[usize::from(req.endpoint)]);
        let class = &spec.classes[k];
        let pop = &mut self.families.cdn.cdns[cdn as usize].pops[req.cdn.pop as usize];
        let edge = &mut pop.classes[k];
        edge.cache.insert_at(now, cache_key(class, req), ());
        if self.measure.on {
            edge.origin_bytes += class.response_bytes;
        }
    }

    /// A background refresh failed: the next stale read starts another.
    pub(super) fn cdn_refresh_failed(&mut self, req: &Request) {
        let cdn = req.cdn.refreshing as usize - 1;
        let spec = &self.plan.cdns[cdn];
        let k = usize::from(spec.class_of[usize::from(req.endpoint)]);
        let c = &mut self.families.cdn.cdns[cdn];
        c.pops[req.cdn.pop as usize].classes[k]
            .cache
            .refresh_failed(&cache_key(&spec.classes[k], req));
    }
}

/// What a request asks an edge for: an object of its class (shared by the
/// class's endpoints), or its endpoint's response for its data key.
fn cache_key(class: &crate::scenario::CdnClassSpec, req: &Request) -> (u16, u64) {
    if class.objects.is_some() {
        (0, req.key)
    } else {
        (req.endpoint, req.key)
    }
}
