//! The component families a run holds, and the hooks every family answers:
//! reset at the end of the warm-up, the per-interval tick, the report.
//!
//! Each family is a module of `src/sim` that owns its state (a type here),
//! its events (a nested enum of [`super::event::Event`]) and its ops (a
//! nested enum of [`crate::scenario::Op`]). The hooks are statically
//! dispatched: [`Families::visit`] hands each family in turn to a generic
//! [`Visit`]or, the one place they are iterated, in report order.

use super::autoscale::Autoscaling;
use super::cache_aside::CacheAside;
use super::cdn::Cdns;
use super::client_calls::ClientCalls;
use super::dependency::Dependencies;
use super::deployment::Pods;
use super::faults::Faults;
use super::jobs::Jobs;
use super::limits::Limits;
use super::queries::Queries;
use super::regions::Geo;
use super::retries::Retries;
use crate::algo::Nanos;
use crate::report::Report;
use crate::scenario::Plan;

/// What every family does at the run's fixed moments. Each hook defaults
/// to nothing, for families without counters or rows.
pub(super) trait Family {
    /// The warm-up ends at `now`: counters restart.
    fn reset(&mut self, _now: Nanos) {}

    /// The interval ending at `now` closes: push each station's
    /// (utilization, mean queue) in report order, append per-interval rows.
    fn tick(&mut self, _now: Nanos, _stations: &mut StationSamples) {}

    /// The run ended at `now`: write this family's sections of `report`.
    fn report(&mut self, _plan: &Plan, _now: Nanos, _report: &mut Report) {}
}

/// Per-station samples of one interval, in report order (deployments,
/// databases, queues).
#[derive(Default)]
pub(super) struct StationSamples {
    /// Utilization of each station.
    pub(super) utilization: Vec<f64>,
    /// Mean queue length of each station.
    pub(super) queue: Vec<f64>,
}

impl StationSamples {
    /// Adds one station's sample.
    #[inline]
    pub(super) fn push(&mut self, (utilization, queue): (f64, f64)) {
        self.utilization.push(utilization);
        self.queue.push(queue);
    }
}

/// Something done to every family in turn (statically dispatched).
pub(super) trait Visit {
    /// Does it to `family`.
    fn visit<F: Family>(&mut self, family: &mut F);
}

/// Every family's state in a run.
pub(super) struct Families {
    /// Balancers, deployments and their pods.
    pub(super) pods: Pods,
    /// Per deployment: its HPA, node pool, spot nodes and zones, deciding
    /// its pods' lives.
    pub(super) autoscale: Autoscaling,
    /// Databases, their nodes, connection pools and PgBouncer.
    pub(super) queries: Queries,
    /// Shared caches, per-pod L1s and cache-aside loads.
    pub(super) cache: CacheAside,
    /// CDN points of presence.
    pub(super) cdn: Cdns,
    /// Per-tenant rate limits.
    pub(super) limits: Limits,
    /// Client retries on timeout.
    pub(super) retries: Retries,
    /// External dependencies.
    pub(super) dependencies: Dependencies,
    /// Calls of other endpoints as sub-requests (`CallWith`, `Parallel`).
    pub(super) client_calls: ClientCalls,
    /// Job queues and their jobs.
    pub(super) jobs: Jobs,
    /// Regions.
    pub(super) regions: Geo,
    /// The fault timeline.
    pub(super) faults: Faults,
}

impl Families {
    /// Every family at the start of a run of `plan`.
    pub(super) fn new(plan: &Plan) -> Families {
        Families {
            pods: Pods::new(plan),
            autoscale: Autoscaling::new(plan),
            queries: Queries::new(plan),
            cache: CacheAside::new(plan),
            cdn: Cdns::new(plan),
            limits: Limits::new(plan),
            retries: Retries::new(plan),
            dependencies: Dependencies::new(plan),
            client_calls: ClientCalls::new(plan),
            jobs: Jobs::new(plan),
            regions: Geo::new(plan),
            faults: Faults,
        }
    }

    /// Hands every family to `v`, in report order (stations: deployments,
    /// databases, queues).
    pub(super) fn visit(&mut self, v: &mut impl Visit) {
        v.visit(&mut self.autoscale);
        v.visit(&mut self.pods);
        v.visit(&mut self.queries);
        v.visit(&mut self.cache);
        v.visit(&mut self.cdn);
        v.visit(&mut self.limits);
        v.visit(&mut self.retries);
        v.visit(&mut self.dependencies);
        v.visit(&mut self.client_calls);
        v.visit(&mut self.jobs);
        v.visit(&mut self.regions);
        v.visit(&mut self.faults);
    }
}

/// The reset hook at `.0`.
pub(super) struct Reset(pub(super) Nanos);

impl Visit for Reset {
    fn visit<F: Family>(&mut self, family: &mut F) {
        family.reset(self.0);
    }
}

/// The tick hook at `now`, gathering station samples.
pub(super) struct Tick {
    /// When the interval ends.
    pub(super) now: Nanos,
    /// The samples gathered so far.
    pub(super) stations: StationSamples,
}

impl Visit for Tick {
    fn visit<F: Family>(&mut self, family: &mut F) {
        family.tick(self.now, &mut self.stations);
    }
}

/// The report hook: every family writes its sections.
pub(super) struct Reporter<'a> {
    /// The plan run.
    pub(super) plan: &'a Plan,
    /// The end of the run.
    pub(super) now: Nanos,
    /// The report being written.
    pub(super) report: &'a mut Report,
}

impl Visit for Reporter<'_> {
    fn visit<F: Family>(&mut self, family: &mut F) {
        family.report(self.plan, self.now, self.report);
    }
}
