//! `scaletwin check`: a gate over a report (`run`, `stages`, `compare` or
//! `sweep` JSON): its SLO verdict, and a regression check against a baseline.

use super::output::input_error;
use super::verdict::{over_runs, GivenSlo, Subject};
use super::{console, CliError};
use crate::report::slo::describe;
use crate::report::{CompareReport, StagesReport, SweepReport};
use crate::scenario::units::Duration;
use crate::Report;
use std::path::{Path, PathBuf};

/// Arguments of `scaletwin check`.
#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// A report written by `run --json`, or the JSON of `stages`, `compare`
    /// or `sweep`.
    report: PathBuf,
    /// Objective, e.g. p99=250ms,error_rate=0.01 (either part may be left
    /// out). Default: the objective recorded in the report (the scenario's,
    /// or the default p99 <= 1s, errors <= 1%).
    #[arg(long)]
    slo: Option<String>,
    /// An earlier run report to compare against.
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Relative worsening allowed against the baseline (0.05 = 5%).
    #[arg(long, default_value_t = 0.05, value_parser = tolerance)]
    tolerance: f64,
}

/// A finite share of at least 0.
fn tolerance(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(t) if t.is_finite() && t >= 0.0 => Ok(t),
        _ => Err("expected a finite number of at least 0, e.g. 0.05 for 5%".to_owned()),
    }
}

/// A report of any command that judges runs against an SLO.
enum Loaded {
    Run(Box<Report>),
    Stages(StagesReport),
    Compare(CompareReport),
    Sweep(SweepReport),
}

fn load(p: &Path) -> Result<Loaded, CliError> {
    let text = std::fs::read_to_string(p).map_err(|e| input_error(p, e))?;
    let not_a_report = |e: &dyn std::fmt::Display| {
        CliError::Usage(format!(
            "{}: not a scaletwin report (run, stages, compare or sweep JSON): {e}",
            p.display()
        ))
    };
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| not_a_report(&e))?;
    let has = |k: &str| value.get(k).is_some();
    let loaded = if has("summary") {
        serde_json::from_value(value).map(|r| Loaded::Run(Box::new(r)))
    } else if has("architectures") {
        serde_json::from_value(value).map(Loaded::Compare)
    } else if has("points") {
        serde_json::from_value(value).map(Loaded::Sweep)
    } else if has("stages") {
        serde_json::from_value(value).map(Loaded::Stages)
    } else {
        return Err(not_a_report(
            &"no `summary`, `stages`, `architectures` or `points`",
        ));
    };
    loaded.map_err(|e| not_a_report(&e))
}

fn load_run(p: &Path) -> Result<Report, CliError> {
    match load(p)? {
        Loaded::Run(r) => Ok(*r),
        _ => Err(CliError::Usage(format!(
            "--baseline compares run reports (`run --json`); {} is not one",
            p.display()
        ))),
    }
}

fn parse_slo(text: &str) -> Result<GivenSlo, CliError> {
    let mut given = GivenSlo::default();
    for part in text.split(',').filter(|p| !p.trim().is_empty()) {
        let (k, v) = part.split_once('=').ok_or_else(|| {
            CliError::Usage(format!("--slo {part}: expected key=value, e.g. p99=250ms"))
        })?;
        match k.trim() {
            "p99" => {
                let d = Duration::parse(v.trim())
                    .map_err(|m| CliError::Usage(format!("--slo p99: {m}")))?;
                given.p99 = Some(d);
            }
            "error_rate" => {
                let limit: f64 = v
                    .trim()
                    .parse()
                    .ok()
                    .filter(|x: &f64| (0.0..=1.0).contains(x))
                    .ok_or_else(|| {
                        CliError::Usage(format!(
                            "--slo error_rate={}: expected a number from 0 to 1, e.g. 0.01 for 1%",
                            v.trim()
                        ))
                    })?;
                given.error_rate = Some(limit);
            }
            other => {
                let hint = crate::scenario::did_you_mean(other, ["p99", "error_rate"])
                    .map_or_else(String::new, |k| format!(" did you mean `{k}`?"));
                return Err(CliError::Usage(format!(
                    "--slo: unknown key `{other}`;{hint} use p99 or error_rate"
                )));
            }
        }
    }
    Ok(given)
}

/// The broken objectives of every run, stage, architecture or point in the report.
fn slo_breaches(report: &Loaded, given: Option<&GivenSlo>) -> Result<Vec<String>, CliError> {
    let mut broken = Vec::new();
    match report {
        Loaded::Run(r) => {
            let Some(v) = &r.slo else {
                return Err(CliError::Usage(
                    "the report records no SLO verdict (written by an older scaletwin): run it again"
                        .into(),
                ));
            };
            let s = &r.summary;
            let subject = Subject {
                label: String::new(),
                slo: &v.objective,
                good_ratio: v.good_ratio,
                error_rate: if v.finished == 0 {
                    0.0
                } else {
                    s.errors as f64 / v.finished as f64
                },
                p99_good_ms: vec![v.p99_good_ms],
            };
            broken.extend(subject.broken(given));
        }
        Loaded::Stages(r) => {
            for st in &r.stages {
                let label = format!("stage {}", st.name);
                let (g, e) = (st.good_ratio.mean, st.error_rate.mean);
                broken.extend(over_runs(label, &r.slo, g, e, &st.runs).broken(given));
            }
        }
        Loaded::Compare(r) => {
            for st in &r.stages {
                for (a, row) in r.architectures.iter().zip(&st.rows) {
                    let label = format!("stage {}, {a}", st.name);
                    let (g, e) = (row.good_ratio.mean, row.error_rate.mean);
                    broken.extend(over_runs(label, &r.slo, g, e, &row.runs).broken(given));
                }
            }
        }
        Loaded::Sweep(r) => {
            for p in &r.points {
                let label = format!("point {} ({})", p.index, p.sets.join(" "));
                let (g, e) = (p.good_ratio.mean, p.error_rate.mean);
                broken.extend(over_runs(label, &p.slo, g, e, &p.runs).broken(given));
            }
        }
    }
    Ok(broken)
}

/// What the report was judged against, for the `ok` line.
fn objective_used(report: &Loaded, given: Option<&str>) -> String {
    if let Some(text) = given {
        return format!("--slo {text}");
    }
    match report {
        Loaded::Run(r) => r
            .slo
            .as_ref()
            .map_or_else(String::new, |v| describe(&v.objective, v.default)),
        Loaded::Stages(r) => describe(&r.slo, r.slo_default),
        Loaded::Compare(r) => describe(&r.slo, r.slo_default),
        Loaded::Sweep(_) => "each point's SLO".to_owned(),
    }
}

/// The figures that got worse than `old` by more than `tolerance`.
fn regressions(old: &Report, now: &Report, tolerance: f64) -> Vec<String> {
    let t = tolerance;
    let (o, n) = (&old.summary, &now.summary);
    // (figure, old, new, higher is worse)
    let figures = [
        ("p50_ms", o.latency.p50_ms, n.latency.p50_ms, true),
        ("p99_ms", o.latency.p99_ms, n.latency.p99_ms, true),
        ("mean_ms", o.latency.mean_ms, n.latency.mean_ms, true),
        ("error_rate", o.error_rate, n.error_rate, true),
        ("throughput_rps", o.throughput_rps, n.throughput_rps, false),
    ];
    let mut broken = Vec::new();
    for (name, o, n, up_is_bad) in figures {
        let worse = if up_is_bad {
            n > o * (1.0 + t) + 1e-12
        } else {
            n < o * (1.0 - t) - 1e-12
        };
        if worse {
            let change = if o != 0.0 {
                format!("{:+.1}%", (n - o) / o * 100.0)
            } else {
                "from zero".into()
            };
            broken.push(format!(
                "regression: {name} {o} -> {n} ({change}, tolerance {:.1}%)",
                t * 100.0
            ));
        }
    }
    broken
}

pub(crate) fn check(args: CheckArgs) -> Result<(), CliError> {
    let given = args.slo.as_deref().map(parse_slo).transpose()?;
    let report = load(&args.report)?;
    let mut broken = slo_breaches(&report, given.as_ref())?;
    if let Some(b) = &args.baseline {
        let Loaded::Run(now) = &report else {
            return Err(CliError::Usage(format!(
                "--baseline compares run reports (`run --json`); {} is not one",
                args.report.display()
            )));
        };
        broken.extend(regressions(&load_run(b)?, now, args.tolerance));
    }
    if broken.is_empty() {
        console::print(&format!(
            "ok: {} passes ({})\n",
            args.report.display(),
            objective_used(&report, args.slo.as_deref())
        ))
    } else {
        console::print(&broken.iter().map(|b| format!("{b}\n")).collect::<String>())?;
        Err(CliError::Gate(broken.len()))
    }
}
