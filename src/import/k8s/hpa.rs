//! An autoscaling/v2 HorizontalPodAutoscaler: its replica bounds, the
//! resource-utilization metrics the simulator models (CPU, memory) and its
//! full `behavior`.

use super::super::unmodelled::Used;
use super::super::ImportError;
use super::yaml::Document;
use k8s_openapi::api::autoscaling::v2::{HPAScalingRules, HorizontalPodAutoscalerSpec};
use std::fmt::Write;

/// The parts of an HPA that become a Deployment's `hpa`, as RON text.
#[derive(Debug)]
pub(super) struct Hpa {
    /// `(min: .., max: .., cpu: .., ...)`.
    pub(super) ron: String,
    /// Comment lines on where the numbers came from.
    pub(super) notes: Vec<String>,
}

/// Reads an HPA's spec. `None`: none of its metrics is one the simulator
/// models, so it is left out (and its metrics are reported as unmodelled).
pub(super) fn read(
    doc: &Document,
    used: &mut Used,
    spec: &HorizontalPodAutoscalerSpec,
) -> Result<Option<Hpa>, ImportError> {
    let min = spec.min_replicas.unwrap_or(1);
    let max = spec.max_replicas;
    if min < 0 || max < 1 {
        return Err(doc.error(
            "spec.maxReplicas",
            format!("minReplicas {min} / maxReplicas {max}: both must be positive"),
        ));
    }
    used.mark("spec.minReplicas");
    used.mark("spec.maxReplicas");
    let mut notes = Vec::new();
    let mut cpu = None;
    let mut memory = None;
    let metrics = spec.metrics.as_deref().unwrap_or_default();
    for (i, m) in metrics.iter().enumerate() {
        let Some(r) = m.resource.as_ref().filter(|_| m.type_ == "Resource") else {
            continue;
        };
        let Some(target) = r
            .target
            .average_utilization
            .filter(|_| r.target.type_ == "Utilization")
        else {
            continue;
        };
        let slot = match r.name.as_str() {
            "cpu" => &mut cpu,
            "memory" => &mut memory,
            _ => continue,
        };
        if target < 1 {
            return Err(doc.error(
                &format!("spec.metrics[{i}].resource.target.averageUtilization"),
                format!("{target}: a utilization target is a positive percentage"),
            ));
        }
        *slot = Some(target);
        for field in [
            "type",
            "resource.name",
            "resource.target.type",
            "resource.target.averageUtilization",
        ] {
            used.mark(format!("spec.metrics[{i}].{field}"));
        }
    }
    if metrics.is_empty() {
        cpu = Some(80);
        notes.push("no metrics: Kubernetes' default, CPU utilization 80 %".to_owned());
    } else if cpu.is_none() && memory.is_none() {
        return Ok(None);
    }
    let mut ron = format!("(min: {min}, max: {max}");
    if let Some(c) = cpu {
        let _ = write!(ron, ", cpu: {c}");
    }
    if let Some(m) = memory {
        let _ = write!(ron, ", memory: {m}");
    }
    if let Some(b) = &spec.behavior {
        let up = rules(doc, used, "spec.behavior.scaleUp", b.scale_up.as_ref())?;
        let down = rules(doc, used, "spec.behavior.scaleDown", b.scale_down.as_ref())?;
        let parts: Vec<String> = [("scale_up", up), ("scale_down", down)]
            .into_iter()
            .filter_map(|(name, r)| r.map(|r| format!("{name}: {r}")))
            .collect();
        let _ = write!(ron, ", behavior: ({})", parts.join(", "));
    }
    ron.push(')');
    Ok(Some(Hpa { ron, notes }))
}

/// One direction's `HPAScalingRules` as RON.
fn rules(
    doc: &Document,
    used: &mut Used,
    at: &str,
    rules: Option<&HPAScalingRules>,
) -> Result<Option<String>, ImportError> {
    let Some(r) = rules else {
        return Ok(None);
    };
    let mut parts = Vec::new();
    if let Some(w) = r.stabilization_window_seconds {
        let field = format!("{at}.stabilizationWindowSeconds");
        let seconds = u64::try_from(w)
            .map_err(|_| doc.error(&field, format!("{w}: not a number of seconds")))?;
        parts.push(format!("stabilization_window: \"{}s\"", seconds));
        used.mark(field);
    }
    if let Some(s) = &r.select_policy {
        let field = format!("{at}.selectPolicy");
        if !matches!(s.as_str(), "Max" | "Min" | "Disabled") {
            return Err(doc.error(&field, format!("`{s}` is not Max, Min or Disabled")));
        }
        parts.push(format!("select_policy: {s}"));
        used.mark(field);
    }
    let mut policies = Vec::new();
    for (i, p) in r.policies.as_deref().unwrap_or_default().iter().enumerate() {
        let field = format!("{at}.policies[{i}]");
        if !matches!(p.type_.as_str(), "Pods" | "Percent") {
            return Err(doc.error(
                &format!("{field}.type"),
                format!("`{}` is not Pods or Percent", p.type_),
            ));
        }
        if p.value < 1 || p.period_seconds < 1 {
            return Err(doc.error(
                &format!("{field}.value"),
                "value and periodSeconds must be positive",
            ));
        }
        policies.push(format!(
            "{}(value: {}, period: \"{}s\")",
            p.type_, p.value, p.period_seconds
        ));
        used.mark(field);
    }
    if r.policies.is_some() {
        parts.push(format!("policies: [{}]", policies.join(", ")));
    }
    Ok(Some(format!("({})", parts.join(", "))))
}
