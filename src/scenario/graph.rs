//! The architecture as a graph: components and endpoints as nodes, calls and
//! routes as edges. Used to find call loops and to draw the topology.

use super::schema::{Component, Scenario, Step};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use std::collections::BTreeMap;
use std::fmt::Write;

/// A node: a component (with its kind) or an endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Node {
    /// A component: kind and name.
    Component(&'static str, String),
    /// An endpoint by name.
    Endpoint(String),
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
            let n = graph.add_node(Node::Component(c.kind(), c.name().to_owned()));
            components.entry(c.name().to_owned()).or_insert(n);
        }
        let mut endpoints = BTreeMap::new();
        for name in s.endpoints.keys() {
            endpoints.insert(name.clone(), graph.add_node(Node::Endpoint(name.clone())));
        }
        for c in &s.components {
            let from = components[c.name()];
            match c {
                Component::LoadBalancer { targets, .. } => {
                    for t in targets.keys() {
                        if let Some(&to) = components.get(t) {
                            graph.add_edge(from, to, "routes");
                        }
                    }
                }
                Component::Queue {
                    deployment: Some(d),
                    ..
                } => {
                    if let Some(&to) = components.get(d) {
                        graph.add_edge(from, to, "worked by");
                    }
                }
                Component::Deployment {
                    database: Some(db), ..
                } => {
                    if let Some(&to) = components.get(db) {
                        graph.add_edge(from, to, "queries");
                    }
                }
                _ => {}
            }
        }
        for (name, steps) in &s.endpoints {
            let from = endpoints[name];
            for step in nested(steps) {
                let (target, label) = match step {
                    Step::Lb(lb) => (components.get(lb), "enters"),
                    Step::Call(ep) => (endpoints.get(ep), "calls"),
                    Step::Cdn(cdn) => (components.get(cdn), "cached at"),
                    Step::External { dependency, .. } => (components.get(dependency), "depends on"),
                    Step::Enqueue { queue, .. } => (components.get(queue), "enqueues"),
                    _ => (None, ""),
                };
                if let Some(&to) = target {
                    if graph.find_edge(from, to).is_none() {
                        graph.add_edge(from, to, label);
                    }
                }
            }
        }
        Topology { graph, endpoints }
    }

    /// A loop of endpoints calling each other, in call order, if there is one.
    pub fn call_cycle(&self) -> Option<Vec<String>> {
        // Depth-first search over `calls` edges, in name order (deterministic).
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            OnPath,
            Done,
        }
        let mut mark = vec![Mark::New; self.graph.node_count()];
        let mut path: Vec<NodeIndex> = Vec::new();
        fn visit(
            t: &Topology,
            n: NodeIndex,
            mark: &mut Vec<Mark>,
            path: &mut Vec<NodeIndex>,
        ) -> Option<Vec<NodeIndex>> {
            mark[n.index()] = Mark::OnPath;
            path.push(n);
            let mut next: Vec<NodeIndex> = t
                .graph
                .edges(n)
                .filter(|e| *e.weight() == "calls")
                .map(|e| e.target())
                .collect();
            next.sort_by_key(|x| x.index());
            for m in next {
                match mark[m.index()] {
                    Mark::OnPath => {
                        let start = path.iter().position(|&x| x == m).unwrap_or(0);
                        return Some(path[start..].to_vec());
                    }
                    Mark::New => {
                        if let Some(c) = visit(t, m, mark, path) {
                            return Some(c);
                        }
                    }
                    Mark::Done => {}
                }
            }
            path.pop();
            mark[n.index()] = Mark::Done;
            None
        }
        for &n in self.endpoints.values() {
            if mark[n.index()] == Mark::New {
                if let Some(cycle) = visit(self, n, &mut mark, &mut path) {
                    return Some(cycle.iter().map(|&i| self.name(i).to_owned()).collect());
                }
            }
        }
        None
    }

    fn name(&self, n: NodeIndex) -> &str {
        match &self.graph[n] {
            Node::Component(_, name) | Node::Endpoint(name) => name,
        }
    }

    /// The graph in Graphviz DOT: components as boxes by kind, endpoints as ellipses.
    pub fn to_dot(&self, title: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "digraph \"{}\" {{", title.replace('"', "'"));
        let _ = writeln!(out, "  rankdir=LR;");
        for i in self.graph.node_indices() {
            let (label, shape) = match &self.graph[i] {
                Node::Component(kind, name) => (format!("{name}\\n({kind})"), "box"),
                Node::Endpoint(name) => (name.clone(), "ellipse"),
            };
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

/// Every step of a list, with the `on_miss` steps of `CacheAside` steps included.
fn nested(steps: &[Step]) -> Vec<&Step> {
    let mut out = Vec::new();
    for step in steps {
        out.push(step);
        match step {
            Step::CacheAside { on_miss, .. } => out.extend(nested(on_miss)),
            // Steps inside fallbacks count too (a fallback may call an endpoint).
            Step::External { fallback, .. } => out.extend(nested(fallback)),
            _ => {}
        }
    }
    out
}
