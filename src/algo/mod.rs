//! The real algorithms a production service runs, generic over a [`clock::Clock`].
//!
//! Nothing here knows about the simulator's engine or scenarios: every
//! algorithm is a pure function of `now` (and of an RNG where it needs one),
//! so the same code can run in a service against [`clock::SystemClock`] or
//! inside the simulator against virtual time.

pub mod backoff;
pub mod balance;
pub mod breaker;
pub mod cache;
pub mod che;
pub mod clock;
pub mod hpa;
pub mod jobqueue;
pub mod keyhash;
pub mod limiter;
pub mod ring;

pub use clock::{Clock, Nanos, SystemClock, VirtualClock};
