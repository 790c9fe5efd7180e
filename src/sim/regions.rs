//! Regions: where each request's user is, where it is served, the round
//! trips between regions, and region outages.
//!
//! ```text
//!   user in eu ──▶ Lb: nearest up region with targets ──(RTT eu→us if not eu)──▶ pod in us
//!                                                          │ Leave: back in eu
//!   pod ──▶ DbRead: copy nearest the pod · DbWrite: copy in the primary region (RTT if remote)
//!           DbRead within the user's read-your-writes window: the primary region's copy
//! ```
//!
//! Writes commit in the primary region's copy and reach every other copy
//! after a cross-region lag (`sim/queries.rs`), so a read of a remote copy
//! can be stale.
//!
//! A hop inside a region costs the scenario's network hop, as without
//! regions; a call into another region costs the round trip of the matrix on
//! top. When a region is down, balancers skip it (its users go to the next
//! nearest region), reads go to the next nearest copy, writes to a primary
//! in a down region fail, and requests holding one of its pods fail at their
//! next step ("region_down").

use super::event::Event;
use super::families::Family;
use super::interpreter::Sim;
use crate::algo::balance::Balancer;
use crate::algo::Nanos;
use crate::metrics::{round6, LatencyHistogram};
use crate::report::{RegionReport, Report};
use crate::scenario::Plan;

/// Where a load balancer sends a request.
pub(super) enum Route {
    /// No regions: any target.
    Anywhere,
    /// The targets of this region (the request is there).
    Here(u8),
    /// The request is crossing to another region; it resumes there.
    Travelling,
    /// No region with targets is up.
    Nowhere,
}

/// Which database copy serves a query.
pub(super) enum DbRoute {
    /// This copy (database index), the round trip paid.
    Copy(u16),
    /// Paying the round trip to the copy first.
    Travelling,
    /// The copy it must use is in a down region.
    Down,
}

/// The regions' live state and per-region measurements.
pub(super) struct Geo {
    down: Vec<bool>,
    down_count: u32,
    /// Per balancer, per region: a balancer over that region's targets.
    pub(super) balancers: Vec<Vec<Balancer>>,
    arrivals: Vec<u64>,
    completed: Vec<u64>,
    errors: Vec<u64>,
    latency: Vec<LatencyHistogram>,
}

impl Geo {
    /// All regions up; nothing measured yet.
    pub(super) fn new(plan: &Plan) -> Self {
        let n = plan.regions.as_ref().map_or(0, |r| r.names.len());
        Geo {
            down: vec![false; n],
            down_count: 0,
            balancers: plan
                .balancers
                .iter()
                .map(|b| (0..n).map(|_| Balancer::new(b.strategy)).collect())
                .collect(),
            arrivals: vec![0; n],
            completed: vec![0; n],
            errors: vec![0; n],
            latency: (0..n).map(|_| LatencyHistogram::new(3)).collect(),
        }
    }

    /// Whether any region is down now.
    #[inline]
    pub(super) fn any_down(&self) -> bool {
        self.down_count > 0
    }

    /// Takes region `r` down or brings it back.
    pub(super) fn set_down(&mut self, r: u8, down: bool) {
        if self.down[r as usize] != down {
            self.down[r as usize] = down;
            if down {
                self.down_count += 1;
            } else {
                self.down_count -= 1;
            }
        }
    }

    pub(super) fn is_down(&self, r: Option<u8>) -> bool {
        r.is_some_and(|r| self.down[r as usize])
    }

    /// Whether database copy `db` is in a down region.
    pub(super) fn db_down(&self, plan: &Plan, db: usize) -> bool {
        self.is_down(plan.databases[db].region)
    }

    /// An arrival from region `home` (of the measured population). The
    /// three counts are inlined: without regions each is one length test.
    #[inline]
    pub(super) fn arrival(&mut self, home: u8) {
        if let Some(a) = self.arrivals.get_mut(home as usize) {
            *a += 1;
        }
    }

    /// A success the client of region `home` saw (of the measured population).
    #[inline]
    pub(super) fn success(&mut self, home: u8, latency: Nanos) {
        if let Some(c) = self.completed.get_mut(home as usize) {
            *c += 1;
            self.latency[home as usize].record(latency);
        }
    }

    /// A failure the client of region `home` saw (of the measured population).
    #[inline]
    pub(super) fn error(&mut self, home: u8) {
        if let Some(e) = self.errors.get_mut(home as usize) {
            *e += 1;
        }
    }
}

impl Family for Geo {
    fn reset(&mut self, _now: Nanos) {
        self.arrivals.iter_mut().for_each(|x| *x = 0);
        self.completed.iter_mut().for_each(|x| *x = 0);
        self.errors.iter_mut().for_each(|x| *x = 0);
        self.latency.iter_mut().for_each(LatencyHistogram::reset);
    }

    /// The per-region section of the report (empty without regions).
    fn report(&mut self, plan: &Plan, _now: Nanos, report: &mut Report) {
        let Some(rs) = &plan.regions else {
            return;
        };
        report.regions = (0..rs.names.len())
            .map(|i| {
                let (ok, e) = (self.completed[i], self.errors[i]);
                RegionReport {
                    name: rs.names[i].clone(),
                    user_share: round6(rs.shares[i]),
                    arrivals: self.arrivals[i],
                    completed: ok,
                    errors: e,
                    error_rate: if ok + e == 0 {
                        0.0
                    } else {
                        round6(e as f64 / (ok + e) as f64)
                    },
                    latency: self.latency[i].summary(),
                }
            })
            .collect();
    }
}

impl Sim<'_> {
    /// Where balancer `lb` sends request `r`: the nearest up region (from
    /// where the request is) with targets; crossing to it costs its round trip.
    pub(super) fn route(&mut self, now: Nanos, r: u32, lb: u16) -> Route {
        let Some(rs) = &self.plan.regions else {
            return Route::Anywhere;
        };
        let spec = &self.plan.balancers[lb as usize];
        let req = &mut self.requests[r];
        let at = req.at;
        let pick = rs.nearest[at as usize].iter().copied().find(|&g| {
            !self.families.regions.down[g as usize] && !spec.regional[g as usize].is_empty()
        });
        let Some(g) = pick else {
            return Route::Nowhere;
        };
        if g == at {
            return Route::Here(g);
        }
        if !req.travelled {
            req.travelled = true;
            req.hop_from = at;
        }
        req.at = g;
        self.queue
            .schedule(now + rs.rtt(at, g), Event::Resume(r.into()));
        Route::Travelling
    }

    /// The database copy a query of logical database `db` uses: writes the
    /// copy that takes them (in the primary region), reads the nearest up
    /// copy, or the writer's while the user's read-your-writes window is
    /// open (the nearest up copy if the writer's region is down).
    pub(super) fn database_route(&mut self, now: Nanos, r: u32, db: u16, write: bool) -> DbRoute {
        let spec = &self.plan.databases[db as usize];
        let (Some(rs), false) = (&self.plan.regions, spec.copies.is_empty()) else {
            return DbRoute::Copy(db);
        };
        let region = |c: usize| self.plan.databases[c].region.expect("copies are placed");
        let writer_down = self.families.regions.down[region(spec.writer) as usize];
        let own_write = !write && !writer_down && self.reads_own_write(now, r, db as usize);
        let req = &mut self.requests[r];
        let at = req.at;
        let copy = if write || own_write {
            if writer_down {
                return DbRoute::Down;
            }
            spec.writer
        } else {
            let pick = rs.nearest[at as usize].iter().find_map(|&g| {
                if self.families.regions.down[g as usize] {
                    return None;
                }
                spec.copies.iter().copied().find(|&c| region(c) == g)
            });
            match pick {
                Some(c) => c,
                None => return DbRoute::Down,
            }
        };
        let g = region(copy);
        if g != at && !req.travelled {
            req.travelled = true;
            self.queue
                .schedule(now + rs.rtt(at, g), Event::Resume(r.into()));
            return DbRoute::Travelling;
        }
        req.travelled = false;
        DbRoute::Copy(copy as u16)
    }

    /// Whether request `r` holds a pod in a down region.
    pub(super) fn holds_down_pod(&self, r: u32) -> bool {
        let req = &self.requests[r];
        req.held[..req.depth as usize].iter().any(|h| {
            self.families
                .regions
                .is_down(self.plan.deployments[h.deployment as usize].region)
        })
    }
}
