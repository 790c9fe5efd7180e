//! Runs that stop at a requested precision (`run.precision`, `--precision`):
//! honest intervals against M/M/8's exact mean sojourn and p99, the
//! precision reached, the cap, and the same stopping point at any thread
//! count.

use rayon::prelude::*;
use scaletwin::report::{PrecisionReached, SweepPoint};
use scaletwin::scenario::{parse, Scenario};
use scaletwin::sweep::{self, Batch};
use std::process::Command;

/// M/M/8 at ρ = 0.9 (λ = 7.2/s, μ = 1/s): Erlang C gives a mean sojourn of
/// 1.876916 s; the sojourn's tail, (1-Pw)e^(-μt) + Pw (θe^(-μt) - μe^(-θt))
/// / (θ-μ) with θ = cμ-λ = 0.8 and Pw = 0.701533, is 1% at 7.08735 s.
const MEAN_MS: f64 = 1876.916;
const P99_MS: f64 = 7087.35;

/// M/M/8 as `scenarios/mm8.ron` writes it (50000 s, 2000 s warm-up), with
/// `precision` and `stages`.
fn mm8(seed: u64, precision: &str, stages: &str) -> Scenario {
    mm8_for(seed, precision, stages, "50000s", "2000s")
}

/// M/M/8 over `duration` with `warmup`.
fn mm8_for(seed: u64, precision: &str, stages: &str, duration: &str, warmup: &str) -> Scenario {
    mmc_for(8, seed, precision, stages, duration, warmup)
}

/// M/M/`servers` at M/M/8's load over `duration` with `warmup`.
fn mmc_for(
    servers: u32,
    seed: u64,
    precision: &str,
    stages: &str,
    duration: &str,
    warmup: &str,
) -> Scenario {
    let text = format!(
        r#"Scenario(
            name: "mm8", seed: {seed},
            run: (duration: "{duration}", warmup: "{warmup}", interval: "1h", precision: "{precision}"),
            workload: (users: 7.2, rps_per_user: 1.0, mix: {{ "serve": 1.0 }}),
            components: [
                LoadBalancer(name: "lb", targets: {{ "server": 1 }}),
                Deployment(name: "server", replicas: 1, concurrency: {servers}),
            ],
            endpoints: {{ "serve": [Lb("lb"), Compute(Exp("1s"))] }},
            {stages}
        )"#
    );
    parse(&text, "mm8.ron").unwrap()
}

const BATCH: Batch = Batch {
    replications: 1,
    max_requests: 0,
    allow_large: false,
};

/// The one point of a sweep over nothing: the scenario run to its precision.
fn point(s: &Scenario) -> SweepPoint {
    let r = sweep::sweep(s, "mm8.ron", &[], BATCH, None, None).unwrap();
    r.points.into_iter().next().unwrap()
}

fn precision(p: &SweepPoint) -> &PrecisionReached {
    p.precision.as_ref().expect("ran to a precision")
}

/// Coverage over independent master seeds (100 here; set
/// `SCALETWIN_COVERAGE_SEEDS` for the README's figure, 200). The run as
/// written is 300000 s with 600 s of warm-up: p99 at 5% takes about as
/// much, so many runs stop at the cap; the others at the pilot's plan.
#[test]
fn precision_intervals_cover_the_exact_mm8_mean_and_p99() {
    let seeds: u64 = std::env::var("SCALETWIN_COVERAGE_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let points: Vec<SweepPoint> = (0..seeds)
        .into_par_iter()
        .map(|k| point(&mm8_for(10_000 + k, "5%", "", "300000s", "600s")))
        .collect();
    let covers =
        |e: &scaletwin::metrics::stats::Estimate, exact: f64| (e.mean - exact).abs() <= e.ci95;
    let mean = points
        .iter()
        .filter(|p| covers(&p.mean_ms, MEAN_MS))
        .count();
    let p99 = points.iter().filter(|p| covers(&p.p99_ms, P99_MS)).count();
    let simulated: f64 = points.iter().map(|p| precision(p).simulated_s).sum();
    let capped = points.iter().filter(|p| precision(p).capped).count();
    eprintln!(
        "M/M/8 at 5%: {seeds} seeds, mean covered {mean} ({:.1}%), p99 covered {p99} ({:.1}%), {:.0} simulated s on average, {capped} capped",
        100.0 * mean as f64 / seeds as f64,
        100.0 * p99 as f64 / seeds as f64,
        simulated / seeds as f64
    );
    for p in &points {
        let reached = precision(p);
        assert_eq!(p.runs.len(), 1);
        assert!((10..=32).contains(&reached.sections), "{reached:?}");
        if !reached.capped {
            assert!(
                reached.mean_pct.unwrap() <= 5.0 && reached.p99_pct.unwrap() <= 5.0,
                "{reached:?}"
            );
        }
        // What the precision says is the interval the point reports.
        let p99_pct = 100.0 * p.p99_ms.ci95 / p.p99_ms.mean;
        assert!(
            (reached.p99_pct.unwrap() - p99_pct).abs() < 1e-3,
            "{reached:?} vs {p99_pct}"
        );
    }
    // Honest 95% intervals cover in fewer than 88 of 100 seeds with
    // probability 0.3%; the previous rule (looks every 20% more, p99 by
    // section p99s) covered p99 in 64 of these 100.
    let floor = (seeds as f64 * 0.88).floor() as usize;
    assert!(
        mean >= floor && p99 >= floor,
        "mean {mean}, p99 {p99} of {seeds}"
    );
}

fn scaletwin(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_scaletwin"))
        .args(args)
        .output()
        .expect("run scaletwin")
}

#[test]
fn the_precision_flag_sets_run_precision_and_reports_what_it_reached() {
    let mm8 = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/mm8.ron");
    let one = "components.server.concurrency=8";
    let out = scaletwin(&[
        "sweep",
        mm8,
        "--vary",
        one,
        "--precision",
        "10%",
        "--json",
        "-",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: scaletwin::report::SweepReport = serde_json::from_slice(&out.stdout).unwrap();
    let reached = report.points[0].precision.as_ref().unwrap();
    assert_eq!(reached.target_pct, 10.0);
    let sets = &report.provenance.as_ref().unwrap().sets;
    assert_eq!(sets, &["run.precision=\"10%\"".to_owned()]);
    let md = scaletwin(&["sweep", mm8, "--vary", one, "--precision", "10%"]);
    let text = String::from_utf8_lossy(&md.stdout);
    assert!(
        text.contains("Run to a precision of 10%") && text.contains("| #0 |"),
        "{text}"
    );
    for bad in ["0%", "5", "120%"] {
        let out = scaletwin(&["stages", mm8, "--precision", bad]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {err}");
        assert!(
            err.contains("--precision") && err.contains("more than 0%"),
            "{err}"
        );
    }
    let plan = scaletwin(&["plan", mm8, "--precision", "5%"]);
    assert_eq!(plan.status.code(), Some(2));
}

#[test]
fn run_honours_the_precision_and_reports_the_run_up_to_its_stop() {
    let mm8 = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/mm8.ron");
    let out = scaletwin(&["run", mm8, "--precision", "30%", "--json", "-"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: scaletwin::Report = serde_json::from_slice(&out.stdout).unwrap();
    let p = report.precision.as_ref().expect("ran to a precision");
    assert_eq!(p.reached.target_pct, 30.0);
    assert!(!p.reached.capped);
    assert!(p.reached.mean_pct.unwrap() <= 30.0 && p.reached.p99_pct.unwrap() <= 30.0);
    // One run, one warm-up: stopped at a checkpoint (every 48000/640 = 75 s
    // after the 2000 s warm-up), the first look at a twentieth of 48000 s
    // at the earliest, before the duration as written.
    let stop = p.reached.simulated_s;
    assert_eq!(stop, report.simulated_s);
    assert!((4400.0..50_000.0).contains(&stop), "{p:?}");
    assert!(((stop - 2000.0) / 75.0 - ((stop - 2000.0) / 75.0).round()).abs() < 1e-9);
    assert_eq!(report.seed, 7);
    assert_eq!(p.mean_ms.n, p.reached.sections);
    // A sweep of the file to the same precision: one run per point.
    let with = parse(
        &std::fs::read_to_string(mm8)
            .unwrap()
            .replace("interval: \"1h\")", "interval: \"1h\", precision: \"30%\")"),
        "mm8.ron",
    )
    .unwrap();
    let swept = point(&with);
    assert_eq!(swept.runs.len(), 1);
    assert!(!precision(&swept).capped, "{:?}", precision(&swept));
    // The table says so; without a precision, no such section.
    let text = String::from_utf8_lossy(&scaletwin(&["run", mm8, "--precision", "30%"]).stdout)
        .into_owned();
    assert!(
        text.contains("Run to a precision of 30%: stopped at")
            && text.contains("sections")
            && text.contains("MSER-5"),
        "{text}"
    );
    let plain = scaletwin(&["run", mm8, "--duration", "3000s", "--json", "-"]);
    let plain: scaletwin::Report = serde_json::from_slice(&plain.stdout).unwrap();
    assert!(plain.precision.is_none());
    let bad = scaletwin(&["run", mm8, "--precision", "0%"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn a_looser_precision_stops_sooner_and_an_unreachable_one_at_the_duration_as_written() {
    let loose = point(&mm8(3, "30%", ""));
    let reached = precision(&loose);
    assert!(!reached.capped && reached.target_pct == 30.0, "{reached:?}");
    assert!(reached.mean_pct.unwrap() <= 30.0 && reached.p99_pct.unwrap() <= 30.0);
    assert_eq!(loose.runs.len(), 1);
    assert!((loose.runs[0].warmup_s - 2000.0).abs() < 1e-6);
    assert!(reached.simulated_s < 50_000.0, "{reached:?}");
    let tight = point(&mm8(3, "5%", ""));
    assert!(precision(&tight).simulated_s > reached.simulated_s);
    let unreachable = point(&mm8(3, "0.1%", ""));
    let capped = precision(&unreachable);
    assert!(capped.capped, "{capped:?}");
    assert!(capped.mean_pct.unwrap() > 0.1 || capped.p99_pct.unwrap() > 0.1);
    // The cap: the run as written, 50000 s, its one warm-up included.
    assert!((capped.simulated_s - 50_000.0).abs() < 1e-6, "{capped:?}");
    // Up to the loose stop, every run is the same run: its interval
    // estimates are of the same data whatever the target.
    assert_eq!(unreachable.runs[0].seed, loose.runs[0].seed);
}

#[test]
fn the_stopping_point_is_the_same_at_one_and_two_threads() {
    // Two stages meet their objective and run to the precision; the third
    // (ρ = 1.5) fails it and stops once that is decided.
    let s = mm8(
        11,
        "5%",
        r#"stages: [("half", 3.6), ("full", 7.2), ("over", 12.0)], slo: (p99: "10s", error_rate: 0.01),"#,
    );
    let in_pool = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let stages = sweep::stages(&s, "mm8.ron", BATCH, None).unwrap();
            let grid = sweep::sweep(
                &s,
                "mm8.ron",
                &["components.server.concurrency=8,9".to_owned()],
                BATCH,
                None,
                None,
            )
            .unwrap();
            serde_json::to_string(&(stages, grid)).unwrap()
        })
    };
    let one = in_pool(1);
    assert_eq!(one, in_pool(2));
    let (stages, _): (
        scaletwin::report::StagesReport,
        scaletwin::report::SweepReport,
    ) = serde_json::from_str(&one).unwrap();
    for row in &stages.stages {
        let reached = row.precision.as_ref().unwrap();
        assert_eq!(row.runs.len(), 1);
        assert_eq!(row.p99_ms.n, reached.sections);
        assert_eq!(reached.slo_decided.is_some(), row.name == "over");
    }
    // Half the load is easier to pin down than ρ = 0.9.
    let used = |i: usize| stages.stages[i].precision.as_ref().unwrap().simulated_s;
    assert!(used(0) <= used(1), "{} vs {}", used(0), used(1));
}

/// An HPA on CPU at 60% over pods of one worker (1 to 20 pods); 100 req/s
/// of 39 ms of work: 6.5 pods at target, so it settles at 7.
fn hpa_stage(precision: &str) -> Scenario {
    let text = format!(
        r#"Scenario(
            name: "settle", seed: 8,
            run: (duration: "120s", warmup: "30s", interval: "10s"{precision}),
            workload: (users: 1000, rps_per_user: 0.1, mix: {{ "get": 1.0 }}),
            components: [
                LoadBalancer(name: "lb", targets: {{ "api": 1 }}),
                Deployment(name: "api", replicas: 1, concurrency: 1, hpa: (min: 1, max: 20, cpu: 60)),
            ],
            endpoints: {{ "get": [Lb("lb"), Compute(Const("39ms"))] }},
            stages: [("1K", 1000)],
        )"#
    );
    parse(&text, "settle.ron").unwrap()
}

#[test]
fn a_stage_run_to_a_precision_pilots_shortly_and_starts_where_its_runs_stay() {
    // The pilot as written: 120 s (8 syncs of 15 s, the duration); to a
    // precision: the warm-up and a twentieth, 30 + 90/20 = 34.5 s, syncs
    // every 4.3 s.
    for precision in ["", r#", precision: "10%""#] {
        let r = sweep::stages(&hpa_stage(precision), "settle.ron", BATCH, None).unwrap();
        let span = &r.stages[0].runs[0].autoscaled[0];
        assert_eq!((span.start, span.end), (7, 7), "{precision}: {span:?}");
    }
    // Stage 3's own ladder up to 100K users. The fixed ladder's 60 s pilots
    // start them at 6, 6, 6 and 30 replicas, and its 100K run climbs from
    // 30 to 35; the short pilots start at 6, 6, 6 and 36, where every run
    // stays: where the long pilot's start holds, the short one's is the same.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/stage3-horizontal.ron"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let ladder = |precision: &str| {
        let run = format!(r#"replications: 2{precision})"#);
        let mut s = parse(
            &text.replace("replications: 2)", &run),
            "stage3-horizontal.ron",
        )
        .unwrap();
        s.stages = Some(
            [("100", 100.0), ("1K", 1e3), ("10K", 1e4), ("100K", 1e5)]
                .iter()
                .map(|(n, u)| ((*n).to_owned(), *u))
                .collect(),
        );
        s
    };
    let spans = |s: &Scenario| -> Vec<(u32, u32)> {
        let r = sweep::stages(s, "stage3-horizontal.ron", BATCH, None).unwrap();
        r.stages
            .iter()
            .map(|row| {
                let first = &row.runs[0].autoscaled[0];
                assert!(row
                    .runs
                    .iter()
                    .all(|run| run.autoscaled[0].start == first.start));
                (first.start, first.end)
            })
            .collect()
    };
    let fixed = spans(&ladder(""));
    assert_eq!(fixed, [(6, 6), (6, 6), (6, 6), (30, 35)]);
    let short = spans(&ladder(r#", precision: "5%""#));
    assert_eq!(short, [(6, 6), (6, 6), (6, 6), (36, 36)]);
}

#[test]
fn stages_run_to_5_percent_unless_replications_or_a_precision_say_otherwise() {
    let mm8 = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/mm8.ron");
    let ladder = r#"stages=[("a", 100.0)]"#;
    let stages = |extra: &[&str]| {
        let mut args = vec!["stages", mm8, "--set", ladder, "--json", "-", "-q"];
        args.extend(extra);
        let out = scaletwin(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<scaletwin::report::StagesReport>(&out.stdout).unwrap()
    };
    let sets = |r: &scaletwin::report::StagesReport| r.provenance.as_ref().unwrap().sets.clone();
    // Nothing said: one run to 5%, and the provenance says so.
    let default = stages(&[]);
    let reached = default.stages[0].precision.as_ref().unwrap();
    assert_eq!(reached.target_pct, 5.0);
    assert_eq!(default.stages[0].runs.len(), 1);
    assert_eq!(sets(&default)[1..], ["run.precision=\"5%\"".to_owned()]);
    // --precision chooses another target.
    let ten = stages(&["--precision", "10%"]);
    assert_eq!(ten.stages[0].precision.as_ref().unwrap().target_pct, 10.0);
    // --replications runs that many fixed replications instead.
    let fixed = stages(&["--replications", "2"]);
    assert!(fixed.stages[0].precision.is_none());
    assert_eq!(fixed.stages[0].runs.len(), 2);
    assert_eq!(sets(&fixed).len(), 1, "only the ladder: {:?}", sets(&fixed));
}

#[test]
fn compare_to_a_precision_differs_by_the_rows_intervals_not_by_runs_without_one() {
    let eight = mm8_for(3, "20%", "", "50000s", "2000s");
    let nine = mmc_for(9, 3, "20%", "", "50000s", "2000s");
    let pair = [(eight, "mm8.ron".to_owned()), (nine, "mm9.ron".to_owned())];
    let r = sweep::compare(&pair, false, BATCH, None).unwrap();
    let stage = &r.stages[0];
    let (base, other) = (&stage.rows[0], &stage.rows[1]);
    assert!(base.precision.is_some() && other.precision.is_some());
    let d = &stage.diffs[0];
    // The difference of the rows' estimates (after each run's pilot), with
    // their half-widths combined: one run each has no paired interval.
    for (diff, a, b) in [
        (d.p99_ms, other.p99_ms, base.p99_ms),
        (d.mean_ms, other.mean_ms, base.mean_ms),
    ] {
        assert!((diff.mean - (a.mean - b.mean)).abs() < 1e-5, "{diff:?}");
        assert!((diff.ci95 - a.ci95.hypot(b.ci95)).abs() < 1e-5, "{diff:?}");
        assert!(diff.ci95 > 0.0 && diff.n >= 10, "{diff:?}");
    }
    // A ninth server takes about 1.2 s off the mean sojourn at rho 0.9
    // (Erlang C: 1.877 s against 1.23 s at 8/9 of the load per server).
    assert!(d.mean_ms.mean + d.mean_ms.ci95 < 0.0, "{:?}", d.mean_ms);
}

/// A ladder of `stages` identical stages of M/M/`servers` (μ = 1/s) at
/// `users` arrivals a second, each with `queue_limit` (or none), judged by
/// `slo`, to 5% over 200000 s with 1000 s of warm-up. Each stage runs with
/// its own seed: the stages are independent runs of one model.
fn ladder_of(servers: u32, users: f64, queue_limit: &str, slo: &str, stages: u32) -> Scenario {
    let ladder: Vec<String> = (0..stages)
        .map(|k| format!(r#"("s{k}", {users})"#))
        .collect();
    let text = format!(
        r#"Scenario(
            name: "ladder", seed: 5,
            run: (duration: "200000s", warmup: "1000s", interval: "1h", precision: "5%"),
            workload: (users: {users}, rps_per_user: 1.0, mix: {{ "serve": 1.0 }}),
            components: [
                LoadBalancer(name: "lb", targets: {{ "server": 1 }}),
                Deployment(name: "server", replicas: 1, concurrency: {servers}{queue_limit}),
            ],
            endpoints: {{ "serve": [Lb("lb"), Compute(Exp("1s"))] }},
            slo: {slo},
            stages: [{}],
        )"#,
        ladder.join(", ")
    );
    parse(&text, "ladder.ron").unwrap()
}

#[test]
fn a_failing_stage_stops_once_its_slo_is_decided_and_one_at_its_threshold_does_not() {
    // ρ = 1.5 on M/M/8: the backlog grows without bound (no steady state),
    // so the share of requests slower than 10 s climbs to 1.
    let over = ladder_of(8, 12.0, "", r#"(p99: "10s", error_rate: 0.01)"#, 1);
    let r = sweep::stages(&over, "ladder.ron", BATCH, None).unwrap();
    let row = &r.stages[0];
    let reached = row.precision.as_ref().unwrap();
    let decided = reached.slo_decided.as_ref().expect("decided");
    assert_eq!(decided.indicator, "not good");
    assert!(decided.lower > 0.01 && decided.share >= decided.lower);
    assert!(!row.slo_met && !reached.capped);
    assert_eq!(r.first_failing_stage.as_deref(), Some("s0"));
    // At the first test: the measured requests start to finish after 500 s
    // (half the warm-up, at ρ - 1 = 0.5 s of backlog per second), then ten
    // checkpoints (199000 / 640 = 311 s apart) with some finished.
    assert!(
        reached.simulated_s <= 1000.0 + 500.0 + 11.0 * 199_000.0 / 640.0,
        "{reached:?}"
    );
    // M/M/8 at ρ = 0.9 with the objective at its exact p99: 1% of requests
    // are not good, as many as the objective allows. Neither side is
    // decided; the stages run to the precision, as a passing stage does.
    let at = ladder_of(8, 7.2, "", r#"(p99: "7087ms", error_rate: 0.01)"#, 4);
    let r = sweep::stages(&at, "ladder.ron", BATCH, None).unwrap();
    for row in &r.stages {
        let reached = row.precision.as_ref().unwrap();
        assert!(reached.slo_decided.is_none(), "{}: {reached:?}", row.name);
    }
}

#[test]
fn a_stage_stopped_by_its_precision_soon_after_a_long_warmup_is_steady() {
    // M/M/8 at ρ = 0.5 after 100000 s of warm-up, to 20%: the pilot (a
    // twentieth to a quarter of the 180000 s span) plans the least length,
    // twice itself, so the run measures less than its warm-up. That is
    // where the precision stopped it, not a transient: the row is steady
    // (no autoscaler moves either).
    let text = r#"Scenario(
        name: "calm", seed: 3,
        run: (duration: "280000s", warmup: "100000s", interval: "1h", precision: "20%"),
        workload: (users: 4.0, rps_per_user: 1.0, mix: { "serve": 1.0 }),
        components: [
            LoadBalancer(name: "lb", targets: { "server": 1 }),
            Deployment(name: "server", replicas: 1, concurrency: 8),
        ],
        endpoints: { "serve": [Lb("lb"), Compute(Exp("1s"))] },
        slo: (p99: "60s", error_rate: 0.01),
        stages: [("s0", 4.0)],
    )"#;
    let s = parse(text, "calm.ron").unwrap();
    let r = sweep::stages(&s, "calm.ron", BATCH, None).unwrap();
    let row = &r.stages[0];
    let reached = row.precision.as_ref().unwrap();
    assert!(!reached.capped, "{reached:?}");
    assert!(reached.simulated_s < 2.0 * 100_000.0, "{reached:?}");
    // The fixed-length rule would call it "warm-up over half the run".
    assert_eq!(
        row.runs[0].unsteady().as_deref(),
        Some("warm-up over half the run")
    );
    assert_eq!(row.unsteady, None, "{row:?}");
}

#[test]
fn the_error_share_bound_holds_the_exact_mm1k_loss_probability() {
    // M/M/1/5 (one worker, a queue of 4) at ρ = 0.9: an arrival finds the
    // system full with probability (1-ρ)ρ⁵/(1-ρ⁶) = 0.126022. Against an
    // error objective of 5%, every stage is decided on its failures (as
    // failed, or as not good: failures are never good).
    let exact = 0.1 * 0.9_f64.powi(5) / (1.0 - 0.9_f64.powi(6));
    assert!((exact - 0.126022).abs() < 1e-6);
    let s = ladder_of(
        1,
        0.9,
        ", queue_limit: 4",
        r#"(p99: "1h", error_rate: 0.05)"#,
        20,
    );
    let r = sweep::stages(&s, "ladder.ron", BATCH, None).unwrap();
    let mut shares = Vec::new();
    for row in &r.stages {
        let reached = row.precision.as_ref().unwrap();
        let decided = reached.slo_decided.as_ref().expect("decided");
        // No success takes an hour, so both shares are the loss share:
        // the first look to decide may do it on either objective.
        assert!(
            matches!(
                (decided.indicator.as_str(), decided.limit),
                ("failed", 0.05) | ("not good", 0.01)
            ),
            "{}: {decided:?}",
            row.name
        );
        // The one-sided 99.9% bound lies below the exact share.
        assert!(decided.lower <= exact, "{}: {decided:?}", row.name);
        assert!(!row.slo_met);
        shares.push(decided.share);
    }
    // The shares scatter around the exact one.
    let mean = shares.iter().sum::<f64>() / shares.len() as f64;
    assert!((mean - exact).abs() < 0.01, "{mean} vs {exact}");
}
