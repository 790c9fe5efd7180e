//! Small statistics helpers shared by the tests: confidence intervals and
//! the exact queueing formulas from shared/validation/THEORY.md.

/// Two-sided 97.5% quantile of Student's t with `df` degrees of freedom.
pub fn t975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    TABLE.get(df.saturating_sub(1)).copied().unwrap_or(1.96)
}

/// Mean and 95% confidence half-width of independent replications.
pub fn mean_ci(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, t975(xs.len() - 1) * (var / n).sqrt())
}

/// Erlang C: probability that an arrival waits in M/M/c with offered load a = λ/μ.
pub fn erlang_c(c: u32, a: f64) -> f64 {
    let mut inv_b = 1.0;
    for k in 1..=c {
        inv_b = 1.0 + inv_b * f64::from(k) / a;
    }
    let b = 1.0 / inv_b;
    let rho = a / f64::from(c);
    b / (1.0 - rho + rho * b)
}

/// (Wq, W, P(wait)) for M/M/c.
pub fn mmc(lambda: f64, mu: f64, c: u32) -> (f64, f64, f64) {
    let pw = erlang_c(c, lambda / mu);
    let wq = pw / (f64::from(c) * mu - lambda);
    (wq, wq + 1.0 / mu, pw)
}

/// q-quantile of the waiting time in queue for M/M/c (FCFS).
pub fn mmc_wait_quantile(lambda: f64, mu: f64, c: u32, q: f64) -> f64 {
    let pw = erlang_c(c, lambda / mu);
    if q <= 1.0 - pw {
        0.0
    } else {
        (pw / (1.0 - q)).ln() / (f64::from(c) * mu - lambda)
    }
}

#[test]
fn formulas_match_the_theory_table() {
    // Rows of THEORY.md: λ, μ, c -> Wq, W, P(wait), wait p99.
    let rows = [
        (0.9, 1.0, 1, 9.000000, 10.000000, 0.900000, 44.998097),
        (0.5, 1.0, 1, 1.000000, 2.000000, 0.500000, 7.824046),
        (7.2, 1.0, 8, 0.876916, 1.876916, 0.701533, 5.313354),
        (3.0, 1.0, 4, 0.509434, 1.509434, 0.509434, 3.930715),
    ];
    for (l, m, c, wq, w, pw, p99) in rows {
        let (a, b, p) = mmc(l, m, c);
        assert!((a - wq).abs() < 1e-6 && (b - w).abs() < 1e-6 && (p - pw).abs() < 1e-6);
        assert!((mmc_wait_quantile(l, m, c, 0.99) - p99).abs() < 1e-5);
    }
}
