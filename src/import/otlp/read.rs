//! Reading OTLP JSON into flat spans: each with its service and its
//! attributes as text. Errors name the line, column and field path.

use super::super::ImportError;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, KeyValue};
use std::collections::BTreeMap;

/// One span, as the importer needs it.
#[derive(Clone, Debug)]
pub(super) struct Span {
    pub(super) trace: Vec<u8>,
    pub(super) id: Vec<u8>,
    pub(super) parent: Vec<u8>,
    pub(super) name: String,
    /// OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer.
    pub(super) kind: i32,
    pub(super) start: u64,
    pub(super) end: u64,
    /// `service.name` of its resource.
    pub(super) service: String,
    pub(super) attributes: BTreeMap<String, String>,
}

impl Span {
    /// Duration, nanoseconds.
    pub(super) fn duration(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    /// An attribute, by the first of several names that is present.
    pub(super) fn attr(&self, names: &[&str]) -> Option<&str> {
        names
            .iter()
            .find_map(|n| self.attributes.get(*n))
            .map(String::as_str)
    }
}

/// All spans of a file, in file order.
pub(super) fn spans(file: &str, text: &str) -> Result<Vec<Span>, ImportError> {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let one_per_line = serde_json::from_str::<serde::de::IgnoredAny>(first).is_ok();
    let mut out = Vec::new();
    if one_per_line {
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            flatten(parse(file, line, i)?, &mut out);
        }
    } else {
        flatten(parse(file, text, 0)?, &mut out);
    }
    Ok(out)
}

fn parse(file: &str, text: &str, offset: usize) -> Result<ExportTraceServiceRequest, ImportError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let request = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        error(file, offset, &path, &inner)
    })?;
    de.end().map_err(|e| error(file, offset, "", &e))?;
    Ok(request)
}

fn error(file: &str, offset: usize, path: &str, e: &serde_json::Error) -> ImportError {
    let message = e.to_string();
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_owned();
    ImportError {
        file: file.to_owned(),
        line: Some(e.line() + offset),
        column: Some(e.column()),
        field: if path == "." {
            String::new()
        } else {
            path.to_owned()
        },
        message,
    }
}

fn flatten(request: ExportTraceServiceRequest, out: &mut Vec<Span>) {
    for rs in request.resource_spans {
        let resource = rs
            .resource
            .map(|r| attributes(&r.attributes))
            .unwrap_or_default();
        let service = resource
            .get("service.name")
            .cloned()
            .unwrap_or_else(|| "unknown_service".to_owned());
        for ss in rs.scope_spans {
            for s in ss.spans {
                out.push(Span {
                    trace: s.trace_id,
                    id: s.span_id,
                    parent: s.parent_span_id,
                    name: s.name,
                    kind: s.kind,
                    start: s.start_time_unix_nano,
                    end: s.end_time_unix_nano,
                    service: service.clone(),
                    attributes: attributes(&s.attributes),
                });
            }
        }
    }
}

/// Attributes with their values as text (arrays and maps as their JSON).
fn attributes(kvs: &[KeyValue]) -> BTreeMap<String, String> {
    kvs.iter()
        .filter_map(|kv| {
            let value = kv.value.as_ref()?.value.as_ref()?;
            let text = match value {
                any_value::Value::StringValue(s) => s.clone(),
                any_value::Value::BoolValue(b) => b.to_string(),
                any_value::Value::IntValue(i) => i.to_string(),
                any_value::Value::DoubleValue(d) => d.to_string(),
                _ => return None,
            };
            Some((kv.key.clone(), text))
        })
        .collect()
}
