//! Malformed scenarios: each must exit with code 2, name the problem and its
//! place, and never panic.

use std::process::Command;

/// (file in tests/bad, fragments the message must contain).
const CASES: &[(&str, &[&str])] = &[
    ("01_syntax_missing_comma", &[":4:5:", "Expected comma"]),
    ("02_unclosed_paren", &[":10:", "Unexpected end"]),
    (
        "03_unknown_field",
        &[":7:62:", "replicaz", "expected one of", "concurrency"],
    ),
    (
        "04_unknown_component_kind",
        &[":8:9:", "Databse", "LoadBalancer", "Database"],
    ),
    ("05_unknown_step", &[":10:34:", "Compte", "Compute"]),
    ("06_duration_without_unit", &[":3:", "no unit", "250ms"]),
    ("07_wrong_type", &[":7:42:", "Expected integer"]),
    (
        "08_dangling_lb",
        &[
            ":10:27:",
            "endpoints.a[0]",
            "no LoadBalancer is named \"alb\"",
            "\"lb\"",
        ],
    ),
    (
        "09_dangling_target",
        &[
            ":6:",
            "components[0].targets.web",
            "no Deployment is named \"web\"",
            "\"api\"",
        ],
    ),
    (
        "10_mix_unknown_endpoint",
        &[
            "workload.mix.b",
            "no endpoint is named \"b\"",
            "endpoints: \"a\"",
        ],
    ),
    ("11_negative_rate", &[":4:", "workload.rps_per_user", "-1"]),
    ("12_nan_users", &["workload.users", "NaN"]),
    (
        "13_zero_connections",
        &[":8:", "components[2].connections", "from 1 to"],
    ),
    (
        "14_warmup_too_long",
        &["run.warmup", "shorter than the run"],
    ),
    ("15_mix_sums_to_zero", &["workload.mix", "positive"]),
    ("16_call_cycle", &["endpoints.a", "a -> b -> c", "loop"]),
    (
        "17_zero_replicas",
        &[":7:33:", "components[1].replicas", "from 1 to"],
    ),
    ("18_duplicate_names", &["components[2].name", "unique"]),
    (
        "19_compute_without_pod",
        &["endpoints.a[0]", "Compute runs on a pod"],
    ),
    (
        "20_lognormal_p99_below_median",
        &["endpoints.a[2]", "median <= p99"],
    ),
    ("21_absurd_rate", &["workload.users", "1000000000000"]),
    (
        "22_many_problems",
        &["3 problems", "replicas", "connections", "\"nope\""],
    ),
    (
        "23_wrong_kind_reference",
        &["\"pg\" is a Database", "LoadBalancer is needed"],
    ),
    ("24_not_ron", &[":1:1:", "Scenario"]),
    ("25_empty", &[":1:1:", "Scenario"]),
    (
        "26_cdn_without_keys",
        &[":10:28:", "endpoints.a[0]", "set workload.keys"],
    ),
    (
        "60_cost_and_slo",
        &[
            "components[1].instance",
            "m6i.large",
            "components[1].spot",
            "components[1].schedule.off",
            "HH:MM",
            "slo.error_rate",
        ],
    ),
    (
        "50_hpa_max_below_min",
        &["components[1].hpa.max", "from hpa.min (5)"],
    ),
    (
        "54_hpa_queue_unknown",
        &[
            ":8:102:",
            "components[2].hpa.queue.name",
            "no Queue is named \"export\"",
            "\"exports\"",
        ],
    ),
    (
        "55_hpa_queue_bad_target",
        &[
            "components[2].hpa.queue.per_pod",
            "from 0.001",
            "queue \"idle\" gets no jobs",
        ],
    ),
    (
        "27_cdn_bad_settings",
        &[
            "3 problems",
            "components[0].capacity",
            "components[0].ttl",
            "faults[0].cdn",
            "no Cdn is named \"cdn\"",
            "\"edge\"",
        ],
    ),
    (
        "28_rate_limit_tiers",
        &["components[0].rate_limit.tiers[1].max", "greater than zero"],
    ),
    (
        "29_rate_limit_shares",
        &["components[0].rate_limit.tiers", "add up to 1, not 1.2"],
    ),
    (
        "30_retries_without_timeout",
        &[
            "5 problems",
            "components[1].shed_after",
            "set workload.client_timeout",
            "workload.retries.attempts",
            "workload.retries.cap",
            "workload.retries.budget.ratio",
        ],
    ),
    (
        "31_dependency_settings",
        &[
            "5 problems",
            "components[2].error_rate",
            "components[2].breaker.failure_threshold",
            "no Dependency is named \"serch\"; did you mean \"search\"? Dependencies: \"search\"",
            "endpoints.a[1].fallback[0]",
            "faults[0].dependency",
        ],
    ),
    (
        "32_cdn_behind_lb",
        &["endpoints.a[1]", "before any Lb step"],
    ),
    (
        "40_queue_bad_fields",
        &[
            "components[0].workers",
            "workers must be from 1",
            "components[0].attempts",
            "components[0].failure_probability",
            "endpoints.a[0].queue",
            "no Queue is named \"documents\"; Queues: \"docs\"",
        ],
    ),
    (
        "41_regions_bad_references",
        &[
            "components[1].region",
            "no region is named \"asia\"; regions: \"eu\", \"us\"",
            "faults[0].region",
            "no region is named \"mars\"",
        ],
    ),
    (
        "edge_01_cdn_pops_unknown_region",
        &[
            "2 problems",
            "components[0].pops[1]",
            "no region is named \"asia\"; regions: \"eu\", \"us\"",
            "components[0].pops[2]",
            "listed twice",
        ],
    ),
    (
        "edge_02_cdn_pops_without_regions",
        &[
            ":6:",
            "components[0].pops[0]",
            "\"us\" is not a region: the scenario has no `regions` section",
        ],
    ),
    (
        "edge_04_cdn_classes",
        &[
            "6 problems",
            ":7:40: components[0].classes[0].used_by[0]",
            "no endpoint is named \"aset\"; did you mean \"asset\"?",
            ":7:70: components[0].classes[0].ttl",
            "components[0].classes[0].objects.count: count must be from 1 to 10^12, not 0",
            ":8:20: components[0].classes[1].name: two classes of this CDN are named \"assets\"",
            // The typo leaves `asset` in no class, and `page` is in a class
            // without objects: both need data keys.
            ":11:32: endpoints.asset[0]: a Cdn step caches by key",
            "endpoints.page[0]: a Cdn step caches by key",
        ],
    ),
    (
        "edge_03_endpoint_limits",
        &[
            "3 problems",
            "limits.serch",
            "no endpoint is named \"serch\"; did you mean \"search\"? endpoints: \"list\", \"search\"",
            // Each at its own field, though `tiers` and `max` appear earlier.
            ":14:39: limits.search.tiers[1].max",
            ":16:49: limits.list.tiers",
            "at least one tier",
        ],
    ),
    (
        "42_regions_missing_rtt",
        &["regions.rtt", "between \"eu\" and \"us\" is missing"],
    ),
    (
        "data_05_cache_named_l1",
        &[
            "data_05_cache_named_l1.ron:9:",
            "components[2].name",
            "L1 names the pods' own cache tier",
        ],
    ),
    (
        "data_01_unknown_cache_tier",
        &[
            "endpoints.a[1].tiers[0]",
            "L1 tier",
            "endpoints.a[1].tiers[1]",
            "no Cache is named \"memcached\"; caches: \"redis\"",
            "endpoints.a[1].tiers[2]",
            "no Cache is named \"Redis\"",
        ],
    ),
    (
        "data_02_pool_min_above_max",
        &[
            ":7:69: components[1].pool.min",
            ":7:85: components[1].pool.acquire_timeout",
            ":8:46: components[2].replication_lag",
            "components[1].pool.min",
            "must not exceed pool.max (4)",
            "components[1].pool.acquire_timeout",
            "components[2].replication_lag",
            "needs replicas",
        ],
    ),
    (
        "data_03_bouncer_over_max_connections",
        &[
            "4 problems",
            "components[2].pgbouncer.pool_size",
            "= 80 exceeds max_connections (50)",
            "components[3].capacity",
            "faults[0].target",
            "candidates: \"redis\"",
            "faults[1].database",
            "no replicas",
        ],
    ),
    (
        "dbclass_01_class_without_capacity",
        &[
            ":7:",
            "components[0].class",
            "`on-box` has a price but no vCPUs and memory",
            "prices.database_classes",
        ],
    ),
    (
        "dbclass_02_zero_vcpus",
        &[":7:", "components[0].replica_class", "at least 1 vCPU"],
    ),
    (
        "100_shard_hash_typo",
        &[":6:96:", "Sha1", "`XxHash64` or `Md5`"],
    ),
    (
        "101_breaker_close_on_typo",
        &[":9:101:", "FirstProbe", "`AllProbes` or `FirstSuccess`"],
    ),
    (
        "102_limit_algorithm_typo",
        &[":7:37:", "SortedSet", "`SortedSetLog`", "`SlidingLog`"],
    ),
    (
        "103_schedule_times",
        &[
            ":7:14:",
            "components[0].schedules[0].at",
            "`25:00` is not a time of day",
            "HH:MM",
            ":8:13:",
            "components[0].schedules[1]",
            "either `every`",
            ":9:13:",
            "components[0].schedules[2]",
        ],
    ),
    (
        "104_enqueue_priority_negative",
        &[":8:74:", "out of bounds"],
    ),
    (
        "105_call_cache_asides_over_the_limit",
        &[
            "1 problem found",
            ":12:5: endpoints: the endpoints run 98303 CacheAside steps in all, over 65535",
            "a step Called k times counts k times",
        ],
    ),
    (
        "106_cross_region_lag_one_region",
        &[
            ":6:",
            "cross_region_lag",
            "needs copies in two or more regions",
        ],
    ),
    (
        "data_04_shard_key_typo",
        &[":6:69:", "Tenants", "`Tenant` or `Key`"],
    ),
    (
        "51_hpa_bad_policy",
        &[
            "components[1].hpa.behavior.scale_down.policies[0].value",
            "components[1].hpa.behavior.scale_down.policies[0].period",
            "whole seconds",
        ],
    ),
    (
        "cpu_01_requests_and_limits",
        &[
            "components[1].resources.requests.cpu: the CPU request is given twice",
            "components[1].resources.limits.cpu: the CPU request (2 cores) is above its limit (0.5)",
            "components[2].resources.requests.memory: the memory request is given twice",
            "components[2].resources.requests.cpu",
        ],
    ),
    (
        "memory_01_limits",
        &[
            "components[1].resources.limits.memory: the memory request (1024 MiB) is above its limit (512 MiB)",
            "components[2].resources.base_memory_mib: the idle memory (600 MiB) is above the memory limit (512 MiB)",
            "components[2].l1.item_size: an L1 entry takes from 1 byte to 1Gi, not 0 bytes",
            "components[3].item_size: item_size bounds the cache by its node's memory, and the memory of node class \"my-redis\" is not known",
        ],
    ),
    (
        "52_pod_does_not_fit_node",
        &["components[1].nodes.spot_fraction", "does not fit"],
    ),
    (
        "53_capacity_faults",
        &[
            "faults[0].deployment",
            "spot nodes",
            "faults[1].deployment",
            "no Deployment is named \"web\"",
            "faults[1].count",
            "faults[1].at",
        ],
    ),
    (
        "54_zones",
        &[
            "components[1].zones[2]",
            "listed twice",
            "components[2].zones",
            "from 1 to 64",
            "faults[0].zone",
            "no Deployment is spread over a zone named \"d\"",
            "zones: \"a\", \"b\"",
            "faults[1].at",
            "faults[1].for",
            "faults[2].region",
            "no `regions` section",
        ],
    ),
    (
        "80_duplicate_mix_key",
        &[
            ":5:74:",
            "duplicate key \"a\"",
            "each key may appear once",
            "first given at line 5, column 54",
        ],
    ),
    (
        "81_duplicate_endpoint",
        &[":12:9:", "duplicate key \"a\"", "first given at line 11, column 9"],
    ),
    (
        "82_duplicate_target",
        &[":7:55:", "duplicate key \"api\"", "column 45"],
    ),
    (
        "83_integer_given_a_fraction",
        &[":8:43:", "expected an integer (a whole number), found 4.5"],
    ),
    (
        "84_integer_given_an_exponent",
        &[":8:59:", "expected an integer (a whole number), found 1e3"],
    ),
    (
        "85_unclosed_string",
        &[":3:11:", "unclosed string", "ends at line 4, column 21"],
    ),
    (
        "86_control_character_in_name",
        &[
            "2 problems",
            ":7:34: components[0].targets: \"api\\u{1b}[2J\"",
            ":8:20: components[1].name",
            "control character (U+001B)",
        ],
    ),
    (
        "87_rate_limit_zero_window",
        &[
            ":8:49: components[0].rate_limit.window",
            "window must be longer than zero",
        ],
    ),
    (
        "88_did_you_mean",
        &[
            ":8:62:",
            "`concurency` in `Deployment`; did you mean `concurrency`? expected one of",
        ],
    ),
    (
        "89_did_you_mean_reference",
        &[
            ":10:27: endpoints.a[0]: no LoadBalancer is named \"lbb\"; did you mean \"lb\"? LoadBalancers: \"lb\"",
            "endpoints.b[0]: no endpoint is named \"aa\"; did you mean \"a\"?",
        ],
    ),
    (
        "90_huge_numbers",
        &[
            ":5:16: workload.users: users must be a number from 0 to 1000000000000, not 1e300",
            "workload.mix.b: a mix weight must be a finite number of at least 0, not -1e300",
        ],
    ),
    (
        "91_stage_over_the_rate_cap",
        &[
            "2 problems",
            "stages[1]: stage `huge`: 100000000000 users × rps_per_user 1",
            "at most 100000000",
            "stages[2]: stage `absurd` needs a user count above 0 and at most 1000000000000, not 1e300",
        ],
    ),
    (
        "70_pattern_peak_over_rate_cap",
        &[
            ":7:9: workload.pattern",
            "at its peak",
            "5.000e13 requests/s",
            "at most 1e8",
        ],
    ),
    (
        "71_call_chain_too_deep",
        &[
            ":11:9: endpoints.e0",
            "e0 -> e1 -> e2 -> ... -> e69",
            "call depth 69 is over 64",
        ],
    ),
    (
        "72_call_fan_out_too_big",
        &[
            ":11:9: endpoints.e0",
            "e0 -> e1 -> e2 -> ... -> e20",
            "expands to 2097152 steps per request, over 100000",
            "an endpoint Called k times runs its steps k times",
        ],
    ),
    (
        "rollout_01_deploy_bounds",
        &[
            ":11:",
            "faults[0].deployment",
            "no Deployment is named \"apo\"",
            ":12:",
            "faults[1].max_unavailable",
            "cannot both be zero",
            ":13:",
            "faults[2].max_unavailable",
            "at most 100%, not 150%",
        ],
    ),
    (
        "redisjobs_01_pool_timeouts_and_limiter_cache",
        &[
            ":8:",
            "components[1].pool.statement_timeout",
            "statement_timeout must be longer than zero",
            "components[1].pool.idle_timeout",
            ":13:",
            "limits.a.redis",
            "no Cache component is named \"redsi\"",
            "\"redis\"",
        ],
    ),
    (
        "redisq_01_session_queue_stalls",
        &[
            ":8:15: components[1].stalled_interval",
            "stalled_interval needs a lock_duration",
            ":7:50: components[1].redis",
            "no Cache component is named \"reddis\"",
            ":10:39: endpoints.a[0].cache",
            "did you mean \"redis\"",
        ],
    ),
    (
        "probes_01_bad_values",
        &[
            ":11:24: components[1].probes.cost",
            "needs the deployment's CPU model",
            ":9:36: components[1].probes.readiness.period",
            "must be at least 1s, as Kubernetes' periodSeconds (default 10s), not 0ns",
            ":9:50: components[1].probes.readiness.failure_threshold",
            "must be from 1 to 1000000, not 0",
            ":9:72: components[1].probes.readiness.success_threshold",
            ":10:35: components[1].probes.liveness.timeout",
            ":10:50: components[1].probes.liveness.success_threshold",
            "must be 1, as in Kubernetes, not 2",
        ],
    ),
    (
        // A shorter period would flood the run with probes (1ns: a billion
        // events per pod and simulated second).
        "probes_03_period_under_a_second",
        &[
            ":8:41: components[1].probes.readiness.period",
            "at least 1s, as Kubernetes' periodSeconds (default 10s), not 500ms",
            ":8:70: components[1].probes.liveness.period",
            "not 1ns",
        ],
    ),
    (
        "probes_02_none_and_separate_cost",
        &[
            ":7:62: components[1].probes",
            "need a `readiness` or a `liveness` probe",
            ":9:59: components[2].probes.cost",
            "with `port: Separate` probes cost nothing",
        ],
    ),
    (
        "rollout_02_deploy_surge_text",
        &[":11:", "`25 pods` is not a whole number of pods (3) or a percentage"],
    ),
    (
        "precision_01_not_a_percentage",
        &[":3:", "\"5\" is not a percentage such as \"5%\"", "more than 0%"],
    ),
    (
        "calls_01_client_calls",
        &[
            "5 problems",
            "endpoints.a[0].timeout: a call timeout must be longer than zero",
            "endpoints.a[1].retries.attempts: attempts (the first call included) must be from 1 to 100, not 0",
            "endpoints.a[2].calls[0]: each call of a Parallel step is a Call(\"endpoint\") or a CallWith(endpoint: ...)",
            "endpoints.a[2].calls[1].fallback: a call of a Parallel step has no fallback of its own",
            "endpoints.a[3].calls: a Parallel step needs at least one call",
        ],
    ),
    (
        "testbed_01_periodic",
        &[
            "2 problems",
            ":5:38: workload.periodic[0].endpoint",
            "no endpoint is named \"scrap\"; did you mean \"scrape\"?",
            ":5:82: workload.periodic[1].every: a periodic request's period must be at least 1ms",
        ],
    ),
    (
        "testbed_02_round_trips_without_a_shared_tier",
        &[
            "endpoints.a[1].after_round_trip",
            "after_round_trip runs when a shared tier (a Cache) replies; this CacheAside reads only L1",
        ],
    ),
    (
        "testbed_03_unknown_names_in_cache_aside_lists",
        &[
            "2 problems",
            ":11:67: endpoints.a[1].on_miss[0]",
            "no LoadBalancer is named \"lbb\"",
            ":12:60: endpoints.a[1].after_round_trip[0]",
            "no endpoint is named \"resum\"; did you mean \"resume\"?",
        ],
    ),
    (
        "calls_02_unknown_callee",
        &[
            ":7:", "endpoints.a[0].calls[1]",
            "no endpoint is named \"bb\"; did you mean \"b\"?",
        ],
    ),
];

fn validate(path: &str) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_scaletwin"))
        .args(["validate", path])
        .output()
        .expect("run scaletwin");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_malformed_scenario_is_rejected_with_its_place() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/bad");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .trim_end_matches(".ron")
                .to_owned()
        })
        .collect();
    on_disk.sort();
    let mut listed: Vec<&str> = CASES.iter().map(|c| c.0).collect();
    listed.sort_unstable();
    assert_eq!(
        on_disk, listed,
        "every file in tests/bad has a case and vice versa"
    );
    for (name, fragments) in CASES {
        let path = format!("{dir}/{name}.ron");
        let (code, stderr) = validate(&path);
        assert_eq!(code, 2, "{name}: exit code, stderr:\n{stderr}");
        assert!(!stderr.contains("panicked"), "{name} panicked:\n{stderr}");
        // Nothing from the file drives the terminal, and no bound prints
        // as f64::MAX's 309 digits.
        assert!(
            !stderr
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t'),
            "{name}: raw control character in:\n{stderr:?}"
        );
        assert!(
            !stderr.contains("17976931348623157"),
            "{name}: a bound printed in full:\n{stderr}"
        );
        assert!(
            stderr.contains(&format!("{name}.ron")),
            "{name}: message names the file:\n{stderr}"
        );
        for f in *fragments {
            assert!(stderr.contains(f), "{name}: expected `{f}` in:\n{stderr}");
        }
    }
}

#[test]
fn a_missing_file_is_an_input_error() {
    let (code, stderr) = validate("/nonexistent/scenario.ron");
    assert_eq!(code, 2);
    assert!(stderr.contains("/nonexistent/scenario.ron") && stderr.contains("cannot read"));
}
