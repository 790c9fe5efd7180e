//! `scaletwin backtest`: drive a scenario with the arrival rate a real
//! system saw, and hold the prediction against what it did.
//!
//! ```text
//! observations ──▶ per interval: arrivals/s per endpoint ──▶ rate trace (CSV)
//!      │                                                        │
//!      │                 scenario + pattern: Trace(rate trace) ◀┘
//!      │                         │ R replications (seeds from the scenario's)
//!      ▼                         ▼
//!  throughput, p50, p99,   predicted per interval: mean and 95% band
//!  errors, replicas, CPU ──▶ compare: MAPE, share inside the band, verdict
//! ```
//!
//! The twin gets only the arrivals; everything else it predicts. The run
//! starts at the first observation with empty queues and cold caches (the
//! real system may have been warm), lasts as many intervals as the data,
//! and has no warm-up, so every interval is compared.

pub mod compare;
pub mod observed;
pub mod render;

use crate::algo::Nanos;
use crate::scenario::schema::{self, ArrivalProcess, Component, Pattern, Scenario};
use crate::scenario::units::Duration;
use compare::Deployments;
use observed::ObservedSeries;
use std::fmt::Write;
use std::path::Path;

/// Why a backtest cannot be set up from the scenario and the observations.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BacktestError(pub String);

/// The arrival rate per interval as a `Trace` CSV: `time` and one column
/// per endpoint (an `rps` column when the data name no endpoint). Fails
/// when the data name an endpoint the scenario does not have.
pub fn rate_trace(observed: &ObservedSeries, endpoints: &[&str]) -> Result<String, BacktestError> {
    trace_text(observed, endpoints).map_err(BacktestError)
}

fn trace_text(observed: &ObservedSeries, endpoints: &[&str]) -> Result<String, String> {
    let mut names: Vec<String> = observed
        .rows
        .iter()
        .flat_map(|r| r.arrivals.keys().cloned())
        .collect();
    names.sort();
    names.dedup();
    if let Some(unknown) = names
        .iter()
        .find(|n| !n.is_empty() && !endpoints.contains(&n.as_str()))
    {
        return Err(format!(
            "the observations name endpoint `{unknown}`, which the scenario does not have; its endpoints: {}",
            endpoints.join(", ")
        ));
    }
    let unnamed = names.iter().any(String::is_empty);
    let named: Vec<&String> = names.iter().filter(|n| !n.is_empty()).collect();
    let mut csv = String::from("time");
    if unnamed || named.is_empty() {
        csv.push_str(",rps");
    }
    for n in &named {
        let _ = write!(csv, ",{n}");
    }
    csv.push('\n');
    for (k, r) in observed.rows.iter().enumerate() {
        let _ = write!(csv, "{}", k as f64 * observed.interval_s);
        if unnamed || named.is_empty() {
            let _ = write!(csv, ",{}", r.arrivals.values().sum::<f64>());
        }
        for n in &named {
            let _ = write!(csv, ",{}", r.arrivals.get(*n).copied().unwrap_or(0.0));
        }
        csv.push('\n');
    }
    Ok(csv)
}

/// `scenario` driven by the rate trace in `trace_file`: `users × rps_per_user`
/// is 1 so the run offers the recorded rate; it lasts the observed
/// intervals, with the observed interval and no warm-up.
pub fn driven(
    scenario: &Scenario,
    observed: &ObservedSeries,
    trace_file: &Path,
) -> Result<Scenario, String> {
    if matches!(scenario.workload.arrivals, ArrivalProcess::Replay { .. }) {
        return Err("workload.arrivals: a backtest drives the scenario with the observed rate; use Poisson arrivals (leave out `arrivals`)".into());
    }
    let mut s = scenario.clone();
    s.workload.users = 1.0;
    s.workload.rps_per_user = 1.0;
    s.workload.pattern = Pattern::Trace {
        file: trace_file.display().to_string(),
    };
    let interval = Nanos::from_secs_f64(observed.interval_s);
    s.run.interval = Duration(interval);
    s.run.duration = Duration(Nanos(interval.0 * observed.rows.len() as u64));
    s.run.warmup = Duration(Nanos::ZERO);
    Ok(s)
}

/// The deployments whose replicas and CPU are compared: `only`, or all;
/// with each one's CPU request per pod (cores, default 1). A pod's CPU in
/// use is its share of busy worker slots times its request, as the
/// simulated HPA measures it.
pub fn deployments(scenario: &Scenario, only: Option<&str>) -> Result<Deployments, BacktestError> {
    deployments_of(scenario, only).map_err(BacktestError)
}

fn deployments_of(scenario: &Scenario, only: Option<&str>) -> Result<Deployments, String> {
    let all: Vec<(String, f64)> = scenario
        .components
        .iter()
        .filter_map(|c| match c {
            Component::Deployment(schema::Deployment {
                name, resources, ..
            }) => Some((
                name.clone(),
                resources.as_ref().and_then(|r| r.cpu).unwrap_or(1.0),
            )),
            _ => None,
        })
        .collect();
    let cpu_request = match only {
        None => all,
        Some(name) => {
            let one: Vec<_> = all.iter().filter(|d| d.0 == name).cloned().collect();
            if one.is_empty() {
                return Err(format!(
                    "`{name}` is not a Deployment of the scenario; deployments: {}",
                    all.iter()
                        .map(|d| d.0.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            one
        }
    };
    Ok(Deployments { cpu_request })
}
