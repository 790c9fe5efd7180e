//! A pod's memory and the OOM killer. A pod uses its idle footprint
//! (`base_memory_mib`), plus `per_request_mib` for each request in it (in
//! service or queued) and each job it runs, plus its L1's entries times
//! `l1.item_size`. With `limits.memory` the allocation that would take a
//! pod over its limit OOM-kills it, as the kernel's cgroup OOM killer does:
//! the autoscaling family restarts it in place (`autoscale/restarts.rs`).
//!
//! ```text
//!  admit a request / fill its L1 ──▶ memory > limit? ──▶ OOM kill: its requests
//!      fail, it leaves the balancer, restarts cold after the back-off
//! ```

use super::interpreter::Sim;
use crate::algo::Nanos;

/// Bytes in a MiB.
pub(super) const MIB: f64 = 1_048_576.0;

impl Sim<'_> {
    /// MiB held by pod `p`'s L1 of deployment `d` (0 without an item size).
    pub(super) fn l1_mib(&self, d: usize, p: usize) -> f64 {
        let Some(tier) = &self.families.cache.l1[d] else {
            return 0.0;
        };
        if tier.spec.item_bytes == 0 {
            return 0.0;
        }
        let epoch = self.families.pods.deployments[d].pods[p].epoch;
        tier.entries(p, epoch) as f64 * tier.spec.item_bytes as f64 / MIB
    }

    /// Pod `p` of deployment `d`'s memory now, MiB.
    pub(super) fn pod_memory_mib(&self, d: usize, p: usize) -> f64 {
        let spec = &self.plan.deployments[d];
        let pod = &self.families.pods.deployments[d].pods[p];
        let in_it = f64::from(pod.slots.in_flight() + pod.jobs);
        spec.base_memory_mib + spec.per_request_mib * in_it + self.l1_mib(d, p)
    }

    /// Pod `p` of deployment `d` grew (a request came in, its L1 took an
    /// entry): over its memory limit it is OOM-killed. Whether it was.
    /// Inlined down to the test for a limit, so that a deployment without
    /// one pays no call per request.
    #[inline]
    pub(super) fn check_memory(&mut self, now: Nanos, d: usize, p: usize) -> bool {
        match self.plan.deployments[d].memory_limit_mib {
            Some(limit) => self.check_memory_limit(now, d, p, limit),
            None => false,
        }
    }

    /// `check_memory` for a deployment with a memory limit of `limit` MiB.
    #[inline(never)]
    fn check_memory_limit(&mut self, now: Nanos, d: usize, p: usize, limit: f64) -> bool {
        let used = self.pod_memory_mib(d, p);
        self.note_memory(d, used);
        if used <= limit {
            return false;
        }
        self.oom_kill(now, d, p);
        true
    }

    /// Per pod of deployment `d`, the MiB its L1 holds (empty when its L1
    /// has no item size): what the HPA's memory metric adds to the rest.
    pub(super) fn l1_mib_per_pod(&self, d: usize) -> Vec<f64> {
        match &self.families.cache.l1[d] {
            Some(t) if t.spec.item_bytes > 0 => (0..self.families.pods.deployments[d].pods.len())
                .map(|p| self.l1_mib(d, p))
                .collect(),
            _ => Vec::new(),
        }
    }
}
