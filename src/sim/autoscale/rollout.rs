//! Rolling updates (`Deploy`), as the Kubernetes Deployment controller runs
//! them (`rolling.go`): a new pod template gets a ReplicaSet of its own and
//! each sync moves the two ReplicaSets' replica counts within the bounds
//! `max_surge` and `max_unavailable` set.
//!
//! ```text
//!  sync: new = min(desired, new + (desired + surge - (new + old)))     (scale up)
//!        old -= unready old pods, within all - (desired - unavailable)
//!                                       - (new - new ready)          (clean up)
//!        old -= ready - (desired - unavailable)                      (scale down)
//!  until new = desired, all of them ready, and old = 0
//! ```
//!
//! A sync runs when the rollout starts and after every change of the
//! deployment's pods (a pod ready, drained, killed, an HPA sync), once per
//! instant: pods that become ready at the same time are seen together, as
//! the controller's informer cache sees them. Each ReplicaSet then keeps
//! its pods at its count (a killed old pod is replaced by an old one while
//! its count says so). Draining pods do not count, as in Kubernetes.
//! The requests that end while a rollout runs are measured apart, for its
//! report.
//!
//! A change of the deployment's replicas while a rollout runs (an HPA sync)
//! is a scaling event (sync.go `isScalingEvent`: the ReplicaSets' desired-
//! replicas annotation differs from it): that sync scales the ReplicaSets
//! in proportion to their sizes before the rolling steps go on
//! ([`proportional`], sync.go `scale`). The old templates' ReplicaSets
//! count as one here: exact with one old ReplicaSet, within a pod of
//! rounding with several.

use super::{Controller, Pending, Scaling};
use crate::algo::Nanos;
use crate::metrics::{round6, LatencyHistogram};
use crate::report::{RolloutReport, RolloutStep};
use crate::scenario::units::IntOrPercent;
use crate::sim::deployment::PodState;

/// A rolling update in progress.
pub(super) struct Rollout {
    max_surge: IntOrPercent,
    max_unavailable: IntOrPercent,
    /// The new template's ReplicaSet's replica count.
    new: u32,
    /// The old templates' ReplicaSets' replica count, together.
    old: u32,
    /// The ReplicaSets' annotations: the deployment's replicas at the last
    /// sync (`desired-replicas`) and those plus the surge then
    /// (`max-replicas`).
    annotated: (u32, u32),
    /// Whether a sync is scheduled for this instant.
    pub(super) sync_pending: bool,
    /// The report being written.
    report: RolloutReport,
    /// Latency of the successes that ended during it.
    latency: LatencyHistogram,
}

impl Rollout {
    /// The bounds at `desired` replicas: (surge, unavailable) in pods, as
    /// `ResolveFenceposts` gives them (both zero: one unavailable).
    fn bounds(&self, desired: u32) -> (u32, u32) {
        let surge = self.max_surge.of(desired, true);
        let unavailable = self.max_unavailable.of(desired, false);
        if surge == 0 && unavailable == 0 {
            (0, 1)
        } else {
            (surge, unavailable)
        }
    }

    /// Sets the ReplicaSets' counts to `(new, old)` at `now`, noting a
    /// step if they moved; whether they did.
    fn step_to(&mut self, now: Nanos, (new, old): (u32, u32)) -> bool {
        let moved = (new, old) != (self.new, self.old);
        (self.new, self.old) = (new, old);
        if moved {
            self.report.steps.push(RolloutStep {
                t_s: round6(now.as_secs_f64()),
                old,
                new,
            });
        }
        moved
    }

    /// Counts a request that ended now: `Some(latency)` if it succeeded.
    pub(super) fn observe(&mut self, outcome: Option<Nanos>) {
        match outcome {
            Some(latency) => self.latency.record(latency),
            None => self.report.errors += 1,
        }
    }

    /// The report, with the requests measured so far.
    fn into_report(mut self) -> RolloutReport {
        let ok = self.latency.count();
        let r = &mut self.report;
        r.completed = ok;
        r.latency = self.latency.summary();
        r.error_rate = error_rate(r.errors, ok);
        self.report
    }
}

/// Errors as a share of answers (0 with none).
pub(super) fn error_rate(errors: u64, ok: u64) -> f64 {
    if errors + ok == 0 {
        0.0
    } else {
        round6(errors as f64 / (errors + ok) as f64)
    }
}

/// The ReplicaSets' counts `(new, old)` after the deployment's replicas
/// changed to `desired` during a rollout (sync.go `scale`): a lone active
/// ReplicaSet (or, with none, the new one) takes `desired`; otherwise the
/// pods allowed (`desired + surge`, 0 at 0) minus those there are shared in
/// proportion to each ReplicaSet's size against its `max-replicas`
/// annotation `annotated_max` (`GetProportion`, rounded half away from
/// zero), larger ReplicaSets first (newer first on a tie when adding, older
/// when removing), the rounding's leftover to the first.
pub(super) fn proportional(
    new: u32,
    old: u32,
    desired: u32,
    surge: u32,
    annotated_max: u32,
) -> (u32, u32) {
    match (new > 0, old > 0) {
        (true, false) | (false, false) => return (desired, old),
        (false, true) => return (new, desired),
        (true, true) => {}
    }
    let allowed = if desired > 0 { desired + surge } else { 0 };
    let to_add = i64::from(allowed) - i64::from(new) - i64::from(old);
    if to_add == 0 {
        return (new, old);
    }
    let mut sizes = [i64::from(new), i64::from(old)];
    // Indices into `sizes` in the controller's order.
    let order = if (to_add > 0 && old > new) || (to_add < 0 && old >= new) {
        [1, 0]
    } else {
        [0, 1]
    };
    let mut added = 0i64;
    for &i in &order {
        let size = sizes[i];
        if to_add == added {
            break;
        }
        let fraction = if desired == 0 {
            -size
        } else {
            let scaled = size as f64 * f64::from(desired + surge) / f64::from(annotated_max.max(1));
            scaled.round() as i64 - size
        };
        let left = to_add - added;
        let proportion = if to_add > 0 {
            fraction.min(left)
        } else {
            fraction.max(left)
        };
        sizes[i] += proportion;
        added += proportion;
    }
    sizes[order[0]] = (sizes[order[0]] + to_add - added).max(0);
    let count = |n: i64| u32::try_from(n.max(0)).unwrap_or(u32::MAX);
    (count(sizes[0]), count(sizes[1]))
}

/// Pods of the current template and of older ones, by state.
#[derive(Clone, Copy)]
struct Counts {
    new_active: u32,
    new_ready: u32,
    old_active: u32,
    old_ready: u32,
}

impl Scaling {
    /// A rollout of deployment pods to a new template starts at `now`
    /// (fault `fault`); one in progress is overtaken: its new pods join
    /// the old ones, as the controller treats every older ReplicaSet.
    pub(super) fn start_rollout(
        &mut self,
        now: Nanos,
        fault: usize,
        max_surge: IntOrPercent,
        max_unavailable: IntOrPercent,
        active: u32,
    ) {
        if let Some(r) = self.rollout.take() {
            self.rollouts.push(r.into_report());
        }
        self.revision = self.revision.wrapping_add(1);
        let mut r = Rollout {
            max_surge,
            max_unavailable,
            new: 0,
            old: active,
            annotated: (self.desired, 0),
            sync_pending: true,
            report: RolloutReport {
                fault,
                started_s: round6(now.as_secs_f64()),
                completed_s: None,
                max_surge: max_surge.to_string(),
                max_unavailable: max_unavailable.to_string(),
                surge_pods: 0,
                unavailable_pods: 0,
                peak_pods: active,
                min_ready: self.census.ready,
                pods_created: 0,
                steps: Vec::new(),
                completed: 0,
                errors: 0,
                error_rate: 0.0,
                latency: Default::default(),
                p99_outside_ms: 0.0,
                error_rate_outside: 0.0,
            },
            latency: LatencyHistogram::new(3),
        };
        (r.report.surge_pods, r.report.unavailable_pods) = r.bounds(self.desired);
        r.annotated.1 = self.desired + r.report.surge_pods;
        self.rollout = Some(r);
        self.pending.push((now, Pending::RolloutSync));
    }

    /// The rollouts' reports (one still running last, without an end).
    pub(super) fn rollout_reports(&mut self) -> Vec<RolloutReport> {
        let mut out = std::mem::take(&mut self.rollouts);
        out.extend(self.rollout.take().map(Rollout::into_report));
        out
    }
}

impl Controller<'_> {
    /// A change of the pods during a rollout: one sync at this instant.
    pub(super) fn roll(&mut self, now: Nanos) {
        if let Some(r) = self.s.rollout.as_mut() {
            if !r.sync_pending {
                r.sync_pending = true;
                self.s.pending.push((now, Pending::RolloutSync));
            }
        }
    }

    /// The controller's sync: moves the ReplicaSets' counts until they
    /// settle, keeping each ReplicaSet's pods at its count; ends the rollout
    /// once complete.
    pub(super) fn rollout_sync(&mut self, now: Nanos) {
        let Some(r) = self.s.rollout.as_mut() else {
            return;
        };
        r.sync_pending = false;
        let desired = self.s.desired;
        if r.annotated.0 != desired {
            let (surge, _) = r.bounds(desired);
            let counts = proportional(r.new, r.old, desired, surge, r.annotated.1);
            r.annotated = (desired, desired + surge);
            r.step_to(now, counts);
            self.keep_counts(now);
        }
        loop {
            let counts = self.next_counts();
            let r = self.s.rollout.as_mut().expect("a rollout in progress");
            let moved = r.step_to(now, counts);
            let changed = self.keep_counts(now);
            if !moved && !changed {
                break;
            }
        }
        let c = self.counts();
        let r = self.s.rollout.as_mut().expect("a rollout in progress");
        if r.old == 0 && c.old_active == 0 && r.new == desired && c.new_ready == desired {
            r.report.completed_s = Some(round6(now.as_secs_f64()));
            let done = self.s.rollout.take().expect("a rollout in progress");
            self.s.rollouts.push(done.into_report());
        }
    }

    /// The pods of each template by state.
    fn counts(&self) -> Counts {
        let mut c = Counts {
            new_active: 0,
            new_ready: 0,
            old_active: 0,
            old_ready: 0,
        };
        for pod in &self.dep.pods {
            let new = pod.revision == self.s.revision;
            let (active, ready) = if new {
                (&mut c.new_active, &mut c.new_ready)
            } else {
                (&mut c.old_active, &mut c.old_ready)
            };
            match pod.state {
                PodState::Starting => *active += 1,
                PodState::Ready => {
                    *active += 1;
                    *ready += 1;
                }
                PodState::Draining | PodState::Gone => {}
            }
        }
        c
    }

    /// One pass of the controller's arithmetic over the ReplicaSets'
    /// counts and their ready pods: (new, old).
    fn next_counts(&self) -> (u32, u32) {
        let r = self.s.rollout.as_ref().expect("a rollout in progress");
        let desired = self.s.desired;
        let (surge, unavailable) = r.bounds(desired);
        let c = self.counts();
        let (mut new, mut old) = (r.new, r.old);
        // reconcileNewReplicaSet
        if new > desired {
            new = desired;
        } else if new < desired && new + old < desired + surge {
            new = desired.min(new + (desired + surge - (new + old)));
        }
        // reconcileOldReplicaSets
        let min_available = desired.saturating_sub(unavailable);
        let new_unavailable = new.saturating_sub(c.new_ready);
        let all = i64::from(new) + i64::from(old);
        let max_scaled_down = all - i64::from(min_available) - i64::from(new_unavailable);
        if old > 0 && max_scaled_down > 0 {
            // cleanupUnhealthyReplicas: old pods not ready go first.
            let unhealthy = old - c.old_ready.min(old);
            old -= unhealthy.min(u32::try_from(max_scaled_down).unwrap_or(u32::MAX));
            // scaleDownOldReplicaSetsForRollingUpdate (its own bound)
            let ready = c.old_ready.min(old) + c.new_ready;
            if ready > min_available {
                old -= (ready - min_available).min(old);
            }
        }
        (new, old)
    }

    /// Each ReplicaSet creates or deletes pods to match its count (new
    /// pods first, so the surge shows before the old pods go). Whether a
    /// pod changed; the peak pods and fewest ready are noted.
    fn keep_counts(&mut self, now: Nanos) -> bool {
        let before = self.counts();
        let (new, old) = {
            let r = self.s.rollout.as_ref().expect("a rollout in progress");
            (r.new, r.old)
        };
        let revision = self.s.revision;
        let mut created = 0;
        for _ in before.new_active..new {
            self.schedule_pod(now, revision);
            created += 1;
        }
        if before.new_active > new {
            self.remove_excess(now, before.new_active - new, |v| v == revision);
        }
        let mid = self.counts();
        for _ in before.old_active..old {
            self.schedule_pod(now, revision.wrapping_sub(1));
        }
        if before.old_active > old {
            self.remove_excess(now, before.old_active - old, |v| v != revision);
        }
        let after = self.counts();
        let r = self.s.rollout.as_mut().expect("a rollout in progress");
        r.report.pods_created += created;
        r.report.peak_pods = r
            .report
            .peak_pods
            .max(mid.new_active + mid.old_active)
            .max(after.new_active + after.old_active);
        r.report.min_ready = r.report.min_ready.min(after.new_ready + after.old_ready);
        let total = |c: Counts| (c.new_active, c.new_ready, c.old_active, c.old_ready);
        total(before) != total(after)
    }
}

#[cfg(test)]
mod tests {
    use super::proportional;

    #[test]
    fn a_scaling_event_mid_rollout_shares_the_new_pods_as_kubernetes_does() {
        // The Kubernetes documentation's example (Deployments, "Proportional
        // scaling"): 10 replicas, maxSurge 3, the old ReplicaSet at 8 and the
        // new one at 5 (max-replicas 13) when the deployment goes to 15:
        // 18 allowed, 5 to add; old round(8 x 18 / 13) - 8 = 3, new
        // round(5 x 18 / 13) - 5 = 2.
        assert_eq!(proportional(5, 8, 15, 3, 13), (7, 11));
        // 25% surge to 20 replicas: surge 5, 25 allowed, 12 to add; old
        // (larger, first) round(8 x 25 / 13) - 8 = 7, new min(5, 12 - 7) = 5.
        assert_eq!(proportional(5, 8, 20, 5, 13), (10, 15));
        // Down to 4 (surge 1): 5 allowed, 8 to remove; old (larger, first)
        // round(8 x 5 / 13) - 8 = -5, new round(5 x 5 / 13) - 5 = -3.
        assert_eq!(proportional(5, 8, 4, 1, 13), (2, 3));
        // Equal sizes: on the way up the newer takes the rounding's leftover,
        // on the way down the older loses it. 6 + 6 at max-replicas 13
        // to 11 + 2 = 13 allowed: 1 to add, new first: round(6 x 13 / 13) -
        // 6 = 0, old 0, leftover 1 to the new one.
        assert_eq!(proportional(6, 6, 11, 2, 13), (7, 6));
        // 6 + 6 to 9 + 2 = 11: 1 to remove, old first: round(6 x 11 / 13)
        // - 6 = -1, new max(-1, 0) = 0.
        assert_eq!(proportional(6, 6, 9, 2, 13), (6, 5));
        // A lone active ReplicaSet takes the whole count.
        assert_eq!(proportional(0, 10, 14, 4, 13), (0, 14));
        assert_eq!(proportional(10, 0, 7, 2, 13), (7, 0));
        // Nothing to move when the pods allowed are the pods there.
        assert_eq!(proportional(5, 8, 10, 3, 13), (5, 8));
    }
}
