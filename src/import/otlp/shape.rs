//! From spans to the system they show: services, endpoints, and for each
//! endpoint the shapes (sequences of steps) its requests took, with every
//! step's observed durations.

use super::read::Span;
use std::collections::{BTreeMap, BTreeSet};

/// Span kinds (OTLP `SpanKind`).
const SERVER: i32 = 2;
const CLIENT: i32 = 3;
const PRODUCER: i32 = 4;

/// `db.system` values that are caches.
const CACHES: [&str; 3] = ["redis", "memcached", "valkey"];

/// What one child span is, as a step.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Op {
    /// A read query on this database.
    DbRead(String),
    /// A write query on this database.
    DbWrite(String),
    /// A read (GET...) on this cache.
    CacheRead(String),
    /// A write or delete on this cache; `true` for a SET-like fill.
    CacheWrite(String, bool),
    /// A traced call to this endpoint (index into `System::endpoints`).
    Call(usize),
    /// An untraced outgoing call (pure latency).
    Delay(String),
}

/// The steps of one request shape, with their observed durations (ns).
#[derive(Debug, Default)]
pub(super) struct Shape {
    /// Requests that took this shape.
    pub(super) count: usize,
    /// Per step: what it is and its durations.
    pub(super) steps: Vec<(Op, Vec<f64>)>,
}

/// One endpoint: a server span name (or route) of a service.
#[derive(Debug)]
pub(super) struct Endpoint {
    /// `http.route` (with the method) or the span's name.
    pub(super) name: String,
    /// The `service.name` serving it.
    pub(super) service: String,
    /// Requests that started here (root spans): its share of the mix.
    pub(super) roots: usize,
    /// Time inside its server span outside every child step (ns), per request.
    pub(super) self_times: Vec<f64>,
    /// Shapes by their step keys.
    pub(super) shapes: BTreeMap<Vec<String>, Shape>,
}

impl Endpoint {
    /// The most common shape (the first in key order among equals).
    pub(super) fn modal(&self) -> Option<&Shape> {
        self.shapes
            .values()
            .fold(None, |best: Option<&Shape>, s| match best {
                Some(b) if b.count >= s.count => Some(b),
                _ => Some(s),
            })
    }

    /// Requests seen (as roots or called).
    pub(super) fn requests(&self) -> usize {
        self.self_times.len()
    }
}

/// What the traces show.
#[derive(Debug, Default)]
pub(super) struct System {
    /// Every endpoint, in order of first appearance.
    pub(super) endpoints: Vec<Endpoint>,
    /// Databases by name.
    pub(super) databases: BTreeSet<String>,
    /// Which databases each service queries.
    pub(super) uses: BTreeMap<String, BTreeSet<String>>,
    /// Caches by name, with every operation's duration.
    pub(super) caches: BTreeMap<String, Vec<f64>>,
    /// Spans read.
    pub(super) spans: usize,
    /// First and last root span start (ns since the epoch).
    pub(super) window: (u64, u64),
    /// What was not modelled.
    pub(super) warnings: Vec<String>,
}

type Key = (Vec<u8>, Vec<u8>);

struct Builder<'s> {
    spans: &'s [Span],
    children: BTreeMap<Key, Vec<usize>>,
    system: System,
    skipped: BTreeMap<String, usize>,
}

impl System {
    /// Groups spans into traces and endpoints.
    pub(super) fn from_spans(spans: &[Span]) -> System {
        let ids: BTreeSet<Key> = spans
            .iter()
            .map(|s| (s.trace.clone(), s.id.clone()))
            .collect();
        let mut children: BTreeMap<Key, Vec<usize>> = BTreeMap::new();
        let mut orphans = 0;
        for (i, s) in spans.iter().enumerate() {
            if s.parent.is_empty() {
                continue;
            }
            let parent = (s.trace.clone(), s.parent.clone());
            if !ids.contains(&parent) {
                orphans += 1;
            }
            children.entry(parent).or_default().push(i);
        }
        for list in children.values_mut() {
            list.sort_by_key(|&i| (spans[i].start, i));
        }
        let mut b = Builder {
            spans,
            children,
            system: System {
                spans: spans.len(),
                window: (u64::MAX, 0),
                ..System::default()
            },
            skipped: BTreeMap::new(),
        };
        for (i, s) in spans.iter().enumerate() {
            if s.parent.is_empty() {
                let e = b.server(i);
                b.system.endpoints[e].roots += 1;
                b.system.window = (
                    b.system.window.0.min(s.start),
                    b.system.window.1.max(s.start),
                );
            }
        }
        let mut system = b.system;
        if orphans > 0 {
            system.warnings.push(format!(
                "{orphans} span(s) whose parent is not in the file: not modelled (traces cut by sampling or batching)"
            ));
        }
        for (what, n) in b.skipped {
            system
                .warnings
                .push(format!("{n} span(s) {what}: not modelled"));
        }
        system
    }
}

impl<'s> Builder<'s> {
    /// Records one server span (a request to an endpoint); returns the endpoint.
    fn server(&mut self, i: usize) -> usize {
        let spans = self.spans;
        let s = &spans[i];
        let name = endpoint_name(s);
        let e = match self
            .system
            .endpoints
            .iter()
            .position(|e| e.name == name && e.service == s.service)
        {
            Some(e) => e,
            None => {
                self.system.endpoints.push(Endpoint {
                    name,
                    service: s.service.clone(),
                    roots: 0,
                    self_times: Vec::new(),
                    shapes: BTreeMap::new(),
                });
                self.system.endpoints.len() - 1
            }
        };
        let mut ops = Vec::new();
        self.collect(i, &mut ops);
        let covered = union(
            ops.iter()
                .map(|(_, _, span)| (span.start.max(s.start), span.end.min(s.end))),
        );
        let self_time = s.duration().saturating_sub(covered);
        let keys: Vec<String> = ops
            .iter()
            .map(|(op, key, _)| format!("{op:?} {key}"))
            .collect();
        let endpoint = &mut self.system.endpoints[e];
        endpoint.self_times.push(self_time as f64);
        let shape = endpoint.shapes.entry(keys).or_default();
        shape.count += 1;
        if shape.steps.is_empty() {
            shape.steps = ops
                .iter()
                .map(|(op, _, _)| (op.clone(), Vec::new()))
                .collect();
        }
        for (step, (_, _, span)) in shape.steps.iter_mut().zip(&ops) {
            step.1.push(span.duration() as f64);
        }
        e
    }

    /// The steps under span `i`, in start order; internal spans are looked through.
    fn collect(&mut self, i: usize, ops: &mut Vec<(Op, String, &'s Span)>) {
        let spans = self.spans;
        let key = (spans[i].trace.clone(), spans[i].id.clone());
        let children = self.children.get(&key).cloned().unwrap_or_default();
        for c in children {
            let span = &spans[c];
            if let Some(system) = span.attr(&["db.system.name", "db.system"]) {
                if let Some(op) = self.data_op(span, system) {
                    ops.push((op, span.name.clone(), span));
                }
            } else if span.kind == SERVER {
                let e = self.server(c);
                ops.push((Op::Call(e), String::new(), span));
            } else if span.kind == CLIENT || span.kind == PRODUCER {
                let child = (span.trace.clone(), span.id.clone());
                let callee = self
                    .children
                    .get(&child)
                    .and_then(|list| list.iter().copied().find(|&g| spans[g].kind == SERVER));
                match callee {
                    Some(g) => {
                        let e = self.server(g);
                        ops.push((Op::Call(e), String::new(), span));
                    }
                    None => ops.push((Op::Delay(span.name.clone()), span.name.clone(), span)),
                }
            } else {
                self.collect(c, ops);
            }
        }
    }

    /// A database or cache span as a step (None: an operation with no step,
    /// such as BEGIN or COMMIT, counted in a warning).
    fn data_op(&mut self, span: &Span, system: &str) -> Option<Op> {
        let operation = span
            .attr(&["db.operation.name", "db.operation"])
            .map(str::to_owned)
            .or_else(|| {
                span.attr(&["db.query.text", "db.statement"])
                    .or(Some(span.name.as_str()))
                    .and_then(|t| t.split_whitespace().next())
                    .map(str::to_owned)
            })
            .unwrap_or_default()
            .to_ascii_uppercase();
        if CACHES.contains(&system) {
            let cache = system.to_owned();
            self.system
                .caches
                .entry(cache.clone())
                .or_default()
                .push(span.duration() as f64);
            let read = matches!(
                operation.as_str(),
                "GET"
                    | "MGET"
                    | "HGET"
                    | "HGETALL"
                    | "HMGET"
                    | "EXISTS"
                    | "GETEX"
                    | "SMEMBERS"
                    | "LRANGE"
                    | "ZRANGE"
                    | "GETS"
            );
            let fill = operation.starts_with("SET") || operation == "MSET" || operation == "HSET";
            return Some(if read {
                Op::CacheRead(cache)
            } else {
                Op::CacheWrite(cache, fill)
            });
        }
        let db = span
            .attr(&["db.namespace", "db.name"])
            .unwrap_or(system)
            .to_owned();
        let read = matches!(
            operation.as_str(),
            "SELECT" | "FIND" | "GET" | "QUERY" | "SCAN" | "COUNT" | "AGGREGATE" | "WITH" | "SHOW"
        );
        let write = matches!(
            operation.as_str(),
            "INSERT" | "UPDATE" | "DELETE" | "UPSERT" | "MERGE" | "REPLACE" | "PUT" | "COPY"
        );
        if !read && !write {
            *self
                .skipped
                .entry(format!("of database operation `{operation}` ({system})"))
                .or_default() += 1;
            return None;
        }
        self.system.databases.insert(db.clone());
        self.system
            .uses
            .entry(span.service.clone())
            .or_default()
            .insert(db.clone());
        Some(if read {
            Op::DbRead(db)
        } else {
            Op::DbWrite(db)
        })
    }
}

/// "GET /projects/{id}" from `http.route` and the method; else the span's name.
fn endpoint_name(s: &Span) -> String {
    match (
        s.attr(&["http.route"]),
        s.attr(&["http.request.method", "http.method"]),
    ) {
        (Some(route), Some(method)) => format!("{method} {route}"),
        (Some(route), None) => route.to_owned(),
        _ if s.name.is_empty() => "unnamed".to_owned(),
        _ => s.name.clone(),
    }
}

/// Total length of a union of intervals.
fn union(intervals: impl Iterator<Item = (u64, u64)>) -> u64 {
    let mut v: Vec<(u64, u64)> = intervals.filter(|(a, b)| b > a).collect();
    v.sort_unstable();
    let mut total = 0;
    let mut current: Option<(u64, u64)> = None;
    for (a, b) in v {
        current = match current {
            Some((ca, cb)) if a <= cb => Some((ca, cb.max(b))),
            Some((ca, cb)) => {
                total += cb - ca;
                Some((a, b))
            }
            None => Some((a, b)),
        };
    }
    total + current.map_or(0, |(a, b)| b - a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unions_overlapping_intervals() {
        assert_eq!(union([(0, 10), (5, 15), (20, 25), (3, 4)].into_iter()), 20);
        assert_eq!(union(std::iter::empty()), 0);
    }
}
