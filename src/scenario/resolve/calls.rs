//! Limits on what one request runs through endpoint `Call`s, checked before
//! any program is compiled. The compiler shares a callee's program between
//! its callers, but a request still runs the callee's steps at every `Call`
//! and keeps a return point per call in progress: a long chain of calls
//! nests deep (and would recurse as deep in the compiler), and a fan-out
//! (`a` calls `b` twice, `b` calls `c` twice, ...) doubles the steps each
//! request runs at every level.
//!
//! One pass over the call graph in reverse topological order (no recursion)
//! gives each endpoint its nesting depth and the steps one of its requests
//! may run, in saturating arithmetic; only the endpoints at the top of an
//! oversized chain are reported, each with the chain that makes it so.

use super::context::Problems;
use crate::scenario::schema::{Scenario, Step};
use std::collections::HashMap;

/// Deepest nesting of step lists in one request's program: each `Call`,
/// `fallback` and `on_miss` is one level.
pub const MAX_CALL_DEPTH: u64 = 64;
/// Most steps one request of an endpoint may run, counting a callee's steps
/// once per `Call` that runs them (fallbacks and loads as if they all ran).
pub const MAX_ENDPOINT_STEPS: u64 = 100_000;

/// What one endpoint's own step lists hold.
struct Local {
    /// Steps that are not `Call`s, nested lists included.
    steps: u64,
    /// Deepest nested list level (0: only the top-level list).
    inner: u64,
    /// Each `Call` to a known endpoint: (callee, level of the list it is in).
    calls: Vec<(usize, u64)>,
}

fn local(steps: &[Step], index: &HashMap<&str, usize>) -> Local {
    let mut out = Local {
        steps: 0,
        inner: 0,
        calls: Vec::new(),
    };
    let mut lists: Vec<(&[Step], u64)> = vec![(steps, 0)];
    while let Some((list, level)) = lists.pop() {
        out.inner = out.inner.max(level);
        for step in list {
            match step {
                Step::Call(target) => {
                    if let Some(&callee) = index.get(target.as_str()) {
                        out.calls.push((callee, level));
                    }
                }
                Step::CallWith {
                    endpoint, fallback, ..
                } => {
                    out.steps += 1;
                    if let Some(&callee) = index.get(endpoint.as_str()) {
                        out.calls.push((callee, level));
                    }
                    lists.push((fallback, level + 1));
                }
                // Its calls are made from this level; its fallback nests.
                Step::Parallel {
                    calls, fallback, ..
                } => {
                    out.steps += 1;
                    lists.push((calls, level));
                    lists.push((fallback, level + 1));
                }
                Step::External { fallback, .. } => {
                    out.steps += 1;
                    lists.push((fallback, level + 1));
                }
                Step::CacheAside {
                    on_miss,
                    after_round_trip,
                    ..
                } => {
                    out.steps += 1;
                    lists.push((on_miss, level + 1));
                    lists.push((after_round_trip, level + 1));
                }
                _ => out.steps += 1,
            }
        }
    }
    out
}

/// The endpoints in an order where every callee comes before its callers,
/// or `None` if they call each other in a loop (reported elsewhere).
fn callees_first(locals: &[Local]) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut mark = vec![Mark::New; locals.len()];
    let mut order = Vec::with_capacity(locals.len());
    for root in 0..locals.len() {
        if mark[root] != Mark::New {
            continue;
        }
        // (endpoint, next call to follow)
        let mut stack = vec![(root, 0usize)];
        mark[root] = Mark::Open;
        while let Some(top) = stack.last_mut() {
            let (e, next) = *top;
            if let Some(&(callee, _)) = locals[e].calls.get(next) {
                top.1 += 1;
                match mark[callee] {
                    Mark::New => {
                        mark[callee] = Mark::Open;
                        stack.push((callee, 0));
                    }
                    Mark::Open => return None,
                    Mark::Done => {}
                }
            } else {
                mark[e] = Mark::Done;
                order.push(e);
                stack.pop();
            }
        }
    }
    Some(order)
}

/// `a -> b -> c`, or `a -> b -> ... -> z` for a long chain.
fn chain(names: &[&str], start: usize, next: &[Option<usize>]) -> String {
    let mut path = vec![start];
    let mut at = start;
    while let Some(n) = next[at] {
        path.push(n);
        at = n;
    }
    let shown: Vec<&str> = if path.len() > 6 {
        let mut v: Vec<&str> = path[..3].iter().map(|&i| names[i]).collect();
        v.push("...");
        v.push(names[path[path.len() - 1]]);
        v
    } else {
        path.iter().map(|&i| names[i]).collect()
    };
    shown.join(" -> ")
}

/// Reports endpoints whose calls nest deeper than [`MAX_CALL_DEPTH`] or
/// whose requests may run more than [`MAX_ENDPOINT_STEPS`] steps. Returns
/// whether all is within limits.
pub(super) fn check(s: &Scenario, p: &mut Problems) -> bool {
    let names: Vec<&str> = s.endpoints.keys().map(String::as_str).collect();
    let index: HashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let locals: Vec<Local> = s.endpoints.values().map(|st| local(st, &index)).collect();
    let Some(order) = callees_first(&locals) else {
        return false;
    };
    let n = names.len();
    let mut depth = vec![0u64; n];
    let mut size = vec![0u64; n];
    // The callee that makes an endpoint deepest, and the one that makes it biggest.
    let mut deepest: Vec<Option<usize>> = vec![None; n];
    let mut biggest: Vec<Option<usize>> = vec![None; n];
    for &e in &order {
        let l = &locals[e];
        let (mut d, mut z) = (l.inner, l.steps);
        for &(callee, level) in &l.calls {
            let through = level.saturating_add(1).saturating_add(depth[callee]);
            if through > d || (through == d && deepest[e].is_none()) {
                d = through;
                deepest[e] = Some(callee);
            }
            z = z.saturating_add(size[callee]);
            if biggest[e].is_none_or(|b| size[callee] > size[b]) {
                biggest[e] = Some(callee);
            }
        }
        depth[e] = d;
        size[e] = z;
    }
    // Report only the top of each oversized chain: an endpoint none of whose
    // callers is over the same limit (callers are at least as deep and big).
    let mut deep_caller = vec![false; n];
    let mut big_caller = vec![false; n];
    for (e, l) in locals.iter().enumerate() {
        for &(callee, _) in &l.calls {
            deep_caller[callee] |= depth[e] > MAX_CALL_DEPTH;
            big_caller[callee] |= size[e] > MAX_ENDPOINT_STEPS;
        }
    }
    let mut ok = true;
    for e in 0..n {
        let path = format!("endpoints.{}", names[e]);
        if depth[e] > MAX_CALL_DEPTH && !deep_caller[e] {
            ok = false;
            p.add_at(
                &path,
                format!(
                    "{}: call depth {} is over {MAX_CALL_DEPTH} (each Call, fallback and on_miss nests one level); flatten the chain",
                    chain(&names, e, &deepest),
                    depth[e]
                ),
                names[e],
            );
        } else if size[e] > MAX_ENDPOINT_STEPS && !big_caller[e] {
            ok = false;
            let steps = if size[e] == u64::MAX {
                "more than 10^19".to_owned()
            } else {
                size[e].to_string()
            };
            p.add_at(
                &path,
                format!(
                    "{}: expands to {steps} steps per request, over {MAX_ENDPOINT_STEPS} (an endpoint Called k times runs its steps k times)",
                    chain(&names, e, &biggest)
                ),
                names[e],
            );
        }
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(endpoints: &str) -> Scenario {
        let text = format!(
            r#"Scenario(name: "c", run: (duration: "1m"),
               workload: (users: 1, rps_per_user: 1.0, mix: {{ "e0": 1.0 }}),
               components: [], endpoints: {{ {endpoints} }})"#
        );
        crate::scenario::parse(&text, "c.ron").unwrap()
    }

    fn problems(endpoints: &str) -> Vec<String> {
        let mut p = Problems::default();
        check(&scenario(endpoints), &mut p);
        p.0.into_iter()
            .map(|x| format!("{}: {}", x.path, x.message))
            .collect()
    }

    #[test]
    fn a_long_chain_is_reported_once_at_its_top_with_its_ends() {
        let n = 20_000;
        let eps: String = (0..n)
            .map(|k| {
                if k + 1 < n {
                    format!("\"e{k}\": [Call(\"e{}\")],", k + 1)
                } else {
                    format!("\"e{k}\": [Delay(Const(\"1ms\"))],")
                }
            })
            .collect();
        let m = problems(&eps);
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with(
                "endpoints.e0: e0 -> e1 -> e2 -> ... -> e19999: call depth 19999 is over 64"
            ),
            "{}",
            m[0]
        );
    }

    #[test]
    fn a_doubling_fan_out_is_reported_with_its_size() {
        let eps: String = (0..60)
            .map(|k| format!("\"e{k}\": [Call(\"e{}\"), Call(\"e{}\")],", k + 1, k + 1))
            .chain(std::iter::once(
                "\"e60\": [Delay(Const(\"1ms\"))],".to_owned(),
            ))
            .collect();
        let m = problems(&eps);
        assert_eq!(m.len(), 1, "{m:?}");
        // 2^60 copies of e60's one step: exact, not saturated.
        assert!(
            m[0].contains(&format!("expands to {} steps", 1u64 << 60)),
            "{}",
            m[0]
        );
    }

    #[test]
    fn nesting_inside_a_callee_counts_and_limits_are_inclusive() {
        // 64 levels exactly: e0 .. e64 is 64 Calls.
        let eps: String = (0..=64)
            .map(|k| {
                if k < 64 {
                    format!("\"e{k}\": [Call(\"e{}\")],", k + 1)
                } else {
                    "\"e64\": [Delay(Const(\"1ms\"))],".to_owned()
                }
            })
            .collect();
        assert!(problems(&eps).is_empty());
        // One fallback level more inside the last callee tips it over.
        let eps = eps.replace(
            "\"e64\": [Delay(Const(\"1ms\"))]",
            "\"e64\": [External(dependency: \"d\", fallback: [Delay(Const(\"1ms\"))])]",
        );
        let m = problems(&eps);
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].contains("call depth 65 is over 64"), "{}", m[0]);
    }

    #[test]
    fn many_callers_of_one_endpoint_are_each_within_the_limit() {
        // 2,000 callers of one 1,000-step endpoint: each request runs
        // 1,000 steps, and the callers share the callee's program, so the
        // 2 M steps once limited in total are no longer a limit here.
        let body = vec!["Delay(Const(\"1ms\"))"; 1000].join(",");
        let mut eps = format!("\"big\": [{body}],");
        for k in 0..2000 {
            eps.push_str(&format!("\"c{k}\": [Call(\"big\")],"));
        }
        assert!(problems(&eps).is_empty());
        // One more step than the limit in a single request is reported.
        let eps = format!(
            "\"e0\": [Call(\"big\"), {}], \"big\": [{body}]",
            vec!["Delay(Const(\"1ms\"))"; 99_001].join(",")
        );
        let m = problems(&eps);
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with(
                "endpoints.e0: e0 -> big: expands to 100001 steps per request, over 100000"
            ),
            "{}",
            m[0]
        );
    }
}
