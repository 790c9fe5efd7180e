//! Service-level indicators and the SLO verdict as SRE practice defines
//! them: each objective is a ratio of good events to valid events, over the
//! requests that finished (succeeded or failed; a request still in flight at
//! the end is neither).
//!
//! ```text
//!  objective        good events                 met when
//!  p99 <= T         succeeded within T          good >= 99% of finished
//!  errors <= e      succeeded                   failed <= e x finished
//! ```
//!
//! A failed request is never a good event, however fast it failed: a run
//! where most requests fail fast does not meet its latency objective, though
//! the percentiles of its successful requests look healthy.

use crate::metrics::{round6, LatencyHistogram};
use crate::scenario::Slo;
use serde::{Deserialize, Serialize};

/// The share of finished requests, in percent, that a p99 objective wants
/// answered successfully within its threshold.
pub const LATENCY_GOOD_PERCENT: u64 = 99;

/// The objective a run is judged against: the one stated, else the default
/// ([`Slo::fallback`]).
pub fn objective(stated: Option<&Slo>) -> Slo {
    stated.cloned().unwrap_or_else(Slo::fallback)
}

/// What became of the measured requests.
#[derive(Clone, Copy, Debug, Default)]
pub struct Outcomes {
    /// Requests answered successfully.
    pub succeeded: u64,
    /// Requests that failed.
    pub failed: u64,
    /// Requests still waiting for their answer at the end.
    pub in_flight: u64,
    /// Successes within the objective's latency threshold.
    pub good: u64,
}

/// The objective of a run and its verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SloReport {
    /// The objective.
    pub objective: Slo,
    /// True when the scenario states no `slo` and the default applies.
    pub default: bool,
    /// Requests that finished (succeeded or failed).
    pub finished: u64,
    /// Requests that succeeded within the latency threshold.
    pub good: u64,
    /// good / finished (1 when nothing was sent, 0 when requests were sent
    /// but none finished).
    pub good_ratio: f64,
    /// The latency within which 99% of the finished requests succeeded, ms
    /// (at the histogram's precision, 0.1%); absent when fewer than 99%
    /// succeeded. A p99 objective of at least this is met.
    pub p99_good_ms: Option<f64>,
    /// Whether at least 99% of the finished requests succeeded within the threshold.
    pub latency_met: bool,
    /// Whether failed / finished is within the error-rate objective.
    pub errors_met: bool,
}

impl SloReport {
    /// The verdict of `stated` (or the default) on `outcomes`;
    /// `succeeded` holds the latencies of the successful requests.
    pub fn new(stated: Option<&Slo>, outcomes: Outcomes, succeeded: &LatencyHistogram) -> Self {
        let Outcomes {
            succeeded: ok,
            failed,
            in_flight,
            good,
        } = outcomes;
        let finished = ok + failed;
        let objective = objective(stated);
        let good_ratio = match (finished, in_flight) {
            (0, 0) => 1.0,
            (0, _) => 0.0,
            _ => round6(good as f64 / finished as f64),
        };
        let rank = (u128::from(finished) * u128::from(LATENCY_GOOD_PERCENT)).div_ceil(100);
        let p99_good_ms = succeeded
            .at_rank(u64::try_from(rank).unwrap_or(u64::MAX))
            .map(|ns| round6(ns as f64 / 1e6));
        SloReport {
            errors_met: errors_met(failed, finished, objective.error_rate),
            latency_met: latency_met(good, finished) && !(finished == 0 && in_flight > 0),
            objective,
            default: stated.is_none(),
            finished,
            good,
            good_ratio,
            p99_good_ms,
        }
    }

    /// Whether every objective is met.
    pub fn met(&self) -> bool {
        self.latency_met && self.errors_met
    }
}

/// Whether `good` of `finished` requests meet a p99 objective (at least 99%).
pub fn latency_met(good: u64, finished: u64) -> bool {
    u128::from(good) * 100 >= u128::from(finished) * u128::from(LATENCY_GOOD_PERCENT)
}

/// Whether `failed` of `finished` requests are within the error rate `limit`.
pub fn errors_met(failed: u64, finished: u64, limit: f64) -> bool {
    failed as f64 <= limit * finished as f64
}

/// The verdict on figures averaged over replications: the mean good ratio
/// and the mean error rate.
pub fn met_on_average(slo: &Slo, good_ratio: f64, error_rate: f64) -> bool {
    good_ratio + 1e-12 >= LATENCY_GOOD_PERCENT as f64 / 100.0 && error_rate <= slo.error_rate
}

/// A share in percent with up to four decimals, trailing zeros dropped.
pub fn percent(x: f64) -> String {
    let s = format!("{:.4}", x * 100.0);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}%")
}

/// "p99 <= 300ms, errors <= 0.1% (the scenario's)" or "(default: ...)".
pub fn describe(slo: &Slo, default: bool) -> String {
    let source = if default {
        "default: the scenario states no `slo`"
    } else {
        "the scenario's"
    };
    format!(
        "p99 <= {}, errors <= {} ({source})",
        slo.p99,
        percent(slo.error_rate)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::Nanos;

    fn slo(p99_ms: u64, error_rate: f64) -> Slo {
        Slo {
            p99: crate::scenario::units::Duration(Nanos::from_millis(p99_ms)),
            error_rate,
        }
    }

    #[test]
    fn the_latency_objective_counts_failures_as_bad_events() {
        // 98 fast successes and 2 fast failures: the successes' p99 is fine,
        // but only 98% of the requests succeeded within the threshold.
        let mut h = LatencyHistogram::new(3);
        h.record_n(Nanos::from_millis(5), 98);
        let o = Outcomes {
            succeeded: 98,
            failed: 2,
            in_flight: 0,
            good: 98,
        };
        let r = SloReport::new(Some(&slo(100, 0.05)), o, &h);
        assert_eq!((r.finished, r.good, r.good_ratio), (100, 98, 0.98));
        assert!(!r.latency_met && r.errors_met && !r.met());
        assert_eq!(r.p99_good_ms, None, "fewer than 99% succeeded");
        assert!(!r.default);
        // 99 of 100: met exactly at the boundary.
        h.record(Nanos::from_millis(5));
        let o = Outcomes {
            succeeded: 99,
            failed: 1,
            in_flight: 0,
            good: 99,
        };
        let r = SloReport::new(None, o, &h);
        assert!(r.latency_met && r.errors_met && r.default);
        assert_eq!(r.objective, Slo::fallback());
        // The 99th of 100 finished requests is a 5 ms success.
        let p = r.p99_good_ms.unwrap();
        assert!((5.0..=5.005).contains(&p), "{p}");
    }

    #[test]
    fn nothing_finished_is_a_breach_only_when_something_was_sent() {
        let h = LatencyHistogram::new(3);
        let idle = SloReport::new(None, Outcomes::default(), &h);
        assert!(idle.met() && idle.good_ratio == 1.0);
        let stuck = Outcomes {
            in_flight: 3,
            ..Outcomes::default()
        };
        let stuck = SloReport::new(None, stuck, &h);
        assert!(!stuck.met() && stuck.good_ratio == 0.0);
    }

    #[test]
    fn percentages_drop_trailing_zeros() {
        assert_eq!(percent(0.001), "0.1%");
        assert_eq!(percent(0.99), "99%");
        assert_eq!(percent(0.123456), "12.3456%");
        assert_eq!(percent(0.0), "0%");
    }
}
