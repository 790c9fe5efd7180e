//! The kubelet's readiness and liveness probes. On the shared port a probe
//! is a token in the pod's worker queue (not a request: ids from
//! [`PROBE_TOKENS`] up), so it waits behind real work, takes a worker slot
//! and, with the CPU model, computes the probe's cost; its answer is a pass
//! unless the kubelet gave up first, at its timeout (a failure; the token
//! still runs when its turn comes, as a real handler would). On a separate
//! port every probe of a live container passes.
//!
//! ```text
//!  due ──▶ send (token in the pod's queue) ──answer──▶ pass  ─┐  next due: max(sent + period,
//!   ▲          └──────────timeout────────────▶ fail  ─┤            the answer or the timeout)
//!   └──────────────────────────────────────────────────┘
//!  failure_threshold fails in a row: readiness ──▶ out of the balancers' targets
//!                                    liveness  ──▶ container restarted in place
//!  success_threshold passes in a row: readiness ──▶ back in the targets
//! ```
//!
//! Each container's probes start at its start plus `initial_delay` plus an
//! offset in `[0, period)` drawn by hashing the seed and the pod index (so
//! pods started together are not probed in the same nanosecond); probes
//! due while the pod starts or drains are not sent.

use super::{Controller, Pending};
use crate::algo::Nanos;
use crate::report::ProbeReport;
use crate::scenario::{ProbeSpec, ProbesSpec};
use crate::sim::deployment::PodState;
use crate::sim::interpreter::Sim;
use crate::sim::station::Admission;

/// Ids from here up in a pod's worker queue or processor are probes.
pub(in crate::sim) const PROBE_TOKENS: u32 = 0xFF00_0000;
/// Bits of a probe token holding its sequence number.
const SEQ_BITS: u32 = 23;
const SEQ_MASK: u32 = (1 << SEQ_BITS) - 1;

/// Whether an id in a pod's queue or processor is a probe.
#[inline]
pub(in crate::sim) fn is_probe(id: u32) -> bool {
    id >= PROBE_TOKENS
}

/// Which probe.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(in crate::sim) enum ProbeKind {
    /// Takes the pod out of the targets, and back.
    Readiness = 0,
    /// Restarts the container.
    Liveness = 1,
}

impl ProbeKind {
    /// The kind from its number (0 readiness, 1 liveness).
    fn from_bit(bit: u32) -> ProbeKind {
        if bit == 0 {
            ProbeKind::Readiness
        } else {
            ProbeKind::Liveness
        }
    }
}

/// The token of probe number `seq` of `kind`.
fn token(kind: ProbeKind, seq: u32) -> u32 {
    PROBE_TOKENS | ((kind as u32) << SEQ_BITS) | (seq & SEQ_MASK)
}

/// A token's kind and sequence number.
fn decode(token: u32) -> (ProbeKind, u32) {
    (
        ProbeKind::from_bit((token >> SEQ_BITS) & 1),
        token & SEQ_MASK,
    )
}

/// What a probe's result did to its verdict.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(in crate::sim) enum Change {
    /// `failure_threshold` failures in a row: the probe fails.
    Failed,
    /// `success_threshold` passes in a row after failing: it passes again.
    Recovered,
}

/// The kubelet's threshold counting of one probe (its `resultRun`): a
/// verdict changes only after enough results in a row that disagree with it.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub(in crate::sim) struct Verdict {
    /// The probe is failing (starts passing: the pod is ready and live).
    pub(in crate::sim) failing: bool,
    /// Results in a row that disagree with the verdict.
    run: u32,
}

impl Verdict {
    /// Counts one result; the change it makes, if any.
    pub(in crate::sim) fn record(&mut self, passed: bool, spec: &ProbeSpec) -> Option<Change> {
        if passed != self.failing {
            self.run = 0; // agrees with the verdict
            return None;
        }
        self.run += 1;
        let needed = if passed {
            spec.success_threshold
        } else {
            spec.failure_threshold
        };
        if self.run < needed {
            return None;
        }
        self.run = 0;
        self.failing = !passed;
        Some(if passed {
            Change::Recovered
        } else {
            Change::Failed
        })
    }
}

/// One probe of one pod.
#[derive(Copy, Clone, Debug, Default)]
struct ProbeState {
    verdict: Verdict,
    /// When the next probe is due (an event at another time is stale).
    due: Nanos,
    /// The probe the kubelet waits on: its sequence number and when it was sent.
    waiting: Option<(u32, Nanos)>,
    /// Probes sent to this container.
    sent: u32,
}

/// What a deployment's probes did, over the whole run.
#[derive(Copy, Clone, Debug, Default)]
pub(super) struct ProbeCounts {
    pub(super) readiness_failures: u64,
    pub(super) liveness_failures: u64,
    pub(super) removed_from_targets: u64,
    pub(super) liveness_restarts: u64,
}

/// The kubelet's probes of a deployment's pods, by pod index and kind.
#[derive(Clone, Debug, Default)]
pub(super) struct Kubelet {
    pods: Vec<[ProbeState; 2]>,
    pub(super) counts: ProbeCounts,
    seed: u64,
}

impl Kubelet {
    /// No pod probed yet; offsets hashed from `seed`.
    pub(super) fn new(seed: u64) -> Kubelet {
        Kubelet {
            seed,
            ..Kubelet::default()
        }
    }
}

impl Kubelet {
    /// What the probes did, for the deployment's scaling report.
    pub(super) fn report(&self) -> ProbeReport {
        let c = &self.counts;
        ProbeReport {
            readiness_failures: c.readiness_failures,
            liveness_failures: c.liveness_failures,
            removed_from_targets: c.removed_from_targets,
            liveness_restarts: c.liveness_restarts,
        }
    }
}

/// A pod's offset into its probes' period: a hash of the seed, the pod
/// index and the kind (SplitMix64's finaliser) scaled to `[0, period)`.
fn offset(seed: u64, p: usize, kind: ProbeKind, period: Nanos) -> Nanos {
    let mut z = seed ^ ((p as u64) << 1 | kind as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    Nanos(((u128::from(period.0) * u128::from(z >> 32)) >> 32) as u64)
}

/// A probe's spec of `kind`, if the deployment has one.
fn spec_of(probes: &ProbesSpec, kind: ProbeKind) -> Option<&ProbeSpec> {
    match kind {
        ProbeKind::Readiness => probes.readiness.as_ref(),
        ProbeKind::Liveness => probes.liveness.as_ref(),
    }
}

/// The payload of a probe event: pod index and kind.
pub(super) fn pod_and_kind(p: usize, kind: ProbeKind) -> u32 {
    (p as u32) << 1 | kind as u32
}

/// A probe event's pod index and kind.
pub(super) fn split(x: u32) -> (usize, ProbeKind) {
    ((x >> 1) as usize, ProbeKind::from_bit(x & 1))
}

/// How the kubelet's wait for a probe ends.
#[derive(Copy, Clone, Debug)]
enum Outcome {
    /// The pod answered the probe with this sequence number.
    Answer(u32),
    /// The timeout of the probe waited on.
    Timeout,
    /// The pod's queue was full.
    Refused,
}

/// What the simulator does for a probe that is due.
pub(super) enum Send {
    /// Nothing now (stale, or not sent).
    Nothing,
    /// Put this token in the pod's worker queue.
    Token(u32),
}

impl Controller<'_> {
    /// Container `p` starts at `start` (a new pod, or a restart): its
    /// probes start over, the first due after `initial_delay` and its offset.
    pub(super) fn start_probing(&mut self, start: Nanos, p: usize) {
        let Some(probes) = &self.spec.probes else {
            return;
        };
        let Some(k) = self.s.probes.as_mut() else {
            return;
        };
        if k.pods.len() <= p {
            k.pods.resize(p + 1, [ProbeState::default(); 2]);
        }
        for kind in [ProbeKind::Readiness, ProbeKind::Liveness] {
            let state = &mut k.pods[p][kind as usize];
            *state = ProbeState::default();
            if let Some(spec) = spec_of(probes, kind) {
                state.due = start
                    .saturating_add(spec.initial_delay)
                    .saturating_add(offset(k.seed, p, kind, spec.period));
                let x = pod_and_kind(p, kind);
                self.s.pending.push((state.due, Pending::ProbeDue(x)));
            }
        }
    }

    /// The probe of `kind` of pod `p` is due at `now` (if the event is
    /// current): on a separate port it passes; on the shared port its
    /// token goes to the pod (the caller queues it) and its timeout is set.
    pub(super) fn probe_due(&mut self, now: Nanos, p: usize, kind: ProbeKind) -> Send {
        let (Some(probes), Some(k)) = (&self.spec.probes, self.s.probes.as_mut()) else {
            return Send::Nothing;
        };
        let Some(spec) = spec_of(probes, kind) else {
            return Send::Nothing;
        };
        let state = &mut k.pods[p][kind as usize];
        if state.due != now || state.waiting.is_some() {
            return Send::Nothing;
        }
        match self.dep.pods[p].state {
            PodState::Gone => return Send::Nothing,
            PodState::Starting | PodState::Draining => {
                self.next_probe(p, kind, now.saturating_add(spec.period));
                return Send::Nothing;
            }
            PodState::Ready => {}
        }
        if !probes.shared_port {
            self.probe_result(now, p, kind, true);
            self.next_probe(p, kind, now.saturating_add(spec.period));
            return Send::Nothing;
        }
        let state = &mut self.s.probes.as_mut().expect("probed").pods[p][kind as usize];
        state.sent = state.sent.wrapping_add(1);
        state.waiting = Some((state.sent, now));
        let x = pod_and_kind(p, kind);
        self.s
            .pending
            .push((now.saturating_add(spec.timeout), Pending::ProbeTimeout(x)));
        Send::Token(token(kind, state.sent))
    }

    /// The probe of `kind` of pod `p` times out at `now` (if the kubelet
    /// still waits on it then): a failure.
    pub(super) fn probe_timeout(&mut self, now: Nanos, p: usize, kind: ProbeKind, end: Nanos) {
        self.probe_ends(now, p, kind, Outcome::Timeout, end);
    }

    /// The pod answered probe token `token` at `now`: a pass if the
    /// kubelet still waits on it.
    pub(super) fn probe_answered(&mut self, now: Nanos, p: usize, token: u32, end: Nanos) {
        let (kind, seq) = decode(token);
        self.probe_ends(now, p, kind, Outcome::Answer(seq), end);
    }

    /// The pod refused probe token `token` (its queue is full): a failure at once.
    pub(super) fn probe_refused(&mut self, now: Nanos, p: usize, token: u32, end: Nanos) {
        let (kind, _) = decode(token);
        self.probe_ends(now, p, kind, Outcome::Refused, end);
    }

    /// The kubelet stops waiting on the probe of `kind` of pod `p`, if
    /// `outcome` concerns the probe it waits on: a pass for its answer, a
    /// failure at its timeout or refusal. A liveness failure that makes
    /// the probe fail restarts the container.
    fn probe_ends(&mut self, now: Nanos, p: usize, kind: ProbeKind, outcome: Outcome, end: Nanos) {
        let (Some(probes), Some(k)) = (&self.spec.probes, self.s.probes.as_mut()) else {
            return;
        };
        let Some(spec) = spec_of(probes, kind).copied() else {
            return;
        };
        let Some((seq, sent)) = k.pods[p][kind as usize].waiting else {
            return;
        };
        if self.dep.pods[p].state == PodState::Gone {
            k.pods[p][kind as usize].waiting = None; // killed: nobody to probe
            return;
        }
        let passed = match outcome {
            Outcome::Answer(a) if a == seq & SEQ_MASK => true,
            Outcome::Answer(_) => return, // an answer the kubelet gave up on
            Outcome::Timeout if sent.saturating_add(spec.timeout) == now => false,
            Outcome::Timeout => return, // the timeout of a probe that ended earlier
            Outcome::Refused => false,
        };
        k.pods[p][kind as usize].waiting = None;
        self.next_probe(p, kind, sent.saturating_add(spec.period).max(now));
        let change = self.probe_result(now, p, kind, passed);
        if kind == ProbeKind::Liveness && change == Some(Change::Failed) {
            self.liveness_restart(now, p, end);
        }
    }

    /// Schedules the probe of `kind` of pod `p` at `due`.
    fn next_probe(&mut self, p: usize, kind: ProbeKind, due: Nanos) {
        if let Some(k) = self.s.probes.as_mut() {
            k.pods[p][kind as usize].due = due;
            self.s
                .pending
                .push((due, Pending::ProbeDue(pod_and_kind(p, kind))));
        }
    }

    /// Counts a result of the probe of `kind` of pod `p`; a readiness
    /// change takes the pod out of the targets or brings it back. The
    /// change of its verdict, if any.
    fn probe_result(
        &mut self,
        now: Nanos,
        p: usize,
        kind: ProbeKind,
        passed: bool,
    ) -> Option<Change> {
        let (Some(probes), Some(k)) = (&self.spec.probes, self.s.probes.as_mut()) else {
            return None;
        };
        let spec = spec_of(probes, kind)?;
        if !passed {
            match kind {
                ProbeKind::Readiness => k.counts.readiness_failures += 1,
                ProbeKind::Liveness => k.counts.liveness_failures += 1,
            }
        }
        let change = k.pods[p][kind as usize].verdict.record(passed, spec);
        match (kind, change) {
            (ProbeKind::Readiness, Some(Change::Failed)) => {
                k.counts.removed_from_targets += 1;
                self.dep.pods[p].touch(now);
                self.dep.pods[p].unready = true;
                self.dep.pods[p].readiness_changed = now;
            }
            (ProbeKind::Readiness, Some(Change::Recovered)) => {
                self.dep.pods[p].unready = false;
                self.dep.pods[p].readiness_changed = now;
            }
            _ => {}
        }
        change
    }

    /// Liveness failed: the container restarts in place (a draining pod goes).
    fn liveness_restart(&mut self, now: Nanos, p: usize, end: Nanos) {
        if self.restart_container(now, p).is_some_and(|t| t < end) {
            if let Some(k) = self.s.probes.as_mut() {
                k.counts.liveness_restarts += 1;
            }
        }
    }
}

impl Sim<'_> {
    /// The probe of `kind` of pod `p` of deployment `d` is due at `now`:
    /// on the shared port its token asks the pod for a worker slot. A free
    /// slot answers at once without the CPU model and computes the probe's
    /// cost with it; a busy pod queues it; a full queue refuses it.
    pub(super) fn probe_due(&mut self, now: Nanos, d: usize, p: usize, kind: ProbeKind) {
        let Send::Token(token) = self.controller(d).probe_due(now, p, kind) else {
            return;
        };
        let end = self.plan.duration;
        let spec = &self.plan.deployments[d];
        let pod = &mut self.families.pods.deployments[d].pods[p];
        pod.touch(now);
        if spec.cpu.is_none() && pod.slots.has_free() {
            self.controller(d).probe_answered(now, p, token, end);
            return;
        }
        match pod.slots.admit(token, now) {
            Admission::Started => self.probe_takes_slot(now, d, p, token),
            Admission::Queued => {}
            Admission::Rejected => self.controller(d).probe_refused(now, p, token, end),
        }
    }

    /// Probe token `token` takes a worker slot of pod `p` of deployment
    /// `d` at `now`: it computes the probe's cost with the CPU model, or is
    /// answered at once.
    pub(in crate::sim) fn probe_takes_slot(&mut self, now: Nanos, d: usize, p: usize, token: u32) {
        let spec = &self.plan.deployments[d];
        match (&spec.cpu, &spec.probes) {
            (Some(_), Some(probes)) => self.start_compute(now, token, d, p, probes.cost),
            _ => self.probe_served(now, d, p, token),
        }
    }

    /// Pod `p` of deployment `d` answered probe token `token` at `now`:
    /// the kubelet hears it (if it still waits) and the slot goes to the
    /// next in line.
    pub(in crate::sim) fn probe_served(&mut self, now: Nanos, d: usize, p: usize, token: u32) {
        let end = self.plan.duration;
        self.controller(d).probe_answered(now, p, token, end);
        self.flush_scaling(now, d);
        self.families.pods.deployments[d].pods[p].touch(now);
        self.next_in_line(now, d, p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(failure_threshold: u32, success_threshold: u32) -> ProbeSpec {
        ProbeSpec {
            period: Nanos(10),
            timeout: Nanos(1),
            failure_threshold,
            success_threshold,
            initial_delay: Nanos::ZERO,
        }
    }

    #[test]
    fn the_verdict_changes_after_threshold_results_in_a_row() {
        let s = spec(3, 2);
        let mut v = Verdict::default();
        // pass, fail, fail, pass (the run starts over), fail, fail, fail:
        // failing at the 7th; fail, pass, fail, pass, pass: passing at the 12th.
        let results = [
            true, false, false, true, false, false, false, false, true, false, true, true,
        ];
        let changes: Vec<(usize, Change)> = results
            .iter()
            .enumerate()
            .filter_map(|(i, &r)| v.record(r, &s).map(|c| (i + 1, c)))
            .collect();
        assert_eq!(changes, [(7, Change::Failed), (12, Change::Recovered)]);
        assert!(!v.failing);
    }

    #[test]
    fn thresholds_of_one_follow_every_result() {
        let s = spec(1, 1);
        let mut v = Verdict::default();
        assert_eq!(v.record(true, &s), None);
        assert_eq!(v.record(false, &s), Some(Change::Failed));
        assert_eq!(v.record(false, &s), None);
        assert_eq!(v.record(true, &s), Some(Change::Recovered));
    }

    #[test]
    fn tokens_round_trip_and_are_not_request_ids() {
        for kind in [ProbeKind::Readiness, ProbeKind::Liveness] {
            for seq in [0, 1, SEQ_MASK, SEQ_MASK + 5] {
                let t = token(kind, seq);
                assert!(is_probe(t));
                assert_eq!(decode(t), (kind, seq & SEQ_MASK));
            }
        }
        assert!(!is_probe(PROBE_TOKENS - 1));
        assert_eq!(
            split(pod_and_kind(12345, ProbeKind::Liveness)),
            (12345, ProbeKind::Liveness)
        );
    }

    #[test]
    fn offsets_spread_pods_over_the_period() {
        let period = Nanos(10_000_000_000);
        let offs: Vec<Nanos> = (0..8)
            .map(|p| offset(7, p, ProbeKind::Readiness, period))
            .collect();
        assert!(offs.iter().all(|&o| o < period));
        let mut sorted = offs.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 8, "{offs:?}");
        assert_eq!(
            offs,
            (0..8)
                .map(|p| offset(7, p, ProbeKind::Readiness, period))
                .collect::<Vec<_>>()
        );
    }
}
