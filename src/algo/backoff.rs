//! Retry with exponential backoff and jitter, and a retry budget.
//!
//! [`Backoff`] computes the delay before each retry with the four schedules of
//! the AWS Architecture Blog article "Exponential Backoff and Jitter":
//!
//! ```text
//!   exp(n)        = min(cap, base * multiplier^n)          n = 0 for the first retry
//!   None          = exp(n)
//!   Full          = uniform[0, exp(n)]
//!   Equal         = exp(n)/2 + uniform[0, exp(n)/2]
//!   Decorrelated  = min(cap, uniform[base, 3 * prev])      prev = base before the first retry
//! ```
//!
//! The power is binary exponentiation in IEEE `f64` multiplications and the draws are integer (`random_range` on
//! `u64` nanoseconds), so a seeded RNG gives the same delays on every
//! platform. [`RetryBudget`] bounds retries to a fraction of requests (plus a
//! small floor per second), which is what stops retry storms.

use rand::{Rng, RngExt};

use crate::algo::clock::{Clock, Nanos};

/// How the exponential delay is randomised.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Jitter {
    /// The plain exponential delay.
    None,
    /// Uniform between zero and the exponential delay.
    Full,
    /// Half the exponential delay plus uniform up to the other half.
    Equal,
    /// Uniform between `base` and three times the previous delay, capped.
    Decorrelated,
}

impl Jitter {
    /// The names [`Jitter::from_name`] accepts.
    pub const NAMES: [&'static str; 4] = ["none", "full", "equal", "decorrelated"];

    /// The jitter mode called `name` (one of [`Jitter::NAMES`]).
    pub fn from_name(name: &str) -> Option<Jitter> {
        match name {
            "none" => Some(Jitter::None),
            "full" => Some(Jitter::Full),
            "equal" => Some(Jitter::Equal),
            "decorrelated" => Some(Jitter::Decorrelated),
            _ => None,
        }
    }
}

/// A retry policy: how many attempts, and how long to wait between them.
///
/// ```
/// use rand::SeedableRng;
/// use rand_chacha::ChaCha8Rng;
/// use scaletwin::algo::backoff::{Backoff, Jitter};
/// use scaletwin::algo::clock::{Clock, Nanos, SystemClock, VirtualClock};
///
/// let policy = Backoff {
///     max_attempts: 4,
///     base: Nanos::from_millis(100),
///     multiplier: 2.0,
///     cap: Nanos::from_secs(1),
///     jitter: Jitter::Full,
/// };
/// let mut rng = ChaCha8Rng::seed_from_u64(42);
///
/// // A real service: sleep until clock.now() + delay, then retry.
/// let clock = SystemClock::new();
/// let mut retry = policy.start();
/// let wake = clock.now() + retry.next_delay(&mut rng).unwrap();
/// assert!(wake <= clock.now() + Nanos::from_millis(100));
///
/// // The simulator: schedule the retry at virtual time now + delay.
/// let clock = VirtualClock::new(Nanos::ZERO);
/// let mut retry = policy.start();
/// let mut delays = Vec::new();
/// while let Some(d) = retry.next_delay(&mut rng) {
///     clock.advance(d);
///     delays.push(d);
/// }
/// assert_eq!(delays.len(), 3); // 4 attempts = the first call + 3 retries
/// assert!(delays.iter().all(|d| *d <= Nanos::from_secs(1)));
///
/// let plain = Backoff { jitter: Jitter::None, ..policy };
/// assert_eq!(plain.delay(2, Nanos::ZERO, &mut rng), Nanos::from_millis(400));
/// ```
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Backoff {
    /// Total attempts including the first call (1 = never retry).
    pub max_attempts: u32,
    /// The delay before the first retry (before jitter).
    pub base: Nanos,
    /// Growth factor per retry (2.0 doubles).
    pub multiplier: f64,
    /// The largest delay returned.
    pub cap: Nanos,
    /// How the delay is randomised.
    pub jitter: Jitter,
}

impl Default for Backoff {
    /// 3 attempts, 100ms base, doubling, 10s cap, full jitter.
    fn default() -> Self {
        Backoff {
            max_attempts: 3,
            base: Nanos::from_millis(100),
            multiplier: 2.0,
            cap: Nanos::from_secs(10),
            jitter: Jitter::Full,
        }
    }
}

impl Backoff {
    /// `min(cap, base * multiplier^retry)`, the delay before retry number `retry` (0-based) without jitter.
    pub fn exponential(&self, retry: u32) -> Nanos {
        let cap = self.cap.0;
        let raw = self.base.0 as f64 * powu(self.multiplier, retry);
        // NaN (a negative or NaN multiplier) and anything at or over the cap give the cap.
        if raw >= 0.0 && raw < cap as f64 {
            Nanos((raw as u64).min(cap))
        } else if raw < 0.0 {
            Nanos::ZERO
        } else {
            Nanos(cap)
        }
    }

    /// The delay before retry number `retry` (0-based: 0 is the first retry).
    /// `prev` is the previous delay returned (used by [`Jitter::Decorrelated`];
    /// pass [`Nanos::ZERO`] for the first retry). Always within `[0, cap]`.
    pub fn delay<R: Rng + ?Sized>(&self, retry: u32, prev: Nanos, rng: &mut R) -> Nanos {
        match self.jitter {
            Jitter::None => self.exponential(retry),
            Jitter::Full => {
                let e = self.exponential(retry).0;
                Nanos(rng.random_range(0..=e))
            }
            Jitter::Equal => {
                let e = self.exponential(retry).0;
                let half = e / 2;
                Nanos(e - half + rng.random_range(0..=half))
            }
            Jitter::Decorrelated => {
                let base = self.base.0.min(self.cap.0);
                let prev = if prev.0 == 0 { self.base.0 } else { prev.0 };
                let hi = prev.saturating_mul(3).max(base);
                Nanos(rng.random_range(base..=hi).min(self.cap.0))
            }
        }
    }

    /// Whether another attempt is allowed after `attempts_made` attempts (including the first call).
    pub fn allows_retry(&self, attempts_made: u32) -> bool {
        attempts_made < self.max_attempts
    }

    /// The retry state of one request, before its first call.
    pub fn start(&self) -> Retry {
        Retry {
            policy: *self,
            attempts: 1,
            prev: Nanos::ZERO,
        }
    }
}

/// `m^n` by binary exponentiation: only IEEE multiplications, so identical on
/// every platform, and exact for powers of two (unlike `powi`, whose rounding
/// is left to the platform).
fn powu(m: f64, mut n: u32) -> f64 {
    let (mut acc, mut x) = (1.0f64, m);
    while n > 0 {
        if n & 1 == 1 {
            acc *= x;
        }
        n >>= 1;
        if n > 0 {
            x *= x;
        }
    }
    acc
}

/// One request's progress through its [`Backoff`] policy.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Retry {
    policy: Backoff,
    attempts: u32,
    prev: Nanos,
}

impl Retry {
    /// The delay before the next attempt, or `None` when attempts are exhausted.
    pub fn next_delay<R: Rng + ?Sized>(&mut self, rng: &mut R) -> Option<Nanos> {
        if !self.policy.allows_retry(self.attempts) {
            return None;
        }
        let d = self.policy.delay(self.attempts - 1, self.prev, rng);
        self.attempts += 1;
        self.prev = d;
        Some(d)
    }
    /// Attempts made or scheduled so far (1 after the first call).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

/// Units per token in [`RetryBudget`]'s integer arithmetic.
const TOKEN: u64 = 1_000_000_000;

/// A retry budget: retries may be at most `ratio` of requests, plus
/// `min_per_sec` retries per second, with at most `max_tokens` saved up.
///
/// Token-bucket style (like Finagle's and Envoy's retry budgets): each
/// original request deposits `ratio` of a token, time deposits `min_per_sec`
/// tokens per second, each retry withdraws one whole token, and the balance
/// is capped at `max_tokens`. The bucket starts empty. Over any run, retries
/// <= ratio * requests + min_per_sec * elapsed seconds (+1 token of rounding).
/// All arithmetic is integer (one token = 10^9 units).
///
/// ```
/// use scaletwin::algo::backoff::RetryBudget;
/// use scaletwin::algo::clock::{Clock, Nanos, SystemClock, VirtualClock};
///
/// let clock = SystemClock::new();
/// let mut budget = RetryBudget::new(0.1, 0, 100);
/// budget.on_request(&clock);
///
/// // 10% of requests may be retried.
/// let clock = VirtualClock::new(Nanos::ZERO);
/// let mut budget = RetryBudget::new(0.1, 0, 100);
/// let mut retries = 0;
/// for _ in 0..1000 {
///     budget.on_request(&clock);
///     if budget.try_retry(&clock) {
///         retries += 1;
///     }
/// }
/// assert_eq!(retries, 100);
/// ```
#[derive(Clone, Debug)]
pub struct RetryBudget {
    deposit: u64,
    per_ns: u64,
    max: u64,
    balance: u64,
    last: Nanos,
    retries: u64,
    denied: u64,
}

impl RetryBudget {
    /// `ratio` retries per request (0.1 = 10%), a floor of `min_per_sec`
    /// retries per second, and at most `max_tokens` retries saved up.
    /// A negative or NaN ratio counts as zero.
    pub fn new(ratio: f64, min_per_sec: u32, max_tokens: u32) -> RetryBudget {
        let deposit = if ratio > 0.0 {
            let d = ratio * TOKEN as f64;
            if d >= u64::MAX as f64 {
                u64::MAX
            } else {
                libm::round(d) as u64
            }
        } else {
            0
        };
        RetryBudget {
            deposit,
            // min_per_sec tokens per 10^9 ns = min_per_sec units per ns.
            per_ns: u64::from(min_per_sec),
            max: u64::from(max_tokens) * TOKEN,
            balance: 0,
            last: Nanos::ZERO,
            retries: 0,
            denied: 0,
        }
    }

    fn refill(&mut self, now: Nanos) {
        if now > self.last {
            let add = (now.0 - self.last.0).saturating_mul(self.per_ns);
            self.balance = self.balance.saturating_add(add).min(self.max);
            self.last = now;
        }
    }

    /// Records an original (non-retry) request at `now`.
    pub fn on_request_at(&mut self, now: Nanos) {
        self.refill(now);
        self.balance = self.balance.saturating_add(self.deposit).min(self.max);
    }

    /// Asks to send a retry at `now`; `true` withdraws one token.
    pub fn try_retry_at(&mut self, now: Nanos) -> bool {
        self.refill(now);
        if self.balance >= TOKEN {
            self.balance -= TOKEN;
            self.retries += 1;
            true
        } else {
            self.denied += 1;
            false
        }
    }

    /// [`RetryBudget::on_request_at`] at `clock.now()`.
    pub fn on_request(&mut self, clock: &impl Clock) {
        self.on_request_at(clock.now())
    }

    /// [`RetryBudget::try_retry_at`] at `clock.now()`.
    pub fn try_retry(&mut self, clock: &impl Clock) -> bool {
        self.try_retry_at(clock.now())
    }

    /// Whole retries currently available.
    pub fn available(&self) -> u64 {
        self.balance / TOKEN
    }

    /// Retries allowed so far.
    pub fn retries(&self) -> u64 {
        self.retries
    }

    /// Retries denied so far.
    pub fn denied(&self) -> u64 {
        self.denied
    }
}
