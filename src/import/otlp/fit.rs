//! Lognormal fits by maximum likelihood: the mean and the (1/n) standard
//! deviation of the logarithms.

/// z of the 99th percentile of the standard normal distribution.
pub const Z99: f64 = 2.326_347_874_040_841;

/// A fitted Lognormal: `ln X ~ Normal(mu, sigma)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lognormal {
    /// Mean of `ln x` (x in nanoseconds).
    pub mu: f64,
    /// Standard deviation of `ln x`.
    pub sigma: f64,
    /// Observations behind the fit.
    pub n: usize,
}

impl Lognormal {
    /// The maximum-likelihood fit of positive samples (others are skipped);
    /// `None` without any.
    pub fn fit(samples: &[f64]) -> Option<Lognormal> {
        let (mu, sigma, n) = crate::calibrate::fit::log_moments(samples);
        (n > 0).then_some(Lognormal { mu, sigma, n })
    }

    /// The median, nanoseconds.
    pub fn median(&self) -> f64 {
        self.mu.exp()
    }

    /// The 99th percentile, nanoseconds.
    pub fn p99(&self) -> f64 {
        (self.mu + Z99 * self.sigma).exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_the_logs_moments() {
        // ln of these: 0, 2 -> mu 1, sigma 1.
        let f = Lognormal::fit(&[1.0, std::f64::consts::E.powi(2), -3.0]).unwrap();
        assert!((f.mu - 1.0).abs() < 1e-12 && (f.sigma - 1.0).abs() < 1e-12);
        assert_eq!(f.n, 2);
        assert!((f.p99() / f.median() - Z99.exp()).abs() < 1e-9);
        assert!(Lognormal::fit(&[0.0]).is_none());
    }
}
