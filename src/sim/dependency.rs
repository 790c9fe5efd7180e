//! External dependencies: calls with a latency and an error probability,
//! behind a circuit breaker (src/algo/breaker), with retries and backoff
//! (src/algo/backoff) and an optional fallback.
//!
//! ```text
//!  External(dep) ──▶ breaker.try_acquire ──rejected──────────────────┐
//!                        │ permit                                      │
//!                        ▼                                             ▼
//!                   call: latency (× slowdown), fails with p    fallback steps, or
//!                   (or at the timeout) ── CallDone ──▶ breaker.on_success / on_failure
//!                        │ ok: skip the fallback       │ failed: retry after backoff,
//!                        ▼                             ▼ then fallback or error
//! ```

use super::event::{Event, U32};
use super::families::Family;
use super::interpreter::{slowed, Sim};
use crate::algo::breaker::{Breaker, State};
use crate::algo::Nanos;
use crate::engine::{stream, unit_open, Rng};
use crate::metrics::{round6, ErrorCause};
use crate::report::{BreakerEventReport, DependencyReport, Report};
use crate::scenario::{DependencyOp, Op, Plan};

/// A dependency event.
#[derive(Copy, Clone, Debug)]
#[repr(u8)]
pub(super) enum DependencyEvent {
    /// A request's call to an external dependency returned.
    CallDone(U32),
}

/// A request's dependency-call state.
#[derive(Copy, Clone, Debug)]
pub(super) struct CallSide {
    /// Whether the call in progress fails.
    failed: bool,
    /// Retries of the current call so far.
    attempt: u8,
}

impl CallSide {
    /// A request with no call in progress.
    pub(super) const NONE: CallSide = CallSide {
        failed: false,
        attempt: 0,
    };
}

/// The dependency family's state.
pub(super) struct Dependencies {
    /// Per dependency, in plan order.
    pub(super) states: Vec<DependencyState>,
}

impl Dependencies {
    /// Every dependency of `plan`, closed breakers and zero counters.
    pub(super) fn new(plan: &Plan) -> Dependencies {
        Dependencies {
            states: DependencyState::all(plan),
        }
    }
}

impl Family for Dependencies {
    fn reset(&mut self, _now: Nanos) {
        self.states.iter_mut().for_each(DependencyState::reset);
    }

    fn report(&mut self, plan: &Plan, _now: Nanos, report: &mut Report) {
        report.dependencies = plan
            .dependencies
            .iter()
            .zip(&self.states)
            .map(|(spec, d)| d.report(&spec.name))
            .collect();
    }
}

/// The live state of one dependency.
pub(super) struct DependencyState {
    breaker: Option<Breaker>,
    rng: Rng,
    /// Multiplier on call latency while a slowdown fault is active.
    pub(super) slowdown: f64,
    /// The failure probability now (a fault may raise it).
    pub(super) error_rate: f64,
    calls: u64,
    failures: u64,
    timeouts: u64,
    retries: u64,
    rejected: u64,
    fallbacks: u64,
    failed_requests: u64,
}

impl DependencyState {
    fn all(plan: &Plan) -> Vec<DependencyState> {
        plan.dependencies
            .iter()
            .map(|d| DependencyState {
                breaker: d
                    .breaker
                    .map(|c| Breaker::new(c).expect("validated breaker settings")),
                rng: stream(plan.seed, &format!("dependency/{}", d.name)),
                slowdown: 1.0,
                error_rate: d.error_rate,
                calls: 0,
                failures: 0,
                timeouts: 0,
                retries: 0,
                rejected: 0,
                fallbacks: 0,
                failed_requests: 0,
            })
            .collect()
    }

    /// Statistics start: counters restart (breaker state and history are kept).
    fn reset(&mut self) {
        self.calls = 0;
        self.failures = 0;
        self.timeouts = 0;
        self.retries = 0;
        self.rejected = 0;
        self.fallbacks = 0;
        self.failed_requests = 0;
    }

    fn report(&self, name: &str) -> DependencyReport {
        let state = |s: State| match s {
            State::Closed => "closed",
            State::Open => "open",
            State::HalfOpen => "half_open",
        };
        DependencyReport {
            name: name.to_owned(),
            calls: self.calls,
            failures: self.failures,
            timeouts: self.timeouts,
            retries: self.retries,
            breaker_rejected: self.rejected,
            fallbacks: self.fallbacks,
            failed_requests: self.failed_requests,
            breaker_events: self
                .breaker
                .iter()
                .flat_map(|b| b.events())
                .map(|e| BreakerEventReport {
                    at_s: round6(e.at.as_secs_f64()),
                    from: state(e.from).to_owned(),
                    to: state(e.to).to_owned(),
                })
                .collect(),
        }
    }
}

impl Sim<'_> {
    /// Routes a dependency event.
    pub(super) fn dependency_event(&mut self, now: Nanos, event: DependencyEvent) {
        match event {
            DependencyEvent::CallDone(r) => self.call_done(now, r.get()),
        }
    }

    /// Runs dependency op `op` of request `r`; true if the request goes on stepping now.
    pub(super) fn dependency_op(&mut self, now: Nanos, r: u32, op: DependencyOp) -> bool {
        match op {
            DependencyOp::Call { dep, end } => self.external(now, r, dep, end),
        }
    }

    /// Starts a call of dependency `dep` for request `r` (at an `External`
    /// op). Returns true if the request continues at once (the breaker
    /// rejected the call and a fallback runs), false if it waits or failed.
    fn external(&mut self, now: Nanos, r: u32, dep: u16, end: u32) -> bool {
        let spec = &self.plan.dependencies[dep as usize];
        let measuring = self.measure.on;
        let d = &mut self.families.dependencies.states[dep as usize];
        let permitted = d
            .breaker
            .as_mut()
            .is_none_or(|b| b.try_acquire_at(now).is_permitted());
        if !permitted {
            if measuring {
                d.rejected += 1;
            }
            return self.dependency_failed(now, r, dep, end, ErrorCause::BreakerOpen);
        }
        let t = self.plan.samplers[spec.latency as usize].sample(&mut d.rng);
        let t = slowed(t, d.slowdown);
        let mut failed = unit_open(&mut d.rng) < d.error_rate;
        let t = match spec.timeout {
            Some(limit) if t > limit => {
                failed = true;
                if measuring {
                    d.timeouts += 1;
                }
                limit
            }
            _ => t,
        };
        if measuring {
            d.calls += 1;
        }
        self.requests[r].call.failed = failed;
        self.queue.schedule(
            now + t,
            Event::Dependencies(DependencyEvent::CallDone(r.into())),
        );
        false
    }

    /// A call of request `r` finished: tell the breaker, then continue past
    /// the fallback, retry, run the fallback, or fail.
    fn call_done(&mut self, now: Nanos, r: u32) {
        let req = self.requests[r];
        let Op::Dependency(DependencyOp::Call { dep, end }) = self.op_at(r) else {
            panic!("a call returned to a request not at an External op");
        };
        let spec = &self.plan.dependencies[dep as usize];
        let measuring = self.measure.on;
        let d = &mut self.families.dependencies.states[dep as usize];
        if !req.call.failed {
            if let Some(b) = &mut d.breaker {
                b.on_success_at(now);
            }
            let live = &mut self.requests[r];
            live.call.attempt = 0;
            live.pc = end;
            self.step(now, r);
            return;
        }
        if let Some(b) = &mut d.breaker {
            b.on_failure_at(now);
        }
        if measuring {
            d.failures += 1;
        }
        if let Some(backoff) = &spec.retries {
            let made = u32::from(req.call.attempt) + 1;
            if backoff.allows_retry(made) {
                let prev = if req.call.attempt == 0 {
                    Nanos::ZERO
                } else {
                    backoff.exponential(u32::from(req.call.attempt) - 1)
                };
                let delay = backoff.delay(u32::from(req.call.attempt), prev, &mut d.rng);
                if measuring {
                    d.retries += 1;
                }
                self.requests[r].call.attempt += 1;
                // Resume re-runs the External op: the retry asks the breaker again.
                self.queue.schedule(now + delay, Event::Resume(r.into()));
                return;
            }
        }
        if self.dependency_failed(now, r, dep, end, ErrorCause::DependencyError) {
            self.step(now, r);
        }
    }

    /// The dependency gave no answer: run the fallback (true: continue
    /// stepping) or fail the request (false).
    fn dependency_failed(
        &mut self,
        now: Nanos,
        r: u32,
        dep: u16,
        end: u32,
        cause: ErrorCause,
    ) -> bool {
        let measuring = self.measure.on;
        let d = &mut self.families.dependencies.states[dep as usize];
        let req = &mut self.requests[r];
        req.call.attempt = 0;
        if end > req.pc + 1 {
            req.pc += 1;
            if measuring {
                d.fallbacks += 1;
            }
            true
        } else {
            if measuring {
                d.failed_requests += 1;
            }
            self.fail(now, r, cause);
            false
        }
    }
}
