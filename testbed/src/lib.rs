//! A real system to hold scaletwin's predictions against: an HTTP service over
//! PostgreSQL and Redis ([`service`]), and an open-loop load generator
//! ([`load`]). Both speak of the same three endpoints ([`endpoint`]), those of
//! `scenarios/default.ron`.
//!
//! ```text
//! testbed-load ──HTTP──▶ testbed-service (1 core, 16 slots) ──▶ L1 (scaletwin::algo::cache)
//!  (open loop,                 │                                 ──▶ Redis (cache-aside)
//!   Poisson)                   └── /metrics ◀── Prometheus       ──▶ PostgreSQL (pool of 20)
//! ```
#![warn(missing_docs, unreachable_pub)]

pub mod endpoint;
pub mod load;
pub mod service;
