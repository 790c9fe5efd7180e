//! Measurement: latency histograms, time-weighted station occupancy, error
//! counters and per-interval series. Fixed memory: nothing grows with the
//! simulated duration except one row of scalars per interval.

mod histogram;
mod occupancy;
mod series;

pub(crate) use histogram::round6;
pub use histogram::{LatencyHistogram, LatencySummary};
pub use occupancy::{Occupancy, OccupancySummary};
pub use series::{IntervalRow, Series};

use serde::{Deserialize, Serialize};

/// Why a request failed.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCause {
    /// The client gave up waiting (its timeout passed).
    ClientTimeout,
    /// A station's wait queue was full.
    QueueFull,
    /// The load balancer had no pod to send to.
    NoHealthyPod,
    /// The pod serving the request died (killed, or its spot node reclaimed).
    PodKilled,
}

impl ErrorCause {
    /// Every cause, in report order.
    pub const ALL: [ErrorCause; 4] = [
        ErrorCause::ClientTimeout,
        ErrorCause::QueueFull,
        ErrorCause::NoHealthyPod,
        ErrorCause::PodKilled,
    ];

    /// The cause's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            ErrorCause::ClientTimeout => "client_timeout",
            ErrorCause::QueueFull => "queue_full",
            ErrorCause::NoHealthyPod => "no_healthy_pod",
            ErrorCause::PodKilled => "pod_killed",
        }
    }

    /// Index into per-cause counter arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Number of distinct error causes.
pub const CAUSES: usize = ErrorCause::ALL.len();
