//! The simulation: the event loop and the request interpreter.
//!
//! The loop pops an [`Event`] and hands a family's event to that family
//! (one exhaustive match); the interpreter walks a request through its
//! endpoint's program and hands each family's op to that family. The warm-up
//! reset, the per-interval tick and the report go to every family through
//! [`Families::visit`].

use super::cache_aside::CacheSide;
use super::call_stack::CallStacks;
use super::cdn::CdnSide;
use super::checkpoint::{self, Checkpoints};
use super::dependency::CallSide;
use super::deployment::Held;
use super::event::Event;
use super::families::{Families, Reporter, Reset, StationSamples, Tick};
use super::footprint::MAX_IN_FLIGHT;
use super::held_time::NOT_PARKED;
use super::queries::QuerySide;
use crate::algo::Nanos;
use crate::engine::{stream, EventQueue, Fifo, Rng, Slab};
use crate::metrics::{round6, ErrorCause, LatencyHistogram, Series, CAUSES};
use crate::report::{EndpointReport, EngineStats, Report, Summary};
use crate::scenario::{Op, Plan, PodOp, MAX_NESTING};
use crate::workload::{Feed, NewRequest};
use std::collections::VecDeque;

/// One in-flight request: everything the run knows of it, the families'
/// parts included (one home per request, indexed by its slab slot).
#[derive(Copy, Clone, Debug)]
pub(super) struct Request {
    pub(super) start: Nanos,
    pub(super) deadline: Nanos,
    /// When the request reached its current station (queue entry).
    pub(super) station_since: Nanos,
    pub(super) pc: u32,
    /// The program it is running (`Plan::programs`): its endpoint's entry,
    /// or a program it called.
    pub(super) program: u32,
    pub(super) endpoint: u16,
    /// Calls in progress (its return points are in `Sim::calls`).
    pub(super) calls: u8,
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
    /// A `CallWith`/`Parallel` sub-request (detached) whose caller is still
    /// to be told its outcome (see `client_calls`).
    pub(super) sub: bool,
    /// The user's region (0 without regions).
    pub(super) home: u8,
    /// The region the request is being served in now.
    pub(super) at: u8,
    /// Where a cross-region trip started, while `travelled` is set.
    pub(super) hop_from: u8,
    /// The round trip for the current step has been paid.
    pub(super) travelled: bool,
    /// Its dependency call in progress.
    pub(super) call: CallSide,
    /// Its CDN lookup and background refresh.
    pub(super) cdn: CdnSide,
    /// Its cache-aside load and the version it read.
    pub(super) cache: CacheSide,
    /// Its database query in progress.
    pub(super) query: QuerySide,
    /// What it waits on while holding worker slots (`held_time::NOT_PARKED`
    /// when it is not waiting; since when is kept by `HeldTime`).
    pub(super) parked_on: u16,
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
            program: u32::from(endpoint),
            endpoint,
            calls: 0,
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
            sub: false,
            home: 0,
            at: 0,
            hop_from: 0,
            travelled: false,
            call: CallSide::NONE,
            cdn: CdnSide::NONE,
            cache: CacheSide::NONE,
            query: QuerySide::NONE,
            parked_on: NOT_PARKED,
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
    /// Every failed request at its time to fail (with the endpoints'
    /// successes, every finished request: merged once, in the report).
    pub(super) failed: LatencyHistogram,
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
    /// The `(u32, u32)` payloads of pending client timeouts and job ends.
    pub(super) pairs: Slab<(u32, u32)>,
    /// Requests to step once the current event is done, in order.
    pub(super) ready: Fifo<u32>,
    /// Where new requests come from.
    pub(super) feed: Feed<'m>,
    /// The request whose `Arrival` event is scheduled.
    pub(super) arriving: Option<NewRequest>,
    /// Network hops and shared-cache latency.
    pub(super) network_rng: Rng,
    pub(super) measure: Measure,
    pub(super) in_flight: u64,
    pub(super) peak_in_flight: u64,
    /// Arrivals turned away at [`MAX_IN_FLIGHT`].
    pub(super) refused_in_flight: u64,
    pub(super) requests_total: u64,
    /// Requests dropped by load shedding, to fail once the current event is done.
    pub(super) shed: VecDeque<u32>,
    /// Every component family's state.
    pub(super) families: Families,
    /// The return points of requests in a `Call`.
    pub(super) calls: CallStacks,
    /// When the run ends: its duration, or the checkpoint that stopped it.
    pub(super) end: Nanos,
}

/// Runs `plan` to its end and reports. `progress` is told the simulated
/// time now and then (for a progress bar); it does not affect the run.
pub fn simulate(plan: &Plan, progress: &mut dyn FnMut(Nanos)) -> Report {
    Feed::with(plan, |feed| simulate_with(plan, feed, progress, None))
}

/// [`simulate`] with `checkpoints`: the run ends at the first checkpoint
/// whose caller says stop, or at its duration.
pub fn simulate_checked(
    plan: &Plan,
    progress: &mut dyn FnMut(Nanos),
    checkpoints: Checkpoints,
) -> Report {
    Feed::with(plan, |feed| {
        simulate_with(plan, feed, progress, Some(checkpoints))
    })
}

fn simulate_with<'m>(
    plan: &'m Plan,
    feed: Feed<'m>,
    progress: &mut dyn FnMut(Nanos),
    checkpoints: Option<Checkpoints>,
) -> Report {
    let seed = plan.seed;
    let mut sim = Sim {
        plan,
        queue: EventQueue::new(),
        requests: Slab::new(),
        pairs: Slab::new(),
        ready: Fifo::new(),
        feed,
        arriving: None,
        network_rng: stream(seed, "network"),
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
            failed: LatencyHistogram::new(3),
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
        families: Families::new(plan),
        calls: CallStacks::default(),
        end: plan.duration,
    };
    sim.open_min_connections();
    sim.run(progress, checkpoints);
    sim.report()
}

impl Sim<'_> {
    /// Whether the report lists error cause `c` though it never happened:
    /// the causes of opt-in features only where the scenario uses the
    /// feature, so the reports of scenarios without it stay as they were.
    fn lists_cause(&self, c: ErrorCause) -> bool {
        match c {
            ErrorCause::CallTimeout => !self.plan.call_sites.is_empty(),
            ErrorCause::StatementTimeout => self
                .plan
                .deployments
                .iter()
                .any(|d| d.pool.is_some_and(|p| p.statement_timeout.is_some())),
            _ => true,
        }
    }

    fn run(&mut self, progress: &mut dyn FnMut(Nanos), mut checkpoints: Option<Checkpoints>) {
        let end = self.plan.duration;
        if let Some(c) = &checkpoints {
            let at = checkpoint::first(self.plan.warmup, c.every);
            if at <= end {
                self.queue.schedule(at, Event::Checkpoint);
            }
        }
        self.schedule_arrival();
        self.schedule_faults();
        if self.plan.warmup > Nanos::ZERO {
            self.queue.schedule(self.plan.warmup, Event::WarmupEnd);
        }
        self.start_schedules();
        self.start_periodic();
        self.queue
            .schedule(self.plan.interval.min(end), Event::Tick);
        self.start_scaling();
        while let Some((now, event)) = self.queue.pop_until(end) {
            match event {
                Event::Arrival => {
                    self.arrive(now);
                    self.schedule_arrival();
                }
                Event::Resume(r) => self.step(now, r.get()),
                Event::Tick => {
                    self.tick(now);
                    if now < end {
                        self.queue
                            .schedule(now.saturating_add(self.plan.interval).min(end), Event::Tick);
                    }
                }
                Event::WarmupEnd => self.start_measuring(now),
                Event::Checkpoint => {
                    if let Some(c) = &mut checkpoints {
                        if self.checkpoint(now, c) {
                            self.end = now;
                            break;
                        }
                    }
                }
                Event::Fault(e) => self.fault_event(now, e),
                Event::Retries(e) => self.retry_event(now, e),
                Event::Queries(e) => self.query_event(now, e),
                Event::Cache(e) => self.cache_event(now, e),
                Event::Dependencies(e) => self.dependency_event(now, e),
                Event::Jobs(e) => self.job_event(now, e),
                Event::Autoscale(e) => self.autoscale_event(now, e),
                Event::Cpu(e) => self.cpu_event(now, e),
                Event::Client(e) => self.client_event(now, e),
                Event::Periodic(i) => self.periodic_due(now, i.get()),
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
        // The duration, or the checkpoint that stopped the run.
        let end = self.end;
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

    /// Checkpoint `c` at `now`: whether its caller stops the run here (if
    /// not, the next one is scheduled, at the end at the latest).
    fn checkpoint(&mut self, now: Nanos, c: &mut Checkpoints) -> bool {
        let m = &self.measure;
        let mut successes = LatencyHistogram::new(3);
        for (h, _) in &m.endpoints {
            successes.merge(h);
        }
        let so_far = checkpoint::SoFar {
            successes,
            failed: m.errors.iter().sum(),
            good: m.good,
        };
        if (c.decide)(now, &so_far) {
            return true;
        }
        let next = now.saturating_add(c.every);
        if next <= self.plan.duration {
            self.queue.schedule(next, Event::Checkpoint);
        }
        false
    }

    fn start_measuring(&mut self, now: Nanos) {
        let m = &mut self.measure;
        m.on = true;
        m.since = now;
        self.families.visit(&mut Reset(now));
    }

    fn tick(&mut self, now: Nanos) {
        let mut tick = Tick {
            now,
            stations: StationSamples::default(),
        };
        self.families.visit(&mut tick);
        let StationSamples { utilization, queue } = tick.stations;
        self.measure.series.close(now, utilization, queue);
    }

    /// Takes the next new request from the feed and schedules its arrival
    /// (arrivals come in time order: it waits outside the queue's structure).
    #[inline]
    fn schedule_arrival(&mut self) {
        self.arriving = self.feed.next_request();
        if let Some(n) = self.arriving {
            self.queue.schedule_next(n.at, Event::Arrival);
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
        if self.families.retries.on() {
            self.arm_timeout(now, r);
        }
        self.step(now, r);
    }

    /// Counts a new request sent at `now` by a user of region `home`.
    fn count_arrival(&mut self, now: Nanos, home: u8) {
        self.measure.series.arrival(now);
        if self.measure.counts(now) {
            self.measure.arrivals += 1;
            self.families.regions.arrival(home);
        }
    }

    /// The pair in `slot`, freeing the slot.
    #[inline]
    pub(super) fn take_pair(&mut self, slot: u32) -> (u32, u32) {
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
        if self.requests[r].parked_on != NOT_PARKED {
            self.unpark(now, r);
        }
        let plan = self.plan;
        // The outer loop enters the program the request is in: at the
        // start, after a call and after a return.
        loop {
            let program = &plan.programs[self.requests[r].program as usize].ops;
            loop {
                if self.families.regions.any_down() && self.holds_down_pod(r) {
                    self.fail(now, r, ErrorCause::RegionDown);
                    return;
                }
                let req = &mut self.requests[r];
                let Some(&op) = program.get(req.pc as usize) else {
                    if req.calls == 0 {
                        self.complete(now, r);
                        return;
                    }
                    self.return_from_call(r);
                    break;
                };
                let go_on = match op {
                    Op::Pod(op) => self.pod_op(now, r, op),
                    Op::Delay { dist } => {
                        req.pc += 1;
                        let t = self.plan.samplers[dist as usize].sample(&mut self.network_rng);
                        if t > Nanos::ZERO {
                            self.queue.schedule(now + t, Event::Resume(r.into()));
                        }
                        t == Nanos::ZERO
                    }
                    Op::Call { program, asides } => {
                        self.call(r, program, asides);
                        break;
                    }
                    Op::Limit(op) => self.limit_op(now, r, op),
                    Op::Cdn(op) => self.cdn_op(now, r, op),
                    Op::Dependency(op) => self.dependency_op(now, r, op),
                    Op::Jobs(op) => self.job_op(now, r, op),
                    Op::Cache(op) => self.cache_op(now, r, op),
                    Op::Data(op) => self.data_op(now, r, op),
                    Op::Client(op) => self.client_op(now, r, op),
                    Op::Redis(op) => self.redis_op(now, r, op),
                };
                if !go_on {
                    // Computing is the pod's own work, the held time that
                    // waits on nothing (`held_time` counts the rest); only
                    // the slots held outside it wait on it.
                    let depth = self.requests[r].depth;
                    if depth > 1 || depth == 1 && !matches!(op, Op::Pod(PodOp::Compute { .. })) {
                        self.park(now, r, op);
                    }
                    return;
                }
            }
        }
    }

    /// Request `r` steps again after waiting: its held slots waited until now.
    #[inline(never)]
    fn unpark(&mut self, now: Nanos, r: u32) {
        let req = &mut self.requests[r];
        let on = std::mem::replace(&mut req.parked_on, NOT_PARKED);
        self.families.pods.held_time.add(now, r, &req.held, on);
    }

    /// Request `r`, holding worker slots, stopped at `op` to wait: note on
    /// what (see `held_time`).
    #[inline(never)]
    fn park(&mut self, now: Nanos, r: u32, op: Op) {
        if !self.requests[r].alive {
            return;
        }
        let on = self
            .families
            .pods
            .held_time
            .target(self.plan, op, |a| self.aside_of(r, a));
        let depth = self.requests[r].depth;
        self.families.pods.held_time.park(now, r, depth);
        self.requests[r].parked_on = on;
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
            // Nobody is waiting: the answer is wasted work (or a CDN
            // refresh), unless a caller waits for this sub-request.
            if self.requests[r].sub {
                self.sub_ended(now, now, r, None);
            }
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
        if self.families.autoscale.measures_rollouts() {
            self.families.autoscale.observe(Some(latency));
        }
        let m = &mut self.measure;
        m.series.success(at, latency);
        if m.counts(start) {
            m.completed += 1;
            m.endpoints[endpoint as usize].0.record(latency);
            m.good += u64::from(latency <= m.threshold);
            self.families.regions.success(home, latency);
        }
    }

    /// Ends request `r` with an error: releases what it holds, counts the cause.
    pub(super) fn fail(&mut self, now: Nanos, r: u32, cause: ErrorCause) {
        self.cache_on_fail(r);
        let req = self.requests[r];
        for level in (0..req.depth as usize).rev() {
            self.release_pod(now, req.held[level]);
        }
        if req.cdn.refreshing > 0 {
            self.cdn_refresh_failed(&req);
        }
        // A client whose timeout already passed saw the timeout, not this error.
        if req.detached {
            // Nobody is waiting for this answer, unless it is a sub-request.
            if req.sub {
                self.sub_ended(now, now, r, Some(cause));
            }
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
        if self.families.autoscale.measures_rollouts() {
            self.families.autoscale.observe(None);
        }
        let m = &mut self.measure;
        m.series.error(at);
        if m.counts(start) {
            m.errors[cause.index()] += 1;
            m.endpoints[endpoint as usize].1 += 1;
            m.failed.record(Nanos(at.0.saturating_sub(start.0)));
            self.families.regions.error(home);
        }
    }

    fn retire(&mut self, r: u32) {
        self.requests[r].alive = false;
        self.requests.remove(r);
        self.in_flight -= 1;
    }

    fn report(mut self) -> Report {
        let now = self.end;
        let m = &self.measure;
        let measured_s = (now - m.since).as_secs_f64().max(1e-9);
        let errors: u64 = m.errors.iter().sum();
        let mut latency = LatencyHistogram::new(3);
        for (h, _) in &m.endpoints {
            latency.merge(h);
        }
        let summary = Summary {
            offered_rps: round6(m.arrivals as f64 / measured_s),
            throughput_rps: round6(m.completed as f64 / measured_s),
            arrivals: m.arrivals,
            completed: m.completed,
            errors,
            error_rate: error_rate(errors, m.completed),
            errors_by_cause: ErrorCause::ALL
                .iter()
                .filter(|&&c| m.errors[c.index()] > 0 || self.lists_cause(c))
                .map(|c| (c.name().to_owned(), m.errors[c.index()]))
                .collect(),
            in_flight: m.in_flight_at_end,
            latency: latency.summary(),
            latency_all: {
                let mut all = latency.clone();
                all.merge(&m.failed);
                all.summary()
            },
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
                error_rate: error_rate(*errors, h.count()),
                latency: h.summary(),
            })
            .collect();
        let mut report = Report {
            scenario: self.plan.name.clone(),
            seed: self.plan.seed,
            simulated_s: round6(now.as_secs_f64()),
            warmup_s: round6(self.plan.warmup.as_secs_f64()),
            slo: Some(slo),
            summary,
            endpoints,
            series: self.measure.series.finish(),
            engine: EngineStats {
                events: self.queue.events_processed(),
                requests: self.requests_total,
                peak_in_flight: self.peak_in_flight,
                refused_in_flight: self.refused_in_flight,
            },
            // The families' sections, written below.
            stations: Vec::new(),
            faults: Vec::new(),
            cdns: Vec::new(),
            rate_limits: Vec::new(),
            retries: None,
            dependencies: Vec::new(),
            calls: Vec::new(),
            queues: Vec::new(),
            regions: Vec::new(),
            caches: Vec::new(),
            cache_loads: Vec::new(),
            databases: Vec::new(),
            pools: Vec::new(),
            scaling: Vec::new(),
            provenance: None,
            precision: None,
        };
        self.families.visit(&mut Reporter {
            plan: self.plan,
            now,
            report: &mut report,
        });
        report
    }
}

/// Errors as a share of answers (0 with none).
fn error_rate(errors: u64, ok: u64) -> f64 {
    if errors + ok == 0 {
        0.0
    } else {
        round6(errors as f64 / (errors + ok) as f64)
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
