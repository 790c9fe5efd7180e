//! The HPA loop: every sync period each pod's usage window is sampled
//! (busy worker time over capacity as CPU, the memory model, requests per
//! second; the `hpa.queue` depth as an external metric), the algorithm of
//! `src/algo/hpa` runs, and the pods are reconciled toward its desired
//! count. Also the HPA replays: the same code driven by given loads.
//!
//! Memory model: a pod uses `base_memory_mib` plus `per_request_mib` for each
//! request in it (in service or queued), averaged over the sample window,
//! plus what its L1 holds at the sample (entries x `l1.item_size`).

use super::{Controller, Pending, Scaling};
use crate::algo::hpa::{
    MetricError, MetricInput, MetricProposal, MetricSpec, PodMetric, PodPhase, PodSample,
    ResourceName,
};
use crate::algo::Nanos;
use crate::metrics::round6;
use crate::report::ScalingEvent;
use crate::scenario::Plan;
use crate::sim::deployment::{Deployment, PodState};

impl Controller<'_> {
    /// One HPA sync at `now`: samples every pod, runs the algorithm, applies
    /// the new desired count. `queue_depth`: the `hpa.queue` metric's value
    /// now; `l1_mib`: per pod, what its L1 holds (empty: nothing counted).
    pub(super) fn hpa_sync(&mut self, now: Nanos, queue_depth: u64, l1_mib: &[f64]) {
        let spec = self.spec;
        let Some(hpa_spec) = &spec.hpa else { return };
        let window = hpa_spec.sync_period;
        let mut cpu = Vec::with_capacity(self.dep.pods.len());
        let mut memory = Vec::with_capacity(self.dep.pods.len());
        let mut rps = Vec::with_capacity(self.dep.pods.len());
        for (p, pod) in self.dep.pods.iter_mut().enumerate() {
            if pod.state == PodState::Gone {
                continue;
            }
            pod.touch(now);
            let dt = u128::from(now.0.saturating_sub(pod.sample_start.0));
            let base = PodSample {
                phase: PodPhase::Running,
                deleting: pod.state == PodState::Draining,
                start_time: Some(pod.scheduled),
                ready: Some(pod.ready_condition()),
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
            let cpu_v = cpu_usage_milli(spec, pod, now, dtc, &mut self.dep.cpu_totals);
            let l1 = l1_mib.get(p).map_or(0.0, |m| m * 1000.0);
            let mem_v = (spec.base_memory_mib * 1000.0
                + spec.per_request_mib * 1000.0 * pod.inflight_area as f64 / dtc as f64
                + l1) as i64;
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
            status_replicas: (self.s.census.starting + self.s.census.ready) as i32,
        };
        self.apply_hpa(now, cpu, memory, rps, external);
    }

    fn apply_hpa(
        &mut self,
        now: Nanos,
        cpu: Vec<PodSample>,
        memory: Vec<PodSample>,
        rps: Vec<PodSample>,
        external: MetricInput,
    ) {
        let Some(hpa) = &mut self.s.hpa else {
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
        let from = self.s.desired;
        let rec = hpa.reconcile_at(now, from as i32, &inputs);
        record_usage(&mut self.s.usage, &hpa.spec().metrics, &rec.proposals);
        if rec.desired_replicas > 0 && rec.desired_replicas as u32 != from {
            let to = rec.desired_replicas as u32;
            self.s.desired = to;
            self.s.events.push(ScalingEvent {
                t_s: round6(now.as_secs_f64()),
                from,
                to,
                reason: rec.reason,
            });
        }
        self.reconcile(now);
    }
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
    let mut dep = Deployment::new(spec);
    let mut scale = Scaling::new(spec, plan.seed);
    // The replay's pods hold no requests: their deaths are only counted.
    let mut deaths = 0;
    let mut pending: Vec<(Nanos, Pending)> = Vec::new();
    let mut out = Vec::with_capacity(syncs);
    for k in 0..syncs {
        let now = Nanos(h.sync_period.0 * (k as u64 + 1));
        pending.append(&mut scale.pending);
        pending.sort_by_key(|&(t, _)| t);
        while let Some(&(t, what)) = pending.first() {
            if t > now {
                break;
            }
            pending.remove(0);
            let mut c = Controller {
                spec,
                dep: &mut dep,
                s: &mut scale,
                deaths: &mut deaths,
            };
            match what {
                Pending::PodReady(p) => c.pod_ready(t, p as usize),
                Pending::NodeNotice(n) => c.node_notice(t, n as usize),
                Pending::NodeGone(n) => c.node_gone(t, n as usize),
                Pending::RolloutSync => c.rollout_sync(t),
                // The replay's pods serve no requests: every probe passes.
                Pending::ProbeDue(_) | Pending::ProbeTimeout(_) => {}
            }
            pending.append(&mut scale.pending);
            pending.sort_by_key(|&(t, _)| t);
        }
        let depth = feed(&mut dep, k, now);
        Controller {
            spec,
            dep: &mut dep,
            s: &mut scale,
            deaths: &mut deaths,
        }
        .hpa_sync(now, depth, &[]);
        out.push(scale.desired);
    }
    out
}

/// Adds each metric's usage ratio (its value over its target, as the HPA
/// computes it) of one sync to `usage`.
fn record_usage(
    usage: &mut Vec<(f64, u32)>,
    metrics: &[MetricSpec],
    proposals: &[Result<MetricProposal, MetricError>],
) {
    usage.resize(metrics.len(), (0.0, 0));
    for ((m, p), u) in metrics.iter().zip(proposals).zip(usage.iter_mut()) {
        let Ok(p) = p else { continue };
        let ratio = match *m {
            MetricSpec::ResourceUtilization {
                target_average_utilization: t,
                ..
            } => p.utilization.map(|x| f64::from(x) / f64::from(t.max(1))),
            MetricSpec::ResourceAverageValue {
                target_average_value_milli: t,
                ..
            }
            | MetricSpec::PodsAverageValue {
                target_average_value_milli: t,
                ..
            }
            | MetricSpec::ExternalAverageValue {
                target_average_value_milli: t,
                ..
            } => Some(p.average_value_milli as f64 / t.max(1) as f64),
        };
        if let Some(r) = ratio {
            u.0 += r;
            u.1 += 1;
        }
    }
}

/// A pod's CPU use over the sample window of `dt` ns, millicores, as the
/// metrics server reports it: with the CPU model, the CPU it used (which can
/// pass the request, up to the limit); without, its busy worker slots' share
/// of the request.
fn cpu_usage_milli(
    spec: &crate::scenario::DeploymentSpec,
    pod: &mut super::super::deployment::Pod,
    now: Nanos,
    dt: u128,
    totals: &mut super::super::cpu::CpuTotals,
) -> i64 {
    if spec.cpu.is_none() {
        return (pod.busy_area * spec.cpu_milli as u128 / (dt * u128::from(spec.concurrency)))
            as i64;
    }
    pod.cpu.advance(now, totals);
    (pod.cpu.take_window() * 1000.0 / dt as f64) as i64
}
