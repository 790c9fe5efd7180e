//! The fault timeline at run time: each fault starts and (if it has an end)
//! ends at its times, and is handed to the family it acts on.
//!
//! ```text
//!  FaultStart(i) ──▶ Slowdown · FailDependency · PurgeCdn · ReplicationLag · Failover
//!                    · FlushCache · RegionDown · KillPods · ReclaimSpot · ZoneDown
//!                    · Deploy
//!  FaultEnd(i)   ──▶ the same fault undone (where undoing means something)
//! ```

use super::event::{Event, U16};
use super::families::Family;
use super::interpreter::Sim;
use crate::algo::Nanos;
use crate::metrics::round6;
use crate::report::{FaultReport, Report};
use crate::scenario::{FaultKind, Plan, StationRef};

/// A fault event: fault `i` of the timeline starts or ends.
#[derive(Copy, Clone, Debug)]
#[repr(u8)]
pub(super) enum FaultEvent {
    /// Fault `i` begins.
    Start(U16),
    /// Fault `i` ends.
    End(U16),
}

/// The fault family: its state is the plan's timeline (nothing changes at
/// run time); it schedules the faults and reports them.
pub(super) struct Faults;

impl Family for Faults {
    /// Each fault's window; a `Deploy` ends when its rollout completed
    /// (autoscaling reported the rollouts before).
    fn report(&mut self, plan: &Plan, _now: Nanos, report: &mut Report) {
        let rollout_end = |i: usize, d: usize| {
            report.scaling[d]
                .rollouts
                .iter()
                .find(|r| r.fault == i)
                .and_then(|r| r.completed_s)
        };
        let faults = plan
            .faults
            .iter()
            .enumerate()
            .map(|(i, f)| FaultReport {
                label: f.label.clone(),
                at_s: round6(f.at.as_secs_f64()),
                until_s: match f.kind {
                    FaultKind::Deploy { deployment, .. } => rollout_end(i, deployment),
                    _ => f.until.map(|u| round6(u.as_secs_f64())),
                },
            })
            .collect();
        report.faults = faults;
    }
}

impl Sim<'_> {
    /// Schedules every fault's start and end.
    pub(super) fn schedule_faults(&mut self) {
        for (i, f) in self.plan.faults.iter().enumerate() {
            let i = (i as u16).into();
            self.queue
                .schedule(f.at, Event::Fault(FaultEvent::Start(i)));
            if let Some(until) = f.until {
                self.queue.schedule(until, Event::Fault(FaultEvent::End(i)));
            }
        }
    }

    /// Routes a fault event.
    pub(super) fn fault_event(&mut self, now: Nanos, event: FaultEvent) {
        match event {
            FaultEvent::Start(i) => self.apply_fault(i.get() as usize, true, now),
            FaultEvent::End(i) => self.apply_fault(i.get() as usize, false, now),
        }
    }

    /// Starts (`on`) or ends fault `i` of the timeline.
    fn apply_fault(&mut self, i: usize, on: bool, now: Nanos) {
        let plan = self.plan;
        let fam = &mut self.families;
        match plan.faults[i].kind {
            FaultKind::RegionDown { region } => fam.regions.set_down(region, on),
            FaultKind::Slowdown { target, factor } => {
                let f = if on { factor } else { 1.0 };
                match target {
                    StationRef::Deployment(d) => fam.pods.deployments[d].slowdown = f,
                    StationRef::Database(d) => fam.queries.databases[d].slowdown = f,
                    StationRef::Dependency(d) => fam.dependencies.states[d].slowdown = f,
                }
            }
            FaultKind::FailDependency {
                dependency,
                error_rate,
            } => {
                fam.dependencies.states[dependency].error_rate = if on {
                    error_rate
                } else {
                    plan.dependencies[dependency].error_rate
                };
            }
            FaultKind::PurgeCdn { cdn } => {
                if on {
                    fam.cdn.purge(cdn, self.measure.on);
                }
            }
            // Both act on the copy that takes the writes (the named database
            // unless its primary region is another of its regions).
            FaultKind::ReplicationLag { db, extra } => {
                let writer = plan.databases[db].writer;
                fam.queries.databases[writer].extra_lag = if on { extra } else { Nanos::ZERO };
            }
            FaultKind::Failover { db } => {
                fam.queries.databases[plan.databases[db].writer].failing_over = on;
            }
            FaultKind::FlushCache { target } => {
                if on {
                    self.flush(target);
                }
            }
            FaultKind::KillPods { deployment, count } => {
                if on {
                    self.kill_pods(now, deployment, count);
                }
            }
            FaultKind::ReclaimSpot {
                deployment,
                count,
                fraction,
            } => {
                if on {
                    self.reclaim_spot(now, deployment, count, fraction);
                }
            }
            FaultKind::ZoneDown { ref targets } => {
                for &(d, z) in targets {
                    self.zone_down(now, d, z, on);
                }
            }
            FaultKind::Deploy {
                deployment,
                max_surge,
                max_unavailable,
            } => {
                if on {
                    self.deploy(now, deployment, i, max_surge, max_unavailable);
                }
            }
        }
    }
}
