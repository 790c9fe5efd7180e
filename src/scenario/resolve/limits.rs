//! Rate limits: a load balancer's `rate_limit` and the per-endpoint `limits`.

use super::checks::check_finite;
use super::context::{list, Problems};
use crate::algo::limiter::{Limiter, LimiterParams};
use crate::algo::Nanos;
use crate::scenario::plan::{EndpointLimitSpec, RateLimitSpec, RedisCommands};
use crate::scenario::schema::{self, Scenario};
use crate::scenario::suggest::hint;

/// Checks a rate limit (at `path`) and resolves its tiers.
pub(crate) fn resolve_rate_limit(
    p: &mut Problems,
    path: &str,
    r: &schema::RateLimit,
    s: &Scenario,
) -> Option<RateLimitSpec> {
    let window = r.window.nanos();
    let name = match r.algorithm {
        schema::LimitAlgorithm::SlidingLog => "sliding_log",
        schema::LimitAlgorithm::SortedSetLog => "sorted_set_log",
        schema::LimitAlgorithm::SlidingCounter => "sliding_counter",
        schema::LimitAlgorithm::TokenBucket => "token_bucket",
        schema::LimitAlgorithm::Gcra => "gcra",
    };
    if window == Nanos::ZERO {
        p.add(
            format!("{path}.window"),
            format!(
                "a rate limit's window must be longer than zero, not {}",
                r.window
            ),
        );
        return None;
    }
    if r.tiers.is_empty() {
        p.add(
            format!("{path}.tiers"),
            "a rate limit needs at least one tier, e.g. (name: \"free\", share: 1.0, max: 60)",
        );
        return None;
    }
    let mut ok = true;
    let mut tiers = Vec::new();
    let mut cumulative = Vec::new();
    let mut acc = 0.0;
    for (i, t) in r.tiers.iter().enumerate() {
        let tp = format!("{path}.tiers[{i}]");
        ok &= check_finite(
            p,
            &format!("{tp}.share"),
            t.share,
            0.0,
            1.0,
            "a tier's share of tenants",
        );
        acc += t.share;
        cumulative.push(acc);
        match Limiter::from_name(name, LimiterParams::Window { window, max: t.max }) {
            Ok(l) => tiers.push((t.name.clone(), l)),
            Err(e) => {
                p.add(
                    format!("{tp}.max"),
                    format!("{e} (window {}, max {})", r.window, t.max),
                );
                ok = false;
            }
        }
    }
    if ok && (acc - 1.0).abs() > 1e-6 {
        p.add(
            format!("{path}.tiers"),
            format!("tier shares must add up to 1, not {acc}"),
        );
        ok = false;
    }
    if let Some(last) = cumulative.last_mut() {
        *last = f64::INFINITY;
    }
    let tenants = s.workload.tenants.as_ref().map_or(1, |t| t.count.max(1));
    let commands = match r.algorithm {
        schema::LimitAlgorithm::SlidingLog | schema::LimitAlgorithm::SortedSetLog => 4,
        schema::LimitAlgorithm::SlidingCounter | schema::LimitAlgorithm::TokenBucket => 3,
        schema::LimitAlgorithm::Gcra => 2,
    };
    let redis = match &r.redis {
        None => None,
        Some(name) => {
            let cache = redis_cache(p, &format!("{path}.redis"), name, s);
            ok &= cache.is_some();
            cache.map(|cache| RedisCommands { cache, commands })
        }
    };
    ok.then_some(RateLimitSpec {
        tiers,
        cumulative,
        tenants,
        redis,
    })
}

/// The index of the `Cache` component `name` (Redis commands run there),
/// or a problem at `path` naming the caches there are.
pub(crate) fn redis_cache(p: &mut Problems, path: &str, name: &str, s: &Scenario) -> Option<u16> {
    let caches: Vec<&str> = s
        .components
        .iter()
        .filter_map(|c| match c {
            schema::Component::Cache(c) => Some(c.name.as_str()),
            _ => None,
        })
        .collect();
    let found = caches.iter().position(|c| *c == name);
    if found.is_none() {
        p.add_at(
            path,
            format!(
                "no Cache component is named \"{name}\";{} Redis commands run on a Cache: {}",
                hint(name, caches.iter().copied()),
                if caches.is_empty() {
                    "the scenario has none".to_owned()
                } else {
                    list(&caches)
                }
            ),
            name,
        );
    }
    found.map(|i| i as u16)
}

/// Resolves the per-endpoint rate limits (`limits`), in endpoint name order.
pub(crate) fn resolve_endpoint_limits(
    p: &mut Problems,
    s: &Scenario,
    endpoints: &[&str],
) -> Vec<EndpointLimitSpec> {
    let mut out = Vec::new();
    for (endpoint, r) in &s.limits {
        let path = format!("limits.{endpoint}");
        if !s.endpoints.contains_key(endpoint) {
            p.add_at(
                path,
                format!(
                    "no endpoint is named \"{endpoint}\";{} endpoints: {}",
                    hint(endpoint, endpoints.iter().copied()),
                    list(endpoints)
                ),
                endpoint,
            );
        } else if let Some(limit) = resolve_rate_limit(p, &path, r, s) {
            out.push(EndpointLimitSpec {
                endpoint: endpoint.clone(),
                limit,
            });
        }
    }
    out
}
