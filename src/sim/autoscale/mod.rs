//! The autoscaling family: the pod lifecycle decisions, the HPA loop
//! (src/algo/hpa), node packing, spot reclaims, zones and the
//! PodDisruptionBudget, one [`Scaling`] per deployment (by plan index).
//!
//! ```text
//!  schedule ──startup──▶ Ready ──scale-down / eviction──▶ Draining ──in-flight = 0──▶ Gone
//!     │ (costs from here)   ▲ LB picks only these             (no new requests)        │
//!     └─────────────────────┴──────────── index reused from the free list ◀────────────┘
//!
//!  every sync period: per-pod samples (busy worker time / capacity, memory, rps)
//!      ──▶ Autoscaler::reconcile_at ──▶ desired ──▶ reconcile pods toward desired
//!  spot node: Exp(reclaims_per_hour) ──▶ notice: evict its pods (PDB permitting),
//!      replacements scheduled ──▶ notice ends: node gone, pods still on it die
//!  zones: a new pod goes to the up zone with the fewest pods (maxSkew 1);
//!      ZoneDown kills the zone's pods and keeps new ones out until it is back
//!  Deploy: new-template pods up to desired + surge, old ones drained while
//!      ready >= desired - unavailable, one controller sync per instant
//! ```
//!
//! The pods themselves belong to the pods family (`deployment.rs`); this
//! family decides when one is added, becomes ready, drains, goes or is
//! killed, and calls the pods family's lifecycle methods to do it
//! ([`Controller`] pairs a deployment's pods with its [`Scaling`] for that).
//! What it keeps per pod is where the pod runs ([`Placement`]) and the
//! counts by state and zone ([`Census`]).
//!
//! Parts: `lifecycle` (reconcile toward the desired count, PDB, kills),
//! `hpa` (the metrics sampled, the algorithm applied, HPA replays),
//! `nodes` (packing, spot notices, pod- and node-time), `zones` (spread,
//! `ZoneDown`, the census), `restarts` (OOM-killed pods restarted in place
//! with the kubelet's back-off), `probes` (the kubelet's readiness and
//! liveness probes), `rollout` (rolling updates).

mod hpa;
mod lifecycle;
mod nodes;
mod probes;
mod restarts;
mod rollout;
mod zones;

pub use hpa::{replay_hpa, replay_queue_hpa};
pub(super) use probes::{is_probe, PROBE_TOKENS};

use super::deployment::Deployment;
use super::event::{Event, U16, U32};
use super::families::{Family, StationSamples};
use super::interpreter::Sim;
use crate::algo::hpa::{Autoscaler, ControllerConfig};
use crate::algo::Nanos;
use crate::engine::{stream, Rng};
use crate::metrics::{round6, ErrorCause, LatencyHistogram};
use crate::report::{PodMemoryReport, ReplicaRow, Report, ScalingEvent, ScalingReport};
use crate::scenario::units::IntOrPercent;
use crate::scenario::{DeploymentSpec, FaultKind, Plan};
use nodes::{Node, Placement};
use probes::Kubelet;
use rand::RngExt;
use restarts::{CrashLoop, OomCounts};
use rollout::error_rate;
use zones::Census;

/// An autoscaling event of deployment `.0`.
#[derive(Copy, Clone, Debug)]
#[repr(u8)]
pub(super) enum AutoscaleEvent {
    /// The deployment's HPA syncs.
    HpaSync(U16),
    /// A pod's startup ends: (deployment, pod).
    PodReady(U16, U32),
    /// A spot node gets its termination notice: (deployment, node).
    NodeNotice(U16, U32),
    /// A node under notice goes: (deployment, node).
    NodeGone(U16, U32),
    /// The Deployment controller syncs a rollout of the deployment.
    RolloutSync(U16),
    /// A probe is due: (deployment, pod x 2 + kind).
    ProbeDue(U16, U32),
    /// The kubelet gives up on a probe: (deployment, pod x 2 + kind).
    ProbeTimeout(U16, U32),
}

/// Something the simulator must schedule for a deployment.
#[derive(Copy, Clone, Debug)]
enum Pending {
    PodReady(u32),
    NodeNotice(u32),
    NodeGone(u32),
    RolloutSync,
    ProbeDue(u32),
    ProbeTimeout(u32),
}

/// The autoscaling family's state: one [`Scaling`] per deployment, in plan order.
pub(super) struct Autoscaling {
    scaling: Vec<Scaling>,
    /// Rollouts in progress (their requests are measured apart).
    rolling: u32,
    /// With a `Deploy` in the plan: the latency of the successes and the
    /// failures that ended while no rollout ran (what a rollout's figures
    /// are compared with).
    outside: Option<(LatencyHistogram, u64)>,
}

impl Autoscaling {
    /// Every deployment's scaling state at time zero, its pods placed.
    pub(super) fn new(plan: &Plan) -> Autoscaling {
        Autoscaling {
            scaling: plan
                .deployments
                .iter()
                .map(|d| Scaling::new(d, plan.seed))
                .collect(),
            rolling: 0,
            outside: plan
                .faults
                .iter()
                .any(|f| matches!(f.kind, FaultKind::Deploy { .. }))
                .then(|| (LatencyHistogram::new(3), 0)),
        }
    }

    /// Whether requests are measured for rollouts (the plan has one).
    #[inline]
    pub(super) fn measures_rollouts(&self) -> bool {
        self.outside.is_some()
    }

    /// A request ended now (`Some(latency)`: it succeeded): each running
    /// rollout counts it, or, with none running, the figures outside them.
    pub(super) fn observe(&mut self, outcome: Option<Nanos>) {
        if self.rolling == 0 {
            if let Some((latency, errors)) = self.outside.as_mut() {
                match outcome {
                    Some(t) => latency.record(t),
                    None => *errors += 1,
                }
            }
            return;
        }
        for r in self.scaling.iter_mut().filter_map(|s| s.rollout.as_mut()) {
            r.observe(outcome);
        }
    }
}

impl Family for Autoscaling {
    fn tick(&mut self, now: Nanos, _stations: &mut StationSamples) {
        for s in &mut self.scaling {
            s.record_replicas(now);
        }
    }

    fn report(&mut self, plan: &Plan, now: Nanos, report: &mut Report) {
        report.scaling = plan
            .deployments
            .iter()
            .zip(&mut self.scaling)
            .map(|(spec, s)| s.scaling_report(spec, now))
            .collect();
        if let Some((latency, errors)) = &self.outside {
            let p99_ms = latency.summary().p99_ms;
            let rate = error_rate(*errors, latency.count());
            for r in report.scaling.iter_mut().flat_map(|s| &mut s.rollouts) {
                (r.p99_outside_ms, r.error_rate_outside) = (p99_ms, rate);
            }
        }
    }
}

/// Autoscaling and capacity state of one deployment.
pub(super) struct Scaling {
    hpa: Option<Autoscaler>,
    /// The Deployment's `spec.replicas`.
    desired: u32,
    /// Where each pod runs, by the pods family's pod index.
    placed: Vec<Placement>,
    /// Pods starting and ready, in all and per zone.
    census: Census,
    nodes: Vec<Node>,
    free_nodes: Vec<u32>,
    /// Draws spot nodes' reclaim times (with a spot share and a reclaim rate).
    spot_rng: Option<Rng>,
    /// To schedule: (time, what).
    pending: Vec<(Nanos, Pending)>,
    events: Vec<ScalingEvent>,
    series: Vec<ReplicaRow>,
    /// [on-demand, spot] pods and nodes alive, and their areas (count x ns).
    live_pods: [u64; 2],
    live_nodes: [u64; 2],
    pod_area: [u128; 2],
    node_area: [u128; 2],
    last: Nanos,
    pods_killed: u64,
    reclaims: u64,
    /// Per zone, the `ZoneDown` faults holding it down (0: up).
    zone_down: Vec<u32>,
    /// Picks the victims of `KillPods` faults.
    kill_rng: Rng,
    /// Picks the nodes of `ReclaimSpot` faults.
    reclaim_rng: Rng,
    /// Per HPA metric: the sum of the usage ratios (metric / target) its
    /// syncs saw, and how many.
    usage: Vec<(f64, u32)>,
    /// Per pod, its crash loop (OOM kills).
    crash: Vec<CrashLoop>,
    /// OOM kills, restarts and the peak pod memory seen.
    oom: OomCounts,
    /// The pod template revision new pods get (a `Deploy` makes a new one).
    revision: u16,
    /// The rolling update in progress, if any.
    rollout: Option<rollout::Rollout>,
    /// Rollouts ended (completed or overtaken), their reports.
    rollouts: Vec<crate::report::RolloutReport>,
    /// The kubelet's probes (with `probes` in the spec).
    probes: Option<Kubelet>,
}

impl Scaling {
    /// The scaling state of `spec` at time zero, its `replicas` ready pods
    /// (indices `0..replicas` of the pods family) placed.
    fn new(spec: &DeploymentSpec, seed: u64) -> Scaling {
        let hpa = spec.hpa.as_ref().map(|h| {
            Autoscaler::with_config(
                h.spec.clone(),
                ControllerConfig {
                    sync_period: h.sync_period,
                    ..ControllerConfig::default()
                },
            )
        });
        let spot_rng = spec
            .nodes
            .as_ref()
            .filter(|n| n.spot_fraction > 0.0 && n.reclaims_per_hour > 0.0)
            .map(|_| stream(seed, &format!("spot/{}", spec.name)));
        let mut s = Scaling {
            hpa,
            desired: spec.replicas,
            placed: Vec::new(),
            census: Census::new(spec.zones.len()),
            nodes: Vec::new(),
            free_nodes: Vec::new(),
            spot_rng,
            pending: Vec::new(),
            events: Vec::new(),
            series: Vec::new(),
            live_pods: [0; 2],
            live_nodes: [0; 2],
            pod_area: [0; 2],
            node_area: [0; 2],
            last: Nanos::ZERO,
            pods_killed: 0,
            reclaims: 0,
            zone_down: vec![0; spec.zones.len()],
            kill_rng: stream(seed, &format!("faults/kill/{}", spec.name)),
            reclaim_rng: stream(seed, &format!("faults/reclaim/{}", spec.name)),
            usage: Vec::new(),
            crash: Vec::new(),
            oom: OomCounts::default(),
            revision: 0,
            rollout: None,
            rollouts: Vec::new(),
            probes: spec.probes.as_ref().map(|_| Kubelet::new(seed)),
        };
        for p in 0..spec.replicas as usize {
            s.place(spec, Nanos::ZERO, p, super::deployment::PodState::Ready);
        }
        s
    }

    /// Appends the replica row for the bucket ending at `now`.
    fn record_replicas(&mut self, now: Nanos) {
        let row = ReplicaRow {
            t_s: round6(now.as_secs_f64()),
            desired: self.desired,
            ready: self.census.ready,
            starting: self.census.starting,
            nodes: (self.live_nodes[0] + self.live_nodes[1]) as u32,
            zones: self.census.ready_in_zone.clone(),
        };
        self.series.push(row);
    }

    /// The deployment's scaling report at the end of the run.
    fn scaling_report(&mut self, spec: &DeploymentSpec, now: Nanos) -> ScalingReport {
        self.account(now);
        let secs = |a: u128| round6(a as f64 / 1e9);
        ScalingReport {
            name: spec.name.clone(),
            autoscaled: spec.hpa.is_some(),
            cpu_target_percent: spec.hpa.as_ref().and_then(|h| cpu_target_percent(&h.spec)),
            pod_seconds_on_demand: secs(self.pod_area[0]),
            pod_seconds_spot: secs(self.pod_area[1]),
            node_hours_on_demand: round6(self.node_area[0] as f64 / 3.6e12),
            node_hours_spot: round6(self.node_area[1] as f64 / 3.6e12),
            spot_reclaims: self.reclaims,
            pods_killed: self.pods_killed,
            events: std::mem::take(&mut self.events),
            series: std::mem::take(&mut self.series),
            zones: spec.zones.clone(),
            resources: None,
            memory: spec.memory_limit_mib.map(|limit| PodMemoryReport {
                limit_mib: round6(limit),
                peak_mib: round6(self.oom.peak_mib),
                oom_kills: self.oom.kills,
                restarts: self.oom.restarts,
            }),
            hpa_usage: self
                .usage
                .iter()
                .map(|&(sum, n)| if n == 0 { 0.0 } else { sum / f64::from(n) })
                .collect(),
            rollouts: self.rollout_reports(),
            probes: self.probes.as_ref().map(Kubelet::report),
        }
    }
}

/// One deployment's pods (the pods family) with its scaling state: what the
/// autoscaling decisions act on.
struct Controller<'a> {
    spec: &'a DeploymentSpec,
    dep: &'a mut Deployment,
    s: &'a mut Scaling,
    /// The pods family's count of ended pods (`Pods::deaths`).
    deaths: &'a mut u64,
}

impl Sim<'_> {
    /// Deployment `d`'s controller.
    fn controller(&mut self, d: usize) -> Controller<'_> {
        let plan = self.plan;
        let pods = &mut self.families.pods;
        Controller {
            spec: &plan.deployments[d],
            dep: &mut pods.deployments[d],
            s: &mut self.families.autoscale.scaling[d],
            deaths: &mut pods.deaths,
        }
    }

    /// Schedules the first HPA syncs and any initial node notices.
    pub(super) fn start_scaling(&mut self) {
        for (d, spec) in self.plan.deployments.iter().enumerate() {
            if let Some(h) = &spec.hpa {
                self.queue.schedule(
                    h.sync_period,
                    Event::Autoscale(AutoscaleEvent::HpaSync((d as u16).into())),
                );
            }
        }
        for d in 0..self.plan.deployments.len() {
            let mut c = self.controller(d);
            if c.spec.probes.is_some() {
                for p in 0..c.spec.replicas as usize {
                    c.start_probing(Nanos::ZERO, p);
                }
            }
            self.flush_scaling(Nanos::ZERO, d);
        }
    }

    /// Hands a deployment's pending happenings to the queue, fails the
    /// requests orphaned by its pods' deaths and tells its job queues.
    fn flush_scaling(&mut self, now: Nanos, d: usize) {
        let end = self.plan.duration;
        let mut pending = std::mem::take(&mut self.families.autoscale.scaling[d].pending);
        for (t, what) in pending.drain(..) {
            if t < end {
                let dep = (d as u16).into();
                let event = match what {
                    Pending::PodReady(p) => AutoscaleEvent::PodReady(dep, p.into()),
                    Pending::NodeNotice(n) => AutoscaleEvent::NodeNotice(dep, n.into()),
                    Pending::NodeGone(n) => AutoscaleEvent::NodeGone(dep, n.into()),
                    Pending::RolloutSync => AutoscaleEvent::RolloutSync(dep),
                    Pending::ProbeDue(x) => AutoscaleEvent::ProbeDue(dep, x.into()),
                    Pending::ProbeTimeout(x) => AutoscaleEvent::ProbeTimeout(dep, x.into()),
                };
                self.queue.schedule(t, Event::Autoscale(event));
            }
        }
        self.families.autoscale.scaling[d].pending = pending;
        let scaling = &self.families.autoscale.scaling;
        self.families.autoscale.rolling =
            scaling.iter().filter(|s| s.rollout.is_some()).count() as u32;
        while let Some(r) = self.families.pods.deployments[d].orphans.pop() {
            self.families.pods.deployments[d].occupancy.abandon(now);
            self.fail(now, r, ErrorCause::PodKilled);
        }
        let stopped = &mut self.families.pods.deployments[d].cpu_stopped;
        self.ready.extend(stopped.drain(..)); // they fail at their next step
        self.workers_changed(now, d);
    }

    /// Handles an autoscaling event.
    pub(super) fn autoscale_event(&mut self, now: Nanos, event: AutoscaleEvent) {
        let d = match event {
            AutoscaleEvent::HpaSync(d) => {
                let d = d.get() as usize;
                let plan = self.plan;
                let spec = &plan.deployments[d];
                let depth = spec
                    .hpa
                    .as_ref()
                    .and_then(|h| h.queue)
                    .map_or(0, |q| self.families.jobs.queues[q].depth());
                let l1_mib = self.l1_mib_per_pod(d);
                self.controller(d).hpa_sync(now, depth, &l1_mib);
                if let Some(h) = &spec.hpa {
                    let next = now.saturating_add(h.sync_period);
                    if next < plan.duration {
                        self.queue.schedule(
                            next,
                            Event::Autoscale(AutoscaleEvent::HpaSync((d as u16).into())),
                        );
                    }
                }
                d
            }
            AutoscaleEvent::PodReady(d, p) => {
                let d = d.get() as usize;
                self.controller(d).pod_ready(now, p.get() as usize);
                d
            }
            AutoscaleEvent::NodeNotice(d, n) => {
                let d = d.get() as usize;
                self.controller(d).node_notice(now, n.get() as usize);
                d
            }
            AutoscaleEvent::NodeGone(d, n) => {
                let d = d.get() as usize;
                self.controller(d).node_gone(now, n.get() as usize);
                d
            }
            AutoscaleEvent::RolloutSync(d) => {
                let d = d.get() as usize;
                self.controller(d).rollout_sync(now);
                d
            }
            AutoscaleEvent::ProbeDue(d, x) => {
                let (d, (p, kind)) = (d.get() as usize, probes::split(x.get()));
                self.probe_due(now, d, p, kind);
                d
            }
            AutoscaleEvent::ProbeTimeout(d, x) => {
                let (d, (p, kind)) = (d.get() as usize, probes::split(x.get()));
                let end = self.plan.duration;
                self.controller(d).probe_timeout(now, p, kind, end);
                d
            }
        };
        self.flush_scaling(now, d);
    }

    /// Starts (`on`) or ends a `ZoneDown` fault on zone `z` of deployment `d`.
    pub(super) fn zone_down(&mut self, now: Nanos, d: usize, z: u8, on: bool) {
        self.controller(d).zone_fault(now, z as usize, on);
        self.flush_scaling(now, d);
    }

    /// Pod `p` of deployment `d` went over its memory limit: OOM-killed.
    pub(super) fn oom_kill(&mut self, now: Nanos, d: usize, p: usize) {
        let end = self.plan.duration;
        self.controller(d).oom_kill(now, p, end);
        self.flush_scaling(now, d);
    }

    /// Keeps deployment `d`'s peak pod memory (MiB) up to date.
    pub(super) fn note_memory(&mut self, d: usize, mib: f64) {
        let peak = &mut self.families.autoscale.scaling[d].oom.peak_mib;
        *peak = peak.max(mib);
    }

    /// A `KillPods` fault kills `count` ready pods of deployment `d`.
    pub(super) fn kill_pods(&mut self, now: Nanos, d: usize, count: u32) {
        self.controller(d).kill_ready(now, count);
        self.flush_scaling(now, d);
    }

    /// A `ReclaimSpot` fault gives spot nodes of deployment `d` their notice.
    pub(super) fn reclaim_spot(&mut self, now: Nanos, d: usize, count: Option<u32>, fraction: f64) {
        self.controller(d).reclaim(now, count, fraction);
        self.flush_scaling(now, d);
    }

    /// A `Deploy` (fault `fault`) starts a rolling update of deployment `d`.
    pub(super) fn deploy(
        &mut self,
        now: Nanos,
        d: usize,
        fault: usize,
        max_surge: IntOrPercent,
        max_unavailable: IntOrPercent,
    ) {
        let s = &mut self.families.autoscale.scaling[d];
        let active = s.census.starting + s.census.ready;
        s.start_rollout(now, fault, max_surge, max_unavailable, active);
        self.flush_scaling(now, d);
    }

    /// A request or job left pod `p` of deployment `d`: a draining pod goes
    /// once empty.
    pub(super) fn check_drained(&mut self, now: Nanos, d: usize, p: usize) {
        let dep = &self.families.pods.deployments[d];
        if dep.pods[p].state == super::deployment::PodState::Draining && dep.is_idle(p) {
            self.controller(d).drained(now, p);
            self.flush_scaling(now, d);
        }
    }
}

/// Moves `k` items picked uniformly at random (a partial Fisher-Yates
/// shuffle) to the front of `items` and drops the rest.
fn choose(rng: &mut Rng, items: &mut Vec<usize>, k: usize) {
    let k = k.min(items.len());
    for i in 0..k {
        let j = rng.random_range(i..items.len());
        items.swap(i, j);
    }
    items.truncate(k);
}

/// The CPU utilization target of `hpa`, percent, if it scales on one.
fn cpu_target_percent(hpa: &crate::algo::hpa::HpaSpec) -> Option<f64> {
    use crate::algo::hpa::{MetricSpec, ResourceName};
    hpa.with_defaults().metrics.iter().find_map(|m| match m {
        MetricSpec::ResourceUtilization {
            resource: ResourceName::Cpu,
            target_average_utilization,
        } => Some(f64::from(*target_average_utilization)),
        _ => None,
    })
}
