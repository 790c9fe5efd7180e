//! The discrete-event engine: virtual time, the event queue, seeded random
//! streams and distribution sampling. It knows nothing of caches or pods.
//!
//! ```text
//!   schedule(t, ev) ──▶ [ sorted array | radix heap ] ──pop──▶ handler(now, ev)
//!                               ▲                           │
//!                               └────── schedule(...) ◀─────┘
//! ```

mod dist;
mod fifo;
mod paged;
mod queue;
mod rng;
mod slab;

pub(crate) use dist::standard_exponential;
pub use dist::Sampler;
pub use fifo::Fifo;
pub use paged::PagedTable;
pub use queue::EventQueue;
pub(crate) use rng::{below, unit_open};
pub use rng::{stream, stream_seed, Rng};
pub use slab::Slab;
