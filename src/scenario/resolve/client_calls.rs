//! `CallWith` and `Parallel` steps: calls to other endpoints made as real
//! clients, each a sub-request the caller waits for (with a timeout,
//! retries and a fallback). Here their checks and their [`CallSiteSpec`];
//! `program` compiles the step into an [`crate::scenario::Op::Client`] and
//! its fallback, `sim/client_calls` runs it.

use super::context::Problems;
use crate::algo::backoff::Backoff;
use crate::algo::Nanos;
use crate::scenario::plan::{CallSiteSpec, ClientCallSpec};
use crate::scenario::schema::{DependencyRetries, Step, Wait};
use std::collections::HashMap;

/// Appends, after the steps of `flat`, the nested steps of `flat[at]` if it
/// is a `CallWith` (its fallback) or a `Parallel` (its calls and fallback),
/// each with its path, so their references are checked as any step's.
pub(super) fn flatten_into<'s>(flat: &mut Vec<(String, &'s Step)>, at: usize) {
    let (base, step) = (flat[at].0.clone(), flat[at].1);
    let mut add = |field: &str, steps: &'s [Step]| {
        for (k, st) in steps.iter().enumerate() {
            flat.push((format!("{base}.{field}[{k}]"), st));
        }
    };
    match step {
        Step::CallWith { fallback, .. } => add("fallback", fallback),
        Step::Parallel {
            calls, fallback, ..
        } => {
            add("calls", calls);
            add("fallback", fallback);
        }
        _ => {}
    }
}

/// The call site of a `CallWith` or `Parallel` step at `path` (its
/// problems reported to `p`); `index` gives each endpoint's index.
pub(super) fn site(
    step: &Step,
    path: &str,
    index: &HashMap<&str, usize>,
    p: &mut Problems,
) -> Option<CallSiteSpec> {
    let name = path.strip_prefix("endpoints.").unwrap_or(path).to_owned();
    let (first, calls) = match step {
        Step::CallWith { .. } => (false, vec![call(step, path, index, p)?]),
        Step::Parallel { wait, calls, .. } => {
            if calls.is_empty() {
                p.add(
                    format!("{path}.calls"),
                    "a Parallel step needs at least one call: Call(\"endpoint\") or CallWith(endpoint: ...)",
                );
                return None;
            }
            let resolved: Vec<Option<ClientCallSpec>> = calls
                .iter()
                .enumerate()
                .map(|(k, c)| branch(c, &format!("{path}.calls[{k}]"), index, p))
                .collect();
            (
                *wait == Wait::First,
                resolved.into_iter().collect::<Option<_>>()?,
            )
        }
        _ => return None,
    };
    Some(CallSiteSpec { name, first, calls })
}

/// One call of a `Parallel`: a `Call` or a `CallWith` without fallback.
fn branch(
    step: &Step,
    path: &str,
    index: &HashMap<&str, usize>,
    p: &mut Problems,
) -> Option<ClientCallSpec> {
    match step {
        Step::Call(target) => Some(ClientCallSpec {
            endpoint: *index.get(target.as_str())? as u16,
            timeout: None,
            retries: None,
        }),
        Step::CallWith { fallback, .. } if !fallback.is_empty() => {
            p.add(
                format!("{path}.fallback"),
                "a call of a Parallel step has no fallback of its own: put it on the Parallel step, or call an endpoint that makes this CallWith",
            );
            None
        }
        Step::CallWith { .. } => call(step, path, index, p),
        _ => {
            p.add(
                path,
                "each call of a Parallel step is a Call(\"endpoint\") or a CallWith(endpoint: ...)",
            );
            None
        }
    }
}

/// A `CallWith` step's call: its callee, timeout and retries.
fn call(
    step: &Step,
    path: &str,
    index: &HashMap<&str, usize>,
    p: &mut Problems,
) -> Option<ClientCallSpec> {
    let Step::CallWith {
        endpoint,
        timeout,
        retries,
        ..
    } = step
    else {
        return None;
    };
    let timeout = timeout.map(|t| t.nanos());
    if timeout == Some(Nanos::ZERO) {
        p.add(
            format!("{path}.timeout"),
            "a call timeout must be longer than zero (leave it out for none)",
        );
    }
    let retries = match retries {
        Some(r) if !(1..=100).contains(&r.attempts) => {
            p.add(
                format!("{path}.retries.attempts"),
                format!(
                    "attempts (the first call included) must be from 1 to 100, not {}",
                    r.attempts
                ),
            );
            return None;
        }
        Some(r) => Some(backoff(r)),
        None => None,
    };
    // An unknown callee is reported with the references.
    let endpoint = *index.get(endpoint.as_str())? as u16;
    Some(ClientCallSpec {
        endpoint,
        timeout,
        retries,
    })
}

/// The backoff of a call's retries: as a dependency's (doubling, capped at
/// 10 s or the first delay).
fn backoff(r: &DependencyRetries) -> Backoff {
    Backoff {
        max_attempts: r.attempts,
        base: r.backoff.nanos(),
        multiplier: 2.0,
        cap: Nanos::from_secs(10).max(r.backoff.nanos()),
        jitter: super::workload::jitter_of(r.jitter),
    }
}
