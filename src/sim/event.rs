//! What the event queue holds: the interpreter's own events and one nested
//! enum per component family, routed to that family with one exhaustive match.
//!
//! An [`Event`] is 8 bytes (a queue entry 16): a family tag, a sub-tag and
//! at most six bytes of payload, tags explicit (`repr(u8)`) so a match reads
//! one byte. Payloads are [`U32`] and [`U16`], integers
//! stored as bytes (alignment 1), so a nested enum packs behind the family
//! tag without padding; a compile-time assertion holds the size.

use super::autoscale::AutoscaleEvent;
use super::cache_aside::CacheEvent;
use super::client_calls::ClientEvent;
use super::cpu::CpuDone;
use super::dependency::DependencyEvent;
use super::faults::FaultEvent;
use super::jobs::JobEvent;
use super::queries::QueryEvent;
use super::retries::RetryEvent;

/// A scheduled happening. Small and `Copy`: the queue holds millions.
#[derive(Copy, Clone, Debug)]
#[repr(u8)]
pub(super) enum Event {
    /// The next request arrives.
    Arrival,
    /// A request's delay or compute ended; continue its program.
    Resume(U32),
    /// A time-series bucket ends.
    Tick,
    /// The warm-up ends: statistics start.
    WarmupEnd,
    /// A caller's checkpoint (only in runs with checkpoints: see `checkpoint`).
    Checkpoint,
    /// A fault of the timeline starts or ends.
    Fault(FaultEvent),
    /// Client retries: a client times out.
    Retries(RetryEvent),
    /// Database queries and connection pools.
    Queries(QueryEvent),
    /// Cache-aside: shared-cache operations, L1 invalidations.
    Cache(CacheEvent),
    /// External dependencies.
    Dependencies(DependencyEvent),
    /// Background jobs.
    Jobs(JobEvent),
    /// Autoscaling: HPA syncs, pod startups, spot nodes.
    Autoscale(AutoscaleEvent),
    /// A pod's processors: a compute ends, the CPU quota runs out or renews.
    Cpu(CpuDone),
    /// `CallWith` and `Parallel` calls: timeouts and retries.
    Client(ClientEvent),
    /// Periodic request `.0` of `workload.periodic` is due.
    Periodic(U16),
}

// Explicit one-byte tags: cheap to match, and 8 bytes, so a queue entry stays 16.
const _: () = assert!(std::mem::size_of::<Event>() == 8);
const _: () = assert!(std::mem::size_of::<(crate::algo::Nanos, Event)>() == 16);

/// A `u32` payload stored as bytes, so that it does not raise its enum's alignment.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) struct U32([u8; 4]);

impl U32 {
    /// The value.
    #[inline]
    pub(super) fn get(self) -> u32 {
        u32::from_ne_bytes(self.0)
    }
}

impl From<u32> for U32 {
    #[inline]
    fn from(x: u32) -> U32 {
        U32(x.to_ne_bytes())
    }
}

/// A `u16` payload stored as bytes, like [`U32`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) struct U16([u8; 2]);

impl U16 {
    /// The value.
    #[inline]
    pub(super) fn get(self) -> u16 {
        u16::from_ne_bytes(self.0)
    }
}

impl From<u16> for U16 {
    #[inline]
    fn from(x: u16) -> U16 {
        U16(x.to_ne_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        for x in [0u32, 1, 0x8000_0000, u32::MAX] {
            assert_eq!(U32::from(x).get(), x);
        }
        for x in [0u16, 7, u16::MAX] {
            assert_eq!(U16::from(x).get(), x);
        }
    }
}
