//! `LoadBalancer` components.

use super::context::Context;
use crate::algo::balance::Strategy;
use crate::scenario::plan::{BalancerSpec, DeploymentSpec};
use crate::scenario::schema::{self, ComponentKind};

/// Checks load balancer `i` and resolves its targets (its regional target
/// lists are filled by [`regional`] once the deployments are known).
pub(crate) fn resolve(cx: &mut Context, i: usize, b: &schema::LoadBalancer) -> BalancerSpec {
    let at = |f: &str| format!("components[{i}].{f}");
    let rate_limit = b.rate_limit.as_ref().and_then(|r| {
        super::limits::resolve_rate_limit(&mut cx.problems, &at("rate_limit"), r, cx.scenario)
    });
    if b.targets.is_empty() {
        cx.problems.add_at(
            at("targets"),
            "a load balancer needs at least one target deployment",
            &b.name,
        );
    }
    let mut targets = Vec::new();
    for (t, w) in &b.targets {
        let path = at(&format!("targets.{t}"));
        if *w == 0 {
            cx.problems
                .add(path.clone(), "target weights must be at least 1");
        }
        if let Some(d) = cx.lookup(path, t, ComponentKind::Deployment) {
            targets.push((d, *w));
        }
    }
    BalancerSpec {
        name: b.name.clone(),
        strategy: match b.strategy {
            schema::Strategy::RoundRobin => Strategy::RoundRobin,
            schema::Strategy::Random => Strategy::Random,
            schema::Strategy::LeastConnections => Strategy::LeastConnections,
            schema::Strategy::Weighted => Strategy::Weighted,
            schema::Strategy::PowerOfTwoChoices => Strategy::PowerOfTwoChoices,
        },
        targets,
        rate_limit,
        regional: Vec::new(),
    }
}

/// With regions, each balancer serves a region from the targets placed
/// there (or nowhere).
pub(crate) fn regional(
    cx: &Context,
    balancers: &mut [BalancerSpec],
    deployments: &[DeploymentSpec],
) {
    let Some(rs) = &cx.regions else { return };
    for b in balancers {
        b.regional = (0..rs.names.len() as u8)
            .map(|r| {
                b.targets
                    .iter()
                    .copied()
                    .filter(|&(d, _)| deployments[d].region.is_none_or(|x| x == r))
                    .collect()
            })
            .collect();
    }
}
