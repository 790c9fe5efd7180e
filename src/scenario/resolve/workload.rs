//! The `workload` section: users and their rate, the rate pattern or a
//! replayed log, tenants and keys, client timeouts and retries, the mix,
//! the requests sent on a timer.

use super::checks::{check_finite, number};
use super::context::{list, Problems};
use crate::algo::backoff::{Backoff, Jitter};
use crate::algo::Nanos;
use crate::scenario::plan::{PeriodicSpec, RetrySpec, WorkloadSpec};
use crate::scenario::schema::{self, Pattern, Popularity, Population, Scenario};
use crate::scenario::suggest::hint;
use crate::workload::{PopularitySampler, RatePattern};

/// Largest arrival rate accepted (requests per second).
pub(crate) const MAX_RATE: f64 = 1e8;

/// Checks the workload and resolves it.
pub(crate) fn resolve(p: &mut Problems, s: &Scenario) -> WorkloadSpec {
    let w = &s.workload;
    let users_ok = check_finite(p, "workload.users", w.users, 0.0, 1e12, "users");
    let rps_ok = check_finite(
        p,
        "workload.rps_per_user",
        w.rps_per_user,
        0.0,
        1e6,
        "rps_per_user",
    );
    let rate = w.users * w.rps_per_user;
    let endpoint_order: Vec<&str> = s.endpoints.keys().map(String::as_str).collect();
    let replay = super::recordings::replay(p, &w.arrivals, &endpoint_order);
    let replaying = !matches!(w.arrivals, schema::ArrivalProcess::Poisson);
    if replaying {
        if w.rps_per_user != 0.0 {
            p.add(
                "workload.rps_per_user",
                "a replayed log sets its own rate: leave rps_per_user out",
            );
        }
        if w.pattern != Pattern::Constant {
            p.add(
                "workload.pattern",
                "a replayed log keeps its recorded timing: leave the pattern out (use the replay's speed and scale)",
            );
        }
    } else if users_ok && rps_ok {
        if rate <= 0.0 {
            p.add(
                "workload",
                "the workload offers no traffic: users × rps_per_user is 0",
            );
        } else if rate > MAX_RATE {
            p.add("workload", format!("users × rps_per_user = {} requests/s is more than one machine can simulate (at most {MAX_RATE})", number(rate)));
        }
    }
    let pattern = resolve_pattern(p, &w.pattern, &endpoint_order);
    if let Some(peak) = pattern.as_ref().map(|x| rate * x.max_factor()) {
        if users_ok && rps_ok && rate > 0.0 && rate <= MAX_RATE && peak > MAX_RATE {
            p.add("workload.pattern", format!("at its peak this pattern offers {peak:.3e} requests/s ({rate} × a factor of {:.3e}), more than one machine can simulate (at most {MAX_RATE:.0e})", peak / rate));
        }
    }
    let tenants = w
        .tenants
        .as_ref()
        .and_then(|t| resolve_population(p, "workload.tenants", t));
    let keys = w
        .keys
        .as_ref()
        .and_then(|k| resolve_population(p, "workload.keys", k));
    let client_timeout = w.client_timeout.map(|t| t.nanos());
    if client_timeout == Some(Nanos::ZERO) {
        p.add(
            "workload.client_timeout",
            "a client timeout must be longer than zero",
        );
    }
    let retries = w
        .retries
        .as_ref()
        .and_then(|r| resolve_retries(p, r, client_timeout.is_some()));
    WorkloadSpec {
        rate,
        users: (w.users as u64).max(1),
        pattern: pattern.unwrap_or(RatePattern::Constant),
        tenants,
        keys,
        mix_cumulative: mix(p, s),
        client_timeout,
        retries,
        replay,
        periodic: periodic(p, s),
    }
}

/// Shortest period of a `workload.periodic` request.
const MIN_PERIOD: Nanos = Nanos::from_millis(1);

/// The requests sent on a timer: a known endpoint, a period of at least 1ms.
fn periodic(p: &mut Problems, s: &Scenario) -> Vec<PeriodicSpec> {
    let endpoint_names: Vec<&str> = s.endpoints.keys().map(String::as_str).collect();
    let mut out = Vec::new();
    for (k, x) in s.workload.periodic.iter().enumerate() {
        let at = format!("workload.periodic[{k}]");
        let every = x.every.nanos();
        if every < MIN_PERIOD {
            p.add(
                format!("{at}.every"),
                "a periodic request's period must be at least 1ms",
            );
        }
        match endpoint_names.iter().position(|e| *e == x.endpoint) {
            Some(i) if every >= MIN_PERIOD => out.push(PeriodicSpec {
                endpoint: i as u16,
                every,
            }),
            Some(_) => {}
            None => p.add_at(
                format!("{at}.endpoint"),
                format!(
                    "no endpoint is named \"{}\";{} endpoints: {}",
                    x.endpoint,
                    hint(&x.endpoint, endpoint_names.iter().copied()),
                    list(&endpoint_names)
                ),
                &x.endpoint,
            ),
        }
    }
    out
}

/// Checks the mix; the cumulative share of each endpoint, in name order.
fn mix(p: &mut Problems, s: &Scenario) -> Vec<f64> {
    let w = &s.workload;
    let endpoint_names: Vec<&str> = s.endpoints.keys().map(String::as_str).collect();
    let mut mix_weights = vec![0.0; endpoint_names.len()];
    if w.mix.is_empty() {
        p.add(
            "workload.mix",
            "the mix needs at least one endpoint with a positive weight",
        );
    }
    for (name, weight) in &w.mix {
        let path = format!("workload.mix.{name}");
        if check_finite(p, &path, *weight, 0.0, f64::MAX, "a mix weight") {
            match endpoint_names.iter().position(|e| e == name) {
                Some(i) => mix_weights[i] = *weight,
                None => p.add_at(
                    path,
                    format!(
                        "no endpoint is named \"{name}\";{} endpoints: {}",
                        hint(name, endpoint_names.iter().copied()),
                        list(&endpoint_names)
                    ),
                    name,
                ),
            }
        }
    }
    let total: f64 = mix_weights.iter().sum();
    if !w.mix.is_empty() && total <= 0.0 {
        p.add(
            "workload.mix",
            "the mix weights must add up to a positive number",
        );
    }
    let mut acc = 0.0;
    mix_weights
        .iter()
        .map(|x| {
            acc += x / total.max(f64::MIN_POSITIVE);
            acc
        })
        .collect()
}

/// The algorithm's jitter for the scenario's.
pub(crate) fn jitter_of(j: schema::JitterKind) -> Jitter {
    match j {
        schema::JitterKind::None => Jitter::None,
        schema::JitterKind::Full => Jitter::Full,
        schema::JitterKind::Equal => Jitter::Equal,
        schema::JitterKind::Decorrelated => Jitter::Decorrelated,
    }
}

fn resolve_pattern(p: &mut Problems, pattern: &Pattern, endpoints: &[&str]) -> Option<RatePattern> {
    let path = "workload.pattern";
    Some(match pattern {
        Pattern::Constant => RatePattern::Constant,
        Pattern::Diurnal { peak, period } => {
            let period = period.map_or(Nanos::from_secs(86_400), |d| d.nanos());
            if period == Nanos::ZERO {
                p.add(
                    format!("{path}.period"),
                    "a diurnal period must be longer than zero",
                );
            }
            if !check_finite(
                p,
                &format!("{path}.peak"),
                *peak,
                1.0,
                1e6,
                "the peak-to-trough ratio",
            ) {
                return None;
            }
            RatePattern::Diurnal {
                peak: *peak,
                period,
            }
        }
        Pattern::Spike { at, factor, length } => {
            if !check_finite(
                p,
                &format!("{path}.factor"),
                *factor,
                0.0,
                1e6,
                "a spike factor",
            ) {
                return None;
            }
            RatePattern::Spike {
                at: at.nanos(),
                factor: *factor,
                length: length.nanos(),
            }
        }
        Pattern::Steps(steps) => {
            let mut out = Vec::new();
            for (i, st) in steps.iter().enumerate() {
                check_finite(
                    p,
                    &format!("{path}[{i}].factor"),
                    st.factor,
                    0.0,
                    1e6,
                    "a step factor",
                );
                if let Some(prev) = out.last().map(|x: &(Nanos, f64)| x.0) {
                    if st.at.nanos() <= prev {
                        p.add(
                            format!("{path}[{i}].at"),
                            "steps must be in increasing time order",
                        );
                    }
                }
                out.push((st.at.nanos(), st.factor));
            }
            RatePattern::Steps(out)
        }
        Pattern::Trace { file } => return super::recordings::trace(p, file, endpoints),
    })
}

pub(super) fn resolve_population(
    p: &mut Problems,
    path: &str,
    pop: &Population,
) -> Option<PopularitySampler> {
    if pop.count == 0 || pop.count > 1_000_000_000_000 {
        p.add(
            format!("{path}.count"),
            format!("count must be from 1 to 10^12, not {}", pop.count),
        );
        return None;
    }
    match pop.popularity {
        Popularity::Uniform => Some(PopularitySampler::uniform(pop.count)),
        Popularity::Zipf(s) => {
            if check_finite(
                p,
                &format!("{path}.popularity"),
                s,
                0.0,
                10.0,
                "a Zipf exponent",
            ) {
                Some(PopularitySampler::zipf(pop.count, s))
            } else {
                None
            }
        }
    }
}

fn resolve_retries(p: &mut Problems, r: &schema::Retries, has_timeout: bool) -> Option<RetrySpec> {
    let path = "workload.retries";
    let mut ok = true;
    if !has_timeout {
        p.add(
            path,
            "clients retry on timeout: set workload.client_timeout too",
        );
        ok = false;
    }
    if r.attempts == 0 || r.attempts > 100 {
        p.add(
            format!("{path}.attempts"),
            format!(
                "attempts (the first included) must be from 1 to 100, not {}",
                r.attempts
            ),
        );
        ok = false;
    }
    let multiplier = r.multiplier.unwrap_or(2.0);
    ok &= check_finite(
        p,
        &format!("{path}.multiplier"),
        multiplier,
        1.0,
        100.0,
        "a backoff multiplier",
    );
    let cap = r.cap.map_or(Nanos::from_secs(10), |c| c.nanos());
    if cap < r.backoff.nanos() {
        p.add(
            format!("{path}.cap"),
            format!(
                "the backoff cap ({}) must be at least the base backoff ({})",
                cap, r.backoff
            ),
        );
        ok = false;
    }
    let budget = match &r.budget {
        Some(b) => {
            ok &= check_finite(
                p,
                &format!("{path}.budget.ratio"),
                b.ratio,
                0.0,
                100.0,
                "a retry budget ratio",
            );
            Some((b.ratio, b.min_per_s, b.max_saved.unwrap_or(100)))
        }
        None => None,
    };
    ok.then_some(RetrySpec {
        backoff: Backoff {
            max_attempts: r.attempts,
            base: r.backoff.nanos(),
            multiplier,
            cap,
            jitter: jitter_of(r.jitter),
        },
        budget,
    })
}
