//! The components of a backend, as state machines driven by the engine, and
//! the interpreter that walks each request through its endpoint's program.
//!
//! ```text
//!  Arrival ──▶ pick endpoint/tenant/key ──▶ program: Pod(Enter) · Pod(Compute) · Data(Query) · Delay · Pod(Leave)
//!                                                 │               │              │
//!                                      pod slots (FIFO)        delay      db connections (FIFO)
//! ```
//!
//! One module per component family owns its state, its events (a nested
//! enum of `Event`) and the handler of its ops (a nested enum of
//! `scenario::Op`); `families` holds them all and the hooks every family
//! answers (reset, tick, report).

mod autoscale;
mod cache_aside;
mod call_stack;
mod cdn;
mod checkpoint;
mod client_calls;
mod cpu;
mod database;
mod db_cpu;
mod dependency;
mod deployment;
mod event;
mod families;
mod faults;
mod footprint;
mod held_time;
mod interpreter;
mod jobs;
mod limits;
mod memory;
mod periodic;
mod pool;
mod queries;
mod redis;
mod regions;
mod retries;
mod station;
mod storage;

pub use autoscale::{replay_hpa, replay_queue_hpa};
pub use checkpoint::{Checkpoints, SoFar};
pub use footprint::{Footprint, MAX_IN_FLIGHT, MEMORY_BUDGET, SHOW_ABOVE_SECONDS};
pub use interpreter::{simulate, simulate_checked};
pub use station::{Admission, Slots};
