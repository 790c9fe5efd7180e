//! A deployment: identical pods, each with worker slots and a FIFO queue.

use super::station::Slots;
use crate::algo::balance::Backends;
use crate::metrics::Occupancy;
use crate::scenario::DeploymentSpec;

/// One pod.
#[derive(Clone, Debug)]
pub(super) struct Pod {
    /// Its worker slots and queue.
    pub(super) slots: Slots,
}

/// The live state of a deployment.
pub(super) struct Deployment {
    /// Its pods.
    pub(super) pods: Vec<Pod>,
    /// Slot occupancy summed over all pods.
    pub(super) occupancy: Occupancy,
    /// Multiplier on service times while a slowdown fault is active.
    pub(super) slowdown: f64,
}

impl Deployment {
    /// The deployment at time zero, all pods ready.
    pub(super) fn new(spec: &DeploymentSpec) -> Self {
        let pods = (0..spec.replicas)
            .map(|_| Pod {
                slots: Slots::new(spec.concurrency, spec.queue_limit),
            })
            .collect();
        Deployment {
            pods,
            occupancy: Occupancy::new(u64::from(spec.replicas) * u64::from(spec.concurrency)),
            slowdown: 1.0,
        }
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
    fn len(&self) -> usize {
        self.targets
            .iter()
            .map(|&(d, _)| self.deployments[d].pods.len())
            .sum()
    }
    fn is_healthy(&self, _i: usize) -> bool {
        true
    }
    fn in_flight(&self, i: usize) -> u32 {
        let (d, p, _) = self.locate(i);
        self.deployments[d].pods[p].slots.in_flight()
    }
    fn weight(&self, i: usize) -> u32 {
        self.locate(i).2
    }
}
