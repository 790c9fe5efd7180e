//! Which fields of an input document the importer did not use: the paths it
//! read are marked; every other field is reported, at the smallest enclosing
//! record (a map or list of plain values), so `env[0].valueFrom.secretKeyRef`
//! is named rather than each of its keys or the whole `env` list.

use serde_norway::Value;
use std::collections::BTreeSet;

/// Paths (`spec.template.spec.containers[0].name`) that were read and modelled.
#[derive(Debug, Default)]
pub(crate) struct Used(BTreeSet<String>);

impl Used {
    /// Marks a field (and everything under it) as modelled.
    pub(crate) fn mark(&mut self, path: impl Into<String>) {
        self.0.insert(path.into());
    }

    /// Fields of `value` that were not marked, in document order.
    pub(crate) fn unmodelled(&self, value: &Value) -> Vec<String> {
        let mut out = Vec::new();
        self.walk(value, "", &mut out);
        out
    }

    fn covers_part_of(&self, path: &str) -> bool {
        self.0
            .range(path.to_owned()..)
            .take_while(|p| p.starts_with(path))
            .any(|p| path.is_empty() || p[path.len()..].starts_with(['.', '[']))
    }

    fn walk(&self, value: &Value, path: &str, out: &mut Vec<String>) {
        if self.0.contains(path) {
            return;
        }
        let children = children(value, path);
        let record = children.iter().all(|(_, v)| is_plain(v));
        if !path.is_empty() && record && !self.covers_part_of(path) {
            out.push(path.to_owned());
            return;
        }
        for (child, v) in children {
            self.walk(v, &child, out);
        }
    }
}

fn is_plain(value: &Value) -> bool {
    !matches!(
        value,
        Value::Mapping(_) | Value::Sequence(_) | Value::Tagged(_)
    )
}

fn children<'v>(value: &'v Value, path: &str) -> Vec<(String, &'v Value)> {
    match value {
        Value::Mapping(map) => map
            .iter()
            .map(|(k, v)| {
                let key = match k {
                    Value::String(s) => s.clone(),
                    other => serde_norway::to_string(other)
                        .unwrap_or_default()
                        .trim()
                        .to_owned(),
                };
                let child = if path.is_empty() {
                    key
                } else {
                    format!("{path}.{key}")
                };
                (child, v)
            })
            .collect(),
        Value::Sequence(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("{path}[{i}]"), v))
            .collect(),
        Value::Tagged(tagged) => vec![(path.to_owned(), &tagged.value)],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_smallest_unused_record() {
        let doc: Value = serde_norway::from_str(
            "spec:\n  replicas: 3\n  env:\n  - name: A\n    valueFrom:\n      secretKeyRef: {name: s, key: k}\n  strategy: {type: Recreate}\n",
        )
        .unwrap();
        let mut used = Used::default();
        used.mark("spec.replicas");
        assert_eq!(
            used.unmodelled(&doc),
            [
                "spec.env[0].name",
                "spec.env[0].valueFrom.secretKeyRef",
                "spec.strategy"
            ]
        );
        used.mark("spec.env");
        used.mark("spec.strategy.type");
        assert!(used.unmodelled(&doc).is_empty());
    }
}
