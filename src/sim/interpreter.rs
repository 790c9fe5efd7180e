//! The simulation: the event loop and the request interpreter.

use super::database::Database;
use super::dependency::DependencyState;
use super::deployment::{Deployment, PodView};
use super::edge::Edge;
use super::footprint::MAX_IN_FLIGHT;
use super::station::Admission;
use crate::algo::balance::Balancer;
use crate::algo::Nanos;
use crate::engine::{stream, EventQueue, Rng, Slab};
use crate::metrics::{round6, ErrorCause, LatencyHistogram, Series, CAUSES};
use crate::report::{EndpointReport, EngineStats, FaultReport, Report, StationReport, Summary};
use crate::scenario::{FaultKind, Op, Plan, StationRef, MAX_NESTING};
use crate::workload::{Feed, NewRequest};
use std::collections::VecDeque;

/// A scheduled happening. Small and `Copy`: the queue holds millions. It is
/// 8 bytes (a queue entry 16); the two events that name a pair of `u32`s
/// keep the pair in `Sim::pairs` and carry its slot.
#[derive(Copy, Clone, Debug)]
pub(super) enum Event {
    /// The next request arrives.
    Arrival,
    /// A request's delay or compute ended; continue its program.
    Resume(u32),
    /// A request's database query finished.
    QueryDone(u32),
    /// A time-series bucket ends.
    Tick,
    /// The warm-up ends: statistics start.
    WarmupEnd,
    /// Fault `i` of the timeline begins.
    FaultStart(u16),
    /// Fault `i` of the timeline ends.
    FaultEnd(u16),
    /// A client times out (only when clients retry): `pairs` slot holding
    /// (request, identity).
    Timeout(u32),
    /// Request `.0`'s call to an external dependency returned.
    CallDone(u32),
    /// A job's attempt finished running: `pairs` slot holding (job, attempt token).
    JobDone(u32),
    /// A failed job's backoff delay is over; it rejoins its queue.
    JobRetry(u32),
    /// A queue's rate limiter allows the next job start.
    QueueWake(u16),
    /// Repeating job `.1` of queue `.0` is due.
    Scheduled(u16, u16),
    /// A request's shared-cache operation finished.
    CacheDone(u32),
    /// A request's wait for a pool connection may have timed out.
    PoolTimeout(u32),
    /// Invalidations reach the other pods of a deployment.
    L1Purge(u16),
    /// Deployment `d`'s HPA syncs.
    HpaSync(u16),
    /// A pod's startup ends: (deployment, pod).
    PodReady(u16, u32),
    /// A spot node gets its termination notice: (deployment, node).
    NodeNotice(u16, u32),
    /// A node under notice goes: (deployment, node).
    NodeGone(u16, u32),
}

const _: () = assert!(std::mem::size_of::<Event>() == 8);

/// A pod held by a request: deployment and pod index, and when it was entered.
#[derive(Copy, Clone, Debug)]
pub(super) struct Held {
    pub(super) deployment: u16,
    pub(super) pod: u32,
    pub(super) since: Nanos,
    /// The region the request was in before entering (it returns there on leaving).
    pub(super) from_region: u8,
    /// The pod's epoch when entered (a mismatch: the pod died since).
    pub(super) epoch: u16,
}

impl Held {
    /// An unused level of a request's `held` stack.
    const NONE: Held = Held {
        deployment: 0,
        pod: 0,
        since: Nanos::ZERO,
        from_region: 0,
        epoch: 0,
    };
}

/// One in-flight request.
#[derive(Copy, Clone, Debug)]
pub(super) struct Request {
    pub(super) start: Nanos,
    pub(super) deadline: Nanos,
    /// When the request reached its current station (queue entry).
    pub(super) station_since: Nanos,
    pub(super) pc: u32,
    pub(super) endpoint: u16,
    pub(super) depth: u8,
    pub(super) alive: bool,
    pub(super) held: [Held; MAX_NESTING],
    /// The tenant sending it (0 when tenants are not modelled).
    pub(super) tenant: u64,
    /// The data key it touches (0 when keys are not modelled).
    pub(super) key: u64,
    /// The user sending it, uniform over the workload's users.
    pub(super) user: u64,
    /// Identity, to tell a reused slab slot from the request a timeout was armed for.
    pub(super) id: u32,
    /// Retries before this attempt (0 for the first).
    pub(super) attempt: u8,
    /// The backoff delay before this attempt (for decorrelated jitter).
    pub(super) backoff_prev: Nanos,
    /// Nobody waits for the answer any more (the client timed out, or a stale
    /// CDN copy answered it and this is the background refresh): the request
    /// still uses resources but its outcome is not counted.
    pub(super) detached: bool,
    /// Whether the dependency call in progress fails.
    pub(super) call_failed: bool,
    /// Retries of the current dependency call so far.
    pub(super) dep_attempt: u8,
    /// 1 + the CDN this request refreshes in the background (0: none).
    pub(super) refreshing: u16,
    /// The user's region (0 without regions).
    pub(super) home: u8,
    /// The region the request is being served in now.
    pub(super) at: u8,
    /// Where a cross-region trip started, while `travelled` is set.
    pub(super) hop_from: u8,
    /// The round trip for the current step has been paid.
    pub(super) travelled: bool,
    /// The database (copy) of its current query.
    pub(super) db: u16,
    /// The CDN point of presence of its (innermost) edge lookup.
    pub(super) pop: u8,
    /// The region it was in before that lookup (it returns there after).
    pub(super) pop_from: u8,
}

impl Request {
    /// A request at the start of `endpoint`'s program, sent now with no timeout.
    #[inline]
    pub(super) fn fresh(endpoint: u16, tenant: u64, key: u64, user: u64) -> Request {
        Request {
            start: Nanos::ZERO,
            deadline: Nanos::MAX,
            station_since: Nanos::ZERO,
            pc: 0,
            endpoint,
            depth: 0,
            alive: true,
            held: [Held::NONE; MAX_NESTING],
            tenant,
            key,
            user,
            id: 0,
            attempt: 0,
            backoff_prev: Nanos::ZERO,
            detached: false,
            call_failed: false,
            dep_attempt: 0,
            refreshing: 0,
            home: 0,
            at: 0,
            hop_from: 0,
            travelled: false,
            db: 0,
            pop: 0,
            pop_from: 0,
        }
    }
}

/// Measurements of one run.
pub(super) struct Measure {
    pub(super) on: bool,
    pub(super) since: Nanos,
    /// Requests sent from here on (the end of the warm-up) are the measured
    /// population: their arrivals, outcomes and latencies are counted,
    /// wherever in time they end.
    pub(super) from: Nanos,
    pub(super) arrivals: u64,
    pub(super) completed: u64,
    pub(super) errors: [u64; CAUSES],
    pub(super) endpoints: Vec<(LatencyHistogram, u64)>,
    /// Every finished request: a success at its latency, a failure at its time to fail.
    pub(super) finished: LatencyHistogram,
    /// The SLO's latency threshold.
    pub(super) threshold: Nanos,
    /// Successes within `threshold` (the latency objective's good events).
    pub(super) good: u64,
    /// Requests of the population still waiting for an answer at the end.
    pub(super) in_flight_at_end: u64,
    pub(super) series: Series,
}

impl Measure {
    /// Whether a request sent at `start` belongs to the measured population.
    #[inline]
    pub(super) fn counts(&self, start: Nanos) -> bool {
        start >= self.from
    }
}

pub(super) struct Sim<'m> {
    pub(super) plan: &'m Plan,
    pub(super) queue: EventQueue<Event>,
    pub(super) requests: Slab<Request>,
    /// The `(u32, u32)` payloads of pending `Timeout` and `JobDone` events.
    pub(super) pairs: Slab<(u32, u32)>,
    pub(super) ready: VecDeque<u32>,
    /// Where new requests come from.
    pub(super) feed: Feed<'m>,
    /// The request whose `Arrival` event is scheduled.
    pub(super) arriving: Option<NewRequest>,
    pub(super) network_rng: Rng,
    pub(super) balancers: Vec<(Balancer, Rng)>,
    pub(super) deployments: Vec<Deployment>,
    pub(super) deployment_rngs: Vec<Rng>,
    pub(super) databases: Vec<Database>,
    pub(super) database_rngs: Vec<Rng>,
    pub(super) measure: Measure,
    pub(super) in_flight: u64,
    pub(super) peak_in_flight: u64,
    /// Arrivals turned away at [`MAX_IN_FLIGHT`].
    pub(super) refused_in_flight: u64,
    pub(super) requests_total: u64,
    /// Requests dropped by load shedding, to fail once the current event is done.
    pub(super) shed: VecDeque<u32>,
    /// CDNs, rate limits and client retries.
    pub(super) edge: Edge,
    /// External dependencies.
    pub(super) dependencies: Vec<DependencyState>,
    pub(super) jobs: Slab<super::jobs::Job>,
    pub(super) job_queues: Vec<super::jobs::JobQueue>,
    pub(super) geo: super::regions::Geo,
    pub(super) data: super::data::DataTier,
}

/// Runs `plan` to its end and reports. `progress` is told the simulated
/// time now and then (for a progress bar); it does not affect the run.
pub fn simulate(plan: &Plan, progress: &mut dyn FnMut(Nanos)) -> Report {
    Feed::with(plan, |feed| simulate_with(plan, feed, progress))
}

fn simulate_with<'m>(plan: &'m Plan, feed: Feed<'m>, progress: &mut dyn FnMut(Nanos)) -> Report {
    let seed = plan.seed;
    let mut sim = Sim {
        plan,
        queue: EventQueue::new(),
        requests: Slab::new(),
        pairs: Slab::new(),
        ready: VecDeque::new(),
        feed,
        arriving: None,
        network_rng: stream(seed, "network"),
        balancers: plan
            .balancers
            .iter()
            .map(|b| {
                (
                    Balancer::new(b.strategy),
                    stream(seed, &format!("lb/{}", b.name)),
                )
            })
            .collect(),
        deployments: plan
            .deployments
            .iter()
            .map(|d| Deployment::new(d, seed))
            .collect(),
        deployment_rngs: plan
            .deployments
            .iter()
            .map(|d| stream(seed, &format!("deployment/{}", d.name)))
            .collect(),
        databases: plan.databases.iter().map(Database::new).collect(),
        database_rngs: plan
            .databases
            .iter()
            .map(|d| stream(seed, &format!("database/{}", d.name)))
            .collect(),
        measure: Measure {
            on: plan.warmup == Nanos::ZERO,
            since: Nanos::ZERO,
            from: plan.warmup,
            arrivals: 0,
            completed: 0,
            errors: [0; CAUSES],
            endpoints: plan
                .endpoints
                .iter()
                .map(|_| (LatencyHistogram::new(3), 0))
                .collect(),
            finished: LatencyHistogram::new(3),
            threshold: crate::report::slo::objective(plan.slo.as_ref()).p99.nanos(),
            good: 0,
            in_flight_at_end: 0,
            series: Series::new(plan.duration, plan.interval),
        },
        in_flight: 0,
        peak_in_flight: 0,
        refused_in_flight: 0,
        requests_total: 0,
        shed: VecDeque::new(),
        edge: Edge::new(plan),
        dependencies: DependencyState::all(plan),
        jobs: Slab::new(),
        job_queues: plan
            .queues
            .iter()
            .map(|q| super::jobs::JobQueue::new(q, seed))
            .collect(),
        geo: super::regions::Geo::new(plan),
        data: super::data::DataTier::new(plan),
    };
    sim.open_min_connections();
    sim.run(progress);
    sim.report()
}

impl Sim<'_> {
    fn run(&mut self, progress: &mut dyn FnMut(Nanos)) {
        let end = self.plan.duration;
        self.schedule_arrival();
        for (i, f) in self.plan.faults.iter().enumerate() {
            self.queue.schedule(f.at, Event::FaultStart(i as u16));
            if let Some(until) = f.until {
                self.queue.schedule(until, Event::FaultEnd(i as u16));
            }
        }
        if self.plan.warmup > Nanos::ZERO {
            self.queue.schedule(self.plan.warmup, Event::WarmupEnd);
        }
        self.start_schedules();
        self.queue
            .schedule(self.plan.interval.min(end), Event::Tick);
        self.start_scaling();
        while let Some((now, event)) = self.queue.pop_until(end) {
            match event {
                Event::Arrival => {
                    self.arrive(now);
                    self.schedule_arrival();
                }
                Event::Resume(r) => self.step(now, r),
                Event::QueryDone(r) => self.query_done(now, r),
                Event::Tick => {
                    self.tick(now);
                    if now < end {
                        self.queue
                            .schedule(now.saturating_add(self.plan.interval).min(end), Event::Tick);
                    }
                }
                Event::WarmupEnd => self.start_measuring(now),
                Event::FaultStart(i) => self.apply_fault(i as usize, true, now),
                Event::FaultEnd(i) => self.apply_fault(i as usize, false, now),
                Event::Timeout(slot) => {
                    let (r, id) = self.take_pair(slot);
                    self.timeout(now, r, id);
                }
                Event::CallDone(r) => self.call_done(now, r),
                Event::JobDone(slot) => {
                    let (j, token) = self.take_pair(slot);
                    self.job_done(now, j, token);
                }
                Event::JobRetry(j) => self.job_retry(now, j),
                Event::QueueWake(q) => self.queue_wake(now, q),
                Event::Scheduled(q, i) => self.scheduled(now, q, i),
                Event::CacheDone(r) => self.cache_done(now, r),
                Event::PoolTimeout(r) => self.pool_timeout(now, r),
                Event::L1Purge(d) => self.l1_purge(now, d as usize),
                Event::HpaSync(_)
                | Event::PodReady(..)
                | Event::NodeNotice(..)
                | Event::NodeGone(..) => self.scaling_event(now, event),
            }
            loop {
                if let Some(r) = self.ready.pop_front() {
                    self.step(now, r);
                } else if let Some(r) = self.shed.pop_front() {
                    self.fail(now, r, ErrorCause::LoadShed);
                } else {
                    break;
                }
            }
            if self.queue.events_processed() & 0xFFFF == 0 {
                progress(now);
            }
        }
        self.queue.advance_to(end);
        // Clients still waiting at the end whose timeout has passed saw a
        // timeout; the others are still in flight.
        for r in 0..self.requests.high_water() as u32 {
            let req = self.requests[r];
            if !req.alive || req.detached {
                continue;
            }
            if req.deadline <= end {
                self.count_error(
                    req.deadline,
                    req.start,
                    req.endpoint,
                    req.home,
                    ErrorCause::ClientTimeout,
                );
            } else if self.measure.counts(req.start) {
                self.measure.in_flight_at_end += 1;
            }
        }
        progress(end);
    }

    /// Starts (`on`) or ends a fault of the timeline.
    fn apply_fault(&mut self, i: usize, on: bool, now: Nanos) {
        let plan = self.plan;
        match plan.faults[i].kind {
            FaultKind::RegionDown { region } => self.geo.set_down(region, on),
            FaultKind::Slowdown { target, factor } => {
                let f = if on { factor } else { 1.0 };
                match target {
                    StationRef::Deployment(d) => self.deployments[d].slowdown = f,
                    StationRef::Database(d) => self.databases[d].slowdown = f,
                    StationRef::Dependency(d) => self.dependencies[d].slowdown = f,
                }
            }
            FaultKind::FailDependency {
                dependency,
                error_rate,
            } => {
                self.dependencies[dependency].error_rate = if on {
                    error_rate
                } else {
                    self.plan.dependencies[dependency].error_rate
                };
            }
            FaultKind::PurgeCdn { cdn } => {
                if on {
                    self.edge.purge(cdn, self.measure.on);
                }
            }
            FaultKind::ReplicationLag { db, extra } => {
                self.databases[db].extra_lag = if on { extra } else { Nanos::ZERO };
            }
            FaultKind::Failover { db } => self.databases[db].failing_over = on,
            FaultKind::FlushCache { target } => {
                if on {
                    self.flush(target);
                }
            }
            ref kind => self.scaling_fault(now, kind, on),
        }
    }

    fn start_measuring(&mut self, now: Nanos) {
        let m = &mut self.measure;
        m.on = true;
        m.since = now;
        for d in &mut self.deployments {
            d.occupancy.reset(now);
        }
        for d in &mut self.databases {
            d.occupancy.reset(now);
            d.reset(now);
        }
        self.edge.reset();
        for d in &mut self.dependencies {
            d.reset();
        }
        for q in &mut self.job_queues {
            q.reset(now);
        }
        self.geo.reset();
        self.data.reset(now);
    }

    fn tick(&mut self, now: Nanos) {
        let mut util = Vec::with_capacity(self.deployments.len() + self.databases.len());
        let mut queue = Vec::with_capacity(util.capacity());
        let stations = self
            .deployments
            .iter_mut()
            .map(|d| &mut d.occupancy)
            .chain(self.databases.iter_mut().map(|d| &mut d.occupancy))
            .chain(self.job_queues.iter_mut().map(|q| &mut q.occupancy));
        for o in stations {
            let (u, q) = o.take_interval(now);
            util.push(u);
            queue.push(q);
        }
        self.measure.series.close(now, util, queue);
        for d in &mut self.deployments {
            d.record_replicas(now);
        }
        for q in &mut self.job_queues {
            q.record(now);
        }
    }

    /// Takes the next new request from the feed and schedules its arrival.
    #[inline]
    fn schedule_arrival(&mut self) {
        self.arriving = self.feed.next_request();
        if let Some(n) = self.arriving {
            self.queue.schedule(n.at, Event::Arrival);
        }
    }

    fn arrive(&mut self, now: Nanos) {
        let n = self.arriving.expect("an arrival is scheduled");
        let deadline = self
            .plan
            .workload
            .client_timeout
            .map_or(Nanos::MAX, |t| now.saturating_add(t));
        let home = n.home;
        if self.in_flight >= MAX_IN_FLIGHT {
            // Unbounded queues stop growing here rather than exhaust memory.
            self.count_arrival(now, home);
            self.refused_in_flight += 1;
            self.count_error(now, now, n.endpoint, home, ErrorCause::QueueFull);
            return;
        }
        let r = self.new_request(|id| Request {
            start: now,
            deadline,
            station_since: now,
            home,
            at: home,
            hop_from: home,
            id,
            ..Request::fresh(n.endpoint, n.tenant, n.key, n.user)
        });
        self.count_arrival(now, home);
        if self.edge.retries_on() {
            self.arm_timeout(now, r);
        }
        self.step(now, r);
    }

    /// Counts a new request sent at `now` by a user of region `home`.
    fn count_arrival(&mut self, now: Nanos, home: u8) {
        self.measure.series.arrival(now);
        if self.measure.counts(now) {
            self.measure.arrivals += 1;
            self.geo.arrival(home);
        }
    }

    /// The pair in `slot`, freeing the slot.
    #[inline]
    fn take_pair(&mut self, slot: u32) -> (u32, u32) {
        self.pairs.remove(slot);
        self.pairs[slot]
    }

    /// Puts the request `make` builds for a fresh identity in flight, and
    /// returns its index.
    #[inline]
    pub(super) fn new_request(&mut self, make: impl FnOnce(u32) -> Request) -> u32 {
        let id = self.requests_total as u32;
        let r = self.requests.insert_with(|| make(id));
        self.in_flight += 1;
        self.requests_total += 1;
        self.peak_in_flight = self.peak_in_flight.max(self.in_flight);
        r
    }

    /// Runs request `r`'s program from its program counter until it waits or ends.
    pub(super) fn step(&mut self, now: Nanos, r: u32) {
        if self.holds_dead_pod(r) {
            self.fail(now, r, ErrorCause::PodKilled);
            return;
        }
        let program = &self.plan.endpoints[self.requests[r].endpoint as usize].program;
        loop {
            if self.geo.any_down() && self.holds_down_pod(r) {
                self.fail(now, r, ErrorCause::RegionDown);
                return;
            }
            let req = &mut self.requests[r];
            let Some(&op) = program.get(req.pc as usize) else {
                self.complete(now, r);
                return;
            };
            match op {
                Op::Enter { lb } => {
                    let spec = &self.plan.balancers[lb as usize];
                    let (targets, region) = match self.route(now, r, lb) {
                        super::regions::Route::Anywhere => (&spec.targets[..], None),
                        super::regions::Route::Here(g) => (&spec.regional[g as usize][..], Some(g)),
                        super::regions::Route::Travelling => return,
                        super::regions::Route::Nowhere => {
                            self.fail(now, r, ErrorCause::RegionDown);
                            return;
                        }
                    };
                    let view = PodView {
                        targets,
                        deployments: &self.deployments,
                    };
                    let (balancer, rng) = &mut self.balancers[lb as usize];
                    let balancer = match region {
                        Some(g) => &mut self.geo.balancers[lb as usize][g as usize],
                        None => balancer,
                    };
                    let req = &mut self.requests[r];
                    let from_region = if req.travelled { req.hop_from } else { req.at };
                    req.travelled = false;
                    let Some(i) = balancer.pick(&view, rng) else {
                        self.fail(now, r, ErrorCause::NoHealthyPod);
                        return;
                    };
                    let (d, p, _) = view.locate(i);
                    let dep = &mut self.deployments[d];
                    dep.pods[p].touch(now);
                    let epoch = dep.pods[p].epoch;
                    match dep.pods[p].slots.admit(r, now) {
                        Admission::Started => {
                            dep.occupancy.arrive_and_start(now);
                            let req = &mut self.requests[r];
                            req.held[req.depth as usize] = Held {
                                deployment: d as u16,
                                pod: p as u32,
                                since: now,
                                from_region,
                                epoch,
                            };
                            req.depth += 1;
                            req.pc += 1;
                        }
                        Admission::Queued => {
                            dep.occupancy.arrive_and_queue(now);
                            let req = &mut self.requests[r];
                            req.held[req.depth as usize] = Held {
                                deployment: d as u16,
                                pod: p as u32,
                                since: now,
                                from_region,
                                epoch,
                            };
                            return;
                        }
                        Admission::Rejected => {
                            dep.occupancy.reject();
                            self.fail(now, r, ErrorCause::QueueFull);
                            return;
                        }
                    }
                }
                Op::Leave => {
                    req.depth -= 1;
                    req.pc += 1;
                    let held = req.held[req.depth as usize];
                    req.at = held.from_region;
                    self.release_pod(now, held);
                }
                Op::Compute { dist } => {
                    req.pc += 1;
                    let d = req.held[req.depth as usize - 1].deployment as usize;
                    let t = self.plan.samplers[dist as usize].sample(&mut self.deployment_rngs[d]);
                    let t = slowed(t, self.deployments[d].slowdown);
                    if t > Nanos::ZERO {
                        self.queue.schedule(now + t, Event::Resume(r));
                        return;
                    }
                }
                Op::Delay { dist } => {
                    req.pc += 1;
                    let t = self.plan.samplers[dist as usize].sample(&mut self.network_rng);
                    if t > Nanos::ZERO {
                        self.queue.schedule(now + t, Event::Resume(r));
                        return;
                    }
                }
                Op::RateLimit { .. } | Op::EndpointLimit { .. } => {
                    if !self.rate_limit(now, r, op) {
                        self.fail(now, r, ErrorCause::RateLimited);
                        return;
                    }
                    self.requests[r].pc += 1;
                }
                Op::CdnLookup { cdn, hit_pc } => {
                    let Some(t) = self.cdn_lookup(now, r, cdn, hit_pc) else {
                        return;
                    };
                    if t > Nanos::ZERO {
                        self.queue.schedule(now + t, Event::Resume(r));
                        return;
                    }
                }
                Op::CdnFill { cdn } => self.cdn_fill(now, r, cdn),
                Op::External { dep, end } => {
                    if !self.external(now, r, dep, end) {
                        return;
                    }
                }
                Op::Enqueue {
                    queue,
                    dist,
                    priority,
                } => {
                    req.pc += 1;
                    self.enqueue(now, queue, dist, priority);
                }
                Op::Query { db, write, dist } => {
                    let db = match self.database_route(now, r, db, write) {
                        super::regions::DbRoute::Copy(c) => c,
                        super::regions::DbRoute::Travelling => return,
                        super::regions::DbRoute::Down => {
                            self.fail(now, r, ErrorCause::RegionDown);
                            return;
                        }
                    };
                    let req = &mut self.requests[r];
                    req.db = db;
                    req.station_since = now;
                    self.query(now, r, db, write, dist);
                    return;
                }
                op => {
                    if !self.data_op(now, r, op) {
                        return;
                    }
                }
            }
        }
    }

    /// Frees a pod slot; the next request queued at that pod takes it.
    fn release_pod(&mut self, now: Nanos, held: Held) {
        let dep = &mut self.deployments[held.deployment as usize];
        dep.occupancy.finish(now, now - held.since);
        let pod = &mut dep.pods[held.pod as usize];
        if pod.epoch != held.epoch {
            return; // the pod died with this request in it
        }
        pod.touch(now);
        pod.served += 1;
        if let Some((next, queued_at)) = pod.slots.release() {
            dep.occupancy.start_from_queue(now, now - queued_at);
            let req = &mut self.requests[next];
            req.depth += 1;
            req.pc += 1;
            match self.plan.deployments[held.deployment as usize].shed_after {
                Some(limit) if now - queued_at > limit => self.shed.push_back(next),
                _ => self.ready.push_back(next),
            }
        } else if pod.state == super::deployment::PodState::Draining {
            self.check_drained(now, held.deployment as usize, held.pod as usize);
        }
    }

    fn complete(&mut self, now: Nanos, r: u32) {
        let req = &self.requests[r];
        let (detached, deadline, endpoint, home, start) = (
            req.detached,
            req.deadline,
            req.endpoint,
            req.home,
            req.start,
        );
        if detached {
            // Nobody is waiting: the answer is wasted work (or a CDN refresh).
        } else if now > deadline {
            self.count_error(deadline, start, endpoint, home, ErrorCause::ClientTimeout);
        } else {
            self.record_success(now, start, endpoint, home, now - start);
        }
        self.retire(r);
    }

    /// Counts a successful answer at `at`, `latency` after its request was
    /// sent at `start` by a user of region `home`.
    pub(super) fn record_success(
        &mut self,
        at: Nanos,
        start: Nanos,
        endpoint: u16,
        home: u8,
        latency: Nanos,
    ) {
        let m = &mut self.measure;
        m.series.success(at, latency);
        if m.counts(start) {
            m.completed += 1;
            m.endpoints[endpoint as usize].0.record(latency);
            m.finished.record(latency);
            m.good += u64::from(latency <= m.threshold);
            self.geo.success(home, latency);
        }
    }

    /// Ends request `r` with an error: releases what it holds, counts the cause.
    pub(super) fn fail(&mut self, now: Nanos, r: u32, cause: ErrorCause) {
        self.data_on_fail(r);
        let req = self.requests[r];
        for level in (0..req.depth as usize).rev() {
            self.release_pod(now, req.held[level]);
        }
        if req.refreshing > 0 {
            self.cdn_refresh_failed(&req);
        }
        // A client whose timeout already passed saw the timeout, not this error.
        if req.detached {
            // Nobody is waiting for this answer.
        } else if now > req.deadline {
            let (at, cause) = (req.deadline, ErrorCause::ClientTimeout);
            self.count_error(at, req.start, req.endpoint, req.home, cause);
        } else {
            self.count_error(now, req.start, req.endpoint, req.home, cause);
        }
        self.retire(r);
    }

    /// Counts a failure its client saw at `at`, for a request sent at
    /// `start` by a user of region `home`: the time to fail is `at - start`.
    pub(super) fn count_error(
        &mut self,
        at: Nanos,
        start: Nanos,
        endpoint: u16,
        home: u8,
        cause: ErrorCause,
    ) {
        let m = &mut self.measure;
        m.series.error(at);
        if m.counts(start) {
            m.errors[cause.index()] += 1;
            m.endpoints[endpoint as usize].1 += 1;
            m.finished.record(Nanos(at.0.saturating_sub(start.0)));
            self.geo.error(home);
        }
    }

    fn retire(&mut self, r: u32) {
        self.requests[r].alive = false;
        self.requests.remove(r);
        self.in_flight -= 1;
    }

    fn report(mut self) -> Report {
        let end = self.plan.duration;
        let scaling = self
            .plan
            .deployments
            .iter()
            .zip(&mut self.deployments)
            .map(|(spec, d)| d.scaling_report(spec, end))
            .collect();
        let now = self.plan.duration;
        let m = &self.measure;
        let measured_s = (now - m.since).as_secs_f64().max(1e-9);
        let errors: u64 = m.errors.iter().sum();
        let mut latency = LatencyHistogram::new(3);
        for (h, _) in &m.endpoints {
            latency.merge(h);
        }
        let rate = |e: u64, ok: u64| {
            if e + ok == 0 {
                0.0
            } else {
                round6(e as f64 / (e + ok) as f64)
            }
        };
        let summary = Summary {
            offered_rps: round6(m.arrivals as f64 / measured_s),
            throughput_rps: round6(m.completed as f64 / measured_s),
            arrivals: m.arrivals,
            completed: m.completed,
            errors,
            error_rate: rate(errors, m.completed),
            errors_by_cause: ErrorCause::ALL
                .iter()
                .map(|c| (c.name().to_owned(), m.errors[c.index()]))
                .collect(),
            in_flight: m.in_flight_at_end,
            latency: latency.summary(),
            latency_all: m.finished.summary(),
        };
        let slo = crate::report::slo::SloReport::new(
            self.plan.slo.as_ref(),
            crate::report::slo::Outcomes {
                succeeded: m.completed,
                failed: errors,
                in_flight: m.in_flight_at_end,
                good: m.good,
            },
            &latency,
        );
        let endpoints = self
            .plan
            .endpoints
            .iter()
            .zip(&m.endpoints)
            .map(|(e, (h, errors))| EndpointReport {
                name: e.name.clone(),
                completed: h.count(),
                errors: *errors,
                error_rate: rate(*errors, h.count()),
                latency: h.summary(),
            })
            .collect();
        let mut stations = Vec::new();
        for (spec, d) in self.plan.deployments.iter().zip(&mut self.deployments) {
            stations.push(StationReport {
                name: spec.name.clone(),
                kind: "deployment".into(),
                stats: d.occupancy.summary(now),
            });
        }
        for (spec, d) in self.plan.databases.iter().zip(&mut self.databases) {
            stations.push(StationReport {
                name: spec.name.clone(),
                kind: "database".into(),
                stats: d.occupancy.summary(now),
            });
        }
        let (cdns, rate_limits, retries) = self.edge.reports(self.plan);
        for (spec, q) in self.plan.queues.iter().zip(&mut self.job_queues) {
            stations.push(StationReport {
                name: spec.name.clone(),
                kind: "queue".into(),
                stats: q.occupancy.summary(now),
            });
        }
        let queues = self
            .plan
            .queues
            .iter()
            .zip(&mut self.job_queues)
            .map(|(spec, q)| q.report(spec, now))
            .collect();
        let regions = self.geo.report(self.plan);
        let (caches, cache_loads, databases, pools) = self.data_report(now);
        Report {
            caches,
            cache_loads,
            databases,
            pools,
            scenario: self.plan.name.clone(),
            seed: self.plan.seed,
            simulated_s: round6(now.as_secs_f64()),
            warmup_s: round6(self.plan.warmup.as_secs_f64()),
            slo: Some(slo),
            summary,
            endpoints,
            stations,
            faults: self
                .plan
                .faults
                .iter()
                .map(|f| FaultReport {
                    label: f.label.clone(),
                    at_s: round6(f.at.as_secs_f64()),
                    until_s: f.until.map(|u| round6(u.as_secs_f64())),
                })
                .collect(),
            series: self.measure.series.finish(),
            engine: EngineStats {
                events: self.queue.events_processed(),
                requests: self.requests_total,
                peak_in_flight: self.peak_in_flight,
                refused_in_flight: self.refused_in_flight,
            },
            cdns,
            rate_limits,
            retries,
            dependencies: self
                .plan
                .dependencies
                .iter()
                .zip(&self.dependencies)
                .map(|(spec, d)| d.report(&spec.name))
                .collect(),
            queues,
            regions,
            scaling,
            provenance: None,
        }
    }
}

/// A service time under a slowdown factor (1.0: unchanged).
#[inline]
pub(super) fn slowed(t: Nanos, factor: f64) -> Nanos {
    if factor == 1.0 {
        t
    } else {
        slowed_by(t, factor)
    }
}

/// `slowed` for a factor other than 1, out of line: without a slowdown
/// fault the hot path pays one comparison, not a float round trip.
#[cold]
#[inline(never)]
fn slowed_by(t: Nanos, factor: f64) -> Nanos {
    Nanos::from_nanos((t.0 as f64 * factor) as u64)
}
