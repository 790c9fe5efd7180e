//! The floor loop: the bare loop's M/M/c model written by hand with the
//! engine's own parts and the bookkeeping a report of it prints, and
//! nothing else. It is what the engine would cost with no interpreter at
//! all: a floor for an engine that prints the same report with the
//! same parts (issue 19.3).
//!
//! Per customer, like the engine on the bench's scenario: the arrival gap
//! and the service time from `Sampler::exp` on two named streams (the
//! ziggurat, where the bare loop takes a logarithm); the `EventQueue`, with
//! the next arrival held outside its structure (`schedule_next`); a
//! request record in a `Slab`; the pod's FIFO of waiting requests; the
//! station's `Occupancy` (areas, waits histogram, sojourn sum); the
//! endpoint's `LatencyHistogram`, the interval `Series` (arrivals,
//! successes and their latency), the latency objective's good count, and
//! the in-flight peak. Not the interpreter, the balancer, the pod's slot
//! table or the checks for features this model does not use.

use crate::bare_loop::MmcModel;
use scaletwin::algo::Nanos;
use scaletwin::engine::{stream, EventQueue, Sampler, Slab};
use scaletwin::metrics::{LatencyHistogram, Occupancy, Series};
use std::collections::VecDeque;

/// What one run of the floor loop did.
#[derive(Clone, Copy, Debug)]
pub struct FloorRun {
    /// Events popped: arrivals plus service completions before the horizon.
    pub events: u64,
    /// Customers that left before the horizon.
    pub departed: u64,
    /// Their mean time in the system, in seconds.
    pub mean_sojourn_s: f64,
    /// Their p99 time in the system, in seconds (read so the histogram is kept).
    pub p99_s: f64,
}

/// The loop's events.
#[derive(Clone, Copy)]
enum Event {
    Arrival,
    /// Request (slab slot) finishes its service.
    Done(u32),
    /// An interval of the series ends.
    Tick,
}

/// A request in flight: when it arrived and when it reached its server.
#[derive(Clone, Copy)]
struct Request {
    start: Nanos,
    since: Nanos,
}

/// Runs `model` under `seed` with the report's bookkeeping.
pub fn run(model: &MmcModel, seed: u64) -> FloorRun {
    let end = Nanos((model.seconds * 1e9) as u64);
    let interval = Nanos(3_600_000_000_000);
    let gap = Sampler::exp(Nanos((1e9 / model.lambda) as u64));
    let service = Sampler::exp(Nanos((1e9 / model.mu) as u64));
    let (mut arrivals_rng, mut service_rng) = (stream(seed, "arrivals"), stream(seed, "service"));
    let mut queue = EventQueue::new();
    let mut requests: Slab<Request> = Slab::new();
    let mut waiting: VecDeque<u32> = VecDeque::new();
    let mut station = Occupancy::new(u64::from(model.servers));
    let mut latency = LatencyHistogram::new(3);
    let mut series = Series::new(end, interval);
    let threshold = Nanos(500_000_000);
    let (mut busy, mut in_flight, mut peak, mut good) = (0u32, 0u64, 0u64, 0u64);
    let mut events = 0u64;
    queue.schedule_next(gap.sample(&mut arrivals_rng), Event::Arrival);
    queue.schedule(interval.min(end), Event::Tick);
    while let Some((now, event)) = queue.pop_until(end) {
        match event {
            Event::Arrival => {
                queue.schedule_next(now + gap.sample(&mut arrivals_rng), Event::Arrival);
                events += 1;
                series.arrival(now);
                let r = requests.insert(Request {
                    start: now,
                    since: now,
                });
                in_flight += 1;
                peak = peak.max(in_flight);
                if busy < model.servers {
                    busy += 1;
                    station.arrive_and_start(now);
                    queue.schedule(now + service.sample(&mut service_rng), Event::Done(r));
                } else {
                    station.arrive_and_queue(now);
                    waiting.push_back(r);
                }
            }
            Event::Done(r) => {
                events += 1;
                let req = requests[r];
                station.finish(now, now - req.since);
                if let Some(next) = waiting.pop_front() {
                    let queued = &mut requests[next];
                    station.start_from_queue(now, now - queued.since);
                    queued.since = now;
                    queue.schedule(now + service.sample(&mut service_rng), Event::Done(next));
                } else {
                    busy -= 1;
                }
                let t = now - req.start;
                latency.record(t);
                series.success(now, t);
                good += u64::from(t <= threshold);
                requests.remove(r);
                in_flight -= 1;
            }
            Event::Tick => {
                let (utilization, queued) = station.take_interval(now);
                series.close(now, vec![utilization], vec![queued]);
                if now < end {
                    queue.schedule((now + interval).min(end), Event::Tick);
                }
            }
        }
    }
    let departed = latency.count();
    std::hint::black_box((peak, good, series.finish(), station.summary(end)));
    FloorRun {
        events,
        departed,
        mean_sojourn_s: latency.mean() / 1e9,
        p99_s: latency.quantile(0.99) as f64 / 1e9,
    }
}
