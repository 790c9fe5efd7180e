//! Availability zones: a new pod goes to the up zone with the fewest pods
//! (a topology spread constraint with maxSkew 1); `ZoneDown` kills the
//! zone's pods and keeps new ones out until it is back. The [`Census`]
//! counts pods by state and zone as they change, for the spread, the
//! reconcile loop and the replica rows.

use super::{Controller, Scaling};
use crate::scenario::DeploymentSpec;
use crate::sim::deployment::PodState;

/// Pods starting and ready, in all and per zone (empty lists without zones).
pub(super) struct Census {
    /// Pods starting.
    pub(super) starting: u32,
    /// Pods ready.
    pub(super) ready: u32,
    /// Per zone, pods starting or ready.
    active_in_zone: Vec<u32>,
    /// Per zone, pods ready.
    pub(super) ready_in_zone: Vec<u32>,
}

impl Census {
    /// No pods, over `zones` zones.
    pub(super) fn new(zones: usize) -> Census {
        Census {
            starting: 0,
            ready: 0,
            active_in_zone: vec![0; zones],
            ready_in_zone: vec![0; zones],
        }
    }

    /// A pod in `zone` enters `state` (draining and gone pods are not counted).
    pub(super) fn add(&mut self, zone: u8, state: PodState) {
        self.shift(zone, state, 1);
    }

    /// A pod in `zone` leaves `state`.
    pub(super) fn remove(&mut self, zone: u8, state: PodState) {
        self.shift(zone, state, -1);
    }

    fn shift(&mut self, zone: u8, state: PodState, by: i32) {
        let z = zone as usize;
        let add = |x: &mut u32| *x = x.wrapping_add_signed(by);
        match state {
            PodState::Starting => add(&mut self.starting),
            PodState::Ready => {
                add(&mut self.ready);
                if let Some(x) = self.ready_in_zone.get_mut(z) {
                    add(x);
                }
            }
            PodState::Draining | PodState::Gone => return,
        }
        if let Some(x) = self.active_in_zone.get_mut(z) {
            add(x);
        }
    }
}

impl Scaling {
    /// The up zone with the fewest placed pods (starting or ready), the
    /// lowest index on ties: where a topology spread constraint with maxSkew
    /// 1 puts the next pod. `None` when every zone is down; `Some(0)`
    /// without zones.
    pub(super) fn pick_zone(&self, spec: &DeploymentSpec) -> Option<u8> {
        if spec.zones.is_empty() {
            return Some(0);
        }
        (0..spec.zones.len())
            .filter(|&z| self.zone_down[z] == 0)
            .min_by_key(|&z| self.census.active_in_zone[z])
            .map(|z| z as u8)
    }
}

impl Controller<'_> {
    /// Zone `z` goes down (`on`) or comes back. Going down kills every pod
    /// in it at once (as `KillPods` does) and releases its nodes; while down,
    /// no pod is placed there. Coming back places nothing by itself (running
    /// pods are not rebalanced); only pods scheduled afterwards may land there.
    pub(super) fn zone_fault(&mut self, now: crate::algo::Nanos, z: usize, on: bool) {
        if on {
            self.s.zone_down[z] += 1;
            if self.s.zone_down[z] == 1 {
                for p in 0..self.dep.pods.len() {
                    if self.dep.pods[p].state != PodState::Gone
                        && self.s.placed[p].zone as usize == z
                    {
                        self.kill_pod(now, p);
                    }
                }
                // Nodes under notice there go with the zone (the others went
                // with their last pod).
                self.s.free_terminating_in(now, z);
            }
        } else {
            self.s.zone_down[z] = self.s.zone_down[z].saturating_sub(1);
        }
        self.reconcile(now);
    }
}
