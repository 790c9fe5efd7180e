//! Range checks shared by the resolvers: each reports one problem in the
//! scenario's words and says whether the value passed.

use super::context::Problems;
use crate::algo::Nanos;
use std::ops::RangeInclusive;

/// Largest count of pods, slots or connections accepted for one component.
pub(crate) const MAX_SIZE: u32 = 1_000_000;

/// `x` as a person reads it: plain digits for everyday magnitudes, the
/// exponent form (`1e300`) for huge or tiny ones rather than 300 digits.
pub(crate) fn number(x: f64) -> String {
    let magnitude = x.abs();
    if x.is_finite() && (magnitude >= 1e15 || (magnitude < 1e-6 && x != 0.0)) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// Reports "`what` must be a number from `min` to `max`" unless `v` is
/// finite and within them (`max` = `f64::MAX`: no upper bound).
pub(crate) fn check_finite(
    p: &mut Problems,
    path: &str,
    v: f64,
    min: f64,
    max: f64,
    what: &str,
) -> bool {
    if !v.is_finite() || v < min || v > max {
        let range = if max == f64::MAX {
            format!("a finite number of at least {}", number(min))
        } else {
            format!("a number from {} to {}", number(min), number(max))
        };
        p.add(path, format!("{what} must be {range}, not {}", number(v)));
        false
    } else {
        true
    }
}

/// Reports "`what` must be from lo to hi, not v" at `path` (located by
/// `needle` when given) unless `v` is in `range`.
pub(crate) fn check_count(
    p: &mut Problems,
    path: impl Into<String>,
    needle: Option<&str>,
    what: &str,
    v: impl Into<u64>,
    range: RangeInclusive<u64>,
) -> bool {
    let v = v.into();
    if range.contains(&v) {
        return true;
    }
    p.add_near(
        path,
        format!(
            "{what} must be from {} to {}, not {v}",
            range.start(),
            range.end()
        ),
        needle,
    );
    false
}

/// The accepted sizes (pods, slots, connections): 1 to [`MAX_SIZE`].
pub(crate) fn sizes() -> RangeInclusive<u64> {
    1..=u64::from(MAX_SIZE)
}

/// Reports `message` at `path` (located by `needle`) if `d` is zero.
pub(crate) fn check_nonzero(
    p: &mut Problems,
    path: impl Into<String>,
    needle: Option<&str>,
    d: Nanos,
    message: &str,
) -> bool {
    if d == Nanos::ZERO {
        p.add_near(path, message, needle);
        false
    } else {
        true
    }
}
