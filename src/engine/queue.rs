//! The future-event list: a binary min-heap keyed by `(time, sequence)`.

use crate::algo::Nanos;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// One scheduled event; ordered so that the heap pops the earliest first and
/// equal times in insertion order.
struct Entry<E> {
    /// `time << 64 | seq`: one integer comparison orders by time then by insertion.
    key: u128,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

/// Virtual time plus the events scheduled for the future.
///
/// Events at the same time come out first in, first out, so a run is a pure
/// function of what was scheduled.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    seq: u64,
    now: Nanos,
    popped: u64,
}

impl<E: Copy> EventQueue<E> {
    /// An empty queue at time zero.
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(1024),
            seq: 0,
            now: Nanos::ZERO,
            popped: 0,
        }
    }

    /// The current virtual time: the time of the last event popped.
    #[inline]
    pub fn now(&self) -> Nanos {
        self.now
    }

    /// Schedules `event` at absolute time `at` (never earlier than now).
    #[inline]
    pub fn schedule(&mut self, at: Nanos, event: E) {
        let at = at.max(self.now);
        let key = (u128::from(at.0) << 64) | u128::from(self.seq);
        self.seq += 1;
        self.heap.push(Entry { key, event });
    }

    /// Schedules `event` after `delay` from now.
    #[inline]
    pub fn schedule_in(&mut self, delay: Nanos, event: E) {
        self.schedule(self.now.saturating_add(delay), event);
    }

    /// Removes the earliest event if it is due no later than `until`, and
    /// advances the clock to it.
    #[inline]
    pub fn pop_until(&mut self, until: Nanos) -> Option<(Nanos, E)> {
        let top = self.heap.peek()?;
        let at = Nanos((top.key >> 64) as u64);
        if at > until {
            return None;
        }
        let entry = self.heap.pop()?;
        self.now = at;
        self.popped += 1;
        Some((at, entry.event))
    }

    /// Moves the clock to `t` without an event (used at the end of a run).
    pub fn advance_to(&mut self, t: Nanos) {
        self.now = self.now.max(t);
    }

    /// Number of events waiting.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when nothing is scheduled.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Number of events processed so far.
    pub fn events_processed(&self) -> u64 {
        self.popped
    }
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_order_and_fifo_on_ties() {
        let mut q = EventQueue::new();
        q.schedule(Nanos(5), 'a');
        q.schedule(Nanos(1), 'b');
        q.schedule(Nanos(5), 'c');
        q.schedule(Nanos(3), 'd');
        q.schedule(Nanos(5), 'e');
        let order: Vec<char> =
            std::iter::from_fn(|| q.pop_until(Nanos::MAX).map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['b', 'd', 'a', 'c', 'e']);
        assert_eq!(q.now(), Nanos(5));
    }

    #[test]
    fn stops_at_the_horizon() {
        let mut q = EventQueue::new();
        q.schedule(Nanos(10), 1);
        assert!(q.pop_until(Nanos(9)).is_none());
        assert_eq!(q.pop_until(Nanos(10)), Some((Nanos(10), 1)));
    }

    #[test]
    fn never_schedules_into_the_past() {
        let mut q = EventQueue::new();
        q.schedule(Nanos(10), 1);
        q.pop_until(Nanos::MAX);
        q.schedule(Nanos(3), 2);
        assert_eq!(q.pop_until(Nanos::MAX), Some((Nanos(10), 2)));
    }
}
