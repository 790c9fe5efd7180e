//! What an architecture costs: the bill `cost` computes from a run, per
//! component and line by line.

use serde::{Deserialize, Serialize};

/// One line of a component's bill: one kind of node or traffic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BillItem {
    /// What is billed, e.g. `primary (us)`, `read replicas`, `egress (eu)`.
    pub item: String,
    /// How it is billed, e.g. `4 x db.r6g.2xlarge` or `12.5 GB/h x $0.085/GB`.
    pub billed_as: String,
    /// USD per hour while running.
    pub per_hour: f64,
    /// USD per month after schedules.
    pub per_month: f64,
}

/// One component's cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComponentCost {
    /// Component name.
    pub name: String,
    /// Component kind, e.g. `Deployment`, `Database`, `Cdn`.
    pub kind: String,
    /// What it is billed as, e.g. `3 x m6i.large` (its items joined).
    pub billed_as: String,
    /// On-demand USD per hour while running.
    pub on_demand_per_hour: f64,
    /// Spot USD per hour while running.
    pub spot_per_hour: f64,
    /// USD per month after its schedule.
    pub per_month: f64,
    /// USD per month saved by its schedule (0 without one).
    pub schedule_savings_per_month: f64,
    /// Its bill, line by line (every node and every kind of traffic).
    pub items: Vec<BillItem>,
}

/// What an architecture costs at the load it ran.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostReport {
    /// Price table used.
    pub table: String,
    /// The table's note (illustrative list prices of a stated date).
    pub note: String,
    /// USD per hour while everything runs.
    pub per_hour: f64,
    /// USD per month (730 h), schedules applied.
    pub per_month: f64,
    /// On-demand part of `per_month`.
    pub on_demand_per_month: f64,
    /// Spot part of `per_month`.
    pub spot_per_month: f64,
    /// USD per month saved by schedules.
    pub schedule_savings_per_month: f64,
    /// USD per million requests served successfully (0 when none was).
    pub per_million_requests: f64,
    /// Per component, in scenario order.
    pub by_component: Vec<ComponentCost>,
    /// What the architecture runs that the model cannot price, and why.
    pub not_billed: Vec<String>,
}
