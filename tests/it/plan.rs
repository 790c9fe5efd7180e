//! `scaletwin plan` against theory: on an M/M/c station the cheapest
//! configuration that meets a latency SLO is the smallest worker count c
//! for which the exact sojourn-time tail is within the 1% budget.

use super::stats::erlang_c;
use scaletwin::plan::{Options, Space, Verdict};
use std::process::Command;

const LAMBDA: f64 = 500.0;
const MU: f64 = 100.0;
/// The SLO's latency threshold, seconds.
const TAU: f64 = 0.055;

/// One pod with `c` workers (varied 1..=16), Poisson arrivals at 500/s,
/// exponential service of mean 10 ms, p99 <= 55 ms.
fn mmc_text() -> String {
    let values: Vec<String> = (1..=16).map(|c| c.to_string()).collect();
    format!(
        r#"// M/M/c: how many workers does a 55 ms p99 need?
Scenario(
    name: "mmc-plan", seed: 11,
    run: (duration: "60s", warmup: "5s", interval: "5s"),
    workload: (users: {LAMBDA}, rps_per_user: 1.0, mix: {{ "serve": 1.0 }}),
    components: [
        LoadBalancer(name: "lb", targets: {{ "station": 1 }}),
        Deployment(name: "station", replicas: 1, concurrency: 1 /* varied */),
    ],
    endpoints: {{ "serve": [Lb("lb"), Compute(Exp("10ms"))] }},
    slo: (p99: "55ms", error_rate: 0.01),
    plan: (vary: {{ "components.station.concurrency": [{}] }}),
)"#,
        values.join(", ")
    )
}

/// P(T > t) for the sojourn time T = Wq + S of an M/M/c queue: Wq is 0
/// with probability 1 - C(c, a), else Exp(cμ - λ); S is Exp(μ).
fn sojourn_tail(c: u32, t: f64) -> f64 {
    let a = LAMBDA / MU;
    if f64::from(c) <= a {
        return 1.0;
    }
    let wait = erlang_c(c, a);
    let theta = f64::from(c) * MU - LAMBDA;
    // P(E1 + E2 > t) for E1 ~ Exp(theta), E2 ~ Exp(mu); Erlang-2 when equal.
    let both = if (theta - MU).abs() < 1e-9 {
        (1.0 + MU * t) * (-MU * t).exp()
    } else {
        (theta * (-MU * t).exp() - MU * (-theta * t).exp()) / (theta - MU)
    };
    (1.0 - wait) * (-MU * t).exp() + wait * both
}

fn options() -> Options {
    Options {
        replications: 5,
        max_replications: 20,
        max_requests: 0,
        allow_large: false,
    }
}

#[test]
fn the_plan_on_an_mmc_station_is_the_smallest_c_that_erlang_c_allows() {
    let exact = (1..=16)
        .find(|&c| sojourn_tail(c, TAU) <= 0.01)
        .expect("some c meets the target");
    // The analytic boundary is clear of simulation noise: c - 1 misses by
    // far, c meets with room.
    assert_eq!(exact, 7);
    assert!(sojourn_tail(exact - 1, TAU) > 0.015 && sojourn_tail(exact, TAU) < 0.006);

    let text = mmc_text();
    let s = scaletwin::scenario::parse(&text, "mmc.ron").unwrap();
    let space = Space::of(&s, &text, "mmc.ron").unwrap();
    let report = scaletwin::plan::plan(
        &s,
        &space,
        "mmc.ron",
        &[("500/s".into(), LAMBDA)],
        options(),
        &|_| {},
    )
    .unwrap();
    let stage = &report.stages[0];
    let chosen = stage.chosen.as_ref().expect("a c meets the SLO");
    assert_eq!(
        chosen.sets,
        vec![format!("components.station.concurrency={exact}")]
    );
    assert_eq!(chosen.verdict, Verdict::Meets);
    // The one below it was run and fails; its reason is the latency objective.
    let failing = stage.cheapest_failing.as_ref().unwrap();
    assert!(
        failing.why.contains("latency") || failing.why.contains("within"),
        "{}",
        failing.why
    );
    assert!(stage.trials.iter().any(|t| t.sets
        == vec![format!("components.station.concurrency={}", exact - 1)]
        && t.verdict == Verdict::Fails));

    // Pruning: every c below a failing one was never run, and counted.
    let ran: Vec<u32> = stage
        .trials
        .iter()
        .map(|t| t.sets[0].rsplit('=').next().unwrap().parse().unwrap())
        .collect();
    let highest_failing = stage
        .trials
        .iter()
        .filter(|t| t.verdict == Verdict::Fails)
        .map(|t| {
            t.sets[0]
                .rsplit('=')
                .next()
                .unwrap()
                .parse::<u32>()
                .unwrap()
        })
        .max()
        .unwrap();
    let skipped_below = (1..highest_failing).filter(|c| !ran.contains(c)).count();
    assert!(stage.pruned >= 1, "bisection prunes: ran {ran:?}");
    assert_eq!(stage.pruned, skipped_below, "ran {ran:?}");
    assert_eq!(stage.evaluated + stage.pruned + stage.bounded, 16);
    assert!(stage.evaluated < 8, "a search, not a sweep: ran {ran:?}");
    // The binding constraint is the latency objective, at the only station.
    let binding = stage.binding.as_ref().unwrap();
    assert_eq!(binding.objective, "latency");
    assert_eq!(binding.station, "station");

    // Confirmation: the chosen configuration meets its SLO on seeds the
    // search never used.
    let sized = space.apply(&s, &[exact as usize - 1]).unwrap();
    for seed in [1001, 1002, 1003] {
        let mut confirm = sized.clone();
        confirm.seed = seed;
        confirm.run.duration =
            scaletwin::scenario::units::Duration(scaletwin::algo::Nanos::from_secs(120));
        let plan = scaletwin::scenario::validate(&confirm).unwrap();
        let run = scaletwin::simulate(&plan);
        let slo = run.slo.as_ref().unwrap();
        assert!(slo.met(), "seed {seed}: good ratio {}", slo.good_ratio);
    }
}

#[test]
fn the_plan_is_deterministic() {
    let text = mmc_text().replace(
        "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]",
        "[5, 6, 7, 8]",
    );
    let s = scaletwin::scenario::parse(&text, "mmc.ron").unwrap();
    let space = Space::of(&s, &text, "mmc.ron").unwrap();
    let ladder = [("a".to_owned(), 300.0), ("b".to_owned(), LAMBDA)];
    let run = || {
        let r = scaletwin::plan::plan(&s, &space, "mmc.ron", &ladder, options(), &|_| {}).unwrap();
        serde_json::to_string(&r).unwrap()
    };
    let first = run();
    assert_eq!(first, run());
    // At 300/s fewer workers suffice than at 500/s.
    let r: serde_json::Value = serde_json::from_str(&first).unwrap();
    let chosen = |k: usize| {
        r["stages"][k]["chosen"]["sets"][0]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(chosen(0) < chosen(1), "{} vs {}", chosen(0), chosen(1));
}

fn write(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("scaletwin-plan-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.ron");
    std::fs::write(&path, text).unwrap();
    path
}

fn scaletwin(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_scaletwin"))
        .args(args)
        .output()
        .expect("run scaletwin")
}

#[test]
fn bad_plan_blocks_exit_2_with_their_field_paths() {
    let base = mmc_text();
    let cases = [
        (
            base.replace("components.station.concurrency\"", "components.station.concurency\""),
            vec!["plan.vary.components.station.concurency[0]", "did you mean `concurrency`?"],
        ),
        (
            base.replace("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]", "[2, 0]"),
            vec!["plan.vary.components.station.concurrency[1]", "does not apply"],
        ),
        (
            base.replace("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]", "[]"),
            vec!["plan.vary.components.station.concurrency", "at least one value"],
        ),
        (
            base.replace("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]", "[2, 2]"),
            vec!["listed twice"],
        ),
        (
            base.replace("plan: (vary: { \"components.station.concurrency\": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16] }),", ""),
            vec!["plan", "has none", "plan: (vary: {"],
        ),
    ];
    for (i, (text, wanted)) in cases.iter().enumerate() {
        assert_ne!(text, &base, "case {i} changed nothing");
        let path = write(&format!("bad{i}"), text);
        let out = scaletwin(&["plan", path.to_str().unwrap(), "-q"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "case {i}: {err}");
        for w in wanted {
            assert!(err.contains(w), "case {i}: `{w}` not in {err}");
        }
    }
}

#[test]
fn out_writes_the_sized_scenario_with_its_comments_and_the_report() {
    let text = mmc_text().replace(
        "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]",
        "[6, 7, 8]",
    );
    let path = write("out", &text);
    let dir = path.parent().unwrap().join("plan");
    let out = scaletwin(&[
        "plan",
        path.to_str().unwrap(),
        "--users",
        "500",
        "--replications",
        "3",
        "--out",
        dir.to_str().unwrap(),
        "-q",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sized = std::fs::read_to_string(dir.join("sized.ron")).unwrap();
    assert!(sized.contains("// M/M/c: how many workers"), "{sized}");
    assert!(sized.contains("concurrency: 7 /* varied */"), "{sized}");
    let s = scaletwin::scenario::parse(&sized, "sized.ron").unwrap();
    assert_eq!(s.workload.users, 500.0);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(
        report["stages"][0]["chosen"]["sets"][0],
        "components.station.concurrency=7"
    );
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(
        md.contains("**Chosen**") && md.contains("Binds: **latency**"),
        "{md}"
    );
}

#[test]
fn a_field_the_file_leaves_out_is_added_to_its_struct() {
    let text = mmc_text();
    let sized = scaletwin::scenario::apply_to_source(
        &text,
        &[
            "components.station.queue_limit=50".to_owned(),
            "components.station.concurrency=3".to_owned(),
        ],
    )
    .unwrap();
    assert!(
        sized.contains("concurrency: 3, queue_limit: 50 /* varied */)"),
        "{sized}"
    );
    assert!(sized.starts_with("// M/M/c"));
    let s = scaletwin::scenario::parse(&sized, "s.ron").unwrap();
    let expected = scaletwin::scenario::apply_overrides(
        &scaletwin::scenario::parse(&text, "s.ron").unwrap(),
        &[
            "components.station.queue_limit=50".to_owned(),
            "components.station.concurrency=3".to_owned(),
        ],
    )
    .unwrap();
    assert_eq!(s, expected);
}
