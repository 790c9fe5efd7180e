//! Redis commands of other features on a `Cache` node: a rate limit kept
//! there (`RateLimit.redis`) runs its commands on the node's servers in line
//! with the cache reads, so a busy limiter slows the reads. Checked against
//! the arithmetic of the node's utilization (the sum over command streams
//! of rate × commands × service time) and the M/G/1 mean wait
//! (Pollaczek–Khinchine).

use crate::run_text as run;
use scaletwin::report::CacheReport;
use scaletwin::scenario::{parse, validate};
use scaletwin::Report;

fn redis(r: &Report) -> &CacheReport {
    r.caches.iter().find(|c| c.name == "redis").unwrap()
}

fn endpoint_mean_ms(r: &Report, name: &str) -> f64 {
    r.endpoints
        .iter()
        .find(|e| e.name == name)
        .unwrap()
        .latency
        .mean_ms
}

/// 250 req/s read one cached key (a hit, one command of 0.2ms) and 250
/// req/s call `api`, whose per-endpoint limit (SortedSetLog, `max` per
/// minute for the one tenant) keeps its counters as `redis_field` says.
fn shared(redis_field: &str, max: u32) -> String {
    format!(
        r#"Scenario(
    name: "redis-shared", seed: 21,
    run: (duration: "125s", warmup: "5s"),
    workload: (users: 500, rps_per_user: 1.0, mix: {{"read": 0.5, "api": 0.5}}),
    components: [
        Cache(name: "redis", capacity: 100, latency: Const("200us"), concurrency: 1),
    ],
    endpoints: {{
        "read": [CacheAside(tiers: ["redis"], on_miss: [Delay(Const("1ms"))])],
        "api": [Delay(Const("1ms"))],
    }},
    limits: {{
        "api": (algorithm: SortedSetLog, window: "1m",
                tiers: [(name: "all", share: 1.0, max: {max})]{redis_field}),
    }},
)"#
    )
}

#[test]
fn a_limiter_on_the_cache_node_adds_its_commands_to_the_nodes_utilization_and_slows_reads() {
    let apart = run(&shared("", 1_000_000));
    let together = run(&shared(r#", redis: Some("redis")"#, 1_000_000));
    // Utilization = Σ rate × commands × service time:
    // apart 250 × 1 × 0.2ms = 0.05; together + 250 × 4 × 0.2ms = 0.25.
    let (u_apart, u_together) = (redis(&apart).utilization, redis(&together).utilization);
    assert!((u_apart - 0.05).abs() < 0.05 * 0.05, "{u_apart}");
    assert!((u_together - 0.25).abs() < 0.02 * 0.25, "{u_together}");
    // Apart, the reads alone make an M/D/1 queue: λ = 0.25/ms, S = 0.2ms,
    // ρ = 0.05, W = λ S² / (2 (1 - ρ)) = 0.005263ms. Together the node is an
    // M/G/1 queue with services 0.2ms (half) and 0.8ms (half): ρ = 0.25,
    // E[S²] = (0.04 + 0.64) / 2 = 0.34ms², λ = 0.5/ms, so a read waits
    // W = λ E[S²] / (2 (1 - ρ)) = 0.11333ms on average before its 0.2ms.
    let read_apart = endpoint_mean_ms(&apart, "read");
    let expected_apart = 0.2 + 0.25 * 0.04 / (2.0 * 0.95);
    assert!(
        (read_apart - expected_apart).abs() < 0.01 * expected_apart,
        "read mean {read_apart}ms, M/D/1 {expected_apart}ms"
    );
    let read_together = endpoint_mean_ms(&together, "read");
    let expected = 0.2 + 0.5 * 0.34 / (2.0 * 0.75);
    assert!(
        (read_together - expected).abs() < 0.03 * expected,
        "read mean {read_together}ms, M/G/1 {expected}ms"
    );
    let p99 = |r: &Report| {
        r.endpoints
            .iter()
            .find(|e| e.name == "read")
            .unwrap()
            .latency
            .p99_ms
    };
    assert!(
        p99(&together) > p99(&apart) + 0.3,
        "{} vs {}",
        p99(&together),
        p99(&apart)
    );
    // The limited request waits for its check's round trip (0.8ms + wait).
    let api = endpoint_mean_ms(&together, "api");
    assert!((api - (1.0 + 0.8 + 0.11333)).abs() < 0.05, "{api}");
}

#[test]
fn rejected_checks_load_the_node_as_much_as_admitted_ones() {
    // max 10 a minute: almost every check is rejected, each still 4 commands.
    let r = run(&shared(r#", redis: Some("redis")"#, 10));
    assert!(r.rate_limits[0].rejected > 25_000, "{:?}", r.rate_limits[0]);
    let u = redis(&r).utilization;
    assert!((u - 0.25).abs() < 0.02 * 0.25, "{u}");
}

#[test]
fn a_limiter_on_an_unknown_cache_is_refused_with_the_caches_there_are() {
    let text = shared(r#", redis: Some("rediss")"#, 10);
    let s = parse(&text, "test.ron").unwrap();
    let problems = validate(&s).expect_err("refused");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, "limits.api.redis");
    assert!(
        problems[0].message.contains("\"redis\""),
        "{}",
        problems[0].message
    );
}

/// `rate` req/s of `page`, which reads its session from `redis` (a
/// `Session` step, `write` as given) and then waits 1ms; the node has one
/// server of 0.2ms per command.
fn sessions(rate: u32, session: &str) -> String {
    format!(
        r#"Scenario(
    name: "redis-sessions", seed: 22,
    run: (duration: "125s", warmup: "5s"),
    workload: (users: {rate}, rps_per_user: 1.0, mix: {{"page": 1.0}}),
    components: [
        Cache(name: "redis", capacity: 100, latency: Const("200us"), concurrency: 1),
    ],
    endpoints: {{
        "page": [{session}, Delay(Const("1ms"))],
    }},
)"#
    )
}

#[test]
fn a_session_read_is_one_command_on_the_node_and_its_wait_is_on_the_request_path() {
    // 500 GETs/s of 0.2ms: ρ = 0.1; M/D/1 wait λS²/(2(1-ρ)) = 0.5 × 0.04 / 1.8
    // = 0.01111ms; the page takes 0.2 + 0.0111 + 1ms.
    let r = run(&sessions(500, r#"Session(cache: "redis")"#));
    let u = redis(&r).utilization;
    assert!((u - 0.1).abs() < 0.02 * 0.1, "{u}");
    let page = endpoint_mean_ms(&r, "page");
    let expected = 0.2 + 0.5 * 0.04 / 1.8 + 1.0;
    assert!(
        (page - expected).abs() < 0.005 * expected,
        "{page} vs {expected}"
    );
    // Saved back (GET and SET EX): 0.4ms a request, ρ = 0.2, wait
    // 0.5 × 0.16 / 1.6 = 0.05ms.
    let r = run(&sessions(500, r#"Session(cache: "redis", write: true)"#));
    let u = redis(&r).utilization;
    assert!((u - 0.2).abs() < 0.02 * 0.2, "{u}");
    let page = endpoint_mean_ms(&r, "page");
    let expected = 0.4 + 0.05 + 1.0;
    assert!(
        (page - expected).abs() < 0.005 * expected,
        "{page} vs {expected}"
    );
}

#[test]
fn a_session_on_an_unknown_cache_is_refused_with_a_suggestion() {
    let text = sessions(10, r#"Session(cache: "rediss")"#);
    let problems = validate(&parse(&text, "test.ron").unwrap()).expect_err("refused");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, "endpoints.page[0].cache");
    assert!(
        problems[0].message.contains("did you mean \"redis\""),
        "{}",
        problems[0].message
    );
}

/// 250 req/s read one cached key on `redis` (0.1ms a command, one server)
/// and `jobs` req/s add a job of `work` to queue `q` (50 workers) whose
/// field `redis` is `queue_redis`.
fn hot_queue(jobs: u32, work: &str, queue_redis: &str) -> String {
    let users = 250 + jobs;
    let read = 250.0 / f64::from(users);
    format!(
        r#"Scenario(
    name: "redis-queue", seed: 23,
    run: (duration: "125s", warmup: "5s"),
    workload: (users: {users}, rps_per_user: 1.0, mix: {{"read": {read}, "add": {add}}}),
    components: [
        Cache(name: "redis", capacity: 100, latency: Const("100us"), concurrency: 1),
        Queue(name: "q", workers: 5000, concurrency: 1{queue_redis}),
    ],
    endpoints: {{
        "read": [CacheAside(tiers: ["redis"], on_miss: [Delay(Const("1ms"))])],
        "add": [Enqueue(queue: "q", work: Const("{work}"))],
    }},
)"#,
        add = 1.0 - read
    )
}

#[test]
fn a_queue_on_the_cache_node_runs_bullmqs_scripts_there_and_slows_reads() {
    let apart = run(&hot_queue(50, "1s", ""));
    let together = run(&hot_queue(50, "1s", r#", redis: Some("redis")"#));
    // Per job of 1s: add 8, take 8, complete 14 commands of 0.1ms = 3ms;
    // 50 jobs/s: 0.15, over the reads' 250 × 0.1ms = 0.025.
    let (u_apart, u_together) = (redis(&apart).utilization, redis(&together).utilization);
    assert!((u_apart - 0.025).abs() < 0.03 * 0.025, "{u_apart}");
    assert!((u_together - 0.175).abs() < 0.03 * 0.175, "{u_together}");
    // The client waits for the add script (0.8ms and its wait), not for the job.
    let add = endpoint_mean_ms(&together, "add");
    assert!(add > 0.8 && add < 1.2, "{add}");
    assert!(endpoint_mean_ms(&apart, "add") < 0.01);
    // Reads wait behind the scripts: at least the M/G/1 wait of the
    // scripts alone as Poisson streams, λ E[S²] / (2 (1 - ρ)) with three
    // streams of 50/s (0.8, 0.8, 1.4ms) and the reads: 0.0733ms, several
    // times the reads' own 0.0013ms.
    let (l, es2) = (0.3, (250.0 * 0.01 + 50.0 * (0.64 + 0.64 + 1.96)) / 400.0);
    let wait = l * es2 / (2.0 * (1.0 - 0.175));
    let read = endpoint_mean_ms(&together, "read") - 0.1;
    let read_apart = endpoint_mean_ms(&apart, "read") - 0.1;
    assert!(read_apart < 0.002, "{read_apart}");
    assert!(
        read > 0.7 * wait && read < 1.5 * wait,
        "{read} vs M/G/1 {wait}"
    );
    // A job of 40s also renews its lock at 15s and 30s (BullMQ's 30s lock
    // renewed every 15s): 6 more commands, 0.18 from the queue in all
    // (measured after a warm-up of 45s, when jobs end as fast as they start).
    let long = run(&hot_queue(50, "40s", r#", redis: Some("redis")"#)
        .replace(r#"warmup: "5s""#, r#"warmup: "45s""#));
    let u = redis(&long).utilization;
    assert!((u - 0.205).abs() < 0.03 * 0.205, "{u}");
}

#[test]
fn a_queue_on_an_unknown_cache_is_refused_with_the_caches_there_are() {
    let text = hot_queue(5, "1s", r#", redis: Some("cache")"#);
    let problems = validate(&parse(&text, "test.ron").unwrap()).expect_err("refused");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, "components[1].redis");
    assert!(problems[0].message.contains("\"redis\""), "{problems:?}");
}
