//! `scaletwin calibrate`: replace what a scenario marks unknown (`Fit`)
//! with distributions fitted to observations from a low-load window.
//!
//! ```text
//! scenario with Fit ──┐
//!                     ├─▶ per endpoint: observed end-to-end latency
//! observations ───────┘     minus the known parts (other steps, network hops)
//!                           ──▶ Lognormal for the Fit step ──▶ calibrated RON
//!                                                              + fit report, QQ plots
//! ```
//!
//! At low load a request does not queue, so its latency is the sum of its
//! steps' times and the network hops between them. With one `Fit` step per
//! endpoint, the others known:
//! - known parts all constant (e.g. `Const` hops): every latency is shifted
//!   by their sum and the lognormal is fitted by maximum likelihood (exact);
//! - some known part random: the fit matches moments, mean and variance of
//!   the Fit step being the observed ones minus the known parts' (sums of
//!   independent times add their means and their variances);
//! - histograms: a lognormal is fitted to the bucket counts (multinomial
//!   maximum likelihood), then the known parts are removed by moments.

pub mod empirical;
pub mod fit;
pub mod observed;
pub mod popularity;
mod rewrite;
mod splice;
pub mod traffic;
pub mod workload;

use crate::report::chart::{Chart, Line};
use crate::scenario::{DataOp, Op, Plan, PodOp, Scenario};
use fit::{ks_distance, LognormalFit};
use observed::Observed;
use std::fmt::Write;

/// One fitted step.
#[derive(Clone, Debug, PartialEq)]
pub struct Fitted {
    /// The endpoint.
    pub endpoint: String,
    /// The step kind (`Compute`, `DbRead`, ...).
    pub step: String,
    /// The fitted distribution of the step alone (seconds).
    pub fit: LognormalFit,
    /// Kolmogorov-Smirnov distance between the observed latencies and the
    /// fitted end-to-end model.
    pub ks: f64,
    /// Mean and variance (seconds, seconds²) of the known parts removed.
    pub known: (f64, f64),
    /// How the fit was made.
    pub method: &'static str,
    /// QQ points: (model quantile, observed quantile), milliseconds.
    pub qq: Vec<(f64, f64)>,
    /// With [`Shape::Empirical`]: the step's (seconds, weight) points, which
    /// the calibrated file holds instead of the lognormal.
    pub empirical: Option<Vec<(f64, f64)>>,
}

/// The form a fitted step takes in the calibrated scenario.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Shape {
    /// `Lognormal(median, p99)`, fitted as described above.
    #[default]
    Lognormal,
    /// `Empirical([...])`: the observations themselves (a histogram's
    /// buckets, evenly spread inside each, or a log's 100 quantiles) minus
    /// the known parts, which must then be constant.
    Empirical,
}

impl Fitted {
    /// The step's median and 99th percentile, seconds.
    pub fn median_p99(&self) -> (f64, f64) {
        match &self.empirical {
            Some(points) => (
                empirical::quantile(points, 0.5),
                empirical::quantile(points, 0.99),
            ),
            None => (self.fit.median(), self.fit.p99()),
        }
    }
}

/// The result: the calibrated scenario text and what backs it.
#[derive(Clone, Debug)]
pub struct Calibration {
    /// The scenario with every `Fit` replaced, provenance in comments.
    pub text: String,
    /// The fits, in endpoint order.
    pub fits: Vec<Fitted>,
    /// Requests per endpoint in the window (per-request logs only).
    pub counts: Vec<(String, u64)>,
}

/// Fits every `Fit` step of `scenario` (parsed from `source`) to `observed`
/// as a lognormal. `provenance` describes the data and window for the comments.
pub fn calibrate(
    scenario: &Scenario,
    source: &str,
    observed: &Observed,
    provenance: &str,
) -> Result<Calibration, String> {
    calibrate_as(scenario, source, observed, provenance, Shape::Lognormal)
}

/// How [`calibrate_with`] fits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// What each fitted step becomes.
    pub shape: Shape,
    /// Fit only the `Fit` marks of this step kind (`Compute`, `DbRead`,
    /// ...), from observations of that step alone (e.g. a histogram of the
    /// service's query time), so no known part is removed; the other `Fit`
    /// marks stay for another pass. A mark in an endpoint clients do not
    /// call (not in the mix) is fitted from the observations of the one
    /// endpoint that calls it.
    pub step: Option<String>,
}

/// [`calibrate`], writing each fitted step in the given `shape`.
pub fn calibrate_as(
    scenario: &Scenario,
    source: &str,
    observed: &Observed,
    provenance: &str,
    shape: Shape,
) -> Result<Calibration, String> {
    let options = Options { shape, step: None };
    calibrate_with(scenario, source, observed, provenance, &options)
}

/// [`calibrate`] with every option.
pub fn calibrate_with(
    scenario: &Scenario,
    source: &str,
    observed: &Observed,
    provenance: &str,
    options: &Options,
) -> Result<Calibration, String> {
    let step_only = options.step.as_deref();
    let marks = fit_marks(scenario, step_only)?;
    if marks.is_empty() {
        return Err(match step_only {
            None => "the scenario marks nothing to fit: write Fit for an unknown distribution, e.g. Compute(Fit)".into(),
            Some(k) => format!("the scenario has no {k}(Fit) to fit"),
        });
    }
    let plan = known_model(scenario)?;
    let mut fits = Vec::new();
    for (endpoint, step) in &marks {
        let (label, known) = match step_only {
            None => (endpoint.clone(), known_parts(&plan, endpoint)?),
            Some(_) => (observed_as(scenario, endpoint, 0), (0.0, 0.0)),
        };
        let mut f = fit_endpoint(endpoint, &label, step, known, observed)?;
        if options.shape == Shape::Empirical {
            f.empirical = Some(empirical_points(&label, known, observed)?);
            f.method = match observed {
                Observed::Requests { .. } => "empirical: 100 quantiles of the latencies minus the constant known parts",
                Observed::Histograms(_) => "empirical: histogram buckets, each count spread evenly inside its bucket, minus the constant known parts",
            };
        }
        fits.push(f);
    }
    let text = rewrite::replace_fits(source, &fits, provenance, step_only.is_some())?;
    let counts = match observed {
        Observed::Requests { counts, .. } => counts.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        Observed::Histograms(_) => Vec::new(),
    };
    Ok(Calibration { text, fits, counts })
}

/// (endpoint, step kind) of every `Fit` (of kind `only`, when given), in
/// endpoint order; one per endpoint.
fn fit_marks(s: &Scenario, only: Option<&str>) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (name, steps) in &s.endpoints {
        let tree = serde_json::to_value(steps).map_err(|e| e.to_string())?;
        let mut kinds = Vec::new();
        collect_fits(&tree, "", &mut kinds);
        if let Some(k) = only {
            let all = kinds.len();
            kinds.retain(|x| x == k);
            if !kinds.is_empty() && kinds.len() < all {
                return Err(format!("endpoints.{name}: Fit marks of several kinds; with --step each endpoint's marks must be of one kind (put the other step in an endpoint of its own and Call it)"));
            }
        }
        match kinds.len() {
            0 => {}
            1 => out.push((name.clone(), kinds.remove(0))),
            n => return Err(format!("endpoints.{name}: {n} Fit steps; end-to-end latencies can calibrate one unknown step per endpoint")),
        }
    }
    Ok(out)
}

fn collect_fits(v: &serde_json::Value, parent: &str, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) if s == "Fit" => out.push(parent.to_owned()),
        serde_json::Value::Array(items) => items.iter().for_each(|i| collect_fits(i, parent, out)),
        serde_json::Value::Object(m) => m.iter().for_each(|(k, i)| collect_fits(i, k, out)),
        _ => {}
    }
}

/// The endpoint whose observations stand for `endpoint`: itself when
/// clients call it (it is in the mix), else that of the one endpoint that
/// calls it (a helper endpoint holding one step of its caller's work).
fn observed_as(s: &Scenario, endpoint: &str, depth: u32) -> String {
    if depth > crate::scenario::MAX_CALL_DEPTH as u32
        || s.workload.mix.get(endpoint).is_some_and(|w| *w > 0.0)
    {
        return endpoint.to_owned();
    }
    let call = serde_json::json!({ "Call": endpoint });
    let callers: Vec<&String> = s
        .endpoints
        .iter()
        .filter(|(_, steps)| serde_json::to_value(steps).is_ok_and(|tree| contains(&tree, &call)))
        .map(|(name, _)| name)
        .collect();
    match callers.as_slice() {
        [one] => observed_as(s, one, depth + 1),
        _ => endpoint.to_owned(),
    }
}

fn contains(tree: &serde_json::Value, part: &serde_json::Value) -> bool {
    tree == part
        || match tree {
            serde_json::Value::Array(items) => items.iter().any(|i| contains(i, part)),
            serde_json::Value::Object(m) => m.values().any(|i| contains(i, part)),
            _ => false,
        }
}

/// The scenario compiled with every `Fit` as zero, to read the known parts.
fn known_model(s: &Scenario) -> Result<Plan, String> {
    let mut tree = serde_json::to_value(s).map_err(|e| e.to_string())?;
    zero_fits(&mut tree);
    let zeroed: Scenario = serde_json::from_value(tree).map_err(|e| e.to_string())?;
    crate::scenario::validate(&zeroed).map_err(|problems| {
        problems
            .iter()
            .map(|p| format!("{}: {}", p.path, p.message))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

fn zero_fits(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) if s == "Fit" => {
            *v = serde_json::json!({ "Const": "0ns" });
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(zero_fits),
        serde_json::Value::Object(m) => m.values_mut().for_each(zero_fits),
        _ => {}
    }
}

/// Mean and variance (seconds) of an endpoint's known time: every step and
/// hop its requests run, in order, a callee's once per call (the Fit step
/// counts zero).
fn known_parts(plan: &Plan, endpoint: &str) -> Result<(f64, f64), String> {
    let e = plan
        .endpoints
        .iter()
        .position(|e| e.name == endpoint)
        .ok_or_else(|| format!("no endpoint {endpoint}"))?;
    let (mut mean, mut var) = (0.0, 0.0);
    // The ops still to run of each program in progress, innermost last.
    let mut running = vec![plan.programs[e].ops.iter()];
    while let Some(ops) = running.last_mut() {
        let Some(op) = ops.next() else {
            running.pop();
            continue;
        };
        let dist = match op {
            Op::Pod(PodOp::Compute { dist })
            | Op::Data(DataOp::Query { dist, .. })
            | Op::Delay { dist } => *dist,
            Op::Call { program, .. } => {
                running.push(plan.programs[*program as usize].ops.iter());
                continue;
            }
            Op::Pod(PodOp::Enter { .. } | PodOp::Leave) | Op::Limit(_) => continue,
            other => {
                return Err(format!(
                    "endpoints.{endpoint}: its time depends on state ({other:?}); calibrate fits endpoints made of Lb, Compute, DbRead, DbWrite, Delay and Call steps"
                ))
            }
        };
        let s = &plan.samplers[dist as usize];
        mean += s.mean() / 1e9;
        var += s.variance() / 1e18;
    }
    Ok((mean, var))
}

/// The empirical points of `endpoint`'s Fit step (known parts constant).
fn empirical_points(
    endpoint: &str,
    known: (f64, f64),
    observed: &Observed,
) -> Result<Vec<(f64, f64)>, String> {
    if known.1 > 0.0 {
        return Err(format!("endpoints.{endpoint}: an empirical fit subtracts the known parts, so they must be constant (a random network hop or step is not); fit a lognormal instead"));
    }
    let points = match observed {
        Observed::Requests { latencies, .. } => latencies
            .get(endpoint)
            .map(|xs| empirical::from_samples(xs, known.0)),
        Observed::Histograms(hs) => hs
            .get(endpoint)
            .map(|h| empirical::from_histogram(h, known.0)),
    };
    points.filter(|p| !p.is_empty()).ok_or_else(|| {
        format!("endpoints.{endpoint}: no observations of this endpoint in the window")
    })
}

fn fit_endpoint(
    endpoint: &str,
    label: &str,
    step: &str,
    known: (f64, f64),
    observed: &Observed,
) -> Result<Fitted, String> {
    let missing =
        || format!("endpoints.{endpoint}: no observations of endpoint `{label}` in the window");
    let ms = |x: f64| x * 1e3;
    match observed {
        Observed::Requests { latencies, .. } => {
            let xs = latencies
                .get(label)
                .filter(|v| v.len() >= 2)
                .ok_or_else(missing)?;
            let (fit, method) = if known.1 == 0.0 {
                let shifted: Vec<f64> = xs.iter().map(|x| x - known.0).collect();
                (
                    LognormalFit::mle(&shifted),
                    "maximum likelihood on latencies minus the constant known parts",
                )
            } else {
                let n = xs.len() as f64;
                let mean = xs.iter().sum::<f64>() / n;
                let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
                (
                    LognormalFit::from_moments(mean - known.0, var - known.1, xs.len() as u64),
                    "moments: observed mean and variance minus the known parts'",
                )
            };
            let fit = fit.ok_or_else(|| format!("endpoints.{endpoint}: the observed latencies leave no positive time for the Fit step after the known parts (mean {:.3} ms)", ms(known.0)))?;
            let ks = ks_distance(xs, |x| fit.cdf(x - known.0));
            let qq = (1..100)
                .map(|i| {
                    let p = f64::from(i) / 100.0;
                    let k = ((p * xs.len() as f64) as usize).min(xs.len() - 1);
                    (ms(fit.quantile(p) + known.0), ms(xs[k]))
                })
                .collect();
            Ok(Fitted {
                endpoint: endpoint.into(),
                step: step.into(),
                fit,
                ks,
                known,
                method,
                qq,
                empirical: None,
            })
        }
        Observed::Histograms(hs) => {
            let h = hs
                .get(label)
                .filter(|h| h.count() > 0.0)
                .ok_or_else(missing)?;
            let whole = LognormalFit::from_histogram(h).ok_or_else(missing)?;
            let (fit, method) = if known == (0.0, 0.0) {
                (
                    whole,
                    "multinomial maximum likelihood on the histogram buckets",
                )
            } else {
                let s2 = whole.sigma * whole.sigma;
                let mean = (whole.mu + s2 / 2.0).exp();
                let var = (s2.exp() - 1.0) * (2.0 * whole.mu + s2).exp();
                let f = LognormalFit::from_moments(mean - known.0, var - known.1, whole.n)
                    .ok_or_else(|| {
                        format!("endpoints.{endpoint}: the known parts take all the observed time")
                    })?;
                (
                    f,
                    "bucket maximum likelihood, then moments minus the known parts'",
                )
            };
            let total = h.count();
            let ks = h
                .buckets
                .iter()
                .filter(|b| b.0.is_finite())
                .map(|&(le, c)| (whole.cdf(le) - c / total).abs())
                .fold(0.0, f64::max);
            let qq = h
                .buckets
                .iter()
                .filter(|b| b.0.is_finite() && b.1 > 0.0 && b.1 < total)
                .map(|&(le, c)| (ms(whole.quantile(c / total)), ms(le)))
                .collect();
            Ok(Fitted {
                endpoint: endpoint.into(),
                step: step.into(),
                fit,
                ks,
                known,
                method,
                qq,
                empirical: None,
            })
        }
    }
}

impl Calibration {
    /// The fit report as Markdown.
    pub fn markdown(&self, provenance: &str) -> String {
        let mut o = format!("# Calibration\n\n{provenance}\n\n| endpoint | step | n | median | p99 | KS | known parts (mean) | method |\n|---|---|---|---|---|---|---|---|\n");
        for f in &self.fits {
            let (median, p99) = f.median_p99();
            let _ = writeln!(
                o,
                "| {} | {} | {} | {:.3} ms | {:.3} ms | {:.4} | {:.3} ms | {} |",
                f.endpoint,
                f.step,
                f.fit.n,
                median * 1e3,
                p99 * 1e3,
                f.ks,
                f.known.0 * 1e3,
                f.method
            );
        }
        if !self.counts.is_empty() {
            let total: u64 = self.counts.iter().map(|c| c.1).sum();
            o.push_str("\nObserved mix in the window:\n\n");
            for (e, n) in &self.counts {
                let _ = writeln!(
                    o,
                    "- {e}: {n} requests ({:.1}%)",
                    100.0 * *n as f64 / total.max(1) as f64
                );
            }
        }
        o
    }

    /// One QQ plot per fit (SVG files named `qq-<endpoint>.svg`).
    pub fn charts(&self) -> Vec<(String, String)> {
        self.fits
            .iter()
            .map(|f| {
                let hi = f.qq.iter().map(|p| p.0.max(p.1)).fold(0.0, f64::max);
                let chart = Chart {
                    title: format!("QQ: {} {} (KS {:.3})", f.endpoint, f.step, f.ks),
                    x_label: "fitted model quantile (ms)".into(),
                    y_label: "observed quantile (ms)".into(),
                    lines: vec![
                        Line {
                            name: "observed".into(),
                            points: f.qq.iter().map(|p| (p.0, p.1, 0.0)).collect(),
                            style: None,
                        },
                        Line {
                            name: "y = x".into(),
                            points: vec![(0.0, 0.0, 0.0), (hi, hi, 0.0)],
                            style: None,
                        },
                    ],
                    ..Chart::default()
                };
                (format!("qq-{}.svg", f.endpoint), chart.svg())
            })
            .collect()
    }
}
