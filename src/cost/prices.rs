//! Bundled price tables.
//!
//! ILLUSTRATIVE list prices (USD, Linux, us-east-1 style on-demand and a
//! typical spot discount) as published around 2025-01-01. They are not a
//! quote: prices change and differ by region and contract. Override them per
//! scenario with `prices: (table: "...", instances: {...}, ...)`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The name of the table used when a scenario names none.
pub const DEFAULT_TABLE: &str = "aws-2025-01";

pub use crate::scenario::{DatabaseClass, InstancePrice};

/// A complete price table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PriceTable {
    /// Table name.
    pub name: String,
    /// What the figures are and when they were taken.
    pub note: String,
    /// Instance size -> hourly prices (one pod is billed as one instance of its size).
    pub instances: BTreeMap<String, InstancePrice>,
    /// Managed database class -> USD per hour.
    pub databases: BTreeMap<String, f64>,
    /// Cache node class -> USD per hour.
    pub cache_nodes: BTreeMap<String, f64>,
    /// CDN egress, USD per GB.
    pub cdn_egress_per_gb: f64,
    /// CDN requests, USD per 10,000.
    pub cdn_per_10k_requests: f64,
    /// Queue requests, USD per million.
    pub queue_per_million_requests: f64,
    /// One load balancer, USD per hour (capacity units included at a flat rate).
    pub load_balancer_hour: f64,
    /// The instance size of a deployment that names none.
    pub default_instance: String,
    /// The class of a database that names none.
    pub default_database: String,
    /// The node class a shared cache is billed as.
    #[serde(default)]
    pub default_cache_node: String,
    /// The instance size a PgBouncer host is billed as.
    #[serde(default)]
    pub default_bouncer_instance: String,
    /// Database class -> vCPUs and memory (see [`PriceTable::database_class`]).
    #[serde(default)]
    pub database_classes: BTreeMap<String, DatabaseClass>,
}

fn map<V: Copy>(items: &[(&str, V)]) -> BTreeMap<String, V> {
    items.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

/// The bundled tables' names.
pub const TABLES: [&str; 2] = ["aws-2025-01", "gcp-2025-01"];

/// A bundled table by name.
pub fn bundled(name: &str) -> Option<PriceTable> {
    let ip = |on_demand, spot| InstancePrice { on_demand, spot };
    match name {
        "aws-2025-01" => Some(PriceTable {
            name: name.into(),
            note: "illustrative AWS us-east-1 list prices as of 2025-01-01 (USD); not a quote"
                .into(),
            instances: map(&[
                ("t3.medium", ip(0.0416, 0.0125)),
                ("m6i.large", ip(0.096, 0.0380)),
                ("m6i.xlarge", ip(0.192, 0.0760)),
                ("m6i.2xlarge", ip(0.384, 0.1520)),
                ("m6i.4xlarge", ip(0.768, 0.3040)),
                ("c6i.large", ip(0.085, 0.0340)),
                ("c6i.xlarge", ip(0.170, 0.0680)),
                ("r6i.large", ip(0.126, 0.0500)),
            ]),
            databases: map(&[
                ("db.t3.medium", 0.068),
                ("db.m6g.large", 0.152),
                ("db.r6g.large", 0.225),
                ("db.r6g.xlarge", 0.450),
                ("db.r6g.2xlarge", 0.899),
                ("db.r6g.4xlarge", 1.798),
            ]),
            cache_nodes: map(&[
                ("cache.t3.medium", 0.068),
                ("cache.r6g.large", 0.206),
                ("cache.r6g.xlarge", 0.411),
            ]),
            cdn_egress_per_gb: 0.085,
            cdn_per_10k_requests: 0.0100,
            queue_per_million_requests: 0.40,
            load_balancer_hour: 0.0225 + 0.008 * 10.0,
            default_instance: "m6i.large".into(),
            default_database: "db.r6g.large".into(),
            default_cache_node: "cache.r6g.large".into(),
            default_bouncer_instance: "c6i.large".into(),
            database_classes: aws_database_classes(),
        }),
        "gcp-2025-01" => Some(PriceTable {
            name: name.into(),
            note: "illustrative GCP us-central1 list prices as of 2025-01-01 (USD); not a quote"
                .into(),
            instances: map(&[
                ("e2-medium", ip(0.0335, 0.0101)),
                ("n2-standard-2", ip(0.0971, 0.0235)),
                ("n2-standard-4", ip(0.1942, 0.0470)),
                ("n2-standard-8", ip(0.3885, 0.0940)),
            ]),
            databases: map(&[
                ("db-custom-2-7680", 0.1300),
                ("db-custom-4-15360", 0.2600),
                ("db-custom-8-30720", 0.5200),
            ]),
            cache_nodes: map(&[("memorystore-standard-5gb", 0.1350)]),
            cdn_egress_per_gb: 0.08,
            cdn_per_10k_requests: 0.0075,
            queue_per_million_requests: 0.40,
            load_balancer_hour: 0.025,
            default_instance: "n2-standard-2".into(),
            default_database: "db-custom-2-7680".into(),
            default_cache_node: "memorystore-standard-5gb".into(),
            default_bouncer_instance: "n2-standard-2".into(),
            // GCP custom classes say their size in their name.
            database_classes: BTreeMap::new(),
        }),
        _ => None,
    }
}

/// Memory each bundled cache node class gives Redis, GiB: its `maxmemory`
/// as the provider lists it (ElastiCache node types: cache.t3.medium 3.09,
/// cache.r6g.large 13.07, cache.r6g.xlarge 26.32 GiB; Memorystore's
/// standard 5 GB instance, 5 GiB). ElastiCache's `reserved-memory-percent`
/// is not subtracted: `maxmemory` is what Redis may use for data.
const CACHE_NODE_MEMORY_GIB: [(&str, f64); 4] = [
    ("cache.t3.medium", 3.09),
    ("cache.r6g.large", 13.07),
    ("cache.r6g.xlarge", 26.32),
    ("memorystore-standard-5gb", 5.0),
];

/// The `maxmemory` of cache node class `class`, GiB, if it is a bundled one.
pub fn cache_node_memory_gib(class: &str) -> Option<f64> {
    CACHE_NODE_MEMORY_GIB
        .iter()
        .find(|(name, _)| *name == class)
        .map(|&(_, gib)| gib)
}

/// The cache node classes whose memory is known, for messages.
pub fn cache_node_classes() -> impl Iterator<Item = &'static str> {
    CACHE_NODE_MEMORY_GIB.iter().map(|&(name, _)| name)
}

// ---- Database class capacity (issue 14.3) ----

/// The vCPUs and memory of the AWS table's database classes (RDS
/// instance class specifications: Graviton `r6g` memory-optimised 8 GiB
/// per vCPU, `m6g` general purpose 4 GiB, burstable `t3`).
fn aws_database_classes() -> BTreeMap<String, DatabaseClass> {
    let c = |vcpus, gib: f64| DatabaseClass {
        vcpus,
        memory: gib * 1024.0,
    };
    map(&[
        ("db.t3.medium", c(2, 4.0)),
        ("db.m6g.large", c(2, 8.0)),
        ("db.r6g.large", c(2, 16.0)),
        ("db.r6g.xlarge", c(4, 32.0)),
        ("db.r6g.2xlarge", c(8, 64.0)),
        ("db.r6g.4xlarge", c(16, 128.0)),
    ])
}

impl PriceTable {
    /// The vCPUs and memory of database class `name`: the table's entry
    /// (the scenario's `prices.database_classes` included), else what a
    /// Cloud SQL custom class says in its name (`db-custom-<vCPUs>-<MiB>`).
    pub fn database_class(&self, name: &str) -> Option<DatabaseClass> {
        if let Some(c) = self.database_classes.get(name) {
            return Some(*c);
        }
        let (vcpus, mib) = name.strip_prefix("db-custom-")?.split_once('-')?;
        let (vcpus, mib): (u32, u32) = (vcpus.parse().ok()?, mib.parse().ok()?);
        (vcpus > 0 && mib > 0).then_some(DatabaseClass {
            vcpus,
            memory: f64::from(mib),
        })
    }
}

// ---- Database storage (issue 15.7) ----

/// What a table charges a database node's storage volume, USD per month:
/// per GiB, and per IOPS and MiB/s provisioned beyond what the type includes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StoragePrices {
    /// Per GiB-month of volume.
    pub gib_month: f64,
    /// Per provisioned IOPS-month beyond the included.
    pub iops_month: f64,
    /// Per MiB/s-month of throughput beyond the included.
    pub mibps_month: f64,
}

/// Storage prices of bundled table `table` for volume `kind`: RDS
/// us-east-1 gp3 ($0.115 per GB-month, $0.02 per IOPS-month above 3,000,
/// $0.08 per MiB/s-month above 125) and io2 ($0.125 per GB-month, $0.10
/// per IOPS-month); Cloud SQL SSD storage ($0.17 per GB-month, IOPS
/// included) for either type in the GCP table.
pub fn storage_prices(
    table: &str,
    kind: crate::scenario::schema::VolumeType,
) -> Option<StoragePrices> {
    use crate::scenario::schema::VolumeType;
    let p = |gib_month, iops_month, mibps_month| StoragePrices {
        gib_month,
        iops_month,
        mibps_month,
    };
    match (table, kind) {
        ("aws-2025-01", VolumeType::Gp3) => Some(p(0.115, 0.02, 0.08)),
        ("aws-2025-01", VolumeType::Io2) => Some(p(0.125, 0.10, 0.0)),
        ("gcp-2025-01", _) => Some(p(0.17, 0.0, 0.0)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_carry_their_vcpus_and_memory() {
        let aws = bundled("aws-2025-01").unwrap();
        let spec = |t: &PriceTable, n: &str| t.database_class(n).map(|c| (c.vcpus, c.memory));
        assert_eq!(spec(&aws, "db.t3.medium"), Some((2, 4096.0)));
        assert_eq!(spec(&aws, "db.r6g.2xlarge"), Some((8, 65536.0)));
        // Every priced AWS class has a capacity.
        assert!(aws
            .databases
            .keys()
            .all(|n| aws.database_class(n).is_some()));
        let gcp = bundled("gcp-2025-01").unwrap();
        assert_eq!(spec(&gcp, "db-custom-4-15360"), Some((4, 15360.0)));
        assert!(gcp
            .databases
            .keys()
            .all(|n| gcp.database_class(n).is_some()));
        assert_eq!(spec(&gcp, "db-custom-0-100"), None);
        assert_eq!(spec(&gcp, "on-box"), None);
    }
}
