//! A database server: connections serving one query each, FIFO queue.

use super::station::Slots;
use crate::metrics::Occupancy;
use crate::scenario::DatabaseSpec;

/// The live state of a database.
pub(super) struct Database {
    /// Connections and the wait queue.
    pub(super) slots: Slots,
    /// Connection occupancy.
    pub(super) occupancy: Occupancy,
    /// Multiplier on service times while a slowdown fault is active.
    pub(super) slowdown: f64,
}

impl Database {
    /// An idle database.
    pub(super) fn new(spec: &DatabaseSpec) -> Self {
        Database {
            slots: Slots::new(spec.connections, spec.queue_limit),
            occupancy: Occupancy::new(u64::from(spec.connections)),
            slowdown: 1.0,
        }
    }
}
