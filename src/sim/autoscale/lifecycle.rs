//! The pod lifecycle decisions: reconcile the pods toward the desired
//! count, evict from nodes under notice as the PodDisruptionBudget allows,
//! kill pods for faults. Each change of a pod's life goes through the pods
//! family's lifecycle methods (`deployment.rs`) and keeps the placement and
//! census here in step.
//!
//! The PDB limits only the drain (the eviction API); scale-down ignores it,
//! as the ReplicaSet controller deletes pods without evicting them.

use super::{choose, Controller, Pending};
use crate::algo::Nanos;
use crate::sim::deployment::{Pod, PodState};
use std::cmp::Reverse;

impl Controller<'_> {
    /// Schedules a new pod of template `revision` at `now` (none while
    /// every zone is down: it stays pending, costs nothing, and is scheduled
    /// when a zone comes back).
    pub(super) fn schedule_pod(&mut self, now: Nanos, revision: u16) {
        if self.s.pick_zone(self.spec).is_none() {
            return;
        }
        let p = self.dep.add_pod(self.spec, now, revision);
        let pod = &self.dep.pods[p];
        let (state, ready_at) = (pod.state, pod.ready_at);
        self.s.place(self.spec, now, p, state);
        self.start_probing(now, p);
        if state == PodState::Starting {
            self.s.pending.push((ready_at, Pending::PodReady(p as u32)));
        } else {
            self.dep.refresh_capacity(self.spec, now);
        }
    }

    /// Pod `p`'s life ends; its index becomes reusable.
    fn pod_gone(&mut self, now: Nanos, p: usize) {
        let state = self.dep.pods[p].state;
        self.s.unplace(self.spec, now, p, state);
        self.dep.end_pod(self.spec, now, p, self.deaths);
    }

    /// Kills pod `p` at once (see [`crate::sim::deployment::Deployment::kill_pod`]).
    pub(super) fn kill_pod(&mut self, now: Nanos, p: usize) {
        let state = self.dep.pods[p].state;
        self.s.unplace(self.spec, now, p, state);
        if self.dep.kill_pod(self.spec, now, p, self.deaths) {
            self.s.pods_killed += 1;
        }
    }

    /// Voluntary removal: drain, or go at once if idle.
    pub(super) fn remove_pod(&mut self, now: Nanos, p: usize) {
        if self.dep.is_idle(p) {
            self.pod_gone(now, p);
        } else {
            let state = self.dep.pods[p].state;
            self.s.census.remove(self.s.placed[p].zone, state);
            self.dep.start_draining(p);
        }
    }

    /// A draining pod finished its last request.
    pub(super) fn drained(&mut self, now: Nanos, p: usize) {
        self.pod_gone(now, p);
        self.reconcile(now);
    }

    /// Whether the eviction API lets one more ready pod go: the ready pods
    /// after the eviction stay at or above the PDB's `minAvailable`.
    fn pdb_allows(&self) -> bool {
        self.spec
            .min_available
            .is_none_or(|m| self.s.census.ready > m)
    }

    /// Moves the pods toward `desired`: evicts pods from nodes under notice
    /// (the node termination handler drains through the eviction API, so the
    /// PDB limits it; a blocked pod is retried here whenever a pod becomes
    /// ready), then, during a rollout, takes its next steps
    /// (`rollout.rs`), else schedules missing pods and removes excess ones
    /// (not ready before ready, newest first). Scale-down ignores the PDB, as
    /// the ReplicaSet controller deletes pods directly.
    pub(super) fn reconcile(&mut self, now: Nanos) {
        if self.spec.nodes.is_some() {
            for p in 0..self.dep.pods.len() {
                let on_notice = self.s.on_notice(p);
                match self.dep.pods[p].state {
                    PodState::Starting if on_notice => self.pod_gone(now, p),
                    PodState::Ready if on_notice && self.pdb_allows() => {
                        self.remove_pod(now, p);
                        self.dep.refresh_capacity(self.spec, now);
                    }
                    _ => {}
                }
            }
        }
        if self.s.rollout.is_some() {
            self.roll(now);
            return;
        }
        let active = self.s.census.starting + self.s.census.ready;
        let desired = self.s.desired;
        if active < desired {
            for _ in active..desired {
                self.schedule_pod(now, self.s.revision);
            }
        } else if active > desired {
            self.remove_excess(now, active - desired, |_| true);
        }
    }

    /// Removes `excess` of the active pods that `of` picks (a revision's):
    /// not ready (starting or failing readiness) before ready, newest first,
    /// as the ReplicaSet controller picks the pods it deletes.
    pub(super) fn remove_excess(&mut self, now: Nanos, mut excess: u32, of: impl Fn(u16) -> bool) {
        let pods = &self.dep.pods;
        let mut order: Vec<usize> = (0..pods.len())
            .filter(|&p| matches!(pods[p].state, PodState::Starting | PodState::Ready))
            .filter(|&p| of(pods[p].revision))
            .collect();
        order.sort_by_key(|&p| deletion_rank(&pods[p], p));
        for p in order {
            if excess == 0 {
                break;
            }
            self.remove_pod(now, p);
            excess -= 1;
        }
        self.dep.refresh_capacity(self.spec, now);
    }

    /// Pod `p`'s startup ended (if the event is still current).
    pub(super) fn pod_ready(&mut self, now: Nanos, p: usize) {
        if self.dep.mark_ready(self.spec, now, p) {
            let zone = self.s.placed[p].zone;
            self.s.census.remove(zone, PodState::Starting);
            self.s.census.add(zone, PodState::Ready);
            self.reconcile(now);
        }
    }

    /// A fault: `count` ready pods die, picked at random (the deployment's
    /// `faults/kill/<name>` stream).
    pub(super) fn kill_ready(&mut self, now: Nanos, count: u32) {
        let mut victims: Vec<usize> = (0..self.dep.pods.len())
            .filter(|&p| self.dep.pods[p].state == PodState::Ready)
            .collect();
        choose(&mut self.s.kill_rng, &mut victims, count as usize);
        for p in victims {
            self.kill_pod(now, p);
        }
        self.reconcile(now);
    }
}

/// Where pod `p` comes in the ReplicaSet controller's deletion order
/// (`ActivePodsWithRanks`), lowest first: not ready (starting, or failing
/// its readiness probe) before ready, then newest first, then highest index.
fn deletion_rank(pod: &Pod, p: usize) -> (bool, Reverse<Nanos>, Reverse<usize>) {
    (
        pod.state == PodState::Ready && !pod.unready,
        Reverse(pod.scheduled),
        Reverse(p),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pod_failing_readiness_is_deleted_before_newer_ready_pods() {
        let text = r#"Scenario(
            name: "three", seed: 1, run: (duration: "1s"),
            workload: (users: 10, rps_per_user: 1.0, mix: { "a": 1.0 }),
            components: [
                LoadBalancer(name: "lb", targets: { "api": 1 }),
                Deployment(name: "api", replicas: 3, concurrency: 1),
            ],
            endpoints: { "a": [Lb("lb"), Compute(Exp("1ms"))] },
        )"#;
        let plan =
            crate::scenario::validate(&crate::scenario::parse(text, "three.ron").unwrap()).unwrap();
        let spec = &plan.deployments[0];
        let at = |s| Nanos::from_secs(s);
        let mut pods: Vec<Pod> = [0, 10, 20]
            .iter()
            .map(|&t| Pod::new(spec, at(t), at(t), 0, 0))
            .collect();
        let order = |pods: &[Pod]| {
            let mut o: Vec<usize> = (0..pods.len()).collect();
            o.sort_by_key(|&p| deletion_rank(&pods[p], p));
            o
        };
        assert_eq!(order(&pods), [2, 1, 0], "all ready: newest first");
        pods[0].unready = true;
        assert_eq!(order(&pods), [0, 2, 1], "the oldest fails its probe");
        pods[1].state = PodState::Starting;
        assert_eq!(
            order(&pods),
            [1, 0, 2],
            "not ready: newest first among them"
        );
    }
}
