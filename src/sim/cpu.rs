//! CPU on pods: the `Compute` steps of a deployment that declares CPU
//! (`resources.requests.cpu` or `resources.limits.cpu`) are CPU demands,
//! served by processor sharing over the cores the pod may use, under the
//! CFS quota of its CPU limit.
//!
//! ```text
//!  n jobs computing, c cores: each job runs at min(1, c / n) (a job uses at most one core)
//!  virtual time V: the service each job has had; a job ends when V reaches V_start + demand
//!  limit L cores: quota L x 100 ms per 100 ms period; spent ─▶ no job runs until the period ends
//! ```
//!
//! A pod's [`Processor`] is pure arithmetic (no simulator), so the PS and
//! quota rules are tested alone. The simulator keeps one pending completion
//! event per pod ([`CpuDone`]); a generation number in the event tells a
//! current one from one superseded since, so no event is ever removed.

use super::autoscale::is_probe;
use super::deployment::{Deployment, PodState};
use super::event::{Event, U16, U32};
use super::interpreter::Sim;
use crate::algo::Nanos;
use crate::metrics::round6;
use crate::report::{PodResourceReport, ScalingReport};
use crate::scenario::DeploymentSpec;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The CFS period (`cpu.cfs_period_us` default: 100 ms).
pub(super) const CFS_PERIOD: Nanos = Nanos(100_000_000);

/// A job whose service lies within this many nanoseconds of its demand is done
/// (event times are whole nanoseconds).
const DONE_SLACK: f64 = 0.5;

/// The next completion, quota exhaustion or period end of pod `pod` of
/// deployment `deployment`, valid while the pod's generation is `generation`.
#[derive(Copy, Clone, Debug)]
pub(super) struct CpuDone {
    pub(super) deployment: U16,
    pub(super) pod: U32,
    pub(super) generation: u8,
}

/// What a deployment's pods used, summed since the last reset.
#[derive(Clone, Debug, Default)]
pub(super) struct CpuTotals {
    /// CPU time used, nanoseconds (core-ns).
    pub(super) used_ns: f64,
    /// CFS periods in which a pod had work to run.
    pub(super) periods: u64,
    /// Of those, periods in which its quota ran out.
    pub(super) throttled_periods: u64,
}

/// One pod's processors: processor sharing over `cores`, under an optional quota.
#[derive(Clone, Debug)]
pub(super) struct Processor {
    /// Cores the pod may run on at once.
    cores: f64,
    /// CPU time per period (ns), with a limit.
    quota: Option<f64>,
    /// Service each running job has received (ns), from the last idle moment.
    virtual_ns: f64,
    /// (virtual finish bits, arrival sequence, request): earliest finish on top.
    jobs: BinaryHeap<Reverse<(u64, u64, u32)>>,
    seq: u64,
    last: Nanos,
    /// End of the current CFS period (with a quota).
    period_end: Nanos,
    /// CPU used in the current period (ns).
    used_in_period: f64,
    /// The quota ran out in this period: nothing runs until it ends.
    throttled: bool,
    /// Work was runnable in this period.
    demand_in_period: bool,
    /// CPU used since the last HPA sample (ns).
    window_ns: f64,
    /// Bumped whenever the pending completion event changes.
    pub(super) generation: u8,
    /// When the pending event is due (`Nanos::MAX`: none).
    due: Nanos,
}

impl Processor {
    /// A processor with `cores` cores and, under a CPU limit of `limit_cores`,
    /// its CFS quota; idle at `now`. `generation` seeds the event numbering.
    pub(super) fn new(cores: f64, limit_cores: Option<f64>, now: Nanos, generation: u8) -> Self {
        Processor {
            cores,
            quota: limit_cores.map(|l| l * CFS_PERIOD.0 as f64),
            virtual_ns: 0.0,
            jobs: BinaryHeap::new(),
            seq: 0,
            last: now,
            period_end: Nanos((now.0 / CFS_PERIOD.0 + 1) * CFS_PERIOD.0),
            used_in_period: 0.0,
            throttled: false,
            demand_in_period: false,
            window_ns: 0.0,
            generation,
            due: Nanos::MAX,
        }
    }

    /// Cores it may run on.
    pub(super) fn cores(&self) -> f64 {
        self.cores
    }

    /// Cores in use by `n` jobs (each runs on at most one).
    fn busy_cores(&self, n: usize) -> f64 {
        (n as f64).min(self.cores)
    }

    /// Brings the processor up to `now`, adding the CPU used to `totals`.
    pub(super) fn advance(&mut self, now: Nanos, totals: &mut CpuTotals) {
        while self.last < now {
            let n = self.jobs.len();
            let Some(quota) = self.quota else {
                if n > 0 {
                    let dt = (now - self.last).0 as f64;
                    self.run(n, dt, totals);
                }
                self.last = now;
                return;
            };
            if n == 0 && !self.throttled {
                if now >= self.period_end {
                    self.close_period(totals);
                    self.period_end = Nanos((now.0 / CFS_PERIOD.0 + 1) * CFS_PERIOD.0);
                }
                self.last = now;
                return;
            }
            let seg_end = now.min(self.period_end);
            if !self.throttled {
                self.demand_in_period = true;
                let k = self.busy_cores(n);
                let to_quota = ((quota - self.used_in_period) / k).max(0.0);
                let dt = (seg_end - self.last).0 as f64;
                if dt > to_quota {
                    self.run(n, to_quota, totals);
                    self.throttled = true;
                } else {
                    self.run(n, dt, totals);
                }
            }
            self.last = seg_end;
            if seg_end == self.period_end {
                self.close_period(totals);
                self.period_end += CFS_PERIOD;
            }
        }
    }

    /// `n` jobs run for `dt` ns, unthrottled.
    fn run(&mut self, n: usize, dt: f64, totals: &mut CpuTotals) {
        let k = self.busy_cores(n);
        self.virtual_ns += k / n as f64 * dt;
        self.used_in_period += k * dt;
        self.window_ns += k * dt;
        totals.used_ns += k * dt;
    }

    fn close_period(&mut self, totals: &mut CpuTotals) {
        totals.periods += u64::from(self.demand_in_period);
        totals.throttled_periods += u64::from(self.throttled);
        self.demand_in_period = false;
        self.throttled = false;
        self.used_in_period = 0.0;
    }

    /// Request `r` starts computing `demand` of CPU at `now`.
    pub(super) fn start(&mut self, now: Nanos, demand: Nanos, r: u32, totals: &mut CpuTotals) {
        self.advance(now, totals);
        if self.jobs.is_empty() {
            self.virtual_ns = 0.0; // keeps the clock's precision over a long run
        }
        let finish = self.virtual_ns + demand.0 as f64;
        self.jobs.push(Reverse((finish.to_bits(), self.seq, r)));
        self.seq += 1;
        self.demand_in_period = true;
    }

    /// A request whose compute is done by now (call after [`Processor::advance`]).
    pub(super) fn pop_done(&mut self) -> Option<u32> {
        let &Reverse((finish, _, r)) = self.jobs.peek()?;
        if f64::from_bits(finish) <= self.virtual_ns + DONE_SLACK {
            self.jobs.pop();
            Some(r)
        } else {
            None
        }
    }

    /// The requests still computing, removed (the pod died).
    pub(super) fn stop_all(&mut self, out: &mut Vec<u32>) {
        out.extend(self.jobs.drain().map(|Reverse((_, _, r))| r));
        self.due = Nanos::MAX;
    }

    /// When something next happens (a job ends, the quota runs out, a
    /// throttled period ends), from the state at the last advance.
    pub(super) fn next_due(&self) -> Option<Nanos> {
        let n = self.jobs.len();
        let &Reverse((finish, _, _)) = self.jobs.peek()?;
        if self.throttled {
            return Some(self.period_end);
        }
        let k = self.busy_cores(n);
        let remaining = (f64::from_bits(finish) - self.virtual_ns).max(0.0);
        let done = if remaining <= DONE_SLACK {
            self.last
        } else {
            let wait = (remaining * n as f64 / k).ceil().max(1.0);
            Nanos(self.last.0.saturating_add(wait.min(1e18) as u64))
        };
        let Some(quota) = self.quota else {
            return Some(done);
        };
        let to_quota = ((quota - self.used_in_period) / k).max(0.0).ceil() as u64;
        if to_quota == 0 {
            return Some(self.period_end); // spent: throttled from now to the period's end
        }
        let exhausted = Nanos(self.last.0.saturating_add(to_quota));
        if exhausted < self.period_end {
            Some(done.min(exhausted))
        } else if k * CFS_PERIOD.0 as f64 > quota {
            Some(done.min(self.period_end))
        } else {
            Some(done)
        }
    }

    /// Sets the pending event's time; true (and a new generation) if it changed.
    pub(super) fn set_due(&mut self, due: Nanos) -> bool {
        if due == self.due {
            return false;
        }
        self.due = due;
        self.generation = self.generation.wrapping_add(1);
        true
    }

    /// Whether an event of `generation` is the pending one; if so, it is
    /// pending no more (the caller advances and reschedules).
    pub(super) fn take_event(&mut self, generation: u8) -> bool {
        if self.generation != generation {
            return false;
        }
        self.due = Nanos::MAX;
        true
    }

    /// CPU used since the last call (ns), for an HPA sample.
    pub(super) fn take_window(&mut self) -> f64 {
        std::mem::take(&mut self.window_ns)
    }
}

impl Deployment {
    /// The CPU section of its report (`None` without the CPU model).
    pub(super) fn resource_report(
        &mut self,
        spec: &DeploymentSpec,
        now: Nanos,
        scaling: &ScalingReport,
    ) -> Option<PodResourceReport> {
        let cpu = spec.cpu.as_ref()?;
        for pod in &mut self.pods {
            if pod.state != PodState::Gone {
                pod.cpu.advance(now, &mut self.cpu_totals);
            }
        }
        let t = &self.cpu_totals;
        let request = spec.cpu_milli as f64 / 1000.0;
        let pod_seconds = scaling.pod_seconds_on_demand + scaling.pod_seconds_spot;
        let used_s = t.used_ns / 1e9;
        Some(PodResourceReport {
            cpu_request_cores: request,
            cpu_limit_cores: cpu.limit,
            cpu_used_cores: round6(used_s / now.as_secs_f64().max(1e-9)),
            cpu_used_pct_of_request: round6(100.0 * used_s / (request * pod_seconds).max(1e-9)),
            throttled_share: cpu
                .limit
                .map(|_| round6(t.throttled_periods as f64 / t.periods.max(1) as f64)),
        })
    }
}

impl Sim<'_> {
    /// Request `r`, in pod `p` of deployment `d`, computes `demand` of CPU.
    pub(super) fn start_compute(&mut self, now: Nanos, r: u32, d: usize, p: usize, demand: Nanos) {
        let dep = &mut self.families.pods.deployments[d];
        let pod = &mut dep.pods[p];
        pod.cpu.start(now, demand, r, &mut dep.cpu_totals);
        self.schedule_cpu(now, d, p);
    }

    /// A pod's CPU event: the jobs done by now resume their programs.
    pub(super) fn cpu_event(&mut self, now: Nanos, e: CpuDone) {
        let (d, p) = (e.deployment.get() as usize, e.pod.get() as usize);
        let dep = &mut self.families.pods.deployments[d];
        let pod = &mut dep.pods[p];
        if !pod.cpu.take_event(e.generation) {
            return; // superseded
        }
        pod.cpu.advance(now, &mut dep.cpu_totals);
        while let Some(r) = self.families.pods.deployments[d].pods[p].cpu.pop_done() {
            if is_probe(r) {
                self.probe_served(now, d, p, r);
            } else {
                self.ready.push_back(r);
            }
        }
        self.schedule_cpu(now, d, p);
    }

    /// (Re)schedules pod `p`'s next CPU event if its time changed.
    fn schedule_cpu(&mut self, now: Nanos, d: usize, p: usize) {
        let cpu = &mut self.families.pods.deployments[d].pods[p].cpu;
        let due = cpu.next_due().map_or(Nanos::MAX, |t| t.max(now));
        if cpu.set_due(due) && due != Nanos::MAX {
            let e = CpuDone {
                deployment: (d as u16).into(),
                pod: (p as u32).into(),
                generation: cpu.generation,
            };
            self.queue.schedule(due, Event::Cpu(e));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    /// Runs the processor's own events until every job is done; returns
    /// (request, finish time) in finish order.
    fn drain(cpu: &mut Processor, totals: &mut CpuTotals) -> Vec<(u32, Nanos)> {
        let mut out = Vec::new();
        while let Some(t) = cpu.next_due() {
            cpu.advance(t, totals);
            while let Some(r) = cpu.pop_done() {
                out.push((r, t));
            }
        }
        out
    }

    #[test]
    fn sharing_one_core_stretches_both_jobs() {
        let mut totals = CpuTotals::default();
        let mut cpu = Processor::new(1.0, None, Nanos::ZERO, 0);
        cpu.start(Nanos::ZERO, Nanos(10 * MS), 1, &mut totals);
        cpu.start(Nanos::ZERO, Nanos(20 * MS), 2, &mut totals);
        // Both at rate 1/2 until job 1 has had 10 ms (t = 20 ms); job 2 then
        // alone for its last 10 ms.
        assert_eq!(
            drain(&mut cpu, &mut totals),
            [(1, Nanos(20 * MS)), (2, Nanos(30 * MS))]
        );
        assert!((totals.used_ns - 30.0 * MS as f64).abs() < 1.0);
    }

    #[test]
    fn each_job_uses_at_most_one_core() {
        let mut totals = CpuTotals::default();
        let mut cpu = Processor::new(4.0, None, Nanos::ZERO, 0);
        for r in 0..2 {
            cpu.start(Nanos::ZERO, Nanos(10 * MS), r, &mut totals);
        }
        let done = drain(&mut cpu, &mut totals);
        assert_eq!(done, [(0, Nanos(10 * MS)), (1, Nanos(10 * MS))]);
    }

    #[test]
    fn a_half_core_limit_runs_50ms_of_each_100ms_period() {
        let mut totals = CpuTotals::default();
        let mut cpu = Processor::new(2.0, Some(0.5), Nanos::ZERO, 0);
        cpu.start(Nanos::ZERO, Nanos(1000 * MS), 7, &mut totals);
        // 1 s of CPU at 50 ms per period: 19 full periods, then 50 ms.
        assert_eq!(drain(&mut cpu, &mut totals), [(7, Nanos(1950 * MS))]);
        cpu.advance(Nanos(2000 * MS), &mut totals);
        assert_eq!((totals.periods, totals.throttled_periods), (20, 19));
    }

    #[test]
    fn a_limit_above_the_demand_never_throttles() {
        let mut totals = CpuTotals::default();
        let mut cpu = Processor::new(2.0, Some(1.5), Nanos(30 * MS), 0);
        cpu.start(Nanos(30 * MS), Nanos(500 * MS), 1, &mut totals);
        assert_eq!(drain(&mut cpu, &mut totals), [(1, Nanos(530 * MS))]);
        cpu.advance(Nanos(600 * MS), &mut totals);
        assert_eq!(totals.throttled_periods, 0);
        assert_eq!(totals.periods, 6); // 0-100 ms (from 30 ms) ... 500-600 ms
    }

    #[test]
    fn the_quota_is_shared_by_parallel_jobs() {
        // Two jobs on two cores under a 1-core limit: 2 cores x 50 ms per
        // period, so 100 ms of CPU each takes two periods' quota: done at 150 ms.
        let mut totals = CpuTotals::default();
        let mut cpu = Processor::new(2.0, Some(1.0), Nanos::ZERO, 0);
        cpu.start(Nanos::ZERO, Nanos(100 * MS), 1, &mut totals);
        cpu.start(Nanos::ZERO, Nanos(100 * MS), 2, &mut totals);
        let done = drain(&mut cpu, &mut totals);
        assert_eq!(done, [(1, Nanos(150 * MS)), (2, Nanos(150 * MS))]);
    }

    #[test]
    fn stopping_removes_every_job() {
        let mut totals = CpuTotals::default();
        let mut cpu = Processor::new(1.0, None, Nanos::ZERO, 0);
        cpu.start(Nanos::ZERO, Nanos(MS), 3, &mut totals);
        cpu.start(Nanos::ZERO, Nanos(MS), 4, &mut totals);
        let mut out = Vec::new();
        cpu.stop_all(&mut out);
        out.sort_unstable();
        assert_eq!(out, [3, 4]);
        assert_eq!(cpu.next_due(), None);
    }
}
