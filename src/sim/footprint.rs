//! What a run will cost before it starts: requests, peak in-flight requests
//! and the memory its state can grow to, from the scenario alone (the
//! arrival pattern's peak and mean included).
//!
//! Memory is O(in-flight requests + state the scenario sizes): per-key and
//! per-user tables, caches, tenants' limiter state, pods, database nodes,
//! ring points and time-series buckets. In-flight requests are capped at
//! [`MAX_IN_FLIGHT`] (arrivals beyond it fail as `queue_full`), so an
//! unbounded queue stops growing there instead of exhausting memory. A run
//! whose estimate is over [`MEMORY_BUDGET`] is refused unless the caller
//! allows it (`--allow-large`).

use super::interpreter::Request;
use crate::algo::Nanos;
use crate::scenario::Plan;
use crate::workload::RatePattern;

/// Most requests in flight at once; arrivals beyond it are refused as `queue_full`.
pub const MAX_IN_FLIGHT: u64 = 2_000_000;
/// Estimated memory above which a run is refused unless allowed (4 GiB).
pub const MEMORY_BUDGET: f64 = 4.0 * 1024.0 * 1024.0 * 1024.0;
/// Requests simulated per wall-clock second, for the time estimate (a
/// conservative figure: the M/M/8 model runs about three times faster).
const REQUESTS_PER_SECOND: f64 = 1.0e6;
/// Expected wall time above which the estimate is worth showing.
pub const SHOW_ABOVE_SECONDS: f64 = 10.0;

/// Bytes per entry of a hash map keyed by id (key, value, control byte, load factor).
const MAP_ENTRY: f64 = 48.0;
/// Bytes per cache entry (LRU links, key, value, expiry, index).
const CACHE_ENTRY: f64 = 96.0;
/// Bytes per pod or database node (slots, queue head, counters).
const STATION: f64 = 512.0;
/// Bytes per time-series bucket and series.
const BUCKET: f64 = 16.0;

/// The estimate for one run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Footprint {
    /// Requests the workload offers over the run.
    pub requests: f64,
    /// Offered requests per second at the pattern's peak.
    pub peak_rate: f64,
    /// Most requests in flight at once (bounded by [`MAX_IN_FLIGHT`]).
    pub in_flight: f64,
    /// Bytes of state that grows with the ids used (keys, users, tenants, cache entries).
    pub state_bytes: f64,
    /// Bytes in all: in-flight requests with their pending events, plus state.
    pub memory_bytes: f64,
    /// Expected wall-clock seconds.
    pub wall_seconds: f64,
}

/// Mean of the pattern's factor over `[0, duration)`.
fn mean_factor(pattern: &RatePattern, duration: Nanos) -> f64 {
    let d = duration.0.max(1) as f64;
    match pattern {
        RatePattern::Constant => 1.0,
        RatePattern::Spike { at, factor, length } => {
            let start = at.0.min(duration.0) as f64;
            let end = at.saturating_add(*length).0.min(duration.0) as f64;
            ((d - (end - start)) + (end - start) * factor) / d
        }
        RatePattern::Steps(steps) => {
            let mut sum = 0.0;
            let (mut t, mut f) = (0u64, 1.0);
            for &(at, factor) in steps {
                let at = at.0.min(duration.0);
                sum += (at.saturating_sub(t)) as f64 * f;
                t = t.max(at);
                f = factor;
            }
            sum += duration.0.saturating_sub(t) as f64 * f;
            sum / d
        }
        RatePattern::Diurnal { .. } | RatePattern::Trace(_) => {
            let n = 10_000u64;
            (0..n)
                .map(|i| pattern.factor(Nanos(duration.0 / n * i)))
                .sum::<f64>()
                / n as f64
        }
    }
}

/// The share of requests whose endpoint program (or one it calls) writes
/// to a database.
fn write_share(plan: &Plan) -> f64 {
    let mut before = 0.0;
    let mut share = 0.0;
    for (e, &c) in plan.workload.mix_cumulative.iter().enumerate() {
        if plan.reaches(e as u32, |op| {
            matches!(
                op,
                crate::scenario::Op::Data(crate::scenario::DataOp::Query { write: true, .. })
            )
        }) {
            share += c - before;
        }
        before = c;
    }
    share
}

impl Footprint {
    /// Estimates one run of `plan`.
    pub fn of(plan: &Plan) -> Footprint {
        let w = &plan.workload;
        let seconds = plan.duration.as_secs_f64();
        let requests = w.rate * mean_factor(&w.pattern, plan.duration) * seconds;
        let peak_rate = w.rate * w.pattern.max_factor_before(plan.duration);
        // In flight: the client timeout bounds a request's life when there is
        // one (its work may go on detached, but the queues it waits in drain at
        // their capacity); without one, an overloaded run reaches the cap.
        let life = w
            .client_timeout
            .map_or(seconds, |t| t.as_secs_f64().min(seconds));
        let in_flight = (peak_rate * life).min(requests).min(MAX_IN_FLIGHT as f64);
        let per_request = std::mem::size_of::<Request>() as f64 + 64.0;

        let ids = |n: u64| (n as f64).min(requests);
        let keys = w.keys.as_ref().map_or(0, |k| k.len());
        let mut state = 0.0;
        // Per-key versions and per-user last writes.
        let versioned = !plan.asides.is_empty()
            || plan
                .databases
                .iter()
                .any(|d| d.replicas > 0 || !d.copies.is_empty());
        // Versions and last writes change on writes only: the share of
        // requests whose endpoint writes.
        let writes = requests * write_share(plan);
        let written = |n: u64| (n as f64).min(writes);
        if versioned {
            state += written(keys) * MAP_ENTRY;
        }
        if plan.databases.iter().any(|d| d.read_your_writes.is_some()) {
            state += written(w.users) * MAP_ENTRY;
        }
        // Caches hold at most their capacity, the keys, or one entry per request.
        let entries = |capacity: Option<usize>| {
            capacity
                .map_or(f64::INFINITY, |c| c as f64)
                .min(ids(keys.max(1)))
        };
        for c in &plan.caches {
            state += entries(c.capacity) * CACHE_ENTRY;
        }
        for c in &plan.cdns {
            let held: f64 = c
                .classes
                .iter()
                .map(|k| entries(Some(k.cache.capacity)))
                .sum();
            state += held * CACHE_ENTRY * c.pops.len().max(1) as f64;
        }
        // Pods: their most replicas; each L1 holds at most its capacity.
        for d in &plan.deployments {
            let pods = d.hpa.as_ref().map_or(d.replicas, |h| {
                h.spec.max_replicas.max(d.replicas as i32) as u32
            }) as f64;
            state += pods * STATION;
            if let Some(l1) = d.l1 {
                state += pods * entries(Some(l1.capacity)) * CACHE_ENTRY;
            }
        }
        for d in &plan.databases {
            let shards = d.shards.map_or(1.0, |s| s.count as f64);
            state += shards * (1.0 + d.replicas as f64) * STATION;
            state += d
                .shards
                .map_or(0.0, |s| s.count as f64 * s.vnodes as f64 * 16.0);
        }
        // Limiter state per tenant seen, per limiting tier.
        let tenants = w.tenants.as_ref().map_or(1, |t| t.len());
        let limiters = plan
            .balancers
            .iter()
            .filter(|b| b.rate_limit.is_some())
            .count()
            + plan.limits.len();
        state += limiters as f64 * ids(tenants) * MAP_ENTRY * 2.0;
        // Time series: a row per bucket per series.
        let buckets = (plan.duration.0 / plan.interval.0.max(1)) as f64 + 1.0;
        let series = 8.0 + 4.0 * (plan.deployments.len() + plan.databases.len()) as f64;
        state += buckets * series * BUCKET;

        let memory_bytes = in_flight * per_request + state;
        Footprint {
            requests,
            peak_rate,
            in_flight,
            state_bytes: state,
            memory_bytes,
            wall_seconds: requests / REQUESTS_PER_SECOND,
        }
    }

    /// Whether the run fits the memory budget.
    pub fn fits(&self) -> bool {
        self.memory_bytes <= MEMORY_BUDGET
    }

    /// "about 1.2e9 requests (peak 3.0e5/s), up to 2.0e6 in flight, 5.1 GiB of memory, about 20 min".
    pub fn summary(&self) -> String {
        format!(
            "about {:.2e} requests (peak {:.2e}/s), up to {:.2e} in flight, {:.1} GiB of memory, about {}",
            self.requests,
            self.peak_rate,
            self.in_flight,
            self.memory_bytes / (1024.0 * 1024.0 * 1024.0),
            wall(self.wall_seconds)
        )
    }
}

/// A wall-clock duration for people: "40 s", "12 min", "3.5 h", "2.0 days".
fn wall(s: f64) -> String {
    if s < 120.0 {
        format!("{s:.0} s")
    } else if s < 7200.0 {
        format!("{:.0} min", s / 60.0)
    } else if s < 172_800.0 {
        format!("{:.1} h", s / 3600.0)
    } else {
        format!("{:.1} days", s / 86_400.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_factors_integrate_the_pattern() {
        let d = Nanos::from_secs(100);
        let spike = RatePattern::Spike {
            at: Nanos::from_secs(10),
            factor: 5.0,
            length: Nanos::from_secs(10),
        };
        // 90 s at 1, 10 s at 5.
        assert!((mean_factor(&spike, d) - 1.4).abs() < 1e-12);
        // A spike past the end adds nothing.
        let late = RatePattern::Spike {
            at: Nanos::from_secs(200),
            factor: 5.0,
            length: Nanos::from_secs(10),
        };
        assert_eq!(mean_factor(&late, d), 1.0);
        let steps = RatePattern::Steps(vec![
            (Nanos::from_secs(50), 3.0),
            (Nanos::from_secs(75), 0.0),
        ]);
        assert!((mean_factor(&steps, d) - (50.0 + 75.0) / 100.0).abs() < 1e-12);
        // A whole diurnal cycle averages (1 + trough) / 2.
        let diurnal = RatePattern::Diurnal {
            peak: 4.0,
            period: d,
        };
        assert!((mean_factor(&diurnal, d) - 0.625).abs() < 1e-3);
    }

    #[test]
    fn wall_times_read_naturally() {
        assert_eq!(wall(40.0), "40 s");
        assert_eq!(wall(720.0), "12 min");
        assert_eq!(wall(12_600.0), "3.5 h");
        assert_eq!(wall(172_800.0), "2.0 days");
    }
}
