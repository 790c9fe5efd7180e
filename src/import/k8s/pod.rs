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

/// What a pod requests (summed over its containers) and when it is ready.
#[derive(Debug, Default)]
pub(super) struct Pod {
    /// CPU request, millicores (None: no container requests CPU).
    pub(super) cpu_milli: Option<u64>,
    /// Memory request, bytes.
    pub(super) memory_bytes: Option<u64>,
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
    for (i, c) in containers.iter().enumerate() {
        let at = format!("{base}[{i}]");
        used.mark(format!("{at}.name"));
        let cpu = request(doc, used, &at, c, "cpu", cpu_millicores)?;
        let memory = request(doc, used, &at, c, "memory", memory_bytes)?;
        if let Some((milli, note)) = cpu {
            pod.cpu_milli = Some(pod.cpu_milli.unwrap_or(0) + milli);
            pod.notes.push(format!("container {:?}: {note}", c.name));
        }
        if let Some((bytes, note)) = memory {
            pod.memory_bytes = Some(pod.memory_bytes.unwrap_or(0) + bytes);
            pod.notes.push(format!("container {:?}: {note}", c.name));
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
    Ok(pod)
}

/// A container's request of `resource`, or its limit when it has no request
/// (Kubernetes then sets the request to the limit).
fn request(
    doc: &Document,
    used: &mut Used,
    at: &str,
    c: &Container,
    resource: &str,
    parse: fn(&str) -> Result<u64, QuantityError>,
) -> Result<Option<(u64, String)>, ImportError> {
    let resources = c.resources.as_ref();
    let find = |which: &str| {
        let map = match which {
            "requests" => resources.and_then(|r| r.requests.as_ref()),
            _ => resources.and_then(|r| r.limits.as_ref()),
        };
        map.and_then(|m| m.get(resource))
    };
    let (which, quantity) = match (find("requests"), find("limits")) {
        (Some(q), _) => ("request", q),
        (None, Some(q)) => ("limit, taken as the request", q),
        (None, None) => return Ok(None),
    };
    let path = format!(
        "{at}.resources.{}.{resource}",
        if which == "request" {
            "requests"
        } else {
            "limits"
        }
    );
    let value = parse(&quantity.0).map_err(|m| doc.error(&path, m.to_string()))?;
    used.mark(path);
    Ok(Some((value, format!("{resource} {which} {}", quantity.0))))
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
