//! A Deployment's pod template: what one pod requests, how long a new pod
//! takes to become ready according to its probes, and the readiness and
//! liveness probes that go on running once it is.

use super::super::unmodelled::Used;
use super::super::ImportError;
use super::yaml::Document;
use crate::algo::Nanos;
use crate::scenario::quantity::{cpu_millicores, memory_bytes, QuantityError};
use k8s_openapi::api::core::v1::{Container, ContainerPort, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// One resource (CPU or memory) of a pod: what it requests and its limit.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(super) struct Amounts {
    /// The request summed over the containers that request it (a container
    /// with only a limit requests its limit, as Kubernetes sets it); `None`
    /// when no container does.
    pub(super) request: Option<u64>,
    /// The limit summed over the containers, when every container has one
    /// (a container without a limit leaves the pod's use of the resource
    /// unbounded); `None` otherwise.
    pub(super) limit: Option<u64>,
}

/// What a pod requests and may use (summed over its containers) and when
/// it is ready.
#[derive(Debug, Default)]
pub(super) struct Pod {
    /// CPU, millicores.
    pub(super) cpu: Amounts,
    /// Memory, bytes.
    pub(super) memory: Amounts,
    /// From scheduling to ready.
    pub(super) startup: Nanos,
    /// The `probes` field (RON) from the first container with a readiness
    /// or liveness probe.
    pub(super) probes: Option<String>,
    /// One comment line per source of the numbers above.
    pub(super) notes: Vec<String>,
}

/// Reads the containers at `base` (`spec.template.spec.containers`).
pub(super) fn read(
    doc: &Document,
    used: &mut Used,
    base: &str,
    containers: &[Container],
) -> Result<Pod, ImportError> {
    let mut pod = Pod::default();
    let (mut cpu_limits, mut memory_limits) = (Some(0), Some(0));
    for (i, c) in containers.iter().enumerate() {
        let at = format!("{base}[{i}]");
        used.mark(format!("{at}.name"));
        let cpu = resource(doc, used, &at, c, "cpu", cpu_millicores)?;
        let memory = resource(doc, used, &at, c, "memory", memory_bytes)?;
        for (r, amounts, limits, name) in [
            (cpu, &mut pod.cpu, &mut cpu_limits, "cpu"),
            (memory, &mut pod.memory, &mut memory_limits, "memory"),
        ] {
            if let Some(request) = r.request {
                amounts.request = Some(amounts.request.unwrap_or(0) + request);
            }
            *limits = limits.zip(r.limit).map(|(sum, l)| sum + l);
            if r.request.is_some() || r.limit.is_some() {
                pod.notes
                    .push(format!("container {:?}: {}", c.name, r.note));
            } else {
                pod.notes.push(format!(
                    "container {:?}: no {name} request or limit",
                    c.name
                ));
            }
        }
        let (ready, note) = ready_after(used, &at, c);
        pod.notes.push(format!("container {:?}: {note}", c.name));
        pod.startup = pod.startup.max(ready);
        if pod.probes.is_none() {
            if let Some((ron, note)) = probes(used, &at, c) {
                pod.probes = Some(ron);
                pod.notes.push(format!("container {:?}: {note}", c.name));
            }
        }
    }
    if !containers.is_empty() {
        pod.cpu.limit = cpu_limits;
        pod.memory.limit = memory_limits;
    }
    Ok(pod)
}

/// One container's request and limit of a resource, with a note on where
/// they came from.
struct Declared {
    request: Option<u64>,
    limit: Option<u64>,
    note: String,
}

/// A container's request and limit of `resource`. Without a request, the
/// limit is the request (Kubernetes sets it so).
fn resource(
    doc: &Document,
    used: &mut Used,
    at: &str,
    c: &Container,
    resource: &str,
    parse: fn(&str) -> Result<u64, QuantityError>,
) -> Result<Declared, ImportError> {
    let resources = c.resources.as_ref();
    let mut read = |which: &str| -> Result<Option<(u64, String)>, ImportError> {
        let map = match which {
            "requests" => resources.and_then(|r| r.requests.as_ref()),
            _ => resources.and_then(|r| r.limits.as_ref()),
        };
        let Some(quantity) = map.and_then(|m| m.get(resource)) else {
            return Ok(None);
        };
        let path = format!("{at}.resources.{which}.{resource}");
        let value = parse(&quantity.0).map_err(|m| doc.error(&path, m.to_string()))?;
        used.mark(path);
        Ok(Some((value, quantity.0.clone())))
    };
    let (request, limit) = (read("requests")?, read("limits")?);
    let note = match (&request, &limit) {
        (Some((_, r)), Some((_, l))) => format!("{resource} request {r}, limit {l}"),
        (Some((_, r)), None) => format!("{resource} request {r}, no limit"),
        (None, Some((_, l))) => format!("{resource} limit {l}, taken as the request too"),
        (None, None) => String::new(),
    };
    let limit = limit.map(|(v, _)| v);
    Ok(Declared {
        request: request.map(|(v, _)| v).or(limit),
        limit,
        note,
    })
}

/// The pod's `resources` value: `requests` and `limits`, each with the
/// CPU (cores) and memory (MiB) the pod declares; `None` when it declares
/// neither. A request turns the simulator's CPU model on (`Compute` is CPU
/// time, the HPA's CPU utilization is CPU used over the request); a CPU
/// limit throttles as the CFS quota does, a memory limit OOM-kills.
pub(super) fn resources_ron(pod: &Pod) -> Option<String> {
    let list = |cpu: Option<u64>, memory: Option<u64>| {
        let mut fields = Vec::new();
        if let Some(m) = cpu {
            fields.push(format!("cpu: {}", m as f64 / 1000.0));
        }
        if let Some(b) = memory {
            fields.push(format!("memory: {}", b as f64 / (1u64 << 20) as f64));
        }
        (!fields.is_empty()).then(|| format!("({})", fields.join(", ")))
    };
    let parts: Vec<String> = [
        ("requests", list(pod.cpu.request, pod.memory.request)),
        ("limits", list(pod.cpu.limit, pod.memory.limit)),
    ]
    .into_iter()
    .filter_map(|(name, l)| l.map(|l| format!("{name}: {l}")))
    .collect();
    (!parts.is_empty()).then(|| format!("({})", parts.join(", ")))
}

/// When the container is first ready, counted from its start: the first
/// readiness probe run at or after `initialDelaySeconds` (probes run every
/// `periodSeconds` from the start, and not before a startup probe has
/// passed), plus `successThreshold - 1` more periods. The application is
/// assumed to answer its first probe; how long it really needs is not in a
/// manifest.
fn ready_after(used: &mut Used, at: &str, c: &Container) -> (Nanos, String) {
    let started = match &c.startup_probe {
        Some(p) => first_pass(used, &format!("{at}.startupProbe"), p, 0),
        None => 0,
    };
    let ready = match &c.readiness_probe {
        Some(p) => first_pass(used, &format!("{at}.readinessProbe"), p, started),
        None => started,
    };
    let why = match (&c.startup_probe, &c.readiness_probe) {
        (None, None) => "no startup or readiness probe: ready as soon as it starts".to_owned(),
        (s, r) => {
            let describe = |name: &str, p: &Probe| {
                format!(
                    "{name} initialDelaySeconds {}, periodSeconds {}, successThreshold {}",
                    p.initial_delay_seconds.unwrap_or(0),
                    p.period_seconds.unwrap_or(10),
                    p.success_threshold.unwrap_or(1)
                )
            };
            let parts: Vec<String> = [("startupProbe", s), ("readinessProbe", r)]
                .into_iter()
                .filter_map(|(n, p)| p.as_ref().map(|p| describe(n, p)))
                .collect();
            format!("{}: ready after {ready}s", parts.join("; "))
        }
    };
    (Nanos::from_secs(ready), why)
}

/// The second (from the container's start) a probe first passes, if it
/// passes every time it runs and may not run before `not_before`.
fn first_pass(used: &mut Used, at: &str, p: &Probe, not_before: u64) -> u64 {
    for field in ["initialDelaySeconds", "periodSeconds", "successThreshold"] {
        used.mark(format!("{at}.{field}"));
    }
    let period = p.period_seconds.unwrap_or(10).max(1) as u64;
    let delay = p.initial_delay_seconds.unwrap_or(0).max(0) as u64;
    let earliest = delay.max(not_before);
    let first = earliest.div_ceil(period) * period;
    first + (p.success_threshold.unwrap_or(1).max(1) as u64 - 1) * period
}

/// The container's readiness and liveness probes as the scenario's
/// `probes` value, with a note on where they are answered; `None` without
/// either. Kubernetes' defaults fill what the manifest leaves out (period
/// 10 s, timeout 1 s, 3 failures, 1 success, no initial delay). A probe
/// waits for a worker slot (`Shared`) when an HTTP or gRPC handler answers
/// it on the serving port (the container's first `containerPort`); a TCP
/// probe passes once the kernel accepts the connection, and an `exec`
/// probe runs a command beside the server, so neither waits (`Separate`).
fn probes(used: &mut Used, at: &str, c: &Container) -> Option<(String, String)> {
    if c.readiness_probe.is_none() && c.liveness_probe.is_none() {
        return None;
    }
    let serving = c.ports.as_ref().and_then(|p| p.first());
    let mut fields = Vec::new();
    let mut why = Vec::new();
    let mut shared = false;
    let kinds = [
        ("readiness", "readinessProbe", &c.readiness_probe),
        ("liveness", "livenessProbe", &c.liveness_probe),
    ];
    for (name, key, probe) in kinds {
        let Some(p) = probe else { continue };
        let path = format!("{at}.{key}");
        for field in [
            "periodSeconds",
            "timeoutSeconds",
            "failureThreshold",
            "successThreshold",
            "initialDelaySeconds",
        ] {
            used.mark(format!("{path}.{field}"));
        }
        let (on_workers, how) = answered_by(used, &path, p, serving);
        if on_workers {
            used.mark(format!("{at}.ports[0].containerPort"));
            used.mark(format!("{at}.ports[0].name"));
        }
        shared |= on_workers;
        why.push(format!("{key} {how}"));
        fields.push(format!(
            "{name}: (period: \"{}s\", timeout: \"{}s\", failure_threshold: {}, success_threshold: {}, initial_delay: \"{}s\")",
            p.period_seconds.unwrap_or(10).max(1),
            p.timeout_seconds.unwrap_or(1).max(1),
            p.failure_threshold.unwrap_or(3).max(1),
            p.success_threshold.unwrap_or(1).max(1),
            p.initial_delay_seconds.unwrap_or(0).max(0),
        ));
    }
    fields.push(format!(
        "port: {}",
        if shared { "Shared" } else { "Separate" }
    ));
    Some((format!("({})", fields.join(", ")), why.join("; ")))
}

/// Whether probe `p` at `path` waits for the server's workers, and why.
fn answered_by(
    used: &mut Used,
    path: &str,
    p: &Probe,
    serving: Option<&ContainerPort>,
) -> (bool, String) {
    let on_serving_port = |port: &IntOrString| match (port, serving) {
        (IntOrString::Int(n), Some(s)) => *n == s.container_port,
        (IntOrString::String(name), Some(s)) => s.name.as_deref() == Some(name.as_str()),
        (_, None) => false,
    };
    let (handler, port) = if let Some(h) = &p.http_get {
        ("httpGet", Some(h.port.clone()))
    } else if let Some(g) = &p.grpc {
        ("grpc", Some(IntOrString::Int(g.port)))
    } else if p.tcp_socket.is_some() {
        ("tcpSocket", None)
    } else {
        ("exec", None)
    };
    let Some(port) = port else {
        used.mark(format!("{path}.{handler}"));
        return (
            false,
            format!("{handler}: answered without a worker (Separate)"),
        );
    };
    used.mark(format!("{path}.{handler}.port"));
    if on_serving_port(&port) {
        (
            true,
            format!("{handler} on the serving port: waits for a worker slot (Shared)"),
        )
    } else {
        (
            false,
            format!("{handler} on another port than the serving one: answered apart (Separate)"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(delay: i32, period: i32, success: Option<i32>) -> Probe {
        Probe {
            initial_delay_seconds: Some(delay),
            period_seconds: Some(period),
            success_threshold: success,
            ..Probe::default()
        }
    }

    #[test]
    fn probes_pass_on_their_schedule() {
        let mut used = Used::default();
        assert_eq!(first_pass(&mut used, "p", &probe(5, 5, None), 0), 5);
        assert_eq!(first_pass(&mut used, "p", &probe(7, 5, None), 0), 10);
        assert_eq!(first_pass(&mut used, "p", &probe(0, 10, None), 0), 0);
        assert_eq!(first_pass(&mut used, "p", &probe(5, 5, Some(3)), 0), 15);
        // Readiness waits for the startup probe: it passed at 20 s.
        assert_eq!(first_pass(&mut used, "p", &probe(5, 3, None), 20), 21);
    }

    #[test]
    fn probes_wait_for_workers_only_behind_a_handler_on_the_serving_port() {
        use k8s_openapi::api::core::v1::{ExecAction, GRPCAction, HTTPGetAction, TCPSocketAction};
        let container = |readiness: Probe, liveness: Option<Probe>| Container {
            name: "app".into(),
            ports: Some(vec![ContainerPort {
                container_port: 8080,
                name: Some("http".into()),
                ..ContainerPort::default()
            }]),
            readiness_probe: Some(readiness),
            liveness_probe: liveness,
            ..Container::default()
        };
        let http = |port: IntOrString| Probe {
            http_get: Some(HTTPGetAction {
                port,
                ..HTTPGetAction::default()
            }),
            ..Probe::default()
        };
        let port_of = |c: &Container| {
            let (ron, _) = probes(&mut Used::default(), "c", c).unwrap();
            ron.rsplit("port: ")
                .next()
                .unwrap()
                .trim_end_matches(')')
                .to_owned()
        };
        for shared in [
            http(IntOrString::Int(8080)),
            http(IntOrString::String("http".into())),
            Probe {
                grpc: Some(GRPCAction {
                    port: 8080,
                    ..GRPCAction::default()
                }),
                ..Probe::default()
            },
        ] {
            assert_eq!(port_of(&container(shared, None)), "Shared");
        }
        let tcp = Probe {
            tcp_socket: Some(TCPSocketAction {
                port: IntOrString::Int(8080),
                ..TCPSocketAction::default()
            }),
            ..Probe::default()
        };
        let exec = Probe {
            exec: Some(ExecAction::default()),
            ..Probe::default()
        };
        for apart in [http(IntOrString::Int(9090)), tcp, exec.clone()] {
            assert_eq!(port_of(&container(apart, None)), "Separate");
        }
        // One probe on the workers is enough: they share the pod's port setting.
        let both = container(exec, Some(http(IntOrString::Int(8080))));
        assert_eq!(port_of(&both), "Shared");
        // Kubernetes' defaults fill what the manifest leaves out.
        let (ron, _) = probes(&mut Used::default(), "c", &both).unwrap();
        assert!(
            ron.starts_with(
                "(readiness: (period: \"10s\", timeout: \"1s\", failure_threshold: 3, \
                 success_threshold: 1, initial_delay: \"0s\")"
            ),
            "{ron}"
        );
        let bare = Container {
            name: "app".into(),
            ..Container::default()
        };
        assert!(probes(&mut Used::default(), "c", &bare).is_none());
    }
}
