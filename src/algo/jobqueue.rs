//! Job-queue rules as BullMQ-style workers apply them: the waiting line
//! ([`PriorityFifo`]: higher priority first, first in first out within a
//! priority) and daily schedules ([`DailyTimes`]: jobs at fixed times of day,
//! like a cron `M H * * *` line).
//!
//! ```text
//!  push(p=0,a) push(p=5,b) push(p=0,c) push(p=5,d)
//!  lanes: 5: [b, d]   0: [a, c]      pop order: b, d, a, c
//! ```
//!
//! [`DailyTimes::next_at_or_after`] is a pure function of `now`, with time
//! counted from a midnight (time 0 is 00:00).

use std::collections::{BTreeMap, VecDeque};

use super::clock::Nanos;

/// A waiting line: the highest priority first, FIFO within a priority.
///
/// ```
/// use scaletwin::algo::jobqueue::PriorityFifo;
///
/// let mut line = PriorityFifo::new();
/// line.push(0, 'a');
/// line.push(5, 'b');
/// line.push(0, 'c');
/// line.push(5, 'd');
/// let order: Vec<char> = std::iter::from_fn(|| line.pop()).collect();
/// assert_eq!(order, ['b', 'd', 'a', 'c']);
/// ```
#[derive(Clone, Debug)]
pub struct PriorityFifo<T> {
    lanes: BTreeMap<u32, VecDeque<T>>,
    len: usize,
}

impl<T> Default for PriorityFifo<T> {
    fn default() -> Self {
        PriorityFifo {
            lanes: BTreeMap::new(),
            len: 0,
        }
    }
}

impl<T> PriorityFifo<T> {
    /// An empty line.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `item` behind the others of its `priority`.
    pub fn push(&mut self, priority: u32, item: T) {
        self.lanes.entry(priority).or_default().push_back(item);
        self.len += 1;
    }

    /// Removes the oldest item of the highest priority.
    pub fn pop(&mut self) -> Option<T> {
        let mut lane = self.lanes.last_entry()?;
        let item = lane.get_mut().pop_front();
        if lane.get().is_empty() {
            lane.remove();
        }
        self.len -= 1;
        item
    }

    /// Items waiting.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if nothing waits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// One day in nanoseconds.
pub const DAY: Nanos = Nanos(86_400_000_000_000);

/// Times of day at which something happens every day, ascending.
///
/// ```
/// use scaletwin::algo::clock::Nanos;
/// use scaletwin::algo::jobqueue::{DailyTimes, DAY};
///
/// let t = DailyTimes::parse(&["03:00", "15:30"]).unwrap();
/// let h = |x: u64| Nanos::from_secs(x * 3600);
/// assert_eq!(t.next_at_or_after(Nanos::ZERO), h(3));
/// assert_eq!(t.next_at_or_after(h(3)), h(3));
/// assert_eq!(t.next_at_or_after(h(4)), h(15) + Nanos::from_secs(1800));
/// assert_eq!(t.next_at_or_after(h(16)), DAY + h(3));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DailyTimes {
    offsets: Vec<Nanos>,
}

impl DailyTimes {
    /// Parses `"HH:MM"` or `"HH:MM:SS"` times (00:00:00 to 23:59:59);
    /// duplicates are merged. Errors name the bad entry and the valid form.
    pub fn parse<S: AsRef<str>>(times: &[S]) -> Result<DailyTimes, TimeOfDayError> {
        if times.is_empty() {
            return Err(TimeOfDayError::None);
        }
        let mut offsets = Vec::new();
        for t in times {
            offsets.push(time_of_day(t.as_ref())?);
        }
        offsets.sort_unstable();
        offsets.dedup();
        Ok(DailyTimes { offsets })
    }

    /// The times, as offsets from midnight, ascending.
    pub fn offsets(&self) -> &[Nanos] {
        &self.offsets
    }

    /// The first of these times at or after `now` (time 0 being a midnight).
    pub fn next_at_or_after(&self, now: Nanos) -> Nanos {
        let day = now.0 / DAY.0;
        let midnight = Nanos(day * DAY.0);
        self.offsets
            .iter()
            .map(|&o| midnight + o)
            .find(|&t| t >= now)
            .unwrap_or(midnight + DAY + self.offsets[0])
    }
}

/// `"HH:MM"` or `"HH:MM:SS"` as an offset from midnight.
fn time_of_day(t: &str) -> Result<Nanos, TimeOfDayError> {
    let bad = || TimeOfDayError::Bad(t.to_owned());
    let parts: Vec<&str> = t.split(':').collect();
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.len() != 2) {
        return Err(bad());
    }
    let mut v = [0u64; 3];
    for (slot, p) in v.iter_mut().zip(&parts) {
        *slot = p.parse().map_err(|_| bad())?;
    }
    let [h, m, s] = v;
    if h > 23 || m > 59 || s > 59 {
        return Err(bad());
    }
    Ok(Nanos::from_secs(h * 3600 + m * 60 + s))
}

/// Why a list of times of day does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeOfDayError {
    /// The list is empty.
    #[error("give at least one time of day, e.g. [\"03:00\"]")]
    None,
    /// An entry is not `HH:MM` or `HH:MM:SS` within a day.
    #[error("`{0}` is not a time of day: expected HH:MM or HH:MM:SS from 00:00 to 23:59:59, e.g. \"03:00\"")]
    Bad(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day_parse_and_reject() {
        let t = DailyTimes::parse(&["23:59:59", "00:00", "00:00"]).unwrap();
        assert_eq!(t.offsets(), &[Nanos::ZERO, Nanos::from_secs(86_399)]);
        for bad in [
            "24:00",
            "3:00",
            "03:60",
            "03:00:60",
            "03",
            "ab:cd",
            "03:00:00:00",
        ] {
            assert!(DailyTimes::parse(&[bad]).is_err(), "{bad}");
        }
        assert!(DailyTimes::parse::<&str>(&[]).is_err());
    }

    #[test]
    fn the_next_time_rolls_over_to_the_next_day() {
        let t = DailyTimes::parse(&["00:00"]).unwrap();
        assert_eq!(t.next_at_or_after(Nanos::ZERO), Nanos::ZERO);
        assert_eq!(t.next_at_or_after(Nanos(1)), DAY);
        assert_eq!(t.next_at_or_after(DAY + Nanos(1)), DAY + DAY);
    }

    #[test]
    fn a_priority_line_is_fifo_within_a_priority() {
        let mut line = PriorityFifo::new();
        for (p, x) in [(1, 10), (3, 30), (1, 11), (2, 20), (3, 31)] {
            line.push(p, x);
        }
        assert_eq!(line.len(), 5);
        let order: Vec<i32> = std::iter::from_fn(|| line.pop()).collect();
        assert_eq!(order, [30, 31, 20, 10, 11]);
        assert!(line.is_empty());
    }
}
