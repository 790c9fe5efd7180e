//! Cost: price tables, the checks of a scenario's prices, and the bill of
//! what a run actually used.
//!
//! ```text
//! Scenario ─Pricing::of (table, sizes, classes, schedules; each component's
//!           │            index in its family) ─┐
//!           ▼                                  ├─▶ Pricing::bill ─▶ CostReport (report/bill)
//! Report ───Usage::from_report (by index) ─────┘    per hour · per month (730 h)
//!                                                   · per million requests
//! ```
//!
//! Names are resolved once, in [`Pricing::of`]; billing reads the usage of
//! deployment, CDN and queue `i` at index `i` (the order of the plan's and
//! the report's lists), never by name.
//!
//! Cost accrues from [`Usage`]: pod-seconds per deployment split on-demand /
//! spot (from the run's scaling report, so they follow the autoscaler and the
//! nodes pods ran on), CDN and queue traffic at the measured rate, and the
//! requests served; databases, caches, balancers and Redis nodes are billed
//! per node-hour while they run. Schedules scale the monthly figures.

mod check;
mod prices;
mod pricing;
mod usage;

/// The objective, a field of the scenario; its type lives with the reports
/// that are judged against it.
pub use crate::report::Slo;
pub use check::check;
pub use prices::{bundled, InstancePrice, PriceTable, DEFAULT_TABLE, TABLES};
pub use pricing::Pricing;
pub use usage::{CdnUsage, Usage};

use crate::report::CostReport;
use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Hours in the billing month every monthly figure uses.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// Which price table, and overrides of its entries.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceSpec {
    /// A bundled table (`aws-2025-01`, `gcp-2025-01`); default `aws-2025-01`.
    #[serde(default)]
    pub table: Option<String>,
    /// Instance size -> prices, added to or replacing the table's.
    #[serde(default, deserialize_with = "crate::scenario::unique::map")]
    pub instances: BTreeMap<String, InstancePrice>,
    /// Database class -> USD per hour.
    #[serde(default, deserialize_with = "crate::scenario::unique::map")]
    pub databases: BTreeMap<String, f64>,
    /// Cache node class -> USD per hour (shared caches, Redis-backed queues).
    #[serde(default)]
    pub cache_nodes: BTreeMap<String, f64>,
    /// Load balancer USD per hour.
    #[serde(default)]
    pub load_balancer_hour: Option<f64>,
}

/// Hours a deployment or environment is switched off, every day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// Daily off window "HH:MM-HH:MM" (may wrap midnight, e.g. "19:00-07:00").
    pub off: String,
    /// Also off all Saturday and Sunday.
    #[serde(default)]
    pub weekends: bool,
}

impl Schedule {
    /// Fraction of the week the thing runs (0..1).
    pub fn on_fraction(&self) -> Result<f64, CostError> {
        let (a, b) = self
            .off
            .split_once('-')
            .ok_or_else(|| CostError::OffWindow(self.off.clone()))?;
        let minutes = |t: &str| -> Result<u32, CostError> {
            let (h, m) = t
                .trim()
                .split_once(':')
                .ok_or_else(|| CostError::TimeOfDay(t.to_owned()))?;
            let (h, m): (u32, u32) = (
                h.parse().map_err(|_| CostError::Hour(t.to_owned()))?,
                m.parse().map_err(|_| CostError::Minute(t.to_owned()))?,
            );
            if h > 24 || m > 59 || h * 60 + m > 1440 {
                return Err(CostError::TimeRange(t.to_owned()));
            }
            Ok(h * 60 + m)
        };
        let (a, b) = (minutes(a)?, minutes(b)?);
        let off_minutes = if b >= a { b - a } else { 1440 - a + b };
        let weekday_on = 1.0 - off_minutes as f64 / 1440.0;
        let days_on = if self.weekends { 5.0 } else { 7.0 };
        Ok(weekday_on * days_on / 7.0)
    }
}

/// The price table a scenario uses: the named bundled table with the
/// scenario's overrides applied.
pub fn table_for(s: &Scenario) -> Result<PriceTable, CostError> {
    let spec = s.prices.clone().unwrap_or_default();
    let name = spec.table.as_deref().unwrap_or(DEFAULT_TABLE);
    let mut t = bundled(name).ok_or_else(|| CostError::UnknownTable(name.to_owned()))?;
    t.instances.extend(spec.instances);
    t.databases.extend(spec.databases);
    t.cache_nodes.extend(spec.cache_nodes);
    if let Some(lb) = spec.load_balancer_hour {
        t.load_balancer_hour = lb;
        t.note.push_str("; load balancer price overridden");
    }
    Ok(t)
}

/// Prices `usage` for scenario `s`: [`Pricing::of`] then [`Pricing::bill`].
pub fn cost(s: &Scenario, usage: &Usage) -> Result<CostReport, CostError> {
    Ok(Pricing::of(s)?.bill(usage))
}

/// Why a scenario could not be priced.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CostError {
    /// A schedule's off window is not `HH:MM-HH:MM`.
    #[error("`{0}`: expected HH:MM-HH:MM, e.g. 19:00-07:00")]
    OffWindow(String),
    /// A time of day is not `HH:MM`.
    #[error("`{0}`: expected HH:MM")]
    TimeOfDay(String),
    /// The hour of a time of day is not a number.
    #[error("`{0}`: bad hour")]
    Hour(String),
    /// The minute of a time of day is not a number.
    #[error("`{0}`: bad minute")]
    Minute(String),
    /// A time of day is past 24:00 or has more than 59 minutes.
    #[error("`{0}`: hours are 00..24, minutes 00..59")]
    TimeRange(String),
    /// No bundled price table has this name.
    #[error("no bundled price table `{0}`; the tables are: {tables}", tables = TABLES.join(", "))]
    UnknownTable(String),
    /// The price table has no price for this instance size or node class.
    #[error("{what} `{name}` is not in price table `{table}`")]
    NotPriced {
        /// What was looked up: `instance`, `database class`, `cache node`.
        what: &'static str,
        /// Its name.
        name: String,
        /// The table.
        table: String,
    },
}
