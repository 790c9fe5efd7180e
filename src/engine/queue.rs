//! The future-event list: a sorted array while few events are pending, a
//! stable radix heap keyed by time beyond that.
//!
//! With at most `SMALL_MAX` (32) events pending, as in a single station
//! (M/M/c has c + 1), they sit in one array sorted latest first: a pop takes
//! the last entry; a schedule counts the events due later than it, which
//! come first, and goes in behind them, shifting the earlier ones along.
//! Past 32 the events move to the radix heap, and back to the array once 8
//! or fewer remain, so a queue near one bound does not move to and fro.
//! Each move keeps pop order, equal times included.
//!
//! Keys are monotone: an event is never scheduled before the last one
//! popped (`last`). An event whose time first differs from `last` at bit `k`
//! waits in bucket `k`; every event of a lower bucket is earlier than every
//! event of a higher one, and each bucket keeps its earliest time. A pop
//! takes the lowest non-empty bucket (one `trailing_zeros` of the occupancy
//! mask), makes its earliest time the new `last` and moves its other events
//! down to the buckets their time now falls in; higher buckets are
//! untouched, since `last` changed only below their bit. An event moves a
//! few times in all (at most 64); a bucket of one is popped without moving
//! anything.
//!
//! Ties stay first in, first out without a sequence number: every bucket is
//! in scheduling order (a schedule appends the newest event; a
//! redistribution is a stable partition of the lowest bucket into empty
//! lower ones), so the events at the new `last` come out in the order they
//! were scheduled, and later ones are appended to `due` behind them.
//!
//! The next event of one stream scheduled in time order (the run's next
//! arrival) may wait outside both, in `held` ([`EventQueue::schedule_next`]):
//! a pop compares it with the earliest event inside, so an arrival costs no
//! insert and no removal. Order is kept without a sequence number: an event
//! scheduled at the held event's very time (after it, so behind it) first
//! moves the held event inside, so a held event that meets an inside event
//! at its time was scheduled after that event and pops behind it.
//!
//! Why not a heap: a 4-ary heap pop walks `log4 n` levels, each a
//! data-dependent, mispredicted choice among four children that at 10,000
//! pending events are rarely in L1. The radix heap reads and appends
//! buckets sequentially. Cachegrind, same runs (hold model: 1,000,000 steps
//! including its random numbers, `Mispred` from `--branch-sim=yes`; stage3
//! at 1M users for 3 s):
//!
//! ```text
//!                         4-ary heap      SoA 4-ary heap     radix heap
//! M/M/8 (20 s) Ir total     275.7M            286.6M            253.0M
//!   Mispred (cond)          0.95M             0.45M             0.53M
//! hold, 10 pending Ir       240.2M            261.9M            175.6M
//!   Mispred                 1.69M             1.09M             1.73M
//! hold, 1,000 Ir            499.9M            453.9M            292.6M
//!   Mispred                 4.30M             1.27M             1.77M
//! hold, 10,000 Ir           635.1M            553.8M            352.2M
//!   Mispred                 5.35M             1.14M             1.78M
//!   D1 misses               7.11M             5.54M             1.61M
//! stage3 Ir total          1382.1M           1375.3M           1053.3M
//!   D1 misses              11.86M            11.12M             9.65M
//! ```
//!
//! The sorted array in front, same runs: M/M/8 (20 s) 227.0M → 222.5M Ir
//! and 9.8 → 11.5 M events/s (the radix heap moved each pending event about
//! four times per pop, each move a branch that often mispredicts); hold with
//! 10 pending 175.6M → 124.4M; stage3 at 1M users +0.1% (the mode test).
//! Counting the later events instead of stopping at the first earlier one
//! runs 0.9% more instructions but has no branch to mispredict: median
//! 10.7 → 11.6 M events/s over 15 alternating runs of M/M/8.
//!
//! The structure-of-arrays heap kept `u128` keys apart from the events and
//! chose the least of four children without branches: fewer mispredictions
//! than either, but more instructions and more misses than the radix heap.
//! At 1,000 pending the radix heap misses D1 more than the 32 KB 4-ary heap
//! (0.50M against 0.17M: its buckets spread over more lines) yet runs 40%
//! fewer instructions.

use crate::algo::Nanos;
use std::collections::VecDeque;

/// One scheduled event in a bucket.
#[derive(Clone, Copy)]
struct Entry<E> {
    time: u64,
    event: E,
}

/// Pending events up to which the queue keeps them in one sorted array.
const SMALL_MAX: usize = 32;
/// Pending events at or below which the radix heap hands them back to the array.
const SMALL_BACK: usize = 8;

/// Virtual time plus the events scheduled for the future.
///
/// Events at the same time come out first in, first out, so a run is a pure
/// function of what was scheduled.
pub struct EventQueue<E> {
    /// While `small_mode`: every pending event, latest first (the next to
    /// pop is the last), equal times in reverse scheduling order.
    small: Vec<Entry<E>>,
    /// Whether the events are in `small` (else in the radix heap below).
    small_mode: bool,
    /// Events due at `last`, in scheduling order.
    due: VecDeque<E>,
    /// `buckets[k]` holds, in scheduling order, the events whose time first
    /// differs from `last` at bit `k` (counting from the least significant).
    buckets: [Vec<Entry<E>>; 64],
    /// The earliest time in `buckets[k]` (`u64::MAX` when it is empty).
    mins: [u64; 64],
    /// Bit `k` is set when `buckets[k]` is not empty.
    occupied: u64,
    /// The time of the last event the radix heap gave out: none of its
    /// events is earlier.
    last: u64,
    /// The next event of the in-order stream, kept outside (see the
    /// module's documentation); its time is `u64::MAX` when there is none.
    held: Entry<Option<E>>,
    /// Events in the array or the radix heap (not counting `held`).
    len: usize,
    now: Nanos,
    popped: u64,
}

impl<E: Copy> EventQueue<E> {
    /// An empty queue at time zero.
    pub fn new() -> Self {
        EventQueue {
            small: Vec::with_capacity(SMALL_MAX),
            small_mode: true,
            due: VecDeque::with_capacity(64),
            buckets: std::array::from_fn(|_| Vec::new()),
            mins: [u64::MAX; 64],
            occupied: 0,
            last: 0,
            held: Entry {
                time: u64::MAX,
                event: None,
            },
            len: 0,
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
    #[inline(always)]
    pub fn schedule(&mut self, at: Nanos, event: E) {
        let time = at.max(self.now).0;
        if time == self.held.time {
            self.release_held();
        }
        self.insert(time, event);
    }

    /// Schedules `event` at `at` as the next event of the one stream whose
    /// events are scheduled in time order, one at a time (the run's next
    /// arrival, scheduled once the one before has popped): it waits outside
    /// the queue's structure. Pop order is that of [`EventQueue::schedule`].
    #[inline(always)]
    pub fn schedule_next(&mut self, at: Nanos, event: E) {
        debug_assert!(self.held.event.is_none(), "one held event at a time");
        self.held = Entry {
            time: at.max(self.now).0,
            event: Some(event),
        };
    }

    /// An event is scheduled at the held event's time, after it: the held
    /// event goes inside first, so it pops first.
    #[cold]
    #[inline(never)]
    fn release_held(&mut self) {
        let held = std::mem::replace(
            &mut self.held,
            Entry {
                time: u64::MAX,
                event: None,
            },
        );
        if let Some(event) = held.event {
            self.insert(held.time, event);
        }
    }

    /// Puts `event` at `time` (not before now) into the array or the radix heap.
    #[inline(always)]
    fn insert(&mut self, time: u64, event: E) {
        self.len += 1;
        if self.small_mode {
            if self.small.len() < SMALL_MAX {
                // Behind every event due no later (scheduled before it),
                // ahead of every later one. Counting the later ones, rather
                // than stopping at the first earlier one, has no branch to
                // mispredict.
                let i = self.small.iter().filter(|e| e.time > time).count();
                self.small.insert(i, Entry { time, event });
                return;
            }
            self.move_to_radix();
        }
        self.radix_schedule(time, event);
    }

    /// Puts an event at `time >= last` into the radix heap.
    #[inline(always)]
    fn radix_schedule(&mut self, time: u64, event: E) {
        let diff = time ^ self.last;
        if diff == 0 {
            self.due.push_back(event);
        } else {
            let k = bucket_of(diff);
            self.buckets[k].push(Entry { time, event });
            self.mins[k] = self.mins[k].min(time);
            self.occupied |= 1 << k;
        }
    }

    /// Moves the sorted array's events into the (empty) radix heap, in
    /// the order they will pop, so equal times keep their order.
    #[cold]
    #[inline(never)]
    fn move_to_radix(&mut self) {
        self.small_mode = false;
        // No later than any event, the held one included (`advance_to`
        // may have passed some).
        self.last = self
            .small
            .last()
            .map_or(self.now.0, |e| e.time.min(self.now.0))
            .min(self.held.time);
        let mut small = std::mem::take(&mut self.small);
        for e in small.iter().rev() {
            self.radix_schedule(e.time, e.event);
        }
        small.clear();
        self.small = small;
    }

    /// Moves the radix heap's few events back into the sorted array.
    #[cold]
    #[inline(never)]
    fn move_to_array(&mut self) {
        let mut small = std::mem::take(&mut self.small);
        while let Some(event) = self.radix_take(u64::MAX) {
            small.push(Entry {
                time: self.last,
                event,
            });
        }
        small.reverse();
        self.small = small;
        self.small_mode = true;
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
        // The held event goes first only when strictly earlier: at a tie
        // the event inside was scheduled before it (see `release_held`).
        // (With nothing inside and nothing held, `take` gives `None`.)
        if self.held.time <= until.0 && (self.held.time < self.earliest() || self.len == 0) {
            let time = std::mem::replace(&mut self.held.time, u64::MAX);
            let event = self.held.event.take()?;
            self.popped += 1;
            self.now = Nanos(time);
            return Some((self.now, event));
        }
        let (time, event) = if self.small_mode {
            let e = *self.small.last()?;
            if e.time > until.0 {
                return None;
            }
            self.small.pop();
            (e.time, e.event)
        } else {
            let event = self.radix_take(until.0)?;
            let time = self.last;
            if self.len <= SMALL_BACK + 1 {
                self.move_to_array();
            }
            (time, event)
        };
        self.len -= 1;
        self.popped += 1;
        self.now = Nanos(time);
        Some((self.now, event))
    }

    /// The time of the earliest event in the array or the radix heap
    /// (`u64::MAX` when both are empty).
    #[inline(always)]
    fn earliest(&self) -> u64 {
        if self.small_mode {
            self.small.last().map_or(u64::MAX, |e| e.time)
        } else if !self.due.is_empty() {
            self.last
        } else if self.occupied == 0 {
            u64::MAX
        } else {
            self.mins[self.occupied.trailing_zeros() as usize]
        }
    }

    /// The radix heap's earliest event if it is due no later than `until`;
    /// `last` becomes its time.
    #[inline]
    fn radix_take(&mut self, until: u64) -> Option<E> {
        if self.due.is_empty() {
            self.take_earliest(until)
        } else if self.last <= until {
            self.due.pop_front()
        } else {
            None
        }
    }

    /// With `due` empty: finds the earliest time `m` (in the lowest occupied
    /// bucket) and, if `m <= until`, makes it `last`, moves that bucket's
    /// other events into `due` (time `m`) or into lower buckets, and returns
    /// the first event at `m`.
    #[inline]
    fn take_earliest(&mut self, until: u64) -> Option<E> {
        if self.occupied == 0 {
            return None;
        }
        let b = self.occupied.trailing_zeros() as usize;
        let m = self.mins[b];
        if m > until {
            return None;
        }
        self.last = m;
        self.mins[b] = u64::MAX;
        let bucket = &mut self.buckets[b];
        if bucket.len() == 1 {
            let e = bucket[0];
            bucket.clear();
            self.occupied &= !(1 << b);
            return Some(e.event);
        }
        Some(self.redistribute(b, m))
    }

    /// `take_earliest` for a bucket `b` of two or more events, the earliest
    /// at `m`.
    #[inline(never)]
    fn redistribute(&mut self, b: usize, m: u64) -> E {
        let mut from = std::mem::take(&mut self.buckets[b]);
        // A local copy: the compiler need not reload it after every push.
        let mut occupied = self.occupied & !(1 << b);
        let mut first = None;
        for e in &from {
            let diff = e.time ^ m;
            if diff != 0 {
                let k = bucket_of(diff);
                self.buckets[k].push(*e);
                self.mins[k] = self.mins[k].min(e.time);
                occupied |= 1 << k;
            } else if first.is_none() {
                first = Some(e.event);
            } else {
                self.due.push_back(e.event);
            }
        }
        from.clear();
        self.buckets[b] = from;
        self.occupied = occupied;
        first.expect("the bucket's earliest event")
    }

    /// Moves the clock to `t` without an event (used at the end of a run).
    pub fn advance_to(&mut self, t: Nanos) {
        self.now = self.now.max(t);
    }

    /// Number of events waiting.
    pub fn len(&self) -> usize {
        self.len + usize::from(self.held.event.is_some())
    }

    /// True when nothing is scheduled.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of events processed so far.
    pub fn events_processed(&self) -> u64 {
        self.popped
    }
}

/// The bucket of a time that differs from `last` by `diff != 0`: the index
/// of the highest differing bit.
#[inline]
fn bucket_of(diff: u64) -> usize {
    63 - diff.leading_zeros() as usize
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

    #[test]
    fn keeps_order_moving_between_array_and_radix_heap() {
        // Fills the array, advances the clock past its events (the radix
        // heap's base must not pass them), overflows into the radix heap,
        // then drains below its bound: twenty times, with ties.
        let mut ops = Vec::new();
        for round in 0..20u64 {
            for i in 0..SMALL_MAX as u64 {
                ops.push(Op::After(i % 3 * round));
            }
            ops.push(Op::Advance(4));
            for i in 0..10 {
                ops.push(Op::After(i % 2));
            }
            for _ in 0..SMALL_MAX + 10 {
                ops.push(Op::Pop(u64::MAX));
            }
        }
        check_against_reference(&ops).unwrap();
    }

    /// One step of a random workload.
    #[derive(Clone, Debug)]
    enum Op {
        /// Schedule at `now + delay` (saturating).
        After(u64),
        /// Schedule at an absolute time (clamped to now when earlier).
        At(u64),
        /// Schedule the in-order stream's next event at `now + delay`
        /// (`schedule_next`) if none is pending, else as `After`.
        Next(u64),
        /// `pop_until` with this horizon, relative to now (saturating).
        Pop(u64),
        /// `advance_to(now + by)`.
        Advance(u64),
    }

    /// Delays with many ties (0..4), small and large spreads, and times near
    /// `Nanos::MAX`.
    fn delay() -> impl proptest::strategy::Strategy<Value = u64> {
        use proptest::prelude::*;
        prop_oneof![
            4 => 0u64..4,
            4 => 0u64..1_000,
            2 => 0u64..1 << 40,
            1 => Just(u64::MAX),
            1 => (u64::MAX - 1_000)..=u64::MAX,
            1 => any::<u64>(),
        ]
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            6 => delay().prop_map(Op::After),
            1 => delay().prop_map(Op::At),
            3 => delay().prop_map(Op::Next),
            5 => prop_oneof![3 => Just(u64::MAX), 1 => delay()].prop_map(Op::Pop),
            1 => (0u64..100).prop_map(Op::Advance),
        ]
    }

    /// Runs `ops` on the queue and on a sorted reference keyed by
    /// (time, insertion number), then drains both; any difference fails.
    fn check_against_reference(ops: &[Op]) -> Result<(), proptest::test_runner::TestCaseError> {
        use proptest::{prop_assert, prop_assert_eq};
        let mut q = EventQueue::new();
        let mut reference = std::collections::BTreeMap::new();
        let mut now = 0u64;
        let mut seq = 0u64;
        // The stream's event waiting in the queue, if any.
        let mut held = None;
        for op in ops {
            match *op {
                Op::After(d) | Op::At(d) | Op::Next(d) => {
                    let at = match op {
                        Op::At(_) => d,
                        _ => now.saturating_add(d),
                    };
                    if matches!(op, Op::Next(_)) && held.is_none() {
                        q.schedule_next(Nanos(at), seq);
                        held = Some(seq);
                    } else {
                        q.schedule(Nanos(at), seq);
                    }
                    reference.insert((at.max(now), seq), seq);
                    seq += 1;
                }
                Op::Pop(h) => {
                    let until = now.saturating_add(h);
                    let want = match reference.first_key_value() {
                        Some((&(t, _), _)) if t <= until => {
                            let ((t, _), e) = reference.pop_first().unwrap();
                            if held == Some(e) {
                                held = None;
                            }
                            now = t;
                            Some((Nanos(t), e))
                        }
                        _ => None,
                    };
                    prop_assert_eq!(q.pop_until(Nanos(until)), want);
                }
                Op::Advance(by) => {
                    now = now.saturating_add(by);
                    q.advance_to(Nanos(now));
                }
            }
            prop_assert_eq!(q.now(), Nanos(now));
            prop_assert_eq!(q.len(), reference.len());
            prop_assert_eq!(q.is_empty(), reference.is_empty());
        }
        while let Some((t, e)) = q.pop_until(Nanos::MAX) {
            let ((rt, _), re) = reference.pop_first().unwrap();
            prop_assert_eq!((t, e), (Nanos(rt), re));
        }
        prop_assert!(reference.is_empty());
        prop_assert_eq!(q.events_processed(), seq);
        Ok(())
    }

    #[test]
    fn long_hold_run_matches_a_sorted_reference() {
        // 200,000 steps of a hold model with 5,000 pending events, a tenth of
        // them far in the future, and ties from coarse times.
        use rand::Rng as _;
        let mut rng = crate::engine::stream(7, "queue-test");
        let mut ops = Vec::new();
        for _ in 0..5_000 {
            ops.push(Op::After(rng.next_u64() % 1_000_000 / 100 * 100));
        }
        for i in 0..200_000u64 {
            ops.push(Op::Pop(u64::MAX));
            let d = match i % 10 {
                0 => rng.next_u64() % (1 << 40),
                1 => 0,
                _ => rng.next_u64() % 1_000_000 / 100 * 100,
            };
            ops.push(Op::After(d));
        }
        check_against_reference(&ops).unwrap();
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(512))]

        /// Any interleaving of schedules (the in-order stream's held events
        /// among them), pops with horizons and clock advances gives the
        /// order of a sorted reference: by time, then by insertion.
        #[test]
        fn random_workloads_match_a_sorted_reference(ops in proptest::collection::vec(op(), 1..3_000)) {
            check_against_reference(&ops)?;
        }

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
