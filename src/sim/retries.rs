//! Client retries at run time: a client that times out abandons its attempt
//! (the servers keep working on it) and, if attempts and the retry budget
//! allow, sends a new one after a backoff (with jitter).
//!
//! ```text
//!  client ──▶ ... ──timeout──▶ attempt abandoned ──backoff──▶ new attempt
//!                                 └─ no attempts / budget left ──▶ "client_timeout"
//! ```

use super::event::{Event, U32};
use super::families::Family;
use super::interpreter::{Request, Sim};
use crate::algo::backoff::RetryBudget;
use crate::algo::Nanos;
use crate::engine::{stream, Rng};
use crate::metrics::{round6, ErrorCause};
use crate::report::{Report, RetryReport};
use crate::scenario::Plan;

/// A client-retry event.
#[derive(Copy, Clone, Debug)]
#[repr(u8)]
pub(super) enum RetryEvent {
    /// A client times out: `pairs` slot holding (request, identity).
    Timeout(U32),
}

/// Client retry state.
pub(super) struct RetryState {
    budget: Option<RetryBudget>,
    rng: Rng,
    requests: u64,
    retries: u64,
    budget_denied: u64,
    exhausted: u64,
    abandoned: u64,
}

/// The client-retry family's state.
pub(super) struct Retries {
    /// `None` when clients do not retry.
    state: Option<RetryState>,
}

impl Retries {
    /// Retry state for `plan`'s clients, if they retry.
    pub(super) fn new(plan: &Plan) -> Retries {
        Retries {
            state: plan.workload.retries.as_ref().map(|r| RetryState {
                budget: r
                    .budget
                    .map(|(ratio, min, max)| RetryBudget::new(ratio, min, max)),
                rng: stream(plan.seed, "workload/retries"),
                requests: 0,
                retries: 0,
                budget_denied: 0,
                exhausted: 0,
                abandoned: 0,
            }),
        }
    }

    /// Whether requests get a real timeout event (clients retry).
    pub(super) fn on(&self) -> bool {
        self.state.is_some()
    }
}

impl Family for Retries {
    fn reset(&mut self, _now: Nanos) {
        if let Some(r) = &mut self.state {
            r.requests = 0;
            r.retries = 0;
            r.budget_denied = 0;
            r.exhausted = 0;
            r.abandoned = 0;
        }
    }

    fn report(&mut self, _plan: &Plan, _now: Nanos, report: &mut Report) {
        report.retries = self.state.as_ref().map(|r| RetryReport {
            requests: r.requests,
            retries: r.retries,
            amplification: if r.requests == 0 {
                1.0
            } else {
                round6((r.requests + r.retries) as f64 / r.requests as f64)
            },
            budget_denied: r.budget_denied,
            exhausted: r.exhausted,
            abandoned_attempts: r.abandoned,
        });
    }
}

impl Sim<'_> {
    /// Routes a client-retry event.
    pub(super) fn retry_event(&mut self, now: Nanos, event: RetryEvent) {
        match event {
            RetryEvent::Timeout(slot) => {
                let (r, id) = self.take_pair(slot.get());
                self.timeout(now, r, id);
            }
        }
    }

    /// Counts an original request for the retry budget and arms its timeout.
    pub(super) fn arm_timeout(&mut self, now: Nanos, r: u32) {
        let measuring = self.measure.on;
        let Some(state) = &mut self.families.retries.state else {
            return;
        };
        if measuring {
            state.requests += 1;
        }
        if let Some(b) = &mut state.budget {
            b.on_request_at(now);
        }
        let req = &self.requests[r];
        let (deadline, id) = (req.deadline, req.id);
        let slot = self.pairs.insert((r, id));
        self.queue
            .schedule(deadline, Event::Retries(RetryEvent::Timeout(slot.into())));
    }

    /// The client of `req` gave up at `now` for good: a timeout error.
    fn count_timeout(&mut self, now: Nanos, req: &Request) {
        let cause = ErrorCause::ClientTimeout;
        self.count_error(now, req.start, req.endpoint, req.home, cause);
    }

    /// The client of attempt `r` (identity `id`) gives up: the attempt is
    /// abandoned (the servers keep working on it) and retried after a backoff
    /// if attempts and the budget allow; otherwise it is a timeout error.
    fn timeout(&mut self, now: Nanos, r: u32, id: u32) {
        let req = self.requests[r];
        if !req.alive || req.id != id || req.detached {
            return;
        }
        let spec = self
            .plan
            .workload
            .retries
            .as_ref()
            .expect("timeouts are armed only with retries");
        let timeout = self
            .plan
            .workload
            .client_timeout
            .expect("retries need a client timeout");
        let measuring = self.measure.on;
        let state = self
            .families
            .retries
            .state
            .as_mut()
            .expect("retries are on");
        {
            let live = &mut self.requests[r];
            live.detached = true;
            live.deadline = Nanos::MAX;
        }
        if measuring {
            state.abandoned += 1;
        }
        let attempts_made = u32::from(req.attempt) + 1;
        if !spec.backoff.allows_retry(attempts_made) {
            if measuring {
                state.exhausted += 1;
            }
            self.count_timeout(now, &req);
            return;
        }
        if let Some(b) = &mut state.budget {
            if !b.try_retry_at(now) {
                if measuring {
                    state.budget_denied += 1;
                }
                self.count_timeout(now, &req);
                return;
            }
        }
        let delay = spec
            .backoff
            .delay(u32::from(req.attempt), req.backoff_prev, &mut state.rng);
        if measuring {
            state.retries += 1;
        }
        let at = now.saturating_add(delay);
        let retry = self.new_request(|id| Request {
            id,
            start: req.start,
            deadline: at.saturating_add(timeout),
            attempt: req.attempt + 1,
            backoff_prev: delay,
            home: req.home,
            at: req.home,
            hop_from: req.home,
            ..Request::fresh(req.endpoint, req.tenant, req.key, req.user)
        });
        self.queue.schedule(at, Event::Resume(retry.into()));
        let id = self.requests[retry].id;
        let slot = self.pairs.insert((retry, id));
        self.queue.schedule(
            self.requests[retry].deadline,
            Event::Retries(RetryEvent::Timeout(slot.into())),
        );
    }
}
