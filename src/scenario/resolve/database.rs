//! `Database` components: connections, replicas, shards, the pooler in
//! front, and a copy per region.

use super::checks::{check_count, check_nonzero, sizes};
use super::context::{Context, Problems};
use super::samplers::Stage;
use crate::algo::keyhash::KeyHash;
use crate::cost::PriceTable;
use crate::scenario::plan::{DatabaseSpec, NodeClass, ReadRouting, ShardSpec};
use crate::scenario::schema::{self, ComponentKind};

/// A resolved database and the regions of its extra copies (one per
/// region after the first).
pub(crate) struct Resolved {
    pub(crate) spec: DatabaseSpec,
    pub(crate) extra_regions: Vec<u8>,
}

/// Checks database component `i`, the `logical`-th database, and resolves it.
pub(crate) fn resolve(
    cx: &mut Context,
    i: usize,
    logical: usize,
    db: &schema::Database,
) -> Resolved {
    let at = |f: &str| format!("components[{i}].{f}");
    let name = db.name.as_str();
    let p = &mut cx.problems;
    check_count(
        p,
        at("connections"),
        Some(name),
        "connections",
        db.connections,
        sizes(),
    );
    let mut in_regions: Vec<u8> = Vec::new();
    for (j, r) in db.regions.iter().enumerate() {
        let path = at(&format!("regions[{j}]"));
        if let Some(r) = cx.region(path.clone(), r) {
            if in_regions.contains(&r) {
                cx.problems
                    .add(path, "a database has at most one copy per region");
            } else {
                in_regions.push(r);
            }
        }
    }
    let p = &mut cx.problems;
    check_count(
        p,
        at("replicas"),
        Some(name),
        "replicas",
        db.replicas,
        0..=64,
    );
    // Checked only when given: by default replicas copy `connections`, already checked.
    if let Some(c) = db.replica_connections {
        check_count(
            p,
            at("replica_connections"),
            Some(name),
            "replica_connections",
            c,
            sizes(),
        );
    }
    if db.replicas == 0 && db.replication_lag.is_some() {
        p.add_at(
            at("replication_lag"),
            "a replication lag needs replicas: set replicas to 1 or more",
            name,
        );
    }
    if db.cross_region_lag.is_some() && in_regions.len() < 2 {
        p.add_at(
            at("cross_region_lag"),
            "a cross-region lag needs copies in two or more regions: list them in `regions`",
            name,
        );
    }
    if let Some(t) = db.read_your_writes {
        check_nonzero(
            p,
            at("read_your_writes"),
            Some(name),
            t.nanos(),
            "a read-your-writes window must be longer than zero (leave it out for none)",
        );
    }
    if db.max_connections == Some(0) {
        p.add_at(
            at("max_connections"),
            "max_connections must be at least 1 (leave it out for unlimited)",
            name,
        );
    }
    check_bouncer(p, i, db);
    let shards = db.shards.as_ref().map(|x| shard_layout(p, i, name, x));
    let lag = db
        .replication_lag
        .as_ref()
        .and_then(|d| cx.samplers.add(Stage::Lag, &at("replication_lag"), d));
    let cross_region_lag = db
        .cross_region_lag
        .as_ref()
        .and_then(|d| cx.samplers.add(Stage::Lag, &at("cross_region_lag"), d));
    let (class, replica_class) = if db.sized_by_class {
        node_classes(cx, i, db)
    } else {
        (None, None)
    };
    let data = super::data_size::resolve(cx, i, db, (class.as_ref(), replica_class.as_ref()));
    let shard_count = db.shards.as_ref().map_or(1, |x| x.count);
    let max_connections = db.max_connections.or_else(|| {
        class
            .as_ref()
            .map(|c| rds_max_connections(c.memory_mib).saturating_mul(shard_count))
    });
    let spec = DatabaseSpec {
        name: match (in_regions.first(), &cx.regions) {
            (Some(&r), Some(rs)) => format!("{name}@{}", rs.names[r as usize]),
            _ => db.name.clone(),
        },
        connections: db.connections,
        queue_limit: db.queue_limit,
        region: in_regions.first().copied(),
        copies: if in_regions.is_empty() {
            Vec::new()
        } else {
            vec![logical]
        },
        replicas: db.replicas,
        replica_connections: db.replica_connections.unwrap_or(db.connections),
        reads: match db.reads {
            schema::ReadRouting::RoundRobin => ReadRouting::RoundRobin,
            schema::ReadRouting::LeastLoaded => ReadRouting::LeastLoaded,
            schema::ReadRouting::Primary => ReadRouting::Primary,
        },
        lag,
        writer: logical,
        cross_region_lag,
        read_your_writes: db.read_your_writes.map(|t| t.nanos()),
        max_connections,
        bouncer: db.pgbouncer.as_ref().map(|b| b.pool_size),
        shards,
        class,
        replica_class,
        data,
    };
    Resolved {
        spec,
        extra_regions: in_regions.into_iter().skip(1).collect(),
    }
}

/// RDS PostgreSQL's default `max_connections`,
/// `LEAST({DBInstanceClassMemory/9531392}, 5000)` (the division truncates).
/// DBInstanceClassMemory is the class memory less what the OS and RDS
/// reserve; it is taken as the class's GiB figure in decimal bytes
/// (GiB x 10^9), as AWS's own worked example does (15.25 GiB -> 1600):
/// the 7% between GiB and 10^9 bytes stands for the reserve.
pub(crate) fn rds_max_connections(memory_mib: f64) -> u32 {
    let class_memory = memory_mib / 1024.0 * 1e9;
    ((class_memory / 9_531_392.0).floor() as u32).min(5000)
}

/// The classes of a database sized by its class: its primaries' (`class`,
/// or the table's default) and its replicas' (`replica_class`, or the
/// primaries'). A priced class without vCPUs and memory is a problem
/// naming it; an unpriced one is `cost::check`'s.
fn node_classes(
    cx: &mut Context,
    i: usize,
    db: &schema::Database,
) -> (Option<NodeClass>, Option<NodeClass>) {
    let Ok(table) = crate::cost::table_for(cx.scenario.prices.as_ref()) else {
        return (None, None); // an unknown table is cost::check's problem
    };
    let primary = db
        .class
        .as_ref()
        .map_or(("sized_by_class", &table.default_database), |c| {
            ("class", c)
        });
    let replica = db
        .replica_class
        .as_ref()
        .map_or(primary, |c| ("replica_class", c));
    let mut find = |(field, name): (&str, &String)| {
        node_class(
            &mut cx.problems,
            &table,
            format!("components[{i}].{field}"),
            &db.name,
            name,
        )
    };
    let class = find(primary);
    let replica_class = if db.replicas > 0 {
        find(replica)
    } else {
        class.clone()
    };
    (class, replica_class)
}

/// Class `name`'s capacity from `table`, or a problem at `path`.
fn node_class(
    p: &mut Problems,
    table: &PriceTable,
    path: String,
    db: &str,
    name: &str,
) -> Option<NodeClass> {
    if let Some(c) = table.database_class(name) {
        if c.vcpus == 0 || !(c.memory.is_finite() && c.memory > 0.0) {
            p.add_at(
                path,
                format!(
                    "database class `{name}` needs at least 1 vCPU and some memory to size `{db}`"
                ),
                db,
            );
            return None;
        }
        return Some(NodeClass {
            name: name.to_owned(),
            vcpus: c.vcpus,
            memory_mib: c.memory,
        });
    }
    if table.databases.contains_key(name) {
        p.add_at(
            path,
            format!(
                "database class `{name}` has a price but no vCPUs and memory in price table `{}`, and `sized_by_class` needs them: add them under prices.database_classes, e.g. \"{name}\": (vcpus: 4, memory: \"16Gi\")",
                table.name
            ),
            db,
        );
    }
    None
}

/// The PgBouncer pool must fit under `max_connections` on every shard.
fn check_bouncer(p: &mut Problems, i: usize, db: &schema::Database) {
    let Some(b) = &db.pgbouncer else { return };
    let at = format!("components[{i}].pgbouncer.pool_size");
    let shard_count = db.shards.as_ref().map_or(1, |x| x.count);
    if !check_count(
        p,
        at.clone(),
        Some(&db.name),
        "pool_size",
        b.pool_size,
        sizes(),
    ) {
        return;
    }
    if let Some(m) = db.max_connections {
        let total = u64::from(b.pool_size) * u64::from(shard_count);
        if total > u64::from(m) {
            p.add_at(at, format!("pgbouncer.pool_size ({}) x {shard_count} shard(s) = {total} exceeds max_connections ({m}); PgBouncer would be refused connections", b.pool_size), &db.name);
        }
    }
}

/// The shard layout.
fn shard_layout(p: &mut Problems, i: usize, name: &str, x: &schema::Shards) -> ShardSpec {
    let at = |f: &str| format!("components[{i}].{f}");
    check_count(
        p,
        at("shards.count"),
        Some(name),
        "shards.count",
        x.count,
        1..=1024,
    );
    if x.layout == schema::ShardLayout::Ranges && x.count > 256 {
        p.add_at(
            at("shards.count"),
            format!("a Ranges layout splits the first digest byte: at most 256 shards, not {} (use the Ring layout for more)", x.count),
            name,
        );
    }
    check_count(
        p,
        at("shards.vnodes"),
        Some(name),
        "shards.vnodes",
        x.vnodes,
        1..=10_000,
    );
    ShardSpec {
        count: x.count,
        vnodes: x.vnodes,
        by_tenant: x.by == schema::ShardKey::Tenant,
        ranges: x.layout == schema::ShardLayout::Ranges,
        hash: match x.hash {
            schema::ShardHash::XxHash64 => KeyHash::XxHash64,
            schema::ShardHash::Md5 => KeyHash::Md5,
        },
    }
}

/// Adds the extra copies of each database (one per region after its
/// first) after the databases the scenario names, links every copy of a
/// database to the others and names the one that takes the writes (in the
/// primary region, or the first listed). A copy's replicas lag behind it as
/// the named database's replicas do. `extra[l]`: the regions of database `l`'s copies.
pub(crate) fn add_copies(cx: &Context, databases: &mut Vec<DatabaseSpec>, extra: &[Vec<u8>]) {
    let named = databases.len();
    for (logical, regions) in extra.iter().enumerate() {
        for &r in regions {
            let copy = databases.len();
            let base = cx.names_of(ComponentKind::Database)[logical];
            let region_name = cx
                .regions
                .as_ref()
                .map_or("", |rs| rs.names[r as usize].as_str());
            let mut spec = databases[logical].clone();
            spec.name = format!("{base}@{region_name}");
            spec.region = Some(r);
            spec.copies = Vec::new();
            databases.push(spec);
            databases[logical].copies.push(copy);
        }
    }
    let primary = cx.regions.as_ref().map(|rs| rs.primary);
    for l in 0..named {
        let copies = databases[l].copies.clone();
        let writer = copies
            .iter()
            .copied()
            .find(|&c| databases[c].region == primary)
            .unwrap_or(l);
        for &c in &copies {
            databases[c].copies = copies.clone();
            databases[c].writer = writer;
        }
    }
}
