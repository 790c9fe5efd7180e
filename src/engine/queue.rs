//! The future-event list: a 4-ary min-heap keyed by `(time, sequence)`.
//!
//! A 4-ary heap is half as deep as a binary one and its four children share
//! a cache line or two, so a pop (the hot operation: every event is popped
//! once) touches fewer lines. Keys are unique, so the order is total.

use crate::algo::Nanos;

/// Children per heap node.
const ARITY: usize = 4;

/// One scheduled event.
#[derive(Clone, Copy)]
struct Entry<E> {
    /// `time << 64 | seq`: one integer comparison orders by time then by insertion.
    key: u128,
    event: E,
}

/// Virtual time plus the events scheduled for the future.
///
/// Events at the same time come out first in, first out, so a run is a pure
/// function of what was scheduled.
pub struct EventQueue<E> {
    /// `heap[i]`'s children are `heap[ARITY * i + 1 ..= ARITY * i + ARITY]`.
    heap: Vec<Entry<E>>,
    seq: u64,
    now: Nanos,
    popped: u64,
}

impl<E: Copy> EventQueue<E> {
    /// An empty queue at time zero.
    pub fn new() -> Self {
        EventQueue {
            heap: Vec::with_capacity(1024),
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
        self.push(Entry { key, event });
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
        let top = self.heap.first()?;
        let at = Nanos((top.key >> 64) as u64);
        if at > until {
            return None;
        }
        let entry = self.pop();
        self.now = at;
        self.popped += 1;
        Some((at, entry.event))
    }

    /// Adds `e`, moving the hole from the new leaf up to where `e` belongs.
    #[inline]
    fn push(&mut self, e: Entry<E>) {
        let mut i = self.heap.len();
        self.heap.push(e);
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if self.heap[parent].key <= e.key {
                break;
            }
            self.heap[i] = self.heap[parent];
            i = parent;
        }
        self.heap[i] = e;
    }

    /// Removes the root (the heap is not empty): the last leaf fills the
    /// hole the root leaves, sinking past the smallest child at each level.
    #[inline]
    fn pop(&mut self) -> Entry<E> {
        let top = self.heap[0];
        let last = self.heap.pop().expect("pop on a non-empty heap");
        let n = self.heap.len();
        if n == 0 {
            return top;
        }
        let mut i = 0;
        loop {
            let first = ARITY * i + 1;
            if first >= n {
                break;
            }
            let mut child = first;
            let mut key = self.heap[first].key;
            for c in first + 1..(first + ARITY).min(n) {
                if self.heap[c].key < key {
                    child = c;
                    key = self.heap[c].key;
                }
            }
            if last.key <= key {
                break;
            }
            self.heap[i] = self.heap[child];
            i = child;
        }
        self.heap[i] = last;
        top
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

    proptest::proptest! {
        /// Any interleaving of schedules and pops gives the order of a sorted
        /// reference: by time, then by insertion.
        #[test]
        fn matches_a_sorted_reference(ops in proptest::collection::vec((0u64..50, proptest::bool::ANY), 1..400)) {
            let mut q = EventQueue::new();
            let mut reference = std::collections::BTreeMap::new();
            let mut seq = 0u64;
            for (delay, pop) in ops {
                if pop {
                    let want = reference.pop_first().map(|((t, _), e)| (Nanos(t), e));
                    proptest::prop_assert_eq!(q.pop_until(Nanos::MAX), want);
                } else {
                    let at = q.now().0 + delay;
                    q.schedule(Nanos(at), seq);
                    reference.insert((at, seq), seq);
                    seq += 1;
                }
            }
            while let Some((t, e)) = q.pop_until(Nanos::MAX) {
                let ((rt, _), re) = reference.pop_first().unwrap();
                proptest::prop_assert_eq!((t, e), (Nanos(rt), re));
            }
            proptest::prop_assert!(reference.is_empty());
        }
    }
}
