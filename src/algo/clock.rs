//! Time as integer nanoseconds, and the [`Clock`] every algorithm reads it from.
//!
//! The algorithms in this module are pure functions of `now`: each exposes
//! `*_at(now, ..)` methods, and a thin wrapper supplies `clock.now()`. The
//! simulator drives them with a [`VirtualClock`] (or passes its event time
//! directly); a real service uses [`SystemClock`]. Both live in one binary.

use std::cell::Cell;
use std::fmt;
use std::ops::{Add, AddAssign, Sub};
use std::time::{Duration, Instant};

/// A point in time or a span of time, in integer nanoseconds.
///
/// The simulator's virtual time is a `Nanos` since the start of the run;
/// [`SystemClock`] measures `Nanos` since its creation.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Nanos(pub u64);

impl Nanos {
    /// Zero nanoseconds.
    pub const ZERO: Nanos = Nanos(0);
    /// The largest representable time, used as "never".
    pub const MAX: Nanos = Nanos(u64::MAX);

    /// `n` nanoseconds.
    pub const fn from_nanos(n: u64) -> Nanos {
        Nanos(n)
    }
    /// `n` microseconds.
    pub const fn from_micros(n: u64) -> Nanos {
        Nanos(n * 1_000)
    }
    /// `n` milliseconds.
    pub const fn from_millis(n: u64) -> Nanos {
        Nanos(n * 1_000_000)
    }
    /// `n` seconds.
    pub const fn from_secs(n: u64) -> Nanos {
        Nanos(n * 1_000_000_000)
    }
    /// Seconds as a float, rounded to the nearest nanosecond; negative or NaN gives zero.
    pub fn from_secs_f64(s: f64) -> Nanos {
        if s.is_nan() || s <= 0.0 {
            Nanos(0)
        } else if s >= u64::MAX as f64 / 1e9 {
            Nanos::MAX
        } else {
            Nanos((s * 1e9).round() as u64)
        }
    }
    /// The raw nanosecond count.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// This span in seconds, as a float (for statistics and printing only).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }
    /// This span in milliseconds, as a float (for statistics and printing only).
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }
    /// `self - other`, or zero if `other` is later.
    pub const fn saturating_sub(self, other: Nanos) -> Nanos {
        Nanos(self.0.saturating_sub(other.0))
    }
    /// `self + other`, capped at [`Nanos::MAX`].
    pub const fn saturating_add(self, other: Nanos) -> Nanos {
        Nanos(self.0.saturating_add(other.0))
    }
}

impl Add for Nanos {
    type Output = Nanos;
    fn add(self, rhs: Nanos) -> Nanos {
        Nanos(self.0 + rhs.0)
    }
}

impl AddAssign for Nanos {
    fn add_assign(&mut self, rhs: Nanos) {
        self.0 += rhs.0;
    }
}

impl Sub for Nanos {
    type Output = Nanos;
    fn sub(self, rhs: Nanos) -> Nanos {
        Nanos(self.0 - rhs.0)
    }
}

impl From<Duration> for Nanos {
    fn from(d: Duration) -> Nanos {
        Nanos(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
    }
}

impl From<Nanos> for Duration {
    fn from(n: Nanos) -> Duration {
        Duration::from_nanos(n.0)
    }
}

impl fmt::Display for Nanos {
    /// Prints the span with the largest unit that keeps it readable: `250ms`, `1.5s`, `12us`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        let (value, unit) = if n >= 3_600_000_000_000 && n.is_multiple_of(3_600_000_000_000) {
            (n as f64 / 3.6e12, "h")
        } else if n >= 60_000_000_000 && n.is_multiple_of(60_000_000_000) {
            (n as f64 / 6e10, "m")
        } else if n >= 1_000_000_000 {
            (n as f64 / 1e9, "s")
        } else if n >= 1_000_000 {
            (n as f64 / 1e6, "ms")
        } else if n >= 1_000 {
            (n as f64 / 1e3, "us")
        } else {
            (n as f64, "ns")
        };
        let text = format!("{value:.3}");
        let text = text.trim_end_matches('0').trim_end_matches('.');
        write!(f, "{text}{unit}")
    }
}

/// A source of the current time.
pub trait Clock {
    /// The current time.
    fn now(&self) -> Nanos;
}

/// Wall-clock time for a real service: nanoseconds since this clock was created,
/// read from the monotonic [`Instant`].
#[derive(Clone, Debug)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    /// A clock whose zero is now.
    pub fn new() -> SystemClock {
        SystemClock {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Nanos {
        Nanos::from(self.origin.elapsed())
    }
}

/// Virtual time: it moves only when told to. The simulator's engine sets it to
/// each event's time; tests use it as a fake clock.
#[derive(Clone, Debug, Default)]
pub struct VirtualClock {
    now: Cell<Nanos>,
}

impl VirtualClock {
    /// A virtual clock at `start`.
    pub fn new(start: Nanos) -> VirtualClock {
        VirtualClock {
            now: Cell::new(start),
        }
    }
    /// Moves the clock to `t` (time never runs backwards: an earlier `t` is ignored).
    pub fn set(&self, t: Nanos) {
        if t > self.now.get() {
            self.now.set(t);
        }
    }
    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Nanos) {
        self.now.set(self.now.get().saturating_add(d));
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Nanos {
        self.now.get()
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> Nanos {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for std::rc::Rc<C> {
    fn now(&self) -> Nanos {
        (**self).now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_clock_moves_only_forward() {
        let c = VirtualClock::new(Nanos::from_secs(5));
        c.set(Nanos::from_secs(3));
        assert_eq!(c.now(), Nanos::from_secs(5));
        c.advance(Nanos::from_millis(250));
        assert_eq!(c.now(), Nanos(5_250_000_000));
    }

    #[test]
    fn display_picks_a_readable_unit() {
        assert_eq!(Nanos::from_millis(250).to_string(), "250ms");
        assert_eq!(Nanos::from_secs(300).to_string(), "5m");
        assert_eq!(Nanos(1_500_000_000).to_string(), "1.5s");
        assert_eq!(Nanos::from_secs(7200).to_string(), "2h");
    }

    #[test]
    fn system_clock_is_monotonic() {
        let c = SystemClock::new();
        let a = c.now();
        let b = c.now();
        assert!(b >= a);
    }
}
