//! The traffic a scenario offers, fitted to the arrivals observed in the
//! window: the request rate (constant, or piecewise constant when it varies
//! more than a Poisson process at one rate would) and the endpoint mix.
//!
//! ```text
//! arrivals per interval (request log or telemetry rate, as backtest reads them)
//!   ──▶ whole intervals inside the window ──▶ rate = arrivals / seconds
//!                                          ├─▶ χ² of the counts per interval:
//!                                          │     p ≥ 0.001: Constant
//!                                          │     p < 0.001: Steps (one per interval)
//!                                          └─▶ mix = arrivals per endpoint / arrivals
//! ```
//!
//! Poisson counts in equal intervals at one rate have a dispersion statistic
//! X² = Σ (c_k − c̄)² / c̄ distributed as χ² with k − 1 degrees of freedom;
//! its upper tail is taken from the Wilson-Hilferty normal approximation.

use super::observed::Window;
use crate::backtest::observed::ObservedSeries;

/// Below this significance the rate is taken to vary within the window.
pub const VARIES_BELOW: f64 = 1e-3;

/// The arrival rate observed in the window.
#[derive(Clone, Debug, PartialEq)]
pub struct RateFit {
    /// Requests that arrived in the window (errors included).
    pub arrivals: f64,
    /// Seconds of whole intervals the window covers.
    pub seconds: f64,
    /// Start of the first interval used, seconds from the first observation.
    pub from: f64,
    /// Interval length, seconds.
    pub bin_s: f64,
    /// Requests per second in each interval.
    pub bins: Vec<f64>,
    /// The dispersion statistic of the counts per interval.
    pub chi2: f64,
    /// Its upper-tail probability under a constant rate (1 with one interval).
    pub p_value: f64,
}

impl RateFit {
    /// The mean rate, requests per second.
    pub fn mean(&self) -> f64 {
        self.arrivals / self.seconds
    }

    /// The standard error of [`RateFit::mean`] (Poisson: √n / T).
    pub fn standard_error(&self) -> f64 {
        self.arrivals.sqrt() / self.seconds
    }

    /// Whether the rate varies significantly within the window.
    pub fn varies(&self) -> bool {
        self.p_value < VARIES_BELOW
    }
}

/// The endpoint mix observed in the window.
#[derive(Clone, Debug, PartialEq)]
pub struct MixFit {
    /// Arrivals per endpoint, in name order.
    pub counts: Vec<(String, f64)>,
}

impl MixFit {
    /// All arrivals.
    pub fn total(&self) -> f64 {
        self.counts.iter().map(|c| c.1).sum()
    }

    /// Each endpoint's share and its standard error √(p(1 − p)/n).
    pub fn shares(&self) -> Vec<(String, f64, f64)> {
        let n = self.total();
        self.counts
            .iter()
            .map(|(e, c)| {
                let p = c / n;
                (e.clone(), p, (p * (1.0 - p) / n).sqrt())
            })
            .collect()
    }
}

/// Rate and mix from the same arrivals.
#[derive(Clone, Debug, PartialEq)]
pub struct Traffic {
    /// The arrival rate.
    pub rate: RateFit,
    /// The endpoint mix.
    pub mix: MixFit,
}

/// The whole intervals of `series` inside `window`, as rate and mix.
pub fn fit(series: &ObservedSeries, window: Window) -> Result<Traffic, String> {
    let w = series.interval_s;
    let eps = 1e-6 * w;
    let inside: Vec<_> = series
        .rows
        .iter()
        .filter(|r| r.t_s - w >= window.from - eps && r.t_s <= window.to + eps)
        .collect();
    let Some(first) = inside.first() else {
        return Err(format!(
            "no whole interval of {w} s of arrivals inside the window (the data cover {} s)",
            series.rows.len() as f64 * w
        ));
    };
    let mut per_endpoint: std::collections::BTreeMap<String, f64> = Default::default();
    let mut counts = Vec::with_capacity(inside.len());
    for r in &inside {
        let mut c = 0.0;
        for (e, rps) in &r.arrivals {
            *per_endpoint.entry(e.clone()).or_insert(0.0) += rps * w;
            c += rps * w;
        }
        counts.push(c);
    }
    let arrivals: f64 = counts.iter().sum();
    if arrivals <= 0.0 {
        return Err("no arrivals in the window".into());
    }
    if per_endpoint.keys().any(String::is_empty) {
        return Err(
            "the arrivals name no endpoint (set the label with --map endpoint=LABEL)".into(),
        );
    }
    let (chi2, p_value) = dispersion(&counts);
    Ok(Traffic {
        rate: RateFit {
            arrivals,
            seconds: counts.len() as f64 * w,
            from: first.t_s - w,
            bin_s: w,
            bins: counts.iter().map(|c| c / w).collect(),
            chi2,
            p_value,
        },
        mix: MixFit {
            counts: per_endpoint.into_iter().filter(|c| c.1 > 0.0).collect(),
        },
    })
}

/// The dispersion statistic of counts in equal intervals and its upper-tail
/// probability under a constant Poisson rate (χ², k − 1 degrees of freedom).
pub fn dispersion(counts: &[f64]) -> (f64, f64) {
    let k = counts.len();
    if k < 2 {
        return (0.0, 1.0);
    }
    let mean = counts.iter().sum::<f64>() / k as f64;
    if mean <= 0.0 {
        return (0.0, 1.0);
    }
    let x2 = counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / mean;
    (x2, chi2_upper_tail(x2, (k - 1) as f64))
}

/// P(χ²_df > x) by the Wilson-Hilferty cube-root normal approximation.
pub fn chi2_upper_tail(x: f64, df: f64) -> f64 {
    let v = 2.0 / (9.0 * df);
    let z = ((x / df).cbrt() - (1.0 - v)) / v.sqrt();
    0.5 * libm::erfc(z / std::f64::consts::SQRT_2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chi_square_tail_matches_tables() {
        // Table values: χ²(10) 0.95 quantile 18.307, χ²(1) 0.999 quantile 10.828.
        assert!((chi2_upper_tail(18.307, 10.0) - 0.05).abs() < 2e-3);
        assert!((chi2_upper_tail(10.828, 1.0) - 0.001).abs() < 5e-4);
        assert_eq!(dispersion(&[5.0]), (0.0, 1.0));
        let (x2, p) = dispersion(&[100.0, 100.0, 100.0]);
        assert_eq!(x2, 0.0);
        assert!(p > 0.99);
    }
}
