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
#[derive(Clone, Debug)]
pub struct Occupancy {
    since: Nanos,
    last: Nanos,
    busy: u64,
    queued: u64,
    capacity: u64,
    busy_area: u128,
    queue_area: u128,
    capacity_area: u128,
    /// The busy, queue and capacity areas when the interval began (wrapping:
    /// a reset moves them with the areas), so an interval's areas are
    /// differences and `advance` keeps one set of sums.
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
            busy_area: 0,
            queue_area: 0,
            capacity_area: 0,
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

    #[inline]
    fn advance(&mut self, now: Nanos) {
        let dt = u128::from(now.0.saturating_sub(self.last.0));
        if dt > 0 {
            let b = u128::from(self.busy) * dt;
            let q = u128::from(self.queued) * dt;
            let c = u128::from(self.capacity) * dt;
            self.busy_area += b;
            self.queue_area += q;
            self.capacity_area += c;
            self.last = now;
        }
    }

    /// A request arrives and starts service at once.
    #[inline]
    pub fn arrive_and_start(&mut self, now: Nanos) {
        self.advance(now);
        self.arrivals += 1;
        self.busy += 1;
        self.zero_waits += 1;
    }

    /// A request arrives and joins the queue.
    #[inline]
    pub fn arrive_and_queue(&mut self, now: Nanos) {
        self.advance(now);
        self.arrivals += 1;
        self.queued += 1;
    }

    /// A queued request leaves without service (its pod died).
    pub fn abandon(&mut self, now: Nanos) {
        self.advance(now);
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
        self.advance(now);
        self.queued -= 1;
        self.busy += 1;
        self.wait_sum += u128::from(waited.0);
        self.waits.record(waited);
    }

    /// A request leaves after `sojourn` in the station (wait + service).
    #[inline]
    pub fn finish(&mut self, now: Nanos, sojourn: Nanos) {
        self.advance(now);
        self.busy -= 1;
        self.served += 1;
        self.sojourn_sum += u128::from(sojourn.0);
    }

    /// The number of servers changes (pods added or removed).
    pub fn set_capacity(&mut self, now: Nanos, capacity: u64) {
        self.advance(now);
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
        self.advance(now);
        // The interval under way keeps its areas across the reset.
        self.interval_marks = self.interval_areas().map(|a| 0u128.wrapping_sub(a));
        self.since = now;
        self.busy_area = 0;
        self.queue_area = 0;
        self.capacity_area = 0;
        self.arrivals = 0;
        self.rejected = 0;
        self.served = 0;
        self.wait_sum = 0;
        self.sojourn_sum = 0;
        self.zero_waits = 0;
        self.waits.reset();
    }

    /// Busy, queue and capacity areas since the interval began.
    fn interval_areas(&self) -> [u128; 3] {
        let [b, q, c] = self.interval_marks;
        [
            self.busy_area.wrapping_sub(b),
            self.queue_area.wrapping_sub(q),
            self.capacity_area.wrapping_sub(c),
        ]
    }

    /// Utilization and mean queue length since the last call; starts a new interval.
    pub fn take_interval(&mut self, now: Nanos) -> (f64, f64) {
        self.advance(now);
        let dt = now.0.saturating_sub(self.interval_start.0) as f64;
        let [busy, queue, capacity] = self.interval_areas();
        let util = if capacity > 0 {
            busy as f64 / capacity as f64
        } else {
            0.0
        };
        let queue = if dt > 0.0 { queue as f64 / dt } else { 0.0 };
        self.interval_marks = [self.busy_area, self.queue_area, self.capacity_area];
        self.interval_start = now;
        (round6(util), round6(queue))
    }

    /// The statistics from the last reset up to `now`.
    pub fn summary(&mut self, now: Nanos) -> OccupancySummary {
        self.advance(now);
        self.waits.record_n(Nanos::ZERO, self.zero_waits);
        self.zero_waits = 0;
        let t = now.0.saturating_sub(self.since.0) as f64;
        let per_t = |a: u128| if t > 0.0 { a as f64 / t } else { 0.0 };
        let waited = self.waits.count().max(1) as f64;
        OccupancySummary {
            servers: round6(per_t(self.capacity_area)),
            utilization: round6(if self.capacity_area > 0 {
                self.busy_area as f64 / self.capacity_area as f64
            } else {
                0.0
            }),
            mean_busy: round6(per_t(self.busy_area)),
            mean_queue_length: round6(per_t(self.queue_area)),
            mean_in_station: round6(per_t(self.busy_area + self.queue_area)),
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
