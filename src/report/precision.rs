//! A `run` made to a precision (`run.precision`, `--precision`): the
//! intervals its batches give, beside the report of the run up to its stop.

use super::{PrecisionReached, Report};
use crate::metrics::stats::Estimate;
use serde::{Deserialize, Serialize};

/// A `run` made to a precision: the estimates over its batches after
/// MSER-5's truncation and what they reached. The rest of the report is
/// the run's, from its warm-up's end to its stop.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunPrecision {
    /// Mean latency of successful requests after the truncation, in ms,
    /// with its batch-means interval.
    pub mean_ms: Estimate,
    /// p99 of successful requests after the truncation, in ms, with its
    /// sectioning interval.
    pub p99_ms: Estimate,
    /// The half-widths reached, the sections and the simulated time.
    pub reached: PrecisionReached,
}

/// The table's section on a run made to a precision (nothing for a run
/// made as written).
pub fn run_precision_section(report: &Report) -> String {
    let Some(p) = &report.precision else {
        return String::new();
    };
    let r = &p.reached;
    let stop = if r.capped {
        "precision not reached (the cap, or its last planned length)"
    } else {
        "precision reached"
    };
    format!(
        "Run to a precision of {}%: stopped at {} simulated s (warm-up included); {stop}.\n  \
         mean {:.3} ms ± {:.3} ({}), p99 {:.3} ms ± {:.3} ({}) over {} sections,\n  \
         leaving out {} s past the warm-up (the pilot that planned the run, with MSER-5's transient);\n  \
         the sections below cover the warm-up's end to the stop.\n\n",
        r.target_pct,
        r.simulated_s,
        p.mean_ms.mean,
        p.mean_ms.ci95,
        half_width(r.mean_pct, None),
        p.p99_ms.mean,
        p.p99_ms.ci95,
        half_width(r.p99_pct, None),
        r.sections,
        r.truncated_s,
    )
}

/// A relative half-width in percent, to `decimals` places (as stored when
/// None), or "no interval" when the run measured too little for one.
pub(crate) fn half_width(pct: Option<f64>, decimals: Option<usize>) -> String {
    match (pct, decimals) {
        (Some(p), Some(d)) => format!("{p:.d$}%"),
        (Some(p), None) => format!("{p}%"),
        (None, _) => "no interval".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_half_width_without_an_interval_says_so() {
        use super::half_width;
        assert_eq!(half_width(Some(4.12345), Some(2)), "4.12%");
        assert_eq!(half_width(Some(4.12345), None), "4.12345%");
        assert_eq!(half_width(None, Some(2)), "no interval");
    }
}
