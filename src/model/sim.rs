//! The simulation: the event loop and the request interpreter.

use super::database::Database;
use super::deployment::{Deployment, PodView};
use super::station::Admission;
use crate::algo::balance::Balancer;
use crate::algo::Nanos;
use crate::engine::{below, stream, unit_open, EventQueue, Rng, Slab};
use crate::metrics::{round6, ErrorCause, LatencyHistogram, Series, CAUSES};
use crate::report::{EndpointReport, EngineStats, FaultReport, Report, StationReport, Summary};
use crate::scenario::{FaultKind, Model, Op, StationRef, MAX_NESTING};
use crate::workload::Arrivals;
use std::collections::VecDeque;

/// A scheduled happening. Small and `Copy`: the queue holds millions.
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
    /// Deployment `d`'s HPA syncs.
    HpaSync(u16),
    /// A pod's startup ends: (deployment, pod).
    PodReady(u16, u32),
    /// A spot node gets its termination notice: (deployment, node).
    NodeNotice(u16, u32),
    /// A node under notice goes: (deployment, node).
    NodeGone(u16, u32),
}

/// A pod held by a request: deployment and pod index, and when it was entered.
#[derive(Copy, Clone, Debug, Default)]
pub(super) struct Held {
    pub(super) deployment: u16,
    pub(super) pod: u32,
    pub(super) since: Nanos,
    /// The pod's epoch when entered (a mismatch: the pod died since).
    pub(super) epoch: u16,
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
}

/// Measurements of one run.
pub(super) struct Measure {
    pub(super) on: bool,
    pub(super) since: Nanos,
    pub(super) arrivals: u64,
    pub(super) completed: u64,
    pub(super) errors: [u64; CAUSES],
    pub(super) latency: LatencyHistogram,
    pub(super) endpoints: Vec<(LatencyHistogram, u64)>,
    pub(super) series: Series,
}

pub(super) struct Sim<'m> {
    pub(super) model: &'m Model,
    pub(super) queue: EventQueue<Event>,
    pub(super) requests: Slab<Request>,
    pub(super) ready: VecDeque<u32>,
    pub(super) arrivals: Arrivals,
    pub(super) request_rng: Rng,
    pub(super) network_rng: Rng,
    pub(super) balancers: Vec<(Balancer, Rng)>,
    pub(super) deployments: Vec<Deployment>,
    pub(super) deployment_rngs: Vec<Rng>,
    pub(super) databases: Vec<Database>,
    pub(super) database_rngs: Vec<Rng>,
    pub(super) measure: Measure,
    pub(super) in_flight: u64,
    pub(super) peak_in_flight: u64,
    pub(super) requests_total: u64,
}

/// Runs `model` to its end and reports. `progress` is told the simulated
/// time now and then (for a progress bar); it does not affect the run.
pub fn simulate(model: &Model, progress: &mut dyn FnMut(Nanos)) -> Report {
    let seed = model.seed;
    let mut sim = Sim {
        model,
        queue: EventQueue::new(),
        requests: Slab::new(),
        ready: VecDeque::new(),
        arrivals: Arrivals::new(
            model.workload.rate,
            model.workload.pattern.clone(),
            stream(seed, "workload/arrivals"),
        ),
        request_rng: stream(seed, "workload/requests"),
        network_rng: stream(seed, "network"),
        balancers: model
            .balancers
            .iter()
            .map(|b| {
                (
                    Balancer::new(b.strategy),
                    stream(seed, &format!("lb/{}", b.name)),
                )
            })
            .collect(),
        deployments: model
            .deployments
            .iter()
            .map(|d| Deployment::new(d, seed))
            .collect(),
        deployment_rngs: model
            .deployments
            .iter()
            .map(|d| stream(seed, &format!("deployment/{}", d.name)))
            .collect(),
        databases: model.databases.iter().map(Database::new).collect(),
        database_rngs: model
            .databases
            .iter()
            .map(|d| stream(seed, &format!("database/{}", d.name)))
            .collect(),
        measure: Measure {
            on: model.warmup == Nanos::ZERO,
            since: Nanos::ZERO,
            arrivals: 0,
            completed: 0,
            errors: [0; CAUSES],
            latency: LatencyHistogram::new(3),
            endpoints: model
                .endpoints
                .iter()
                .map(|_| (LatencyHistogram::new(3), 0))
                .collect(),
            series: Series::new(model.duration, model.interval),
        },
        in_flight: 0,
        peak_in_flight: 0,
        requests_total: 0,
    };
    sim.run(progress);
    sim.report()
}

impl Sim<'_> {
    fn run(&mut self, progress: &mut dyn FnMut(Nanos)) {
        let end = self.model.duration;
        if let Some(t) = self.arrivals.next_arrival() {
            if t < end {
                self.queue.schedule(t, Event::Arrival);
            }
        }
        for (i, f) in self.model.faults.iter().enumerate() {
            self.queue.schedule(f.at, Event::FaultStart(i as u16));
            if let Some(until) = f.until {
                self.queue.schedule(until, Event::FaultEnd(i as u16));
            }
        }
        if self.model.warmup > Nanos::ZERO {
            self.queue.schedule(self.model.warmup, Event::WarmupEnd);
        }
        self.queue
            .schedule(self.model.interval.min(end), Event::Tick);
        self.start_scaling();
        while let Some((now, event)) = self.queue.pop_until(end) {
            match event {
                Event::Arrival => {
                    self.arrive(now);
                    if let Some(t) = self.arrivals.next_arrival() {
                        if t < end {
                            self.queue.schedule(t, Event::Arrival);
                        }
                    }
                }
                Event::Resume(r) => self.step(now, r),
                Event::QueryDone(r) => self.query_done(now, r),
                Event::Tick => {
                    self.tick(now);
                    if now < end {
                        self.queue.schedule(
                            now.saturating_add(self.model.interval).min(end),
                            Event::Tick,
                        );
                    }
                }
                Event::WarmupEnd => self.start_measuring(now),
                Event::FaultStart(i) => self.apply_fault(i as usize, true, now),
                Event::FaultEnd(i) => self.apply_fault(i as usize, false, now),
                Event::HpaSync(_)
                | Event::PodReady(..)
                | Event::NodeNotice(..)
                | Event::NodeGone(..) => self.scaling_event(now, event),
            }
            while let Some(r) = self.ready.pop_front() {
                self.step(now, r);
            }
            if self.queue.events_processed() & 0xFFFF == 0 {
                progress(now);
            }
        }
        self.queue.advance_to(end);
        // Clients still waiting at the end whose timeout has passed saw a timeout.
        for r in 0..self.requests.high_water() as u32 {
            let req = self.requests[r];
            if req.alive && req.deadline <= end {
                self.count_error(req.deadline, req.endpoint, ErrorCause::ClientTimeout);
            }
        }
        progress(end);
    }

    /// Starts (`on`) or ends a fault of the timeline.
    fn apply_fault(&mut self, i: usize, on: bool, now: Nanos) {
        let model = self.model;
        match model.faults[i].kind {
            FaultKind::Slowdown { target, factor } => {
                let f = if on { factor } else { 1.0 };
                match target {
                    StationRef::Deployment(d) => self.deployments[d].slowdown = f,
                    StationRef::Database(d) => self.databases[d].slowdown = f,
                }
            }
            ref kind => {
                if on {
                    self.scaling_fault(now, kind);
                }
            }
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
        }
    }

    fn tick(&mut self, now: Nanos) {
        let mut util = Vec::with_capacity(self.deployments.len() + self.databases.len());
        let mut queue = Vec::with_capacity(util.capacity());
        let stations = self
            .deployments
            .iter_mut()
            .map(|d| &mut d.occupancy)
            .chain(self.databases.iter_mut().map(|d| &mut d.occupancy));
        for o in stations {
            let (u, q) = o.take_interval(now);
            util.push(u);
            queue.push(q);
        }
        self.measure.series.close(now, util, queue);
        for d in &mut self.deployments {
            d.record_replicas(now);
        }
    }

    fn arrive(&mut self, now: Nanos) {
        let w = &self.model.workload;
        let u = unit_open(&mut self.request_rng);
        let endpoint = w
            .mix_cumulative
            .partition_point(|&c| c < u)
            .min(w.mix_cumulative.len() - 1);
        let deadline = w
            .client_timeout
            .map_or(Nanos::MAX, |t| now.saturating_add(t));
        let tenant = w
            .tenants
            .as_ref()
            .map_or(0, |t| t.sample(&mut self.request_rng));
        let key = w
            .keys
            .as_ref()
            .map_or(0, |k| k.sample(&mut self.request_rng));
        let user = below(&mut self.request_rng, w.users);
        let r = self.requests.insert(Request {
            start: now,
            deadline,
            station_since: now,
            pc: 0,
            endpoint: endpoint as u16,
            depth: 0,
            alive: true,
            held: [Held::default(); MAX_NESTING],
            tenant,
            key,
            user,
        });
        self.in_flight += 1;
        self.requests_total += 1;
        self.peak_in_flight = self.peak_in_flight.max(self.in_flight);
        self.measure.series.arrival(now);
        if self.measure.on {
            self.measure.arrivals += 1;
        }
        self.step(now, r);
    }

    /// Runs request `r`'s program from its program counter until it waits or ends.
    fn step(&mut self, now: Nanos, r: u32) {
        if self.holds_dead_pod(r) {
            self.fail(now, r, ErrorCause::PodKilled);
            return;
        }
        let program = &self.model.endpoints[self.requests[r].endpoint as usize].program;
        loop {
            let req = &mut self.requests[r];
            let Some(&op) = program.get(req.pc as usize) else {
                self.complete(now, r);
                return;
            };
            match op {
                Op::Enter { lb } => {
                    let spec = &self.model.balancers[lb as usize];
                    let view = PodView {
                        targets: &spec.targets,
                        deployments: &self.deployments,
                    };
                    let (balancer, rng) = &mut self.balancers[lb as usize];
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
                    self.release_pod(now, held);
                }
                Op::Compute { dist } => {
                    req.pc += 1;
                    let d = req.held[req.depth as usize - 1].deployment as usize;
                    let t = self.model.samplers[dist as usize].sample(&mut self.deployment_rngs[d]);
                    let t = slowed(t, self.deployments[d].slowdown);
                    if t > Nanos::ZERO {
                        self.queue.schedule(now + t, Event::Resume(r));
                        return;
                    }
                }
                Op::Delay { dist } => {
                    req.pc += 1;
                    let t = self.model.samplers[dist as usize].sample(&mut self.network_rng);
                    if t > Nanos::ZERO {
                        self.queue.schedule(now + t, Event::Resume(r));
                        return;
                    }
                }
                Op::Query { db, dist, .. } => {
                    req.station_since = now;
                    let database = &mut self.databases[db as usize];
                    match database.slots.admit(r, now) {
                        Admission::Started => {
                            database.occupancy.arrive_and_start(now);
                            let t = self.model.samplers[dist as usize]
                                .sample(&mut self.database_rngs[db as usize]);
                            self.queue.schedule(now + t, Event::QueryDone(r));
                        }
                        Admission::Queued => database.occupancy.arrive_and_queue(now),
                        Admission::Rejected => {
                            database.occupancy.reject();
                            self.fail(now, r, ErrorCause::QueueFull);
                        }
                    }
                    return;
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
            self.ready.push_back(next);
        } else if pod.state == super::deployment::PodState::Draining {
            self.check_drained(now, held.deployment as usize, held.pod as usize);
        }
    }

    fn query_done(&mut self, now: Nanos, r: u32) {
        let req = &mut self.requests[r];
        let Op::Query { db, .. } =
            self.model.endpoints[req.endpoint as usize].program[req.pc as usize]
        else {
            unreachable!("QueryDone for a request not at a query");
        };
        req.pc += 1;
        let since = req.station_since;
        let database = &mut self.databases[db as usize];
        database.occupancy.finish(now, now - since);
        if let Some((next, queued_at)) = database.slots.release() {
            database.occupancy.start_from_queue(now, now - queued_at);
            let next_req = &self.requests[next];
            let Op::Query { dist, .. } =
                self.model.endpoints[next_req.endpoint as usize].program[next_req.pc as usize]
            else {
                unreachable!("a request queued at a database is at a query");
            };
            let t = self.model.samplers[dist as usize].sample(&mut self.database_rngs[db as usize]);
            let t = slowed(t, database.slowdown);
            self.queue.schedule(now + t, Event::QueryDone(next));
        }
        self.step(now, r);
    }

    fn complete(&mut self, now: Nanos, r: u32) {
        let req = self.requests[r];
        if now > req.deadline {
            self.count_error(req.deadline, req.endpoint, ErrorCause::ClientTimeout);
        } else {
            let latency = now - req.start;
            self.measure.series.success(now, latency);
            if self.measure.on {
                self.measure.completed += 1;
                self.measure.latency.record(latency);
                self.measure.endpoints[req.endpoint as usize]
                    .0
                    .record(latency);
            }
        }
        self.retire(r);
    }

    /// Ends request `r` with an error: releases what it holds, counts the cause.
    pub(super) fn fail(&mut self, now: Nanos, r: u32, cause: ErrorCause) {
        let req = self.requests[r];
        for level in (0..req.depth as usize).rev() {
            self.release_pod(now, req.held[level]);
        }
        // A client whose timeout already passed saw the timeout, not this error.
        if now > req.deadline {
            self.count_error(req.deadline, req.endpoint, ErrorCause::ClientTimeout);
        } else {
            self.count_error(now, req.endpoint, cause);
        }
        self.retire(r);
    }

    fn count_error(&mut self, at: Nanos, endpoint: u16, cause: ErrorCause) {
        self.measure.series.error(at);
        if self.measure.on && at >= self.measure.since {
            self.measure.errors[cause.index()] += 1;
            self.measure.endpoints[endpoint as usize].1 += 1;
        }
    }

    fn retire(&mut self, r: u32) {
        self.requests[r].alive = false;
        self.requests.remove(r);
        self.in_flight -= 1;
    }

    fn report(mut self) -> Report {
        let end = self.model.duration;
        let scaling = self
            .model
            .deployments
            .iter()
            .zip(&mut self.deployments)
            .map(|(spec, d)| d.scaling_report(spec, end))
            .collect();
        let now = self.model.duration;
        let m = &self.measure;
        let measured_s = (now - m.since).as_secs_f64().max(1e-9);
        let errors: u64 = m.errors.iter().sum();
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
            latency: m.latency.summary(),
        };
        let endpoints = self
            .model
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
        for (spec, d) in self.model.deployments.iter().zip(&mut self.deployments) {
            stations.push(StationReport {
                name: spec.name.clone(),
                kind: "deployment".into(),
                stats: d.occupancy.summary(now),
            });
        }
        for (spec, d) in self.model.databases.iter().zip(&mut self.databases) {
            stations.push(StationReport {
                name: spec.name.clone(),
                kind: "database".into(),
                stats: d.occupancy.summary(now),
            });
        }
        Report {
            scenario: self.model.name.clone(),
            seed: self.model.seed,
            simulated_s: round6(now.as_secs_f64()),
            warmup_s: round6(self.model.warmup.as_secs_f64()),
            summary,
            endpoints,
            stations,
            faults: self
                .model
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
            },
            scaling,
        }
    }
}

/// A service time under a slowdown factor (1.0: unchanged).
#[inline]
fn slowed(t: Nanos, factor: f64) -> Nanos {
    if factor == 1.0 {
        t
    } else {
        Nanos::from_nanos((t.0 as f64 * factor) as u64)
    }
}
