//! What a scenario may say but probably did not mean: accepted, and
//! reported as a warning (on stderr, and in `scaletwin validate`'s output).

use super::resolve::number;
use super::Scenario;
use crate::algo::Nanos;

/// A warning about an accepted scenario, with its place when found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// The field path, e.g. `workload.mix`.
    pub path: String,
    /// What was taken to be meant, and how to say it exactly.
    pub message: String,
    /// 1-based (line, column) in the file, if found.
    pub position: Option<(usize, usize)>,
}

impl Warning {
    /// `warning: file:line:column: path: message`.
    pub fn render(&self, file: &str) -> String {
        match self.position {
            Some((line, column)) => format!(
                "warning: {file}:{line}:{column}: {}: {}",
                self.path, self.message
            ),
            None => format!("warning: {file}: {}: {}", self.path, self.message),
        }
    }
}

/// The warnings for a scenario that validated, located in `source`.
pub fn warnings(s: &Scenario, source: &str) -> Vec<Warning> {
    let mut out = Vec::new();
    let total: f64 = s.workload.mix.values().sum();
    // The mix is read as relative weights: each is divided by the total.
    if total.is_finite() && total > 0.0 && (total - 1.0).abs() > 1e-9 {
        let shares: Vec<String> = s
            .workload
            .mix
            .iter()
            .map(|(name, w)| format!("{name:?}: {:.4}", w / total))
            .collect();
        out.push(Warning {
            path: "workload.mix".to_owned(),
            message: format!(
                "the weights add up to {}, not 1; each is divided by the total, giving {{ {} }}",
                // Six decimals: 0.7 + 1.2 + 0.1 is "2", not 1.9999999999999998.
                number((total * 1e6).round() / 1e6),
                shares.join(", ")
            ),
            position: super::place::position(source, "workload.mix", None),
        });
    }
    cache_capacity_capped(s, source, &mut out);
    l1_size_unread(s, source, &mut out);
    probe_timeout_under_a_second(s, source, &mut out);
    out
}

/// A probe timeout under a second is simulated as written, but no
/// Kubernetes manifest can say it (`timeoutSeconds` is a whole number, at
/// least 1), so a twin of a real deployment has probably mistyped it.
fn probe_timeout_under_a_second(s: &Scenario, source: &str, out: &mut Vec<Warning>) {
    for (i, c) in s.components.iter().enumerate() {
        let super::schema::Component::Deployment(d) = c else {
            continue;
        };
        let Some(probes) = &d.probes else { continue };
        for (kind, probe) in [
            ("readiness", &probes.readiness),
            ("liveness", &probes.liveness),
        ] {
            // (A zero timeout is refused before warnings are looked for.)
            let Some(timeout) = probe
                .as_ref()
                .and_then(|p| p.timeout)
                .filter(|t| t.nanos() < Nanos::from_secs(1))
            else {
                continue;
            };
            let path = format!("components[{i}].probes.{kind}.timeout");
            out.push(Warning {
                message: format!("{timeout} is simulated as written, but Kubernetes' timeoutSeconds is a whole number of seconds, at least 1"),
                position: super::place::position(source, &path, None),
                path,
            });
        }
    }
}

/// An L1's `item_size` counts only in its pods' memory, which only a memory
/// limit (OOM kills) or an HPA memory target reads: without either it
/// changes nothing.
fn l1_size_unread(s: &Scenario, source: &str, out: &mut Vec<Warning>) {
    for (i, c) in s.components.iter().enumerate() {
        let super::schema::Component::Deployment(d) = c else {
            continue;
        };
        if d.l1.as_ref().is_none_or(|l| l.item_size.is_none()) {
            continue;
        }
        let limited = d
            .resources
            .as_ref()
            .and_then(|r| r.limits.as_ref())
            .is_some_and(|l| l.memory.is_some());
        let scaled = d.hpa.as_ref().is_some_and(|h| h.memory.is_some());
        if !limited && !scaled {
            let path = format!("components[{i}].l1.item_size");
            out.push(Warning {
                message: "it only counts in the pods' memory, and nothing reads that here: add `resources: (limits: (memory: ..))` (OOM kills) or an `hpa` memory target, or leave it out".to_owned(),
                position: super::place::position(source, &path, None),
                path,
            });
        }
    }
}

/// A shared cache declaring more entries than its node's memory holds at
/// its item size runs with the entries that fit.
fn cache_capacity_capped(s: &Scenario, source: &str, out: &mut Vec<Warning>) {
    for (i, c) in s.components.iter().enumerate() {
        let super::schema::Component::Cache(cache) = c else {
            continue;
        };
        let (Some(capacity), Some(bound)) = (cache.capacity, super::memory_bound(s, cache)) else {
            continue;
        };
        if capacity > bound.entries {
            let path = format!("components[{i}].capacity");
            out.push(Warning {
                message: format!(
                    "{capacity} entries of {} bytes ({} with Redis's overhead) do not fit in the {} GiB maxmemory of {}: the cache holds {} entries",
                    cache.item_size.map_or(0, |x| x.0),
                    bound.entry_bytes,
                    bound.gib,
                    bound.node,
                    bound.entries
                ),
                position: super::place::position(source, &path, None),
                path,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mix_not_adding_up_to_one_is_a_warning_with_the_shares_used() {
        let src = crate::scenario::DEFAULT_SCENARIO;
        let mut s = crate::scenario::parse(src, "default.ron").unwrap();
        assert_eq!(warnings(&s, src), vec![]);
        for w in s.workload.mix.values_mut() {
            *w *= 2.0;
        }
        let w = warnings(&s, src);
        assert_eq!(w.len(), 1);
        assert!(
            w[0].message.starts_with("the weights add up to 2, not 1"),
            "{}",
            w[0].message
        );
        assert!(w[0].position.is_some());
        assert!(w[0].render("d.ron").starts_with("warning: d.ron:"));
    }

    /// The warnings of a scenario whose one deployment, `api`, has
    /// `fields` after its replicas and concurrency.
    fn warnings_of_deployment(fields: &str) -> Vec<Warning> {
        let src = format!(
            r#"Scenario(
            name: "w", seed: 1, run: (duration: "1s"),
            workload: (users: 10, rps_per_user: 1.0, mix: {{ "a": 1.0 }}),
            components: [
                LoadBalancer(name: "lb", targets: {{ "api": 1 }}),
                Deployment(name: "api", replicas: 1, concurrency: 4, {fields}),
            ],
            endpoints: {{ "a": [Lb("lb"), Compute(Exp("1ms"))] }},
        )"#
        );
        let s = crate::scenario::parse(&src, "w.ron").unwrap();
        warnings(&s, &src)
    }

    #[test]
    fn an_l1_item_size_nothing_reads_is_a_warning() {
        let l1 = r#"l1: (capacity: 100, item_size: "1Ki")"#;
        let w = warnings_of_deployment(l1);
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].path, "components[1].l1.item_size");
        let limited = format!(r#"{l1}, resources: (limits: (memory: "512Mi"))"#);
        assert_eq!(warnings_of_deployment(&limited), vec![]);
    }

    #[test]
    fn a_probe_timeout_kubernetes_cannot_say_is_a_warning() {
        let probes =
            |timeout: &str| format!(r#"probes: (readiness: (timeout: "{timeout}"), liveness: ())"#);
        let w = warnings_of_deployment(&probes("100ms"));
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].path, "components[1].probes.readiness.timeout");
        assert!(
            w[0].message.starts_with("100ms is simulated as written"),
            "{w:?}"
        );
        assert!(w[0].position.is_some());
        assert_eq!(warnings_of_deployment(&probes("1s")), vec![]);
    }
}
