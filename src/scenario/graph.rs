//! The architecture as a graph: components and endpoints as nodes, calls and
//! routes as edges. Used to find call loops and to draw the topology.
//!
//! Node labels carry what an edge cannot: a CDN's points of presence and the
//! rate limits of a balancer or an endpoint.

use super::schema::{Component, RateLimit, Scenario, Step, Tier};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use std::collections::BTreeMap;
use std::fmt::Write;

/// A node: a component (with its kind) or an endpoint, each with notes
/// for its label (PoPs, rate limits).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Node {
    /// A component: kind, name and notes.
    Component(&'static str, String, Vec<String>),
    /// An endpoint: name and notes.
    Endpoint(String, Vec<String>),
}

/// "limit: TokenBucket per 1m, 3 tiers".
fn limit_note(r: &RateLimit) -> String {
    let n = r.tiers.len();
    format!(
        "limit: {:?} per {}, {n} tier{}",
        r.algorithm,
        r.window,
        if n == 1 { "" } else { "s" }
    )
}

/// The notes on a component's label (`regions`: the scenario has regions).
fn component_notes(c: &Component, regions: bool) -> Vec<String> {
    match c {
        Component::Cdn(cdn) if !cdn.pops.is_empty() => {
            vec![format!("PoPs: {}", cdn.pops.join(", "))]
        }
        Component::Cdn(_) if regions => vec!["PoPs: every region".to_owned()],
        Component::LoadBalancer(lb) => lb.rate_limit.iter().map(limit_note).collect(),
        _ => Vec::new(),
    }
}

/// The scenario's topology graph.
pub struct Topology {
    graph: DiGraph<Node, &'static str>,
    endpoints: BTreeMap<String, NodeIndex>,
}

impl Topology {
    /// Builds the graph; references to unknown names are left out (validation reports them).
    pub fn new(s: &Scenario) -> Topology {
        let mut graph = DiGraph::new();
        let mut components = BTreeMap::new();
        for c in &s.components {
            let n = graph.add_node(Node::Component(
                c.kind(),
                c.name().to_owned(),
                component_notes(c, s.regions.is_some()),
            ));
            components.entry(c.name().to_owned()).or_insert(n);
        }
        let mut endpoints = BTreeMap::new();
        for name in s.endpoints.keys() {
            let notes = s.limits.get(name).map(limit_note).into_iter().collect();
            endpoints.insert(
                name.clone(),
                graph.add_node(Node::Endpoint(name.clone(), notes)),
            );
        }
        // A deployment without a named database uses the only one (as in
        // validation); one that serves requests is drawn querying it.
        let databases: Vec<&str> = s
            .components
            .iter()
            .filter(|c| matches!(c, Component::Database(_)))
            .map(|c| c.name())
            .collect();
        let served: Vec<&str> = s
            .components
            .iter()
            .filter_map(|c| match c {
                Component::LoadBalancer(lb) => Some(lb.targets.keys()),
                _ => None,
            })
            .flatten()
            .map(String::as_str)
            .collect();
        for c in &s.components {
            let from = components[c.name()];
            match c {
                Component::LoadBalancer(lb) => {
                    for t in lb.targets.keys() {
                        if let Some(&to) = components.get(t) {
                            graph.add_edge(from, to, "routes");
                        }
                    }
                }
                Component::Queue(q) if q.deployment.is_some() => {
                    if let Some(&to) = q.deployment.as_ref().and_then(|d| components.get(d)) {
                        graph.add_edge(from, to, "worked by");
                    }
                }
                Component::Deployment(d) if d.database.is_some() => {
                    if let Some(&to) = d.database.as_ref().and_then(|db| components.get(db)) {
                        graph.add_edge(from, to, "queries");
                    }
                }
                Component::Deployment(d) if served.contains(&d.name.as_str()) => {
                    if let [only] = databases[..] {
                        graph.add_edge(from, components[only], "queries");
                    }
                }
                _ => {}
            }
        }
        let mut linked = std::collections::HashSet::new();
        for (name, steps) in &s.endpoints {
            let from = endpoints[name];
            for step in nested(steps) {
                let node = |n: &str| components.get(n).copied();
                let caches = |tiers: &[Tier]| -> Vec<NodeIndex> {
                    tiers
                        .iter()
                        .filter_map(|t| match t {
                            Tier::Named(n) => node(n),
                            Tier::L1 => None,
                        })
                        .collect()
                };
                let (targets, label) = match step {
                    Step::Lb(lb) => (node(lb).into_iter().collect(), "enters"),
                    Step::Call(ep) | Step::CallWith { endpoint: ep, .. } => {
                        (endpoints.get(ep).copied().into_iter().collect(), "calls")
                    }
                    Step::Cdn(cdn) => (node(cdn).into_iter().collect(), "cached at"),
                    Step::External { dependency, .. } => {
                        (node(dependency).into_iter().collect(), "depends on")
                    }
                    Step::Enqueue { queue, .. } => (node(queue).into_iter().collect(), "enqueues"),
                    Step::Session { cache, .. } => {
                        (node(cache).into_iter().collect(), "keeps sessions in")
                    }
                    Step::CacheAside { tiers, .. } => (caches(tiers), "reads through"),
                    Step::Invalidate(tiers) => (caches(tiers), "invalidates"),
                    _ => continue,
                };
                for to in targets {
                    if linked.insert((from, to)) {
                        graph.add_edge(from, to, label);
                    }
                }
            }
        }
        Topology { graph, endpoints }
    }

    /// A loop of endpoints calling each other, in call order, if there is one.
    pub fn call_cycle(&self) -> Option<Vec<String>> {
        // Depth-first search over `calls` edges, in name order (deterministic),
        // with an explicit stack: a chain of calls may be any length.
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            OnPath,
            Done,
        }
        let calls = |n: NodeIndex| -> Vec<NodeIndex> {
            let mut next: Vec<NodeIndex> = self
                .graph
                .edges(n)
                .filter(|e| *e.weight() == "calls")
                .map(|e| e.target())
                .collect();
            next.sort_by_key(|x| x.index());
            next
        };
        let mut mark = vec![Mark::New; self.graph.node_count()];
        for &root in self.endpoints.values() {
            if mark[root.index()] != Mark::New {
                continue;
            }
            // The path from `root`: each node with its callees and the next to visit.
            let mut path: Vec<(NodeIndex, Vec<NodeIndex>, usize)> = vec![(root, calls(root), 0)];
            mark[root.index()] = Mark::OnPath;
            while let Some((n, next, i)) = path.last_mut() {
                let Some(&m) = next.get(*i) else {
                    mark[n.index()] = Mark::Done;
                    path.pop();
                    continue;
                };
                *i += 1;
                match mark[m.index()] {
                    Mark::OnPath => {
                        let start = path.iter().position(|x| x.0 == m).unwrap_or(0);
                        return Some(
                            path[start..]
                                .iter()
                                .map(|x| self.name(x.0).to_owned())
                                .collect(),
                        );
                    }
                    Mark::New => {
                        mark[m.index()] = Mark::OnPath;
                        path.push((m, calls(m), 0));
                    }
                    Mark::Done => {}
                }
            }
        }
        None
    }

    fn name(&self, n: NodeIndex) -> &str {
        match &self.graph[n] {
            Node::Component(_, name, _) | Node::Endpoint(name, _) => name,
        }
    }

    /// The graph in Graphviz DOT: components as boxes by kind, endpoints as ellipses.
    pub fn to_dot(&self, title: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "digraph \"{}\" {{", title.replace('"', "'"));
        let _ = writeln!(out, "  rankdir=LR;");
        for i in self.graph.node_indices() {
            let (mut label, shape, notes) = match &self.graph[i] {
                Node::Component(kind, name, notes) => (format!("{name}\\n({kind})"), "box", notes),
                Node::Endpoint(name, notes) => (name.clone(), "ellipse", notes),
            };
            for note in notes {
                label.push_str("\\n");
                label.push_str(note);
            }
            let _ = writeln!(
                out,
                "  n{} [label=\"{}\", shape={shape}];",
                i.index(),
                label.replace('"', "'")
            );
        }
        for e in self.graph.edge_references() {
            let _ = writeln!(
                out,
                "  n{} -> n{} [label=\"{}\"];",
                e.source().index(),
                e.target().index(),
                e.weight()
            );
        }
        out.push_str("}\n");
        out
    }
}

/// Every step of a list, with the steps nested in its steps included.
fn nested(steps: &[Step]) -> Vec<&Step> {
    let mut out = Vec::new();
    for step in steps {
        out.push(step);
        match step {
            // Steps inside fallbacks count too (a fallback may call an endpoint).
            Step::External { fallback, .. } => out.extend(nested(fallback)),
            // A `CacheAside`'s load and round-trip steps, a `CallWith`'s
            // fallback and a `Parallel`'s calls and fallback.
            Step::CacheAside { .. } | Step::CallWith { .. } | Step::Parallel { .. } => {
                for list in step.nested_lists() {
                    out.extend(nested(list));
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_shows_default_databases_caches_pops_and_limits() {
        let text = r#"Scenario(
            name: "g", seed: 1, run: (duration: "1m"),
            regions: (users: { "us": 0.5, "eu": 0.5 }, rtt: { "us": { "eu": "80ms" } }, primary: "us"),
            workload: (users: 100, rps_per_user: 1.0, mix: { "read": 1.0, "write": 0.1 },
                       keys: (count: 100, popularity: Uniform)),
            components: [
                Cdn(name: "edge", capacity: 10, ttl: "1m", latency: Const("5ms"), pops: ["eu"]),
                LoadBalancer(name: "alb", targets: { "api": 1 },
                             rate_limit: (algorithm: TokenBucket, window: "1s", tiers: [(name: "all", share: 1.0, max: 50)])),
                Deployment(name: "api", replicas: 2, concurrency: 4, l1: (capacity: 10)),
                Deployment(name: "workers", replicas: 1, concurrency: 1),
                Queue(name: "jobs", deployment: "workers", concurrency: 1),
                Cache(name: "redis", capacity: 10, latency: Const("1ms"), concurrency: 8),
                Database(name: "pg", connections: 4),
            ],
            limits: { "write": (algorithm: Gcra, window: "1m", tiers: [(name: "a", share: 0.5, max: 5), (name: "b", share: 0.5, max: 10)]) },
            endpoints: {
                "read": [Cdn("edge"), Lb("alb"), CacheAside(tiers: [L1, "redis"], on_miss: [DbRead(Const("1ms"))])],
                "write": [Lb("alb"), DbWrite(Const("1ms")), Invalidate([L1, "redis"]),
                          Enqueue(queue: "jobs", work: Const("1s"))],
            },
        )"#;
        let s = crate::scenario::parse(text, "g.ron").unwrap();
        crate::scenario::validate(&s).unwrap();
        let dot = Topology::new(&s).to_dot("g");
        let id = |label: &str| {
            dot.lines()
                .find(|l| l.contains(&format!("[label=\"{label}")))
                .and_then(|l| l.trim().split(' ').next())
                .unwrap_or_else(|| panic!("no node {label} in\n{dot}"))
                .to_owned()
        };
        let edge = |a: &str, b: &str, what: &str| {
            let line = format!("{} -> {} [label=\"{what}\"];", id(a), id(b));
            assert!(dot.contains(&line), "missing {a} -{what}-> {b} in\n{dot}");
        };
        edge("api", "pg", "queries");
        edge("read", "redis", "reads through");
        edge("write", "redis", "invalidates");
        edge("write", "jobs", "enqueues");
        edge("jobs", "workers", "worked by");
        edge("read", "edge", "cached at");
        // The worker deployment serves no requests: no database edge.
        assert!(
            !dot.contains(&format!("{} -> {}", id("workers"), id("pg"))),
            "{dot}"
        );
        for note in [
            "edge\\n(Cdn)\\nPoPs: eu\"",
            "alb\\n(LoadBalancer)\\nlimit: TokenBucket per 1s, 1 tier\"",
            "write\\nlimit: Gcra per 1m, 2 tiers\"",
        ] {
            assert!(dot.contains(note), "{note} not in\n{dot}");
        }
        // Without `pops`, a CDN has a PoP in every region.
        let s = crate::scenario::parse(&text.replace(", pops: [\"eu\"]", ""), "g.ron").unwrap();
        let dot = Topology::new(&s).to_dot("g");
        assert!(dot.contains("edge\\n(Cdn)\\nPoPs: every region\""), "{dot}");
    }
}
