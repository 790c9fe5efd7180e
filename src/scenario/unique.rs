//! Maps whose keys must each appear once: serde keeps the last of two equal
//! keys, so `{"read": 0.4, "read": 5.0}` would silently mean `{"read": 5.0}`.
//! Use with `#[serde(deserialize_with = "unique::map")]` (or
//! [`nested`] for a map of maps).

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

/// The text every duplicate-key error starts with; the parser's error
/// handling recognises it to point at the key.
pub(super) const DUPLICATE_KEY: &str = "duplicate key ";

/// Deserializes a string-keyed map, rejecting a key given twice.
pub(crate) fn map<'de, D, V>(d: D) -> Result<BTreeMap<String, V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    d.deserialize_map(UniqueVisitor(PhantomData))
}

/// A map of maps (e.g. `regions.rtt`), with no key given twice at either level.
pub(crate) fn nested<'de, D, V>(d: D) -> Result<BTreeMap<String, BTreeMap<String, V>>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    let outer: BTreeMap<String, Inner<V>> = map(d)?;
    Ok(outer.into_iter().map(|(k, v)| (k, v.0)).collect())
}

/// An inner map read through [`map`].
struct Inner<V>(BTreeMap<String, V>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Inner<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        map(d).map(Inner)
    }
}

struct UniqueVisitor<V>(PhantomData<V>);

impl<'de, V: Deserialize<'de>> Visitor<'de> for UniqueVisitor<V> {
    type Value = BTreeMap<String, V>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of names to values, each name once")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(key) = access.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(serde::de::Error::custom(format!(
                    "{DUPLICATE_KEY}{key:?}: each key may appear once in a map"
                )));
            }
            let value = access.next_value()?;
            out.insert(key, value);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct M {
        #[serde(deserialize_with = "map")]
        m: BTreeMap<String, u32>,
        #[serde(deserialize_with = "nested", default)]
        n: BTreeMap<String, BTreeMap<String, u32>>,
    }

    #[test]
    fn a_key_given_twice_is_an_error_at_either_level() {
        let ok: M = ron::from_str(r#"(m: {"a": 1, "b": 2}, n: {"x": {"y": 1}})"#).unwrap();
        assert_eq!((ok.m.len(), ok.n["x"]["y"]), (2, 1));
        let e = ron::from_str::<M>(r#"(m: {"a": 1, "a": 2})"#).unwrap_err();
        assert!(e.to_string().contains("duplicate key \"a\""), "{e}");
        let e = ron::from_str::<M>(r#"(m: {}, n: {"x": {"y": 1, "y": 2}})"#).unwrap_err();
        assert!(e.to_string().contains("duplicate key \"y\""), "{e}");
        let e = ron::from_str::<M>(r#"(m: {}, n: {"x": {}, "x": {}})"#).unwrap_err();
        assert!(e.to_string().contains("duplicate key \"x\""), "{e}");
    }
}
