//! Stages, cost, comparisons, sweeps, statistics and the regression gate.

use scaletwin::cost::{cost, Usage};
use scaletwin::metrics::stats;
use scaletwin::report::{StageRow, StagesReport};
use scaletwin::scenario::{apply_overrides, read, validate, Scenario};
use scaletwin::sweep::{self, Batch};
use std::path::{Path, PathBuf};

fn scenario(path: &str, sets: &[&str]) -> Scenario {
    let (s, _) = read(Path::new(env!("CARGO_MANIFEST_DIR")).join(path).as_path()).unwrap();
    let mut s =
        apply_overrides(&s, &sets.iter().map(|x| x.to_string()).collect::<Vec<_>>()).unwrap();
    // A shortened run drops the faults that would start after its end.
    let end = s.run.duration;
    s.faults.retain(|f| f.at() < end);
    s
}

fn every_scenario() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "ron"))
            .collect();
    v.sort();
    v
}

const SHORT: Batch = Batch {
    replications: 2,
    max_requests: 20_000,
    allow_large: false,
};

fn fixed(spot: f64) -> Scenario {
    scenario(
        "scenarios/stage2-managed-db-cache.ron",
        &[
            "run.duration=30s",
            "components.app.replicas=3",
            &format!("components.app.spot={spot}"),
            // The volume's bill has its own test (data_size).
            "components.pg.data_size=None",
        ],
    )
}

#[test]
fn fixed_deployment_costs_replicas_times_price_times_hours() {
    let s = fixed(0.0);
    let plan = scaletwin::scenario::validate(&s).unwrap();
    let report = scaletwin::simulate(&plan);
    let c = cost(&validate(&s).unwrap(), &Usage::from_report(&report)).unwrap();
    let app = c.by_component.iter().find(|c| c.name == "app").unwrap();
    // m6i.large on demand: 0.096 USD/h in the bundled table.
    assert!((app.on_demand_per_hour - 3.0 * 0.096).abs() < 1e-12);
    assert_eq!(app.spot_per_hour, 0.0);
    assert!((app.per_month - 3.0 * 0.096 * 730.0).abs() < 1e-9);
    let pg = c.by_component.iter().find(|c| c.name == "pg").unwrap();
    // db.r6g.xlarge: 0.45 USD/h.
    assert_eq!(pg.on_demand_per_hour, 0.45);
    // Half on spot: lower by half the pods times the price difference.
    let s2 = fixed(0.5);
    let c2 = cost(&validate(&s2).unwrap(), &Usage::from_report(&report)).unwrap();
    let saved = c.per_hour - c2.per_hour;
    assert!(
        (saved - 1.5 * (0.096 - 0.038)).abs() < 1e-9,
        "saved {saved}"
    );
    assert!((c2.spot_per_month - 1.5 * 0.038 * 730.0).abs() < 1e-6);
    // Per million requests served successfully.
    let served_per_hour = report.summary.throughput_rps * 3600.0;
    let want = c.per_hour / served_per_hour * 1e6;
    assert!((c.per_million_requests - want).abs() < 1e-3 * want);
}

#[test]
fn each_deployment_is_billed_the_pods_its_own_scaling_report_shows() {
    // Seven deployments of different sizes: the bill reads deployment i's
    // pod-seconds at index i of the report, so each line shows its own count.
    let s = scenario("scenarios/stage4-services.ron", &["run.duration=20s"]);
    let plan = scaletwin::scenario::validate(&s).unwrap();
    let report = scaletwin::simulate(&plan);
    let c = cost(&validate(&s).unwrap(), &Usage::from_report(&report)).unwrap();
    assert_eq!(report.scaling.len(), 7);
    let mut counts = Vec::new();
    for x in &report.scaling {
        let pods = (x.pod_seconds_on_demand + x.pod_seconds_spot) / report.simulated_s;
        let bill = c.by_component.iter().find(|b| b.name == x.name).unwrap();
        let line = bill.items.iter().find(|i| i.item == "pods").unwrap();
        assert!(
            line.billed_as.starts_with(&format!("{pods:.2} x ")),
            "{}: {} vs {pods:.2} pods",
            x.name,
            line.billed_as
        );
        counts.push(format!("{pods:.2}"));
    }
    counts.sort();
    counts.dedup();
    assert!(
        counts.len() > 1,
        "the deployments differ in size: {counts:?}"
    );
}

#[test]
fn cost_per_million_counts_only_requests_served() {
    // Three pods at over twice their capacity: the bill is the same, but most
    // requests fail, so each served one costs more than at the offered rate.
    let s = scenario(
        "scenarios/stage2-managed-db-cache.ron",
        &["run.duration=20s", "workload.users=150000"],
    );
    let plan = scaletwin::scenario::validate(&s).unwrap();
    let report = scaletwin::simulate(&plan);
    assert!(
        report.summary.error_rate > 0.3,
        "{}",
        report.summary.error_rate
    );
    let c = cost(&validate(&s).unwrap(), &Usage::from_report(&report)).unwrap();
    let at_offered = c.per_hour / (report.summary.offered_rps * 3600.0) * 1e6;
    let served = report.summary.throughput_rps * 3600.0;
    assert!((c.per_million_requests - c.per_hour / served * 1e6).abs() < 1e-3);
    assert!(c.per_million_requests > 1.3 * at_offered);
}

#[test]
fn scheduled_shutdown_shows_its_savings() {
    let s = scenario(
        "scenarios/stage2-managed-db-cache.ron",
        &[
            "run.duration=20s",
            r#"schedule={"off":"19:00-07:00","weekends":false}"#,
            // A volume is billed while its instance is stopped too.
            "components.pg.data_size=None",
        ],
    );
    let plan = scaletwin::scenario::validate(&s).unwrap();
    let report = scaletwin::simulate(&plan);
    let c = cost(&validate(&s).unwrap(), &Usage::from_report(&report)).unwrap();
    assert!((c.per_month - c.per_hour * 730.0 * 0.5).abs() < 1e-3);
    assert!((c.schedule_savings_per_month - c.per_hour * 730.0 * 0.5).abs() < 1e-3);
}

#[test]
fn stage1_breaks_its_slo_before_stage3() {
    let batch = Batch {
        replications: 1,
        max_requests: 100_000,
        allow_large: false,
    };
    let one = sweep::stages(
        &scenario("scenarios/stage1-single-server.ron", &["run.duration=20s"]),
        "s1",
        batch,
        None,
    )
    .unwrap();
    let three = sweep::stages(
        &scenario("scenarios/stage3-horizontal.ron", &["run.duration=20s"]),
        "s3",
        batch,
        None,
    )
    .unwrap();
    let first = |r: &StagesReport| {
        r.stages
            .iter()
            .position(|s| !s.slo_met)
            .unwrap_or(usize::MAX)
    };
    assert!(
        first(&one) < first(&three),
        "{:?} vs {:?}",
        one.first_failing_stage,
        three.first_failing_stage
    );
}

#[test]
fn the_named_bottleneck_is_the_station_that_reaches_full_utilization_first() {
    // The worker-slot model (no CPU model on the server): utilization then
    // grows in proportion to users below saturation, as the extrapolation
    // assumes. (With the box's 2 cores shared, CPU contention lengthens the
    // workers' hold near saturation and the server fills just before the
    // database's connections do.)
    let base = scenario(
        "scenarios/stage1-single-server.ron",
        &[
            "run.duration=30s",
            "run.warmup=5s",
            "components.server.resources=None",
        ],
    );
    let batch = Batch {
        replications: 1,
        max_requests: 200_000,
        allow_large: false,
    };
    let r = sweep::stages(&base, "s1", batch, None).unwrap();
    let b = r.bottleneck.clone().unwrap();
    // A fine ladder around the predicted saturation point: below it no
    // station is full; just above it the named one is.
    let mut s = base.clone();
    s.stages = Some(vec![
        ("below".into(), b.saturates_at_users * 0.8),
        ("above".into(), b.saturates_at_users * 1.15),
    ]);
    let fine = sweep::stages(&s, "s1", batch, None).unwrap();
    let util = |row: &StageRow, name: &str| row.utilization.iter().find(|u| u.0 == name).unwrap().1;
    for (name, u) in &fine.stages[0].utilization {
        assert!(
            *u < 0.97,
            "{name} already full below the predicted point: {u}"
        );
    }
    assert!(
        util(&fine.stages[1], &b.station) > 0.97,
        "{:?}",
        fine.stages[1].utilization
    );
}

#[test]
fn an_autoscaled_deployments_bottleneck_is_its_cpu_at_the_hpas_maximum() {
    // Each request is 10 ms of CPU; the HPA (50% of a 250m request) adds
    // pods up to 10, each limited to 0.5 cores: 5 cores serve 500 req/s,
    // so the CPU runs out at 500 users. The workers (64 a pod) stay nearly
    // idle, and the HPA keeps their utilization flat as users grow: by
    // their utilization alone the app would saturate past 10,000 users.
    let text = |stages: &str| {
        format!(
            r#"Scenario(
            name: "hpa-cpu", seed: 5,
            run: (duration: "40s", warmup: "10s", interval: "5s"),
            workload: (users: 100, rps_per_user: 1.0, mix: {{ "work": 1.0 }}),
            components: [
                LoadBalancer(name: "lb", targets: {{ "app": 1 }}),
                Deployment(name: "app", replicas: 2, concurrency: 64,
                           resources: (requests: (cpu: "250m", memory: "256Mi"), limits: (cpu: "500m", memory: "512Mi")),
                           hpa: (min: 2, max: 10, cpu: 50),
                           nodes: (cpu: 2.0, memory_mib: 8192)),
            ],
            endpoints: {{ "work": [Lb("lb"), Compute(Const("10ms"))] }},
            stages: [{stages}],
        )"#
        )
    };
    let parse =
        |t: String| scaletwin::scenario::parse(&t, "hpa-cpu.ron").expect("the scenario parses");
    let batch = Batch {
        replications: 1,
        max_requests: 100_000,
        allow_large: false,
    };
    let ladder = parse(text(r#"("50", 50), ("100", 100), ("200", 200)"#));
    let r = sweep::stages(&ladder, "hpa-cpu.ron", batch, None).unwrap();
    let b = r.bottleneck.clone().unwrap();
    assert_eq!(b.station, "app");
    assert!((b.saturates_at_users / 500.0 - 1.0).abs() < 0.1, "{b:?}");
    let top = r.stages.last().unwrap();
    let u = top.utilization[0].1;
    assert!(200.0 / u > 10_000.0, "the workers' utilization {u}");
    // Truth: below the point the app keeps up with its offered rate, above
    // it it cannot.
    let around = parse(text(r#"("below", 400), ("above", 600)"#));
    let fine = sweep::stages(&around, "hpa-cpu.ron", batch, None).unwrap();
    let kept_up = |row: &StageRow| row.throughput_rps.mean / row.offered_rps;
    assert!(
        kept_up(&fine.stages[0]) > 0.97,
        "{:?}",
        fine.stages[0].throughput_rps
    );
    assert!(
        kept_up(&fine.stages[1]) < 0.9,
        "{:?}",
        fine.stages[1].throughput_rps
    );
}

#[test]
fn every_scenario_runs_through_stages_and_compare() {
    let files = every_scenario();
    assert!(files.len() >= 5);
    let mut all = Vec::new();
    for f in &files {
        let s = scenario(f.to_str().unwrap(), &["run.duration=10s", "run.warmup=2s"]);
        let r = sweep::stages(&s, "x", SHORT, None).unwrap();
        assert_eq!(
            r.stages.len(),
            s.stages.as_ref().map_or(6, Vec::len),
            "{}",
            f.display()
        );
        all.push((s, f.display().to_string()));
    }
    let c = sweep::compare(&all, true, SHORT, None).unwrap();
    assert_eq!(c.stages.len(), 6);
    assert_eq!(c.stages[0].diffs.len(), files.len() - 1);
}

#[test]
fn comparing_an_architecture_with_itself_gives_zero_differences() {
    let s = scenario(
        "scenarios/stage2-managed-db-cache.ron",
        &["run.duration=10s", "run.warmup=2s"],
    );
    let c = sweep::compare(
        &[(s.clone(), "a".into()), (s, "b".into())],
        false,
        SHORT,
        None,
    )
    .unwrap();
    let d = &c.stages[0].diffs[0];
    assert_eq!(
        (d.p99_ms.mean, d.p99_ms.ci95, d.cost_per_month.mean),
        (0.0, 0.0, 0.0)
    );
    // Both files hold the same scenario name: the rows are named by file.
    assert_eq!(c.architectures, ["a", "b"]);
    assert_eq!(c.stages[0].cheapest_meeting_slo.as_deref(), Some("a"));
}

#[test]
fn sweeps_are_identical_on_any_thread_count_and_as_merged_partitions() {
    let s = scenario(
        "scenarios/stage2-managed-db-cache.ron",
        &["run.duration=10s", "run.warmup=2s"],
    );
    let vary = vec![
        "components.app.replicas=2,3,4".to_string(),
        "workload.users=5000,20000".to_string(),
    ];
    let run = |threads: usize, part: Option<(usize, usize)>| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| sweep::sweep(&s, "x", &vary, SHORT, part, None).unwrap())
    };
    let one = run(1, None);
    let two = run(2, None);
    assert_eq!(one.points.len(), 6);
    assert_eq!(
        serde_json::to_string(&one).unwrap(),
        serde_json::to_string(&two).unwrap()
    );
    let merged = sweep::merge(vec![run(2, Some((2, 2))), run(1, Some((1, 2)))]).unwrap();
    assert_eq!(
        serde_json::to_string(&one).unwrap(),
        serde_json::to_string(&merged).unwrap()
    );
    assert!(
        sweep::merge(vec![run(1, Some((1, 2)))]).is_err(),
        "an incomplete grid is refused"
    );
}

#[test]
fn t_intervals_and_mser5() {
    assert_eq!(stats::t975(1), 12.706);
    assert!((stats::t975(1000) - 1.962).abs() < 1e-3);
    let e = stats::Estimate::of(&[1.0, 2.0, 3.0]);
    assert_eq!(e.mean, 2.0);
    assert!((e.ci95 - 4.303 * (1.0f64 / 3.0).sqrt()).abs() < 1e-6);
    // A transient of 20 high intervals, then noise around 1.
    let mut xs: Vec<f64> = (0..20).map(|i| 10.0 - i as f64 * 0.4).collect();
    xs.extend((0..100).map(|i| 1.0 + if i % 2 == 0 { 0.1 } else { -0.1 }));
    let d = stats::mser5(&xs);
    assert!((15..=25).contains(&d), "{d}");
    assert_eq!(stats::mser5(&[1.0; 50]), 0);
}

#[test]
fn a_bad_price_or_instance_is_a_problem_naming_the_field() {
    let s = scenario(
        "scenarios/stage2-managed-db-cache.ron",
        &["components.app.instance=m9.huge"],
    );
    let problems = scaletwin::scenario::validate(&s).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.path == "components[1].instance" && p.message.contains("m6i.large")),
        "{problems:?}"
    );
    let s = scenario(
        "scenarios/stage2-managed-db-cache.ron",
        &[r#"prices={"table":"nope"}"#],
    );
    let problems = scaletwin::scenario::validate(&s).unwrap_err();
    assert!(problems
        .iter()
        .any(|p| p.path == "prices.table" && p.message.contains("aws-2025-01")));
}

#[test]
fn snapshots_of_short_runs_of_every_scenario() {
    // Whole runs, as the files say (all of them take a few seconds together).
    for f in every_scenario() {
        let s = scenario(f.to_str().unwrap(), &[]);
        let plan = scaletwin::scenario::validate(&s).unwrap();
        let r = scaletwin::simulate(&plan);
        let name = f.file_stem().unwrap().to_string_lossy().to_string();
        // The whole report: every section and the time series.
        insta::assert_json_snapshot!(name, r);
    }
}

fn scaletwin(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_scaletwin"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run scaletwin")
}

#[test]
fn check_exits_1_on_a_broken_slo_or_a_regression() {
    let dir = std::env::temp_dir().join(format!("scaletwin-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (a, b) = (dir.join("a.json"), dir.join("b.json"));
    let run = |out: &Path, sets: &[&str]| {
        let mut args = vec![
            "run",
            "scenarios/stage2-managed-db-cache.ron",
            "-q",
            "--duration",
            "20s",
            "--json",
            out.to_str().unwrap(),
        ];
        for s in sets {
            args.extend(["--set", s]);
        }
        assert!(scaletwin(&args).status.success());
    };
    run(&a, &[]);
    run(&b, &["components.pg.connections=2"]);
    let ok = scaletwin(&[
        "check",
        a.to_str().unwrap(),
        "--slo",
        "p99=500ms,error_rate=0.01",
        "--baseline",
        a.to_str().unwrap(),
    ]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    let bad = scaletwin(&[
        "check",
        b.to_str().unwrap(),
        "--baseline",
        a.to_str().unwrap(),
        "--tolerance",
        "0.1",
    ]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stdout).contains("regression: p99_ms"));
    let slo = scaletwin(&["check", a.to_str().unwrap(), "--slo", "p99=1ms"]);
    assert_eq!(slo.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&slo.stdout).contains("SLO: p99"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn graph_prints_dot_and_stages_writes_a_report_directory() {
    let g = scaletwin(&["graph", "scenarios/stage4-services.ron"]);
    assert!(g.status.success());
    let dot = String::from_utf8_lossy(&g.stdout);
    assert!(dot.contains("digraph") && dot.contains("billing-db"));
    let dir = std::env::temp_dir().join(format!("scaletwin-out-{}", std::process::id()));
    let out = scaletwin(&[
        "stages",
        "scenarios/stage1-single-server.ron",
        "-q",
        "--max-requests",
        "20000",
        "--set",
        "run.duration=10s",
        "--set",
        "run.warmup=2s",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        "report.json",
        "stages.csv",
        "report.md",
        "latency.svg",
        "cost.svg",
        "cost_per_million.svg",
        "cost_by_component.svg",
        "errors.svg",
        "throughput.svg",
        "utilization.svg",
        "report.html",
    ] {
        assert!(dir.join(f).exists(), "{f}");
    }
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("latency, ms"));
    // Seven charts and the topology.
    assert_eq!(html.matches("<svg ").count(), 8);
    let by_component = std::fs::read_to_string(dir.join("cost_by_component.svg")).unwrap();
    assert!(by_component.contains("monthly cost by component vs users"));
    let latency = std::fs::read_to_string(dir.join("latency.svg")).unwrap();
    for text in [
        "active users (log scale)",
        "latency, ms (log scale)",
        "p50",
        "p99",
    ] {
        assert!(latency.contains(text), "{text}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `run --out` draws every time-series chart with the faults marked, and the
/// cache tiers' hit ratios; the same run writes the same bytes.
#[test]
fn run_writes_charts_with_faults_marked_and_cache_tiers() {
    let base = std::env::temp_dir().join(format!("scaletwin-run-out-{}", std::process::id()));
    let write = |name: &str| {
        let dir = base.join(name);
        let out = scaletwin(&[
            "run",
            "scenarios/data-cache-tiers.ron",
            "-q",
            "--out",
            dir.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    };
    let (a, b) = (write("a"), write("b"));
    let read = |dir: &std::path::Path, f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let time_series = [
        "errors.svg",
        "throughput.svg",
        "latency.svg",
        "utilization.svg",
        "queue.svg",
        "replicas.svg",
    ];
    for f in time_series {
        let svg = read(&a, f);
        assert!(
            svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"),
            "{f}"
        );
        assert!(svg.contains("simulated time, s"), "{f}: x axis label");
        // The scenario flushes both cache tiers at 20 s: two numbered markers,
        // listed with their labels under the plot.
        assert!(svg.contains("F2 (from 20 s): FlushCache(api)"), "{f}");
        assert!(svg.contains("F1 (from 20 s): FlushCache(redis)"), "{f}");
    }
    assert!(read(&a, "errors.svg").contains("error rate, % of finished requests"));
    assert!(read(&a, "queue.svg").contains("mean requests waiting"));
    assert!(read(&a, "replicas.svg").contains("api ready"));
    let caches = read(&a, "caches.svg");
    for text in [
        "hit ratio, % of lookups",
        "redis",
        "api/l1",
        "shared cache",
        "in-process L1",
    ] {
        assert!(caches.contains(text), "{text}");
    }
    let html = read(&a, "report.html");
    // The time series, the cache tiers, latency by percentile, the topology.
    assert!(read(&a, "latency_distribution.svg").contains("latency by percentile per endpoint"));
    assert_eq!(html.matches("<svg ").count(), time_series.len() + 3);
    // The page renders report.md: a heading, then the table kept preformatted.
    assert!(html.contains("<h1>data-cache-tiers</h1>"), "{html}");
    // The verdict comes first, then the tables.
    assert!(html.contains("<pre>SLO p99 &lt;= 1s"), "{html}");
    assert!(html.contains("\nscenario data-cache-tiers"), "{html}");
    for f in [
        "report.json",
        "series.csv",
        "report.md",
        "report.html",
        "caches.svg",
    ]
    .into_iter()
    .chain(time_series)
    {
        assert_eq!(read(&a, f), read(&b, f), "{f} differs between two runs");
    }
    std::fs::remove_dir_all(&base).unwrap();
}

/// 100 tenants and 500 keys declared at 1,000 users; each tenant may send
/// 12 requests a minute; 0.01 requests/s per user (6 a minute per tenant).
fn populated(ladder: &str) -> Scenario {
    let text = format!(
        r#"Scenario(
            name: "populations", seed: 4,
            run: (duration: "60s", warmup: "0s", interval: "10s"),
            workload: (users: 1000, rps_per_user: 0.01, tenants: (count: 100), keys: (count: 500),
                       mix: {{ "get": 1.0 }}),
            components: [
                LoadBalancer(name: "lb", targets: {{ "api": 1 }}, rate_limit: (algorithm: SlidingLog,
                    window: "60s", tiers: [(name: "all", share: 1.0, max: 12)])),
                Deployment(name: "api", replicas: 4, concurrency: 256),
            ],
            endpoints: {{ "get": [Lb("lb"), Compute(Const("1ms"))] }},
            stages: [("1K", 1000), ("10K", 10000), ("100", 100)],
            {ladder}
        )"#
    );
    let s = scaletwin::scenario::parse(&text, "populations.ron").unwrap();
    scaletwin::scenario::validate(&s).unwrap();
    s
}

#[test]
fn tenants_and_keys_grow_with_the_ladder_unless_told_otherwise() {
    let counts = |s: &Scenario, name: &str, users: f64| {
        let x = sweep::at_stage(s, name, users, true);
        (
            x.workload.users,
            x.workload.tenants.unwrap().count,
            x.workload.keys.unwrap().count,
        )
    };
    // In proportion to the users, from the counts declared at 1,000 users.
    let s = populated("");
    assert_eq!(counts(&s, "1K", 1000.0), (1000.0, 100, 500));
    assert_eq!(counts(&s, "10K", 10_000.0), (10_000.0, 1000, 5000));
    assert_eq!(counts(&s, "100", 100.0), (100.0, 10, 50));
    assert_eq!(counts(&s, "x", 1.0), (1.0, 1, 1));
    // Kept as declared, or a stage's own counts.
    let s = populated("ladder: (scale_populations: false),");
    assert_eq!(counts(&s, "10K", 10_000.0), (10_000.0, 100, 500));
    let s = populated(r#"ladder: (populations: { "10K": (tenants: 7) }),"#);
    assert_eq!(counts(&s, "10K", 10_000.0), (10_000.0, 7, 5000));
    assert_eq!(counts(&s, "100", 100.0), (100.0, 10, 50));
    // The stages run uses them: with tenants grown, each sends 6 of its 12
    // a minute at every stage and none is limited; kept at 100, the 10K
    // stage sends each 60 a minute and 4 in 5 are refused (a tenant's
    // first 12 in the one-minute run pass).
    let batch = Batch {
        replications: 1,
        max_requests: 0,
        allow_large: false,
    };
    let grown = sweep::stages(&populated(""), "populations.ron", batch, None).unwrap();
    let kept = sweep::stages(
        &populated("ladder: (scale_populations: false),"),
        "populations.ron",
        batch,
        None,
    )
    .unwrap();
    let stage = |r: &StagesReport, i: usize| r.stages[i].clone();
    assert_eq!(
        (stage(&grown, 1).tenants, stage(&grown, 1).keys),
        (Some(1000), Some(5000))
    );
    assert_eq!(stage(&kept, 1).tenants, Some(100));
    assert!(
        stage(&grown, 1).error_rate.mean < 0.02,
        "{:?}",
        stage(&grown, 1).error_rate
    );
    let refused = stage(&kept, 1).error_rate.mean;
    assert!((refused - 0.8).abs() < 0.03, "{refused}");
    // The stage at the declared users is the same run either way.
    assert_eq!(stage(&grown, 0).runs, stage(&kept, 0).runs);
}

#[test]
fn a_stage_population_must_name_a_stage_and_a_declared_population() {
    let text = r#"Scenario(
        name: "bad", run: (duration: "10s"),
        workload: (users: 10, rps_per_user: 1.0, tenants: (count: 5), mix: { "a": 1.0 }),
        components: [Deployment(name: "api", replicas: 1, concurrency: 1)],
        endpoints: { "a": [Compute(Const("1ms"))] },
        stages: [("small", 10)],
        ladder: (populations: { "big": (tenants: 3), "small": (tenants: 0, keys: 9) }),
    )"#;
    let s = scaletwin::scenario::parse(text, "bad.ron").unwrap();
    let problems = scaletwin::scenario::validate(&s).unwrap_err();
    let has = |path: &str, text: &str| {
        problems
            .iter()
            .any(|p| p.path == path && p.message.contains(text))
    };
    assert!(
        has(
            "ladder.populations.big",
            "no stage is named `big`; the ladder's stages: `small`"
        ),
        "{problems:?}"
    );
    assert!(
        has("ladder.populations.small.tenants", "at least 1"),
        "{problems:?}"
    );
    assert!(
        has("ladder.populations.small.keys", "declares no `keys`"),
        "{problems:?}"
    );
}

/// An HPA on CPU at 60% over pods of one worker (1 to 20 pods); 100 req/s
/// of 39 ms of work.
fn hpa_stage(ladder: &str) -> Scenario {
    let text = format!(
        r#"Scenario(
            name: "settle", seed: 8,
            run: (duration: "120s", warmup: "30s", interval: "10s"),
            workload: (users: 1000, rps_per_user: 0.1, mix: {{ "get": 1.0 }}),
            components: [
                LoadBalancer(name: "lb", targets: {{ "api": 1 }}),
                Deployment(name: "api", replicas: 1, concurrency: 1, hpa: (min: 1, max: 20, cpu: 60)),
            ],
            endpoints: {{ "get": [Lb("lb"), Compute(Const("39ms"))] }},
            stages: [("1K", 1000)],
            {ladder}
        )"#
    );
    let s = scaletwin::scenario::parse(&text, "settle.ron").unwrap();
    scaletwin::scenario::validate(&s).unwrap();
    s
}

#[test]
fn an_autoscaled_stage_starts_where_its_hpa_settles_unless_cold() {
    let batch = Batch {
        replications: 1,
        max_requests: 0,
        allow_large: false,
    };
    // Offered load x demand / (target x capacity per pod): 100 x 0.039 /
    // (0.6 x 1) = 6.5 pods at target, so the HPA settles at 7 (at 7 pods
    // the usage ratio 0.93 is within its 10% tolerance).
    let settles_at = (100.0_f64 * 0.039 / (0.6 * 1.0)).ceil() as u32;
    assert_eq!(settles_at, 7);
    let r = sweep::stages(&hpa_stage(""), "settle.ron", batch, None).unwrap();
    let row = &r.stages[0];
    let span = &row.runs[0].autoscaled[0];
    assert_eq!(
        (span.deployment.as_str(), span.start, span.end, span.moving),
        ("api", settles_at, settles_at, false),
        "{span:?}"
    );
    assert_eq!(row.unsteady, None);
    assert!(row.error_rate.mean == 0.0);
    let md = scaletwin::report::stages_markdown(&r);
    assert!(md.contains("| api 7→7 | yes |"), "{md}");
    // A cold start is today's run: the scenario's one replica, the HPA climbing.
    let s = hpa_stage("ladder: (start: Cold),");
    let cold = sweep::stages(&s, "settle.ron", batch, None).unwrap();
    let run = &cold.stages[0].runs[0];
    assert_eq!(run.autoscaled[0].start, 1);
    assert!(run.autoscaled[0].end >= settles_at, "{:?}", run.autoscaled);
    let direct = sweep::prepare(
        &sweep::at_stage(&s, "1K", 1000.0, true),
        None,
        sweep::seed_for(s.seed, 0, 0),
        0,
    );
    let (_, summary, _) = sweep::run_one(&direct, "settle.ron").unwrap();
    assert_eq!(&summary, run);
}

#[test]
fn the_default_ladder_goes_past_a_million_to_ten_million_users() {
    let s = scenario("scenarios/stage3-horizontal.ron", &[]);
    assert!(s.stages.is_none());
    let ladder = sweep::ladder(&s);
    let names: Vec<&str> = ladder.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["100", "1K", "10K", "100K", "1M", "10M"]);
    assert_eq!(ladder[5].1, 10_000_000.0);
}

/// Stage 5 at 1M users (100,000 req/s), its autoscaled tiers started where
/// their HPAs settle, as `stages` runs it; shortened to 3M requests (30
/// simulated seconds after a 5 s warm-up: the pods start settled, so the
/// steady state is reached at once) and one replication to keep the test short.
#[test]
fn stage5_holds_the_slo_at_a_million_users_at_a_cost_it_reports() {
    let mut s = scenario("scenarios/stage5-global.ron", &[]);
    s.stages = Some(vec![("1M".to_owned(), 1_000_000.0)]);
    let batch = Batch {
        replications: 1,
        max_requests: 3_000_000,
        allow_large: false,
    };
    let r = sweep::stages(&s, "stage5-global.ron", batch, None).unwrap();
    let row = &r.stages[0];
    assert_eq!(row.users, 1_000_000.0);
    assert!(row.offered_rps > 99_000.0, "{}", row.offered_rps);
    assert!(row.simulated_s >= 29.0, "{}", row.simulated_s);
    assert!(
        row.slo_met && row.error_rate.mean < 0.01 && row.good_ratio.mean >= 0.99,
        "errors {} good {} p99 all {}",
        row.error_rate.mean,
        row.good_ratio.mean,
        row.p99_all_ms.mean
    );
    assert!(row.p99_all_ms.mean < 500.0, "{}", row.p99_all_ms.mean);
    assert!(r.first_failing_stage.is_none());
    // The bill names every tier: the CDN's traffic, the databases' nodes
    // (every shard, copy and replica) and the autoscaled pods.
    let billed = |name: &str| {
        row.cost
            .by_component
            .iter()
            .find(|c| c.name == name)
            .map_or(0.0, |c| c.per_month)
    };
    for name in [
        "edge",
        "projects-db",
        "search-db",
        "gateway-us",
        "search-eu",
    ] {
        assert!(billed(name) > 0.0, "{name} is billed");
    }
    let sum: f64 = row.cost.by_component.iter().map(|c| c.per_month).sum();
    assert!(
        (sum - row.cost.per_month).abs() < 1.0,
        "{sum} vs {}",
        row.cost.per_month
    );
}
