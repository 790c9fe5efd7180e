//! A stable estimate of the time left, for progress reports.
//!
//! The rate of progress is the average since the start for the first
//! minute, then an exponentially weighted mean over a minute of wall time,
//! updated only when progress advances (at most once a second); between updates the
//! estimate counts down with the clock. A run whose speed wobbles (warm-up,
//! faults, load steps) or a batch whose runs end in steps thus gets an
//! estimate that moves smoothly instead of jumping with each sample. Pure:
//! the caller supplies the elapsed time.

/// Wall time over which the rate is averaged, in seconds.
const TAU_S: f64 = 60.0;
/// Shortest wall time between two rate updates, in seconds.
const MIN_GAP_S: f64 = 1.0;

/// The smoothed rate of progress and the last point it was measured at.
#[derive(Debug, Default)]
pub(crate) struct Eta {
    /// (elapsed seconds, fraction done) at the last update.
    last: Option<(f64, f64)>,
    /// Fraction done per second.
    rate: Option<f64>,
}

impl Eta {
    /// Progress has reached `fraction` (0 to 1) `elapsed_s` seconds after
    /// the start.
    pub(crate) fn observe(&mut self, elapsed_s: f64, fraction: f64) {
        let fraction = fraction.clamp(0.0, 1.0);
        let (t0, f0) = self.last.unwrap_or((0.0, 0.0));
        let dt = elapsed_s - t0;
        if fraction <= f0 || dt < MIN_GAP_S {
            return;
        }
        let step = (fraction - f0) / dt;
        // Within the first TAU_S seconds the weight dt/elapsed makes the rate
        // the plain average since the start; later, older samples fade.
        let weight = if elapsed_s < TAU_S {
            dt / elapsed_s
        } else {
            1.0 - (-dt / TAU_S).exp()
        };
        let r = self.rate.unwrap_or(step);
        self.rate = Some(r + (step - r) * weight);
        self.last = Some((elapsed_s, fraction));
    }

    /// Seconds left at `elapsed_s`, once the rate is known. Past the
    /// countdown with no progress (a batch waiting for its last run), the
    /// average since the start, stall included, takes over: the estimate
    /// grows with the stall instead of sitting at zero.
    pub(crate) fn remaining_s(&self, elapsed_s: f64) -> Option<f64> {
        let (t, f) = self.last?;
        let rate = self.rate.filter(|r| *r > 0.0)?;
        let countdown = (1.0 - f) / rate - (elapsed_s - t);
        Some(if countdown > 0.0 || f >= 1.0 {
            countdown.max(0.0)
        } else {
            (1.0 - f) * elapsed_s / f
        })
    }

    /// "about 2m 05s left", or "estimating time left" before the first update.
    pub(crate) fn describe(&self, elapsed_s: f64) -> String {
        match self.remaining_s(elapsed_s) {
            Some(s) => format!("about {} left", human(rounded(s))),
            None => "estimating time left".to_owned(),
        }
    }
}

/// Seconds rounded to a step that suits their size, so that the printed
/// estimate does not flicker: 1 s under a minute, 5 s under ten minutes,
/// then whole minutes.
fn rounded(s: f64) -> f64 {
    let step = if s < 60.0 {
        1.0
    } else if s < 600.0 {
        5.0
    } else {
        60.0
    };
    (s / step).round() * step
}

/// Wall time as `42s`, `3m 05s` or `1h 02m`.
pub(crate) fn human(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_constant_rate_gives_the_exact_time_left_counting_down() {
        let mut eta = Eta::default();
        assert_eq!(eta.remaining_s(0.5), None);
        for t in 1..=30 {
            eta.observe(t as f64, t as f64 / 100.0);
        }
        assert!((eta.remaining_s(30.0).unwrap() - 70.0).abs() < 1e-9);
        assert!((eta.remaining_s(34.0).unwrap() - 66.0).abs() < 1e-9);
        // Stalled past the countdown: the average since the start (0.3 in
        // 200 s) says 0.7 takes another 466.7 s.
        assert!((eta.remaining_s(200.0).unwrap() - 0.7 * 200.0 / 0.3).abs() < 1e-9);
        eta.observe(201.0, 1.0);
        assert_eq!(eta.remaining_s(250.0), Some(0.0), "done is done");
    }

    #[test]
    fn a_wobbling_rate_moves_the_estimate_little() {
        // Progress alternates fast and slow seconds (0.3% then 0.1%): the
        // mean is 0.2%/s. Unsmoothed, the estimate would swing by a factor
        // of three from one second to the next.
        let mut eta = Eta::default();
        let mut f = 0.0;
        let mut estimates = Vec::new();
        for t in 1..=200 {
            f += if t % 2 == 1 { 0.003 } else { 0.001 };
            eta.observe(t as f64, f);
            if t > 100 {
                estimates.push(eta.remaining_s(t as f64).unwrap() + t as f64);
            }
        }
        // The predicted finish (now + left) stays within 2% of the truth, 500 s.
        for e in estimates {
            assert!((e - 500.0).abs() < 10.0, "{e}");
        }
    }

    #[test]
    fn updates_come_only_with_progress_and_at_most_once_a_second() {
        let mut eta = Eta::default();
        eta.observe(0.2, 0.1);
        assert_eq!(eta.remaining_s(0.2), None, "too early to tell");
        eta.observe(2.0, 0.2);
        assert!((eta.remaining_s(2.0).unwrap() - 8.0).abs() < 1e-9);
        // No progress for 5 s: no update, the estimate counts down.
        eta.observe(7.0, 0.2);
        assert!((eta.remaining_s(7.0).unwrap() - 3.0).abs() < 1e-9);
    }

    #[test]
    fn times_read_as_people_write_them() {
        assert_eq!(human(42.4), "42s");
        assert_eq!(human(185.0), "3m 05s");
        assert_eq!(human(3720.0), "1h 02m");
        assert_eq!(rounded(123.0), 125.0);
        assert_eq!(rounded(1234.0), 1260.0);
    }
}
