//! Checkpoints: a run that may stop before its duration. Every `every` of
//! simulated time after the warm-up the caller sees the outcomes of the
//! measured requests so far (the successes' latencies, the failures, the
//! successes within the SLO's threshold) and answers whether to stop; a
//! stop ends the run at that checkpoint, and the report covers the run up
//! to it.
//!
//! ```text
//!  warm-up end ──every──▶ decide(now, outcomes so far) ──stop──▶ the run ends now
//!                                                     ──go on──▶ next checkpoint (one at the duration, if it falls there)
//! ```
//!
//! Checkpoints fall at fixed simulated times, so where a run stops depends
//! only on its scenario, its seed and the caller's rule.

use crate::algo::Nanos;
use crate::metrics::LatencyHistogram;

/// The caller's side of a run with checkpoints.
pub struct Checkpoints<'a> {
    /// Simulated time between checkpoints (more than zero).
    pub every: Nanos,
    /// Sees the checkpoint's time and the measured requests' outcomes so
    /// far; returns `true` to stop the run there.
    pub decide: &'a mut dyn FnMut(Nanos, &SoFar) -> bool,
}

/// The outcomes of the measured requests so far (cumulative), as the SLO
/// counts them (see `report::slo`).
pub struct SoFar {
    /// The successes' latencies.
    pub successes: LatencyHistogram,
    /// Requests that failed.
    pub failed: u64,
    /// Successes within the SLO's latency threshold.
    pub good: u64,
}

/// The first checkpoint of a run warming up for `warmup`: `every` after it.
pub(super) fn first(warmup: Nanos, every: Nanos) -> Nanos {
    warmup.saturating_add(every.max(Nanos(1)))
}
