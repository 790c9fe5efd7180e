//! The service-level objective a scenario states: part of the scenario
//! language, read by the simulator (its latency threshold) and by the
//! reports that judge runs against it (`report::slo`).

use super::units::Duration;
use serde::{Deserialize, Serialize};

/// A service-level objective.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Slo {
    /// Latency threshold: at least 99% of finished requests must succeed
    /// within it (see `report::slo`).
    pub p99: Duration,
    /// Largest acceptable error rate (0..1).
    pub error_rate: f64,
}

impl Slo {
    /// The objective used when a scenario states none: p99 <= 1 s, errors <= 1%.
    pub fn fallback() -> Slo {
        Slo {
            p99: Duration(crate::algo::Nanos::from_secs(1)),
            error_rate: 0.01,
        }
    }
}
