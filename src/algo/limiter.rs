//! Rate limiters: sliding-window log, sliding-window counter, token bucket and GCRA.
//!
//! Every algorithm is split in two: a small, copyable *configuration* (for
//! example [`Gcra`]) that implements [`Algorithm`], and a per-key *state*
//! (`Algorithm::State`) that the configuration updates in
//! [`Algorithm::check_at`], a pure function of `now`. Containers own the state:
//!
//! * [`KeyedLimiter<A, K>`] keeps one state per key `K: Hash + Eq + Clone`
//!   (a user id, an API key, a tenant index...). Lookups use a `HashMap` with
//!   a fixed (unseeded) SipHash, and its iteration order never reaches a
//!   decision, so runs are reproducible.
//! * [`DirectLimiter<A>`] is a single, unkeyed limiter.
//!
//! [`Limiter`] is an enum over the four algorithms (the log in two variants:
//! admitted-only, or counting rejected requests as Redis sorted-set code
//! does) so a simulator can pick one by name from a scenario
//! ([`Limiter::from_name`]).
//!
//! Every check returns a [`Decision`]: allowed or denied, how many more
//! requests would be allowed right now, when the limiter is fully reset and
//! when the next request can be allowed. A denial is a decision, not an error.
//!
//! ```text
//!   request(key, now) ──► KeyedLimiter ──► state[key] ──► Algorithm::check_at(state, now)
//!                                                              │
//!                              Decision { allowed, remaining, reset_at, retry_at } ◄─┘
//! ```
//!
//! Time is integer nanoseconds ([`Nanos`]); all arithmetic is integer (with
//! `u128` intermediates where products could overflow), so decisions are
//! identical on every platform. Per key, `now` should not run backwards; an
//! earlier `now` is treated as the latest time seen for that key (GCRA, like
//! `governor`, accepts it as is).

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::hash::Hash;

use crate::algo::clock::{Clock, Nanos};

/// The outcome of one rate-limit check.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Whether this request is admitted.
    pub allowed: bool,
    /// The configured limit (window max, bucket capacity or burst size).
    pub limit: u64,
    /// How many further requests would be admitted at the same `now`, after this one.
    pub remaining: u64,
    /// When the limiter is back to its full allowance if no request arrives (`X-RateLimit-Reset`).
    pub reset_at: Nanos,
    /// The earliest time at which the next request would be admitted if nothing
    /// else happens; equal to `now` when `remaining > 0`.
    pub retry_at: Nanos,
}

impl Decision {
    /// How long to wait after `now` before retrying (`Retry-After`); zero if a request would pass now.
    pub fn retry_after(&self, now: Nanos) -> Nanos {
        self.retry_at.saturating_sub(now)
    }
}

/// A rate-limiting algorithm: a configuration that updates a per-key state.
pub trait Algorithm {
    /// The per-key state.
    type State;
    /// A fresh state for a key first seen at `now`.
    fn new_state(&self, now: Nanos) -> Self::State;
    /// Decides on one request at `now` and updates `state` if it is admitted.
    fn check_at(&self, state: &mut Self::State, now: Nanos) -> Decision;
    /// The decision a request would get at `now`, without recording it.
    fn peek_at(&self, state: &Self::State, now: Nanos) -> Decision;
    /// Whether `state` holds nothing a fresh state would not (the key can be forgotten).
    fn is_idle(&self, state: &Self::State, now: Nanos) -> bool;
    /// The configured limit reported in decisions.
    fn limit(&self) -> u64;
}

/// A parameter that makes a limiter meaningless (zero window, zero limit...).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParamError {
    /// A window or period of zero.
    ZeroPeriod,
    /// A limit, capacity, count or burst of zero.
    ZeroLimit,
    /// A parameter so large that the integer arithmetic would overflow.
    TooLarge,
    /// The limiter name is not one of [`Limiter::NAMES`].
    UnknownName(String),
    /// The algorithm needs the other kind of [`LimiterParams`].
    WrongParams(&'static str),
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamError::ZeroPeriod => write!(f, "window or period must be greater than zero"),
            ParamError::ZeroLimit => {
                write!(f, "limit, capacity or burst must be greater than zero")
            }
            ParamError::TooLarge => {
                write!(f, "parameters too large for 64-bit nanosecond arithmetic")
            }
            ParamError::UnknownName(n) => write!(
                f,
                "unknown rate limiter `{n}` (expected one of: {})",
                Limiter::NAMES.join(", ")
            ),
            ParamError::WrongParams(n) => {
                write!(
                    f,
                    "rate limiter `{n}` takes a window and a max, not a rate and a burst"
                )
            }
        }
    }
}

impl std::error::Error for ParamError {}

fn ceil_div(a: u128, b: u128) -> u128 {
    a.div_ceil(b)
}

fn to_nanos(x: u128) -> Nanos {
    Nanos(u64::try_from(x).unwrap_or(u64::MAX))
}

// ---------------------------------------------------------------------------
// Sliding-window log
// ---------------------------------------------------------------------------

/// Sliding-window log: the Redis sorted-set pattern, in two variants.
///
/// Per key it keeps a log of request timestamps. A check at `now` drops those
/// at or before `now - window` (`ZREMRANGEBYSCORE key -inf now-window`), then:
///
/// * [`SlidingLog::new`] (admitted-only): counts the rest (`ZCARD`) and, if
///   fewer than `max`, admits the request and records `now` (`ZADD`). Only
///   admitted requests are logged, so a client hammering a full window does
///   not extend its own ban. Any half-open interval `(t - window, t]` contains
///   at most `max` admitted requests; memory per key is at most `max`
///   timestamps.
/// * [`SlidingLog::counting_rejected`] (the sorted-set code as usually
///   written: `ZADD` then `ZCARD` in one pipeline): records `now` first, then
///   admits the request if the log now holds at most `max` entries. Rejected
///   requests fill the window too, so a client that keeps retrying faster
///   than `max` per `window` stays blocked until it pauses for a whole
///   window. Every request is its own member (the usual `"{now}-{uuid}"`).
///   Memory per key is the requests of the last window.
///
/// ```
/// use scaletwin::algo::clock::{Clock, Nanos, SystemClock, VirtualClock};
/// use scaletwin::algo::limiter::{KeyedLimiter, SlidingLog};
///
/// // A real service: 2 requests per second per user.
/// let clock = SystemClock::new();
/// let mut limiter = KeyedLimiter::new(SlidingLog::new(Nanos::from_secs(1), 2).unwrap());
/// assert!(limiter.check(&"alice", &clock).allowed);
///
/// // In the simulator, driven by virtual time.
/// let clock = VirtualClock::new(Nanos::ZERO);
/// let mut limiter = KeyedLimiter::new(SlidingLog::new(Nanos::from_secs(1), 2).unwrap());
/// assert!(limiter.check(&7u64, &clock).allowed);
/// assert!(limiter.check(&7u64, &clock).allowed);
/// let d = limiter.check(&7u64, &clock);
/// assert!(!d.allowed);
/// assert_eq!(d.retry_at, Nanos::from_secs(1));
/// clock.set(d.retry_at);
/// assert!(limiter.check(&7u64, &clock).allowed);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct SlidingLog {
    window: Nanos,
    max: u32,
    /// Rejected requests are logged too (`ZADD` before `ZCARD`).
    count_rejected: bool,
}

impl SlidingLog {
    /// At most `max` requests in any window of length `window`.
    pub fn new(window: Nanos, max: u32) -> Result<SlidingLog, ParamError> {
        if window.0 == 0 {
            return Err(ParamError::ZeroPeriod);
        }
        if max == 0 {
            return Err(ParamError::ZeroLimit);
        }
        Ok(SlidingLog {
            window,
            max,
            count_rejected: false,
        })
    }

    /// At most `max` requests per `window`, counting rejected requests in the
    /// window as well (see the type's docs).
    ///
    /// ```
    /// use scaletwin::algo::clock::Nanos;
    /// use scaletwin::algo::limiter::{Algorithm, SlidingLog};
    ///
    /// let l = SlidingLog::counting_rejected(Nanos::from_secs(1), 1).unwrap();
    /// let mut s = l.new_state(Nanos::ZERO);
    /// assert!(l.check_at(&mut s, Nanos::ZERO).allowed);
    /// assert!(!l.check_at(&mut s, Nanos::from_millis(900)).allowed);
    /// // The rejected request at 0.9 s is still in the window at 1.5 s.
    /// assert!(!l.check_at(&mut s, Nanos::from_millis(1500)).allowed);
    /// assert!(l.check_at(&mut s, Nanos::from_millis(3000)).allowed);
    /// ```
    pub fn counting_rejected(window: Nanos, max: u32) -> Result<SlidingLog, ParamError> {
        Ok(SlidingLog {
            count_rejected: true,
            ..SlidingLog::new(window, max)?
        })
    }

    /// Whether rejected requests are logged (see [`SlidingLog::counting_rejected`]).
    pub fn counts_rejected(&self) -> bool {
        self.count_rejected
    }
    /// The window length.
    pub fn window(&self) -> Nanos {
        self.window
    }
    /// The maximum number of requests per window.
    pub fn max(&self) -> u32 {
        self.max
    }

    fn trim(&self, log: &mut VecDeque<Nanos>, now: Nanos) {
        // ZREMRANGEBYSCORE key -inf (now - window): entries with ts + window <= now.
        while let Some(&ts) = log.front() {
            if ts.saturating_add(self.window) <= now {
                log.pop_front();
            } else {
                break;
            }
        }
    }

    fn decide(&self, log: &VecDeque<Nanos>, now: Nanos, allowed: bool) -> Decision {
        let count = log.len() as u64;
        let max = u64::from(self.max);
        let remaining = max.saturating_sub(count);
        let retry_at = if remaining > 0 {
            now
        } else {
            // A request is admitted once `count - max + 1` entries have left
            // the window (one, for the admitted-only log, which never holds
            // more than `max`): entry `count - max` leaves at ts + window.
            log.get(log.len() - self.max as usize)
                .map_or(now, |&ts| ts.saturating_add(self.window))
        };
        let reset_at = log
            .back()
            .map_or(now, |&ts| ts.saturating_add(self.window).max(now));
        Decision {
            allowed,
            limit: max,
            remaining,
            reset_at,
            retry_at,
        }
    }
}

/// The per-key state of a [`SlidingLog`]: admitted timestamps, oldest first.
#[derive(Clone, Debug, Default)]
pub struct SlidingLogState {
    log: VecDeque<Nanos>,
}

impl Algorithm for SlidingLog {
    type State = SlidingLogState;

    fn new_state(&self, _now: Nanos) -> SlidingLogState {
        SlidingLogState::default()
    }

    fn check_at(&self, state: &mut SlidingLogState, now: Nanos) -> Decision {
        let now = state.log.back().map_or(now, |&last| now.max(last));
        self.trim(&mut state.log, now);
        let allowed = state.log.len() < self.max as usize;
        if allowed || self.count_rejected {
            state.log.push_back(now);
        }
        self.decide(&state.log, now, allowed)
    }

    fn peek_at(&self, state: &SlidingLogState, now: Nanos) -> Decision {
        // Not on the hot path: a copy of the log keeps this obviously equal to `check_at`.
        let mut s = state.clone();
        self.check_at(&mut s, now)
    }

    fn is_idle(&self, state: &SlidingLogState, now: Nanos) -> bool {
        state
            .log
            .back()
            .is_none_or(|&ts| ts.saturating_add(self.window) <= now)
    }

    fn limit(&self) -> u64 {
        u64::from(self.max)
    }
}

// ---------------------------------------------------------------------------
// Sliding-window counter
// ---------------------------------------------------------------------------

/// Sliding-window counter: the previous and the current fixed window, weighted.
///
/// Windows are aligned to multiples of `window` from time zero. The estimated
/// count at `now`, `elapsed` into the current window, is
/// `previous * (window - elapsed) / window + current`; a request is admitted if
/// the estimate including it is at most `max` (computed exactly in integers).
/// Memory per key is three integers.
///
/// Guarantee (what the estimate actually buys):
/// * every aligned window `[k*window, (k+1)*window)` admits at most `max`;
/// * any window of length `window` admits at most `2*max - 1` (reached only
///   when the previous window's requests all came at its very end; with
///   evenly spread traffic the estimate is exact).
///
/// ```
/// use scaletwin::algo::clock::{Clock, Nanos, SystemClock, VirtualClock};
/// use scaletwin::algo::limiter::{KeyedLimiter, SlidingCounter};
///
/// let clock = SystemClock::new();
/// let mut limiter = KeyedLimiter::new(SlidingCounter::new(Nanos::from_secs(60), 100).unwrap());
/// assert!(limiter.check(&"tenant-1", &clock).allowed);
///
/// let clock = VirtualClock::new(Nanos::ZERO);
/// let mut limiter = KeyedLimiter::new(SlidingCounter::new(Nanos::from_secs(10), 4).unwrap());
/// for _ in 0..4 {
///     assert!(limiter.check(&1u64, &clock).allowed);
/// }
/// assert!(!limiter.check(&1u64, &clock).allowed);
/// // Halfway through the next window the previous four weigh two.
/// clock.set(Nanos::from_secs(15));
/// assert_eq!(limiter.check(&1u64, &clock).remaining, 1);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct SlidingCounter {
    window: Nanos,
    max: u32,
}

/// The per-key state of a [`SlidingCounter`].
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct SlidingCounterState {
    /// Start of the current aligned window.
    start: Nanos,
    previous: u64,
    current: u64,
}

impl SlidingCounter {
    /// At most `max` requests per (estimated) sliding window of length `window`.
    pub fn new(window: Nanos, max: u32) -> Result<SlidingCounter, ParamError> {
        if window.0 == 0 {
            return Err(ParamError::ZeroPeriod);
        }
        if max == 0 {
            return Err(ParamError::ZeroLimit);
        }
        Ok(SlidingCounter { window, max })
    }
    /// The window length.
    pub fn window(&self) -> Nanos {
        self.window
    }
    /// The maximum number of requests per window.
    pub fn max(&self) -> u32 {
        self.max
    }

    /// The state rolled forward to the window containing `now` (never backwards).
    fn roll(&self, s: SlidingCounterState, now: Nanos) -> SlidingCounterState {
        let w = self.window.0;
        let start = Nanos(now.0 - now.0 % w);
        if start <= s.start {
            s
        } else if start.0 - s.start.0 == w {
            SlidingCounterState {
                start,
                previous: s.current,
                current: 0,
            }
        } else {
            SlidingCounterState {
                start,
                previous: 0,
                current: 0,
            }
        }
    }

    /// How many more requests fit at `elapsed` into the window of `s`.
    fn room(&self, s: &SlidingCounterState, elapsed: u64) -> u64 {
        let w = u128::from(self.window.0);
        let budget = u128::from(self.max) * w;
        let used = u128::from(s.previous) * (w - u128::from(elapsed)) + u128::from(s.current) * w;
        let room = budget.saturating_sub(used) / w;
        u64::try_from(room).unwrap_or(u64::MAX)
    }

    /// Earliest time `>= from` at which one request fits, if nothing else is admitted.
    fn earliest(&self, mut s: SlidingCounterState, from: Nanos) -> Nanos {
        let w = self.window.0;
        let max = u128::from(self.max);
        let mut from = from;
        // At most three windows: this one, the next (current becomes previous), the one after.
        loop {
            let elapsed = from.0 - s.start.0;
            if u128::from(s.current) < max {
                if s.previous == 0 {
                    return from;
                }
                // previous * (w - e) <= (max - current - 1) * w  <=>  e >= w - floor(x / previous)
                let x = (max - u128::from(s.current) - 1) * u128::from(w);
                let slack = x / u128::from(s.previous);
                if slack > 0 {
                    let e = u128::from(w).saturating_sub(slack);
                    let e = u64::try_from(e).unwrap_or(0).max(elapsed);
                    return Nanos(s.start.0 + e);
                }
            }
            let next = s.start.saturating_add(self.window);
            if next == Nanos::MAX {
                return Nanos::MAX;
            }
            s = self.roll(s, next);
            from = next;
        }
    }

    fn decide(&self, s: &SlidingCounterState, now: Nanos, allowed: bool) -> Decision {
        let elapsed = now.0 - s.start.0;
        let remaining = self.room(s, elapsed);
        let retry_at = if remaining > 0 {
            now
        } else {
            self.earliest(*s, now)
        };
        let reset_at = if s.current > 0 {
            s.start.saturating_add(Nanos(2 * self.window.0))
        } else if s.previous > 0 {
            s.start.saturating_add(self.window)
        } else {
            now
        };
        Decision {
            allowed,
            limit: u64::from(self.max),
            remaining,
            reset_at,
            retry_at,
        }
    }
}

impl Algorithm for SlidingCounter {
    type State = SlidingCounterState;

    fn new_state(&self, now: Nanos) -> SlidingCounterState {
        SlidingCounterState {
            start: Nanos(now.0 - now.0 % self.window.0),
            previous: 0,
            current: 0,
        }
    }

    fn check_at(&self, state: &mut SlidingCounterState, now: Nanos) -> Decision {
        let now = now.max(state.start);
        *state = self.roll(*state, now);
        let allowed = self.room(state, now.0 - state.start.0) >= 1;
        if allowed {
            state.current += 1;
        }
        self.decide(state, now, allowed)
    }

    fn peek_at(&self, state: &SlidingCounterState, now: Nanos) -> Decision {
        let mut s = *state;
        self.check_at(&mut s, now)
    }

    fn is_idle(&self, state: &SlidingCounterState, now: Nanos) -> bool {
        let s = self.roll(*state, now.max(state.start));
        s.previous == 0 && s.current == 0
    }

    fn limit(&self) -> u64 {
        u64::from(self.max)
    }
}

// ---------------------------------------------------------------------------
// Token bucket
// ---------------------------------------------------------------------------

/// Token bucket: `capacity` tokens, refilled at `count` tokens per `period`.
///
/// A key's bucket starts full; each request takes one token or is denied.
/// The level is kept exactly, in units of `1 / (count * period-in-ns)` of a
/// token, so there is no rounding drift: over any interval of length `d`, at
/// most `capacity + floor(count * d / period)` requests are admitted.
///
/// ```
/// use scaletwin::algo::clock::{Clock, Nanos, SystemClock, VirtualClock};
/// use scaletwin::algo::limiter::{KeyedLimiter, TokenBucket};
///
/// // 10 requests per second, bursts of up to 20.
/// let bucket = TokenBucket::new(20, 10, Nanos::from_secs(1)).unwrap();
/// let clock = SystemClock::new();
/// let mut limiter = KeyedLimiter::new(bucket);
/// assert!(limiter.check(&"k", &clock).allowed);
///
/// let clock = VirtualClock::new(Nanos::ZERO);
/// let mut limiter = KeyedLimiter::new(TokenBucket::new(1, 10, Nanos::from_secs(1)).unwrap());
/// assert!(limiter.check(&0u64, &clock).allowed);
/// let d = limiter.check(&0u64, &clock);
/// assert_eq!(d.retry_at, Nanos::from_millis(100));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TokenBucket {
    capacity: u32,
    count: u32,
    period: Nanos,
}

/// The per-key state of a [`TokenBucket`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TokenBucketState {
    /// Level in units where one token is `period` units (refill adds `count` per ns).
    level: u128,
    last: Nanos,
}

impl TokenBucket {
    /// A bucket of `capacity` tokens refilled with `count` tokens every `period`.
    pub fn new(capacity: u32, count: u32, period: Nanos) -> Result<TokenBucket, ParamError> {
        if period.0 == 0 {
            return Err(ParamError::ZeroPeriod);
        }
        if capacity == 0 || count == 0 {
            return Err(ParamError::ZeroLimit);
        }
        Ok(TokenBucket {
            capacity,
            count,
            period,
        })
    }
    /// The bucket size (burst).
    pub fn capacity(&self) -> u32 {
        self.capacity
    }
    /// The refill rate as (`count` tokens, per `period`).
    pub fn rate(&self) -> (u32, Nanos) {
        (self.count, self.period)
    }

    fn unit(&self) -> u128 {
        u128::from(self.period.0)
    }
    fn full(&self) -> u128 {
        u128::from(self.capacity) * self.unit()
    }

    fn refill(&self, s: &mut TokenBucketState, now: Nanos) {
        if now > s.last {
            let dt = u128::from(now.0 - s.last.0);
            s.level = (s.level + dt * u128::from(self.count)).min(self.full());
            s.last = now;
        }
    }

    fn decide(&self, s: &TokenBucketState, now: Nanos, allowed: bool) -> Decision {
        let unit = self.unit();
        let rate = u128::from(self.count);
        let remaining = u64::try_from(s.level / unit).unwrap_or(u64::MAX);
        let retry_at = if s.level >= unit {
            now
        } else {
            now.saturating_add(to_nanos(ceil_div(unit - s.level, rate)))
        };
        let reset_at = now.saturating_add(to_nanos(ceil_div(self.full() - s.level, rate)));
        Decision {
            allowed,
            limit: u64::from(self.capacity),
            remaining,
            reset_at,
            retry_at,
        }
    }
}

impl Algorithm for TokenBucket {
    type State = TokenBucketState;

    fn new_state(&self, now: Nanos) -> TokenBucketState {
        TokenBucketState {
            level: self.full(),
            last: now,
        }
    }

    fn check_at(&self, state: &mut TokenBucketState, now: Nanos) -> Decision {
        let now = now.max(state.last);
        self.refill(state, now);
        let allowed = state.level >= self.unit();
        if allowed {
            state.level -= self.unit();
        }
        self.decide(state, now, allowed)
    }

    fn peek_at(&self, state: &TokenBucketState, now: Nanos) -> Decision {
        let mut s = *state;
        self.check_at(&mut s, now)
    }

    fn is_idle(&self, state: &TokenBucketState, now: Nanos) -> bool {
        let mut s = *state;
        self.refill(&mut s, now);
        s.level == self.full()
    }

    fn limit(&self) -> u64 {
        u64::from(self.capacity)
    }
}

// ---------------------------------------------------------------------------
// GCRA
// ---------------------------------------------------------------------------

/// GCRA (generic cell rate algorithm), with exactly the `governor` crate's semantics.
///
/// Parameters are the emission interval `T` (one request replenished every
/// `T`) and the burst tolerance `tau = T * (burst - 1)`. Per key it stores one
/// "theoretical arrival time" `tat`. A request at `now` is admitted iff
/// `now >= tat - tau`; then `tat = max(tat, now) + T`. A new key behaves as if
/// `tat = now`. [`Gcra::per_period`]`(n, period)` mirrors
/// `governor::Quota::per_second(n)` and friends (`T = period / n`, integer
/// division, at least 1ns) and [`Gcra::with_burst`] mirrors `allow_burst`.
///
/// ```
/// use scaletwin::algo::clock::{Clock, Nanos, SystemClock, VirtualClock};
/// use scaletwin::algo::limiter::{DirectLimiter, Gcra};
///
/// // 50 requests per second, bursts of 5.
/// let gcra = Gcra::per_period(50, Nanos::from_secs(1)).unwrap().with_burst(5).unwrap();
/// let clock = SystemClock::new();
/// let mut limiter = DirectLimiter::new(gcra);
/// assert!(limiter.check(&clock).allowed);
///
/// let clock = VirtualClock::new(Nanos::ZERO);
/// let mut limiter = DirectLimiter::new(Gcra::per_period(1, Nanos::from_secs(1)).unwrap());
/// assert!(limiter.check(&clock).allowed);
/// let d = limiter.check(&clock);
/// assert!(!d.allowed);
/// assert_eq!(d.retry_at, Nanos::from_secs(1));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Gcra {
    t: Nanos,
    tau: Nanos,
}

/// The per-key state of a [`Gcra`]: the theoretical arrival time.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct GcraState {
    tat: Nanos,
}

impl Gcra {
    /// `n` requests per `period` with a burst of `n` (like `Quota::per_second(n)` for one second).
    pub fn per_period(n: u32, period: Nanos) -> Result<Gcra, ParamError> {
        if period.0 == 0 {
            return Err(ParamError::ZeroPeriod);
        }
        if n == 0 {
            return Err(ParamError::ZeroLimit);
        }
        let t = Nanos((period.0 / u64::from(n)).max(1));
        Gcra::new(t, n)
    }

    /// Emission interval `t` (one request per `t`) and burst size `burst` (`tau = t * (burst - 1)`).
    pub fn new(t: Nanos, burst: u32) -> Result<Gcra, ParamError> {
        if t.0 == 0 {
            return Err(ParamError::ZeroPeriod);
        }
        if burst == 0 {
            return Err(ParamError::ZeroLimit);
        }
        let tau =
            t.0.checked_mul(u64::from(burst - 1))
                .ok_or(ParamError::TooLarge)?;
        Ok(Gcra { t, tau: Nanos(tau) })
    }

    /// The same rate with burst size `burst` (like `Quota::allow_burst`).
    pub fn with_burst(self, burst: u32) -> Result<Gcra, ParamError> {
        Gcra::new(self.t, burst)
    }

    /// The emission interval `T`.
    pub fn emission_interval(&self) -> Nanos {
        self.t
    }
    /// The burst tolerance `tau`.
    pub fn tolerance(&self) -> Nanos {
        self.tau
    }
    /// The burst size, `1 + tau / T`.
    pub fn burst(&self) -> u32 {
        u32::try_from(1 + self.tau.0 / self.t.0).unwrap_or(u32::MAX)
    }

    fn remaining(&self, now: Nanos, tat: Nanos) -> u64 {
        // governor's StateSnapshot::remaining_burst_capacity.
        let window = self.tau.0.saturating_add(self.t.0);
        let room = now.0.saturating_add(window).saturating_sub(tat.0);
        room.min(window) / self.t.0
    }
}

impl Algorithm for Gcra {
    type State = GcraState;

    fn new_state(&self, now: Nanos) -> GcraState {
        GcraState { tat: now }
    }

    fn check_at(&self, state: &mut GcraState, now: Nanos) -> Decision {
        let earliest = state.tat.saturating_sub(self.tau);
        if now < earliest {
            return Decision {
                allowed: false,
                limit: u64::from(self.burst()),
                remaining: 0,
                reset_at: state.tat,
                retry_at: earliest,
            };
        }
        let tat = state.tat.max(now).saturating_add(self.t);
        state.tat = tat;
        let remaining = self.remaining(now, tat);
        Decision {
            allowed: true,
            limit: u64::from(self.burst()),
            remaining,
            reset_at: tat,
            retry_at: if remaining > 0 {
                now
            } else {
                tat.saturating_sub(self.tau)
            },
        }
    }

    fn peek_at(&self, state: &GcraState, now: Nanos) -> Decision {
        let mut s = *state;
        self.check_at(&mut s, now)
    }

    fn is_idle(&self, state: &GcraState, now: Nanos) -> bool {
        state.tat <= now
    }

    fn limit(&self) -> u64 {
        u64::from(self.burst())
    }
}

// ---------------------------------------------------------------------------
// Choosing by name
// ---------------------------------------------------------------------------

/// Parameters for [`Limiter::from_name`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LimiterParams {
    /// `max` requests per `window`. For the rate algorithms this means a rate of
    /// `max` per `window` with a burst of `max`.
    Window {
        /// The window (or period) length.
        window: Nanos,
        /// Requests allowed per window.
        max: u32,
    },
    /// `count` requests per `period`, with bursts of up to `burst`
    /// (token bucket and GCRA only).
    Rate {
        /// Requests replenished per period.
        count: u32,
        /// The period.
        period: Nanos,
        /// The burst size (bucket capacity).
        burst: u32,
    },
}

/// Any of the four algorithms, chosen at run time (for example from a scenario).
///
/// `Limiter` implements [`Algorithm`] with [`LimiterState`], so
/// `KeyedLimiter<Limiter, K>` is a keyed limiter whose algorithm is data.
///
/// ```
/// use scaletwin::algo::clock::{Nanos, SystemClock, VirtualClock};
/// use scaletwin::algo::limiter::{KeyedLimiter, Limiter, LimiterParams};
///
/// let params = LimiterParams::Rate { count: 100, period: Nanos::from_secs(1), burst: 10 };
/// let mut limiter = KeyedLimiter::new(Limiter::from_name("gcra", params).unwrap());
/// assert!(limiter.check(&"k", &SystemClock::new()).allowed);
/// assert!(limiter.check(&"k", &VirtualClock::new(Nanos::ZERO)).allowed);
/// assert!(Limiter::from_name("leaky", params).is_err());
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Limiter {
    /// See [`SlidingLog`].
    SlidingLog(SlidingLog),
    /// See [`SlidingCounter`].
    SlidingCounter(SlidingCounter),
    /// See [`TokenBucket`].
    TokenBucket(TokenBucket),
    /// See [`Gcra`].
    Gcra(Gcra),
}

/// The per-key state of a [`Limiter`].
#[derive(Clone, Debug)]
pub enum LimiterState {
    /// See [`SlidingLogState`].
    SlidingLog(SlidingLogState),
    /// See [`SlidingCounterState`].
    SlidingCounter(SlidingCounterState),
    /// See [`TokenBucketState`].
    TokenBucket(TokenBucketState),
    /// See [`GcraState`].
    Gcra(GcraState),
}

impl Limiter {
    /// The names [`Limiter::from_name`] accepts.
    pub const NAMES: [&'static str; 5] = [
        "sliding_log",
        "sliding_counter",
        "token_bucket",
        "gcra",
        "sorted_set_log",
    ];

    /// The algorithm called `name` (one of [`Limiter::NAMES`]) with `params`.
    pub fn from_name(name: &str, params: LimiterParams) -> Result<Limiter, ParamError> {
        let (window, max) = match params {
            LimiterParams::Window { window, max } => (Some(window), max),
            LimiterParams::Rate { .. } => (None, 0),
        };
        let (count, period, burst) = match params {
            LimiterParams::Window { window, max } => (max, window, max),
            LimiterParams::Rate {
                count,
                period,
                burst,
            } => (count, period, burst),
        };
        match name {
            "sliding_log" => {
                let w = window.ok_or(ParamError::WrongParams("sliding_log"))?;
                Ok(Limiter::SlidingLog(SlidingLog::new(w, max)?))
            }
            "sorted_set_log" => {
                let w = window.ok_or(ParamError::WrongParams("sorted_set_log"))?;
                Ok(Limiter::SlidingLog(SlidingLog::counting_rejected(w, max)?))
            }
            "sliding_counter" => {
                let w = window.ok_or(ParamError::WrongParams("sliding_counter"))?;
                Ok(Limiter::SlidingCounter(SlidingCounter::new(w, max)?))
            }
            "token_bucket" => Ok(Limiter::TokenBucket(TokenBucket::new(
                burst, count, period,
            )?)),
            "gcra" => Ok(Limiter::Gcra(
                Gcra::per_period(count, period)?.with_burst(burst)?,
            )),
            other => Err(ParamError::UnknownName(other.to_string())),
        }
    }

    /// The name [`Limiter::from_name`] knows this algorithm by.
    pub fn name(&self) -> &'static str {
        match self {
            Limiter::SlidingLog(l) if l.counts_rejected() => "sorted_set_log",
            Limiter::SlidingLog(_) => "sliding_log",
            Limiter::SlidingCounter(_) => "sliding_counter",
            Limiter::TokenBucket(_) => "token_bucket",
            Limiter::Gcra(_) => "gcra",
        }
    }
}

macro_rules! dispatch {
    ($self:ident, $state:expr, $method:ident, $now:ident, $fresh:expr) => {
        match ($self, $state) {
            (Limiter::SlidingLog(a), LimiterState::SlidingLog(s)) => a.$method(s, $now),
            (Limiter::SlidingCounter(a), LimiterState::SlidingCounter(s)) => a.$method(s, $now),
            (Limiter::TokenBucket(a), LimiterState::TokenBucket(s)) => a.$method(s, $now),
            (Limiter::Gcra(a), LimiterState::Gcra(s)) => a.$method(s, $now),
            // A state from another algorithm: behave as for a fresh key.
            _ => $fresh,
        }
    };
}

impl Algorithm for Limiter {
    type State = LimiterState;

    fn new_state(&self, now: Nanos) -> LimiterState {
        match self {
            Limiter::SlidingLog(a) => LimiterState::SlidingLog(a.new_state(now)),
            Limiter::SlidingCounter(a) => LimiterState::SlidingCounter(a.new_state(now)),
            Limiter::TokenBucket(a) => LimiterState::TokenBucket(a.new_state(now)),
            Limiter::Gcra(a) => LimiterState::Gcra(a.new_state(now)),
        }
    }

    fn check_at(&self, state: &mut LimiterState, now: Nanos) -> Decision {
        dispatch!(self, &mut *state, check_at, now, {
            *state = self.new_state(now);
            self.check_at(state, now)
        })
    }

    fn peek_at(&self, state: &LimiterState, now: Nanos) -> Decision {
        dispatch!(self, state, peek_at, now, {
            self.peek_at(&self.new_state(now), now)
        })
    }

    fn is_idle(&self, state: &LimiterState, now: Nanos) -> bool {
        dispatch!(self, state, is_idle, now, true)
    }

    fn limit(&self) -> u64 {
        match self {
            Limiter::SlidingLog(a) => a.limit(),
            Limiter::SlidingCounter(a) => a.limit(),
            Limiter::TokenBucket(a) => a.limit(),
            Limiter::Gcra(a) => a.limit(),
        }
    }
}

// ---------------------------------------------------------------------------
// Containers
// ---------------------------------------------------------------------------

/// A fixed, unseeded hasher: key lookups are reproducible from run to run
/// (the cache's fast Fx-style hasher).
pub type FixedState = super::cache::BuildKeyHasher;

/// A rate limiter with one state per key.
///
/// Keys are any `K: Hash + Eq + Clone`; the key is cloned only when a new key
/// is first seen. Memory grows with the number of keys: call
/// [`KeyedLimiter::retain_recent_at`] from time to time to forget idle keys
/// (it changes no decision).
#[derive(Clone, Debug)]
pub struct KeyedLimiter<A: Algorithm, K> {
    algo: A,
    states: HashMap<K, A::State, FixedState>,
}

impl<A: Algorithm, K: Hash + Eq + Clone> KeyedLimiter<A, K> {
    /// An empty keyed limiter running `algo`.
    pub fn new(algo: A) -> Self {
        KeyedLimiter {
            algo,
            states: HashMap::default(),
        }
    }

    /// The algorithm and its parameters.
    pub fn algorithm(&self) -> &A {
        &self.algo
    }

    /// Decides on one request for `key` at `now`.
    pub fn check_at(&mut self, key: &K, now: Nanos) -> Decision {
        if let Some(state) = self.states.get_mut(key) {
            return self.algo.check_at(state, now);
        }
        let mut state = self.algo.new_state(now);
        let decision = self.algo.check_at(&mut state, now);
        self.states.insert(key.clone(), state);
        decision
    }

    /// Decides on one request for `key` at `clock.now()`.
    pub fn check(&mut self, key: &K, clock: &impl Clock) -> Decision {
        self.check_at(key, clock.now())
    }

    /// The decision a request for `key` would get at `now`, without recording it.
    pub fn peek_at(&self, key: &K, now: Nanos) -> Decision {
        match self.states.get(key) {
            Some(state) => self.algo.peek_at(state, now),
            None => self.algo.peek_at(&self.algo.new_state(now), now),
        }
    }

    /// Forgets every key whose state is back to a fresh key's at `now`.
    pub fn retain_recent_at(&mut self, now: Nanos) {
        let algo = &self.algo;
        self.states.retain(|_, s| !algo.is_idle(s, now));
    }

    /// The number of keys with state.
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// Whether no key has state.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }
}

/// A single, unkeyed rate limiter.
#[derive(Clone, Debug)]
pub struct DirectLimiter<A: Algorithm> {
    algo: A,
    state: Option<A::State>,
}

impl<A: Algorithm> DirectLimiter<A> {
    /// A limiter running `algo`; its state starts at the first check.
    pub fn new(algo: A) -> Self {
        DirectLimiter { algo, state: None }
    }
    /// The algorithm and its parameters.
    pub fn algorithm(&self) -> &A {
        &self.algo
    }
    /// Decides on one request at `now`.
    pub fn check_at(&mut self, now: Nanos) -> Decision {
        let algo = &self.algo;
        let state = self.state.get_or_insert_with(|| algo.new_state(now));
        algo.check_at(state, now)
    }
    /// Decides on one request at `clock.now()`.
    pub fn check(&mut self, clock: &impl Clock) -> Decision {
        self.check_at(clock.now())
    }
    /// The decision a request would get at `now`, without recording it.
    pub fn peek_at(&self, now: Nanos) -> Decision {
        match &self.state {
            Some(s) => self.algo.peek_at(s, now),
            None => self.algo.peek_at(&self.algo.new_state(now), now),
        }
    }
}
