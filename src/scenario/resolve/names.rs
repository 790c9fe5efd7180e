//! Names and other text in a scenario must be printable: a control
//! character (an escape sequence, a carriage return) would be echoed to the
//! terminal in reports and messages, and no real name holds one.

use super::context::Problems;
use crate::scenario::Scenario;
use serde_json::Value;

/// Reports every key and text value of `s` holding a control character.
pub(super) fn check_printable(s: &Scenario, p: &mut Problems) {
    if let Ok(tree) = serde_json::to_value(s) {
        visit(&tree, "", p);
    }
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

fn visit(v: &Value, path: &str, p: &mut Problems) {
    match v {
        Value::String(text) => flag(text, path, p),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                visit(item, &format!("{path}[{i}]"), p);
            }
        }
        Value::Object(map) => {
            // An enum variant ({"Deployment": {...}}) adds no path segment.
            let variant = map.len() == 1
                && map
                    .keys()
                    .all(|k| k.starts_with(|c: char| c.is_ascii_uppercase()));
            for (key, value) in map {
                if variant {
                    visit(value, path, p);
                } else {
                    flag(key, path, p);
                    visit(value, &join(path, key), p);
                }
            }
        }
        _ => {}
    }
}

fn flag(text: &str, path: &str, p: &mut Problems) {
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        p.add(
            if path.is_empty() { "scenario" } else { path },
            format!(
                "{text:?} holds a control character (U+{:04X}); names and text must be printable",
                u32::from(c)
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_control_character_in_a_name_or_key_is_a_problem_at_its_path() {
        let mut s =
            crate::scenario::parse(crate::scenario::DEFAULT_SCENARIO, "default.ron").unwrap();
        let mut p = Problems::default();
        check_printable(&s, &mut p);
        assert_eq!(p.len(), 0);
        s.name = "a\u{1b}[31mred".into();
        let w = s.workload.mix.pop_first().unwrap();
        s.workload.mix.insert(format!("{}\r", w.0), w.1);
        let problems = crate::scenario::validate(&s).unwrap_err();
        let name = problems.iter().find(|x| x.path == "name").unwrap();
        assert!(name.message.contains("\\u{1b}[31mred") && name.message.contains("U+001B"));
        assert!(problems
            .iter()
            .any(|x| x.path == "workload.mix" && x.message.contains("\\r")));
    }
}
