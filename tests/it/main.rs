//! scaletwin's integration tests: one binary, a module per concern.

mod algo_backoff;
mod algo_balance;
mod algo_breaker;
mod algo_cache;
mod algo_hpa;
mod algo_keyhash;
mod algo_limiter;
mod algo_ring;
mod autoscale;
mod backtest;
mod bad_input;
mod blow_up;
mod calibrate;
mod calibrate_workload;
mod calls;
mod cdn_classes;
mod cdn_pops;
mod cli;
mod cluster_sweep;
mod cost_bill;
mod data_size;
mod data_tier;
mod db_class;
mod determinism;
mod edge;
mod endpoint_limits;
mod faults;
mod flags;
mod fuzz_scenarios;
mod held_time;
mod import_k8s;
mod import_otlp;
mod job_locks;
mod jobs;
mod output_paths;
mod periodic;
mod plan;
mod pod_cpu;
mod pod_memory;
mod pool_timeouts;
mod precision;
mod probes;
mod queue_autoscale;
mod queueing;
mod recordings;
mod redis_shared;
mod regions;
mod report_index;
mod report_sets;
mod rollout;
mod round_trips;
mod schema;
mod set_values;
mod sli;
mod stages;
mod stats;
mod tables;
mod testbed_twin;
mod zones;

use proptest::test_runner::Config;
use scaletwin::scenario::schema::Component;
use scaletwin::scenario::{parse, units::Duration, validate, Scenario};
use scaletwin::Report;

/// Property-test settings shared by the modules: few cases so the suite
/// stays fast on two cores; failures are saved as regression files.
pub(crate) fn cases(n: u32) -> Config {
    Config {
        cases: n,
        ..Config::default()
    }
}

/// Parses, validates and runs a scenario given as text, panicking with the
/// parse error or the problems (and the text).
pub(crate) fn run_text(text: &str) -> Report {
    let s = parse(text, "test.ron").unwrap_or_else(|e| panic!("{e}\n{text}"));
    let plan = validate(&s).unwrap_or_else(|p| panic!("{p:?}\n{text}"));
    scaletwin::simulate(&plan)
}

/// A run report written by the command line, without the provenance the
/// command line adds: the bytes the library gives for the same run.
pub(crate) fn without_provenance(json: &str) -> String {
    let mut r: Report = serde_json::from_str(json).expect("a run report");
    assert!(r.provenance.is_some(), "the command line stamps provenance");
    r.provenance = None;
    r.to_json()
}

/// Validates and runs a scenario.
pub(crate) fn run_scenario(s: &Scenario) -> Report {
    scaletwin::simulate(&validate(s).unwrap())
}

/// A duration written as in a scenario ("30s").
pub(crate) fn d(s: &str) -> Duration {
    Duration::parse(s).unwrap()
}

/// The Deployment named "api" of a scenario.
pub(crate) fn api(s: &mut Scenario) -> &mut Component {
    s.components.iter_mut().find(|c| c.name() == "api").unwrap()
}
