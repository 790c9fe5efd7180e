//! A ladder stage's populations: the users of the stage, and tenants and
//! keys grown in proportion to them from the counts the scenario declares
//! at its own `workload.users` (unless `ladder.scale_populations` is
//! false), with a stage's `ladder.populations` counts taking precedence.

use crate::scenario::schema::Population;
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
    out
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
