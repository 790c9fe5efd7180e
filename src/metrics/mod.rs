//! Measurement: latency histograms, time-weighted station occupancy, error
//! counters and per-interval series. Fixed memory: nothing grows with the
//! simulated duration except one row of scalars per interval.

mod histogram;
mod occupancy;
mod series;
pub mod stats;

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
    /// A per-tenant rate limit rejected the request (HTTP 429).
    RateLimited,
    /// The request waited in a pod's queue longer than its shed limit and was dropped.
    LoadShed,
    /// An external dependency's breaker was open and there was no fallback.
    BreakerOpen,
    /// An external dependency failed (after its retries) and there was no fallback.
    DependencyError,
    /// The region serving the request went down while it was there, or no
    /// region that could serve it was up.
    RegionDown,
    /// No pool connection became free within the pool's acquire timeout.
    PoolTimeout,
    /// The database refused a new connection: max_connections reached.
    TooManyConnections,
    /// The query needed the primary while a failover was promoting a replica.
    DbFailover,
    /// The pod serving the request died (killed, or its spot node reclaimed).
    PodKilled,
    /// The query ran past its pool's `statement_timeout` and was cancelled.
    StatementTimeout,
    /// A `CallWith` (or `Parallel`) call's timeout passed (after its
    /// retries) and there was no fallback.
    CallTimeout,
}

impl ErrorCause {
    /// Every cause, in report order.
    pub const ALL: [ErrorCause; 14] = [
        ErrorCause::ClientTimeout,
        ErrorCause::QueueFull,
        ErrorCause::NoHealthyPod,
        ErrorCause::RateLimited,
        ErrorCause::LoadShed,
        ErrorCause::BreakerOpen,
        ErrorCause::DependencyError,
        ErrorCause::RegionDown,
        ErrorCause::PoolTimeout,
        ErrorCause::TooManyConnections,
        ErrorCause::DbFailover,
        ErrorCause::PodKilled,
        ErrorCause::StatementTimeout,
        ErrorCause::CallTimeout,
    ];

    /// The cause's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            ErrorCause::ClientTimeout => "client_timeout",
            ErrorCause::QueueFull => "queue_full",
            ErrorCause::NoHealthyPod => "no_healthy_pod",
            ErrorCause::RateLimited => "rate_limited",
            ErrorCause::LoadShed => "load_shed",
            ErrorCause::BreakerOpen => "breaker_open",
            ErrorCause::DependencyError => "dependency_error",
            ErrorCause::RegionDown => "region_down",
            ErrorCause::PoolTimeout => "pool_timeout",
            ErrorCause::TooManyConnections => "too_many_connections",
            ErrorCause::DbFailover => "db_failover",
            ErrorCause::PodKilled => "pod_killed",
            ErrorCause::StatementTimeout => "statement_timeout",
            ErrorCause::CallTimeout => "call_timeout",
        }
    }

    /// Index into per-cause counter arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Number of distinct error causes.
pub const CAUSES: usize = ErrorCause::ALL.len();
