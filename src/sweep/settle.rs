//! Steady-state starts for the ladder: each autoscaled deployment starts a
//! stage at the replica count its HPA settles at for that stage's load.
//!
//! ```text
//!  stage ──pilot: autoscaled deployments pinned at hpa.max, no faults──▶ usage ratio u per HPA metric
//!        ──T = u x max (load in pods at target)──▶ current = clamp(replicas)
//!        ──repeat: desired = max over metrics of (current if |T/current - 1| <= 0.1 else ceil(T)),
//!                  clamped to [min, max], until it stays──▶ the stage starts there
//! ```
//!
//! The pilot reads the HPA's own usage ratios (whatever its metrics are),
//! so the count follows the metric the simulator samples. The stage's run
//! then confirms it: each row reports where its deployments started and
//! ended.

use super::{offered_requests, Batch};
use crate::algo::Nanos;
use crate::scenario::schema::{Component, LadderStart};
use crate::scenario::units::Duration;
use crate::scenario::{Scenario, ScenarioError};
use indicatif::ProgressBar;

/// HPA syncs a pilot runs (at most the stage's duration).
const PILOT_SYNCS: u64 = 8;
/// The share of the measured span a pilot of a stage run to a precision
/// adds to its warm-up: one twentieth.
const PILOT_SHARE: u64 = 20;
/// The controller's default tolerance on the usage ratio.
const TOLERANCE: f64 = 0.1;

/// `stage` with every autoscaled deployment's `replicas` set to the count
/// its HPA settles at, unless the scenario asks for a cold start (or has
/// no HPA). `seed`: the pilot's; a pilot over the memory budget is refused
/// as a run would be, unless `batch.allow_large`, and one over
/// `batch.max_requests` is shortened (see [`pilot_length`]).
pub(super) fn settled(
    stage: &Scenario,
    seed: u64,
    file: &str,
    batch: Batch,
    bar: Option<&ProgressBar>,
) -> Result<Scenario, ScenarioError> {
    let cold = stage
        .ladder
        .as_ref()
        .is_some_and(|l| l.start == LadderStart::Cold);
    let autoscaled = stage
        .components
        .iter()
        .any(|c| matches!(c, Component::Deployment(d) if d.hpa.is_some()));
    if cold || !autoscaled {
        return Ok(stage.clone());
    }
    let pilot = pilot(stage, seed, batch.max_requests);
    if !batch.allow_large {
        super::admit_all(std::slice::from_ref(&pilot), file)?;
    }
    if let Some(b) = bar {
        b.inc_length(1);
    }
    let report = crate::simulate(&crate::scenario::check(&pilot, "", file)?);
    if let Some(b) = bar {
        b.inc(1);
    }
    let mut out = stage.clone();
    for c in &mut out.components {
        let Component::Deployment(d) = c else {
            continue;
        };
        let Some(h) = &d.hpa else { continue };
        let Some(scaling) = report.scaling.iter().find(|x| x.name == d.name) else {
            continue;
        };
        let loads: Vec<f64> = scaling
            .hpa_usage
            .iter()
            .map(|u| u * f64::from(h.max))
            .collect();
        d.replicas = fixed_point(d.replicas, h.min, h.max, &loads);
    }
    Ok(out)
}

/// The pilot: `stage` for a few HPA syncs, without faults, with each
/// autoscaled deployment held at its `max` replicas (so no pod saturates
/// unless the stage needs more than `max`). A stage run to a precision,
/// or capped at `max_requests` (if not 0), pilots for less (see
/// [`pilot_length`]).
fn pilot(stage: &Scenario, seed: u64, max_requests: u64) -> Scenario {
    let mut p = stage.clone();
    p.seed = seed;
    p.faults.clear();
    let mut sync = Nanos::from_secs(15);
    for c in &mut p.components {
        let Component::Deployment(d) = c else {
            continue;
        };
        let Some(h) = &mut d.hpa else { continue };
        sync = sync.max(h.sync_period.map_or(Nanos::from_secs(15), Duration::nanos));
        h.min = h.max;
        d.replicas = h.max;
    }
    let (length, short_sync) = pilot_length(stage, sync, max_requests);
    if let Some(short) = short_sync {
        for c in &mut p.components {
            if let Component::Deployment(d) = c {
                if let Some(h) = &mut d.hpa {
                    h.sync_period = Some(Duration(short));
                }
            }
        }
    }
    p.run.duration = Duration(length);
    p.run.warmup = Duration(Nanos::ZERO);
    p.run.interval = Duration(p.run.interval.nanos().min(length));
    p
}

/// How long the pilot of `stage` runs with HPA syncs every `sync`: a few
/// syncs, at most the stage's duration. It runs for less, with its syncs
/// brought closer together (the second value: the pilot's sync period) so
/// it still averages [`PILOT_SYNCS`] samples, when the stage runs to a
/// precision (its warm-up and a [`PILOT_SHARE`] of the rest at most: a
/// pilot as long as the stage as written would cost more than the stage's
/// run to a precision) or when `max_requests` (if not 0) caps its requests
/// at the stage's mean offered rate, as `--max-requests` caps the runs'.
fn pilot_length(stage: &Scenario, sync: Nanos, max_requests: u64) -> (Nanos, Option<Nanos>) {
    let length = Nanos(sync.0.saturating_mul(PILOT_SYNCS)).min(stage.run.duration.nanos());
    let (duration, warmup) = (stage.run.duration.nanos(), stage.run.warmup.nanos());
    let mut short = length.0;
    if stage.run.precision.is_some() {
        short = short.min(warmup.0 + (duration.0 - warmup.0.min(duration.0)) / PILOT_SHARE);
    }
    if max_requests > 0 {
        let requests = offered_requests(stage);
        if requests > 0.0 {
            let seconds = max_requests as f64 / requests * duration.as_secs_f64();
            short = short.min(Nanos::from_secs_f64(seconds).0);
        }
    }
    // The shortest sync period a scenario may write is 100 ms.
    let short = short.max(PILOT_SYNCS * Nanos::from_millis(100).0);
    if short >= length.0 {
        return (length, None);
    }
    (Nanos(short), Some(Nanos(short / PILOT_SYNCS)))
}

/// The HPA's rule iterated from `start` (clamped to `[min, max]`) to its
/// fixed point: per metric with load `T` (pods at target),
/// `ceil(current x (T / current))` unless `T / current` is within the
/// tolerance of 1; the largest proposal wins, within `[min, max]`.
pub fn fixed_point(start: u32, min: u32, max: u32, loads: &[f64]) -> u32 {
    let mut current = start.clamp(min, max);
    // Each step moves to ceil(T) of some metric: a handful of steps at most.
    for _ in 0..64 {
        let desired = loads
            .iter()
            .map(|&t| {
                let ratio = t / f64::from(current.max(1));
                if (ratio - 1.0).abs() <= TOLERANCE {
                    current
                } else {
                    (t - 1e-9).ceil().max(0.0) as u32
                }
            })
            .max()
            .unwrap_or(current)
            .clamp(min, max);
        if desired == current {
            break;
        }
        current = desired;
    }
    current
}

#[cfg(test)]
mod tests {
    use super::{fixed_point, pilot_length};
    use crate::algo::Nanos;

    #[test]
    fn max_requests_shortens_the_pilot_and_keeps_its_syncs() {
        // 1,000 requests a second for 10 minutes; HPA syncs every 15 s: a
        // pilot of 8 syncs runs 2 minutes, 120,000 requests.
        let s = crate::scenario::parse(
            r#"Scenario(
                name: "p", run: (duration: "10m"),
                workload: (users: 1000, rps_per_user: 1.0, mix: { "a": 1.0 }),
                components: [
                    LoadBalancer(name: "lb", targets: { "api": 1 }),
                    Deployment(name: "api", replicas: 1, concurrency: 4),
                ],
                endpoints: { "a": [Lb("lb"), Compute(Exp("1ms"))] },
            )"#,
            "p.ron",
        )
        .unwrap();
        let sync = Nanos::from_secs(15);
        let two_minutes = (Nanos::from_secs(120), None);
        assert_eq!(pilot_length(&s, sync, 0), two_minutes);
        assert_eq!(pilot_length(&s, sync, 120_000), two_minutes);
        // 30,000 requests: 30 s, 8 syncs 3.75 s apart.
        assert_eq!(
            pilot_length(&s, sync, 30_000),
            (Nanos::from_secs(30), Some(Nanos::from_millis(3750)))
        );
        // Never below 8 syncs of the shortest period a scenario may write.
        assert_eq!(
            pilot_length(&s, sync, 10),
            (Nanos::from_millis(800), Some(Nanos::from_millis(100)))
        );
    }

    #[test]
    fn the_fixed_point_is_the_load_in_pods_at_target_rounded_up_within_bounds() {
        // 6.5 pods' worth at target: 7 from anywhere outside the tolerance.
        assert_eq!(fixed_point(1, 1, 20, &[6.5]), 7);
        assert_eq!(fixed_point(20, 1, 20, &[6.5]), 7);
        // 6 is within 10% of 6.5 (ratio 1.083): the HPA stays there.
        assert_eq!(fixed_point(6, 1, 20, &[6.5]), 6);
        // Clamped to max; the largest metric wins; no load: min.
        assert_eq!(fixed_point(1, 1, 5, &[6.5]), 5);
        assert_eq!(fixed_point(1, 2, 20, &[3.2, 9.1]), 10);
        assert_eq!(fixed_point(4, 2, 20, &[0.0]), 2);
    }
}
