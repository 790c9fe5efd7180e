//! What a run used, read from its report by index: the input of billing.

use crate::report::CdnReport;
use crate::Report;
use serde::{Deserialize, Serialize};

/// What a run used, the input of cost accrual. Every list is in the order
/// of the plan's (and the report's) list of its family.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// Simulated seconds the usage covers.
    pub seconds: f64,
    /// Requests per second served successfully (the divisor of the cost per
    /// million: failed requests cost money but are not what it buys).
    pub served_per_s: f64,
    /// Per deployment: (pod-seconds on on-demand capacity, pod-seconds on
    /// spot nodes) as the run measured them. Without a modelled node pool
    /// every pod is on-demand here, and billing splits them by the
    /// deployment's `spot` share.
    pub pods: Vec<(f64, f64)>,
    /// Per deployment: (on-demand node-seconds, spot node-seconds) of its
    /// modelled node pool (zeros without one): what such a deployment is
    /// billed for, since its pods share the nodes.
    #[serde(default)]
    pub nodes: Vec<(f64, f64)>,
    /// Per CDN: the traffic of each point of presence (one without regions).
    #[serde(default)]
    pub cdns: Vec<Vec<CdnUsage>>,
    /// Per job queue: messages per second, retries included.
    #[serde(default)]
    pub queues: Vec<f64>,
}

/// The traffic of one CDN at one point of presence.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CdnUsage {
    /// The PoP's region (`None`: a CDN without regions, one PoP).
    pub region: Option<String>,
    /// Requests per second the edge answered.
    pub requests_per_s: f64,
    /// Bytes per second sent to clients.
    pub bytes_per_s: f64,
}

impl Usage {
    /// What a run used. Pod-seconds come from the run's scaling report (so
    /// they follow the autoscaler and count pods from scheduling), split
    /// on-demand/spot by the nodes they ran on. CDN and queue traffic is the
    /// measured rate after warm-up; a CDN's bytes to clients are its edge
    /// bytes plus the origin bytes of misses (refreshes go to the origin only).
    pub fn from_report(report: &Report) -> Usage {
        let measured = (report.simulated_s - report.warmup_s).max(1e-9);
        Usage {
            seconds: report.simulated_s,
            served_per_s: report.summary.throughput_rps,
            pods: report
                .scaling
                .iter()
                .map(|x| (x.pod_seconds_on_demand, x.pod_seconds_spot))
                .collect(),
            nodes: report
                .scaling
                .iter()
                .map(|x| (x.node_hours_on_demand * 3600.0, x.node_hours_spot * 3600.0))
                .collect(),
            cdns: report.cdns.iter().map(|x| cdn_usage(x, measured)).collect(),
            queues: report
                .queues
                .iter()
                .map(|x| (x.enqueued + x.retries) as f64 / measured)
                .collect(),
        }
    }
}

/// One CDN's traffic per point of presence over `measured` seconds.
fn cdn_usage(x: &CdnReport, measured: f64) -> Vec<CdnUsage> {
    let to_clients = |edge: u64, origin: u64, misses: u64, refreshes: u64| {
        let pulls = (misses + refreshes).max(1) as f64;
        edge as f64 + origin as f64 * misses as f64 / pulls
    };
    let mut pops = Vec::new();
    if x.pops.is_empty() {
        pops.push(CdnUsage {
            region: None,
            requests_per_s: x.lookups as f64 / measured,
            bytes_per_s: to_clients(x.edge_bytes, x.origin_bytes, x.misses, x.refreshes) / measured,
        });
    }
    for p in &x.pops {
        pops.push(CdnUsage {
            region: Some(p.region.clone()),
            requests_per_s: p.lookups as f64 / measured,
            bytes_per_s: to_clients(p.edge_bytes, p.origin_bytes, p.misses, p.refreshes) / measured,
        });
    }
    pops
}
