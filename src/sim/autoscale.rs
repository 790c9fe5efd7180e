//! Autoscaling and capacity: the pod lifecycle, the HPA loop (src/algo/hpa),
//! node packing, spot reclaims and the PodDisruptionBudget.
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
//! ```
//!
//! The PDB limits only the drain (the eviction API); scale-down ignores it,
//! as the ReplicaSet controller deletes pods without evicting them.
//!
//! Memory model: a pod uses `base_memory_mib` plus `per_request_mib` for each
//! request in it (in service or queued), averaged over the sample window.
//! The cluster autoscaler is idealised: a node appears when a pod does not
//! fit (its delay is part of the pod's `startup`) and goes when it is empty.

use super::deployment::{Deployment, Pod, PodState, UNPLACED};
use super::event::{Event, U16, U32};
use super::interpreter::Sim;
use crate::algo::hpa::{
    Autoscaler, ControllerConfig, MetricInput, MetricSpec, PodMetric, PodPhase, PodSample,
    ReadyCondition, ResourceName,
};
use crate::algo::Nanos;
use crate::engine::{stream, unit_open, Rng};
use crate::metrics::{round6, ErrorCause};
use crate::report::{ReplicaRow, ScalingEvent, ScalingReport};
use crate::scenario::{DeploymentSpec, Plan};
use rand::RngExt;

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
}

/// A node's state.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum NodeState {
    Live,
    /// Got its termination notice; goes at `gone_at`.
    Terminating,
    /// Released; index reusable.
    Free,
}

/// One node of a deployment's pool.
#[derive(Clone, Debug)]
struct Node {
    spot: bool,
    pods: u32,
    state: NodeState,
    reclaim_at: Nanos,
    gone_at: Nanos,
    /// Availability zone index (0 when no zones are modelled).
    zone: u8,
}

/// Something the simulator must schedule for a deployment.
#[derive(Copy, Clone, Debug)]
pub(super) enum Pending {
    PodReady(u32),
    NodeNotice(u32),
    NodeGone(u32),
}

/// Autoscaling and capacity state of one deployment.
pub(super) struct Scaling {
    hpa: Option<Autoscaler>,
    /// The Deployment's `spec.replicas`.
    pub(super) desired: u32,
    /// Pods whose life has ended so far (0: no held epoch can be stale).
    pub(super) gone: u64,
    free: Vec<u32>,
    nodes: Vec<Node>,
    free_nodes: Vec<u32>,
    rng: Option<Rng>,
    /// To schedule: (time, what).
    pub(super) pending: Vec<(Nanos, Pending)>,
    /// Requests that were queued in pods that died; the simulator fails them.
    pub(super) orphans: Vec<u32>,
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
}

impl Scaling {
    pub(super) fn new(spec: &DeploymentSpec, seed: u64) -> Scaling {
        let hpa = spec.hpa.as_ref().map(|h| {
            Autoscaler::with_config(
                h.spec.clone(),
                ControllerConfig {
                    sync_period: h.sync_period,
                    ..ControllerConfig::default()
                },
            )
        });
        let rng = spec
            .nodes
            .as_ref()
            .filter(|n| n.spot_fraction > 0.0 && n.reclaims_per_hour > 0.0)
            .map(|_| stream(seed, &format!("spot/{}", spec.name)));
        Scaling {
            hpa,
            desired: spec.replicas,
            gone: 0,
            free: Vec::new(),
            nodes: Vec::new(),
            free_nodes: Vec::new(),
            rng,
            pending: Vec::new(),
            orphans: Vec::new(),
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
        }
    }
}

impl Deployment {
    /// Places the pods that exist at time zero.
    pub(super) fn place_initial(&mut self, spec: &DeploymentSpec) {
        for p in 0..self.pods.len() {
            self.place(spec, Nanos::ZERO, p);
        }
    }

    /// Brings pod- and node-time up to `now`.
    fn account(&mut self, now: Nanos) {
        let s = &mut self.scale;
        let dt = u128::from(now.0.saturating_sub(s.last.0));
        for k in 0..2 {
            s.pod_area[k] += u128::from(s.live_pods[k]) * dt;
            s.node_area[k] += u128::from(s.live_nodes[k]) * dt;
        }
        s.last = now;
    }

    /// The up zone with the fewest placed pods (starting or ready), the
    /// lowest index on ties: where a topology spread constraint with maxSkew
    /// 1 puts the next pod. `None` when every zone is down; `Some(0)`
    /// without zones.
    fn pick_zone(&self, spec: &DeploymentSpec) -> Option<u8> {
        if spec.zones.is_empty() {
            return Some(0);
        }
        let mut counts = vec![0u32; spec.zones.len()];
        for pod in &self.pods {
            if pod.zone != UNPLACED && matches!(pod.state, PodState::Starting | PodState::Ready) {
                counts[pod.zone as usize] += 1;
            }
        }
        (0..spec.zones.len())
            .filter(|&z| self.scale.zone_down[z] == 0)
            .min_by_key(|&z| counts[z])
            .map(|z| z as u8)
    }

    /// Puts pod `p` in a zone (see [`Deployment::pick_zone`]) and on a node
    /// there (first fit; a new node when none has room).
    fn place(&mut self, spec: &DeploymentSpec, now: Nanos, p: usize) {
        self.account(now);
        let zone = self.pick_zone(spec).unwrap_or(0);
        self.pods[p].zone = zone;
        let Some(pool) = &spec.nodes else {
            self.scale.live_pods[0] += 1;
            return;
        };
        let s = &mut self.scale;
        let fit = s.nodes.iter().position(|n| {
            n.state == NodeState::Live && n.zone == zone && n.pods < pool.pods_per_node
        });
        let n = match fit {
            Some(n) => n,
            None => {
                let live = s.live_nodes[0] + s.live_nodes[1];
                // Spot while the spot share, this node included, stays within the fraction.
                let spot =
                    (s.live_nodes[1] + 1) as f64 <= pool.spot_fraction * (live + 1) as f64 + 1e-9;
                let reclaim_at = match (&mut s.rng, spot) {
                    (Some(rng), true) => {
                        let hours = -unit_open(rng).ln() / pool.reclaims_per_hour;
                        now.saturating_add(Nanos::from_secs_f64((hours * 3600.0).min(1e9)))
                    }
                    _ => Nanos::MAX,
                };
                let node = Node {
                    spot,
                    pods: 0,
                    state: NodeState::Live,
                    reclaim_at,
                    gone_at: Nanos::MAX,
                    zone,
                };
                let n = match s.free_nodes.pop() {
                    Some(n) => {
                        s.nodes[n as usize] = node;
                        n as usize
                    }
                    None => {
                        s.nodes.push(node);
                        s.nodes.len() - 1
                    }
                };
                s.live_nodes[usize::from(spot)] += 1;
                if reclaim_at != Nanos::MAX {
                    s.pending.push((reclaim_at, Pending::NodeNotice(n as u32)));
                }
                n
            }
        };
        s.nodes[n].pods += 1;
        let spot = s.nodes[n].spot;
        s.live_pods[usize::from(spot)] += 1;
        self.pods[p].node = n as u32;
        self.pods[p].spot = spot;
    }

    /// Worker slots of the pods that serve (ready or draining).
    fn refresh_capacity(&mut self, spec: &DeploymentSpec, now: Nanos) {
        let serving = self
            .pods
            .iter()
            .filter(|p| matches!(p.state, PodState::Ready | PodState::Draining))
            .count() as u64;
        self.occupancy
            .set_capacity(now, serving * u64::from(spec.concurrency));
    }

    fn count(&self, state: PodState) -> u32 {
        self.pods.iter().filter(|p| p.state == state).count() as u32
    }

    /// Schedules a new pod at `now` (none while every zone is down: it stays
    /// pending, costs nothing, and is scheduled when a zone comes back).
    fn schedule_pod(&mut self, spec: &DeploymentSpec, now: Nanos) {
        if self.pick_zone(spec).is_none() {
            return;
        }
        let ready_at = now.saturating_add(spec.startup);
        let p = match self.scale.free.pop() {
            Some(p) => {
                let epoch = self.pods[p as usize].epoch;
                self.pods[p as usize] = Pod::new(spec, now, ready_at, epoch);
                p as usize
            }
            None => {
                self.pods.push(Pod::new(spec, now, ready_at, 0));
                self.pods.len() - 1
            }
        };
        self.place(spec, now, p);
        if ready_at > now {
            self.scale
                .pending
                .push((ready_at, Pending::PodReady(p as u32)));
        } else {
            self.refresh_capacity(spec, now);
        }
    }

    /// The pod's life ends; its index becomes reusable.
    fn pod_gone(&mut self, spec: &DeploymentSpec, now: Nanos, p: usize) {
        self.account(now);
        let pod = &mut self.pods[p];
        pod.state = PodState::Gone;
        pod.epoch = pod.epoch.wrapping_add(1);
        let (node, spot) = (pod.node as usize, pod.spot);
        let s = &mut self.scale;
        s.gone += 1;
        s.live_pods[usize::from(spot)] -= 1;
        s.free.push(p as u32);
        if spec.nodes.is_some() {
            s.nodes[node].pods -= 1;
            if s.nodes[node].pods == 0 && s.nodes[node].state == NodeState::Live {
                s.nodes[node].state = NodeState::Free;
                s.live_nodes[usize::from(spot)] -= 1;
                s.free_nodes.push(node as u32);
            }
        }
        self.refresh_capacity(spec, now);
    }

    /// Kills pod `p` at once: its waiting requests become orphans, the ones in
    /// service fail at their next step (their hold's epoch no longer matches).
    fn kill_pod(&mut self, spec: &DeploymentSpec, now: Nanos, p: usize) {
        let pod = &mut self.pods[p];
        pod.touch(now);
        if pod.slots.in_flight() + pod.jobs > 0 || pod.state == PodState::Ready {
            self.scale.pods_killed += 1;
        }
        let waiting = pod.slots.clear();
        self.scale.orphans.extend(waiting.iter().map(|&(r, _)| r));
        pod.cpu.advance(now, &mut self.cpu_totals);
        pod.cpu.stop_all(&mut self.cpu_stopped);
        self.pod_gone(spec, now, p);
    }

    /// Voluntary removal: drain, or go at once if idle.
    fn remove_pod(&mut self, spec: &DeploymentSpec, now: Nanos, p: usize) {
        if self.pods[p].slots.in_flight() + self.pods[p].jobs == 0 {
            self.pod_gone(spec, now, p);
        } else {
            self.pods[p].state = PodState::Draining;
        }
    }

    /// A draining pod finished its last request.
    pub(super) fn drained(&mut self, spec: &DeploymentSpec, now: Nanos, p: usize) {
        self.pod_gone(spec, now, p);
        self.reconcile(spec, now);
    }

    /// Whether the eviction API lets one more ready pod go: the ready pods
    /// after the eviction stay at or above the PDB's `minAvailable`.
    fn pdb_allows(&self, spec: &DeploymentSpec) -> bool {
        spec.min_available
            .is_none_or(|m| self.count(PodState::Ready) > m)
    }

    /// Moves the pods toward `desired`: evicts pods from nodes under notice
    /// (the node termination handler drains through the eviction API, so the
    /// PDB limits it; a blocked pod is retried here whenever a pod becomes
    /// ready), schedules missing pods, removes excess ones (starting before
    /// ready, newest first). Scale-down ignores the PDB, as the ReplicaSet
    /// controller deletes pods directly.
    pub(super) fn reconcile(&mut self, spec: &DeploymentSpec, now: Nanos) {
        if spec.nodes.is_some() {
            for p in 0..self.pods.len() {
                let pod = &self.pods[p];
                let on_notice = self.scale.nodes[pod.node as usize].state == NodeState::Terminating;
                match pod.state {
                    PodState::Starting if on_notice => self.pod_gone(spec, now, p),
                    PodState::Ready if on_notice && self.pdb_allows(spec) => {
                        self.remove_pod(spec, now, p);
                        self.refresh_capacity(spec, now);
                    }
                    _ => {}
                }
            }
        }
        let active = self.count(PodState::Starting) + self.count(PodState::Ready);
        let desired = self.scale.desired;
        if active < desired {
            for _ in active..desired {
                self.schedule_pod(spec, now);
            }
        } else if active > desired {
            let mut excess = active - desired;
            let mut order: Vec<usize> = (0..self.pods.len())
                .filter(|&p| matches!(self.pods[p].state, PodState::Starting | PodState::Ready))
                .collect();
            // Starting first, then newest first, then highest index.
            order.sort_by_key(|&p| {
                let pod = &self.pods[p];
                (
                    pod.state == PodState::Ready,
                    std::cmp::Reverse(pod.scheduled),
                    std::cmp::Reverse(p),
                )
            });
            for p in order {
                if excess == 0 {
                    break;
                }
                self.remove_pod(spec, now, p);
                excess -= 1;
            }
            self.refresh_capacity(spec, now);
        }
    }

    /// Pod `p`'s startup ended (if the event is still current).
    pub(super) fn pod_ready(&mut self, spec: &DeploymentSpec, now: Nanos, p: usize) {
        let pod = &mut self.pods[p];
        if pod.state == PodState::Starting && pod.ready_at == now {
            pod.state = PodState::Ready;
            pod.touch(now);
            self.refresh_capacity(spec, now);
            self.reconcile(spec, now);
        }
    }

    /// Node `n` gets its termination notice (if the event is still current).
    pub(super) fn node_notice(&mut self, spec: &DeploymentSpec, now: Nanos, n: usize) {
        let Some(pool) = &spec.nodes else { return };
        let node = &mut self.scale.nodes[n];
        if node.state != NodeState::Live
            || (node.reclaim_at != now && node.reclaim_at != Nanos::MAX)
        {
            return;
        }
        self.notice_node(now, n, pool.notice);
        self.reconcile(spec, now);
    }

    fn notice_node(&mut self, now: Nanos, n: usize, notice: Nanos) {
        let node = &mut self.scale.nodes[n];
        node.state = NodeState::Terminating;
        node.gone_at = now.saturating_add(notice);
        self.scale.reclaims += 1;
        self.scale
            .pending
            .push((node.gone_at, Pending::NodeGone(n as u32)));
    }

    /// Node `n`'s notice ran out: whatever is still on it dies.
    pub(super) fn node_gone(&mut self, spec: &DeploymentSpec, now: Nanos, n: usize) {
        let node = &self.scale.nodes[n];
        if node.state != NodeState::Terminating || node.gone_at != now {
            return;
        }
        for p in 0..self.pods.len() {
            if self.pods[p].state != PodState::Gone && self.pods[p].node as usize == n {
                self.kill_pod(spec, now, p);
            }
        }
        self.account(now);
        let s = &mut self.scale;
        // kill_pod may have freed it already through pod_gone? Only Live nodes are freed there.
        if s.nodes[n].state == NodeState::Terminating {
            s.nodes[n].state = NodeState::Free;
            s.live_nodes[usize::from(s.nodes[n].spot)] -= 1;
            s.free_nodes.push(n as u32);
        }
        self.reconcile(spec, now);
    }

    /// A fault: `count` ready pods die, picked at random (the deployment's
    /// `faults/kill/<name>` stream).
    pub(super) fn kill_ready(&mut self, spec: &DeploymentSpec, now: Nanos, count: u32) {
        let mut victims: Vec<usize> = (0..self.pods.len())
            .filter(|&p| self.pods[p].state == PodState::Ready)
            .collect();
        choose(&mut self.scale.kill_rng, &mut victims, count as usize);
        for p in victims {
            self.kill_pod(spec, now, p);
        }
        self.reconcile(spec, now);
    }

    /// A fault: spot nodes get their notice, picked at random (the
    /// deployment's `faults/reclaim/<name>` stream).
    pub(super) fn reclaim(
        &mut self,
        spec: &DeploymentSpec,
        now: Nanos,
        count: Option<u32>,
        fraction: f64,
    ) {
        let Some(pool) = &spec.nodes else { return };
        let mut spot: Vec<usize> = (0..self.scale.nodes.len())
            .filter(|&n| self.scale.nodes[n].spot && self.scale.nodes[n].state == NodeState::Live)
            .collect();
        let k = count.map_or_else(
            || (spot.len() as f64 * fraction).ceil() as usize,
            |c| c as usize,
        );
        choose(&mut self.scale.reclaim_rng, &mut spot, k);
        for n in spot {
            self.notice_node(now, n, pool.notice);
        }
        self.reconcile(spec, now);
    }

    /// Zone `z` goes down (`on`) or comes back. Going down kills every pod
    /// in it at once (as `KillPods` does) and releases its nodes; while down,
    /// no pod is placed there. Coming back places nothing by itself (running
    /// pods are not rebalanced); only pods scheduled afterwards may land there.
    pub(super) fn zone_fault(&mut self, spec: &DeploymentSpec, now: Nanos, z: usize, on: bool) {
        if on {
            self.scale.zone_down[z] += 1;
            if self.scale.zone_down[z] == 1 {
                for p in 0..self.pods.len() {
                    if self.pods[p].state != PodState::Gone && self.pods[p].zone as usize == z {
                        self.kill_pod(spec, now, p);
                    }
                }
                // Nodes under notice there go with the zone (the others went
                // with their last pod).
                self.account(now);
                let s = &mut self.scale;
                for n in 0..s.nodes.len() {
                    if s.nodes[n].zone as usize == z && s.nodes[n].state == NodeState::Terminating {
                        s.nodes[n].state = NodeState::Free;
                        s.live_nodes[usize::from(s.nodes[n].spot)] -= 1;
                        s.free_nodes.push(n as u32);
                    }
                }
            }
        } else {
            self.scale.zone_down[z] = self.scale.zone_down[z].saturating_sub(1);
        }
        self.reconcile(spec, now);
    }

    /// One HPA sync at `now`: samples every pod, runs the algorithm, applies
    /// the new desired count. `queue_depth`: the `hpa.queue` metric's value now.
    pub(super) fn hpa_sync(&mut self, spec: &DeploymentSpec, now: Nanos, queue_depth: u64) {
        let Some(hpa_spec) = &spec.hpa else { return };
        let window = hpa_spec.sync_period;
        let mut cpu = Vec::with_capacity(self.pods.len());
        let mut memory = Vec::with_capacity(self.pods.len());
        let mut rps = Vec::with_capacity(self.pods.len());
        for pod in &mut self.pods {
            if pod.state == PodState::Gone {
                continue;
            }
            pod.touch(now);
            let dt = u128::from(now.0.saturating_sub(pod.sample_start.0));
            let base = PodSample {
                phase: PodPhase::Running,
                deleting: pod.state == PodState::Draining,
                start_time: Some(pod.scheduled),
                ready: Some(ReadyCondition {
                    ready: pod.state == PodState::Ready,
                    last_transition: if pod.state == PodState::Starting {
                        pod.scheduled
                    } else {
                        pod.ready_at
                    },
                }),
                metric: None,
                request_milli: None,
            };
            let metric = |v: i64| {
                (dt > 0).then_some(PodMetric {
                    value_milli: v,
                    timestamp: now,
                    window,
                })
            };
            let dtc = dt.max(1);
            let cpu_v = cpu_usage_milli(spec, pod, now, dtc, &mut self.cpu_totals);
            let mem_v = (spec.base_memory_mib * 1000.0
                + spec.per_request_mib * 1000.0 * pod.inflight_area as f64 / dtc as f64)
                as i64;
            let rps_v = (u128::from(pod.served) * 1_000_000_000_000 / dtc) as i64;
            cpu.push(PodSample {
                metric: metric(cpu_v),
                request_milli: Some(spec.cpu_milli),
                ..base
            });
            memory.push(PodSample {
                metric: metric(mem_v),
                request_milli: Some((spec.memory_mib * 1000.0) as i64),
                ..base
            });
            rps.push(PodSample {
                metric: metric(rps_v),
                ..base
            });
            pod.busy_area = 0;
            pod.inflight_area = 0;
            pod.served = 0;
            pod.sample_start = now;
        }
        let external = MetricInput::External {
            values_milli: vec![i64::try_from(queue_depth).unwrap_or(i64::MAX / 1000) * 1000],
            status_replicas: (self.count(PodState::Starting) + self.count(PodState::Ready)) as i32,
        };
        self.apply_hpa(spec, now, cpu, memory, rps, external);
    }

    fn apply_hpa(
        &mut self,
        spec: &DeploymentSpec,
        now: Nanos,
        cpu: Vec<PodSample>,
        memory: Vec<PodSample>,
        rps: Vec<PodSample>,
        external: MetricInput,
    ) {
        let Some(hpa) = &mut self.scale.hpa else {
            return;
        };
        let inputs: Vec<MetricInput> = hpa
            .spec()
            .metrics
            .iter()
            .map(|m| match m {
                MetricSpec::ResourceUtilization {
                    resource: ResourceName::Memory,
                    ..
                } => MetricInput::Pods(memory.clone()),
                MetricSpec::PodsAverageValue { .. } => MetricInput::Pods(rps.clone()),
                MetricSpec::ExternalAverageValue { .. } => external.clone(),
                _ => MetricInput::Pods(cpu.clone()),
            })
            .collect();
        let from = self.scale.desired;
        let rec = hpa.reconcile_at(now, from as i32, &inputs);
        if rec.desired_replicas > 0 && rec.desired_replicas as u32 != from {
            let to = rec.desired_replicas as u32;
            self.scale.desired = to;
            self.scale.events.push(ScalingEvent {
                t_s: round6(now.as_secs_f64()),
                from,
                to,
                reason: rec.reason,
            });
        }
        self.reconcile(spec, now);
    }

    /// Appends the replica row for the bucket ending at `now`.
    pub(super) fn record_replicas(&mut self, now: Nanos) {
        let row = ReplicaRow {
            t_s: round6(now.as_secs_f64()),
            desired: self.scale.desired,
            ready: self.count(PodState::Ready),
            starting: self.count(PodState::Starting),
            nodes: (self.scale.live_nodes[0] + self.scale.live_nodes[1]) as u32,
            zones: self.ready_per_zone(),
        };
        self.scale.series.push(row);
    }

    /// Ready pods per zone (empty without zones).
    fn ready_per_zone(&self) -> Vec<u32> {
        let mut out = vec![0; self.scale.zone_down.len()];
        if !out.is_empty() {
            for pod in self.pods.iter().filter(|p| p.state == PodState::Ready) {
                out[pod.zone as usize] += 1;
            }
        }
        out
    }

    /// The deployment's scaling report at the end of the run.
    pub(super) fn scaling_report(&mut self, spec: &DeploymentSpec, now: Nanos) -> ScalingReport {
        self.account(now);
        let s = &mut self.scale;
        let secs = |a: u128| round6(a as f64 / 1e9);
        ScalingReport {
            name: spec.name.clone(),
            autoscaled: spec.hpa.is_some(),
            pod_seconds_on_demand: secs(s.pod_area[0]),
            pod_seconds_spot: secs(s.pod_area[1]),
            node_hours_on_demand: round6(s.node_area[0] as f64 / 3.6e12),
            node_hours_spot: round6(s.node_area[1] as f64 / 3.6e12),
            spot_reclaims: s.reclaims,
            pods_killed: s.pods_killed,
            events: std::mem::take(&mut s.events),
            series: std::mem::take(&mut s.series),
            zones: spec.zones.clone(),
            resources: None,
        }
    }
}

impl Sim<'_> {
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
        for d in 0..self.families.pods.deployments.len() {
            self.flush_scaling(Nanos::ZERO, d);
        }
    }

    /// Hands a deployment's pending happenings to the queue and fails its orphans.
    pub(super) fn flush_scaling(&mut self, now: Nanos, d: usize) {
        let end = self.plan.duration;
        let mut pending = std::mem::take(&mut self.families.pods.deployments[d].scale.pending);
        for (t, what) in pending.drain(..) {
            if t < end {
                let dep = (d as u16).into();
                let event = match what {
                    Pending::PodReady(p) => AutoscaleEvent::PodReady(dep, p.into()),
                    Pending::NodeNotice(n) => AutoscaleEvent::NodeNotice(dep, n.into()),
                    Pending::NodeGone(n) => AutoscaleEvent::NodeGone(dep, n.into()),
                };
                self.queue.schedule(t, Event::Autoscale(event));
            }
        }
        self.families.pods.deployments[d].scale.pending = pending;
        while let Some(r) = self.families.pods.deployments[d].scale.orphans.pop() {
            self.families.pods.deployments[d].occupancy.abandon(now);
            self.fail(now, r, ErrorCause::PodKilled);
        }
        let stopped = &mut self.families.pods.deployments[d].cpu_stopped;
        self.ready.extend(stopped.drain(..)); // they fail at their next step
        self.workers_changed(now, d);
    }

    /// Handles an autoscaling event.
    pub(super) fn autoscale_event(&mut self, now: Nanos, event: AutoscaleEvent) {
        let plan = self.plan;
        let deployments = &mut self.families.pods.deployments;
        let d = match event {
            AutoscaleEvent::HpaSync(d) => {
                let d = d.get() as usize;
                let spec = &plan.deployments[d];
                let depth = spec
                    .hpa
                    .as_ref()
                    .and_then(|h| h.queue)
                    .map_or(0, |q| self.families.jobs.queues[q].depth());
                deployments[d].hpa_sync(spec, now, depth);
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
                deployments[d].pod_ready(&plan.deployments[d], now, p.get() as usize);
                d
            }
            AutoscaleEvent::NodeNotice(d, n) => {
                let d = d.get() as usize;
                deployments[d].node_notice(&plan.deployments[d], now, n.get() as usize);
                d
            }
            AutoscaleEvent::NodeGone(d, n) => {
                let d = d.get() as usize;
                deployments[d].node_gone(&plan.deployments[d], now, n.get() as usize);
                d
            }
        };
        self.flush_scaling(now, d);
    }

    /// Starts (`on`) or ends a `ZoneDown` fault on zone `z` of deployment `d`.
    pub(super) fn zone_down(&mut self, now: Nanos, d: usize, z: u8, on: bool) {
        let spec = &self.plan.deployments[d];
        self.families.pods.deployments[d].zone_fault(spec, now, z as usize, on);
        self.flush_scaling(now, d);
    }

    /// A `KillPods` fault kills `count` ready pods of deployment `d`.
    pub(super) fn kill_pods(&mut self, now: Nanos, d: usize, count: u32) {
        let spec = &self.plan.deployments[d];
        self.families.pods.deployments[d].kill_ready(spec, now, count);
        self.flush_scaling(now, d);
    }

    /// A `ReclaimSpot` fault gives spot nodes of deployment `d` their notice.
    pub(super) fn reclaim_spot(&mut self, now: Nanos, d: usize, count: Option<u32>, fraction: f64) {
        let spec = &self.plan.deployments[d];
        self.families.pods.deployments[d].reclaim(spec, now, count, fraction);
        self.flush_scaling(now, d);
    }

    /// A request left a draining pod: it goes once empty.
    pub(super) fn check_drained(&mut self, now: Nanos, d: usize, p: usize) {
        let pod = &self.families.pods.deployments[d].pods[p];
        if pod.state == PodState::Draining && pod.slots.in_flight() + pod.jobs == 0 {
            let plan = self.plan;
            self.families.pods.deployments[d].drained(&plan.deployments[d], now, p);
            self.flush_scaling(now, d);
        }
    }

    /// Whether request `r` holds a slot in a pod that died since.
    #[inline]
    pub(super) fn holds_dead_pod(&self, r: u32) -> bool {
        let req = &self.requests[r];
        req.held[..req.depth as usize].iter().any(|h| {
            // Until a pod of the deployment has gone, every epoch is current:
            // skip the pod (a cache miss on the hot path).
            let d = &self.families.pods.deployments[h.deployment as usize];
            d.scale.gone > 0 && d.pods[h.pod as usize].epoch != h.epoch
        })
    }
}

/// A pod's CPU use over the sample window of `dt` ns, millicores, as the
/// metrics server reports it: with the CPU model, the CPU it used (which can
/// pass the request, up to the limit); without, its busy worker slots' share
/// of the request.
fn cpu_usage_milli(
    spec: &DeploymentSpec,
    pod: &mut Pod,
    now: Nanos,
    dt: u128,
    totals: &mut super::cpu::CpuTotals,
) -> i64 {
    if spec.cpu.is_none() {
        return (pod.busy_area * spec.cpu_milli as u128 / (dt * u128::from(spec.concurrency)))
            as i64;
    }
    pod.cpu.advance(now, totals);
    (pod.cpu.take_window() * 1000.0 / dt as f64) as i64
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

/// Drives deployment `deployment` of `plan` through its HPA syncs with a
/// given CPU load instead of traffic: before sync `k` (at `(k + 1)` sync
/// periods) the ready pods together use `loads_milli[k]` millicores, spread
/// evenly (the first pods take the remainder), over the whole period. The
/// same code as in a run samples the pods, runs the algorithm and moves the
/// pods (startup delays included). Returns the desired replica count after
/// each sync. Exact when `sync period x concurrency` is a multiple of the CPU
/// request in millicores (as with the default 1 core and whole seconds).
pub fn replay_hpa(plan: &Plan, deployment: usize, loads_milli: &[i64]) -> Vec<u32> {
    let spec = &plan.deployments[deployment];
    replay(plan, deployment, loads_milli.len(), |dep, k, now| {
        let load = loads_milli[k];
        let ready: Vec<usize> = (0..dep.pods.len())
            .filter(|&p| dep.pods[p].state == PodState::Ready)
            .collect();
        let n = ready.len().max(1) as i64;
        for (i, &p) in ready.iter().enumerate() {
            let usage = load / n + i64::from((i as i64) < load % n);
            let pod = &mut dep.pods[p];
            let dt = u128::from(now.0 - pod.sample_start.0);
            pod.busy_area =
                usage.max(0) as u128 * dt * u128::from(spec.concurrency) / spec.cpu_milli as u128;
            pod.last = now;
        }
        0
    })
}

/// Drives deployment `deployment` of `plan` through its HPA syncs with its
/// `hpa.queue` metric fed directly: at sync `k` the queue's depth (waiting +
/// running jobs) is `depths[k]` and the pods are idle. Same code as in a run
/// (sampling, algorithm, pod startup). Returns the desired replica count
/// after each sync.
pub fn replay_queue_hpa(plan: &Plan, deployment: usize, depths: &[u64]) -> Vec<u32> {
    replay(plan, deployment, depths.len(), |_, k, _| depths[k])
}

/// Runs `syncs` HPA syncs of a lone deployment; `feed` prepares the pods
/// before sync `k` and returns the queue depth the HPA sees.
fn replay(
    plan: &Plan,
    deployment: usize,
    syncs: usize,
    mut feed: impl FnMut(&mut Deployment, usize, Nanos) -> u64,
) -> Vec<u32> {
    let spec = &plan.deployments[deployment];
    let Some(h) = &spec.hpa else {
        return Vec::new();
    };
    let mut dep = Deployment::new(spec, plan.seed);
    let mut pending: Vec<(Nanos, Pending)> = Vec::new();
    let mut out = Vec::with_capacity(syncs);
    for k in 0..syncs {
        let now = Nanos(h.sync_period.0 * (k as u64 + 1));
        pending.append(&mut dep.scale.pending);
        pending.sort_by_key(|&(t, _)| t);
        while let Some(&(t, what)) = pending.first() {
            if t > now {
                break;
            }
            pending.remove(0);
            match what {
                Pending::PodReady(p) => dep.pod_ready(spec, t, p as usize),
                Pending::NodeNotice(n) => dep.node_notice(spec, t, n as usize),
                Pending::NodeGone(n) => dep.node_gone(spec, t, n as usize),
            }
            pending.append(&mut dep.scale.pending);
            pending.sort_by_key(|&(t, _)| t);
        }
        let depth = feed(&mut dep, k, now);
        dep.hpa_sync(spec, now, depth);
        out.push(dep.scale.desired);
    }
    out
}
