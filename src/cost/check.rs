//! The checks of a scenario's prices, SLO, stages and schedules, which
//! validation runs with the rest (every problem with its field path).

use super::{table_for, PriceTable};
use crate::scenario::schema::{self, Component};
use crate::scenario::{number, Problem, Scenario, MAX_RATE};
use std::collections::BTreeMap;

/// Checks the scenario's cost and SLO fields (called by validation).
pub fn check(s: &Scenario) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut add = |path: String, message: String| {
        problems.push(Problem {
            path,
            message,
            needle: None,
        })
    };
    let table = match table_for(s.prices.as_ref()) {
        Ok(t) => Some(t),
        Err(m) => {
            add("prices.table".into(), m.to_string());
            None
        }
    };
    if let Some(slo) = &s.slo {
        if !(0.0..=1.0).contains(&slo.error_rate) {
            add(
                "slo.error_rate".into(),
                format!(
                    "an error rate is from 0 to 1, not {}",
                    number(slo.error_rate)
                ),
            );
        }
    }
    if let Some(stages) = &s.stages {
        if stages.is_empty() {
            add(
                "stages".into(),
                "list at least one (name, users) stage".into(),
            );
        }
        for (i, (name, users)) in stages.iter().enumerate() {
            // The bound of `workload.users`, which each stage's count replaces.
            if !(users.is_finite() && *users > 0.0 && *users <= 1e12) {
                add(
                    format!("stages[{i}]"),
                    format!(
                        "stage `{name}` needs a user count above 0 and at most 1000000000000, not {}",
                        number(*users)
                    ),
                );
            } else if users * s.workload.rps_per_user > MAX_RATE {
                // Checked here, with the file, rather than when the stage runs.
                add(
                    format!("stages[{i}]"),
                    format!(
                        "stage `{name}`: {} users × rps_per_user {} = {} requests/s is more than one machine can simulate (at most {MAX_RATE})",
                        number(*users),
                        number(s.workload.rps_per_user),
                        number(users * s.workload.rps_per_user)
                    ),
                );
            }
        }
    }
    if let Some(ladder) = &s.ladder {
        for (path, message) in ladder_problems(s, ladder) {
            add(path, message);
        }
    }
    if s.run.replications == Some(0) {
        add(
            "run.replications".into(),
            "replications must be at least 1".into(),
        );
    }
    if let Some(sch) = &s.schedule {
        if let Err(m) = sch.on_fraction() {
            add("schedule.off".into(), m.to_string());
        }
    }
    for (i, c) in s.components.iter().enumerate() {
        for (path, message) in component_problems(i, c, table.as_ref()) {
            add(path, message);
        }
    }
    problems
}

/// The problems of `ladder.populations`: each names a stage of the ladder
/// and sets a population the workload has, to at least 1.
fn ladder_problems(s: &Scenario, ladder: &schema::Ladder) -> Vec<(String, String)> {
    let names: Vec<String> = s.stages.as_ref().map_or_else(
        || {
            crate::sweep::DEFAULT_STAGES
                .iter()
                .map(|(n, _)| (*n).to_owned())
                .collect()
        },
        |st| st.iter().map(|(n, _)| n.clone()).collect(),
    );
    let mut problems = Vec::new();
    for (name, own) in &ladder.populations {
        let at = format!("ladder.populations.{name}");
        if !names.contains(name) {
            let known = names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ");
            problems.push((
                at.clone(),
                format!("no stage is named `{name}`; the ladder's stages: {known}"),
            ));
        }
        for (field, count, declared) in [
            ("tenants", own.tenants, s.workload.tenants.is_some()),
            ("keys", own.keys, s.workload.keys.is_some()),
        ] {
            match count {
                Some(0) => problems.push((
                    format!("{at}.{field}"),
                    format!("a stage needs at least 1 of its {field}"),
                )),
                Some(_) if !declared => problems.push((
                    format!("{at}.{field}"),
                    format!("the workload declares no `{field}` to size: add `workload.{field}`"),
                )),
                _ => {}
            }
        }
    }
    problems
}

/// The price and spot problems of component `i`, as (field path, message).
fn component_problems(
    i: usize,
    c: &Component,
    table: Option<&PriceTable>,
) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    let mut add = |path: String, message: String| problems.push((path, message));
    match c {
        Component::Deployment(schema::Deployment {
            instance,
            spot,
            schedule,
            nodes,
            ..
        }) => {
            if spot.is_some() && nodes.is_some() {
                add(
                    format!("components[{i}].spot"),
                    "with modelled nodes the spot share is nodes.spot_fraction (pods are billed by the nodes they ran on); remove `spot`".into(),
                );
            }
            if let (Some(inst), Some(t)) = (instance, table) {
                if !t.instances.contains_key(inst) {
                    let known: Vec<&str> = t.instances.keys().map(String::as_str).collect();
                    add(
                        format!("components[{i}].instance"),
                        format!(
                            "`{inst}` is not in price table `{}`; it has: {} (or add it under prices.instances)",
                            t.name,
                            known.join(", ")
                        ),
                    );
                }
            }
            if let Some(f) = spot {
                if !(0.0..=1.0).contains(f) {
                    add(
                        format!("components[{i}].spot"),
                        format!("the spot share is from 0 to 1, not {}", number(*f)),
                    );
                }
            }
            if let Some(sch) = schedule {
                if let Err(m) = sch.on_fraction() {
                    add(format!("components[{i}].schedule.off"), m.to_string());
                }
            }
        }
        Component::Database(schema::Database {
            class,
            replica_class,
            pgbouncer,
            ..
        }) => {
            if let Some(t) = table {
                for (field, class) in [("class", class), ("replica_class", replica_class)] {
                    if let Some(class) = class {
                        if let Some(m) = unknown(t, "prices.databases", &t.databases, class) {
                            add(format!("components[{i}].{field}"), m);
                        }
                    }
                }
                if let Some(size) = pgbouncer.as_ref().and_then(|b| b.instance.as_ref()) {
                    if let Some(m) = unknown(t, "prices.instances", &t.instances, size) {
                        add(format!("components[{i}].pgbouncer.instance"), m);
                    }
                }
            }
        }
        Component::Cache(schema::Cache {
            node: Some(node), ..
        }) => {
            if let Some(t) = table {
                if let Some(m) = unknown(t, "prices.cache_nodes", &t.cache_nodes, node) {
                    add(format!("components[{i}].node"), m);
                }
            }
        }
        Component::Queue(schema::Queue {
            redis_node: Some(node),
            ..
        }) => {
            if let Some(t) = table {
                if let Some(m) = unknown(t, "prices.cache_nodes", &t.cache_nodes, node) {
                    add(format!("components[{i}].redis_node"), m);
                }
            }
        }
        _ => {}
    }
    problems
}

/// Why `name` is not a key of `entries` in table `t`, if it is not.
fn unknown<V>(
    t: &PriceTable,
    add_under: &str,
    entries: &BTreeMap<String, V>,
    name: &str,
) -> Option<String> {
    if entries.contains_key(name) {
        return None;
    }
    let known: Vec<&str> = entries.keys().map(String::as_str).collect();
    Some(format!(
        "`{name}` is not in price table `{}`; it has: {} (or add it under {add_under})",
        t.name,
        known.join(", ")
    ))
}
