//! Circuit breaker: closed, open, half-open, with a probe budget.
//!
//! ```text
//!            failures >= threshold, or failure rate >= r% over the window
//!            (with at least min_calls calls)
//!   ┌────────┐ ───────────────────────────────────────► ┌────────┐
//!   │ Closed │                                          │  Open  │ rejects, retry_at = opened + reset_timeout
//!   └────────┘ ◄──────────┐           ┌───────────────► └────────┘
//!        ▲                │           │ a probe fails        │ reset_timeout elapsed
//!        │   success_threshold        │                      ▼
//!        │   probe successes   ┌─────────────┐               │
//!        └──────────────────── │  Half-open  │ ◄─────────────┘
//!                              └─────────────┘ admits at most half_open_max_calls probes
//! ```
//!
//! The core is a pure function of `now`: [`Breaker::try_acquire_at`],
//! [`Breaker::on_success_at`] and [`Breaker::on_failure_at`]; the methods
//! without `_at` read a [`Clock`]. Open turns into half-open lazily, at the
//! first call at or after `opened_at + reset_timeout`; the event is stamped with
//! that instant (`opened_at + reset_timeout`), the moment the state logically
//! changed.
//!
//! Outcomes are not tied to permits: an outcome reported while open is
//! ignored (counted in [`Counters::ignored`]); one reported while half-open
//! counts as a probe result. `now` must not run backwards.

use std::collections::VecDeque;
use std::fmt;

use crate::algo::clock::{Clock, Nanos};

/// The breaker's state.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    /// Calls pass; failures are counted.
    Closed,
    /// Calls are rejected until the reset timeout elapses.
    Open,
    /// A limited number of probe calls pass; their results decide.
    HalfOpen,
}

/// Trip on the failure rate over a sliding time window.
///
/// The window is `buckets` aligned buckets of `window / buckets` each (the
/// current bucket and the `buckets - 1` before it), so memory is constant and
/// the window is exact to one bucket width.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RateTrip {
    /// Trip when failures * 100 >= percent * calls (1..=100).
    pub percent: u32,
    /// The window length.
    pub window: Nanos,
    /// Number of buckets the window is divided into (at least 1).
    pub buckets: u32,
    /// No rate trip with fewer calls than this in the window.
    pub min_calls: u32,
}

/// Breaker parameters.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Trip after this many consecutive failures while closed (0 disables).
    pub failure_threshold: u32,
    /// Optionally trip on a failure rate over a window.
    pub rate: Option<RateTrip>,
    /// How long the breaker stays open before admitting probes.
    pub reset_timeout: Nanos,
    /// The probe budget: at most this many calls admitted while half-open.
    pub half_open_max_calls: u32,
    /// Probe successes needed to close (1..=half_open_max_calls); `None` = all probes.
    pub success_threshold: Option<u32>,
    /// How many state-change events to keep (oldest dropped first).
    pub event_capacity: usize,
}

impl Default for BreakerConfig {
    /// 5 consecutive failures, 30s open, 1 probe, 64 events kept.
    fn default() -> Self {
        BreakerConfig {
            failure_threshold: 5,
            rate: None,
            reset_timeout: Nanos::from_secs(30),
            half_open_max_calls: 1,
            success_threshold: None,
            event_capacity: 64,
        }
    }
}

/// A configuration the breaker cannot run with.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// `half_open_max_calls` is zero: the breaker could never close.
    NoProbes,
    /// `success_threshold` is zero or larger than `half_open_max_calls`.
    SuccessThreshold,
    /// Neither a count nor a rate trip is configured.
    NeverTrips,
    /// The rate trip has a percent outside 1..=100, a zero window or zero buckets.
    BadRate,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConfigError::NoProbes => "half_open_max_calls must be at least 1",
            ConfigError::SuccessThreshold => {
                "success_threshold must be between 1 and half_open_max_calls"
            }
            ConfigError::NeverTrips => "set failure_threshold > 0 or a failure rate",
            ConfigError::BadRate => {
                "failure rate needs percent in 1..=100, a non-zero window and buckets >= 1"
            }
        })
    }
}

impl std::error::Error for ConfigError {}

/// The answer to [`Breaker::try_acquire_at`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Acquire {
    /// The call may proceed; report its outcome with `on_success_at` / `on_failure_at`.
    Permit {
        /// Whether this call is a half-open probe.
        probe: bool,
    },
    /// The call is rejected.
    Rejected {
        /// When a call could next be admitted: the end of the open period, or
        /// `None` when half-open with every probe in flight (retry when a probe
        /// completes).
        retry_at: Option<Nanos>,
    },
}

impl Acquire {
    /// Whether the call may proceed.
    pub fn is_permitted(&self) -> bool {
        matches!(self, Acquire::Permit { .. })
    }
}

/// A state change.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// When it happened.
    pub at: Nanos,
    /// The state left.
    pub from: State,
    /// The state entered.
    pub to: State,
}

/// Running totals since the breaker was created.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Calls admitted (including probes).
    pub permitted: u64,
    /// Calls rejected.
    pub rejected: u64,
    /// Successes recorded.
    pub successes: u64,
    /// Failures recorded.
    pub failures: u64,
    /// Outcomes reported while open, ignored.
    pub ignored: u64,
    /// Transitions into open.
    pub opened: u64,
    /// Transitions into closed (from half-open).
    pub closed: u64,
    /// Events dropped because the event log was full.
    pub events_dropped: u64,
}

#[derive(Copy, Clone, Debug, Default)]
struct Bucket {
    index: u64,
    calls: u32,
    failures: u32,
}

/// A circuit breaker.
///
/// ```
/// use scaletwin::algo::breaker::{Acquire, Breaker, BreakerConfig, State};
/// use scaletwin::algo::clock::{Clock, Nanos, SystemClock, VirtualClock};
///
/// let config = BreakerConfig {
///     failure_threshold: 2,
///     reset_timeout: Nanos::from_secs(10),
///     ..BreakerConfig::default()
/// };
///
/// // A real service.
/// let clock = SystemClock::new();
/// let mut breaker = Breaker::new(config).unwrap();
/// if breaker.try_acquire(&clock).is_permitted() {
///     breaker.on_success(&clock);
/// }
///
/// // The simulator.
/// let clock = VirtualClock::new(Nanos::ZERO);
/// let mut breaker = Breaker::new(config).unwrap();
/// for _ in 0..2 {
///     assert!(breaker.try_acquire(&clock).is_permitted());
///     breaker.on_failure(&clock);
/// }
/// assert_eq!(breaker.try_acquire(&clock), Acquire::Rejected { retry_at: Some(Nanos::from_secs(10)) });
/// clock.set(Nanos::from_secs(10));
/// assert_eq!(breaker.try_acquire(&clock), Acquire::Permit { probe: true });
/// breaker.on_success(&clock);
/// assert_eq!(breaker.state(), State::Closed);
/// let states: Vec<_> = breaker.drain_events().map(|e| (e.at, e.to)).collect();
/// assert_eq!(states, [
///     (Nanos::ZERO, State::Open),
///     (Nanos::from_secs(10), State::HalfOpen),
///     (Nanos::from_secs(10), State::Closed),
/// ]);
/// ```
#[derive(Clone, Debug)]
pub struct Breaker {
    config: BreakerConfig,
    success_threshold: u32,
    state: State,
    /// Consecutive failures while closed.
    consecutive: u32,
    /// When the breaker last opened.
    opened_at: Nanos,
    /// Probes admitted in this half-open period.
    probes: u32,
    /// Probe successes in this half-open period.
    probe_successes: u32,
    buckets: Vec<Bucket>,
    counters: Counters,
    events: VecDeque<Event>,
}

impl Breaker {
    /// A closed breaker with `config`.
    pub fn new(config: BreakerConfig) -> Result<Breaker, ConfigError> {
        if config.half_open_max_calls == 0 {
            return Err(ConfigError::NoProbes);
        }
        let success_threshold = config
            .success_threshold
            .unwrap_or(config.half_open_max_calls);
        if success_threshold == 0 || success_threshold > config.half_open_max_calls {
            return Err(ConfigError::SuccessThreshold);
        }
        let buckets = match config.rate {
            Some(r) => {
                if !(1..=100).contains(&r.percent) || r.window.0 == 0 || r.buckets == 0 {
                    return Err(ConfigError::BadRate);
                }
                r.buckets as usize
            }
            None if config.failure_threshold == 0 => return Err(ConfigError::NeverTrips),
            None => 0,
        };
        Ok(Breaker {
            config,
            success_threshold,
            state: State::Closed,
            consecutive: 0,
            opened_at: Nanos::ZERO,
            probes: 0,
            probe_successes: 0,
            buckets: vec![Bucket::default(); buckets],
            counters: Counters::default(),
            events: VecDeque::with_capacity(config.event_capacity.min(1024)),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &BreakerConfig {
        &self.config
    }

    /// The stored state (an open breaker whose timeout has elapsed still reads
    /// `Open` until the next call; see [`Breaker::state_at`]).
    pub fn state(&self) -> State {
        self.state
    }

    /// The state at `now`, counting an elapsed reset timeout as half-open.
    pub fn state_at(&self, now: Nanos) -> State {
        if self.state == State::Open && now >= self.reopen_at() {
            State::HalfOpen
        } else {
            self.state
        }
    }

    /// Running totals.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// The retained state-change events, oldest first.
    pub fn events(&self) -> impl Iterator<Item = &Event> + '_ {
        self.events.iter()
    }

    /// Removes and returns the retained state-change events, oldest first.
    pub fn drain_events(&mut self) -> impl Iterator<Item = Event> + '_ {
        self.events.drain(..)
    }

    /// Asks to make a call at `now`.
    pub fn try_acquire_at(&mut self, now: Nanos) -> Acquire {
        self.advance(now);
        let answer = match self.state {
            State::Closed => Acquire::Permit { probe: false },
            State::Open => Acquire::Rejected {
                retry_at: Some(self.reopen_at()),
            },
            State::HalfOpen => {
                if self.probes < self.config.half_open_max_calls {
                    self.probes += 1;
                    Acquire::Permit { probe: true }
                } else {
                    Acquire::Rejected { retry_at: None }
                }
            }
        };
        if answer.is_permitted() {
            self.counters.permitted += 1;
        } else {
            self.counters.rejected += 1;
        }
        answer
    }

    /// Records a successful call at `now`.
    pub fn on_success_at(&mut self, now: Nanos) {
        self.advance(now);
        match self.state {
            State::Closed => {
                self.counters.successes += 1;
                self.consecutive = 0;
                self.record(now, false);
                if self.rate_tripped(now) {
                    self.open(now);
                }
            }
            State::Open => self.counters.ignored += 1,
            State::HalfOpen => {
                self.counters.successes += 1;
                self.probe_successes += 1;
                if self.probe_successes >= self.success_threshold {
                    self.transition(now, State::Closed);
                    self.counters.closed += 1;
                    self.consecutive = 0;
                    for b in &mut self.buckets {
                        *b = Bucket::default();
                    }
                }
            }
        }
    }

    /// Records a failed call at `now`.
    pub fn on_failure_at(&mut self, now: Nanos) {
        self.advance(now);
        match self.state {
            State::Closed => {
                self.counters.failures += 1;
                self.consecutive = self.consecutive.saturating_add(1);
                self.record(now, true);
                let count_trip = self.config.failure_threshold > 0
                    && self.consecutive >= self.config.failure_threshold;
                if count_trip || self.rate_tripped(now) {
                    self.open(now);
                }
            }
            State::Open => self.counters.ignored += 1,
            State::HalfOpen => {
                self.counters.failures += 1;
                self.open(now);
            }
        }
    }

    /// [`Breaker::try_acquire_at`] at `clock.now()`.
    pub fn try_acquire(&mut self, clock: &impl Clock) -> Acquire {
        self.try_acquire_at(clock.now())
    }
    /// [`Breaker::on_success_at`] at `clock.now()`.
    pub fn on_success(&mut self, clock: &impl Clock) {
        self.on_success_at(clock.now())
    }
    /// [`Breaker::on_failure_at`] at `clock.now()`.
    pub fn on_failure(&mut self, clock: &impl Clock) {
        self.on_failure_at(clock.now())
    }

    fn reopen_at(&self) -> Nanos {
        self.opened_at.saturating_add(self.config.reset_timeout)
    }

    /// Open -> half-open once the reset timeout has elapsed.
    fn advance(&mut self, now: Nanos) {
        if self.state == State::Open && now >= self.reopen_at() {
            let at = self.reopen_at();
            self.transition(at, State::HalfOpen);
            self.probes = 0;
            self.probe_successes = 0;
        }
    }

    fn open(&mut self, now: Nanos) {
        self.transition(now, State::Open);
        self.opened_at = now;
        self.counters.opened += 1;
        self.consecutive = 0;
    }

    fn transition(&mut self, at: Nanos, to: State) {
        let event = Event {
            at,
            from: self.state,
            to,
        };
        self.state = to;
        if self.config.event_capacity == 0 {
            self.counters.events_dropped += 1;
            return;
        }
        if self.events.len() >= self.config.event_capacity {
            self.events.pop_front();
            self.counters.events_dropped += 1;
        }
        self.events.push_back(event);
    }

    fn bucket_index(&self, now: Nanos) -> Option<(u64, u64)> {
        let r = self.config.rate?;
        let width = (r.window.0 / u64::from(r.buckets)).max(1);
        Some((now.0 / width, u64::from(r.buckets)))
    }

    fn record(&mut self, now: Nanos, failure: bool) {
        let Some((index, n)) = self.bucket_index(now) else {
            return;
        };
        let slot = &mut self.buckets[(index % n) as usize];
        if slot.index != index || slot.calls == 0 {
            *slot = Bucket {
                index,
                calls: 0,
                failures: 0,
            };
        }
        slot.calls = slot.calls.saturating_add(1);
        slot.failures = slot.failures.saturating_add(u32::from(failure));
    }

    fn rate_tripped(&self, now: Nanos) -> bool {
        let (Some(r), Some((index, n))) = (self.config.rate, self.bucket_index(now)) else {
            return false;
        };
        let oldest = index.saturating_sub(n - 1);
        let (mut calls, mut failures) = (0u64, 0u64);
        for b in &self.buckets {
            if b.calls > 0 && b.index >= oldest && b.index <= index {
                calls += u64::from(b.calls);
                failures += u64::from(b.failures);
            }
        }
        calls > 0
            && calls >= u64::from(r.min_calls)
            && failures * 100 >= u64::from(r.percent) * calls
    }
}
