//! `CallWith` and `Parallel` at run time: calls to other endpoints made as
//! real clients. Each call is a sub-request of its own (a detached request
//! from the callee's entry, marked `sub`); the caller waits at its op,
//! holding its worker slots, until the site decides.
//!
//! ```text
//!  caller ─ Client op ─▶ Join ─┬─ Outgoing call 0 ─ attempt (sub-request) ─┐
//!     ▲  (parked, slots held)  └─ Outgoing call 1 ─ attempt ─ timeout ─ retry ─ attempt
//!     │                                                                  │
//!     └── settle: all succeeded / first success ─▶ pc = end ◀────────────┘
//!         failed ─▶ fallback steps, or fail with the call's cause
//! ```
//!
//! A timed-out attempt is not stopped: its sub-request runs on, holding the
//! callee's resources, and its answer, when it comes, is discarded (a late
//! answer); so are the answers of calls the caller stopped waiting for once
//! the site decided (`First` after a success, `All` after a failure).

use super::event::{Event, U32};
use super::families::Family;
use super::footprint::MAX_IN_FLIGHT;
use super::interpreter::{Request, Sim};
use crate::algo::Nanos;
use crate::engine::{stream, Rng, Slab};
use crate::metrics::ErrorCause;
use crate::report::{CallSiteReport, Report};
use crate::scenario::{ClientOp, Op, Plan};

/// A client-call event.
#[derive(Copy, Clone, Debug)]
#[repr(u8)]
pub(super) enum ClientEvent {
    /// An attempt's timeout: `pairs` slot holding (outgoing call, attempt serial).
    Timeout(U32),
    /// A retry's backoff ended: `pairs` slot holding (outgoing call, 0).
    Retry(U32),
}

/// One call of a site, for one waiting request.
#[derive(Clone, Copy)]
struct Outgoing {
    /// Its join.
    join: u32,
    /// Its index in the site's calls.
    call: u16,
    /// Retries before the current attempt.
    attempt: u8,
    /// The serial of the current attempt (unique in the run).
    serial: u32,
    /// An attempt is in progress and the caller waits for it.
    waiting: bool,
    /// The call's outcome is known.
    decided: bool,
    /// Its sub-requests still running (the current one and orphans).
    running: u32,
    /// Its timeout and retry events pending.
    timers: u32,
}

/// A request waiting at a call site.
#[derive(Clone, Copy)]
struct Join {
    parent: u32,
    /// The parent's identity (its slot may be reused once it ends).
    parent_id: u32,
    site: u32,
    /// Calls not yet decided.
    open: u32,
    /// Calls not yet freed.
    outgoing: u32,
    /// The site decided: the caller went on (or ended).
    settled: bool,
}

/// The client-call family's state.
pub(super) struct ClientCalls {
    outgoing: Slab<Outgoing>,
    joins: Slab<Join>,
    /// By request slot: the outgoing call a sub-request is an attempt of,
    /// and that attempt's serial.
    links: Vec<(u32, u32)>,
    serial: u32,
    /// Per site: backoff jitter.
    rngs: Vec<Rng>,
    /// Per site: the report's counters.
    counters: Vec<CallSiteReport>,
}

impl ClientCalls {
    /// No call in progress, for `plan`'s call sites.
    pub(super) fn new(plan: &Plan) -> ClientCalls {
        ClientCalls {
            outgoing: Slab::new(),
            joins: Slab::new(),
            links: Vec::new(),
            serial: 0,
            rngs: plan
                .call_sites
                .iter()
                .map(|s| stream(plan.seed, &format!("calls/{}", s.name)))
                .collect(),
            counters: plan
                .call_sites
                .iter()
                .map(|s| CallSiteReport {
                    site: s.name.clone(),
                    wait: match (s.first, s.calls.len()) {
                        (true, _) => "first",
                        (false, 1) => "one",
                        (false, _) => "all",
                    }
                    .to_owned(),
                    callees: s
                        .calls
                        .iter()
                        .map(|c| plan.endpoints[usize::from(c.endpoint)].name.clone())
                        .collect(),
                    requests: 0,
                    attempts: 0,
                    timeouts: 0,
                    retries: 0,
                    errors: 0,
                    late_answers: 0,
                    fallbacks: 0,
                    failed_requests: 0,
                })
                .collect(),
        }
    }
}

impl Family for ClientCalls {
    fn reset(&mut self, _now: Nanos) {
        for c in &mut self.counters {
            c.requests = 0;
            c.attempts = 0;
            c.timeouts = 0;
            c.retries = 0;
            c.errors = 0;
            c.late_answers = 0;
            c.fallbacks = 0;
            c.failed_requests = 0;
        }
    }

    fn report(&mut self, _plan: &Plan, _now: Nanos, report: &mut Report) {
        report.calls = self.counters.clone();
    }
}

impl Sim<'_> {
    /// Routes a client-call event.
    pub(super) fn client_event(&mut self, now: Nanos, event: ClientEvent) {
        match event {
            ClientEvent::Timeout(slot) => {
                let (o, serial) = self.take_pair(slot.get());
                self.call_timed_out(now, o, serial);
            }
            ClientEvent::Retry(slot) => {
                let (o, _) = self.take_pair(slot.get());
                self.client_calls().outgoing[o].timers -= 1;
                if self.still_awaited(o) {
                    self.start_attempt(now, o);
                }
                self.release_outgoing(o);
            }
        }
    }

    /// Request `r` reached a `CallWith` or `Parallel` step: start its calls
    /// and wait (false: it does not step on now).
    pub(super) fn client_op(&mut self, now: Nanos, r: u32, op: ClientOp) -> bool {
        let calls = self.plan.call_sites[op.site as usize].calls.len() as u32;
        let measuring = self.measure.on;
        let id = self.requests[r].id;
        let state = self.client_calls();
        if measuring {
            state.counters[op.site as usize].requests += 1;
        }
        let join = state.joins.insert(Join {
            parent: r,
            parent_id: id,
            site: op.site,
            open: calls,
            outgoing: calls,
            settled: false,
        });
        for call in 0..calls {
            let o = self.client_calls().outgoing.insert(Outgoing {
                join,
                call: call as u16,
                attempt: 0,
                serial: 0,
                waiting: false,
                decided: false,
                running: 0,
                timers: 0,
            });
            // A call failing at once may settle the site before the rest start.
            if self.still_awaited(o) {
                self.start_attempt(now, o);
            }
            self.release_outgoing(o);
        }
        false
    }

    fn client_calls(&mut self) -> &mut ClientCalls {
        &mut self.families.client_calls
    }

    /// Whether outgoing call `o`'s caller still waits for it.
    fn still_awaited(&self, o: u32) -> bool {
        let state = &self.families.client_calls;
        let out = &state.outgoing[o];
        !out.decided && !state.joins[out.join].settled
    }

    /// Sends a new attempt of outgoing call `o`: a sub-request from the
    /// callee's entry, sent by the caller's user from where it runs now.
    fn start_attempt(&mut self, now: Nanos, o: u32) {
        let state = &self.families.client_calls;
        let out = state.outgoing[o];
        let join = state.joins[out.join];
        let site = join.site as usize;
        let spec = &self.plan.call_sites[site].calls[usize::from(out.call)];
        if self.in_flight >= MAX_IN_FLIGHT {
            // As an arrival would be: turned away.
            self.attempt_failed(now, o, ErrorCause::QueueFull);
            return;
        }
        let parent = self.requests[join.parent];
        let child = self.new_request(|id| Request {
            start: now,
            deadline: Nanos::MAX,
            station_since: now,
            home: parent.home,
            at: parent.at,
            hop_from: parent.at,
            id,
            detached: true,
            sub: true,
            ..Request::fresh(spec.endpoint, parent.tenant, parent.key, parent.user)
        });
        let timeout = spec.timeout;
        let measuring = self.measure.on;
        let state = &mut self.families.client_calls;
        state.serial = state.serial.wrapping_add(1);
        let serial = state.serial;
        let out = &mut state.outgoing[o];
        out.serial = serial;
        out.waiting = true;
        out.running += 1;
        if measuring {
            state.counters[site].attempts += 1;
        }
        let slot = child as usize;
        if state.links.len() <= slot {
            state.links.resize(slot + 1, (0, 0));
        }
        state.links[slot] = (o, serial);
        if let Some(t) = timeout {
            state.outgoing[o].timers += 1;
            let pair = self.pairs.insert((o, serial));
            self.queue.schedule(
                now.saturating_add(t),
                Event::Client(ClientEvent::Timeout(pair.into())),
            );
        }
        self.ready.push_back(child);
    }

    /// Sub-request `r` ended at `now` (`None`: it succeeded; else its
    /// cause); its caller, if it still waits, hears of it at `at`.
    pub(super) fn sub_ended(&mut self, now: Nanos, at: Nanos, r: u32, cause: Option<ErrorCause>) {
        self.requests[r].sub = false;
        let state = &mut self.families.client_calls;
        let (o, serial) = state.links[r as usize];
        let out = &mut state.outgoing[o];
        out.running -= 1;
        let current = out.waiting && out.serial == serial;
        let site = state.joins[out.join].site as usize;
        if !current || !self.still_awaited(o) {
            if self.measure.on {
                self.client_calls().counters[site].late_answers += 1;
            }
        } else if let Some(cause) = cause {
            if self.measure.on {
                self.client_calls().counters[site].errors += 1;
            }
            self.attempt_failed(now, o, cause);
        } else {
            let out = &mut self.client_calls().outgoing[o];
            out.waiting = false;
            out.decided = true;
            self.call_decided(now, at, o, None);
        }
        self.release_outgoing(o);
    }

    /// Attempt `serial` of outgoing call `o` reached its timeout.
    fn call_timed_out(&mut self, now: Nanos, o: u32, serial: u32) {
        let out = &mut self.client_calls().outgoing[o];
        out.timers -= 1;
        let current = out.waiting && out.serial == serial;
        if current && self.still_awaited(o) {
            let site = self.families.client_calls.joins[self.families.client_calls.outgoing[o].join]
                .site as usize;
            if self.measure.on {
                self.client_calls().counters[site].timeouts += 1;
            }
            self.attempt_failed(now, o, ErrorCause::CallTimeout);
        }
        self.release_outgoing(o);
    }

    /// The current attempt of outgoing call `o` failed with `cause`: retry
    /// after a backoff if its retries allow, else the call failed.
    fn attempt_failed(&mut self, now: Nanos, o: u32, cause: ErrorCause) {
        let measuring = self.measure.on;
        let state = &mut self.families.client_calls;
        let out = &mut state.outgoing[o];
        out.waiting = false;
        let site = state.joins[out.join].site as usize;
        let spec = &self.plan.call_sites[site].calls[usize::from(out.call)];
        if let Some(backoff) = &spec.retries {
            let attempt = u32::from(out.attempt);
            if backoff.allows_retry(attempt + 1) {
                // As a dependency's retries: the jitter's previous delay is
                // the plain exponential one.
                let prev = if attempt == 0 {
                    Nanos::ZERO
                } else {
                    backoff.exponential(attempt - 1)
                };
                let delay = backoff.delay(attempt, prev, &mut state.rngs[site]);
                out.attempt += 1;
                out.timers += 1;
                if measuring {
                    state.counters[site].retries += 1;
                }
                let pair = self.pairs.insert((o, 0));
                self.queue.schedule(
                    now.saturating_add(delay),
                    Event::Client(ClientEvent::Retry(pair.into())),
                );
                return;
            }
        }
        state.outgoing[o].decided = true;
        self.call_decided(now, now, o, Some(cause));
    }

    /// Outgoing call `o` is decided (`None`: it succeeded): the site
    /// settles when its wait is met or can no longer be.
    fn call_decided(&mut self, now: Nanos, at: Nanos, o: u32, cause: Option<ErrorCause>) {
        let state = &mut self.families.client_calls;
        let j = state.outgoing[o].join;
        let join = &mut state.joins[j];
        join.open -= 1;
        let first = self.plan.call_sites[join.site as usize].first;
        let settles = match cause {
            None => first || join.open == 0,
            Some(_) => !first || join.open == 0,
        };
        if settles {
            join.settled = true;
            let join = *join;
            self.resume_caller(now, at, join, cause);
        }
    }

    /// The site of `join` decided: its caller goes on past the step at
    /// `at` (`None`), or to its fallback, or fails with `cause`.
    fn resume_caller(&mut self, now: Nanos, at: Nanos, join: Join, cause: Option<ErrorCause>) {
        let req = self.requests[join.parent];
        if !req.alive || req.id != join.parent_id {
            // The caller ended meanwhile (its pod died, ...).
            return;
        }
        let Op::Client(op) = self.op_at(join.parent) else {
            panic!("a call site settled for a request not at its op");
        };
        let measuring = self.measure.on;
        let counters = &mut self.families.client_calls.counters[join.site as usize];
        let r = join.parent;
        match cause {
            None => self.requests[r].pc = op.end,
            Some(_) if op.end > req.pc + 1 => {
                if measuring {
                    counters.fallbacks += 1;
                }
                self.requests[r].pc += 1;
            }
            Some(cause) => {
                if measuring {
                    counters.failed_requests += 1;
                }
                self.fail(now, r, cause);
                return;
            }
        }
        if at == now {
            self.ready.push_back(r);
        } else {
            self.queue.schedule(at, Event::Resume(r.into()));
        }
    }

    /// Frees outgoing call `o` (and its join, after its last call) once
    /// nothing refers to it any more.
    fn release_outgoing(&mut self, o: u32) {
        let state = &mut self.families.client_calls;
        let out = state.outgoing[o];
        let settled = state.joins[out.join].settled;
        if !(out.decided || settled) || out.running > 0 || out.timers > 0 {
            return;
        }
        // Freed once: a freed call is marked so a second look returns.
        state.outgoing[o].running = u32::MAX;
        state.outgoing.remove(o);
        let join = &mut state.joins[out.join];
        join.outgoing -= 1;
        if join.outgoing == 0 {
            state.joins.remove(out.join);
        }
    }
}
