//! `scaletwin plan`: the cheapest configuration that meets the SLO with 95%
//! confidence, over the search space the scenario declares in `plan: (vary:
//! {path: [values]})`.
//!
//! ```text
//!  plan.vary ─space (each path and value checked; values ordered by capacity)─▶ candidates
//!      │  cost floor of each: nodes by the hour, deployments at their fewest pods
//!      ▼
//!  search, per stage: cheapest floor first ─▶ replications on the stage's seeds
//!      │   (common random numbers: every candidate sees the same arrivals)
//!      │   meets / fails at 95% confidence, or more replications up to a cap
//!      │   fails ─▶ every candidate with no more capacity is pruned
//!      │   meets ─▶ the best so far by billed cost; stop when no floor is below it
//!      ▼
//!  PlanReport: chosen, runners-up, what binds ─render─▶ Markdown · JSON
//! ```
//!
//! The pruning assumes more capacity never breaks an SLO that less capacity
//! met (monotone in every varied path, in the order `space` gives).

mod outcome;
mod render;
mod search;
mod space;

pub use outcome::{Binding, PlanReport, StagePlan, Trial, Verdict};
pub use render::markdown;
pub use search::{plan, Options};
pub use space::{cost_floor, CapacityOrder, Choice, Dimension, Space, EXAMPLE, MAX_CANDIDATES};
