//! The search space of `scaletwin plan`: the scenario's `plan: (vary: ..)`
//! checked into dimensions whose values are ordered by capacity, the
//! candidates (one value per dimension), which candidate has no more
//! capacity than another, and the least each candidate can cost.
//!
//! ```text
//!  "components.pg.class": ["db.r6g.xlarge", "db.r6g.large"]
//!        │ every value applied alone and validated (exit 2 with the field path)
//!        ▼
//!  Dimension { path, values: [large $0.225/h, xlarge $0.45/h], order: Price }
//! ```
//!
//! Capacity order per path: numbers ascending; instance sizes, database
//! classes and cache nodes by their hourly price in the scenario's price
//! table; any other text is unordered (two candidates that differ there
//! are not comparable, so no pruning crosses it).

use crate::cost::{table_for, Pricing, Usage};
use crate::scenario::schema::{Component, PlanValue};
use crate::scenario::{apply_settings, Problem, Scenario, ScenarioError, Setting};
use serde::{Deserialize, Serialize};

/// Most candidates a space may hold (the product of its value counts).
pub const MAX_CANDIDATES: usize = 4096;

/// How the values of one path are ordered by capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CapacityOrder {
    /// Numbers, ascending.
    Numbers,
    /// Names in the price table (instances, database classes, cache
    /// nodes), by hourly price.
    Price,
    /// Other text: no value has more capacity than another.
    Unordered,
}

/// One varied path and its values, in capacity order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dimension {
    /// The field path, as `--set` takes it.
    pub path: String,
    /// The values as `--set` text, least capacity first.
    pub values: Vec<String>,
    /// How they are ordered.
    pub order: CapacityOrder,
    /// Each value's capacity key (the number or the hourly price); equal
    /// for every value of an unordered path.
    #[serde(skip)]
    keys: Vec<f64>,
}

/// A checked search space.
#[derive(Clone, Debug)]
pub struct Space {
    /// The dimensions, in the path order of the file's map (sorted).
    pub dimensions: Vec<Dimension>,
}

/// One configuration: a value index per dimension.
pub type Choice = Vec<usize>;

/// An example `plan` block, shown when a scenario has none.
pub const EXAMPLE: &str = r#"plan: (vary: {"components.api.hpa.max": [10, 20, 40], "components.pg.class": ["db.r6g.large", "db.r6g.xlarge"], "components.pg.replicas": [0, 1, 2]})"#;

impl Space {
    /// The space `s` declares, every path and value checked: a path must
    /// reach a field (`--set`'s did-you-mean otherwise) and each value, set
    /// alone, must give a valid scenario. All problems are reported at once,
    /// located in `source`.
    pub fn of(s: &Scenario, source: &str, file: &str) -> Result<Space, ScenarioError> {
        let problem = |path: String, message: String, needle: Option<String>| Problem {
            path,
            message,
            needle,
        };
        let Some(block) = &s.plan else {
            let message = format!(
                "`scaletwin plan` searches the space the scenario declares in its `plan` field, \
                 and this scenario has none; add one, e.g. {EXAMPLE}"
            );
            return Err(located(
                vec![problem("plan".into(), message, None)],
                source,
                file,
            ));
        };
        let mut problems = Vec::new();
        if block.vary.is_empty() {
            problems.push(problem(
                "plan.vary".into(),
                format!("name at least one field to vary, e.g. {EXAMPLE}"),
                None,
            ));
        }
        let table = table_for(s.prices.as_ref()).ok();
        let mut dimensions = Vec::new();
        let base = Scenario {
            plan: None,
            ..s.clone()
        };
        for (path, values) in &block.vary {
            let at = |i: usize| format!("plan.vary.{path}[{i}]");
            if values.is_empty() {
                problems.push(problem(
                    format!("plan.vary.{path}"),
                    "list at least one value".into(),
                    Some(path.clone()),
                ));
                continue;
            }
            let mut ok = true;
            let mut last: Option<String> = None;
            for (i, v) in values.iter().enumerate() {
                let text = v.as_set_text();
                if values[..i].iter().any(|w| w.as_set_text() == text) {
                    problems.push(problem(
                        at(i),
                        format!("`{text}` is listed twice"),
                        Some(path.clone()),
                    ));
                    ok = false;
                    continue;
                }
                let Some(m) = value_problem(&base, path, &text) else {
                    continue;
                };
                ok = false;
                // A path that reaches nothing fails alike for every value: once is enough.
                if last.as_ref() != Some(&m) {
                    problems.push(problem(
                        at(i),
                        format!("`{path}` = `{text}` does not apply: {m}"),
                        Some(path.clone()),
                    ));
                }
                last = Some(m);
            }
            if ok {
                dimensions.push(Dimension::new(path, values, table.as_ref()));
            }
        }
        let count = block
            .vary
            .values()
            .fold(1usize, |n, v| n.saturating_mul(v.len().max(1)));
        if count > MAX_CANDIDATES {
            problems.push(problem(
                "plan.vary".into(),
                format!(
                    "{count} candidates (the product of the value counts); at most {MAX_CANDIDATES}: \
                     list fewer values"
                ),
                None,
            ));
        }
        if !problems.is_empty() {
            return Err(located(problems, source, file));
        }
        Ok(Space { dimensions })
    }

    /// Every candidate, in index order (the last dimension varies fastest).
    pub fn candidates(&self) -> Vec<Choice> {
        let mut all: Vec<Choice> = vec![Vec::new()];
        for d in &self.dimensions {
            all = all
                .into_iter()
                .flat_map(|c| {
                    (0..d.values.len()).map(move |i| {
                        let mut c = c.clone();
                        c.push(i);
                        c
                    })
                })
                .collect();
        }
        all
    }

    /// The `path=value` overrides of a candidate.
    pub fn sets(&self, choice: &[usize]) -> Vec<String> {
        self.dimensions
            .iter()
            .zip(choice)
            .map(|(d, &i)| format!("{}={}", d.path, d.values[i]))
            .collect()
    }

    /// The scenario with a candidate's overrides applied.
    pub fn apply(&self, s: &Scenario, choice: &[usize]) -> Result<Scenario, ScenarioError> {
        let settings: Vec<Setting> = self
            .sets(choice)
            .into_iter()
            .map(|e| Setting {
                flag: "plan.vary".into(),
                given: e.clone(),
                expression: e,
            })
            .collect();
        apply_settings(s, &settings)
    }

    /// Whether candidate `a` has no more capacity than `b` in any
    /// dimension (and differs from it).
    pub fn dominated(&self, a: &[usize], b: &[usize]) -> bool {
        a != b
            && self
                .dimensions
                .iter()
                .zip(a.iter().zip(b))
                .all(|(d, (&x, &y))| {
                    x == y || (d.order != CapacityOrder::Unordered && d.keys[x] < d.keys[y])
                })
    }

    /// The sum of a candidate's positions in capacity order: a tie-break
    /// that prefers the leaner of two equally priced configurations.
    pub fn rank(&self, choice: &[usize]) -> usize {
        choice.iter().sum()
    }
}

impl Dimension {
    /// The values of `path` in capacity order (the values are valid).
    fn new(path: &str, values: &[PlanValue], table: Option<&crate::cost::PriceTable>) -> Dimension {
        let numbers: Option<Vec<f64>> = values
            .iter()
            .map(|v| match v {
                PlanValue::Number(x) => Some(*x),
                PlanValue::Text(_) => None,
            })
            .collect();
        let price = |name: &str| -> Option<f64> {
            let t = table?;
            t.instances
                .get(name)
                .map(|p| p.on_demand)
                .or_else(|| t.databases.get(name).copied())
                .or_else(|| t.cache_nodes.get(name).copied())
        };
        let prices: Option<Vec<f64>> = values
            .iter()
            .map(|v| match v {
                PlanValue::Text(t) => price(t),
                PlanValue::Number(_) => None,
            })
            .collect();
        let (order, keys) = match (numbers, prices) {
            (Some(k), _) => (CapacityOrder::Numbers, k),
            (None, Some(k)) => (CapacityOrder::Price, k),
            (None, None) => (CapacityOrder::Unordered, vec![0.0; values.len()]),
        };
        let mut idx: Vec<usize> = (0..values.len()).collect();
        if order != CapacityOrder::Unordered {
            idx.sort_by(|&a, &b| keys[a].total_cmp(&keys[b]).then(a.cmp(&b)));
        }
        Dimension {
            path: path.to_owned(),
            values: idx.iter().map(|&i| values[i].as_set_text()).collect(),
            order,
            keys: idx.iter().map(|&i| keys[i]).collect(),
        }
    }
}

/// Why `path=text` does not apply to `base`, if it does not: the override's
/// own error (an unknown path, a value of the wrong type) or the problems
/// of the scenario it gives.
fn value_problem(base: &Scenario, path: &str, text: &str) -> Option<String> {
    let setting = Setting {
        flag: "plan.vary".into(),
        given: format!("{path}={text}"),
        expression: format!("{path}={text}"),
    };
    match apply_settings(base, &[setting]) {
        Err(ScenarioError::Override { message, .. }) => Some(message),
        Err(e) => Some(e.to_string()),
        Ok(point) => crate::scenario::validate(&point).err().map(|ps| {
            ps.iter()
                .map(|p| format!("{}: {}", p.path, p.message))
                .collect::<Vec<_>>()
                .join("; ")
        }),
    }
}

/// `problems` as a scenario error located in `source`.
fn located(problems: Vec<Problem>, source: &str, file: &str) -> ScenarioError {
    crate::scenario::locate(problems, source, file)
}

/// The least a scenario can cost per month before it runs: its nodes by
/// the hour, and each deployment at its fewest pods (the HPA's `min`, else
/// its `replicas`) for the whole run (with a node pool, the fewest nodes
/// that hold them), on spot where its nodes may be spot.
/// Traffic (CDN, queue requests) is left out, so the bill of a run is below
/// it only when pods were lost (faults, spot reclaims) and not yet replaced.
pub fn cost_floor(s: &Scenario) -> Result<f64, ScenarioError> {
    let invalid = |message: String| ScenarioError::Override {
        flag: "plan".into(),
        expression: "prices".into(),
        message,
    };
    let plan = crate::scenario::validate(s).map_err(|problems| {
        invalid(
            problems
                .iter()
                .map(|p| format!("{}: {}", p.path, p.message))
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    let pricing = Pricing::of(&plan).map_err(|e| invalid(e.to_string()))?;
    let seconds = 3600.0;
    let (mut pods, mut nodes) = (Vec::new(), Vec::new());
    let mut specs = plan.deployments().iter();
    let (mut cdns, mut queues) = (0, 0);
    for c in &s.components {
        match c {
            Component::Deployment(d) => {
                let fewest = d.hpa.as_ref().map_or(d.replicas, |h| h.min.min(d.replicas));
                let pool = specs.next().and_then(|spec| spec.nodes.as_ref());
                let node_count = pool.map_or(0, |p| fewest.div_ceil(p.pods_per_node.max(1)));
                let spot = pool.is_some_and(|n| n.spot_fraction > 0.0);
                let split = |s: f64| if spot { (0.0, s) } else { (s, 0.0) };
                pods.push(split(f64::from(fewest) * seconds));
                nodes.push(split(f64::from(node_count) * seconds));
            }
            Component::Cdn(_) => cdns += 1,
            Component::Queue(_) => queues += 1,
            _ => {}
        }
    }
    let usage = Usage {
        seconds,
        served_per_s: 0.0,
        pods,
        nodes,
        cdns: vec![Vec::new(); cdns],
        queues: vec![0.0; queues],
    };
    Ok(pricing.bill(&usage).per_month)
}
