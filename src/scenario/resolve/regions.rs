//! Resolution and checks of the scenario's regions.

use super::checks::check_finite;
use super::context::Problems;
use crate::algo::Nanos;
use crate::scenario::plan::RegionsSpec;
use crate::scenario::schema::Regions;
use crate::scenario::suggest::hint;

/// Most regions in one scenario (region indices are `u8`).
const MAX_REGIONS: usize = 64;

/// Checks the `regions` section and resolves it.
pub(super) fn resolve_regions(p: &mut Problems, r: &Regions) -> Option<RegionsSpec> {
    let names: Vec<String> = r.users.keys().cloned().collect();
    let n = names.len();
    if n == 0 {
        p.add(
            "regions.users",
            "name at least one region with its share of users, e.g. { \"us-east\": 0.7, \"eu-west\": 0.3 }",
        );
        return None;
    }
    if n > MAX_REGIONS {
        p.add(
            "regions.users",
            format!("{n} regions is more than {MAX_REGIONS}"),
        );
        return None;
    }
    let mut ok = true;
    for (name, share) in &r.users {
        ok &= check_finite(
            p,
            &format!("regions.users.{name}"),
            *share,
            0.0,
            f64::MAX,
            "a user share",
        );
    }
    let total: f64 = r.users.values().sum();
    if ok && total <= 0.0 {
        p.add(
            "regions.users",
            "the user shares must add up to a positive number",
        );
        ok = false;
    }
    let index = |name: &str| names.iter().position(|x| x == name);
    let known = names
        .iter()
        .map(|x| format!("\"{x}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let mut rtt: Vec<Option<Nanos>> = vec![None; n * n];
    for i in 0..n {
        rtt[i * n + i] = Some(Nanos::ZERO);
    }
    for (a, row) in &r.rtt {
        for (b, d) in row {
            let path = format!("regions.rtt.{a}.{b}");
            match (index(a), index(b)) {
                (Some(i), Some(j)) if i != j => {
                    if rtt[i * n + j].is_some_and(|x| x != d.nanos()) {
                        p.add(
                            &path,
                            format!("the round trip between \"{a}\" and \"{b}\" is given twice, differently"),
                        );
                        ok = false;
                    }
                    rtt[i * n + j] = Some(d.nanos());
                    rtt[j * n + i] = Some(d.nanos());
                }
                (Some(_), Some(_)) => {
                    p.add(
                        path,
                        "a region's round trip to itself is the network hop, not part of `rtt`",
                    );
                    ok = false;
                }
                _ => {
                    let bad = if index(a).is_none() { a } else { b };
                    p.add(
                        path,
                        format!(
                            "no region is named \"{bad}\";{} regions (the keys of `users`): {known}",
                            hint(bad, names.iter().map(|x| x.as_str()))
                        ),
                    );
                    ok = false;
                }
            }
        }
    }
    for i in 0..n {
        for j in i + 1..n {
            if ok && rtt[i * n + j].is_none() {
                p.add(
                    "regions.rtt",
                    format!(
                        "the round trip between \"{}\" and \"{}\" is missing; give every pair once, e.g. {{ \"{}\": {{ \"{}\": \"80ms\" }} }}",
                        names[i], names[j], names[i], names[j]
                    ),
                );
                ok = false;
            }
        }
    }
    let primary = index(&r.primary);
    if primary.is_none() {
        p.add(
            "regions.primary",
            format!(
                "no region is named \"{}\";{} regions: {known}",
                r.primary,
                hint(&r.primary, names.iter().map(|x| x.as_str()))
            ),
        );
    }
    if !ok {
        return None;
    }
    let rtt: Vec<Nanos> = rtt.into_iter().map(|x| x.expect("checked")).collect();
    let nearest = (0..n)
        .map(|i| {
            let mut order: Vec<u8> = (0..n as u8).collect();
            order.sort_by_key(|&j| (rtt[i * n + j as usize], j != i as u8, j));
            order
        })
        .collect();
    let shares: Vec<f64> = r.users.values().map(|s| s / total).collect();
    let mut acc = 0.0;
    let share_cumulative = shares
        .iter()
        .map(|s| {
            acc += s;
            acc
        })
        .collect();
    Some(RegionsSpec {
        names,
        shares,
        share_cumulative,
        rtt,
        nearest,
        primary: primary? as u8,
    })
}

/// Resolves a component's region name. `given`: the scenario has a
/// `regions` section (if it is broken, its own problems say so).
pub(super) fn region_of(
    p: &mut Problems,
    path: String,
    regions: Option<&RegionsSpec>,
    given: bool,
    name: &str,
) -> Option<u8> {
    let Some(r) = regions else {
        if given {
            return None;
        }
        p.add_at(
            path,
            format!("\"{name}\" is not a region: the scenario has no `regions` section"),
            name,
        );
        return None;
    };
    match r.names.iter().position(|x| x == name) {
        Some(i) => Some(i as u8),
        None => {
            let known = r
                .names
                .iter()
                .map(|x| format!("\"{x}\""))
                .collect::<Vec<_>>()
                .join(", ");
            p.add_at(
                path,
                format!(
                    "no region is named \"{name}\";{} regions: {known}",
                    hint(name, r.names.iter().map(String::as_str))
                ),
                name,
            );
            None
        }
    }
}

/// Resolves a Cdn's `pops` (at `path`): the region of each point of presence
/// (every region by default) and, per region, its PoP. Both are empty
/// without regions: the Cdn is one PoP.
pub(super) fn resolve_pops(
    p: &mut Problems,
    path: &str,
    regions: Option<&RegionsSpec>,
    given: bool,
    names: &[String],
) -> (Vec<u8>, Vec<Option<u8>>) {
    let mut pops: Vec<u8> = Vec::new();
    for (j, name) in names.iter().enumerate() {
        let at = format!("{path}[{j}]");
        if let Some(r) = region_of(p, at.clone(), regions, given, name) {
            if pops.contains(&r) {
                p.add_at(
                    at,
                    format!("\"{name}\" is listed twice; a region has at most one PoP of a Cdn"),
                    name,
                );
            }
            pops.push(r);
        }
    }
    let Some(rs) = regions else {
        return (Vec::new(), Vec::new());
    };
    if names.is_empty() {
        pops = (0..rs.names.len() as u8).collect();
    }
    pops.sort_unstable();
    pops.dedup();
    let mut pop_in = vec![None; rs.names.len()];
    for (i, &r) in pops.iter().enumerate() {
        pop_in[r as usize] = Some(i as u8);
    }
    (pops, pop_in)
}
