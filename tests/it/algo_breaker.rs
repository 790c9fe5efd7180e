//! Circuit breaker: transitions against a reference state machine, probe budget, events.

use proptest::prelude::*;
use scaletwin::algo::breaker::{
    Acquire, Breaker, BreakerConfig, ConfigError, Event, RateTrip, State,
};
use scaletwin::algo::clock::{Nanos, VirtualClock};

use crate::cases;

#[derive(Copy, Clone, Debug)]
enum Op {
    Acquire,
    Success,
    Failure,
}

/// A deliberately naive model of the state diagram: it keeps every closed-state outcome.
#[derive(Debug)]
enum Plan {
    Closed {
        consecutive: u32,
        outcomes: Vec<(u64, bool)>,
    },
    Open {
        since: u64,
    },
    HalfOpen {
        admitted: u32,
        successes: u32,
    },
}

struct Reference {
    cfg: BreakerConfig,
    state: Plan,
    events: Vec<Event>,
}

impl Reference {
    fn kind(&self) -> State {
        match self.state {
            Plan::Closed { .. } => State::Closed,
            Plan::Open { .. } => State::Open,
            Plan::HalfOpen { .. } => State::HalfOpen,
        }
    }
    fn go(&mut self, at: u64, to: Plan) {
        let from = self.kind();
        self.state = to;
        self.events.push(Event {
            at: Nanos(at),
            from,
            to: self.kind(),
        });
    }
    fn tick(&mut self, now: u64) {
        if let Plan::Open { since } = self.state {
            let until = since + self.cfg.reset_timeout.0;
            if now >= until {
                self.go(
                    until,
                    Plan::HalfOpen {
                        admitted: 0,
                        successes: 0,
                    },
                );
            }
        }
    }
    fn rate_trips(&self, now: u64, outcomes: &[(u64, bool)]) -> bool {
        let Some(r) = self.cfg.rate else { return false };
        let width = (r.window.0 / u64::from(r.buckets)).max(1);
        let cur = now / width;
        let recent: Vec<bool> = outcomes
            .iter()
            .filter(|(t, _)| t / width + u64::from(r.buckets) > cur)
            .map(|&(_, f)| f)
            .collect();
        let calls = recent.len() as u64;
        let failures = recent.iter().filter(|&&f| f).count() as u64;
        calls > 0
            && calls >= u64::from(r.min_calls)
            && failures * 100 >= u64::from(r.percent) * calls
    }
    fn apply(&mut self, op: Op, now: u64) -> Option<Acquire> {
        self.tick(now);
        let probes = self.cfg.half_open_max_calls;
        let needed = self.cfg.success_threshold.unwrap_or(probes);
        match (op, &mut self.state) {
            (Op::Acquire, Plan::Closed { .. }) => return Some(Acquire::Permit { probe: false }),
            (Op::Acquire, Plan::Open { since }) => {
                return Some(Acquire::Rejected {
                    retry_at: Some(Nanos(*since + self.cfg.reset_timeout.0)),
                })
            }
            (Op::Acquire, Plan::HalfOpen { admitted, .. }) => {
                if *admitted < probes {
                    *admitted += 1;
                    return Some(Acquire::Permit { probe: true });
                }
                return Some(Acquire::Rejected { retry_at: None });
            }
            (_, Plan::Open { .. }) => {}
            (Op::Success, Plan::HalfOpen { successes, .. }) => {
                *successes += 1;
                if *successes >= needed {
                    self.go(
                        now,
                        Plan::Closed {
                            consecutive: 0,
                            outcomes: Vec::new(),
                        },
                    );
                }
            }
            (Op::Failure, Plan::HalfOpen { .. }) => self.go(now, Plan::Open { since: now }),
            (
                op,
                Plan::Closed {
                    consecutive,
                    outcomes,
                },
            ) => {
                let failed = matches!(op, Op::Failure);
                *consecutive = if failed { *consecutive + 1 } else { 0 };
                outcomes.push((now, failed));
                let count_trip = failed
                    && self.cfg.failure_threshold > 0
                    && *consecutive >= self.cfg.failure_threshold;
                let outcomes = outcomes.clone();
                if count_trip || self.rate_trips(now, &outcomes) {
                    self.go(now, Plan::Open { since: now });
                }
            }
        }
        None
    }
}

fn configs() -> impl Strategy<Value = BreakerConfig> {
    let rate = prop::option::of((1u32..=100, 1u64..200, 1u32..6, 0u32..8).prop_map(
        |(percent, w, buckets, min_calls)| RateTrip {
            percent,
            window: Nanos(w),
            buckets,
            min_calls,
        },
    ));
    (0u32..5, rate, 1u64..100, 1u32..4, 0u32..4).prop_filter_map(
        "a config the breaker accepts",
        |(failure_threshold, rate, reset, probes, succ)| {
            let cfg = BreakerConfig {
                failure_threshold,
                rate,
                reset_timeout: Nanos(reset),
                half_open_max_calls: probes,
                success_threshold: if succ == 0 {
                    None
                } else {
                    Some(succ.min(probes))
                },
                event_capacity: 10_000,
            };
            Breaker::new(cfg).ok().map(|_| cfg)
        },
    )
}

fn ops() -> impl Strategy<Value = Vec<(u64, Op)>> {
    let op = prop_oneof![4 => Just(Op::Acquire), 2 => Just(Op::Success), 3 => Just(Op::Failure)];
    prop::collection::vec(
        (
            prop_oneof![3 => Just(0u64), 3 => 0u64..20, 1 => 0u64..300],
            op,
        ),
        1..300,
    )
}

proptest! {
    #![proptest_config(cases(128))]

    /// Random success / failure / acquire sequences in time: the breaker and the naive model
    /// agree on every answer, every state and every timestamped event; probes never exceed
    /// the budget; events are in time order.
    #[test]
    fn follows_the_state_diagram(cfg in configs(), ops in ops()) {
        let mut b = Breaker::new(cfg).unwrap();
        let mut r = Reference { cfg, state: Plan::Closed { consecutive: 0, outcomes: Vec::new() }, events: Vec::new() };
        let mut now = 0;
        let mut probes_this_period = 0;
        for (gap, op) in ops {
            now += gap;
            let expected = r.apply(op, now);
            let got = match op {
                Op::Acquire => Some(b.try_acquire_at(Nanos(now))),
                Op::Success => { b.on_success_at(Nanos(now)); None }
                Op::Failure => { b.on_failure_at(Nanos(now)); None }
            };
            prop_assert_eq!(got, expected, "op {:?} at {}", op, now);
            prop_assert_eq!(b.state(), r.kind());
            prop_assert_eq!(b.state_at(Nanos(now)), r.kind());
            if b.state() != State::HalfOpen {
                probes_this_period = 0;
            } else if got == Some(Acquire::Permit { probe: true }) {
                probes_this_period += 1;
                prop_assert!(probes_this_period <= cfg.half_open_max_calls);
            }
        }
        let events: Vec<Event> = b.events().copied().collect();
        prop_assert_eq!(&events, &r.events);
        prop_assert!(events.windows(2).all(|w| w[0].at <= w[1].at && w[0].to == w[1].from));
        let c = b.counters();
        prop_assert_eq!(c.opened as usize, events.iter().filter(|e| e.to == State::Open).count());
        prop_assert_eq!(c.closed as usize, events.iter().filter(|e| e.to == State::Closed).count());
    }
}

fn breaker(cfg: BreakerConfig) -> Breaker {
    Breaker::new(cfg).unwrap()
}

#[test]
fn probe_budget_and_success_threshold() {
    let mut b = breaker(BreakerConfig {
        failure_threshold: 1,
        reset_timeout: Nanos::from_secs(5),
        half_open_max_calls: 3,
        success_threshold: Some(2),
        ..BreakerConfig::default()
    });
    let t = Nanos::from_secs;
    b.on_failure_at(t(1));
    assert_eq!(
        b.try_acquire_at(t(3)),
        Acquire::Rejected {
            retry_at: Some(t(6))
        }
    );
    assert_eq!(b.state_at(t(6)), State::HalfOpen);
    for _ in 0..3 {
        assert_eq!(b.try_acquire_at(t(7)), Acquire::Permit { probe: true });
    }
    assert_eq!(b.try_acquire_at(t(7)), Acquire::Rejected { retry_at: None });
    b.on_success_at(t(8));
    assert_eq!(b.state(), State::HalfOpen);
    b.on_success_at(t(9));
    assert_eq!(b.state(), State::Closed);
    let ev: Vec<_> = b.drain_events().map(|e| (e.at, e.from, e.to)).collect();
    assert_eq!(
        ev,
        [
            (t(1), State::Closed, State::Open),
            (t(6), State::Open, State::HalfOpen),
            (t(9), State::HalfOpen, State::Closed),
        ]
    );
    assert_eq!(b.events().count(), 0);
    let c = b.counters();
    assert_eq!(
        (
            c.permitted,
            c.rejected,
            c.successes,
            c.failures,
            c.opened,
            c.closed
        ),
        (3, 2, 2, 1, 1, 1)
    );
}

#[test]
fn probe_failure_reopens_and_late_outcomes_are_ignored_while_open() {
    let clock = VirtualClock::new(Nanos::ZERO);
    let mut b = breaker(BreakerConfig {
        failure_threshold: 2,
        reset_timeout: Nanos(100),
        ..BreakerConfig::default()
    });
    b.on_failure(&clock);
    b.on_failure(&clock);
    assert_eq!(b.state(), State::Open);
    b.on_success(&clock); // a call admitted before the trip, finishing late
    assert_eq!(b.counters().ignored, 1);
    clock.set(Nanos(150));
    assert!(b.try_acquire(&clock).is_permitted());
    b.on_failure(&clock);
    assert_eq!(
        b.try_acquire(&clock),
        Acquire::Rejected {
            retry_at: Some(Nanos(250))
        }
    );
}

#[test]
fn trips_on_failure_rate_with_minimum_calls() {
    let mut b = breaker(BreakerConfig {
        failure_threshold: 0,
        rate: Some(RateTrip {
            percent: 50,
            window: Nanos::from_secs(10),
            buckets: 10,
            min_calls: 10,
        }),
        ..BreakerConfig::default()
    });
    let t = Nanos::from_secs;
    // Alternate: 50% failures, but below min_calls until the tenth call.
    for i in 0..9 {
        if i % 2 == 0 {
            b.on_failure_at(t(i))
        } else {
            b.on_success_at(t(i))
        }
        assert_eq!(b.state(), State::Closed, "call {i}");
    }
    b.on_success_at(t(9)); // 10 calls, 5 failures = 50%
    assert_eq!(b.state(), State::Open);

    // Old failures slide out of the window.
    let mut b = breaker(BreakerConfig {
        failure_threshold: 0,
        rate: Some(RateTrip {
            percent: 60,
            window: Nanos::from_secs(10),
            buckets: 10,
            min_calls: 4,
        }),
        ..BreakerConfig::default()
    });
    for _ in 0..2 {
        b.on_failure_at(t(0));
    }
    for _ in 0..3 {
        b.on_success_at(t(1));
    }
    b.on_failure_at(t(10)); // the two at t=0 have left: 1 failure of 4 calls
    assert_eq!(b.state(), State::Closed);
}

#[test]
fn rejects_meaningless_configs() {
    let base = BreakerConfig::default();
    assert_eq!(
        Breaker::new(BreakerConfig {
            half_open_max_calls: 0,
            ..base
        })
        .err(),
        Some(ConfigError::NoProbes)
    );
    assert_eq!(
        Breaker::new(BreakerConfig {
            success_threshold: Some(2),
            ..base
        })
        .err(),
        Some(ConfigError::SuccessThreshold)
    );
    assert_eq!(
        Breaker::new(BreakerConfig {
            failure_threshold: 0,
            ..base
        })
        .err(),
        Some(ConfigError::NeverTrips)
    );
}

#[test]
fn event_log_is_bounded() {
    let mut b = breaker(BreakerConfig {
        failure_threshold: 1,
        reset_timeout: Nanos(1),
        event_capacity: 4,
        ..BreakerConfig::default()
    });
    for i in 0..10 {
        b.try_acquire_at(Nanos(i * 10));
        b.on_failure_at(Nanos(i * 10));
    }
    assert_eq!(b.events().count(), 4);
    assert_eq!(b.counters().events_dropped, 19 - 4);
    assert!(b.events().all(|e| e.at.0 >= 71));
}

#[test]
fn the_two_half_open_closing_rules() {
    // Three probes; the first succeeds, the second fails.
    let run = |success_threshold: Option<u32>| {
        let mut b = breaker(BreakerConfig {
            failure_threshold: 1,
            reset_timeout: Nanos::from_secs(5),
            half_open_max_calls: 3,
            success_threshold,
            ..BreakerConfig::default()
        });
        let t = Nanos::from_secs;
        b.on_failure_at(t(0));
        for _ in 0..3 {
            assert!(b.try_acquire_at(t(5)).is_permitted());
        }
        b.on_success_at(t(6));
        let after_first = b.state();
        b.on_failure_at(t(7));
        (after_first, b.state())
    };
    // First success: closed by the first probe; the failing second probe is
    // then an ordinary failure while closed, which trips the threshold of 1.
    assert_eq!(run(Some(1)), (State::Closed, State::Open));
    // All probes: still half-open after one success; the failure reopens it.
    assert_eq!(run(None), (State::HalfOpen, State::Open));
}
