//! The autoscaling and capacity parts of a Deployment: its `hpa` (and the
//! queue it may scale on), `startup`, `resources`, `nodes`, `min_available`
//! and `zones`. (The faults on pods and nodes are in [`super::pod_faults`].)

use super::checks::check_finite;
use super::context::{list, Problems};
use crate::algo::hpa::{
    Behavior, HpaSpec, MetricSpec, Policy, PolicyKind, ResourceName, ScalingRules, SelectPolicy,
};
use crate::algo::Nanos;
use crate::scenario::plan::{AutoscaleSpec, CpuSpec, DeploymentSpec, NodePoolSpec, QueueSpec};
use crate::scenario::schema::{self, Component, Hpa, Nodes, Scenario};
use crate::scenario::units::Duration;

/// Largest `maxReplicas`.
const MAX_REPLICAS: u32 = 10_000;

/// The autoscaling and capacity fields of a Deployment, resolved.
pub(super) struct PodCapacity {
    pub(super) hpa: Option<AutoscaleSpec>,
    pub(super) startup: Nanos,
    pub(super) cpu_milli: i64,
    pub(super) memory_mib: f64,
    pub(super) base_memory_mib: f64,
    pub(super) per_request_mib: f64,
    pub(super) memory_limit_mib: Option<f64>,
    pub(super) nodes: Option<NodePoolSpec>,
    pub(super) zones: Vec<String>,
    pub(super) cpu: Option<CpuSpec>,
}

/// What `resources.requests` and `resources.limits` declare, checked.
#[derive(Default)]
struct Declared {
    cpu_request: Option<f64>,
    cpu_limit: Option<f64>,
    memory_request: Option<f64>,
    memory_limit: Option<f64>,
}

impl Declared {
    /// The CPU model, when CPU is declared: the pod runs on the node's
    /// allocatable cores (`node_cpu`), or without a node pool on its
    /// request rounded up to whole cores (at least one); a limit caps that
    /// at the limit rounded up and adds the CFS quota.
    fn cpu_model(&self, node_cpu: Option<f64>) -> Option<CpuSpec> {
        let request = self.cpu_request.or(self.cpu_limit)?;
        let own = libm::ceil(self.cpu_limit.unwrap_or(request)).max(1.0);
        let cores = match (node_cpu, self.cpu_limit) {
            (Some(node), Some(limit)) => node.min(libm::ceil(limit).max(1.0)),
            (Some(node), None) => node,
            (None, _) => own,
        };
        Some(CpuSpec {
            cores,
            limit: self.cpu_limit,
        })
    }
}

/// Reads and checks `requests` and `limits` (a request above its limit, or
/// a field also given the older way, is a problem).
fn declared_resources(
    p: &mut Problems,
    at: &dyn Fn(&str) -> String,
    r: &schema::PodResources,
) -> Declared {
    let requests = r.requests.as_ref();
    let limits = r.limits.as_ref();
    let d = Declared {
        cpu_request: requests.and_then(|x| x.cpu),
        cpu_limit: limits.and_then(|x| x.cpu),
        memory_request: requests.and_then(|x| x.memory),
        memory_limit: limits.and_then(|x| x.memory),
    };
    let ranges = [
        (
            "requests.cpu",
            d.cpu_request,
            0.001,
            1000.0,
            "a CPU request (cores)",
        ),
        (
            "limits.cpu",
            d.cpu_limit,
            0.001,
            1000.0,
            "a CPU limit (cores)",
        ),
        (
            "requests.memory",
            d.memory_request,
            1.0,
            1e7,
            "a memory request (MiB)",
        ),
        (
            "limits.memory",
            d.memory_limit,
            1.0,
            1e7,
            "a memory limit (MiB)",
        ),
    ];
    for (field, value, low, high, what) in ranges {
        if let Some(v) = value {
            check_finite(p, &at(&format!("resources.{field}")), v, low, high, what);
        }
    }
    if r.cpu.is_some() && d.cpu_request.is_some() {
        p.add(
            at("resources.requests.cpu"),
            "the CPU request is given twice (resources.cpu and resources.requests.cpu): keep one",
        );
    }
    if r.memory_mib.is_some() && d.memory_request.is_some() {
        p.add(
            at("resources.requests.memory"),
            "the memory request is given twice (resources.memory_mib and resources.requests.memory): keep one",
        );
    }
    if let (Some(request), Some(limit)) = (d.cpu_request.or(r.cpu), d.cpu_limit) {
        if request > limit {
            p.add(
                at("resources.limits.cpu"),
                format!("the CPU request ({request} cores) is above its limit ({limit}); Kubernetes refuses such a pod"),
            );
        }
    }
    d
}

/// Checks the memory limit against the request and the idle footprint:
/// Kubernetes refuses a request above the limit, and a pod whose idle
/// memory is over its limit would be OOM-killed as soon as it starts.
fn check_memory_limit(
    p: &mut Problems,
    at: &dyn Fn(&str) -> String,
    limit: Option<f64>,
    request: f64,
    base: f64,
) {
    let Some(limit) = limit else { return };
    if request > limit {
        p.add(
            at("resources.limits.memory"),
            format!("the memory request ({request} MiB) is above its limit ({limit} MiB); Kubernetes refuses such a pod"),
        );
    }
    if base > limit {
        p.add(
            at("resources.base_memory_mib"),
            format!("the idle memory ({base} MiB) is above the memory limit ({limit} MiB): every pod would be OOM-killed as it starts"),
        );
    }
}

/// Resolves the autoscaling and capacity fields of Deployment `d` (the
/// other fields are the caller's).
pub(super) fn resolve_deployment(
    p: &mut Problems,
    at: &dyn Fn(&str) -> String,
    d: &schema::Deployment,
) -> PodCapacity {
    let r = d.resources.as_ref();
    let declared = r.map(|r| declared_resources(p, at, r)).unwrap_or_default();
    let cpu = r
        .and_then(|r| r.cpu)
        .or(declared.cpu_request)
        .unwrap_or(1.0);
    check_finite(
        p,
        &at("resources.cpu"),
        cpu,
        0.001,
        1000.0,
        "a CPU request (cores)",
    );
    let memory = r
        .and_then(|r| r.memory_mib)
        .or(declared.memory_request)
        .or(declared.memory_limit) // Kubernetes copies a lone limit into the request
        .unwrap_or(512.0);
    check_finite(
        p,
        &at("resources.memory_mib"),
        memory,
        1.0,
        1e7,
        "a memory request (MiB)",
    );
    let base = r.and_then(|r| r.base_memory_mib).unwrap_or(memory / 2.0);
    check_finite(
        p,
        &at("resources.base_memory_mib"),
        base,
        0.0,
        1e7,
        "idle memory (MiB)",
    );
    let per_request = r.and_then(|r| r.per_request_mib).unwrap_or(1.0);
    check_finite(
        p,
        &at("resources.per_request_mib"),
        per_request,
        0.0,
        1e6,
        "memory per request (MiB)",
    );
    check_memory_limit(p, at, declared.memory_limit, memory, base);
    let cpu_milli = (cpu * 1000.0).round().max(1.0) as i64;

    let hpa = d
        .hpa
        .as_ref()
        .and_then(|h| resolve_hpa(p, at, d.replicas, h));
    let nodes = d
        .nodes
        .as_ref()
        .and_then(|n| resolve_nodes(p, at, cpu, memory, n));
    if let (Some(m), Some(h)) = (d.min_available, &hpa) {
        if m > h.spec.max_replicas as u32 {
            p.add(
                at("min_available"),
                format!(
                    "min_available ({m}) above hpa.max ({}) could never be met",
                    h.spec.max_replicas
                ),
            );
        }
    }
    let zones = d
        .zones
        .as_deref()
        .map_or_else(Vec::new, |z| resolve_zones(p, at, z));
    let cpu_model = declared.cpu_model(d.nodes.as_ref().map(|n| n.cpu));
    PodCapacity {
        cpu: cpu_model,
        hpa,
        startup: d.startup.map_or(Nanos::ZERO, Duration::nanos),
        cpu_milli,
        memory_mib: memory,
        base_memory_mib: base,
        per_request_mib: per_request,
        memory_limit_mib: declared.memory_limit,
        nodes,
        zones,
    }
}

/// Most availability zones per deployment.
pub(super) const MAX_ZONES: usize = 64;

fn resolve_zones(p: &mut Problems, at: &dyn Fn(&str) -> String, zones: &[String]) -> Vec<String> {
    if zones.is_empty() || zones.len() > MAX_ZONES {
        p.add(
            at("zones"),
            format!(
                "zones lists from 1 to {MAX_ZONES} zone names (leave it out for none), not {}",
                zones.len()
            ),
        );
    }
    for (k, z) in zones.iter().enumerate() {
        if z.trim().is_empty() {
            p.add(at(&format!("zones[{k}]")), "a zone name must not be empty");
        } else if zones[..k].contains(z) {
            p.add(
                at(&format!("zones[{k}]")),
                format!("zone \"{z}\" is listed twice"),
            );
        }
    }
    zones.iter().take(MAX_ZONES).cloned().collect()
}

fn whole_seconds(p: &mut Problems, path: &str, d: Duration, max_s: u64, what: &str) -> Option<i32> {
    let n = d.nanos().0;
    if !n.is_multiple_of(1_000_000_000) || n / 1_000_000_000 > max_s {
        p.add(
            path,
            format!("{what} must be whole seconds from 0 to {max_s}s, not {d}"),
        );
        None
    } else {
        Some((n / 1_000_000_000) as i32)
    }
}

fn resolve_rules(p: &mut Problems, path: &str, r: &schema::ScalingRules) -> ScalingRules {
    let window = r.stabilization_window.and_then(|w| {
        whole_seconds(
            p,
            &format!("{path}.stabilization_window"),
            w,
            3600,
            "a stabilization window",
        )
    });
    let mut policies = Vec::new();
    for (k, pol) in r.policies.iter().enumerate() {
        let (kind, value, period) = match pol {
            schema::ScalingPolicy::Pods { value, period } => (PolicyKind::Pods, value, period),
            schema::ScalingPolicy::Percent { value, period } => {
                (PolicyKind::Percent, value, period)
            }
        };
        let ppath = format!("{path}.policies[{k}]");
        if *value == 0 || *value > 100_000 {
            p.add(
                format!("{ppath}.value"),
                format!("a policy value must be from 1 to 100000, not {value}"),
            );
        }
        let secs = whole_seconds(
            p,
            &format!("{ppath}.period"),
            *period,
            1800,
            "a policy period",
        );
        if secs == Some(0) {
            p.add(
                format!("{ppath}.period"),
                "a policy period must be at least 1s",
            );
        }
        policies.push(Policy {
            kind,
            value: (*value).min(100_000) as i32,
            period_seconds: secs.unwrap_or(15).max(1),
        });
    }
    ScalingRules {
        stabilization_window_seconds: window,
        select_policy: r.select_policy.map(|s| match s {
            schema::SelectPolicy::Max => SelectPolicy::Max,
            schema::SelectPolicy::Min => SelectPolicy::Min,
            schema::SelectPolicy::Disabled => SelectPolicy::Disabled,
        }),
        policies,
        tolerance: None,
    }
}

fn resolve_hpa(
    p: &mut Problems,
    at: &dyn Fn(&str) -> String,
    replicas: u32,
    h: &Hpa,
) -> Option<AutoscaleSpec> {
    let before = p.len();
    if h.min == 0 || h.min > MAX_REPLICAS {
        p.add(
            at("hpa.min"),
            format!("hpa.min must be from 1 to {MAX_REPLICAS}, not {}", h.min),
        );
    }
    if h.max < h.min || h.max > MAX_REPLICAS {
        p.add(
            at("hpa.max"),
            format!(
                "hpa.max must be from hpa.min ({}) to {MAX_REPLICAS}, not {}",
                h.min, h.max
            ),
        );
    }
    if replicas > h.max.max(h.min) {
        p.add(
            at("replicas"),
            format!(
                "the starting replicas ({replicas}) must not exceed hpa.max ({})",
                h.max
            ),
        );
    }
    let mut metrics = Vec::new();
    let mut percent = |p: &mut Problems, field: &str, v: Option<u32>, resource| {
        if let Some(v) = v {
            if v == 0 || v > 1000 {
                p.add(
                    at(&format!("hpa.{field}")),
                    format!("a utilization target must be from 1 to 1000 percent, not {v}"),
                );
            }
            metrics.push(MetricSpec::ResourceUtilization {
                resource,
                target_average_utilization: v.clamp(1, 1000) as i32,
            });
        }
    };
    let cpu = if h.cpu.is_none() && h.memory.is_none() && h.rps.is_none() && h.queue.is_none() {
        Some(80)
    } else {
        h.cpu
    };
    percent(p, "cpu", cpu, ResourceName::Cpu);
    percent(p, "memory", h.memory, ResourceName::Memory);
    if let Some(rps) = h.rps {
        if check_finite(
            p,
            &at("hpa.rps"),
            rps,
            0.001,
            1e9,
            "a requests-per-second target per pod",
        ) {
            metrics.push(MetricSpec::PodsAverageValue {
                name: "requests_per_second".into(),
                target_average_value_milli: (rps * 1000.0).round().max(1.0) as i64,
            });
        }
    }
    if let Some(q) = &h.queue {
        if check_finite(
            p,
            &at("hpa.queue.per_pod"),
            q.per_pod,
            0.001,
            1e9,
            "a queue-depth target per pod (jobs)",
        ) {
            metrics.push(MetricSpec::ExternalAverageValue {
                name: format!("queue/{}", q.name),
                target_average_value_milli: (q.per_pod * 1000.0).round().max(1.0) as i64,
            });
        }
    }
    let sync_period = h.sync_period.map_or(Nanos::from_secs(15), Duration::nanos);
    if sync_period < Nanos::from_millis(100) || sync_period > Nanos::from_secs(3600) {
        p.add(
            at("hpa.sync_period"),
            format!(
                "the sync period must be from 100ms to 1h, not {}",
                h.sync_period.map_or(String::new(), |d| d.to_string())
            ),
        );
    }
    let behavior = h.behavior.as_ref().map(|b| Behavior {
        scale_up: b
            .scale_up
            .as_ref()
            .map(|r| resolve_rules(p, &at("hpa.behavior.scale_up"), r)),
        scale_down: b
            .scale_down
            .as_ref()
            .map(|r| resolve_rules(p, &at("hpa.behavior.scale_down"), r)),
    });
    if p.len() > before {
        return None;
    }
    Some(AutoscaleSpec {
        spec: HpaSpec {
            min_replicas: h.min as i32,
            max_replicas: h.max as i32,
            metrics,
            behavior,
        },
        sync_period,
        queue: None,
    })
}

/// Resolves each `hpa.queue` to a queue index: the queue must exist and be
/// fed (by an `Enqueue` step or a schedule), or its depth would stay 0.
pub(super) fn resolve_hpa_queues(
    p: &mut Problems,
    s: &Scenario,
    deployments: &mut [DeploymentSpec],
    queues: &[QueueSpec],
) {
    for (i, c) in s.components.iter().enumerate() {
        let Component::Deployment(d) = c else {
            continue;
        };
        let name = &d.name;
        let Some(hq) = d.hpa.as_ref().and_then(|h| h.queue.as_ref()) else {
            continue;
        };
        let path = format!("components[{i}].hpa.queue.name");
        let Some(q) = queues.iter().position(|q| q.name == hq.name) else {
            let names: Vec<&str> = queues.iter().map(|q| q.name.as_str()).collect();
            p.add_at(
                path,
                format!(
                    "no Queue is named \"{}\";{} queues: {}",
                    hq.name,
                    crate::scenario::suggest::hint(&hq.name, names.iter().copied()),
                    list(&names)
                ),
                &hq.name,
            );
            continue;
        };
        if !super::queue::is_fed(s, &hq.name) {
            p.add_at(
                path,
                format!(
                    "queue \"{}\" gets no jobs (no Enqueue step names it and it has no schedules), so its depth would stay 0",
                    hq.name
                ),
                &hq.name,
            );
        }
        if let Some(d) = deployments.iter_mut().find(|d| d.name == *name) {
            if let Some(a) = &mut d.hpa {
                a.queue = Some(q);
            }
        }
    }
}

fn resolve_nodes(
    p: &mut Problems,
    at: &dyn Fn(&str) -> String,
    cpu: f64,
    memory: f64,
    n: &Nodes,
) -> Option<NodePoolSpec> {
    let before = p.len();
    let cpu_ok = check_finite(
        p,
        &at("nodes.cpu"),
        n.cpu,
        0.001,
        100_000.0,
        "node allocatable CPU (cores)",
    );
    let mem_ok = check_finite(
        p,
        &at("nodes.memory_mib"),
        n.memory_mib,
        1.0,
        1e9,
        "node allocatable memory (MiB)",
    );
    check_finite(
        p,
        &at("nodes.spot_fraction"),
        n.spot_fraction,
        0.0,
        1.0,
        "the spot share of nodes",
    );
    check_finite(
        p,
        &at("nodes.reclaims_per_hour"),
        n.reclaims_per_hour,
        0.0,
        3600.0,
        "spot reclaims per node per hour",
    );
    let fit = ((n.cpu / cpu).floor()).min((n.memory_mib / memory).floor());
    if cpu_ok && mem_ok && (fit.is_nan() || fit < 1.0) {
        p.add(
            at("nodes"),
            format!("a pod (requests {cpu} cores, {memory} MiB) does not fit on a node ({} cores, {} MiB allocatable)", n.cpu, n.memory_mib),
        );
    }
    if p.len() > before {
        return None;
    }
    Some(NodePoolSpec {
        pods_per_node: fit.min(10_000.0) as u32,
        spot_fraction: n.spot_fraction,
        reclaims_per_hour: n.reclaims_per_hour,
        notice: n.notice.map_or(Nanos::from_secs(120), Duration::nanos),
    })
}
