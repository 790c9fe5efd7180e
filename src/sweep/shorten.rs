//! A shortened run (`--max-requests`): the whole timeline shrinks by one
//! factor, so faults and load changes keep their place in the run.
//!
//! ```text
//! 0 ── warm-up ── Spike ──── KillPods ──── end       (as written)
//! 0 ─ w ─ S ── K ─ end                               (× f, same shape)
//! ```
//!
//! Durations that are not points on the timeline (service times, TTLs,
//! HPA periods, a failover's promotion time) stay as written.

use crate::algo::Nanos;
use crate::scenario::schema::{self, Fault, Pattern};
use crate::scenario::units::Duration;
use crate::scenario::Scenario;

/// Shrinks `s`'s run by `f` (0 < f < 1): duration, warm-up, interval, the
/// faults' start and length and the arrival pattern's times.
pub(super) fn shorten(s: &mut Scenario, f: f64) {
    // A floor of 1 ms keeps every span non-zero.
    let scale = |d: &mut Duration| {
        *d = Duration(Nanos::from_secs_f64(
            (d.nanos().as_secs_f64() * f).max(1e-3),
        ));
    };
    // A zero stays zero ("none"); any other time shrinks.
    let scale_time = |d: &mut Duration| {
        if d.nanos() != Nanos::ZERO {
            scale(d);
        }
    };
    scale(&mut s.run.duration);
    scale_time(&mut s.run.warmup);
    // At the floor the run still outlasts its warm-up (a 10M-user stage
    // capped at a few thousand requests shrinks both below 1 ms).
    if s.run.duration.nanos() <= s.run.warmup.nanos() {
        s.run.duration = Duration(s.run.warmup.nanos() + Nanos::from_secs_f64(1e-3));
    }
    scale(&mut s.run.interval);
    match &mut s.workload.pattern {
        Pattern::Constant => {}
        Pattern::Diurnal { period, .. } => {
            let mut p = period.unwrap_or(Duration(Nanos::from_secs(24 * 3600)));
            scale(&mut p);
            *period = Some(p);
        }
        Pattern::Spike { at, length, .. } => {
            scale_time(at);
            scale(length);
        }
        Pattern::Steps(steps) => steps.iter_mut().for_each(|step| scale_time(&mut step.at)),
        // A recorded trace plays at its recorded times: a shortened run
        // sees its opening part.
        Pattern::Trace { .. } => {}
    }
    for fault in &mut s.faults {
        let (at, length) = match fault {
            Fault::Slowdown(schema::Slowdown { at, length, .. })
            | Fault::FailDependency(schema::FailDependency { at, length, .. })
            | Fault::RegionDown(schema::RegionDown { at, length, .. })
            | Fault::ReplicationLag(schema::ReplicationLag { at, length, .. })
            | Fault::ZoneDown(schema::ZoneDown { at, length, .. }) => (at, length.as_mut()),
            Fault::PurgeCdn(schema::PurgeCdn { at, .. })
            | Fault::Failover(schema::Failover { at, .. })
            | Fault::FlushCache(schema::FlushCache { at, .. })
            | Fault::KillPods(schema::KillPods { at, .. })
            | Fault::ReclaimSpot(schema::ReclaimSpot { at, .. })
            | Fault::Deploy(schema::Deploy { at, .. }) => (at, None),
        };
        scale_time(at);
        if let Some(length) = length {
            scale(length);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_and_pattern_shrink_with_the_run() {
        let text = r#"Scenario(
            name: "t", run: (duration: "100s", warmup: "10s"),
            workload: (users: 10, rps_per_user: 1.0, mix: { "a": 1.0 },
                       pattern: Spike(at: "40s", factor: 2.0, for: "20s")),
            components: [
                LoadBalancer(name: "lb", targets: { "api": 1 }),
                Deployment(name: "api", replicas: 2, concurrency: 4),
            ],
            endpoints: { "a": [Lb("lb"), Compute(Exp("1ms"))] },
            faults: [
                KillPods(deployment: "api", count: 1, at: "90s"),
                Slowdown(target: "api", factor: 2.0, at: "50s", for: "30s"),
            ],
        )"#;
        let mut s = crate::scenario::parse(text, "t.ron").unwrap();
        shorten(&mut s, 0.1);
        let secs = |d: Duration| d.nanos().as_secs_f64();
        assert!((secs(s.run.duration) - 10.0).abs() < 1e-9);
        assert!((secs(s.run.warmup) - 1.0).abs() < 1e-9);
        assert!((secs(s.faults[0].at()) - 9.0).abs() < 1e-9);
        match &s.faults[1] {
            Fault::Slowdown(schema::Slowdown { at, length, .. }) => {
                assert!((secs(*at) - 5.0).abs() < 1e-9);
                assert!((secs(length.unwrap()) - 3.0).abs() < 1e-9);
            }
            other => panic!("{other:?}"),
        }
        match &s.workload.pattern {
            Pattern::Spike { at, length, .. } => {
                assert!((secs(*at) - 4.0).abs() < 1e-9 && (secs(*length) - 2.0).abs() < 1e-9);
            }
            other => panic!("{other:?}"),
        }
        // Still valid: the kill lands inside the shortened run.
        crate::scenario::validate(&s).unwrap();
    }
}
