//! What a scenario says about money: which price table with which
//! overrides, and the hours things are switched off. `cost` prices a plan
//! with them; validation checks them (`cost::check`).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Hourly price of one instance size.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InstancePrice {
    /// On-demand USD per instance-hour.
    pub on_demand: f64,
    /// Spot USD per instance-hour.
    pub spot: f64,
}

/// Which price table, and overrides of its entries.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceSpec {
    /// A bundled table (`aws-2025-01`, `gcp-2025-01`); default `aws-2025-01`.
    #[serde(default)]
    pub table: Option<String>,
    /// Instance size -> prices, added to or replacing the table's.
    #[serde(default, deserialize_with = "super::unique::map")]
    pub instances: BTreeMap<String, InstancePrice>,
    /// Database class -> USD per hour.
    #[serde(default, deserialize_with = "super::unique::map")]
    pub databases: BTreeMap<String, f64>,
    /// Cache node class -> USD per hour (shared caches, Redis-backed queues).
    #[serde(default)]
    pub cache_nodes: BTreeMap<String, f64>,
    /// Load balancer USD per hour.
    #[serde(default)]
    pub load_balancer_hour: Option<f64>,
    /// Database class -> vCPUs and memory, added to or replacing the
    /// table's: what a class is when a database is `sized_by_class`.
    #[serde(
        default,
        deserialize_with = "super::unique::map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub database_classes: BTreeMap<String, DatabaseClass>,
}

/// The capacity of a database class: its vCPUs and memory.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DatabaseClass {
    /// vCPUs: queries of a database sized by its class share them.
    pub vcpus: u32,
    /// Memory, MiB or a quantity (`"16Gi"`): sets `max_connections`' default.
    #[serde(deserialize_with = "super::units::mib_given")]
    #[schemars(with = "super::units::Mebibytes")]
    pub memory: f64,
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
    pub fn on_fraction(&self) -> Result<f64, ScheduleError> {
        let (a, b) = self
            .off
            .split_once('-')
            .ok_or_else(|| ScheduleError::OffWindow(self.off.clone()))?;
        let minutes = |t: &str| -> Result<u32, ScheduleError> {
            let (h, m) = t
                .trim()
                .split_once(':')
                .ok_or_else(|| ScheduleError::TimeOfDay(t.to_owned()))?;
            let (h, m): (u32, u32) = (
                h.parse().map_err(|_| ScheduleError::Hour(t.to_owned()))?,
                m.parse().map_err(|_| ScheduleError::Minute(t.to_owned()))?,
            );
            if h > 24 || m > 59 || h * 60 + m > 1440 {
                return Err(ScheduleError::TimeRange(t.to_owned()));
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

/// Why a schedule's off window cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ScheduleError {
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
}
