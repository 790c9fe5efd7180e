//! Regions: users spread by share, round trips between regions, nearest-region
//! routing, reads to the nearest copy and writes to the primary, and outages.

use crate::run_text as run;
use scaletwin::report::RegionReport;
use scaletwin::Report;

/// Three regions (eu is 80 ms from us and 150 ms from ap; us-ap 200 ms), a
/// deployment per region behind one balancer, constant 5 ms work, no hop.
fn three_regions(faults: &str, compute: &str) -> String {
    format!(
        r#"Scenario(
            name: "geo", seed: 3,
            run: (duration: "180s", interval: "10s"),
            workload: (users: 300, rps_per_user: 1.0, mix: {{ "read": 1.0 }}),
            components: [
                LoadBalancer(name: "lb", targets: {{ "api-us": 1, "api-eu": 1, "api-ap": 1 }}),
                Deployment(name: "api-us", replicas: 4, concurrency: 512, region: "us"),
                Deployment(name: "api-eu", replicas: 4, concurrency: 512, region: "eu"),
                Deployment(name: "api-ap", replicas: 4, concurrency: 512, region: "ap"),
            ],
            endpoints: {{ "read": [Lb("lb"), Compute({compute})] }},
            faults: [{faults}],
            regions: (
                users: {{ "us": 0.5, "eu": 0.3, "ap": 0.2 }},
                rtt: {{ "us": {{ "eu": "80ms", "ap": "200ms" }}, "eu": {{ "ap": "150ms" }} }},
                primary: "us",
            ),
        )"#
    )
}

fn region<'a>(r: &'a Report, name: &str) -> &'a RegionReport {
    r.regions.iter().find(|x| x.name == name).unwrap()
}

fn arrivals(r: &Report, station: &str) -> u64 {
    r.stations
        .iter()
        .find(|x| x.name == station)
        .unwrap()
        .stats
        .arrivals
}

#[test]
fn users_spread_by_share_and_are_served_in_their_region() {
    let r = run(&three_regions("", r#"Const("5ms")"#));
    let n = r.summary.arrivals as f64;
    for (name, share) in [("us", 0.5), ("eu", 0.3), ("ap", 0.2)] {
        let x = region(&r, name);
        assert_eq!(x.user_share, share);
        assert!((x.arrivals as f64 / n - share).abs() < 0.01, "{name}");
        // Served at home: the 5 ms of work and no round trip.
        assert!(
            (x.latency.mean_ms - 5.0).abs() < 0.01,
            "{name} {}",
            x.latency.mean_ms
        );
    }
    assert_eq!(arrivals(&r, "api-eu"), region(&r, "eu").arrivals);
}

#[test]
fn a_region_outage_moves_its_users_to_the_next_nearest_region() {
    let r = run(&three_regions(
        r#"RegionDown(region: "eu", at: "0s")"#,
        r#"Const("5ms")"#,
    ));
    assert_eq!(r.faults[0].label, "RegionDown(eu)");
    // eu users are served in us (80 ms away, nearer than ap's 150 ms), paying the round trip.
    let eu = region(&r, "eu");
    assert_eq!(eu.errors, 0);
    assert!(
        (eu.latency.mean_ms - 85.0).abs() < 0.01,
        "{}",
        eu.latency.mean_ms
    );
    assert!((region(&r, "us").latency.mean_ms - 5.0).abs() < 0.01);
    assert!((region(&r, "ap").latency.mean_ms - 5.0).abs() < 0.01);
    assert_eq!(arrivals(&r, "api-eu"), 0);
    // (A few eu requests were still crossing when the run ended.)
    let moved = region(&r, "us").arrivals + region(&r, "eu").arrivals - arrivals(&r, "api-us");
    assert!(moved < 20, "{moved}");
    // us down too: eu users go to ap (150 ms), us users to eu... which is down, so ap (200 ms).
    let r = run(&three_regions(
        r#"RegionDown(region: "eu", at: "0s"), RegionDown(region: "us", at: "0s")"#,
        r#"Const("5ms")"#,
    ));
    assert!((region(&r, "eu").latency.mean_ms - 155.0).abs() < 0.01);
    assert!((region(&r, "us").latency.mean_ms - 205.0).abs() < 0.01);
}

#[test]
fn an_outage_fails_requests_in_flight_there_and_ends() {
    let r = run(&three_regions(
        r#"RegionDown(region: "eu", at: "60s", for: "30s")"#,
        r#"Const("2s")"#,
    ));
    assert_eq!(r.faults[0].until_s, Some(90.0));
    let down = r.summary.errors_by_cause["region_down"];
    // About 2 s of eu traffic (90 req/s) was on eu pods when it went dark.
    assert!((150..=210).contains(&down), "{down}");
    assert_eq!(region(&r, "eu").errors, down);
    assert_eq!(region(&r, "us").errors + region(&r, "ap").errors, 0);
    // During the outage eu users took 2.08 s (via us); before and after, 2 s.
    let eu = region(&r, "eu");
    assert!((eu.latency.p50_ms - 2000.0).abs() < 5.0);
    assert!(eu.latency.max_ms >= 2079.0, "{}", eu.latency.max_ms);
    let share_remote = (eu.latency.mean_ms - 2000.0) / 80.0;
    assert!((share_remote - 30.0 / 180.0).abs() < 0.02, "{share_remote}");
}

/// Users all in eu; the api runs where `api_region` says; pg has copies in `pg_regions`.
fn data_scenario(api_region: &str, pg_regions: &str, faults: &str) -> String {
    format!(
        r#"Scenario(
            name: "geo-data", seed: 5,
            run: (duration: "60s", interval: "10s"),
            workload: (users: 100, rps_per_user: 1.0, mix: {{ "read": 1.0, "write": 1.0 }}),
            components: [
                LoadBalancer(name: "lb", targets: {{ "api": 1 }}),
                Deployment(name: "api", replicas: 2, concurrency: 64 {api_region}),
                Database(name: "pg", connections: 64, regions: [{pg_regions}]),
            ],
            endpoints: {{
                "read": [Lb("lb"), DbRead(Const("1ms"))],
                "write": [Lb("lb"), DbWrite(Const("1ms"))],
            }},
            faults: [{faults}],
            regions: (users: {{ "us": 0, "eu": 1 }}, rtt: {{ "us": {{ "eu": "80ms" }} }}, primary: "us"),
        )"#
    )
}

fn endpoint_mean(r: &Report, name: &str) -> f64 {
    r.endpoints
        .iter()
        .find(|e| e.name == name)
        .unwrap()
        .latency
        .mean_ms
}

#[test]
fn writes_cross_to_the_primary_region_and_reads_stay_near() {
    // A copy in each region: reads from eu stay in eu, writes pay the round trip to us.
    let r = run(&data_scenario(r#", region: "eu""#, r#""us", "eu""#, ""));
    assert!((endpoint_mean(&r, "read") - 1.0).abs() < 0.01);
    assert!((endpoint_mean(&r, "write") - 81.0).abs() < 0.01);
    let names: Vec<&str> = r.stations.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["api", "pg@us", "pg@eu"]);
    assert_eq!(arrivals(&r, "pg@eu"), r.endpoints[0].completed);
    // Only a copy in us: reads cross too.
    let r = run(&data_scenario(r#", region: "eu""#, r#""us""#, ""));
    assert!((endpoint_mean(&r, "read") - 81.0).abs() < 0.01);
    // The api in us: eu users pay one round trip to reach it; then reads use
    // the copy nearest the api (us) and writes are local: no second trip.
    let r = run(&data_scenario(r#", region: "us""#, r#""us", "eu""#, ""));
    assert!((endpoint_mean(&r, "read") - 81.0).abs() < 0.01);
    assert!((endpoint_mean(&r, "write") - 81.0).abs() < 0.01);
    assert_eq!(arrivals(&r, "pg@eu"), 0);
}

#[test]
fn reads_fail_over_to_the_next_copy_and_writes_to_a_dark_primary_fail() {
    // The api placed nowhere serves eu users where they are; eu's copy goes dark.
    let r = run(&data_scenario(
        "",
        r#""us", "eu""#,
        r#"RegionDown(region: "eu", at: "0s")"#,
    ));
    assert!((endpoint_mean(&r, "read") - 81.0).abs() < 0.01);
    assert_eq!(r.summary.errors_by_cause["region_down"], 0);
    let r = run(&data_scenario(
        "",
        r#""us", "eu""#,
        r#"RegionDown(region: "us", at: "0s")"#,
    ));
    assert!((endpoint_mean(&r, "read") - 1.0).abs() < 0.01);
    let write = r.endpoints.iter().find(|e| e.name == "write").unwrap();
    assert_eq!(write.completed, 0);
    assert_eq!(write.errors, r.summary.errors_by_cause["region_down"]);
}

#[test]
fn bad_regions_are_input_errors() {
    let text = three_regions(
        r#"RegionDown(region: "mars", at: "10s")"#,
        r#"Const("5ms")"#,
    )
    .replace(r#"region: "ap")"#, r#"region: "asia")"#);
    let s = scaletwin::scenario::parse(&text, "regions.ron").unwrap();
    let problems = scaletwin::scenario::validate(&s).unwrap_err();
    let has = |path: &str, text: &str| {
        problems
            .iter()
            .any(|p| p.path == path && p.message.contains(text))
    };
    assert!(
        has(
            "components[3].region",
            "no region is named \"asia\"; regions: \"ap\", \"eu\", \"us\""
        ),
        "{problems:?}"
    );
    assert!(
        has("faults[0].region", "no region is named \"mars\""),
        "{problems:?}"
    );
    // A bad share is reported once, not again at every placement.
    let text = three_regions("", r#"Const("5ms")"#).replace(r#""eu": 0.3"#, r#""eu": -1"#);
    let s = scaletwin::scenario::parse(&text, "regions.ron").unwrap();
    let problems = scaletwin::scenario::validate(&s).unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, "regions.users.eu");
    // Without a regions section, naming a region is an error.
    let text = data_scenario(r#", region: "eu""#, "", "").replace(
        r#"regions: (users: { "us": 0, "eu": 1 }, rtt: { "us": { "eu": "80ms" } }, primary: "us"),"#,
        "",
    );
    let s = scaletwin::scenario::parse(&text, "regions.ron").unwrap();
    let problems = scaletwin::scenario::validate(&s).unwrap_err();
    assert_eq!(problems[0].path, "components[1].region");
    assert!(problems[0].message.contains("no `regions` section"));
    // A missing pair in the matrix.
    let text = three_regions("", r#"Const("5ms")"#).replace(r#""eu": { "ap": "150ms" }"#, "");
    let s = scaletwin::scenario::parse(&text, "regions.ron").unwrap();
    let problems = scaletwin::scenario::validate(&s).unwrap_err();
    assert_eq!(problems[0].path, "regions.rtt");
    assert!(problems[0]
        .message
        .contains("between \"ap\" and \"eu\" is missing"));
}

#[test]
fn the_example_scenarios_are_deterministic() {
    for file in ["regions.ron", "jobs.ron"] {
        let path = format!("{}/scenarios/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap();
        let a = run(&text).to_json();
        assert_eq!(a, run(&text).to_json(), "{file}");
        assert!(a.contains("\"regions\"") || a.contains("\"queues\""));
    }
    // The regions example: eu's outage fails a few requests in flight there;
    // eu's writes (20%) pay the 80 ms round trip to the primary, us's do not.
    let path = format!("{}/scenarios/regions.ron", env!("CARGO_MANIFEST_DIR"));
    let r = run(&std::fs::read_to_string(path).unwrap());
    assert!(r.summary.errors_by_cause["region_down"] > 0);
    assert_eq!(region(&r, "us").errors, 0);
    assert!(region(&r, "eu").latency.p90_ms > 80.0);
    assert!(region(&r, "us").latency.p90_ms < 80.0);
}

/// Users all in eu-west, the api there, `pg` with a copy in us-east (the
/// primary region) and eu-west, one replica each; 100 uniform keys.
fn replicated_regions(pg: &str, users: u32, rps: f64, warmup: &str) -> String {
    format!(
        r#"Scenario(
            name: "geo-replicas", seed: 9,
            run: (duration: "120s", warmup: "{warmup}", interval: "10s"),
            workload: (users: {users}, rps_per_user: {rps}, keys: (count: 100),
                       mix: {{ "read": 0.75, "write": 0.25 }}),
            components: [
                LoadBalancer(name: "lb", targets: {{ "api": 1 }}),
                Deployment(name: "api", replicas: 2, concurrency: 256, region: "eu-west"),
                Database(name: "pg", connections: 64, replicas: 1, regions: ["us-east", "eu-west"] {pg}),
            ],
            endpoints: {{
                "read": [Lb("lb"), DbRead(Const("1ms"))],
                "write": [Lb("lb"), DbWrite(Const("1ms"))],
            }},
            regions: (
                users: {{ "us-east": 0, "eu-west": 1 }},
                rtt: {{ "us-east": {{ "eu-west": "80ms" }} }},
                primary: "us-east",
            ),
        )"#
    )
}

fn db<'a>(r: &'a Report, name: &str) -> &'a scaletwin::report::DatabaseReport {
    r.databases.iter().find(|d| d.name == name).unwrap()
}

fn node<'a>(r: &'a Report, db_name: &str, node: &str) -> &'a scaletwin::report::NodeReport {
    db(r, db_name)
        .nodes
        .iter()
        .find(|n| n.name == node)
        .unwrap_or_else(|| panic!("{node} in {:?}", db(r, db_name).nodes))
}

#[test]
fn regional_copies_apply_the_primarys_writes_after_the_cross_region_lag() {
    // The bug: the eu replica's lag was 0, yet it served stale reads for
    // nearly every read (it never received a write), while the eu copy's
    // own node never lagged. Now both receive every write: with no lag
    // anywhere nothing is stale...
    let r = run(&replicated_regions(
        r#", replication_lag: Const("0ms"), cross_region_lag: Const("0ms")"#,
        100,
        2.0,
        "10s",
    ));
    let eu = db(&r, "pg@eu-west");
    assert!(eu.reads > 15_000, "{}", eu.reads);
    assert_eq!(db(&r, "pg@us-east").reads, 0);
    assert_eq!(eu.stale_reads, 0);
    // (Reads go to the copy's replica, as in the primary region.)
    assert!(node(&r, "pg@eu-west", "pg@eu-west/replica1").queries > 15_000);
    // ...and by default the copy lags by the one-way delay (half the 80 ms
    // round trip), its replica too (its replication lag adds nothing here),
    // so the eu copy's own node serves stale reads as its replica does
    // (when reads go to it).
    for (reads, served_by) in [("", "replica1"), (", reads: Primary", "primary")] {
        let r = run(&replicated_regions(
            &format!(r#", replication_lag: Const("0ms") {reads}"#),
            100,
            2.0,
            "10s",
        ));
        for n in ["pg@eu-west/primary", "pg@eu-west/replica1"] {
            let x = node(&r, "pg@eu-west", n);
            assert_eq!(x.lag_mean_ms, 40.0, "{n}");
            assert_eq!(x.lag_max_ms, 40.0, "{n}");
        }
        let x = node(&r, "pg@eu-west", &format!("pg@eu-west/{served_by}"));
        assert!(x.queries > 15_000 && x.stale_reads > 0, "{x:?}");
        assert_eq!(x.stale_reads, db(&r, "pg@eu-west").stale_reads);
    }
}

#[test]
fn the_cross_region_stale_read_fraction_is_one_minus_e_to_the_minus_w_l() {
    // 600 req/s, a quarter writes over 100 uniform keys: w = 1.5 writes/s
    // per key at the primary (Poisson). A read of the eu copy is stale when
    // its key was written within the last L: probability 1 - e^(-w L).
    // Reads served by the copy's replica, or by its own node.
    for (lag, l, reads) in [("200ms", 0.2, ""), ("500ms", 0.5, ", reads: Primary")] {
        let r = run(&replicated_regions(
            &format!(r#", cross_region_lag: Const("{lag}") {reads}"#),
            300,
            2.0,
            "10s",
        ));
        let eu = db(&r, "pg@eu-west");
        let w: f64 = 600.0 * 0.25 / 100.0;
        let theory = 1.0 - (-w * l).exp();
        let sim = eu.stale_reads as f64 / eu.reads as f64;
        assert!(eu.reads > 45_000, "{}", eu.reads);
        assert!((sim - theory).abs() < 0.01, "L {l}: {sim} vs {theory}");
    }
}

#[test]
fn read_your_writes_sends_eu_reads_after_a_write_to_the_primary() {
    // One eu user, 200 requests/s: from its first write on (a few ms in),
    // every read goes to the primary in us-east, paying the round trip.
    let with = run(&replicated_regions(
        r#", cross_region_lag: Const("500ms"), read_your_writes: "1h""#,
        1,
        200.0,
        "0s",
    ));
    let (us, eu) = (db(&with, "pg@us-east"), db(&with, "pg@eu-west"));
    let reads = with.endpoints.iter().find(|e| e.name == "read").unwrap();
    assert_eq!(reads.errors, 0);
    assert_eq!(us.reads + eu.reads, reads.completed);
    // Every read the primary served was sent there by the window, each counted once.
    assert_eq!(us.read_your_writes_reads, us.reads);
    assert_eq!(
        node(&with, "pg@us-east", "pg@us-east/primary").queries,
        us.reads + us.writes
    );
    assert_eq!(node(&with, "pg@us-east", "pg@us-east/replica1").queries, 0);
    // Only the reads before the first write committed (~0.1 s) stayed in eu.
    assert!(eu.reads < 40, "{}", eu.reads);
    assert_eq!(us.stale_reads + eu.stale_reads, 0);
    assert!((reads.latency.mean_ms - 81.0).abs() < 0.1);
    // Without the window the same reads stay in eu and some are stale.
    let without = run(&replicated_regions(
        r#", cross_region_lag: Const("500ms")"#,
        1,
        200.0,
        "0s",
    ));
    assert_eq!(db(&without, "pg@us-east").reads, 0);
    assert_eq!(db(&without, "pg@us-east").read_your_writes_reads, 0);
    assert!(db(&without, "pg@eu-west").stale_reads > 1_000);
}
