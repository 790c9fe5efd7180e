//! A `run` made to a precision (`run.precision`, `--precision`): what the
//! replications say together, beside the one replication the report details.

use super::{PrecisionReached, Report};
use crate::metrics::stats::Estimate;
use serde::{Deserialize, Serialize};

/// The replications of a `run` made to a precision: the estimates over all
/// of them and what they reached. The rest of the report is the first
/// replication's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunPrecision {
    /// Mean latency of successful requests over the replications, in ms.
    pub mean_ms: Estimate,
    /// p99 of successful requests over the replications, in ms.
    pub p99_ms: Estimate,
    /// The half-widths reached, the replications and their simulated time.
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
        "the cap stopped it (precision not reached)"
    } else {
        "precision reached"
    };
    format!(
        "Run to a precision of {}%: {} replications, {} simulated s in all (warm-ups included); {stop}.\n  \
         mean {:.3} ms ± {:.3} ({}%), p99 {:.3} ms ± {:.3} ({}%) over the replications;\n  \
         the sections below are the first replication's (seed {}).\n\n",
        r.target_pct,
        r.replications,
        r.simulated_s,
        p.mean_ms.mean,
        p.mean_ms.ci95,
        r.mean_pct,
        p.p99_ms.mean,
        p.p99_ms.ci95,
        r.p99_pct,
        report.seed,
    )
}
