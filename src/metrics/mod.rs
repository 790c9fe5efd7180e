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
    /// No pool connection became free within the pool's acquire timeout.
    PoolTimeout,
    /// The database refused a new connection: max_connections reached.
    TooManyConnections,
    /// The query needed the primary while a failover was promoting a replica.
    DbFailover,
}

impl ErrorCause {
    /// Every cause, in report order.
    pub const ALL: [ErrorCause; 6] = [
        ErrorCause::ClientTimeout,
        ErrorCause::QueueFull,
        ErrorCause::NoHealthyPod,
        ErrorCause::PoolTimeout,
        ErrorCause::TooManyConnections,
        ErrorCause::DbFailover,
    ];

    /// The cause's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            ErrorCause::ClientTimeout => "client_timeout",
            ErrorCause::QueueFull => "queue_full",
            ErrorCause::NoHealthyPod => "no_healthy_pod",
            ErrorCause::PoolTimeout => "pool_timeout",
            ErrorCause::TooManyConnections => "too_many_connections",
            ErrorCause::DbFailover => "db_failover",
        }
    }

    /// Index into per-cause counter arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Number of distinct error causes.
pub const CAUSES: usize = ErrorCause::ALL.len();
