//! Cost: price tables, the checks of a scenario's prices, and the bill of
//! what a run actually used.
//!
//! ```text
//! Plan ─────Pricing::of (the plan's billing: each component's family index,
//!           │            sizes, classes, schedules; priced from the table) ─┐
//!           ▼                                                               ├─▶ Pricing::bill ─▶ CostReport
//! Report ───Usage::from_report (by index) ──────────────────────────────────┘   per hour · per month (730 h)
//!                                                                                · per million requests
//! ```
//!
//! Pricing reads the plan, never the scenario: validation resolved what
//! each component is billed as ([`crate::scenario::BillingSpec`]); billing
//! reads the usage of deployment, CDN and queue `i` at index `i` (the order
//! of the plan's and the report's lists), never by name.
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

pub use check::check;
pub use prices::{
    bundled, cache_node_classes, cache_node_memory_gib, DatabaseClass, InstancePrice, PriceTable,
    DEFAULT_TABLE, TABLES,
};
// Database storage (issue 15.7).
pub use prices::{storage_prices, StoragePrices};
pub use pricing::Pricing;
pub use usage::{CdnUsage, Usage};

use crate::report::CostReport;
use crate::scenario::{Plan, PriceSpec};

/// Hours in the billing month every monthly figure uses.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// The price table a scenario's `prices` name: the bundled table with the
/// overrides applied (the default table without `prices`).
pub fn table_for(prices: Option<&PriceSpec>) -> Result<PriceTable, CostError> {
    let spec = prices.cloned().unwrap_or_default();
    let name = spec.table.as_deref().unwrap_or(DEFAULT_TABLE);
    let mut t = bundled(name).ok_or_else(|| CostError::UnknownTable(name.to_owned()))?;
    t.instances.extend(spec.instances);
    t.databases.extend(spec.databases);
    t.cache_nodes.extend(spec.cache_nodes);
    t.database_classes.extend(spec.database_classes);
    if let Some(lb) = spec.load_balancer_hour {
        t.load_balancer_hour = lb;
        t.note.push_str("; load balancer price overridden");
    }
    Ok(t)
}

/// Prices `usage` of a run of `plan`: [`Pricing::of`] then [`Pricing::bill`].
pub fn cost(plan: &Plan, usage: &Usage) -> Result<CostReport, CostError> {
    Ok(Pricing::of(plan)?.bill(usage))
}

/// Why a scenario could not be priced.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CostError {
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
