//! ns per HPA sync: a behavior, two metrics (CPU utilization and a Pods
//! average value), 20 pods, one reconcile every 15 s of virtual time.

use criterion::Criterion;
use scaletwin::algo::clock::Nanos;
use scaletwin::algo::hpa::{
    Autoscaler, Behavior, HpaSpec, MetricInput, MetricSpec, PodSample, Policy, ResourceName,
    ScalingRules, SelectPolicy,
};
use std::hint::black_box;

pub(crate) fn bench_reconcile(c: &mut Criterion) {
    let spec = HpaSpec {
        min_replicas: 2,
        max_replicas: 50,
        metrics: vec![
            MetricSpec::ResourceUtilization {
                resource: ResourceName::Cpu,
                target_average_utilization: 60,
            },
            MetricSpec::PodsAverageValue {
                name: "rps".into(),
                target_average_value_milli: 100_000,
            },
        ],
        behavior: Some(Behavior {
            scale_up: Some(ScalingRules {
                stabilization_window_seconds: Some(60),
                select_policy: Some(SelectPolicy::Max),
                policies: vec![Policy::pods(4, 60), Policy::percent(50, 60)],
                tolerance: None,
            }),
            scale_down: None,
        }),
    };
    // Load that swings around the target so the path exercises scaling and stabilization.
    let inputs: Vec<[MetricInput; 2]> = (0..16)
        .map(|k| {
            let cpu = 400 + 60 * k as i64;
            let rps = 70_000 + 5_000 * k as i64;
            [
                MetricInput::Pods((0..20).map(|i| PodSample::ready(cpu + i, 1000)).collect()),
                MetricInput::Pods((0..20).map(|i| PodSample::ready(rps + i, 0)).collect()),
            ]
        })
        .collect();
    let mut hpa = Autoscaler::new(spec);
    let mut now = Nanos::ZERO;
    let mut k = 0usize;
    c.bench_function("hpa_reconcile_behavior_2_metrics_20_pods", |b| {
        b.iter(|| {
            now += Nanos::from_secs(15);
            k = (k + 1) % inputs.len();
            let r = hpa.reconcile_at(now, black_box(20), black_box(&inputs[k]));
            black_box(r.desired_replicas)
        })
    });
}
