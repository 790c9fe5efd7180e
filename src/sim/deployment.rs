//! A deployment: identical pods, each with worker slots and a FIFO queue.

use super::station::Slots;
use crate::algo::balance::Backends;
use crate::algo::Nanos;
use crate::metrics::Occupancy;
use crate::scenario::DeploymentSpec;

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

/// The zone of a pod not placed yet.
pub(super) const UNPLACED: u8 = u8::MAX;

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
    /// Node index in the deployment's pool (0 when no pool is modelled).
    pub(super) node: u32,
    /// Runs on a spot node.
    pub(super) spot: bool,
    /// Availability zone index (0 when no zones are modelled;
    /// [`UNPLACED`] until the pod is placed).
    pub(super) zone: u8,
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
}

impl Pod {
    /// A pod scheduled at `now`, ready at `ready_at`.
    pub(super) fn new(spec: &DeploymentSpec, now: Nanos, ready_at: Nanos, epoch: u16) -> Pod {
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
            node: 0,
            spot: false,
            zone: UNPLACED,
            busy_area: 0,
            inflight_area: 0,
            served: 0,
            last: now,
            sample_start: now,
            jobs: 0,
        }
    }

    /// Brings the per-pod areas up to `now` (call before any slot change).
    #[inline]
    pub(super) fn touch(&mut self, now: Nanos) {
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
    /// Autoscaling, pod lifecycle and node state.
    pub(super) scale: super::autoscale::Scaling,
}

impl Deployment {
    /// The deployment at time zero, all pods ready.
    pub(super) fn new(spec: &DeploymentSpec, seed: u64) -> Self {
        let pods = (0..spec.replicas)
            .map(|_| Pod::new(spec, Nanos::ZERO, Nanos::ZERO, 0))
            .collect();
        let mut d = Deployment {
            pods,
            occupancy: Occupancy::new(u64::from(spec.replicas) * u64::from(spec.concurrency)),
            slowdown: 1.0,
            scale: super::autoscale::Scaling::new(spec, seed),
        };
        d.place_initial(spec);
        d
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
        self.deployments[d].pods[p].state == PodState::Ready
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
                if p.state == PodState::Ready {
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
        let mut deps: Vec<Deployment> = plan
            .deployments
            .iter()
            .map(|d| Deployment::new(d, 1))
            .collect();
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
}
