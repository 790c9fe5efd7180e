//! Statistics users can trust: Student-t confidence intervals across
//! replications and MSER-5 warm-up detection.

use serde::{Deserialize, Serialize};

/// A mean with its 95% confidence half-width.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Sample mean.
    pub mean: f64,
    /// Half-width of the 95% confidence interval (0 with one sample).
    pub ci95: f64,
    /// Number of samples.
    pub n: u32,
}

impl Estimate {
    /// The mean and 95% Student-t interval of `xs`.
    pub fn of(xs: &[f64]) -> Estimate {
        let n = xs.len();
        if n == 0 {
            return Estimate::default();
        }
        let mean = xs.iter().sum::<f64>() / n as f64;
        let ci95 = if n < 2 {
            0.0
        } else {
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            t975(n as u32 - 1) * (var / n as f64).sqrt()
        };
        Estimate {
            mean: round(mean),
            ci95: round(ci95),
            n: n as u32,
        }
    }

    /// `self - base` for two independent estimates: the half-widths add in
    /// quadrature, and the count is the smaller one. Runs on common random
    /// numbers are positively correlated, so the true interval is no wider.
    pub fn minus(&self, base: &Estimate) -> Estimate {
        Estimate {
            mean: round(self.mean - base.mean),
            ci95: round(self.ci95.hypot(base.ci95)),
            n: self.n.min(base.n),
        }
    }

    /// `mean ± ci95` with `decimals` decimals (just the mean with one sample).
    pub fn show(&self, decimals: usize) -> String {
        if self.n < 2 {
            format!("{:.*}", decimals, self.mean)
        } else {
            format!("{:.*}±{:.*}", decimals, self.mean, decimals, self.ci95)
        }
    }
}

fn round(x: f64) -> f64 {
    if x.is_finite() {
        (x * 1e6).round() / 1e6
    } else {
        x
    }
}

/// The 97.5% quantile of Student's t with `df` degrees of freedom.
pub fn t975(df: u32) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    t_quantile(&T, 1.959964, df)
}

/// The 99.9% quantile of Student's t with `df` degrees of freedom.
pub fn t999(df: u32) -> f64 {
    const T: [f64; 30] = [
        318.309, 22.327, 10.215, 7.173, 5.893, 5.208, 4.785, 4.501, 4.297, 4.144, 4.025, 3.930,
        3.852, 3.787, 3.733, 3.686, 3.646, 3.610, 3.579, 3.552, 3.527, 3.505, 3.485, 3.467, 3.450,
        3.435, 3.421, 3.408, 3.396, 3.385,
    ];
    t_quantile(&T, 3.090232, df)
}

/// A quantile of Student's t with `df` degrees of freedom: from `table`
/// (df 1 to 30), past it by the Cornish-Fisher expansion around `z`, the
/// normal quantile at the same level.
fn t_quantile(table: &[f64; 30], z: f64, df: u32) -> f64 {
    match df {
        0 => f64::INFINITY,
        1..=30 => table[df as usize - 1],
        _ => {
            let d = df as f64;
            z + (z.powi(3) + z) / (4.0 * d)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * d * d)
        }
    }
}

/// MSER-5 truncation point of a per-interval series: the number of leading
/// intervals to drop (a multiple of 5) that minimizes the standard error of
/// the remaining batch means, searched over the first half of the series.
pub fn mser5(series: &[f64]) -> usize {
    let batches: Vec<f64> = series
        .chunks_exact(5)
        .map(|c| c.iter().sum::<f64>() / 5.0)
        .collect();
    let k = batches.len();
    if k < 4 {
        return 0;
    }
    let mut best = (f64::INFINITY, 0);
    for d in 0..=k / 2 {
        let rest = &batches[d..];
        let m = rest.len() as f64;
        let mean = rest.iter().sum::<f64>() / m;
        let ss = rest.iter().map(|x| (x - mean).powi(2)).sum::<f64>();
        let stat = ss / (m * m);
        if stat < best.0 {
            best = (stat, d);
        }
    }
    best.1 * 5
}

#[cfg(test)]
mod tests {
    use super::{t975, t999};

    #[test]
    fn t_quantiles_match_the_tables_past_df_30() {
        // Published values: t(0.975; 40, 120) = 2.021, 1.980;
        // t(0.999; 40, 120) = 3.307, 3.160.
        assert!((t975(40) - 2.021).abs() < 2e-3, "{}", t975(40));
        assert!((t975(120) - 1.980).abs() < 2e-3, "{}", t975(120));
        assert!((t999(40) - 3.307).abs() < 2e-3, "{}", t999(40));
        assert!((t999(120) - 3.160).abs() < 2e-3, "{}", t999(120));
        assert_eq!(t999(9), 4.297);
        assert!(t999(0).is_infinite());
    }
}
