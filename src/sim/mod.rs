//! The components of a backend, as state machines driven by the engine, and
//! the interpreter that walks each request through its endpoint's program.
//!
//! ```text
//!  Arrival ──▶ pick endpoint/tenant/key ──▶ program: Enter(lb) · Compute · Query · Delay · Leave
//!                                                 │          │         │
//!                                      pod slots (FIFO)   delay   db connections (FIFO)
//! ```

mod autoscale;
mod data;
mod database;
mod dependency;
mod deployment;
mod edge;
mod footprint;
mod interpreter;
mod jobs;
mod pool;
mod regions;
mod station;

pub use autoscale::{replay_hpa, replay_queue_hpa};
pub use footprint::{Footprint, MAX_IN_FLIGHT, MEMORY_BUDGET, SHOW_ABOVE_SECONDS};
pub use interpreter::simulate;
pub use station::{Admission, Slots};
