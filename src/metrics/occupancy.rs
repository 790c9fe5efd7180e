//! Time-weighted statistics of a station: servers busy, requests queued,
//! waits and time in station.

use super::histogram::{round6, LatencyHistogram};
use crate::algo::Nanos;
use serde::{Deserialize, Serialize};

/// Running statistics of one station (a deployment's pods, a database).
///
/// Areas under the busy / queued / capacity curves are kept as exact
/// integers (count × nanoseconds), so utilization and mean queue length are
/// exact time averages and independent of event order within a time.
///
/// They are kept without a multiplication per change: the area under a
/// count `n` from time 0 to `t` is `n·t − Σ (times it went up) + Σ (times
/// it went down)`, so a change adds or subtracts its time from one sum
/// (`Marks`) and a reading multiplies once (wrapping `u128` arithmetic,
/// exact since every area fits).
#[derive(Clone, Debug)]
pub struct Occupancy {
    since: Nanos,
    /// The latest time seen: a change stamped earlier counts from here.
    last: Nanos,
    busy: u64,
    queued: u64,
    capacity: u64,
    /// Σ of the times busy, queued and capacity went up less those they went
    /// down, each weighted by the step (see above).
    marks: Marks,
    /// The busy, queue and capacity areas from time zero at the last reset.
    reset_areas: [u128; 3],
    /// The same areas when the interval began.
    interval_marks: [u128; 3],
    interval_start: Nanos,
    arrivals: u64,
    rejected: u64,
    served: u64,
    wait_sum: u128,
    sojourn_sum: u128,
    /// Waits of zero are only counted here and added to `waits` when summarised.
    zero_waits: u64,
    waits: LatencyHistogram,
}

impl Occupancy {
    /// A station with `capacity` servers, idle at time zero.
    pub fn new(capacity: u64) -> Self {
        Occupancy {
            since: Nanos::ZERO,
            last: Nanos::ZERO,
            busy: 0,
            queued: 0,
            capacity,
            marks: Marks::default(),
            reset_areas: [0; 3],
            interval_marks: [0; 3],
            interval_start: Nanos::ZERO,
            arrivals: 0,
            rejected: 0,
            served: 0,
            wait_sum: 0,
            sojourn_sum: 0,
            zero_waits: 0,
            waits: LatencyHistogram::new(3),
        }
    }

    /// `now`, or the latest time seen if that is later (a change is never
    /// counted before one already made).
    #[inline]
    fn stamp(&mut self, now: Nanos) -> u128 {
        let now = now.max(self.last);
        self.last = now;
        u128::from(now.0)
    }

    /// The busy, queue and capacity areas from time zero to `now`.
    fn areas(&mut self, now: Nanos) -> [u128; 3] {
        let t = self.stamp(now);
        let Marks {
            busy,
            queued,
            capacity,
        } = self.marks;
        [
            u128::from(self.busy).wrapping_mul(t).wrapping_sub(busy),
            u128::from(self.queued).wrapping_mul(t).wrapping_sub(queued),
            u128::from(self.capacity)
                .wrapping_mul(t)
                .wrapping_sub(capacity),
        ]
    }

    /// A request arrives and starts service at once.
    #[inline]
    pub fn arrive_and_start(&mut self, now: Nanos) {
        let t = self.stamp(now);
        self.marks.busy = self.marks.busy.wrapping_add(t);
        self.arrivals += 1;
        self.busy += 1;
        self.zero_waits += 1;
    }

    /// A request arrives and joins the queue.
    #[inline]
    pub fn arrive_and_queue(&mut self, now: Nanos) {
        let t = self.stamp(now);
        self.marks.queued = self.marks.queued.wrapping_add(t);
        self.arrivals += 1;
        self.queued += 1;
    }

    /// A queued request leaves without service (its pod died).
    pub fn abandon(&mut self, now: Nanos) {
        let t = self.stamp(now);
        self.marks.queued = self.marks.queued.wrapping_sub(t);
        self.queued -= 1;
    }

    /// A request is turned away (queue full).
    #[inline]
    pub fn reject(&mut self) {
        self.rejected += 1;
    }

    /// A queued request starts service after waiting `waited`.
    #[inline]
    pub fn start_from_queue(&mut self, now: Nanos, waited: Nanos) {
        let t = self.stamp(now);
        self.marks.queued = self.marks.queued.wrapping_sub(t);
        self.marks.busy = self.marks.busy.wrapping_add(t);
        self.queued -= 1;
        self.busy += 1;
        self.wait_sum += u128::from(waited.0);
        self.waits.record(waited);
    }

    /// A request leaves after `sojourn` in the station (wait + service).
    #[inline]
    pub fn finish(&mut self, now: Nanos, sojourn: Nanos) {
        let t = self.stamp(now);
        self.marks.busy = self.marks.busy.wrapping_sub(t);
        self.busy -= 1;
        self.served += 1;
        self.sojourn_sum += u128::from(sojourn.0);
    }

    /// The number of servers changes (pods added or removed).
    pub fn set_capacity(&mut self, now: Nanos, capacity: u64) {
        let t = self.stamp(now);
        let (old, new) = (u128::from(self.capacity), u128::from(capacity));
        self.marks.capacity = self
            .marks
            .capacity
            .wrapping_add(new.wrapping_mul(t))
            .wrapping_sub(old.wrapping_mul(t));
        self.capacity = capacity;
    }

    /// Servers now busy.
    pub fn busy(&self) -> u64 {
        self.busy
    }

    /// Requests now queued.
    pub fn queued(&self) -> u64 {
        self.queued
    }

    /// Forgets everything measured so far (end of warm-up); current state is kept.
    pub fn reset(&mut self, now: Nanos) {
        // The interval under way keeps its areas across the reset.
        self.reset_areas = self.areas(now);
        self.since = now;
        self.arrivals = 0;
        self.rejected = 0;
        self.served = 0;
        self.wait_sum = 0;
        self.sojourn_sum = 0;
        self.zero_waits = 0;
        self.waits.reset();
    }

    /// Utilization and mean queue length since the last call; starts a new interval.
    pub fn take_interval(&mut self, now: Nanos) -> (f64, f64) {
        let dt = now.0.saturating_sub(self.interval_start.0) as f64;
        let areas = self.areas(now);
        let [busy, queue, capacity] = minus(areas, self.interval_marks);
        let util = if capacity > 0 {
            busy as f64 / capacity as f64
        } else {
            0.0
        };
        let queue = if dt > 0.0 { queue as f64 / dt } else { 0.0 };
        self.interval_marks = areas;
        self.interval_start = now;
        (round6(util), round6(queue))
    }

    /// The statistics from the last reset up to `now`.
    pub fn summary(&mut self, now: Nanos) -> OccupancySummary {
        let [busy_area, queue_area, capacity_area] = minus(self.areas(now), self.reset_areas);
        self.waits.record_n(Nanos::ZERO, self.zero_waits);
        self.zero_waits = 0;
        let t = now.0.saturating_sub(self.since.0) as f64;
        let per_t = |a: u128| if t > 0.0 { a as f64 / t } else { 0.0 };
        let waited = self.waits.count().max(1) as f64;
        OccupancySummary {
            servers: round6(per_t(capacity_area)),
            utilization: round6(if capacity_area > 0 {
                busy_area as f64 / capacity_area as f64
            } else {
                0.0
            }),
            mean_busy: round6(per_t(busy_area)),
            mean_queue_length: round6(per_t(queue_area)),
            mean_in_station: round6(per_t(busy_area + queue_area)),
            arrival_rate: round6(if t > 0.0 {
                self.arrivals as f64 / (t / 1e9)
            } else {
                0.0
            }),
            arrivals: self.arrivals,
            served: self.served,
            rejected: self.rejected,
            mean_wait_ms: round6(self.wait_sum as f64 / waited / 1e6),
            wait_p99_ms: round6(self.waits.quantile(0.99) as f64 / 1e6),
            mean_time_in_station_ms: round6(
                self.sojourn_sum as f64 / self.served.max(1) as f64 / 1e6,
            ),
        }
    }
}

/// Areas `a` less the areas at an earlier mark `b` (wrapping, as the areas).
fn minus(a: [u128; 3], b: [u128; 3]) -> [u128; 3] {
    [0, 1, 2].map(|i| a[i].wrapping_sub(b[i]))
}

/// Σ of the times each count went up less the times it went down, each
/// weighted by the size of the step (wrapping: it may be "negative").
#[derive(Clone, Copy, Debug, Default)]
struct Marks {
    busy: u128,
    queued: u128,
    capacity: u128,
}

/// What a station did over the measured period.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OccupancySummary {
    /// Mean number of servers (slots or connections) available.
    pub servers: f64,
    /// Busy server time over available server time (0..1).
    pub utilization: f64,
    /// Mean servers busy.
    pub mean_busy: f64,
    /// Mean requests waiting.
    pub mean_queue_length: f64,
    /// Mean requests present, waiting or in service (L in Little's law).
    pub mean_in_station: f64,
    /// Accepted arrivals per second (λ).
    pub arrival_rate: f64,
    /// Accepted arrivals.
    pub arrivals: u64,
    /// Requests that left after service.
    pub served: u64,
    /// Requests turned away because the queue was full.
    pub rejected: u64,
    /// Mean wait before service.
    pub mean_wait_ms: f64,
    /// 99th percentile of the wait before service.
    pub wait_p99_ms: f64,
    /// Mean time from arrival to leaving (W in Little's law).
    pub mean_time_in_station_ms: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interval_keeps_its_areas_across_a_reset() {
        let mut o = Occupancy::new(2);
        o.arrive_and_start(Nanos::ZERO);
        assert_eq!(o.take_interval(Nanos::from_secs(1)), (0.5, 0.0));
        o.arrive_and_start(Nanos::from_secs(2)); // 1 busy over [1,2), 2 over [2,4)
        o.arrive_and_queue(Nanos::from_secs(3)); // 1 queued over [3,4)
        o.reset(Nanos::from_secs(3));
        assert_eq!(o.take_interval(Nanos::from_secs(4)), (0.833333, 0.333333));
        assert_eq!(o.summary(Nanos::from_secs(4)).utilization, 1.0);
    }

    #[test]
    fn a_change_stamped_before_the_latest_counts_from_the_latest() {
        // As when the areas were advanced step by step: time never runs back.
        let mut o = Occupancy::new(1);
        o.arrive_and_start(Nanos::from_secs(2));
        o.finish(Nanos::from_secs(1), Nanos::ZERO); // counted at 2 s
        o.arrive_and_queue(Nanos::from_secs(3));
        o.abandon(Nanos::from_secs(4));
        let s = o.summary(Nanos::from_secs(5));
        assert_eq!((s.utilization, s.mean_queue_length), (0.0, 0.2));
        assert_eq!(s.servers, 1.0);
    }

    #[test]
    fn capacity_changes_weigh_their_spans() {
        let mut o = Occupancy::new(2);
        o.set_capacity(Nanos::from_secs(1), 4); // 2 over [0,1), 4 over [1,3)
        o.arrive_and_start(Nanos::from_secs(1)); // 1 busy over [1,3)
        o.set_capacity(Nanos::from_secs(3), 1); // 1 over [3,4), busy 1
        let s = o.summary(Nanos::from_secs(4));
        assert_eq!(s.servers, 11.0 / 4.0);
        assert_eq!(s.utilization, round6(3.0 / 11.0));
    }

    #[test]
    fn areas_are_time_weighted() {
        let mut o = Occupancy::new(2);
        o.arrive_and_start(Nanos::from_secs(0));
        o.arrive_and_start(Nanos::from_secs(1));
        o.arrive_and_queue(Nanos::from_secs(1));
        o.finish(Nanos::from_secs(2), Nanos::from_secs(2));
        o.start_from_queue(Nanos::from_secs(2), Nanos::from_secs(1));
        o.finish(Nanos::from_secs(3), Nanos::from_secs(2));
        o.finish(Nanos::from_secs(4), Nanos::from_secs(3));
        let s = o.summary(Nanos::from_secs(4));
        // busy: 1 for [0,1), 2 for [1,3), 1 for [3,4) -> area 6 over 4 s with 2 servers
        assert_eq!(s.utilization, 0.75);
        assert_eq!(s.mean_queue_length, 0.25);
        assert_eq!(s.served, 3);
        // Little's law holds exactly for a closed interval that starts and ends empty.
        assert!(
            (s.mean_in_station - s.arrival_rate * s.mean_time_in_station_ms / 1e3).abs() < 1e-9
        );
    }
}
