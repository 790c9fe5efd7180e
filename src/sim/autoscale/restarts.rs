//! The kubelet's restarts of OOM-killed containers (and of failed
//! liveness probes, `probes.rs`). The pod stays (its
//! index, node and zone; the ReplicaSet does not replace it): its container
//! starts again at once after a first crash, then after the CrashLoopBackOff
//! delay, 10 s doubling up to 5 minutes; the delay starts over once the
//! container ran 10 minutes since its last restart. It is ready after its
//! startup, with a cold L1. A draining pod is not restarted: it goes.
//!
//! ```text
//!  Ready ──OOM──▶ back-off (0, 10 s, 20 s, .. 5 min) ──▶ restart ──startup──▶ Ready
//! ```

use super::{Controller, Pending};
use crate::algo::Nanos;
use crate::sim::deployment::PodState;

/// The back-off after the second crash in a row.
const FIRST_BACKOFF: Nanos = Nanos(10_000_000_000);
/// The longest back-off.
const MAX_BACKOFF: Nanos = Nanos(300_000_000_000);
/// Running this long since its last restart resets a container's back-off.
const BACKOFF_RESET: Nanos = Nanos(600_000_000_000);

/// One pod's crash loop: its consecutive crashes and its last restart.
#[derive(Copy, Clone, Debug, Default)]
pub(super) struct CrashLoop {
    /// The pod's creation time (a reused index is a new pod).
    pod: Nanos,
    /// Crashes since the back-off last started over.
    crashes: u32,
    /// When its container last restarted.
    restarted: Nanos,
}

impl CrashLoop {
    /// The delay before the restart after a crash at `now`, counting the crash.
    fn next_delay(&mut self, now: Nanos) -> Nanos {
        if self.crashes > 0 && now.saturating_sub(self.restarted) > BACKOFF_RESET {
            self.crashes = 0;
        }
        let delay = match self.crashes {
            0 => Nanos::ZERO,
            n => {
                let doublings = (n - 1).min(16);
                Nanos(FIRST_BACKOFF.0.saturating_mul(1 << doublings)).min(MAX_BACKOFF)
            }
        };
        self.crashes += 1;
        self.restarted = now.saturating_add(delay);
        delay
    }
}

/// What the OOM kills did to a deployment: kills, restarts, peak memory.
#[derive(Copy, Clone, Debug, Default)]
pub(super) struct OomCounts {
    pub(super) kills: u64,
    pub(super) restarts: u64,
    pub(super) peak_mib: f64,
}

impl Controller<'_> {
    /// Pod `p` is OOM-killed at `now`: its requests fail; it restarts after
    /// its back-off (counted if that is before `end`), or goes if draining.
    pub(super) fn oom_kill(&mut self, now: Nanos, p: usize, end: Nanos) {
        self.s.oom.kills += 1;
        if self.restart_container(now, p).is_some_and(|t| t < end) {
            self.s.oom.restarts += 1;
        }
    }

    /// Pod `p`'s container dies at `now` (OOM kill, failed liveness): its
    /// requests fail; it restarts in place after its back-off, or goes if
    /// draining. When it restarts (`None`: it went).
    pub(super) fn restart_container(&mut self, now: Nanos, p: usize) -> Option<Nanos> {
        let state = self.dep.pods[p].state;
        if state == PodState::Draining {
            self.kill_pod(now, p);
            self.reconcile(now);
            return None;
        }
        if self.s.crash.len() <= p {
            self.s.crash.resize(p + 1, CrashLoop::default());
        }
        let born = self.dep.pods[p].scheduled;
        let crash = &mut self.s.crash[p];
        if crash.pod != born {
            *crash = CrashLoop {
                pod: born,
                ..CrashLoop::default()
            };
        }
        let restart = now.saturating_add(crash.next_delay(now));
        let ready_at = restart.saturating_add(self.spec.startup);
        let zone = self.s.placed[p].zone;
        self.s.census.remove(zone, state);
        self.dep
            .restart_pod(self.spec, now, p, ready_at, self.deaths);
        let now_state = self.dep.pods[p].state;
        self.s.census.add(zone, now_state);
        if now_state == PodState::Starting {
            self.s.pending.push((ready_at, Pending::PodReady(p as u32)));
        }
        self.start_probing(restart, p);
        Some(restart)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_is_none_then_ten_seconds_doubling_to_five_minutes_and_resets_after_ten() {
        let s = |x: u64| Nanos(x * 1_000_000_000);
        let mut c = CrashLoop::default();
        let mut now = s(100);
        let mut delays = Vec::new();
        for _ in 0..8 {
            let d = c.next_delay(now);
            delays.push(d.0 / 1_000_000_000);
            now = now.saturating_add(d).saturating_add(s(1)); // dies 1 s after each restart
        }
        assert_eq!(delays, [0, 10, 20, 40, 80, 160, 300, 300]);
        // Ten minutes and a second after its last restart: back to no delay.
        let later = c.restarted.saturating_add(s(601));
        assert_eq!(c.next_delay(later), Nanos::ZERO);
        assert_eq!(c.next_delay(later.saturating_add(s(5))), s(10));
    }
}
