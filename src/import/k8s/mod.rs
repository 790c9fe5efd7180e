//! `scaletwin import k8s`: Kubernetes manifests (Deployment, autoscaling/v2
//! HorizontalPodAutoscaler, policy/v1 PodDisruptionBudget, Service) into
//! scenario components, read with the `k8s-openapi` API types.
//!
//! ```text
//! Deployment ─▶ Deployment(replicas, resources, startup, probes)   ◀─ HPA (scaleTargetRef) ─▶ hpa
//!                                                          ◀─ PDB (selector)       ─▶ min_available
//! Service (selector) ─▶ LoadBalancer(targets) + an endpoint skeleton
//! ```
//!
//! What Kubernetes does not say (the traffic, what a request does, how many
//! requests one pod serves at once) is written as a commented skeleton to
//! edit. Every field the simulator does not model is a warning.

mod hpa;
mod pod;
mod yaml;

use super::unmodelled::Used;
use super::{quoted, ImportError, Imported};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_norway::Value;
use std::collections::BTreeMap;
use std::fmt::Write;
use yaml::Document;

/// Requests one pod works on at once when nothing says otherwise: the
/// manifests cannot (it is the application's thread or worker count).
pub const DEFAULT_CONCURRENCY: u32 = 16;

/// The kinds read, with the apiVersion each must have.
const IMPORTED: [(&str, &str); 4] = [
    ("Deployment", "apps/v1"),
    ("HorizontalPodAutoscaler", "autoscaling/v2"),
    ("PodDisruptionBudget", "policy/v1"),
    ("Service", "v1"),
];

/// Kubernetes kinds that are recognised but have nothing to simulate: each
/// object of these is one warning.
const SKIPPED: [&str; 26] = [
    "ConfigMap",
    "Secret",
    "ServiceAccount",
    "Namespace",
    "Ingress",
    "IngressClass",
    "NetworkPolicy",
    "Role",
    "RoleBinding",
    "ClusterRole",
    "ClusterRoleBinding",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Pod",
    "Job",
    "CronJob",
    "PersistentVolumeClaim",
    "PersistentVolume",
    "StorageClass",
    "LimitRange",
    "ResourceQuota",
    "PriorityClass",
    "Endpoints",
    "EndpointSlice",
    "CustomResourceDefinition",
];

/// One object read from a file.
struct Object<T> {
    doc: Document,
    value: Value,
    used: Used,
    kind: &'static str,
    namespace: String,
    name: String,
    item: T,
}

impl<T> Object<T> {
    /// `Kind/namespace/name (file:line)`.
    fn source(&self) -> String {
        format!(
            "{}/{}/{} ({}:{})",
            self.kind,
            self.namespace,
            self.name,
            self.doc.file,
            self.doc.line_of("kind")
        )
    }

    /// A warning for this object.
    fn warn(&self, path: &str, what: &str) -> String {
        format!(
            "{}:{}: {}/{}/{}: {path}: {what}",
            self.doc.file,
            self.doc.line_of(path),
            self.kind,
            self.namespace,
            self.name
        )
    }
}

/// Everything read from the files.
#[derive(Default)]
struct Manifests {
    files: Vec<String>,
    deployments: Vec<Object<Deployment>>,
    hpas: Vec<Object<HorizontalPodAutoscaler>>,
    pdbs: Vec<Object<PodDisruptionBudget>>,
    services: Vec<Object<Service>>,
    warnings: Vec<String>,
}

/// Imports manifests given as (file name, text) pairs.
pub fn import(files: &[(String, String)]) -> Result<Imported, ImportError> {
    let mut m = Manifests {
        files: files.iter().map(|f| f.0.clone()).collect(),
        ..Manifests::default()
    };
    for (file, text) in files {
        for doc in yaml::documents(file, text) {
            m.add(doc)?;
        }
    }
    if m.deployments.is_empty() {
        let file = files.first().map_or("", |f| f.0.as_str());
        return Err(ImportError::file(
            file,
            "no Deployment (apps/v1) in the files: scaletwin builds a scenario around Deployments",
        ));
    }
    let ron = m.build()?;
    let scenario = crate::scenario::parse(&ron, "imported.ron")
        .map_err(|e| ImportError::file("imported.ron", e.to_string()))?;
    if let Err(problems) = crate::scenario::validate(&scenario) {
        let text: Vec<String> = problems
            .iter()
            .map(|p| format!("{}: {}", p.path, p.message))
            .collect();
        return Err(ImportError::file(
            &files[0].0,
            format!(
                "the manifests give an invalid scenario:\n{}",
                text.join("\n")
            ),
        ));
    }
    Ok(Imported {
        ron,
        warnings: m.warnings,
    })
}

impl Manifests {
    /// Reads one document into its list.
    fn add(&mut self, doc: Document) -> Result<(), ImportError> {
        let value: Value = doc.read()?;
        if value.is_null() {
            return Ok(());
        }
        let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
        let Some(kind) = text("kind") else {
            return Err(doc.error("kind", "missing: every Kubernetes object names its kind"));
        };
        let api = text("apiVersion").unwrap_or_default();
        let meta: ObjectMeta = value
            .get("metadata")
            .cloned()
            .map_or(Ok(ObjectMeta::default()), serde_norway::from_value)
            .map_err(|e| doc.error("metadata", e.to_string()))?;
        let namespace = meta
            .namespace
            .clone()
            .unwrap_or_else(|| "default".to_owned());
        let name = meta.name.clone().unwrap_or_default();
        let Some(&(kind, wanted)) = IMPORTED.iter().find(|(k, _)| *k == kind) else {
            if SKIPPED.contains(&kind.as_str()) {
                self.warnings.push(format!(
                    "{}:{}: {kind}/{namespace}/{name}: not modelled (scaletwin imports {})",
                    doc.file,
                    doc.line_of("kind"),
                    imported_kinds()
                ));
                return Ok(());
            }
            return Err(doc.error(
                "kind",
                format!(
                    "unknown kind `{kind}`: scaletwin imports {}",
                    imported_kinds()
                ),
            ));
        };
        if api != wanted {
            return Err(doc.error(
                "apiVersion",
                format!("{kind} `{api}` is not imported: write it as {wanted}"),
            ));
        }
        let mut used = Used::default();
        for field in ["apiVersion", "kind", "metadata"] {
            used.mark(field);
        }
        macro_rules! object {
            ($list:ident) => {{
                let item = doc.read()?;
                if name.is_empty() {
                    return Err(doc.error("metadata.name", "missing"));
                }
                self.$list.push(Object {
                    doc,
                    value,
                    used,
                    kind,
                    namespace,
                    name,
                    item,
                });
            }};
        }
        match kind {
            "Deployment" => object!(deployments),
            "HorizontalPodAutoscaler" => object!(hpas),
            "PodDisruptionBudget" => object!(pdbs),
            _ => object!(services),
        }
        Ok(())
    }

    /// Writes the scenario.
    fn build(&mut self) -> Result<String, ImportError> {
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        for d in &self.deployments {
            if let Some(other) = names.insert(d.name.clone(), d.namespace.clone()) {
                return Err(d.doc.error(
                    "metadata.name",
                    format!(
                        "a second Deployment named {:?} (namespaces {other} and {}): components \
                         are named by name alone, import one namespace at a time",
                        d.name, d.namespace
                    ),
                ));
            }
        }
        let mut deployments = Vec::new();
        for i in 0..self.deployments.len() {
            deployments.push(self.deployment(i)?);
        }
        let balancers = self.balancers();
        let mut out = String::new();
        header(&mut out, &self.files, &self.deployments, &balancers);
        out.push_str("    components: [\n");
        for b in &balancers {
            let _ = writeln!(out, "        // {}", b.source);
            let targets: Vec<String> = b
                .targets
                .iter()
                .map(|t| format!("{}: 1", quoted(t)))
                .collect();
            let _ = writeln!(
                out,
                "        LoadBalancer(name: {}, strategy: Random, targets: {{ {} }}),",
                quoted(&b.name),
                targets.join(", ")
            );
        }
        for d in &deployments {
            out.push_str(d);
        }
        out.push_str("    ],\n    endpoints: {\n");
        out.push_str("        // EDIT: what one request does once a pod takes it (one endpoint per Service).\n");
        for b in &balancers {
            let _ = writeln!(
                out,
                "        {}: [Lb({}), Compute(Exp(\"10ms\"))],",
                quoted(&b.endpoint),
                quoted(&b.name)
            );
        }
        out.push_str("    },\n)\n");
        unmodelled(&self.deployments, &mut self.warnings);
        unmodelled(&self.hpas, &mut self.warnings);
        unmodelled(&self.pdbs, &mut self.warnings);
        unmodelled(&self.services, &mut self.warnings);
        if !self.warnings.is_empty() {
            out.push_str("\n// Not modelled (the importer's warnings):\n");
            for w in &self.warnings {
                let _ = writeln!(out, "//   {w}");
            }
        }
        Ok(out)
    }

    /// One Deployment component, with its HPA and PDB, as RON lines.
    fn deployment(&mut self, i: usize) -> Result<String, ImportError> {
        let d = &mut self.deployments[i];
        let mut out = format!("        // {}\n", d.source());
        let spec = d.item.spec.clone();
        let replicas = spec.replicas.unwrap_or(1);
        if replicas < 1 {
            return Err(d.doc.error(
                "spec.replicas",
                format!("{replicas}: scaletwin needs at least one pod"),
            ));
        }
        d.used.mark("spec.replicas");
        d.used.mark("spec.selector");
        d.used.mark("spec.template.metadata");
        let containers = spec.template.spec.map(|s| s.containers).unwrap_or_default();
        let pod = pod::read(
            &d.doc,
            &mut d.used,
            "spec.template.spec.containers",
            &containers,
        )?;
        let _ = writeln!(
            out,
            "        Deployment(\n            name: {},",
            quoted(&d.name)
        );
        let _ = writeln!(out, "            replicas: {replicas},");
        let _ = writeln!(
            out,
            "            // EDIT: requests one pod works on at once (not in a manifest; {DEFAULT_CONCURRENCY} assumed)."
        );
        let _ = writeln!(out, "            concurrency: {DEFAULT_CONCURRENCY},");
        for note in &pod.notes {
            let _ = writeln!(out, "            // {note}");
        }
        let _ = writeln!(out, "            startup: {:?},", pod.startup.to_string());
        if let Some(resources) = pod::resources_ron(&pod) {
            let _ = writeln!(out, "            resources: {resources},");
        }
        if let Some(probes) = &pod.probes {
            let _ = writeln!(out, "            probes: {probes},");
        }
        let labels = pod_labels(&self.deployments[i].item);
        let (name, namespace) = (
            self.deployments[i].name.clone(),
            self.deployments[i].namespace.clone(),
        );
        if let Some((source, hpa)) = self.hpa_for(&name, &namespace)? {
            let _ = writeln!(out, "            // {source}");
            for note in &hpa.notes {
                let _ = writeln!(out, "            // {note}");
            }
            let _ = writeln!(out, "            hpa: {},", hpa.ron);
        }
        if let Some((source, min)) = self.pdb_for(&namespace, &labels)? {
            let _ = writeln!(out, "            // {source}");
            let _ = writeln!(out, "            min_available: {min},");
        }
        out.push_str("        ),\n");
        Ok(out)
    }

    /// The first HPA whose `scaleTargetRef` is this Deployment.
    fn hpa_for(
        &mut self,
        name: &str,
        namespace: &str,
    ) -> Result<Option<(String, hpa::Hpa)>, ImportError> {
        let mut found = None;
        for h in &mut self.hpas {
            let spec = h.item.spec.clone();
            let target = &spec.scale_target_ref;
            if target.kind != "Deployment" || target.name != name || h.namespace != namespace {
                continue;
            }
            if found.is_some() {
                self.warnings.push(h.warn(
                    "spec.scaleTargetRef",
                    "not modelled: a second HPA on the same Deployment (the first one is used)",
                ));
                continue;
            }
            h.used.mark("spec.scaleTargetRef");
            match hpa::read(&h.doc, &mut h.used, &spec)? {
                Some(read) => found = Some((h.source(), read)),
                None => self.warnings.push(h.warn(
                    "spec.metrics",
                    "not modelled: no CPU or memory Utilization metric, so the HPA is left out",
                )),
            }
        }
        Ok(found)
    }

    /// The first PDB with an integer `minAvailable` selecting these pod labels.
    fn pdb_for(
        &mut self,
        namespace: &str,
        labels: &BTreeMap<String, String>,
    ) -> Result<Option<(String, u32)>, ImportError> {
        for p in &mut self.pdbs {
            let spec = p.item.spec.clone().unwrap_or_default();
            if p.namespace != namespace || !selects(spec.selector.as_ref(), labels) {
                continue;
            }
            let Some(IntOrString::Int(min)) = spec.min_available else {
                continue;
            };
            let min = u32::try_from(min).map_err(|_| {
                p.doc
                    .error("spec.minAvailable", format!("{min}: not a pod count"))
            })?;
            p.used.mark("spec.selector");
            p.used.mark("spec.minAvailable");
            return Ok(Some((p.source(), min)));
        }
        Ok(None)
    }

    /// A LoadBalancer per Service that selects Deployments, and one per
    /// Deployment that no Service selects.
    fn balancers(&mut self) -> Vec<Balancer> {
        let mut out = Vec::new();
        let mut reached = vec![false; self.deployments.len()];
        for s in &mut self.services {
            let selector = s
                .item
                .spec
                .as_ref()
                .and_then(|sp| sp.selector.clone())
                .unwrap_or_default();
            let mut targets = Vec::new();
            for (i, d) in self.deployments.iter().enumerate() {
                let labels = pod_labels(&d.item);
                let matches = !selector.is_empty()
                    && d.namespace == s.namespace
                    && selector.iter().all(|(k, v)| labels.get(k) == Some(v));
                if matches {
                    targets.push(d.name.clone());
                    reached[i] = true;
                }
            }
            if targets.is_empty() {
                continue;
            }
            s.used.mark("spec.selector");
            let taken = self.deployments.iter().any(|d| d.name == s.name);
            out.push(Balancer {
                name: if taken {
                    format!("{}-svc", s.name)
                } else {
                    s.name.clone()
                },
                endpoint: s.name.clone(),
                targets,
                source: format!(
                    "{}: kube-proxy spreads connections at random over the ready pods",
                    s.source()
                ),
            });
        }
        for (d, _) in self.deployments.iter().zip(reached).filter(|(_, r)| !r) {
            out.push(Balancer {
                name: format!("{}-lb", d.name),
                endpoint: d.name.clone(),
                targets: vec![d.name.clone()],
                source: format!(
                    "EDIT: no Service selects {}: a balancer so requests reach it",
                    d.source()
                ),
            });
        }
        out
    }
}

/// Adds a warning for each field of the objects that was not modelled.
fn unmodelled<T>(objects: &[Object<T>], warnings: &mut Vec<String>) {
    for o in objects {
        for path in o.used.unmodelled(&o.value) {
            warnings.push(o.warn(&path, "not modelled"));
        }
    }
}

/// A generated LoadBalancer and the endpoint that goes through it.
struct Balancer {
    name: String,
    endpoint: String,
    targets: Vec<String>,
    source: String,
}

fn imported_kinds() -> String {
    let kinds: Vec<String> = IMPORTED.iter().map(|(k, a)| format!("{k} ({a})")).collect();
    kinds.join(", ")
}

/// The labels of a Deployment's pods.
fn pod_labels(d: &Deployment) -> BTreeMap<String, String> {
    d.spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .unwrap_or_default()
}

/// Whether a label selector (`matchLabels` only) selects these labels.
fn selects(selector: Option<&LabelSelector>, labels: &BTreeMap<String, String>) -> bool {
    let Some(s) = selector else { return false };
    if s.match_expressions.as_ref().is_some_and(|e| !e.is_empty()) {
        return false;
    }
    let wanted = s.match_labels.clone().unwrap_or_default();
    !wanted.is_empty() && wanted.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// The scenario's head: what to edit, the run and the workload skeleton.
fn header(
    out: &mut String,
    files: &[String],
    deployments: &[Object<Deployment>],
    balancers: &[Balancer],
) {
    let _ = writeln!(
        out,
        "// Imported by `scaletwin import k8s {}`.",
        files.join(" ")
    );
    out.push_str(
        "// The components come from the manifests (each names its source object).\n\
         // Kubernetes does not say what traffic arrives, what a request does or how\n\
         // many requests a pod serves at once: the lines marked EDIT are a skeleton\n\
         // to replace with what you know (or with `scaletwin import otlp`).\n",
    );
    let name = deployments.first().map_or("imported", |d| d.name.as_str());
    let _ = writeln!(out, "Scenario(\n    name: {},", quoted(name));
    out.push_str(
        "    // EDIT: how long to simulate.\n    run: (duration: \"10m\", warmup: \"1m\"),\n",
    );
    out.push_str(
        "    // EDIT: the offered load (100 req/s here), spread evenly over the endpoints.\n",
    );
    let mix: Vec<String> = balancers
        .iter()
        .map(|b| format!("{}: 1.0", quoted(&b.endpoint)))
        .collect();
    let _ = writeln!(
        out,
        "    workload: (users: 100, rps_per_user: 1.0, mix: {{ {} }}),",
        mix.join(", ")
    );
}
