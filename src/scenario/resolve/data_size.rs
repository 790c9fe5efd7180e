//! A database's `data_size` and `storage`: the data on pages, each node's
//! buffer cache (sized from its class's memory) and storage volume (its
//! IOPS, throughput and read latency); then, once the workload's keys are
//! resolved, each cache's characteristic time by Che's approximation.

use super::checks::number;
use super::context::Context;
use super::samplers::Stage;
use crate::algo::Nanos;
use crate::scenario::plan::{
    BufferCache, DataSpec, DatabaseSpec, NodeClass, StorageBilled, VolumeSpec,
};
use crate::scenario::schema::{self, Dist, VolumeType};
use crate::scenario::units::{Duration, Size};
use crate::workload::PopularitySampler;

/// PostgreSQL's block size, the default page.
const DEFAULT_PAGE: u64 = 8 << 10;
/// The share of memory caching pages by default: `effective_cache_size`
/// at 75% of memory, as RDS's parameter group and PostgreSQL's tuning
/// guides set it (shared_buffers plus the OS page cache).
const DEFAULT_CACHE_SHARE: f64 = 0.75;
const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;
/// RDS stripes a gp3 volume from this size up, raising its baseline.
const GP3_STRIPED_FROM: u64 = 400 * GIB;
/// Most IOPS and throughput (MiB/s) of a gp3 and an io2 volume on RDS.
const GP3_MAX: (u32, u64) = (64_000, 4_000);
const IO2_MAX: (u32, u64) = (256_000, 4_000);

/// What a node's volume provides and what of it is included in the price.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Volume {
    pub(crate) kind: VolumeType,
    pub(crate) iops: u32,
    pub(crate) throughput: u64,
    pub(crate) included_iops: u32,
    pub(crate) included_throughput: u64,
}

/// gp3's baseline on RDS: 3,000 IOPS and 125 MiB/s, 12,000 and 500 MiB/s
/// from 400 GiB (RDS stripes the volume over four).
fn gp3_baseline(bytes: u64) -> (u32, u64) {
    if bytes >= GP3_STRIPED_FROM {
        (12_000, 500 * MIB)
    } else {
        (3_000, 125 * MIB)
    }
}

/// The volume of a node holding `bytes`, or why `storage` cannot be one.
pub(crate) fn volume(storage: &schema::Storage, bytes: u64) -> Result<Volume, (String, String)> {
    let throughput = storage.throughput.map(|t| t.0);
    match storage.volume {
        VolumeType::Gp3 => {
            let (base_iops, base_tp) = gp3_baseline(bytes);
            let iops = storage.iops.unwrap_or(base_iops);
            let tp = throughput.unwrap_or(base_tp);
            if iops < base_iops || iops > GP3_MAX.0 {
                return Err((
                    "iops".into(),
                    format!(
                    "a gp3 volume of {} has from {base_iops} (its baseline) to {} IOPS, not {iops}",
                    Size(bytes), GP3_MAX.0
                ),
                ));
            }
            if tp < base_tp || tp > GP3_MAX.1 * MIB {
                return Err((
                    "throughput".into(),
                    format!(
                        "a gp3 volume of {} has from {} (its baseline) to {}Mi per second, not {}",
                        Size(bytes),
                        Size(base_tp),
                        GP3_MAX.1,
                        Size(tp)
                    ),
                ));
            }
            Ok(Volume {
                kind: VolumeType::Gp3,
                iops,
                throughput: tp,
                included_iops: base_iops,
                included_throughput: base_tp,
            })
        }
        VolumeType::Io2 => {
            let Some(iops) = storage.iops else {
                return Err((
                    "iops".into(),
                    "an io2 volume needs its provisioned `iops` (e.g. iops: 10000)".into(),
                ));
            };
            if !(1_000..=IO2_MAX.0).contains(&iops) {
                return Err((
                    "iops".into(),
                    format!(
                        "an io2 volume has from 1000 to {} IOPS, not {iops}",
                        IO2_MAX.0
                    ),
                ));
            }
            let tp = throughput.unwrap_or(IO2_MAX.1 * MIB);
            if tp == 0 || tp > IO2_MAX.1 * MIB {
                return Err((
                    "throughput".into(),
                    format!(
                        "an io2 volume has up to {}Mi per second, not {}",
                        IO2_MAX.1,
                        Size(tp)
                    ),
                ));
            }
            Ok(Volume {
                kind: VolumeType::Io2,
                iops,
                throughput: tp,
                included_iops: 0,
                included_throughput: tp,
            })
        }
    }
}

/// The bytes each node of `db` holds: its data over its shards.
pub(crate) fn bytes_per_node(db: &schema::Database) -> Option<u64> {
    let shards = db.shards.as_ref().map_or(1, |s| u64::from(s.count.max(1)));
    db.data_size.map(|d| d.0.div_ceil(shards))
}

/// How each node's volume of `db` is billed, with a data size (checked:
/// a volume the resolver refuses never reaches billing).
pub(crate) fn billed(db: &schema::Database) -> Option<StorageBilled> {
    let bytes = bytes_per_node(db)?;
    let v = volume(&db.storage.clone().unwrap_or_default(), bytes).ok()?;
    Some(StorageBilled {
        kind: v.kind,
        gib: bytes as f64 / GIB as f64,
        extra_iops: v.iops.saturating_sub(v.included_iops),
        extra_mibps: v.throughput.saturating_sub(v.included_throughput) as f64 / MIB as f64,
    })
}

/// The default read latency of a volume type: gp3's single-digit
/// milliseconds at a median near 0.6 ms, io2's sub-millisecond.
fn default_latency(kind: VolumeType) -> Dist {
    let ms = |x: f64| Duration(Nanos::from_nanos((x * 1e6) as u64));
    match kind {
        VolumeType::Gp3 => Dist::Lognormal {
            median: ms(0.6),
            p99: ms(2.0),
        },
        VolumeType::Io2 => Dist::Lognormal {
            median: ms(0.3),
            p99: ms(1.0),
        },
    }
}

/// Checks database component `i`'s data and storage and resolves them
/// (the caches' characteristic times come later, from [`fit_caches`]).
pub(crate) fn resolve(
    cx: &mut Context,
    i: usize,
    db: &schema::Database,
    classes: (Option<&NodeClass>, Option<&NodeClass>),
) -> Option<DataSpec> {
    let at = |f: &str| format!("components[{i}].{f}");
    let Some(data) = db.data_size else {
        if db.storage.is_some() {
            cx.problems.add_at(at("storage"), "`storage` describes the volume of a `data_size`: give the database its data_size (e.g. data_size: \"100Gi\")", &db.name);
        }
        return None;
    };
    let storage = db.storage.clone().unwrap_or_default();
    let p = &mut cx.problems;
    let mut ok = true;
    if data.0 == 0 {
        p.add_at(
            at("data_size"),
            "data_size must be more than 0 bytes",
            &db.name,
        );
        ok = false;
    }
    if !db.sized_by_class {
        p.add_at(at("data_size"), "a data size needs the node's memory for its buffer cache: set sized_by_class: true (the class's memory then caches pages)", &db.name);
        ok = false;
    }
    if cx.scenario.workload.keys.is_none() {
        p.add_at(at("data_size"), "a data size is spread over the workload's keys: give workload.keys (e.g. keys: (count: 1000000, popularity: Zipf(0.9)))", &db.name);
        ok = false;
    }
    let page = storage.page_size.map_or(DEFAULT_PAGE, |s| s.0);
    if !(512..=(1 << 20)).contains(&page) {
        p.add(
            at("storage.page_size"),
            format!(
                "page_size must be from 512 to 1Mi bytes, not {}",
                Size(page)
            ),
        );
        ok = false;
    }
    let share = storage.cache_share.unwrap_or(DEFAULT_CACHE_SHARE);
    if !(share.is_finite() && share > 0.0 && share <= 1.0) {
        p.add(at("storage.cache_share"), format!("cache_share is the share of memory caching pages: more than 0 and at most 1, not {}", number(share)));
        ok = false;
    }
    let per_node = bytes_per_node(db).unwrap_or(0);
    let volume = match volume(&storage, per_node) {
        Ok(v) => Some(v),
        Err((field, message)) => {
            p.add(at(&format!("storage.{field}")), message);
            None
        }
    };
    let kind = storage.volume;
    let latency = match &storage.read_latency {
        Some(d) => cx.samplers.add(Stage::Lag, &at("storage.read_latency"), d),
        None => cx
            .samplers
            .add(Stage::Lag, &at("storage"), &default_latency(kind)),
    };
    let (Some(volume), Some(latency), (Some(primary), Some(replica)), true) =
        (volume, latency, classes, ok)
    else {
        return None;
    };
    let cache = |c: &NodeClass| BufferCache {
        pages: c.memory_mib * MIB as f64 * share / page as f64,
        characteristic: f64::INFINITY,
        hit_ratio: 1.0,
    };
    let keys = cx.scenario.workload.keys.as_ref().map_or(1, |k| k.count);
    let per_read = |rate: f64| Nanos::from_nanos((1e9 / rate).ceil() as u64);
    Some(DataSpec {
        bytes: data.0,
        page_size: page,
        pages_per_key: data.0 as f64 / keys as f64 / page as f64,
        keys: crate::workload::Law::Uniform { n: keys },
        primary: cache(primary),
        replica: cache(replica),
        volume: VolumeSpec {
            kind,
            iops: volume.iops,
            throughput: volume.throughput,
            included_iops: volume.included_iops,
            included_throughput: volume.included_throughput,
            read_interval: per_read(f64::from(volume.iops))
                .max(per_read(volume.throughput as f64 / page as f64)),
            latency,
        },
    })
}

/// Gives each database with data its keys' law (from the workload's
/// resolved `keys`) and each buffer cache its characteristic time and Che
/// hit ratio. A database's `s` shards each cache `pages` of the keys that
/// hash to them, so the database as a whole caches `s · pages` over all its
/// keys: keys spread evenly over shards, the characteristic time is the
/// same.
pub(crate) fn fit_caches(databases: &mut [DatabaseSpec], keys: Option<&PopularitySampler>) {
    let Some(keys) = keys else { return };
    for db in databases {
        let shards = db.shards.map_or(1.0, |s| f64::from(s.count));
        let Some(data) = &mut db.data else { continue };
        data.keys = keys.law();
        let m = data.pages_per_key;
        for cache in [&mut data.primary, &mut data.replica] {
            let law = &data.keys;
            let held = |t: f64| {
                law.sum(|p| {
                    if p > 0.0 {
                        m * -libm::expm1(-p * t / m)
                    } else {
                        0.0
                    }
                })
            };
            let t = crate::algo::che::characteristic_time(held, cache.pages * shards);
            cache.characteristic = t;
            cache.hit_ratio = if t.is_infinite() {
                1.0
            } else {
                law.sum(|p| p * -libm::expm1(-p * t / m))
            };
        }
    }
}
