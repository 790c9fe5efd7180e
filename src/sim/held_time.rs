//! Where a deployment's held worker time goes: its own compute, or waiting
//! on what the request does next (a database, a shared cache, a dependency,
//! a called deployment, the network).
//!
//! A request that parks (its op schedules an event and returns) while
//! holding worker slots notes when and on what; when it steps again the
//! interval is added to every slot it holds: the innermost slot waits on the
//! op's target, each outer slot waits on the deployment held inside it. The
//! held time left, waiting on nothing, is the pod's own work (`compute`: not
//! counted step by step, so a model of pure compute pays nothing). So
//! "`app` workers 100% held, 92% waiting on `pg`" is read off the run, not
//! guessed from utilizations.

use super::deployment::Held;
use crate::algo::Nanos;
use crate::report::HeldShare;
use crate::scenario::{CacheOp, DataOp, DependencyOp, Op, Plan, PodOp, TierRef};

/// The request is not parked.
pub(super) const NOT_PARKED: u16 = u16::MAX;
/// The pod's own work: the held time that waits on nothing (its column
/// stays empty; the share is what the others leave).
const COMPUTE: u16 = 0;
/// A network hop (`Delay`, and nothing else named).
const NETWORK: u16 = 1;
/// Anything without a station of its own (coalesced loads, limiters, the CDN).
const OTHER: u16 = 2;
/// Where the per-component targets start.
const FIRST: u16 = 3;

/// The targets of one run: fixed names, then deployments, databases, shared
/// caches and dependencies, in plan order.
pub(super) struct HeldTime {
    /// Target names, by target index.
    names: Vec<String>,
    /// First target index of databases, caches and dependencies.
    databases: u16,
    caches: u16,
    dependencies: u16,
    /// Nanoseconds per (deployment, target), row-major.
    nanos: Vec<u64>,
    /// When counting started (the end of the warm-up).
    since: Nanos,
    /// Per request slot: when its request parked and how many slots it held
    /// then (kept here, not in `Request`, so the hot struct does not grow; a
    /// request queued to enter a pod holds one more when it steps again).
    parked: Vec<(Nanos, u8)>,
}

impl HeldTime {
    /// No time counted, for `plan`'s components.
    pub(super) fn new(plan: &Plan) -> HeldTime {
        let mut names: Vec<String> = ["compute", "network", "other"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        names.extend(plan.deployments.iter().map(|d| d.name.clone()));
        let databases = names.len();
        names.extend(plan.databases.iter().map(|d| d.name.clone()));
        let caches = names.len();
        names.extend(plan.caches.iter().map(|c| c.name.clone()));
        let dependencies = names.len();
        names.extend(plan.dependencies.iter().map(|d| d.name.clone()));
        // Target indices are u16 with NOT_PARKED reserved; the plan's own
        // limits keep component counts far below that.
        let index = |n: usize| u16::try_from(n).unwrap_or(OTHER);
        HeldTime {
            nanos: vec![0; plan.deployments.len() * names.len()],
            databases: index(databases),
            caches: index(caches),
            dependencies: index(dependencies),
            names,
            since: Nanos::ZERO,
            parked: Vec::new(),
        }
    }

    /// Starts counting afresh at `now`.
    pub(super) fn reset(&mut self, now: Nanos) {
        self.nanos.fill(0);
        self.since = now;
    }

    /// What a request parked at `op` waits on (`aside` resolves a cache op's
    /// aside offset to its plan index).
    pub(super) fn target(&self, plan: &Plan, op: Op, aside: impl Fn(u16) -> u16) -> u16 {
        let shared = |a: u16, tier: Option<u8>| {
            let tiers = &plan.asides[aside(a) as usize].tiers;
            let found = match tier {
                Some(t) => tiers.get(t as usize).copied(),
                None => tiers
                    .iter()
                    .copied()
                    .find(|t| matches!(t, TierRef::Shared(_))),
            };
            match found {
                Some(TierRef::Shared(c)) => self.caches + c,
                _ => OTHER,
            }
        };
        match op {
            Op::Pod(PodOp::Compute { .. }) => COMPUTE,
            Op::Pod(PodOp::Enter { lb }) => match plan.balancers[lb as usize].targets[..] {
                [(d, _)] => FIRST + d as u16,
                _ => OTHER,
            },
            Op::Delay { .. } => NETWORK,
            Op::Data(DataOp::Query { db, .. } | DataOp::Scatter { db, .. }) => self.databases + db,
            Op::Cache(CacheOp::Get { aside, tier, .. }) => shared(aside, Some(tier)),
            Op::Cache(CacheOp::Fill { aside }) => shared(aside, None),
            Op::Dependency(DependencyOp::Call { dep, .. }) => self.dependencies + dep,
            Op::Client(op) => Self::callees(plan, op.site),
            _ => OTHER,
        }
    }

    /// What a request waiting at call site `site` waits on: the deployment
    /// the callees' entries enter first, if they all enter the same one
    /// (a balancer with one deployment), else `other`.
    fn callees(plan: &Plan, site: u32) -> u16 {
        let first_entered = |endpoint: u16| {
            let mut ops = plan.programs[usize::from(endpoint)].ops.iter();
            // Calls followed: an entry with a limit check calls the body.
            for _ in 0..plan.programs.len().saturating_mul(4).max(64) {
                match ops.next()? {
                    Op::Pod(PodOp::Enter { lb }) => {
                        return match plan.balancers[*lb as usize].targets[..] {
                            [(d, _)] => Some(FIRST + d as u16),
                            _ => None,
                        };
                    }
                    Op::Call { program, .. } => ops = plan.programs[*program as usize].ops.iter(),
                    _ => {}
                }
            }
            None
        };
        let mut calls = plan.call_sites[site as usize].calls.iter();
        let first = calls.next().and_then(|c| first_entered(c.endpoint));
        match first {
            Some(d) if calls.all(|c| first_entered(c.endpoint) == Some(d)) => d,
            _ => OTHER,
        }
    }

    /// The request in slot `r`, holding `depth` slots, parks at `now`.
    pub(super) fn park(&mut self, now: Nanos, r: u32, depth: u8) {
        let r = r as usize;
        if r >= self.parked.len() {
            self.parked.resize(r + 1, (Nanos::ZERO, 0));
        }
        self.parked[r] = (now, depth);
    }

    /// Adds the interval since the request in slot `r` parked to the slots
    /// it held then (the first of `held`, innermost last), the innermost
    /// waiting on `target`.
    pub(super) fn add(&mut self, now: Nanos, r: u32, held: &[Held], target: u16) {
        let (since, depth) = self.parked[r as usize];
        let held = &held[..usize::from(depth).min(held.len())];
        let dt = (now - since.max(self.since)).0;
        if now <= self.since || dt == 0 {
            return;
        }
        let width = self.names.len();
        for (i, h) in held.iter().enumerate() {
            let on = match held.get(i + 1) {
                Some(inner) => FIRST + inner.deployment,
                // The innermost slot's own compute is what the rest leaves.
                None if target == COMPUTE => break,
                None => target,
            };
            self.nanos[h.deployment as usize * width + on as usize] += dt;
        }
    }

    /// Deployment `d`'s held time by target, as shares of `busy` slot-seconds,
    /// largest first (targets under 0.05% left out).
    pub(super) fn shares(&self, d: usize, busy_slot_seconds: f64) -> Vec<HeldShare> {
        if busy_slot_seconds <= 0.0 {
            return Vec::new();
        }
        let width = self.names.len();
        let row = &self.nanos[d * width..(d + 1) * width];
        let waiting: u64 = row.iter().sum();
        let own = (busy_slot_seconds - waiting as f64 / 1e9).max(0.0);
        let mut shares: Vec<HeldShare> = row
            .iter()
            .zip(&self.names)
            .skip(COMPUTE as usize + 1)
            .map(|(&n, name)| (n as f64 / 1e9, name))
            .chain([(own, &self.names[COMPUTE as usize])])
            .map(|(seconds, name)| HeldShare {
                on: name.clone(),
                share: crate::metrics::round6(seconds / busy_slot_seconds),
            })
            .filter(|s| s.share >= 0.0005)
            .collect();
        shares.sort_by(|a, b| b.share.total_cmp(&a.share).then(a.on.cmp(&b.on)));
        shares
    }

    /// When counting started.
    pub(super) fn since(&self) -> Nanos {
        self.since
    }
}
