//! The offered load: how many requests arrive when, for which endpoint,
//! tenant and key.
//!
//! Arrivals draw from their own random stream, so nothing a component does
//! changes the arrival sequence (common random numbers across architectures).

mod arrivals;
mod feed;
mod popularity;

pub use arrivals::{Arrivals, RatePattern};
pub use feed::{Feed, NewRequest, RequestSource, THREADED_FROM};
pub use popularity::{Alias, PopularitySampler, Zipf, ALIAS_MAX};
