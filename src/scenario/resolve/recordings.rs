//! Recorded traffic in a scenario: a rate trace (`pattern: Trace`) and a
//! replayed request log (`arrivals: Replay`), read and checked here.

use super::checks::check_finite;
use super::context::Problems;
use crate::scenario::schema::{ArrivalProcess, Pattern, Scenario};
use crate::workload::{RatePattern, RateTrace, ReplayLog};
use std::path::Path;
use std::sync::Arc;

/// Resolves relative recording paths in `scenario` against `dir` (the
/// scenario file's directory).
pub fn resolve_paths(scenario: &mut Scenario, dir: &Path) {
    let join = |file: &mut String| {
        if Path::new(file.as_str()).is_relative() {
            *file = dir.join(file.as_str()).display().to_string();
        }
    };
    if let Pattern::Trace { file } = &mut scenario.workload.pattern {
        join(file);
    }
    if let ArrivalProcess::Replay { file, .. } = &mut scenario.workload.arrivals {
        join(file);
    }
}

/// Reads a rate trace (`endpoints` in order).
pub(super) fn trace(p: &mut Problems, file: &str, endpoints: &[&str]) -> Option<RatePattern> {
    match RateTrace::load(Path::new(file), endpoints) {
        Ok(t) => Some(RatePattern::Trace(Arc::new(t))),
        Err(e) => {
            p.add("workload.pattern.file", e.to_string());
            None
        }
    }
}

/// Checks a replayed log; `None` for Poisson arrivals or on a problem.
pub(super) fn replay(
    p: &mut Problems,
    arrivals: &ArrivalProcess,
    endpoints: &[&str],
) -> Option<ReplayLog> {
    let ArrivalProcess::Replay { file, speed, scale } = arrivals else {
        return None;
    };
    let path = "workload.arrivals";
    let speed_ok = check_finite(p, &format!("{path}.speed"), *speed, 1e-6, 1e6, "a speed");
    let scale_ok = check_finite(p, &format!("{path}.scale"), *scale, 0.0, 1e4, "a scale");
    if !(speed_ok && scale_ok) {
        return None;
    }
    match ReplayLog::scan(Path::new(file), *speed, *scale, endpoints) {
        Ok(log) => Some(log),
        Err(e) => {
            p.add(format!("{path}.file"), e.to_string());
            None
        }
    }
}
