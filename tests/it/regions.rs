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
