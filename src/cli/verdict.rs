//! SLO verdicts for the terminal: `run`'s, first in its output, k6-style
//! (one ✓ or ✗ line per objective), and `check`'s over run, stages,
//! compare and sweep reports.

use crate::report::slo::{describe, met_on_average, percent, SloReport, LATENCY_GOOD_PERCENT};
use crate::report::RunSummary;
use crate::report::Summary;
use crate::scenario::units::Duration;
use crate::scenario::Slo;

/// The verdict of one run: a heading naming the objective, then one line
/// per objective with ✓ or ✗, the measured ratio and the counts.
pub(crate) fn run_verdict(v: &SloReport, s: &Summary) -> String {
    let mark = |ok: bool| if ok { "✓" } else { "✗" };
    let error_ratio = if v.finished == 0 {
        0.0
    } else {
        s.errors as f64 / v.finished as f64
    };
    let mut out = format!("SLO {}\n", describe(&v.objective, v.default));
    out.push_str(&format!(
        "  {} {LATENCY_GOOD_PERCENT}% of requests succeed within {}: {} ({} of {} finished)\n",
        mark(v.latency_met),
        v.objective.p99,
        percent(v.good_ratio),
        v.good,
        v.finished
    ));
    out.push_str(&format!(
        "  {} error rate <= {}: {} ({} of {} failed)\n",
        mark(v.errors_met),
        percent(v.objective.error_rate),
        percent(error_ratio),
        s.errors,
        v.finished
    ));
    if s.in_flight > 0 {
        out.push_str(&format!(
            "  ({} requests still in flight at the end are in neither count)\n",
            s.in_flight
        ));
    }
    out.push('\n');
    out
}

/// An objective given on the command line (`--slo p99=250ms,error_rate=0.01`):
/// only the parts given are checked.
#[derive(Clone, Debug, Default)]
pub(crate) struct GivenSlo {
    /// The latency threshold 99% of finished requests must succeed within.
    pub(crate) p99: Option<Duration>,
    /// The largest error rate.
    pub(crate) error_rate: Option<f64>,
}

/// What one verdict is about: a run, a stage, an architecture at a stage,
/// a sweep point.
pub(crate) struct Subject<'a> {
    /// Its name in messages ("stage 1M"), empty for a single run.
    pub(crate) label: String,
    /// The objective recorded for it.
    pub(crate) slo: &'a Slo,
    /// Mean good-events ratio of the recorded objective.
    pub(crate) good_ratio: f64,
    /// Mean error rate.
    pub(crate) error_rate: f64,
    /// The latency within which 99% of finished requests succeeded, per
    /// replication (`None` where fewer than 99% succeeded).
    pub(crate) p99_good_ms: Vec<Option<f64>>,
}

impl Subject<'_> {
    /// The broken objectives, one message each: the recorded objective
    /// unless `given` replaces it.
    pub(crate) fn broken(&self, given: Option<&GivenSlo>) -> Vec<String> {
        let at = if self.label.is_empty() {
            String::new()
        } else {
            format!("{}: ", self.label)
        };
        let mut out = Vec::new();
        let (p99, error_rate) = match given {
            Some(g) => (g.p99, g.error_rate),
            None => (Some(self.slo.p99), Some(self.slo.error_rate)),
        };
        if let Some(p99) = p99 {
            if p99 == self.slo.p99 {
                if !met_on_average(self.slo, self.good_ratio, 0.0) {
                    out.push(format!(
                        "SLO: {at}{} of requests succeeded within {p99} (objective {LATENCY_GOOD_PERCENT}%)",
                        percent(self.good_ratio)
                    ));
                }
            } else {
                // Another threshold than the one recorded: the latency within
                // which 99% of requests succeeded, at histogram precision.
                let limit = p99.nanos().as_millis_f64();
                match mean(&self.p99_good_ms) {
                    Some(v) if v <= limit => {}
                    Some(v) => out.push(format!(
                        "SLO: {at}p99 <= {p99} broken: {LATENCY_GOOD_PERCENT}% of requests succeeded within {v} ms"
                    )),
                    None => out.push(format!(
                        "SLO: {at}p99 <= {p99} broken: fewer than {LATENCY_GOOD_PERCENT}% of requests succeeded"
                    )),
                }
            }
        }
        if let Some(limit) = error_rate {
            if self.error_rate > limit {
                out.push(format!(
                    "SLO: {at}error rate {} > {}",
                    percent(self.error_rate),
                    percent(limit)
                ));
            }
        }
        out
    }
}

/// The mean of the values, `None` if any is missing (or there are none).
fn mean(xs: &[Option<f64>]) -> Option<f64> {
    let v: Option<Vec<f64>> = xs.iter().copied().collect();
    let v = v.filter(|v| !v.is_empty())?;
    Some(v.iter().sum::<f64>() / v.len() as f64)
}

/// A subject over replications, with its mean figures.
pub(crate) fn over_runs<'a>(
    label: String,
    slo: &'a Slo,
    good_ratio: f64,
    error_rate: f64,
    runs: &[RunSummary],
) -> Subject<'a> {
    Subject {
        label,
        slo,
        good_ratio,
        error_rate,
        p99_good_ms: runs.iter().map(|r| r.p99_good_ms).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::Nanos;

    fn slo() -> Slo {
        Slo {
            p99: Duration(Nanos::from_millis(300)),
            error_rate: 0.001,
        }
    }

    #[test]
    fn a_subject_is_judged_on_its_recorded_objective_unless_one_is_given() {
        let slo = slo();
        let s = Subject {
            label: "stage 1M".into(),
            slo: &slo,
            good_ratio: 0.95,
            error_rate: 0.04,
            p99_good_ms: vec![None],
        };
        let broken = s.broken(None);
        assert_eq!(broken.len(), 2, "{broken:?}");
        assert!(broken[0].starts_with("SLO: stage 1M: 95% of requests succeeded within 300ms"));
        // Only the parts given are checked.
        let errors_only = GivenSlo {
            p99: None,
            error_rate: Some(0.05),
        };
        assert!(s.broken(Some(&errors_only)).is_empty());
        let fine = Subject {
            good_ratio: 0.995,
            error_rate: 0.0005,
            p99_good_ms: vec![Some(120.0), Some(180.0)],
            ..s
        };
        assert!(fine.broken(None).is_empty());
        let tighter = GivenSlo {
            p99: Some(Duration(Nanos::from_millis(100))),
            error_rate: None,
        };
        assert_eq!(
            fine.broken(Some(&tighter)),
            ["SLO: stage 1M: p99 <= 100ms broken: 99% of requests succeeded within 150 ms"]
        );
    }
}
