//! A ladder stage's populations: the users of the stage, and tenants and
//! keys grown in proportion to them from the counts the scenario declares
//! at its own `workload.users` (unless `ladder.scale_populations` is
//! false), with a stage's `ladder.populations` counts taking precedence.
//! A database's `data_size` follows its keys: each key keeps its pages.

use crate::scenario::schema::{Component, Population};
use crate::scenario::units::Size;
use crate::scenario::Scenario;

/// `s` at stage `name` with `users` active users, its tenants and keys
/// sized for them (`scale`: grow them with the users; `compare` without
/// `--stages` keeps them as written).
pub fn at_stage(s: &Scenario, name: &str, users: f64, scale: bool) -> Scenario {
    let mut out = s.clone();
    out.workload.users = users;
    let ladder = s.ladder.as_ref();
    let grow = scale && ladder.is_none_or(|l| l.scale_populations);
    let factor = users / s.workload.users;
    let own = ladder.and_then(|l| l.populations.get(name));
    let size = |p: &mut Option<Population>, given: Option<u64>| {
        if let Some(p) = p {
            p.count = given.unwrap_or(if grow {
                scaled(p.count, factor)
            } else {
                p.count
            });
        }
    };
    size(&mut out.workload.tenants, own.and_then(|o| o.tenants));
    size(&mut out.workload.keys, own.and_then(|o| o.keys));
    if let (Some(from), Some(to)) = (&s.workload.keys, &out.workload.keys) {
        grow_data(&mut out.components, to.count as f64 / from.count as f64);
    }
    out
}

/// Every database's `data_size` times `factor` (the keys' growth), rounded
/// to whole bytes, at least one.
fn grow_data(components: &mut [Component], factor: f64) {
    if factor == 1.0 {
        return;
    }
    for c in components {
        if let Component::Database(db) = c {
            if let Some(Size(bytes)) = &mut db.data_size {
                *bytes = scaled(*bytes, factor);
            }
        }
    }
}

/// `count × factor`, rounded, at least 1.
fn scaled(count: u64, factor: f64) -> u64 {
    let x = (count as f64 * factor).round();
    if x.is_finite() && x >= 1.0 {
        x.min(u64::MAX as f64) as u64
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario() -> Scenario {
        crate::scenario::parse(
            r#"Scenario(name: "d", run: (duration: "1s"), workload: (users: 1000, rps_per_user: 1.0, keys: (count: 10000), mix: { "r": 1.0 }),
               components: [Database(name: "pg", connections: 8, class: "db.r6g.large", sized_by_class: true, data_size: "10Gi")],
               endpoints: { "r": [DbRead(Exp("1ms"))] })"#,
            "d.ron",
        )
        .unwrap()
    }

    fn data(s: &Scenario) -> u64 {
        s.components
            .iter()
            .find_map(|c| match c {
                Component::Database(db) => db.data_size.map(|d| d.0),
                _ => None,
            })
            .unwrap()
    }

    #[test]
    fn data_grows_with_the_keys_so_each_key_keeps_its_pages() {
        let s = scenario();
        let big = at_stage(&s, "100K", 100_000.0, true);
        assert_eq!(big.workload.keys.as_ref().unwrap().count, 1_000_000);
        assert_eq!(data(&big), 1000 * 1024 * 1024 * 1024);
        let kept = at_stage(&s, "100K", 100_000.0, false);
        assert_eq!(data(&kept), 10 * 1024 * 1024 * 1024);
    }
}
