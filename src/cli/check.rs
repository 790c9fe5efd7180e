//! `scaletwin check`: a regression gate over a `run --json` report.

use super::output::input_error;
use super::{console, CliError};
use crate::scenario::units::Duration;
use crate::Report;
use std::path::{Path, PathBuf};

/// Arguments of `scaletwin check`.
#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// A report written by `scaletwin run --json`.
    report: PathBuf,
    /// Objective, e.g. p99=250ms,error_rate=0.01 (either part may be left out).
    #[arg(long)]
    slo: Option<String>,
    /// An earlier report to compare against.
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

fn load(p: &Path) -> Result<Report, CliError> {
    let text = std::fs::read_to_string(p).map_err(|e| input_error(p, e))?;
    serde_json::from_str(&text)
        .map_err(|e| CliError::Usage(format!("{}: not a scaletwin run report: {e}", p.display())))
}

pub(crate) fn check(args: CheckArgs) -> Result<(), CliError> {
    let now = load(&args.report)?;
    let mut broken = Vec::new();
    if let Some(slo) = &args.slo {
        for part in slo.split(',').filter(|p| !p.trim().is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| {
                CliError::Usage(format!("--slo {part}: expected key=value, e.g. p99=250ms"))
            })?;
            match k.trim() {
                "p99" => {
                    let d = Duration::parse(v.trim())
                        .map_err(|m| CliError::Usage(format!("--slo p99: {m}")))?;
                    let limit = d.nanos().as_millis_f64();
                    if now.summary.latency.p99_ms > limit {
                        broken.push(format!(
                            "SLO: p99 {} ms > {limit} ms",
                            now.summary.latency.p99_ms
                        ));
                    }
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
                    if now.summary.error_rate > limit {
                        broken.push(format!(
                            "SLO: error rate {} > {limit}",
                            now.summary.error_rate
                        ));
                    }
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
    }
    if let Some(b) = &args.baseline {
        let old = load(b)?;
        let t = args.tolerance;
        // (figure, old, new, higher is worse)
        let figures = [
            (
                "p50_ms",
                old.summary.latency.p50_ms,
                now.summary.latency.p50_ms,
                true,
            ),
            (
                "p99_ms",
                old.summary.latency.p99_ms,
                now.summary.latency.p99_ms,
                true,
            ),
            (
                "mean_ms",
                old.summary.latency.mean_ms,
                now.summary.latency.mean_ms,
                true,
            ),
            (
                "error_rate",
                old.summary.error_rate,
                now.summary.error_rate,
                true,
            ),
            (
                "throughput_rps",
                old.summary.throughput_rps,
                now.summary.throughput_rps,
                false,
            ),
        ];
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
    }
    if broken.is_empty() {
        console::print(&format!("ok: {} passes\n", args.report.display()))
    } else {
        console::print(&broken.iter().map(|b| format!("{b}\n")).collect::<String>())?;
        Err(CliError::Gate(broken.len()))
    }
}
