//! The topology drawn for the HTML report: the scenario's graph (as the
//! `graph` command prints it in Graphviz DOT) laid out and drawn in SVG by
//! the pure-Rust `layout-rs` crate, so no Graphviz is needed.

use crate::scenario::{Scenario, Topology};
use layout::backends::svg::SVGWriter;
use layout::gv::{DotParser, GraphBuilder};

/// The report set's `topology.svg`: `scenario`'s graph laid out and drawn.
pub fn topology_file(scenario: &Scenario) -> (String, String) {
    let dot = Topology::new(scenario).to_dot(&scenario.name);
    ("topology.svg".to_owned(), topology_svg(&dot))
}

/// `dot` laid out and drawn as an SVG document; a graph the parser cannot
/// read gives an SVG that says so (the DOT comes from the scenario graph,
/// so that would be a defect of ours, not of the scenario).
fn topology_svg(dot: &str) -> String {
    match DotParser::new(dot).process() {
        Ok(graph) => {
            let mut builder = GraphBuilder::new();
            builder.visit_graph(&graph);
            let mut visual = builder.get();
            let mut svg = SVGWriter::new();
            visual.do_it(false, false, false, &mut svg);
            let mut out = svg.finalize();
            if !out.ends_with('\n') {
                out.push('\n');
            }
            out
        }
        Err(e) => format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"600\" height=\"40\"><text x=\"10\" y=\"20\">topology error: {}</text></svg>\n",
            super::html::esc(&e)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_every_node_and_edge_label_deterministically() {
        let dot = "digraph \"t\" {\n  rankdir=LR;\n  n0 [label=\"lb\\n(LoadBalancer)\", shape=box];\n  n1 [label=\"api\\n(Deployment)\", shape=box];\n  n2 [label=\"read\", shape=ellipse];\n  n2 -> n0 [label=\"enters\"];\n  n0 -> n1 [label=\"routes\"];\n}\n";
        let svg = topology_svg(dot);
        assert!(svg.starts_with("<?xml") || svg.starts_with("<svg"), "{svg}");
        for text in ["lb", "(LoadBalancer)", "api", "read", "enters", "routes"] {
            assert!(svg.contains(&format!(">{text}<")), "{text} missing: {svg}");
        }
        assert_eq!(svg, topology_svg(dot));
    }

    #[test]
    fn unreadable_dot_says_so() {
        assert!(topology_svg("digraph {").contains("topology error"));
    }
}
