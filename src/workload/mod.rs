//! The offered load: how many requests arrive when, for which endpoint,
//! tenant and key.
//!
//! Arrivals draw from their own random stream, so nothing a component does
//! changes the arrival sequence (common random numbers across architectures).

mod arrivals;
mod feed;
mod popularity;
mod replay;
pub mod rows;
mod trace;

pub use arrivals::{Arrivals, RatePattern};
pub use feed::{Feed, NewRequest, RequestSource, THREADED_FROM};
pub use popularity::{Alias, Law, PopularitySampler, Zipf, ALIAS_MAX};
pub use replay::{Recorded, ReplayLog, Replayer, Seconds, LOG_COLUMNS, TIMESTAMP_COLUMNS};
pub use trace::{RateTrace, TIME_COLUMNS};
