//! The `name` and `run` sections: duration, warm-up and the time-series interval.

use super::context::Problems;
use crate::algo::Nanos;
use crate::scenario::schema::Scenario;

/// Most time-series buckets in one run.
const MAX_BUCKETS: u64 = 1_000_000;

/// The run's times, checked.
pub(crate) struct RunTimes {
    pub(crate) duration: Nanos,
    pub(crate) warmup: Nanos,
    pub(crate) interval: Nanos,
}

/// Checks the scenario's name and run settings.
pub(crate) fn resolve(p: &mut Problems, s: &Scenario) -> RunTimes {
    if s.name.trim().is_empty() {
        p.add("name", "the scenario needs a non-empty name");
    }
    let duration = s.run.duration.nanos();
    let warmup = s.run.warmup.nanos();
    let interval = s.run.interval.nanos();
    if duration == Nanos::ZERO {
        p.add("run.duration", "the run must last longer than zero");
    }
    if warmup >= duration && duration > Nanos::ZERO {
        p.add(
            "run.warmup",
            format!(
                "warm-up ({}) must be shorter than the run ({})",
                s.run.warmup, s.run.duration
            ),
        );
    }
    if interval == Nanos::ZERO {
        p.add(
            "run.interval",
            "the time-series interval must be longer than zero",
        );
    } else if duration.0 / interval.0 > MAX_BUCKETS {
        p.add(
            "run.interval",
            format!("{} buckets of {} is too many; use a longer interval (at most {MAX_BUCKETS} buckets)", duration.0 / interval.0, s.run.interval),
        );
    }
    RunTimes {
        duration,
        warmup,
        interval,
    }
}
