//! The Kubernetes HPA algorithm through the public API.
//!
//! Cases come from the Kubernetes documentation (the HPA walkthrough and the
//! "Algorithm details" / "Configurable scaling behavior" sections) and from the
//! unit tests in `pkg/controller/podautoscaler/horizontal_test.go` and
//! `replica_calculator_test.go` (named in each test's comment). Every expected
//! count was derived by hand from the controller source; the derivation is in
//! the comments.

use proptest::prelude::*;
use scaletwin::algo::clock::{Nanos, VirtualClock};
use scaletwin::algo::hpa::*;

fn secs(s: u64) -> Nanos {
    Nanos::from_secs(s)
}

fn cpu(target: i32) -> MetricSpec {
    MetricSpec::ResourceUtilization {
        resource: ResourceName::Cpu,
        target_average_utilization: target,
    }
}

fn spec(min: i32, max: i32, metrics: Vec<MetricSpec>, behavior: Option<Behavior>) -> HpaSpec {
    HpaSpec {
        min_replicas: min,
        max_replicas: max,
        metrics,
        behavior,
    }
}

/// Ready pods at the given usage, each requesting `request` milli.
fn pods(levels: &[i64], request: i64) -> MetricInput {
    MetricInput::Pods(
        levels
            .iter()
            .map(|&u| PodSample::ready(u, request))
            .collect(),
    )
}

/// `n` ready pods sharing `total` millicores (first pods take the remainder), 1000m request each.
fn load(total: i64, n: i32) -> MetricInput {
    let n64 = i64::from(n);
    MetricInput::Pods(
        (0..n64)
            .map(|i| PodSample::ready(total / n64 + i64::from(i < total % n64), 1000))
            .collect(),
    )
}

/// An autoscaler with an empty (non-nil) recommendation history, as the
/// Kubernetes unit tests set `recommendations: []timestampedRecommendation{}`.
fn k8s_test_autoscaler(s: HpaSpec) -> Autoscaler {
    let mut a = Autoscaler::new(s);
    a.seed_recommendations(vec![]);
    a
}

fn rules(window: Option<i32>, select: Option<SelectPolicy>, policies: Vec<Policy>) -> ScalingRules {
    ScalingRules {
        stabilization_window_seconds: window,
        select_policy: select,
        policies,
        tolerance: None,
    }
}

fn resolved(select: SelectPolicy, policies: Vec<Policy>) -> ResolvedRules {
    ResolvedRules {
        stabilization_window_seconds: 0,
        select_policy: select,
        policies,
    }
}

// ---------------------------------------------------------------------------
// Defaults
// ---------------------------------------------------------------------------

#[test]
fn behavior_defaults_fill_only_missing_parts() {
    // defaults.go: GenerateHPAScaleUpRules / GenerateHPAScaleDownRules / copyHPAScalingRules.
    let b = Behavior {
        scale_up: Some(rules(Some(60), None, vec![])),
        scale_down: Some(rules(
            None,
            Some(SelectPolicy::Min),
            vec![Policy::pods(2, 30)],
        )),
    }
    .with_defaults();
    let up = b.scale_up.unwrap();
    assert_eq!(up.stabilization_window_seconds, Some(60));
    assert_eq!(up.select_policy, Some(SelectPolicy::Max));
    assert_eq!(
        up.policies,
        vec![Policy::pods(4, 15), Policy::percent(100, 15)]
    );
    let down = b.scale_down.unwrap();
    assert_eq!(down.stabilization_window_seconds, None); // the controller's 300 s applies
    assert_eq!(down.select_policy, Some(SelectPolicy::Min));
    assert_eq!(down.policies, vec![Policy::pods(2, 30)]);
    // SetDefaults_HorizontalPodAutoscaler: no metrics -> CPU at 80 %.
    let a = Autoscaler::new(spec(1, 5, vec![], None));
    assert_eq!(a.spec().metrics, vec![cpu(80)]);
    assert_eq!(a.spec().behavior, None);
    let c = ControllerConfig::default();
    assert_eq!(c.sync_period, secs(15));
    assert_eq!(c.tolerance, 0.1);
    assert_eq!(c.downscale_stabilization, secs(300));
    assert_eq!(c.cpu_initialization_period, secs(300));
    assert_eq!(c.initial_readiness_delay, secs(30));
}

// ---------------------------------------------------------------------------
// Documentation examples
// ---------------------------------------------------------------------------

#[test]
fn docs_algorithm_details_200m_for_100m_doubles_and_50m_halves() {
    // "if the current metric value is 200m, and the desired value is 100m, the
    // number of replicas will be doubled ... if the current value is instead 50m,
    // you'll halve the number of replicas".
    let rps = MetricSpec::PodsAverageValue {
        name: "rps".into(),
        target_average_value_milli: 100,
    };
    let mut a = Autoscaler::new(spec(1, 10, vec![rps.clone()], None));
    let r = a.reconcile_at(secs(15), 1, &[pods(&[200], 0)]);
    assert_eq!(r.desired_replicas, 2);
    assert_eq!(r.reason, "pods metric rps above target");

    let mut a = k8s_test_autoscaler(spec(1, 10, vec![rps.clone()], None));
    let r = a.reconcile_at(secs(15), 2, &[pods(&[50, 50], 0)]);
    assert_eq!(r.desired_replicas, 1);
    assert_eq!(r.reason, "All metrics below target");

    // A fresh controller first records the current count as a recommendation
    // (recordInitialRecommendation), so the 5-minute window holds the halving off.
    let mut a = Autoscaler::new(spec(1, 10, vec![rps], None));
    let r = a.reconcile_at(secs(15), 2, &[pods(&[50, 50], 0)]);
    assert_eq!(r.metric_desired_replicas, Some(1));
    assert_eq!(r.desired_replicas, 2);
    assert_eq!(
        r.stabilization,
        Some(StabilizationReason::ScaleDownStabilized)
    );
}

#[test]
fn docs_walkthrough_php_apache_no_behavior_caps_at_four() {
    // Walkthrough: `kubectl autoscale deployment php-apache --cpu-percent=50 --min=1 --max=10`
    // (no behavior), 200m request; under load the pod shows 305 %.
    // ceil(305/50 * 1) = ceil(6.1) = 7, but the no-behavior cap is max(2*1, 4) = 4.
    let mut a = Autoscaler::new(spec(1, 10, vec![cpu(50)], None));
    let r = a.reconcile_at(secs(15), 1, &[pods(&[610], 200)]);
    assert_eq!(r.proposals[0].as_ref().unwrap().utilization, Some(305));
    assert_eq!(r.metric_desired_replicas, Some(7));
    assert_eq!(r.desired_replicas, 4);
    assert_eq!(r.limited_by, Some(LimitReason::ScaleUpLimit));
    assert_eq!(r.outcome, Outcome::Rescaled);
}

fn docs_scale_down_behavior(select: SelectPolicy) -> Autoscaler {
    // behavior.scaleDown: policies [Pods 4 / 60 s, Percent 10 / 60 s]; window 0 to isolate policies.
    let b = Behavior {
        scale_up: None,
        scale_down: Some(rules(
            Some(0),
            Some(select),
            vec![Policy::pods(4, 60), Policy::percent(10, 60)],
        )),
    };
    Autoscaler::new(spec(1, 100, vec![cpu(50)], Some(b)))
}

#[test]
fn docs_scale_down_policies_select_max_and_period_history() {
    // Docs: at 80 replicas the Percent policy allows 8 (the larger change) -> 72;
    // then 10 % of 72 = 7.2 -> 64 in the next period.
    let mut a = docs_scale_down_behavior(SelectPolicy::Max);
    let low = |n: i32| load(i64::from(n) * 50, n); // 5 % utilization: wants 8 replicas
    let r = a.reconcile_at(secs(100), 80, &[low(80)]);
    assert_eq!(r.metric_desired_replicas, Some(8));
    assert_eq!(r.desired_replicas, 72); // min(80-4, int32(80*0.9)=72)
    assert_eq!(r.limited_by, Some(LimitReason::ScaleDownLimit));
    // 45 s later the event still counts: the period started at 72+8 = 80 -> limit 72 = current.
    let r = a.reconcile_at(secs(145), 72, &[low(72)]);
    assert_eq!(r.desired_replicas, 72);
    assert_eq!(r.outcome, Outcome::Unchanged);
    // Exactly 60 s later the event is no longer After(now - 60 s): start 72,
    // int32(72*0.9) = int32(64.8) = 64, 72-4 = 68 -> 64.
    let r = a.reconcile_at(secs(160), 72, &[low(72)]);
    assert_eq!(r.desired_replicas, 64);
    // "When the number of replicas falls below 40, the first policy (Pods) is applied":
    // at 30, 30-4 = 26 < int32(30*0.9) = 27.
    let mut a = docs_scale_down_behavior(SelectPolicy::Max);
    let r = a.reconcile_at(secs(100), 30, &[low(30)]);
    assert_eq!(r.desired_replicas, 26);
}

#[test]
fn docs_scale_down_select_min_and_disabled() {
    // selectPolicy: Min picks the policy with the smallest change: 80-4 = 76.
    let mut a = docs_scale_down_behavior(SelectPolicy::Min);
    let r = a.reconcile_at(secs(100), 80, &[load(80 * 50, 80)]);
    assert_eq!(r.desired_replicas, 76);
    // selectPolicy: Disabled turns scale-down off.
    let mut a = docs_scale_down_behavior(SelectPolicy::Disabled);
    let r = a.reconcile_at(secs(100), 80, &[load(80 * 50, 80)]);
    assert_eq!(r.desired_replicas, 80);
    assert_eq!(r.limited_by, Some(LimitReason::ScaleDownLimit));
    assert_eq!(r.outcome, Outcome::Unchanged);
}

#[test]
fn docs_scale_up_disabled() {
    // Docs "Disable scale up"-style: selectPolicy Disabled for scaleUp.
    let b = Behavior {
        scale_up: Some(rules(None, Some(SelectPolicy::Disabled), vec![])),
        scale_down: None,
    };
    let mut a = Autoscaler::new(spec(1, 10, vec![cpu(50)], Some(b)));
    let r = a.reconcile_at(secs(15), 3, &[pods(&[1000, 1000, 1000], 1000)]);
    assert_eq!(r.metric_desired_replicas, Some(6));
    assert_eq!(r.desired_replicas, 3);
    assert_eq!(r.limited_by, Some(LimitReason::ScaleUpLimit));
}

// ---------------------------------------------------------------------------
// horizontal_test.go
// ---------------------------------------------------------------------------

#[test]
fn k8s_test_scale_up_ceil_of_exact_product() {
    // TestScaleUp: min 2, max 6, 3 replicas at {300, 500, 700}m of 1 CPU, target 30 %.
    // utilization = 1500*100/3000 = 50; 50/30 = 1.6666666666666667; x3 = 5.0 exactly -> 5.
    let mut a = k8s_test_autoscaler(spec(2, 6, vec![cpu(30)], None));
    let r = a.reconcile_at(secs(15), 3, &[pods(&[300, 500, 700], 1000)]);
    assert_eq!(r.desired_replicas, 5);
    assert_eq!(
        r.reason,
        "cpu resource utilization (percentage of request) above target"
    );
}

#[test]
fn k8s_test_scale_down() {
    // TestScaleDown: min 2, max 6, 5 replicas at {100, 300, 500, 250, 250}, target 50 %.
    // 1400*100/5000 = 28; 0.56 * 5 = 2.8000000000000003 -> 3.
    let mut a = k8s_test_autoscaler(spec(2, 6, vec![cpu(50)], None));
    let r = a.reconcile_at(secs(15), 5, &[pods(&[100, 300, 500, 250, 250], 1000)]);
    assert_eq!(r.desired_replicas, 3);
    assert_eq!(r.reason, "All metrics below target");
}

#[test]
fn k8s_test_tolerance_band() {
    // TestTolerance: 3 replicas at {1010, 1030, 1020} of 1 CPU, target 100 %: 102 % -> no change.
    let mut a = k8s_test_autoscaler(spec(1, 5, vec![cpu(100)], None));
    let r = a.reconcile_at(secs(15), 3, &[pods(&[1010, 1030, 1020], 1000)]);
    assert_eq!(r.metric_desired_replicas, Some(3));
    assert_eq!(r.desired_replicas, 3);
    // 110 % is still inside (1.1 <= 1 + 0.1 in f64).
    let r = a.reconcile_at(secs(30), 3, &[pods(&[1100, 1100, 1100], 1000)]);
    assert_eq!(r.desired_replicas, 3);
    // 111 %: ceil(1.11 * 3) = ceil(3.33) = 4.
    let r = a.reconcile_at(secs(45), 3, &[pods(&[1110, 1110, 1110], 1000)]);
    assert_eq!(r.desired_replicas, 4);
}

#[test]
fn integer_percent_truncation_keeps_inside_the_band() {
    // GetResourceUtilizationRatio: 10 pods using 5590m of 10 CPUs is 55.9 %,
    // truncated to 55 %: 55/50 = 1.1 is within tolerance (55.9/50 = 1.118 would not be).
    let mut a = k8s_test_autoscaler(spec(1, 20, vec![cpu(50)], None));
    let r = a.reconcile_at(secs(15), 10, &[load(5590, 10)]);
    assert_eq!(r.proposals[0].as_ref().unwrap().utilization, Some(55));
    assert_eq!(r.desired_replicas, 10);
}

#[test]
fn k8s_test_min_max_and_out_of_range() {
    // TestMinReplicas: {10, 95, 10} of 1 CPU at target 90 % -> 3 %, ceil(0.0333*3) = 1 -> min 2.
    let mut a = k8s_test_autoscaler(spec(2, 5, vec![cpu(90)], None));
    let r = a.reconcile_at(secs(15), 3, &[pods(&[10, 95, 10], 1000)]);
    assert_eq!(r.desired_replicas, 2);
    assert_eq!(r.limited_by, Some(LimitReason::TooFewReplicas));
    // TestMaxReplicas-style: {8000, 9500, 1000} -> 616 %, ceil(6.84*3) = 21; cap 6 > max 5 -> 5.
    let mut a = k8s_test_autoscaler(spec(2, 5, vec![cpu(90)], None));
    let r = a.reconcile_at(secs(15), 3, &[pods(&[8000, 9500, 1000], 1000)]);
    assert_eq!(r.desired_replicas, 5);
    assert_eq!(r.limited_by, Some(LimitReason::TooManyReplicas));
    // TestZeroReplicas: current 0, min 3 -> scaling disabled, desired 0.
    let mut a = Autoscaler::new(spec(3, 5, vec![cpu(90)], None));
    let r = a.reconcile_at(secs(15), 0, &[]);
    assert_eq!(
        (r.desired_replicas, r.outcome),
        (0, Outcome::ScalingDisabled)
    );
    // TestTooFewReplicas: current 2 < min 3 -> 3 without looking at metrics.
    let r = a.reconcile_at(secs(30), 2, &[]);
    assert_eq!(r.desired_replicas, 3);
    assert_eq!(
        r.reason,
        "Current number of replicas below Spec.MinReplicas"
    );
    // TestTooManyReplicas: current 10 > max 5 -> 5.
    let r = a.reconcile_at(secs(45), 10, &[]);
    assert_eq!(r.desired_replicas, 5);
    assert_eq!(
        r.reason,
        "Current number of replicas above Spec.MaxReplicas"
    );
}

#[test]
fn k8s_test_upscale_cap_with_percent_policy() {
    // TestUpscaleCap: scaleUp Percent 700 / 60 s, 3 replicas at {100, 200, 300} of 100m,
    // target 10 %: 200 % -> ceil(20*3) = 60; ceil(3 * (1 + 7)) = 24.
    let b = Behavior {
        scale_up: Some(rules(Some(0), None, vec![Policy::percent(700, 60)])),
        scale_down: None,
    };
    let mut a = k8s_test_autoscaler(spec(1, 100, vec![cpu(10)], Some(b.clone())));
    let r = a.reconcile_at(secs(15), 3, &[pods(&[100, 200, 300], 100)]);
    assert_eq!(
        (r.desired_replicas, r.limited_by),
        (24, Some(LimitReason::ScaleUpLimit))
    );
    // TestUpscaleCapGreaterThanMaxReplicas: max 20 -> 20, TooManyReplicas.
    let mut a = k8s_test_autoscaler(spec(1, 20, vec![cpu(10)], Some(b)));
    let r = a.reconcile_at(secs(15), 3, &[pods(&[100, 200, 300], 100)]);
    assert_eq!(
        (r.desired_replicas, r.limited_by),
        (20, Some(LimitReason::TooManyReplicas))
    );
}

#[test]
fn legacy_scale_up_cap_is_twice_or_four() {
    // calculateScaleUpLimit: int32(max(2 * current, 4)).
    assert_eq!(legacy_scale_up_limit(1), 4);
    assert_eq!(legacy_scale_up_limit(2), 4);
    assert_eq!(legacy_scale_up_limit(3), 6);
    assert_eq!(legacy_scale_up_limit(10), 20);
    // convertDesiredReplicasWithRules (TestConvertDesiredReplicasWithRules-style).
    assert_eq!(
        convert_desired_replicas_with_rules(3, 100, 1, 50),
        (6, LimitReason::ScaleUpLimit)
    );
    assert_eq!(
        convert_desired_replicas_with_rules(3, 100, 1, 5),
        (5, LimitReason::TooManyReplicas)
    );
    assert_eq!(
        convert_desired_replicas_with_rules(3, 0, 2, 5),
        (2, LimitReason::TooFewReplicas)
    );
    assert_eq!(
        convert_desired_replicas_with_rules(3, 4, 2, 5),
        (4, LimitReason::DesiredWithinRange)
    );
}

#[test]
fn several_metrics_take_the_largest_and_invalid_metric_rules() {
    let rps = MetricSpec::PodsAverageValue {
        name: "rps".into(),
        target_average_value_milli: 10_000,
    };
    let s = spec(1, 20, vec![cpu(50), rps], None);
    // cpu: 75 % -> ceil(1.5*4) = 6; rps: avg 20 per pod vs 10 -> ceil(2*4) = 8.
    let mut a = k8s_test_autoscaler(s.clone());
    let r = a.reconcile_at(secs(15), 4, &[pods(&[750; 4], 1000), pods(&[20_000; 4], 0)]);
    assert_eq!(r.proposals[0].as_ref().unwrap().replicas, 6);
    assert_eq!(r.proposals[1].as_ref().unwrap().replicas, 8);
    assert_eq!(r.desired_replicas, 8);
    assert_eq!(r.metric_name.as_deref(), Some("pods metric rps"));
    // TestScaleUpOneMetricInvalid-style: one metric fails, the other scales up -> proceed.
    let mut a = k8s_test_autoscaler(s.clone());
    let r = a.reconcile_at(
        secs(15),
        4,
        &[pods(&[750; 4], 1000), MetricInput::Unavailable],
    );
    assert_eq!(r.desired_replicas, 6);
    assert_eq!(r.proposals[1], Err(MetricError::Unavailable));
    // TestScaleDownOneMetricInvalid-style: one fails and the other would scale down -> no action.
    let mut a = k8s_test_autoscaler(s.clone());
    let r = a.reconcile_at(
        secs(15),
        4,
        &[pods(&[100; 4], 1000), MetricInput::Unavailable],
    );
    assert_eq!((r.desired_replicas, r.outcome), (4, Outcome::MetricsFailed));
    // All invalid -> no action.
    let mut a = k8s_test_autoscaler(s);
    let r = a.reconcile_at(secs(15), 4, &[MetricInput::Unavailable, pods(&[], 0)]);
    assert_eq!(r.outcome, Outcome::MetricsFailed);
    assert_eq!(r.proposals[1], Err(MetricError::NoPods));
}

#[test]
fn stabilization_down_window_holds_the_highest_recommendation() {
    // stabilizeRecommendationWithBehaviors: default scale-down window 300 s.
    let mut a = Autoscaler::new(spec(1, 10, vec![cpu(50)], Some(Behavior::default())));
    a.seed_recommendations(vec![
        TimestampedRecommendation {
            recommendation: 9,
            timestamp: secs(0),
        },
        TimestampedRecommendation {
            recommendation: 7,
            timestamp: secs(100),
        },
    ]);
    // At 250 s both are inside: raw 4 (25 %, 8 pods), stabilized min(8, max(4, 9, 7)) = 8.
    let r = a.reconcile_at(secs(250), 8, &[load(2000, 8)]);
    assert_eq!(r.metric_desired_replicas, Some(4));
    assert_eq!(r.desired_replicas, 8);
    assert_eq!(
        r.stabilization,
        Some(StabilizationReason::ScaleDownStabilized)
    );
    // At 300 s the 9 (t = 0) is not After(300 - 300): max(4, 7, 4) = 7.
    let r = a.reconcile_at(secs(300), 8, &[load(2000, 8)]);
    assert_eq!(r.desired_replicas, 7);
    // Default scale-down policy 100 % / 15 s would allow 0; min is 1: no limit here.
    assert_eq!(r.limited_by, Some(LimitReason::DesiredWithinRange));
}

#[test]
fn stabilization_up_window_holds_the_lowest_recommendation() {
    let b = Behavior {
        scale_up: Some(rules(Some(60), None, vec![])),
        scale_down: None,
    };
    let mut a = Autoscaler::new(spec(1, 20, vec![cpu(50)], Some(b)));
    a.seed_recommendations(vec![
        TimestampedRecommendation {
            recommendation: 3,
            timestamp: secs(50),
        },
        TimestampedRecommendation {
            recommendation: 5,
            timestamp: secs(70),
        },
    ]);
    // raw: 100 % vs 50 % on 2 pods -> 4; up window (40 s, 100 s]: min(4, 3, 5) = 3 -> 3.
    let r = a.reconcile_at(secs(100), 2, &[pods(&[1000, 1000], 1000)]);
    assert_eq!(r.metric_desired_replicas, Some(4));
    assert_eq!(r.desired_replicas, 3);
    assert_eq!(
        r.stabilization,
        Some(StabilizationReason::ScaleUpStabilized)
    );
    // At 115 s the 3 (t = 50) has left the window (55 s, 115 s]: raw 6, min(6, 5, 4) = 4.
    let r = a.reconcile_at(secs(115), 3, &[pods(&[1000, 1000, 1000], 1000)]);
    assert_eq!(r.metric_desired_replicas, Some(6));
    assert_eq!(r.desired_replicas, 4);
}

#[test]
fn default_scale_up_policies_use_event_history() {
    // Default scaleUp: max(4 pods, 100 %) per 15 s.
    let mut a = Autoscaler::new(spec(1, 1000, vec![cpu(10)], Some(Behavior::default())));
    // 10 replicas at 50 % for a 10 % target: 50 wanted; max(10+4, 20) = 20.
    let r = a.reconcile_at(secs(100), 10, &[load(5000, 10)]);
    assert_eq!(
        (r.desired_replicas, r.limited_by),
        (20, Some(LimitReason::ScaleUpLimit))
    );
    assert_eq!(a.scale_up_events().len(), 1);
    // 10 s later: the period started at 20 - 10 = 10 -> limit 20 = current.
    let r = a.reconcile_at(secs(110), 20, &[load(10_000, 20)]);
    assert_eq!(r.desired_replicas, 20);
    // 15 s after the event it no longer counts: max(24, 40) = 40.
    let r = a.reconcile_at(secs(115), 20, &[load(10_000, 20)]);
    assert_eq!(r.desired_replicas, 40);
    // The first event is exactly 15 s old: not Before(now - 15 s), so not yet
    // outdated, and the new event is appended.
    assert_eq!(a.scale_up_events().len(), 2);
    // At 200 s both are outdated; the last outdated slot is reused.
    let r = a.reconcile_at(secs(200), 40, &[load(20_000, 40)]);
    assert_eq!(r.desired_replicas, 80);
    assert_eq!(a.scale_up_events().len(), 2);
    assert_eq!(a.scale_up_events()[1].timestamp, secs(200));
    assert!(a.scale_up_events()[0].outdated);
}

#[test]
fn scaling_limits_after_test_scaling_with_rules() {
    // TestScalingWithRules / TestCalculateScaleUpLimitWithScalingRules-style cases.
    let now = secs(1000);
    let up = |v: Vec<Policy>| resolved(SelectPolicy::Max, v);
    // "scaleUp with pods policy larger than percent policy": 10 -> 10+100 vs 20.
    assert_eq!(
        scale_up_limit(
            10,
            &[],
            &[],
            &up(vec![Policy::pods(100, 60), Policy::percent(100, 60)]),
            now
        ),
        110
    );
    // "scaleUp with percent policy larger than pods policy": 10 -> 10+2 vs 20.
    assert_eq!(
        scale_up_limit(
            10,
            &[],
            &[],
            &up(vec![Policy::pods(2, 60), Policy::percent(100, 60)]),
            now
        ),
        20
    );
    // "scaleDown with percent policy larger than pod policy": 100 -> 100-20 vs int32(99.0).
    let down = resolved(
        SelectPolicy::Max,
        vec![Policy::pods(20, 60), Policy::percent(1, 60)],
    );
    assert_eq!(scale_down_limit(100, &[], &[], &down, now), 80);
    let down = resolved(
        SelectPolicy::Max,
        vec![Policy::pods(2, 60), Policy::percent(1, 60)],
    );
    assert_eq!(scale_down_limit(100, &[], &[], &down, now), 98);
    // Events in the period move the period's start: 3 added 30 s ago, 1 removed 10 s ago.
    let ev = |c: i32, t: u64| ScaleEvent {
        replica_change: c,
        timestamp: secs(t),
        outdated: false,
    };
    let ups = [ev(3, 970), ev(5, 900)];
    let downs = [ev(1, 990)];
    // start = 10 - 3 + 1 = 8 for a 60 s period: ceil(8 * 1.5) = 12.
    assert_eq!(
        scale_up_limit(10, &ups, &downs, &up(vec![Policy::percent(50, 60)]), now),
        12
    );
    // For a 120 s period the 5 also counts: start 3, 3 + 4 = 7.
    assert_eq!(
        scale_up_limit(10, &ups, &downs, &up(vec![Policy::pods(4, 120)]), now),
        7
    );
    // Selecting Min among them picks 7; no policy at all under Max gives MinInt32.
    let min = resolved(
        SelectPolicy::Min,
        vec![Policy::percent(50, 60), Policy::pods(4, 120)],
    );
    assert_eq!(scale_up_limit(10, &ups, &downs, &min, now), 7);
    assert_eq!(scale_up_limit(10, &[], &[], &up(vec![]), now), i32::MIN);
    assert_eq!(replicas_change_per_period(60, &ups, now), 3);
}

#[test]
fn percent_policy_float_rounding_matches_go() {
    // Scale-up: int32(math.Ceil(float64(start) * (1 + float64(value)/100))).
    // 1 + 10/100 = 1.1000000000000001 in f64, so 50 * 1.1 = 55.00000000000001 -> 56,
    // and 100 * 1.1 = 110.00000000000001 -> 111, where exact arithmetic gives 55 and 110.
    let p = resolved(SelectPolicy::Max, vec![Policy::percent(10, 60)]);
    assert_eq!(scale_up_limit(50, &[], &[], &p, secs(1)), 56);
    assert_eq!(scale_up_limit(100, &[], &[], &p, secs(1)), 111);
    assert_eq!(scale_up_limit(10, &[], &[], &p, secs(1)), 11); // 10 * 1.1 rounds to 11.0
                                                               // Scale-down: int32(float64(start) * (1 - float64(value)/100)) truncates.
                                                               // 90 * (1 - 0.3) = 62.99999999999999 -> 62 (exact: 63).
    let d = resolved(SelectPolicy::Max, vec![Policy::percent(30, 60)]);
    assert_eq!(scale_down_limit(90, &[], &[], &d, secs(1)), 62);
    assert_eq!(scale_down_limit(10, &[], &[], &d, secs(1)), 7);
    // 10 * (1 - 0.9) = 0.9999999999999998 -> 0 (exact: 1).
    let d = resolved(SelectPolicy::Max, vec![Policy::percent(90, 60)]);
    assert_eq!(scale_down_limit(10, &[], &[], &d, secs(1)), 0);
    // int32(3 * 0.5) = 1; int32(7 * 0.9) = int32(6.3) = 6.
    let d = resolved(SelectPolicy::Max, vec![Policy::percent(50, 60)]);
    assert_eq!(scale_down_limit(3, &[], &[], &d, secs(1)), 1);
    let d = resolved(SelectPolicy::Max, vec![Policy::percent(10, 60)]);
    assert_eq!(scale_down_limit(7, &[], &[], &d, secs(1)), 6);
    // A percent above 100 truncates toward zero: int32(3 * -0.5) = int32(-1.5) = -1.
    let d = resolved(SelectPolicy::Max, vec![Policy::percent(150, 60)]);
    assert_eq!(scale_down_limit(3, &[], &[], &d, secs(1)), -1);
    // Through the controller: 50 replicas, scaleUp Percent 10 / 60 s only -> 56.
    let b = Behavior {
        scale_up: Some(rules(Some(0), None, vec![Policy::percent(10, 60)])),
        scale_down: None,
    };
    let mut a = Autoscaler::new(spec(1, 1000, vec![cpu(50)], Some(b)));
    let r = a.reconcile_at(secs(15), 50, &[load(100_000, 50)]);
    assert_eq!(
        (r.desired_replicas, r.limited_by),
        (56, Some(LimitReason::ScaleUpLimit))
    );
}

#[test]
fn configurable_tolerance_from_behavior() {
    // tolerancesForHpa: behavior.scaleUp.tolerance 0 makes 102 % scale up.
    let b = Behavior {
        scale_up: Some(ScalingRules {
            tolerance: Some(0.0),
            ..Default::default()
        }),
        scale_down: Some(ScalingRules {
            tolerance: Some(0.5),
            ..Default::default()
        }),
    };
    let mut a = k8s_test_autoscaler(spec(1, 10, vec![cpu(100)], Some(b)));
    assert_eq!(
        a.tolerances(),
        Tolerances {
            scale_down: 0.5,
            scale_up: 0.0
        }
    );
    let r = a.reconcile_at(secs(15), 3, &[pods(&[1010, 1030, 1020], 1000)]);
    assert_eq!(r.desired_replicas, 4); // ceil(1.02 * 3) = ceil(3.06)
                                       // 60 % is within the 50 % scale-down tolerance.
    let r = a.reconcile_at(secs(30), 4, &[pods(&[600; 4], 1000)]);
    assert_eq!(r.metric_desired_replicas, Some(4));
}

// ---------------------------------------------------------------------------
// replica_calculator_test.go
// ---------------------------------------------------------------------------

fn calc(
    current: i32,
    target: i32,
    resource: ResourceName,
    pods: &[PodSample],
    now: Nanos,
) -> (i32, i32) {
    let (r, u, _) = resource_utilization_replicas(
        now,
        current,
        target,
        resource,
        Tolerances::both(0.1),
        pods,
        &ControllerConfig::default(),
    )
    .unwrap();
    (r, u)
}

#[test]
fn k8s_replica_calc_unready_cpu_pods() {
    let now = secs(1000);
    let unready = PodSample::unready(secs(990), 300, 1000);
    // TestReplicaCalcScaleUpUnreadyLessScale: {300 unready, 500, 700}, target 30:
    // ready 1200/2000 = 60 % -> scale-up with the unready pod at 0 %: 1200/3000 = 40 %,
    // 40/30 * 3 = 4.0 -> 4.
    let p = [
        unready,
        PodSample::ready(500, 1000),
        PodSample::ready(700, 1000),
    ];
    assert_eq!(calc(3, 30, ResourceName::Cpu, &p, now), (4, 60));
    // TestReplicaCalcScaleUpUnreadyNoScale: {400, 500 unready, 700 unready}: 40 % ready,
    // with zeros 13 % < 100 %: the direction would flip -> keep 3.
    let p = [
        PodSample::ready(400, 1000),
        PodSample::unready(secs(990), 500, 1000),
        PodSample::unready(secs(990), 700, 1000),
    ];
    assert_eq!(calc(3, 30, ResourceName::Cpu, &p, now), (3, 40));
    // TestReplicaCalcScaleDownIgnoresUnreadyPods: {100, 300, 500, 250u, 250u}, target 50:
    // 900/3000 = 30 %, 0.6 * 3 = 1.7999999999999998 -> 2.
    let mut p: Vec<PodSample> = [100, 300, 500]
        .iter()
        .map(|&u| PodSample::ready(u, 1000))
        .collect();
    p.push(PodSample::unready(secs(990), 250, 1000));
    p.push(PodSample::unready(secs(990), 250, 1000));
    assert_eq!(calc(5, 50, ResourceName::Cpu, &p, now), (2, 30));
    // Memory has no unready rule: all five count, 28 % -> ceil(2.8000000000000003) = 3.
    assert_eq!(calc(5, 50, ResourceName::Memory, &p, now), (3, 28));
}

#[test]
fn cpu_readiness_timing_rules() {
    let cfg = ControllerConfig::default();
    let now = secs(1000);
    let base = PodSample::ready(1000, 1000);
    // Past the CPU initialization period, a pod that went unready long after its start
    // (it has been ready before) still counts: 2 pods at 100 % vs 50 % -> 4.
    let went_unready = PodSample {
        start_time: Some(secs(0)),
        ready: Some(ReadyCondition {
            ready: false,
            last_transition: secs(500),
        }),
        ..base
    };
    let p = [base, went_unready];
    assert_eq!(calc(2, 50, ResourceName::Cpu, &p, now), (4, 100));
    // ... but one that has never been ready (transition within the 30 s delay) is unready:
    // the ready pod alone gives 100 % (ratio 4 for a 25 % target); with the unready one at
    // 0 %: 50 %, 50/25 = 2 -> ceil(2 * 2) = 4; the utilization reported is the ready pods'.
    let never_ready = PodSample {
        start_time: Some(secs(0)),
        ready: Some(ReadyCondition {
            ready: false,
            last_transition: secs(10),
        }),
        ..base
    };
    let p = [base, never_ready];
    assert_eq!(calc(2, 25, ResourceName::Cpu, &p, now), (4, 100));
    // Within the initialization period a ready pod whose sample window started before it
    // became ready is ignored: sample at 995 s with a 30 s window, ready since 980 s.
    let fresh = PodSample {
        start_time: Some(secs(900)),
        ready: Some(ReadyCondition {
            ready: true,
            last_transition: secs(980),
        }),
        metric: Some(PodMetric {
            value_milli: 0,
            timestamp: secs(995),
            window: secs(30),
        }),
        ..base
    };
    // Alone with base at 100 % / 50 %: ratio 2 -> unready at 0 %: 50 % -> within -> 2.
    let p = [base, fresh];
    assert_eq!(calc(2, 50, ResourceName::Cpu, &p, now), (2, 100));
    // A Pending pod is unready; Failed and deleting pods are ignored
    // (TestScaleUpIgnoresFailedPods / TestScaleUpIgnoresDeletionPods: {500, 700} of 1 CPU
    // at 30 % -> 60 %, ceil(2 * 2) = 4).
    let failed = PodSample {
        phase: PodPhase::Failed,
        ..base
    };
    let deleting = PodSample {
        deleting: true,
        ..base
    };
    let p = [
        PodSample::ready(500, 1000),
        PodSample::ready(700, 1000),
        failed,
        deleting,
    ];
    assert_eq!(calc(2, 30, ResourceName::Cpu, &p, now), (4, 60));
    let pending = PodSample {
        phase: PodPhase::Pending,
        ..base
    };
    assert_eq!(
        resource_utilization_replicas(
            now,
            1,
            50,
            ResourceName::Cpu,
            Tolerances::both(0.1),
            &[pending],
            &cfg
        ),
        Err(MetricError::NoMetricsForReadyPods)
    );
}

#[test]
fn missing_pods_zero_on_scale_up_full_on_scale_down() {
    let now = secs(1000);
    // Scale-up: 3 pods at 100 % + 1 missing, target 50: ratio 2, missing at 0 %:
    // 3000/4000 = 75 % -> ceil(1.5 * 4) = 6.
    let mut p: Vec<PodSample> = vec![PodSample::ready(1000, 1000); 3];
    p.push(PodSample::missing_metric(1000));
    assert_eq!(calc(4, 50, ResourceName::Cpu, &p, now), (6, 100));
    // Scale-down: 3 pods at 10 % + 1 missing: missing at 100 %: 1300/4000 = 32 % ->
    // ceil(0.64 * 4) = ceil(2.56) = 3.
    let mut p: Vec<PodSample> = vec![PodSample::ready(100, 1000); 3];
    p.push(PodSample::missing_metric(1000));
    assert_eq!(calc(4, 50, ResourceName::Cpu, &p, now), (3, 10));
    // With a target above 100 %, a missing pod counts at the target on scale-down
    // (max(100, targetUtilization)): {500, missing} at 200 %: 2500/2000 = 125 % ->
    // 0.625 * 2 = 1.25 -> 2 (it would be 1 at 100 %).
    let p = [PodSample::ready(500, 1000), PodSample::missing_metric(1000)];
    assert_eq!(calc(2, 200, ResourceName::Cpu, &p, now), (2, 50));
    // TestReplicaCalcMissingMetricsNoChangeGt-style: 115 % on 2 pods + 1 missing:
    // with the missing pod at 0 %: 76 % < 100 % flips direction -> keep 3.
    let p = [
        PodSample::ready(1150, 1000),
        PodSample::ready(1150, 1000),
        PodSample::missing_metric(1000),
    ];
    assert_eq!(calc(3, 100, ResourceName::Cpu, &p, now), (3, 115));
}

#[test]
fn k8s_replica_calc_custom_and_external_metrics() {
    let cfg = ControllerConfig::default();
    let t = Tolerances::both(0.1);
    let p = |v: &[i64]| -> Vec<PodSample> { v.iter().map(|&u| PodSample::ready(u, 0)).collect() };
    // TestReplicaCalcScaleUpCM: {20000, 10000, 30000} vs 15000 -> avg 20000 -> 4.
    assert_eq!(
        plain_metric_replicas(
            secs(1),
            3,
            15_000,
            None,
            t,
            &p(&[20_000, 10_000, 30_000]),
            &cfg
        ),
        Ok((4, 20_000))
    );
    // TestReplicaCalcToleranceCM: {20000, 21000, 21000} vs 20000 -> avg 20666 -> within -> 3.
    assert_eq!(
        plain_metric_replicas(
            secs(1),
            3,
            20_000,
            None,
            t,
            &p(&[20_000, 21_000, 21_000]),
            &cfg
        ),
        Ok((3, 20_666))
    );
    // Missing pod on scale-down counts at the target: {5000, 5000, missing} vs 10000:
    // 0.5 -> {5000, 5000, 10000} avg 6666 -> 0.6666 * 3 = 2 -> 2.
    let mut q = p(&[5000, 5000]);
    q.push(PodSample::missing_metric(0));
    assert_eq!(
        plain_metric_replicas(secs(1), 3, 10_000, None, t, &q, &cfg),
        Ok((2, 5000))
    );
    // TestReplicaCalcScaleUpPerPodCMExternal: 8600 vs 2150 per pod on 3 -> ceil(4) = 4.
    assert_eq!(external_per_pod_replicas(3, 2150, &[8600], t), (4, 2867));
    // Within tolerance: 6300 / (2000 * 3) = 1.05 -> 3.
    assert_eq!(external_per_pod_replicas(3, 2000, &[6300], t), (3, 2100));
    // Through the autoscaler (queue depth per pod).
    let q = MetricSpec::ExternalAverageValue {
        name: "queue".into(),
        target_average_value_milli: 2150,
    };
    let mut a = k8s_test_autoscaler(spec(1, 10, vec![q], None));
    let r = a.reconcile_at(
        secs(15),
        3,
        &[MetricInput::External {
            values_milli: vec![8600],
            status_replicas: 3,
        }],
    );
    assert_eq!(r.desired_replicas, 4);
    assert_eq!(r.reason, "external metric queue(nil) above target");
}

// ---------------------------------------------------------------------------
// Multi-step scenarios: one sync every 15 s, the target follows at once
// ---------------------------------------------------------------------------

#[test]
fn scenario_default_behavior_over_28_syncs() {
    // min 1, max 10, CPU target 50 %, behavior {} (all defaults), 1 CPU request per pod,
    // total load L (millicores) spread over the current pods.
    //
    //  k  t    L      n   util  raw  stabilized  limit            result
    //  1  15   1000   2   50    2    2           -                2   (within tolerance)
    //  2  30   4000   2   200   8    8           max(2+4, 2*2)=6  6   ScaleUpLimit
    //  3  45   4000   6   66    8    8           event@30 not After(30): max(10,12) -> max 10   8
    //  4  60   4000   8   50    8    8           -                8
    //  5  75   2000   8   25    4    8 (window has 8s @30,45,60)   8
    //  ...                                                        8
    // 22  330  2000   8   25    4    8 (8@45, 8@60 inside)         8
    // 23  345  2000   8   25    4    8 (8@60 inside)               8
    // 24  360  2000   8   25    4    4 (8@60 not After(60))        4  (100 %/15 s allows 0; min 1)
    // 25  375  2000   4   50    4    4                            4
    // 26  390 12000   4   300  24   24           max(4+4, 8)=8    8   ScaleUpLimit
    // 27  405 12000   8   150  24   24           max(12, 16) > max 10  10  TooManyReplicas
    // 28  420 12000  10   120  24   24           max 10           10
    let mut a = Autoscaler::new(spec(1, 10, vec![cpu(50)], Some(Behavior::default())));
    let clock = VirtualClock::new(Nanos::ZERO);
    let loads: Vec<i64> = (1..=28)
        .map(|k| match k {
            1 => 1000,
            2..=4 => 4000,
            5..=25 => 2000,
            _ => 12_000,
        })
        .collect();
    let mut expected = vec![2, 6, 8, 8];
    expected.extend(std::iter::repeat_n(8, 19)); // k = 5..=23
    expected.extend([4, 4, 8, 10, 10]);
    let mut n = 2;
    let mut got = Vec::new();
    for &l in &loads {
        clock.advance(secs(15));
        n = a.reconcile(&clock, n, &[load(l, n)]).desired_replicas;
        got.push(n);
    }
    assert_eq!(got, expected);
    assert_eq!(a.spec().behavior, Some(Behavior::default().with_defaults()));
}

#[test]
fn scenario_no_behavior_over_24_syncs() {
    // min 1, max 20, CPU 50 %, no behavior (kubectl autoscale), 1 CPU request per pod.
    //  k  t    L     n  util raw  window max (ts >= t-300)      cap max(2n,4)  result
    //  1  15   3050  1  305  7    max(1@15 initial, 7) = 7     4              4
    //  2  30   3050  4  76   7    7                            8              7
    //  3  45   3050  7  43   7    (0.86*7 = 6.02 -> 7)         14             7
    //  4  60   500   7  7    1    7                                           7
    //  ... 7@45 stays in the window through t = 345 (not Before(45)) ...     7
    // 24  360  500   7  7    1    1                                           1
    let mut a = Autoscaler::new(spec(1, 20, vec![cpu(50)], None));
    let mut n = 1;
    let mut got = Vec::new();
    for k in 1..=24u64 {
        let l = if k <= 3 { 3050 } else { 500 };
        n = a
            .reconcile_at(secs(15 * k), n, &[load(l, n)])
            .desired_replicas;
        got.push(n);
    }
    let mut expected = vec![4, 7, 7];
    expected.extend(std::iter::repeat_n(7, 20)); // k = 4..=23
    expected.push(1);
    assert_eq!(got, expected);
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

fn arb_rules() -> impl Strategy<Value = Option<ScalingRules>> {
    let policy = (
        any::<bool>(),
        1..=200i32,
        prop::sample::select(vec![15, 30, 60, 120]),
    )
        .prop_map(|(pods, v, period)| {
            if pods {
                Policy::pods(v.min(10), period)
            } else {
                Policy::percent(v, period)
            }
        });
    prop::option::of(
        (
            prop::option::of(prop::sample::select(vec![0, 15, 60, 120, 300])),
            prop::option::of(prop::sample::select(vec![
                SelectPolicy::Max,
                SelectPolicy::Min,
                SelectPolicy::Disabled,
            ])),
            prop::collection::vec(policy, 0..3),
        )
            .prop_map(|(w, s, p)| rules(w, s, p)),
    )
}

fn arb_behavior() -> impl Strategy<Value = Option<Behavior>> {
    prop::option::of((arb_rules(), arb_rules()).prop_map(|(u, d)| Behavior {
        scale_up: u,
        scale_down: d,
    }))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn desired_stays_within_min_max(
        min in 1..=5i32,
        span in 0..=15i32,
        behavior in arb_behavior(),
        start in 1..=25i32,
        utils in prop::collection::vec(0..=400i64, 1..30),
    ) {
        let max = min + span;
        let mut a = Autoscaler::new(spec(min, max, vec![cpu(50)], behavior));
        let mut n = start;
        for (k, u) in utils.iter().enumerate() {
            let now = secs(15 * (k as u64 + 1));
            let r = a.reconcile_at(now, n, &[pods(&vec![u * 10; n as usize], 1000)]);
            prop_assert!(r.desired_replicas >= min && r.desired_replicas <= max,
                "step {} current {} desired {} not in [{}, {}]", k, n, r.desired_replicas, min, max);
            n = r.desired_replicas;
        }
    }

    #[test]
    fn scale_down_never_below_window_max(
        window in prop::sample::select(vec![15, 60, 120, 300]),
        start in 1..=20i32,
        utils in prop::collection::vec(0..=300i64, 1..40),
    ) {
        let b = Behavior {
            scale_up: None,
            scale_down: Some(rules(Some(window), None, vec![])),
        };
        let mut a = Autoscaler::new(spec(1, 40, vec![cpu(50)], Some(b)));
        let w = secs(window as u64);
        // The history the controller keeps: the initial count, then each raw proposal.
        let mut history: Vec<(Nanos, i32)> = Vec::new();
        let mut n = start;
        for (k, u) in utils.iter().enumerate() {
            let now = secs(15 * (k as u64 + 1));
            if k == 0 {
                history.push((now, n));
            }
            let r = a.reconcile_at(now, n, &[pods(&vec![u * 10; n as usize], 1000)]);
            let raw = r.metric_desired_replicas.unwrap();
            history.push((now, raw));
            let window_max = history
                .iter()
                .filter(|(t, _)| t.saturating_add(w) > now)
                .map(|&(_, r)| r)
                .max()
                .unwrap();
            prop_assert!(r.desired_replicas >= window_max.min(n),
                "step {}: desired {} below min(current {}, window max {})", k, r.desired_replicas, n, window_max);
            n = r.desired_replicas;
        }
    }
}
