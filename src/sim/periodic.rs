//! Requests the system sends itself on a timer (`workload.periodic`): a
//! Prometheus scrape, a health checker. Each is a detached request (nobody
//! in the workload waits for it, so it is never counted) that runs its
//! endpoint's steps and takes their resources like any other.
//!
//! ```text
//!  every ──▶ new detached request of the endpoint ──▶ its steps (slots, CPU, queries…)
//!    └── next at now + every, while before the end of the run
//! ```

use super::event::Event;
use super::interpreter::{Request, Sim};
use crate::algo::Nanos;

impl Sim<'_> {
    /// Schedules each periodic request's first send, `every` after the start.
    pub(super) fn start_periodic(&mut self) {
        for (i, p) in self.plan.workload.periodic.iter().enumerate() {
            if p.every < self.plan.duration {
                self.queue
                    .schedule(p.every, Event::Periodic((i as u16).into()));
            }
        }
    }

    /// Periodic request `i` is due: send it and schedule the next.
    pub(super) fn periodic_due(&mut self, now: Nanos, i: u16) {
        let spec = self.plan.workload.periodic[i as usize];
        let next = now.saturating_add(spec.every);
        if next < self.plan.duration {
            self.queue.schedule(next, Event::Periodic(i.into()));
        }
        let r = self.new_request(|id| Request {
            start: now,
            station_since: now,
            id,
            detached: true,
            ..Request::fresh(spec.endpoint, 0, 0, 0)
        });
        self.step(now, r);
    }
}
