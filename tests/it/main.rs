//! scaletwin's integration tests: one binary, a module per concern.

mod algo_backoff;
mod algo_balance;
mod algo_breaker;
mod algo_cache;
mod algo_hpa;
mod algo_limiter;
mod algo_ring;
mod autoscale;
mod bad_input;
mod cdn_pops;
mod cli;
mod data_tier;
mod determinism;
mod edge;
mod endpoint_limits;
mod faults;
mod jobs;
mod queue_autoscale;
mod queueing;
mod regions;
mod stages;
mod stats;
mod zones;

use proptest::test_runner::Config;

/// Property-test settings shared by the modules: few cases so the suite
/// stays fast on two cores; failures are saved as regression files.
pub(crate) fn cases(n: u32) -> Config {
    Config {
        cases: n,
        ..Config::default()
    }
}
