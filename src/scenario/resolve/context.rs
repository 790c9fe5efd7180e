//! What every resolver shares: the problems found so far, the index of
//! component names by kind, the sampler table and the resolved regions.

use super::samplers::Samplers;
use crate::scenario::plan::RegionsSpec;
use crate::scenario::schema::{Component, ComponentKind, Scenario};
use crate::scenario::suggest::hint;
use std::collections::BTreeMap;

/// One thing wrong with a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Where: a field path such as `components[2].concurrency`.
    pub path: String,
    /// What is wrong and what would be valid.
    pub message: String,
    /// A name or text that locates the problem in the file, if any.
    pub needle: Option<String>,
}

/// The problems found so far, in the order they were found.
#[derive(Default)]
pub(crate) struct Problems(pub(crate) Vec<Problem>);

impl Problems {
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A problem at `path`, located by the path alone.
    pub(crate) fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            path: path.into(),
            message: message.into(),
            needle: None,
        });
    }

    /// A problem at `path`, located by the text `needle` near it.
    pub(crate) fn add_at(
        &mut self,
        path: impl Into<String>,
        message: impl Into<String>,
        needle: &str,
    ) {
        self.0.push(Problem {
            path: path.into(),
            message: message.into(),
            needle: Some(needle.to_owned()),
        });
    }

    /// A problem located by `needle` when there is one, else by the path.
    pub(crate) fn add_near(
        &mut self,
        path: impl Into<String>,
        message: impl Into<String>,
        needle: Option<&str>,
    ) {
        match needle {
            Some(n) => self.add_at(path, message, n),
            None => self.add(path, message),
        }
    }
}

/// `"a", "b"`, or `none`.
pub(crate) fn list(names: &[&str]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The state shared by the resolvers of one scenario.
pub(crate) struct Context<'s> {
    /// The scenario being resolved.
    pub(crate) scenario: &'s Scenario,
    /// Problems of the structure (names, values, references).
    pub(crate) problems: Problems,
    /// Every distribution, deduplicated; its problems are reported after the structure's.
    pub(crate) samplers: Samplers,
    /// The `regions` section, resolved (`None` without one or when it is broken).
    pub(crate) regions: Option<RegionsSpec>,
    /// Component name -> its kind and index among the components of that kind.
    index: BTreeMap<&'s str, (ComponentKind, usize)>,
    /// Per kind, the position in `components` of each component of that kind.
    positions: BTreeMap<ComponentKind, Vec<usize>>,
}

impl<'s> Context<'s> {
    /// A context over `scenario`, with its components indexed by name
    /// (empty or repeated names are reported).
    pub(crate) fn new(scenario: &'s Scenario, problems: Problems) -> Context<'s> {
        let mut cx = Context {
            scenario,
            problems,
            samplers: Samplers::default(),
            regions: None,
            index: BTreeMap::new(),
            positions: BTreeMap::new(),
        };
        for (i, c) in scenario.components.iter().enumerate() {
            cx.add_component(i, c);
        }
        cx
    }

    fn add_component(&mut self, i: usize, c: &'s Component) {
        if c.name().trim().is_empty() {
            self.problems.add(
                format!("components[{i}].name"),
                "component names must not be empty",
            );
        }
        if self.index.contains_key(c.name()) {
            self.problems.add_at(
                format!("components[{i}].name"),
                format!(
                    "two components are named \"{}\"; names must be unique",
                    c.name()
                ),
                c.name(),
            );
        }
        let kind = c.component_kind();
        let of_kind = self.positions.entry(kind).or_default();
        self.index.entry(c.name()).or_insert((kind, of_kind.len()));
        of_kind.push(i);
    }

    /// The kind and index (among its kind) of the component named `name`.
    pub(crate) fn component(&self, name: &str) -> Option<(ComponentKind, usize)> {
        self.index.get(name).copied()
    }

    /// The index of `name` if it is a component of `kind`.
    pub(crate) fn index_of(&self, name: &str, kind: ComponentKind) -> Option<usize> {
        match self.component(name) {
            Some((k, idx)) if k == kind => Some(idx),
            _ => None,
        }
    }

    /// The names of the components of `kind`, in scenario order.
    pub(crate) fn names_of(&self, kind: ComponentKind) -> Vec<&'s str> {
        self.components_of(kind).map(Component::name).collect()
    }

    /// The components of `kind`, in scenario order.
    pub(crate) fn components_of(
        &self,
        kind: ComponentKind,
    ) -> impl Iterator<Item = &'s Component> + '_ {
        let scenario: &'s Scenario = self.scenario;
        self.positions
            .get(&kind)
            .into_iter()
            .flatten()
            .map(move |&i| &scenario.components[i])
    }

    /// The position in `components` of the `idx`-th component of `kind`.
    pub(crate) fn position(&self, kind: ComponentKind, idx: usize) -> usize {
        self.positions.get(&kind).map_or(0, |p| p[idx])
    }

    /// Resolves a reference to a component of `kind` at `path`, reporting a
    /// missing name (with a did-you-mean) or one of another kind.
    pub(crate) fn lookup(
        &mut self,
        path: String,
        name: &str,
        kind: ComponentKind,
    ) -> Option<usize> {
        let names = self.names_of(kind);
        match self.component(name) {
            Some((k, idx)) if k == kind => Some(idx),
            Some((k, _)) => {
                self.problems.add_at(
                    path,
                    format!(
                        "\"{name}\" is a {k}, but a {kind} is needed here; {}: {}",
                        kind.plural(),
                        list(&names)
                    ),
                    name,
                );
                None
            }
            None => {
                self.problems.add_at(
                    path,
                    format!(
                        "no {kind} is named \"{name}\";{} {}: {}",
                        hint(name, names.iter().copied()),
                        kind.plural(),
                        list(&names)
                    ),
                    name,
                );
                None
            }
        }
    }

    /// Whether the scenario has a `regions` section (resolved or not).
    pub(crate) fn has_regions(&self) -> bool {
        self.scenario.regions.is_some()
    }

    /// Resolves a region name at `path` (see [`super::regions::region_of`]).
    pub(crate) fn region(&mut self, path: String, name: &str) -> Option<u8> {
        let given = self.has_regions();
        super::regions::region_of(&mut self.problems, path, self.regions.as_ref(), given, name)
    }
}
