//! Checkpoints: a run that may stop before its duration. Every `every` of
//! simulated time after the warm-up the caller sees the latencies of the
//! measured successes so far and answers whether to stop; a stop ends the
//! run at that checkpoint, and the report covers the run up to it.
//!
//! ```text
//!  warm-up end ──every──▶ decide(now, successes so far) ──stop──▶ the run ends now
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
    /// Sees the checkpoint's time and the measured successes' latencies so
    /// far (cumulative); returns `true` to stop the run there.
    pub decide: &'a mut dyn FnMut(Nanos, &LatencyHistogram) -> bool,
}

/// The first checkpoint of a run warming up for `warmup`: `every` after it.
pub(super) fn first(warmup: Nanos, every: Nanos) -> Nanos {
    warmup.saturating_add(every.max(Nanos(1)))
}
