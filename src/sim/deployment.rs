//! Pods at run time: load balancers pick a pod of their target deployments,
//! a request takes one of its worker slots (or waits in its FIFO queue),
//! computes on it and releases it; a request queued longer than the
//! deployment's `shed_after` is shed. A pod's life (new, ready, draining,
//! gone, killed, restarted) changes only through the methods at the end of
//! this file, which the autoscaling family (`autoscale/`) calls.
//!
//! ```text
//!  Enter(lb) ──▶ balancer picks a pod ──▶ slot free? ──▶ Compute ... Leave (slot to the next in line)
//!                                            └─ queue (full: "queue_full"; waited > shed_after: "load_shed")
//! ```

use super::autoscale::is_probe;
use super::cpu::{CpuTotals, Processor};
use super::event::Event;
use super::families::{Family, StationSamples};
use super::held_time::HeldTime;
use super::interpreter::{slowed, Sim};
use super::regions::Route;
use super::station::{Admission, Slots};
use crate::algo::balance::{Backends, Balancer};
use crate::algo::hpa::ReadyCondition;
use crate::algo::Nanos;
use crate::engine::{stream, Rng};
use crate::metrics::{ErrorCause, Occupancy};
use crate::report::{Report, StationReport};
use crate::scenario::{DeploymentSpec, Plan, PodOp};

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
    pub(super) const NONE: Held = Held {
        deployment: 0,
        pod: 0,
        since: Nanos::ZERO,
        from_region: 0,
        epoch: 0,
    };
}

/// The pods family's state.
pub(super) struct Pods {
    /// Per balancer: its strategy's state and its stream.
    balancers: Vec<(Balancer, Rng)>,
    /// Deployments, in plan order.
    pub(super) deployments: Vec<Deployment>,
    /// Per deployment: the stream of its compute times.
    rngs: Vec<Rng>,
    /// Where the deployments' held worker time goes.
    pub(super) held_time: HeldTime,
    /// Pods whose life has ended so far, over all deployments: while 0, no
    /// held epoch can be stale, and a step looks at none of its held pods.
    pub(super) deaths: u64,
}

impl Pods {
    /// Every deployment at time zero, all pods ready.
    pub(super) fn new(plan: &Plan) -> Pods {
        let seed = plan.seed;
        Pods {
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
            deployments: plan.deployments.iter().map(Deployment::new).collect(),
            rngs: plan
                .deployments
                .iter()
                .map(|d| stream(seed, &format!("deployment/{}", d.name)))
                .collect(),
            held_time: HeldTime::new(plan),
            deaths: 0,
        }
    }
}

impl Family for Pods {
    fn reset(&mut self, now: Nanos) {
        for d in &mut self.deployments {
            d.occupancy.reset(now);
        }
        self.held_time.reset(now);
    }

    fn tick(&mut self, now: Nanos, stations: &mut StationSamples) {
        for d in &mut self.deployments {
            stations.push(d.occupancy.take_interval(now));
        }
    }

    fn report(&mut self, plan: &Plan, now: Nanos, report: &mut Report) {
        // Autoscaling wrote the scaling rows (it reports first): each
        // gets its pods' CPU section.
        for ((spec, d), row) in plan
            .deployments
            .iter()
            .zip(&mut self.deployments)
            .zip(&mut report.scaling)
        {
            row.resources = d.resource_report(spec, now, row);
        }
        let measured_s = (now - self.held_time.since()).as_secs_f64();
        for (i, (spec, d)) in plan
            .deployments
            .iter()
            .zip(&mut self.deployments)
            .enumerate()
        {
            let stats = d.occupancy.summary(now);
            report.stations.push(StationReport {
                name: spec.name.clone(),
                kind: "deployment".into(),
                held: self.held_time.shares(i, stats.mean_busy * measured_s),
                stats,
            });
        }
    }
}

impl Sim<'_> {
    /// Runs pod op `op` of request `r`; true if the request goes on stepping now.
    #[inline]
    pub(super) fn pod_op(&mut self, now: Nanos, r: u32, op: PodOp) -> bool {
        let req = &mut self.requests[r];
        match op {
            PodOp::Enter { lb } => self.enter(now, r, lb),
            PodOp::Leave => {
                req.depth -= 1;
                req.pc += 1;
                let held = req.held[req.depth as usize];
                req.at = held.from_region;
                self.release_pod(now, held);
                true
            }
            PodOp::Compute { dist } => {
                req.pc += 1;
                let d = req.held[req.depth as usize - 1].deployment as usize;
                let pods = &mut self.families.pods;
                let t = self.plan.samplers[dist as usize].sample(&mut pods.rngs[d]);
                let t = slowed(t, pods.deployments[d].slowdown);
                if t > Nanos::ZERO && self.plan.deployments[d].cpu.is_some() {
                    let p = req.held[req.depth as usize - 1].pod as usize;
                    self.start_compute(now, r, d, p, t);
                    return false;
                }
                if t > Nanos::ZERO {
                    self.queue.schedule(now + t, Event::Resume(r.into()));
                    return false;
                }
                true
            }
        }
    }

    /// Request `r` enters a pod through balancer `lb`: it takes a worker
    /// slot, waits in the pod's queue, or fails. True if it goes on now.
    #[inline]
    fn enter(&mut self, now: Nanos, r: u32, lb: u16) -> bool {
        let spec = &self.plan.balancers[lb as usize];
        let (targets, region) = match self.route(now, r, lb) {
            Route::Anywhere => (&spec.targets[..], None),
            Route::Here(g) => (&spec.regional[g as usize][..], Some(g)),
            Route::Travelling => return false,
            Route::Nowhere => {
                self.fail(now, r, ErrorCause::RegionDown);
                return false;
            }
        };
        let pods = &mut self.families.pods;
        let view = PodView {
            targets,
            deployments: &pods.deployments,
        };
        let (balancer, rng) = &mut pods.balancers[lb as usize];
        let balancer = match region {
            Some(g) => &mut self.families.regions.balancers[lb as usize][g as usize],
            None => balancer,
        };
        let req = &mut self.requests[r];
        let from_region = if req.travelled { req.hop_from } else { req.at };
        req.travelled = false;
        let Some(i) = balancer.pick(&view, rng) else {
            self.fail(now, r, ErrorCause::NoHealthyPod);
            return false;
        };
        let (d, p, _) = view.locate(i);
        let dep = &mut pods.deployments[d];
        dep.pods[p].touch(now);
        let epoch = dep.pods[p].epoch;
        let held = Held {
            deployment: d as u16,
            pod: p as u32,
            since: now,
            from_region,
            epoch,
        };
        match dep.pods[p].slots.admit(r, now) {
            Admission::Started => {
                dep.occupancy.arrive_and_start(now);
                let req = &mut self.requests[r];
                req.held[req.depth as usize] = held;
                req.depth += 1;
                req.pc += 1;
                if self.check_memory(now, d, p) {
                    self.fail(now, r, ErrorCause::PodKilled);
                    return false;
                }
                true
            }
            Admission::Queued => {
                dep.occupancy.arrive_and_queue(now);
                let req = &mut self.requests[r];
                req.held[req.depth as usize] = held;
                self.check_memory(now, d, p); // an OOM kill fails it with the queue
                false
            }
            Admission::Rejected => {
                dep.occupancy.reject();
                self.fail(now, r, ErrorCause::QueueFull);
                false
            }
        }
    }

    /// Frees a pod slot; the next request queued at that pod takes it.
    pub(super) fn release_pod(&mut self, now: Nanos, held: Held) {
        let dep = &mut self.families.pods.deployments[held.deployment as usize];
        dep.occupancy.finish(now, now - held.since);
        let pod = &mut dep.pods[held.pod as usize];
        if pod.epoch != held.epoch {
            return; // the pod died with this request in it
        }
        pod.touch(now);
        pod.served += 1;
        self.next_in_line(now, held.deployment as usize, held.pod as usize);
    }

    /// A worker slot of pod `p` of deployment `d` is free (its accounting
    /// brought up to `now`): the next in its queue takes it (a request, or
    /// a probe), or a draining pod may go. Always inlined: its two callers
    /// (`release_pod`, a probe's answer) are out of line and have just
    /// brought the pod's accounts up to date, so the pod is at hand.
    #[inline(always)]
    pub(super) fn next_in_line(&mut self, now: Nanos, d: usize, p: usize) {
        let dep = &mut self.families.pods.deployments[d];
        let pod = &mut dep.pods[p];
        if let Some((next, queued_at)) = pod.slots.release() {
            if is_probe(next) {
                self.probe_takes_slot(now, d, p, next);
                return;
            }
            dep.occupancy.start_from_queue(now, now - queued_at);
            let req = &mut self.requests[next];
            req.depth += 1;
            req.pc += 1;
            match self.plan.deployments[d].shed_after {
                Some(limit) if now - queued_at > limit => self.shed.push_back(next),
                _ => self.ready.push_back(next),
            }
        } else if pod.state == PodState::Draining {
            self.check_drained(now, d, p);
        }
    }

    /// Whether request `r` holds a slot in a pod that died since.
    #[inline]
    pub(super) fn holds_dead_pod(&self, r: u32) -> bool {
        if self.families.pods.deaths == 0 {
            return false;
        }
        let req = &self.requests[r];
        req.held[..req.depth as usize].iter().any(|h| {
            let d = &self.families.pods.deployments[h.deployment as usize];
            d.pods[h.pod as usize].epoch != h.epoch
        })
    }
}

/// Where a pod is in its life.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum PodState {
    /// Scheduled, not yet ready (costs, takes no traffic).
    Starting,
    /// Takes traffic.
    Ready,
    /// Being removed: takes no new requests, goes when its in-flight work ends.
    Draining,
    /// Gone; its index may be reused.
    Gone,
}

/// One pod.
#[derive(Clone, Debug)]
pub(super) struct Pod {
    /// Its worker slots and queue.
    pub(super) slots: Slots,
    /// Lifecycle state.
    pub(super) state: PodState,
    /// Bumped when the pod dies, so holds from a former life are recognised.
    pub(super) epoch: u16,
    /// When it was scheduled.
    pub(super) scheduled: Nanos,
    /// When it became (or becomes) ready.
    pub(super) ready_at: Nanos,
    /// Busy worker slots x ns since the last HPA sample.
    pub(super) busy_area: u128,
    /// Requests in the pod (in service + queued) x ns since the last sample.
    pub(super) inflight_area: u128,
    /// Requests finished since the last sample.
    pub(super) served: u64,
    /// Last accounting update.
    pub(super) last: Nanos,
    /// Start of the current sample window.
    pub(super) sample_start: Nanos,
    /// Jobs of deployment-backed queues running on this pod (they count as
    /// busy workers and keep a draining pod alive).
    pub(super) jobs: u32,
    /// Its processors (used when the deployment declares CPU).
    pub(super) cpu: Processor,
    /// The pod template revision it runs (a `Deploy` makes a new one).
    pub(super) revision: u16,
    /// Its readiness probe fails: out of the balancers' targets.
    pub(super) unready: bool,
    /// When its `Ready` condition last changed: the pod (or its restarted
    /// container) was created, became ready, or its readiness probe flipped.
    pub(super) readiness_changed: Nanos,
    /// Its deployment has an HPA, the only reader of the areas and `served`:
    /// without one, `touch` keeps no accounts (a cost per slot change).
    sampled: bool,
}

impl Pod {
    /// A pod of template `revision` scheduled at `now`, ready at `ready_at`.
    pub(super) fn new(
        spec: &DeploymentSpec,
        now: Nanos,
        ready_at: Nanos,
        epoch: u16,
        revision: u16,
    ) -> Pod {
        Pod {
            slots: Slots::new(spec.concurrency, spec.queue_limit),
            state: if ready_at <= now {
                PodState::Ready
            } else {
                PodState::Starting
            },
            epoch,
            scheduled: now,
            ready_at,
            busy_area: 0,
            inflight_area: 0,
            served: 0,
            last: now,
            sample_start: now,
            jobs: 0,
            cpu: match &spec.cpu {
                Some(c) => Processor::new(c.cores, c.limit, now, epoch as u8),
                None => Processor::new(1.0, None, now, 0),
            },
            revision,
            unready: false,
            readiness_changed: now,
            sampled: spec.hpa.is_some(),
        }
    }

    /// Its `Ready` condition as the HPA reads it: ready when it takes
    /// traffic and its readiness probe passes, since `readiness_changed`.
    pub(super) fn ready_condition(&self) -> ReadyCondition {
        ReadyCondition {
            ready: self.state == PodState::Ready && !self.unready,
            last_transition: self.readiness_changed,
        }
    }

    /// Brings the per-pod areas up to `now` (call before any slot change);
    /// nothing without an HPA to read them.
    #[inline]
    pub(super) fn touch(&mut self, now: Nanos) {
        if !self.sampled {
            return;
        }
        let dt = u128::from(now.0.saturating_sub(self.last.0));
        if dt > 0 {
            self.busy_area += u128::from(self.slots.busy() + self.jobs) * dt;
            self.inflight_area += u128::from(self.slots.in_flight() + self.jobs) * dt;
            self.last = now;
        }
    }
}

/// The live state of a deployment.
pub(super) struct Deployment {
    /// Its pods; indices are stable (gone pods stay, and are reused).
    pub(super) pods: Vec<Pod>,
    /// Slot occupancy summed over all pods.
    pub(super) occupancy: Occupancy,
    /// Multiplier on service times while a slowdown fault is active.
    pub(super) slowdown: f64,
    /// Indices of gone pods, reused by the next new ones.
    free: Vec<u32>,
    /// Requests that were queued in pods that died; the simulator fails them.
    pub(super) orphans: Vec<u32>,
    /// CPU its pods used (with the CPU model).
    pub(super) cpu_totals: CpuTotals,
    /// Requests whose compute stopped when their pod died; they resume to fail.
    pub(super) cpu_stopped: Vec<u32>,
}

impl Deployment {
    /// The deployment at time zero, all pods ready.
    pub(super) fn new(spec: &DeploymentSpec) -> Self {
        let pods = (0..spec.replicas)
            .map(|_| Pod::new(spec, Nanos::ZERO, Nanos::ZERO, 0, 0))
            .collect();
        Deployment {
            pods,
            occupancy: Occupancy::new(u64::from(spec.replicas) * u64::from(spec.concurrency)),
            slowdown: 1.0,
            free: Vec::new(),
            orphans: Vec::new(),
            cpu_totals: CpuTotals::default(),
            cpu_stopped: Vec::new(),
        }
    }
}

/// The pods family's side of autoscaling: the only ways a pod's life
/// changes. The autoscaling family decides when; these keep the pods'
/// slots, epochs, free indices and capacity right.
impl Deployment {
    /// A new pod of template `revision` scheduled at `now`, ready after the
    /// spec's startup (at once without one), at the index of a gone pod if
    /// there is one. Its index.
    pub(super) fn add_pod(&mut self, spec: &DeploymentSpec, now: Nanos, revision: u16) -> usize {
        let ready_at = now.saturating_add(spec.startup);
        match self.free.pop() {
            Some(p) => {
                let epoch = self.pods[p as usize].epoch;
                self.pods[p as usize] = Pod::new(spec, now, ready_at, epoch, revision);
                p as usize
            }
            None => {
                self.pods.push(Pod::new(spec, now, ready_at, 0, revision));
                self.pods.len() - 1
            }
        }
    }

    /// Pod `p`'s startup ends at `now`, if it is still starting and due
    /// then (a stale event otherwise). Whether it became ready.
    pub(super) fn mark_ready(&mut self, spec: &DeploymentSpec, now: Nanos, p: usize) -> bool {
        let pod = &mut self.pods[p];
        if pod.state != PodState::Starting || pod.ready_at != now {
            return false;
        }
        pod.state = PodState::Ready;
        pod.readiness_changed = now;
        pod.touch(now);
        self.refresh_capacity(spec, now);
        true
    }

    /// Whether pod `p` has no request or job in it.
    pub(super) fn is_idle(&self, p: usize) -> bool {
        self.pods[p].slots.in_flight() + self.pods[p].jobs == 0
    }

    /// Pod `p` takes no new requests and goes when its work ends.
    pub(super) fn start_draining(&mut self, p: usize) {
        self.pods[p].state = PodState::Draining;
    }

    /// Pod `p`'s life ends: holds from its life become stale, its index
    /// reusable. `deaths` counts it (`Pods::deaths`).
    pub(super) fn end_pod(
        &mut self,
        spec: &DeploymentSpec,
        now: Nanos,
        p: usize,
        deaths: &mut u64,
    ) {
        let pod = &mut self.pods[p];
        pod.state = PodState::Gone;
        pod.epoch = pod.epoch.wrapping_add(1);
        *deaths += 1;
        self.free.push(p as u32);
        self.refresh_capacity(spec, now);
    }

    /// Kills pod `p` at once: its waiting requests become orphans, the ones in
    /// service fail at their next step (their hold's epoch no longer
    /// matches). Whether it was serving (ready, or had work in it).
    pub(super) fn kill_pod(
        &mut self,
        spec: &DeploymentSpec,
        now: Nanos,
        p: usize,
        deaths: &mut u64,
    ) -> bool {
        let pod = &mut self.pods[p];
        pod.touch(now);
        let serving = pod.slots.in_flight() + pod.jobs > 0 || pod.state == PodState::Ready;
        let waiting = pod.slots.clear();
        self.orphans
            .extend(waiting.iter().map(|&(r, _)| r).filter(|&r| !is_probe(r)));
        pod.cpu.advance(now, &mut self.cpu_totals);
        pod.cpu.stop_all(&mut self.cpu_stopped);
        self.cpu_stopped.retain(|&r| !is_probe(r));
        self.end_pod(spec, now, p, deaths);
        serving
    }

    /// Restarts pod `p`'s container in place (an OOM kill): its work fails
    /// as with [`Self::kill_pod`], and it starts again with cold caches and
    /// a new epoch at `now`, ready at `ready_at`, keeping its index (its
    /// node and zone), its template revision and its creation time.
    pub(super) fn restart_pod(
        &mut self,
        spec: &DeploymentSpec,
        now: Nanos,
        p: usize,
        ready_at: Nanos,
        deaths: &mut u64,
    ) {
        let pod = &mut self.pods[p];
        pod.touch(now);
        let waiting = pod.slots.clear();
        self.orphans
            .extend(waiting.iter().map(|&(r, _)| r).filter(|&r| !is_probe(r)));
        pod.cpu.advance(now, &mut self.cpu_totals);
        pod.cpu.stop_all(&mut self.cpu_stopped);
        self.cpu_stopped.retain(|&r| !is_probe(r));
        let scheduled = pod.scheduled;
        *pod = Pod::new(spec, now, ready_at, pod.epoch.wrapping_add(1), pod.revision);
        pod.scheduled = scheduled;
        *deaths += 1;
        self.refresh_capacity(spec, now);
    }

    /// Worker slots of the pods that serve (ready or draining).
    pub(super) fn refresh_capacity(&mut self, spec: &DeploymentSpec, now: Nanos) {
        let serving = self
            .pods
            .iter()
            .filter(|p| matches!(p.state, PodState::Ready | PodState::Draining))
            .count() as u64;
        self.occupancy
            .set_capacity(now, serving * u64::from(spec.concurrency));
    }
}

/// The pods behind one load balancer: its target deployments' pods, in order.
pub(super) struct PodView<'a> {
    /// (deployment, weight) of each target.
    pub(super) targets: &'a [(usize, u32)],
    /// All deployments.
    pub(super) deployments: &'a [Deployment],
}

impl PodView<'_> {
    /// Maps a backend index to (deployment, pod).
    #[inline]
    pub(super) fn locate(&self, mut i: usize) -> (usize, usize, u32) {
        if let [(d, w)] = *self.targets {
            return (d, i, w); // one deployment behind the balancer
        }
        for &(d, w) in self.targets {
            let n = self.deployments[d].pods.len();
            if i < n {
                return (d, i, w);
            }
            i -= n;
        }
        unreachable!("backend index beyond the pods behind this balancer")
    }
}

impl Backends for PodView<'_> {
    #[inline]
    fn len(&self) -> usize {
        if let [(d, _)] = *self.targets {
            return self.deployments[d].pods.len();
        }
        self.targets
            .iter()
            .map(|&(d, _)| self.deployments[d].pods.len())
            .sum()
    }
    #[inline]
    fn is_healthy(&self, i: usize) -> bool {
        let (d, p, _) = self.locate(i);
        let pod = &self.deployments[d].pods[p];
        pod.state == PodState::Ready && !pod.unready
    }
    #[inline]
    fn in_flight(&self, i: usize) -> u32 {
        let (d, p, _) = self.locate(i);
        self.deployments[d].pods[p].slots.in_flight()
    }
    #[inline]
    fn weight(&self, i: usize) -> u32 {
        self.locate(i).2
    }
    /// One pass over the targets' pods (the least-connections hot path).
    fn loads(&self, out: &mut Vec<u64>) {
        out.clear();
        for &(d, _) in self.targets {
            out.extend(self.deployments[d].pods.iter().map(|p| {
                if p.state == PodState::Ready && !p.unready {
                    u64::from(p.slots.in_flight())
                } else {
                    u64::MAX
                }
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::balance::Backends;

    #[test]
    fn bulk_loads_match_backend_by_backend() {
        let text = r#"Scenario(
            name: "two", seed: 1, run: (duration: "1s"),
            workload: (users: 10, rps_per_user: 1.0, mix: { "a": 1.0 }),
            components: [
                LoadBalancer(name: "lb", targets: { "api": 1, "web": 1 }),
                Deployment(name: "api", replicas: 3, concurrency: 1),
                Deployment(name: "web", replicas: 2, concurrency: 1),
            ],
            endpoints: { "a": [Lb("lb"), Compute(Exp("1ms"))] },
        )"#;
        let plan =
            crate::scenario::validate(&crate::scenario::parse(text, "two.ron").unwrap()).unwrap();
        let mut deps: Vec<Deployment> = plan.deployments.iter().map(Deployment::new).collect();
        for r in 0..3 {
            deps[0].pods[1].slots.admit(r, Nanos::ZERO); // one busy, two queued
        }
        deps[1].pods[0].state = PodState::Draining;
        let targets = [(1, 1), (0, 1)];
        let view = PodView {
            targets: &targets,
            deployments: &deps,
        };
        let mut bulk = Vec::new();
        view.loads(&mut bulk);
        let one_by_one: Vec<u64> = (0..view.len())
            .map(|i| {
                if view.is_healthy(i) {
                    u64::from(view.in_flight(i))
                } else {
                    u64::MAX
                }
            })
            .collect();
        assert_eq!(bulk, one_by_one);
        assert_eq!(bulk, [u64::MAX, 0, 0, 3, 0]);
    }

    #[test]
    fn the_hpa_reads_a_failed_readiness_probe_as_kubernetes_does() {
        use crate::algo::hpa::{
            resource_utilization_replicas, ControllerConfig, PodMetric, PodPhase, PodSample,
            ResourceName, Tolerances,
        };
        let text = r#"Scenario(
            name: "probed", seed: 1, run: (duration: "1s"),
            workload: (users: 10, rps_per_user: 1.0, mix: { "a": 1.0 }),
            components: [
                LoadBalancer(name: "lb", targets: { "api": 1 }),
                Deployment(name: "api", replicas: 3, concurrency: 1, startup: "20s"),
            ],
            endpoints: { "a": [Lb("lb"), Compute(Exp("1ms"))] },
        )"#;
        let plan = crate::scenario::validate(&crate::scenario::parse(text, "probed.ron").unwrap())
            .unwrap();
        let spec = &plan.deployments[0];
        let s = Nanos::from_secs;
        let mut dep = Deployment::new(spec);
        dep.pods.push(Pod::new(spec, Nanos::ZERO, s(20), 0, 0));
        let p = dep.pods.len() - 1;
        let condition = |p: &Pod| {
            let c = p.ready_condition();
            (c.ready, c.last_transition)
        };
        assert_eq!(condition(&dep.pods[p]), (false, Nanos::ZERO), "starting");
        assert!(dep.mark_ready(spec, s(20), p));
        let mut pod = dep.pods[p].clone();
        assert_eq!(
            condition(&pod),
            (true, s(20)),
            "ready since its start-up ended"
        );
        // Its readiness probe fails at 100 s (what probes.rs records).
        pod.unready = true;
        pod.readiness_changed = s(100);
        assert_eq!(condition(&pod), (false, s(100)));
        // The HPA (groupPods, CPU) at 120 s, inside the 5-minute CPU
        // initialization period, sets the unready pod's sample aside and, on a
        // scale-up, counts it at 0% (replica_calculator.go). Ready pods at
        // 900m and 700m of 1000m, target 40%: with the unready pod at 0%,
        // 1600 x 100 / 3000 = 53% -> 53 / 40 x 3 = 3.975 -> 4 pods; counted
        // as ready at its 300m, 63% -> 4.725 -> 5.
        let sample = |usage: i64, c: Option<ReadyCondition>| PodSample {
            phase: PodPhase::Running,
            deleting: false,
            start_time: Some(Nanos::ZERO),
            ready: c,
            metric: Some(PodMetric {
                value_milli: usage,
                timestamp: s(120),
                window: s(15),
            }),
            request_milli: Some(1000),
        };
        let ready_pod = |u| {
            sample(
                u,
                Some(ReadyCondition {
                    ready: true,
                    last_transition: s(20),
                }),
            )
        };
        let replicas = |pods: &[PodSample], now| {
            resource_utilization_replicas(
                now,
                3,
                40,
                ResourceName::Cpu,
                Tolerances::both(0.1),
                pods,
                &ControllerConfig::default(),
            )
            .unwrap()
            .0
        };
        let pods = [
            ready_pod(900),
            ready_pod(700),
            sample(300, Some(pod.ready_condition())),
        ];
        assert_eq!(replicas(&pods, s(120)), 4);
        let counted = [ready_pod(900), ready_pod(700), ready_pod(300)];
        assert_eq!(replicas(&counted, s(120)), 5);
        // Recovered at 130 s: ready again, changed then.
        pod.unready = false;
        pod.readiness_changed = s(130);
        assert_eq!(condition(&pod), (true, s(130)));
        // A restarted container (liveness) is a new start: false since the restart.
        let restarted = Pod::new(spec, s(200), s(220), 1, 0);
        assert_eq!(condition(&restarted), (false, s(200)));
    }

    #[test]
    fn a_pod_out_of_the_targets_gets_nothing_from_any_strategy() {
        use crate::algo::balance::Strategy;
        let text = r#"Scenario(
            name: "four", seed: 1, run: (duration: "1s"),
            workload: (users: 10, rps_per_user: 1.0, mix: { "a": 1.0 }),
            components: [
                LoadBalancer(name: "lb", targets: { "api": 1 }),
                Deployment(name: "api", replicas: 4, concurrency: 1),
            ],
            endpoints: { "a": [Lb("lb"), Compute(Exp("1ms"))] },
        )"#;
        let plan =
            crate::scenario::validate(&crate::scenario::parse(text, "four.ron").unwrap()).unwrap();
        let mut deps: Vec<Deployment> = plan.deployments.iter().map(Deployment::new).collect();
        deps[0].pods[2].unready = true; // its readiness probe failed
        let targets = [(0, 1)];
        let view = PodView {
            targets: &targets,
            deployments: &deps,
        };
        for strategy in [
            Strategy::RoundRobin,
            Strategy::Random,
            Strategy::LeastConnections,
            Strategy::Weighted,
            Strategy::PowerOfTwoChoices,
        ] {
            let mut b = Balancer::new(strategy);
            let mut rng = stream(1, "test");
            let mut per_pod = [0u32; 4];
            for _ in 0..3000 {
                per_pod[b.pick(&view, &mut rng).unwrap()] += 1;
            }
            assert_eq!(per_pod[2], 0, "{strategy:?}: {per_pod:?}");
            assert!(
                per_pod.iter().enumerate().all(|(p, &n)| p == 2 || n > 500),
                "{strategy:?}: {per_pod:?}"
            );
        }
        // Back in the targets, it gets its share again.
        deps[0].pods[2].unready = false;
        let view = PodView {
            targets: &targets,
            deployments: &deps,
        };
        let mut b = Balancer::new(Strategy::RoundRobin);
        let mut rng = stream(1, "test");
        let picks: Vec<usize> = (0..8).map(|_| b.pick(&view, &mut rng).unwrap()).collect();
        assert_eq!(picks.iter().filter(|&&p| p == 2).count(), 2, "{picks:?}");
    }
}
