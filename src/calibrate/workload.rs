//! `scaletwin calibrate --fit workload.rate,workload.mix,workload.keys`:
//! the workload written from the observations in the window, each value
//! with its provenance (window, sample size, goodness of fit).
//!
//! ```text
//! request log or rate telemetry ──▶ traffic ──▶ rps_per_user, pattern, mix
//! cache hit/miss counters ──▶ popularity (the scenario's cache model) ──▶ keys' Zipf
//! ```
//!
//! The rate and mix come from the arrivals as `backtest` reads them (per
//! interval of the scenario's `run.interval`, from the first observation's
//! whole second); the key popularity from the counters' increase over the
//! window, with the invalidation rate taken from the (fitted) mix.

use super::observed::Window;
use super::popularity::{CacheModel, PopularityFit};
use super::splice::{self, Edit};
use super::traffic::{self, Traffic};
use crate::scenario::schema::Component;
use crate::scenario::Scenario;
use crate::telemetry::Mapping;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;

/// The workload values `--fit` names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkloadFits {
    /// `workload.rate` (also `workload.rps_per_user`, `workload.pattern`).
    pub rate: bool,
    /// `workload.mix`.
    pub mix: bool,
    /// `workload.keys` (also `workload.keys.popularity`).
    pub keys: bool,
}

impl WorkloadFits {
    /// Parses a comma-separated list of paths.
    pub fn parse(text: &str) -> Result<WorkloadFits, String> {
        let mut f = WorkloadFits::default();
        for path in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match path {
                "workload.rate" | "workload.rps_per_user" | "workload.pattern" => f.rate = true,
                "workload.mix" => f.mix = true,
                "workload.keys" | "workload.keys.popularity" => f.keys = true,
                other => {
                    return Err(format!(
                    "`{other}` cannot be fitted; paths: workload.rate, workload.mix, workload.keys"
                ))
                }
            }
        }
        Ok(f)
    }

    /// Whether any is asked for.
    pub fn any(self) -> bool {
        self.rate || self.mix || self.keys
    }
}

/// Where the observations are and how to read them.
#[derive(Clone, Debug)]
pub struct Sources<'a> {
    /// `--observed` files or folders.
    pub paths: &'a [PathBuf],
    /// The window.
    pub window: Window,
    /// Which series mean what.
    pub mapping: &'a Mapping,
    /// The cache the hit and miss counters are of (`NAME` or `DEPLOYMENT/l1`).
    pub cache: Option<&'a str>,
}

/// The calibrated text and the fits behind it.
#[derive(Clone, Debug)]
pub struct WorkloadCalibration {
    /// The scenario with the fitted values written in.
    pub text: String,
    /// Rate and mix (when asked for).
    pub traffic: Option<Traffic>,
    /// The keys' popularity (when asked for).
    pub popularity: Option<PopularityFit>,
    /// What was written, as the header's provenance lines.
    pub lines: Vec<String>,
}

/// Fits what `fits` names and writes it into `source`.
pub fn calibrate_workload(
    scenario: &Scenario,
    source: &str,
    fits: WorkloadFits,
    sources: &Sources,
    provenance: &str,
) -> Result<WorkloadCalibration, String> {
    let files = crate::backtest::observed::expand(sources.paths).map_err(|e| e.to_string())?;
    let (logs, telemetry): (Vec<PathBuf>, Vec<PathBuf>) = files
        .into_iter()
        .partition(|p| crate::backtest::observed::is_request_log(p));
    let mut edits: Vec<Edit> = Vec::new();
    let mut lines = Vec::new();
    let traffic = if fits.rate || fits.mix {
        let t = read_traffic(scenario, &logs, &telemetry, sources)?;
        if fits.rate {
            edits.extend(splice::rate(source, scenario.workload.users, &t.rate)?);
            lines.push(rate_line(&t));
        }
        if fits.mix {
            for (e, _) in &t.mix.counts {
                if !scenario.endpoints.contains_key(e) {
                    return Err(format!("the observations have endpoint `{e}`, which the scenario does not define: add it to endpoints or leave it out of the data"));
                }
            }
            edits.push(splice::mix(source, &t.mix)?);
            lines.push(mix_line(&t));
        }
        Some(t)
    } else {
        None
    };
    let popularity = if fits.keys {
        let mix: BTreeMap<String, f64> = match (&traffic, fits.mix) {
            (Some(t), true) => t.mix.counts.iter().cloned().collect(),
            _ => scenario.workload.mix.clone(),
        };
        let p = fit_popularity(scenario, &mix, &telemetry, sources)?;
        edits.push(splice::popularity(source, &p)?);
        lines.push(popularity_line(&p));
        Some(p)
    } else {
        None
    };
    let mut header = format!("// Calibrated by `scaletwin calibrate` from {provenance}.\n");
    for l in &lines {
        let _ = writeln!(header, "//   {l}");
    }
    Ok(WorkloadCalibration {
        text: splice::apply(source, &header, edits),
        traffic,
        popularity,
        lines,
    })
}

/// The arrivals per interval of the scenario's `run.interval` (shortened
/// so that whole intervals tile the window), from the request log if one
/// is given, else from the rate telemetry.
fn read_traffic(
    scenario: &Scenario,
    logs: &[PathBuf],
    telemetry: &[PathBuf],
    sources: &Sources,
) -> Result<Traffic, String> {
    let paths = match logs {
        [] => telemetry,
        [_] => logs,
        _ => return Err("give one request log for the rate and mix".into()),
    };
    let ms = |s: f64| (s * 1000.0).round() as u64;
    let mut bin = ms(scenario.run.interval.0.as_secs_f64()).max(1);
    for edge in [sources.window.from, sources.window.to] {
        if edge.is_finite() {
            bin = gcd(bin, ms(edge));
        }
    }
    let bin_s = bin as f64 / 1000.0;
    let series = crate::backtest::observed::read(paths, bin_s, sources.mapping)
        .map_err(|e| e.to_string())?;
    traffic::fit(&series, sources.window)
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// The cache `--cache` names (or the only one), as a model without its load.
struct CacheSpec {
    name: String,
    /// How steps name it: "L1" or the cache's name.
    tier: String,
    capacity: Option<f64>,
    ttl: Option<f64>,
    pods: f64,
}

fn cache_spec(scenario: &Scenario, wanted: Option<&str>) -> Result<CacheSpec, String> {
    let mut all = Vec::new();
    for c in &scenario.components {
        match c {
            Component::Cache(c) => all.push(CacheSpec {
                name: c.name.clone(),
                tier: c.name.clone(),
                capacity: c.capacity.map(|x| x as f64),
                ttl: c.ttl.map(|d| d.0.as_secs_f64()),
                pods: 1.0,
            }),
            Component::Deployment(d) => {
                if let Some(l1) = &d.l1 {
                    all.push(CacheSpec {
                        name: format!("{}/l1", d.name),
                        tier: "L1".into(),
                        capacity: Some(l1.capacity as f64),
                        ttl: l1.ttl.map(|t| t.0.as_secs_f64()),
                        pods: f64::from(d.replicas.max(1)),
                    });
                }
            }
            _ => {}
        }
    }
    let names: Vec<String> = all.iter().map(|c| c.name.clone()).collect();
    let found = match wanted {
        Some(w) => all.into_iter().find(|c| c.name == w),
        None if all.len() == 1 => all.pop(),
        None => None,
    };
    found.ok_or_else(|| match (wanted, names.is_empty()) {
        (_, true) => "workload.keys is fitted to a cache's hit ratio, and the scenario has no cache (a Cache component or a deployment's l1)".to_owned(),
        (Some(w), false) => format!("--cache {w}: no such cache; the scenario has: {}", names.join(", ")),
        (None, false) => format!("name the cache the hit and miss counters are of with --cache: one of {}", names.join(", ")),
    })
}

fn fit_popularity(
    scenario: &Scenario,
    mix: &BTreeMap<String, f64>,
    telemetry: &[PathBuf],
    sources: &Sources,
) -> Result<PopularityFit, String> {
    let spec = cache_spec(scenario, sources.cache)?;
    let keys = scenario
        .workload
        .keys
        .as_ref()
        .ok_or("workload.keys is missing: write keys: (count: N) for the population the exponent is fitted over")?
        .count;
    if telemetry.is_empty() {
        return Err("the cache's hit and miss counters come from telemetry files (--observed FILE.json ...), not a request log".into());
    }
    let mut all = Vec::new();
    for f in telemetry {
        all.extend(crate::telemetry::load(f).map_err(|e| e.to_string())?);
    }
    let start = all
        .iter()
        .flat_map(|s| s.points.first().map(|p| p.0))
        .fold(f64::INFINITY, f64::min);
    let (from, to) = (start + sources.window.from, start + sources.window.to);
    let counter = |spec: &str, key: &str| {
        Mapping::increase(&all, spec, from, to)
            .map_err(|e| format!("--map {key}={e}"))?
            .ok_or_else(|| format!("no `{spec}` series in the telemetry (set it with --map {key}=METRIC or METRIC{{label=\"value\"}})"))
    };
    let (hits, hit_span) = counter(&sources.mapping.hits, "hits")?;
    let (misses, miss_span) = counter(&sources.mapping.misses, "misses")?;
    let seconds = hit_span.max(miss_span);
    if hits + misses <= 0.0 || seconds <= 0.0 {
        return Err(format!(
            "the cache counters did not rise in the window ({hits} hits, {misses} misses)"
        ));
    }
    let share = |kind: &str| -> f64 {
        mix.iter()
            .filter(|(e, _)| touches(scenario, e, kind, &spec.tier, 0))
            .map(|(_, w)| *w)
            .sum()
    };
    let (lookup_share, invalidate_share) = (share("CacheAside"), share("Invalidate"));
    if lookup_share <= 0.0 {
        return Err(format!(
            "no endpoint of the mix looks up `{}` (a CacheAside step with it among its tiers)",
            spec.name
        ));
    }
    let lookups = (hits + misses) / seconds;
    let model = CacheModel {
        keys,
        capacity: spec.capacity,
        ttl: spec.ttl,
        lookups: lookups / spec.pods,
        // An L1 invalidation reaches every pod's copy.
        invalidations: lookups * invalidate_share / lookup_share,
    };
    PopularityFit::new(spec.name, model, hits, misses, seconds)
}

/// Whether `endpoint`'s steps (or those of endpoints it calls) have a step
/// `kind` (`CacheAside`, `Invalidate`) on `tier`.
fn touches(s: &Scenario, endpoint: &str, kind: &str, tier: &str, depth: usize) -> bool {
    if depth > crate::scenario::MAX_CALL_DEPTH as usize {
        return false;
    }
    let Some(tree) = s
        .endpoints
        .get(endpoint)
        .and_then(|steps| serde_json::to_value(steps).ok())
    else {
        return false;
    };
    let wanted = serde_json::Value::String(tier.to_owned());
    let mut calls = Vec::new();
    let found = walk(&tree, &mut |key, value| {
        if key == "Call" {
            calls.extend(value.as_str().map(str::to_owned));
            return false;
        }
        key == kind
            && match key {
                "CacheAside" => value
                    .get("tiers")
                    .and_then(|t| t.as_array())
                    .is_some_and(|t| t.contains(&wanted)),
                "Invalidate" => value.as_array().is_some_and(|t| t.contains(&wanted)),
                _ => false,
            }
    });
    found || calls.iter().any(|c| touches(s, c, kind, tier, depth + 1))
}

/// Calls `f` with every (key, value) of the objects in `v`; whether any returned true.
fn walk(v: &serde_json::Value, f: &mut impl FnMut(&str, &serde_json::Value) -> bool) -> bool {
    match v {
        serde_json::Value::Array(items) => items.iter().fold(false, |acc, i| walk(i, f) | acc),
        serde_json::Value::Object(m) => m
            .iter()
            .fold(false, |acc, (k, i)| f(k, i) | walk(i, f) | acc),
        _ => false,
    }
}

fn rate_line(t: &Traffic) -> String {
    let r = &t.rate;
    let shape = if r.varies() {
        format!("Steps, one per {} s interval: the counts per interval vary more than a constant Poisson rate allows (χ² = {:.1}, {} degrees of freedom, p = {:.2e} < {})", r.bin_s, r.chi2, r.bins.len() - 1, r.p_value, traffic::VARIES_BELOW)
    } else if r.bins.len() > 1 {
        format!("Constant: the counts per {} s interval are those of one Poisson rate (χ² = {:.1}, {} degrees of freedom, p = {:.3} ≥ {})", r.bin_s, r.chi2, r.bins.len() - 1, r.p_value, traffic::VARIES_BELOW)
    } else {
        format!(
            "Constant: one {} s interval, no variation within it measurable",
            r.bin_s
        )
    };
    format!(
        "workload rate: {:.4} req/s ± {:.4} (standard error) from n = {} arrivals in {} s (from {} s); {shape}",
        r.mean(),
        r.standard_error(),
        r.arrivals,
        r.seconds,
        r.from
    )
}

fn mix_line(t: &Traffic) -> String {
    let shares: Vec<String> = t
        .mix
        .shares()
        .iter()
        .zip(&t.mix.counts)
        .map(|((e, p, se), (_, n))| format!("{e} {p:.4} ± {se:.4} ({n})"))
        .collect();
    format!(
        "workload mix: observed shares ± standard error (count) from n = {} in {} s: {}",
        t.mix.total(),
        t.rate.seconds,
        shares.join(", ")
    )
}

fn popularity_line(p: &PopularityFit) -> String {
    let m = &p.model;
    let opt = |x: Option<f64>, unit: &str| x.map_or("none".to_owned(), |v| format!("{v}{unit}"));
    format!(
        "workload keys: Zipf({}) ± {:.4} over {} keys: cache {} (capacity {}, TTL {}) observed hit ratio {:.4} ({} hits, {} misses in {} s), model's {:.4} (|Δ| {:.4}) at {:.3} lookups/s and {:.3} invalidations/s per copy (Che's approximation with TTL and invalidations)",
        p.exponent,
        p.exponent_se,
        m.keys,
        p.cache,
        opt(m.capacity, ""),
        opt(m.ttl, " s"),
        p.observed(),
        p.hits,
        p.misses,
        p.seconds,
        p.achieved,
        (p.achieved - p.observed()).abs(),
        m.lookups,
        m.invalidations
    )
}

impl WorkloadCalibration {
    /// The fit report as Markdown.
    pub fn markdown(&self, provenance: &str) -> String {
        let mut o = format!("# Calibration\n\n{provenance}\n\n| value | fit |\n|---|---|\n");
        for l in &self.lines {
            let (what, rest) = l.split_once(": ").unwrap_or((l, ""));
            let _ = writeln!(o, "| {what} | {rest} |");
        }
        if let Some(t) = self.traffic.as_ref().filter(|t| t.rate.bins.len() > 1) {
            o.push_str("\nArrival rate per interval:\n\n| from (s) | req/s |\n|---|---|\n");
            for (k, r) in t.rate.bins.iter().enumerate() {
                let _ = writeln!(
                    o,
                    "| {} | {:.3} |",
                    t.rate.from + k as f64 * t.rate.bin_s,
                    r
                );
            }
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_paths_parse_and_unknown_ones_are_named() {
        let f = WorkloadFits::parse("workload.rate, workload.keys").unwrap();
        assert!(f.rate && f.keys && !f.mix);
        assert!(WorkloadFits::parse("workload.users")
            .unwrap_err()
            .contains("workload.users"));
        assert_eq!(gcd(60_000, 120_000), 60_000);
    }
}
