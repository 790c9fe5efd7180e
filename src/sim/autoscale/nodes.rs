//! Where pods run: the node pool (first-fit packing, a node per pod that
//! does not fit, gone when empty), spot nodes and their notices, and the
//! pod- and node-time they cost.
//!
//! The cluster autoscaler is idealised: a node appears when a pod does not
//! fit (its delay is part of the pod's `startup`) and goes when it is empty.

use super::{choose, Controller, Pending, Scaling};
use crate::algo::Nanos;
use crate::engine::unit_open;
use crate::scenario::DeploymentSpec;
use crate::sim::deployment::PodState;

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
pub(super) struct Node {
    spot: bool,
    pods: u32,
    state: NodeState,
    reclaim_at: Nanos,
    gone_at: Nanos,
    /// Availability zone index (0 when no zones are modelled).
    zone: u8,
}

/// Where one pod runs.
#[derive(Copy, Clone, Debug)]
pub(super) struct Placement {
    /// Node index in the deployment's pool (0 when no pool is modelled).
    pub(super) node: u32,
    /// Runs on a spot node.
    pub(super) spot: bool,
    /// Availability zone index (0 when no zones are modelled).
    pub(super) zone: u8,
}

impl Scaling {
    /// Brings pod- and node-time up to `now`.
    pub(super) fn account(&mut self, now: Nanos) {
        let dt = u128::from(now.0.saturating_sub(self.last.0));
        for k in 0..2 {
            self.pod_area[k] += u128::from(self.live_pods[k]) * dt;
            self.node_area[k] += u128::from(self.live_nodes[k]) * dt;
        }
        self.last = now;
    }

    /// Puts new pod `p` (in `state`, starting or ready) in a zone (see
    /// [`Scaling::pick_zone`]) and on a node there (first fit; a new node
    /// when none has room).
    pub(super) fn place(&mut self, spec: &DeploymentSpec, now: Nanos, p: usize, state: PodState) {
        self.account(now);
        let zone = self.pick_zone(spec).unwrap_or(0);
        let placement = Placement {
            node: 0,
            spot: false,
            zone,
        };
        if p == self.placed.len() {
            self.placed.push(placement);
        } else {
            self.placed[p] = placement;
        }
        self.census.add(zone, state);
        let Some(pool) = &spec.nodes else {
            self.live_pods[0] += 1;
            return;
        };
        let fit = self.nodes.iter().position(|n| {
            n.state == NodeState::Live && n.zone == zone && n.pods < pool.pods_per_node
        });
        let n = match fit {
            Some(n) => n,
            None => self.new_node(now, zone, pool.spot_fraction, pool.reclaims_per_hour),
        };
        self.nodes[n].pods += 1;
        let spot = self.nodes[n].spot;
        self.live_pods[usize::from(spot)] += 1;
        self.placed[p].node = n as u32;
        self.placed[p].spot = spot;
    }

    /// A new node in `zone`: spot while the spot share, this node included,
    /// stays within `spot_fraction`; a spot node's notice is drawn now.
    fn new_node(&mut self, now: Nanos, zone: u8, spot_fraction: f64, per_hour: f64) -> usize {
        let live = self.live_nodes[0] + self.live_nodes[1];
        let spot = (self.live_nodes[1] + 1) as f64 <= spot_fraction * (live + 1) as f64 + 1e-9;
        let reclaim_at = match (&mut self.spot_rng, spot) {
            (Some(rng), true) => {
                let hours = -unit_open(rng).ln() / per_hour;
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
        let n = match self.free_nodes.pop() {
            Some(n) => {
                self.nodes[n as usize] = node;
                n as usize
            }
            None => {
                self.nodes.push(node);
                self.nodes.len() - 1
            }
        };
        self.live_nodes[usize::from(spot)] += 1;
        if reclaim_at != Nanos::MAX {
            self.pending
                .push((reclaim_at, Pending::NodeNotice(n as u32)));
        }
        n
    }

    /// Pod `p` (in `state`) goes: off the census, off its node (an empty
    /// live node goes too).
    pub(super) fn unplace(&mut self, spec: &DeploymentSpec, now: Nanos, p: usize, state: PodState) {
        self.account(now);
        let Placement { node, spot, zone } = self.placed[p];
        self.census.remove(zone, state);
        self.live_pods[usize::from(spot)] -= 1;
        if spec.nodes.is_some() {
            let node = node as usize;
            self.nodes[node].pods -= 1;
            if self.nodes[node].pods == 0 && self.nodes[node].state == NodeState::Live {
                self.nodes[node].state = NodeState::Free;
                self.live_nodes[usize::from(spot)] -= 1;
                self.free_nodes.push(node as u32);
            }
        }
    }

    /// Whether pod `p` runs on a node under notice.
    pub(super) fn on_notice(&self, p: usize) -> bool {
        self.nodes[self.placed[p].node as usize].state == NodeState::Terminating
    }

    /// Node `n` gets its notice: it goes after `notice`.
    fn notice_node(&mut self, now: Nanos, n: usize, notice: Nanos) {
        let node = &mut self.nodes[n];
        node.state = NodeState::Terminating;
        node.gone_at = now.saturating_add(notice);
        self.reclaims += 1;
        self.pending
            .push((node.gone_at, Pending::NodeGone(n as u32)));
    }

    /// Node `n` is released if it is under notice (a live node goes with
    /// its last pod instead).
    fn free_if_terminating(&mut self, n: usize) {
        if self.nodes[n].state == NodeState::Terminating {
            self.nodes[n].state = NodeState::Free;
            self.live_nodes[usize::from(self.nodes[n].spot)] -= 1;
            self.free_nodes.push(n as u32);
        }
    }

    /// The nodes under notice in zone `z` go with the zone.
    pub(super) fn free_terminating_in(&mut self, now: Nanos, z: usize) {
        self.account(now);
        for n in 0..self.nodes.len() {
            if self.nodes[n].zone as usize == z {
                self.free_if_terminating(n);
            }
        }
    }
}

impl Controller<'_> {
    /// Node `n` gets its termination notice (if the event is still current).
    pub(super) fn node_notice(&mut self, now: Nanos, n: usize) {
        let spec = self.spec;
        let Some(pool) = &spec.nodes else { return };
        let node = &self.s.nodes[n];
        if node.state != NodeState::Live
            || (node.reclaim_at != now && node.reclaim_at != Nanos::MAX)
        {
            return;
        }
        self.s.notice_node(now, n, pool.notice);
        self.reconcile(now);
    }

    /// Node `n`'s notice ran out: whatever is still on it dies.
    pub(super) fn node_gone(&mut self, now: Nanos, n: usize) {
        let node = &self.s.nodes[n];
        if node.state != NodeState::Terminating || node.gone_at != now {
            return;
        }
        for p in 0..self.dep.pods.len() {
            if self.dep.pods[p].state != PodState::Gone && self.s.placed[p].node as usize == n {
                self.kill_pod(now, p);
            }
        }
        self.s.account(now);
        self.s.free_if_terminating(n);
        self.reconcile(now);
    }

    /// A fault: spot nodes get their notice, picked at random (the
    /// deployment's `faults/reclaim/<name>` stream).
    pub(super) fn reclaim(&mut self, now: Nanos, count: Option<u32>, fraction: f64) {
        let spec = self.spec;
        let Some(pool) = &spec.nodes else { return };
        let s = &mut *self.s;
        let mut spot: Vec<usize> = (0..s.nodes.len())
            .filter(|&n| s.nodes[n].spot && s.nodes[n].state == NodeState::Live)
            .collect();
        let k = count.map_or_else(
            || (spot.len() as f64 * fraction).ceil() as usize,
            |c| c as usize,
        );
        choose(&mut s.reclaim_rng, &mut spot, k);
        for n in spot {
            s.notice_node(now, n, pool.notice);
        }
        self.reconcile(now);
    }
}
