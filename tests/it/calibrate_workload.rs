//! `calibrate --fit`: the workload fitted back from data drawn here by an
//! independent generator (SplitMix64, not the simulator): the rate and mix
//! of a Poisson request log exactly as counted, a stepped rate written as
//! Steps, and the keys' Zipf exponent recovered from hit ratios measured on
//! an LRU and on a TTL cache with invalidations simulated directly in this
//! file; malformed inputs exit 2 with their file, line and field.

use crate::calibrate::{dir, scaletwin, SplitMix};
use scaletwin::calibrate::observed::Window;
use scaletwin::calibrate::workload::{calibrate_workload, Sources, WorkloadFits};
use scaletwin::scenario::schema::{Pattern, Popularity};
use scaletwin::telemetry::Mapping;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::path::{Path, PathBuf};

impl SplitMix {
    fn exp(&mut self, rate: f64) -> f64 {
        -self.unit().ln() / rate
    }
}

const ENDPOINTS: [(&str, f64); 3] = [("list", 0.6), ("get", 0.3), ("update", 0.1)];

/// A Poisson request log at `rate(t)` (thinning from `max`) for `seconds`;
/// returns the arrivals per endpoint counted while writing.
fn write_log(
    path: &Path,
    seconds: f64,
    max: f64,
    rate: impl Fn(f64) -> f64,
) -> BTreeMap<String, u64> {
    let mut g = SplitMix(17);
    let mut out = String::from("timestamp,endpoint,latency\n");
    let mut counts = BTreeMap::new();
    let mut t = 0.0;
    loop {
        t += g.exp(max);
        if t >= seconds {
            break;
        }
        if g.unit() * max > rate(t) {
            continue;
        }
        let u = g.unit();
        let mut acc = 0.0;
        let e = ENDPOINTS
            .iter()
            .find(|(_, p)| {
                acc += p;
                u < acc
            })
            .map_or("update", |e| e.0);
        *counts.entry(e.to_owned()).or_insert(0) += 1;
        let _ = writeln!(out, "{:.6},{e},0.01", 1000.0 + t);
    }
    std::fs::write(path, out).unwrap();
    counts
}

const SCENARIO: &str = r#"Scenario(
    name: "workload-to-fit", seed: 1,
    run: (duration: "60s", interval: "10s"),
    workload: (
        users: 4,
        rps_per_user: 1.0,  // a placeholder
        keys: (count: 2_000),
        mix: { "list": 1.0, "get": 1.0, "update": 1.0 },
    ),
    components: [
        LoadBalancer(name: "lb", targets: { "api": 1 }),
        Deployment(name: "api", replicas: 1, concurrency: 8),
        Cache(name: "c", capacity: 200, latency: Const("0ms"), concurrency: 64),
    ],
    endpoints: {
        "list": [Lb("lb"), Compute(Exp("1ms"))],
        "get": [Lb("lb"), CacheAside(tiers: ["c"], on_miss: [Delay(Const("1ms"))])],
        "update": [Lb("lb"), Compute(Exp("1ms")), Invalidate(["c"])],
    },
)"#;

fn fit(
    scenario: &str,
    fits: &str,
    paths: &[PathBuf],
    map: &str,
    window: Window,
) -> Result<scaletwin::calibrate::workload::WorkloadCalibration, String> {
    let s = scaletwin::scenario::parse(scenario, "s.ron").unwrap();
    let mapping = Mapping::parse(map).unwrap();
    let sources = Sources {
        paths,
        window,
        mapping: &mapping,
        cache: None,
    };
    calibrate_workload(
        &s,
        scenario,
        WorkloadFits::parse(fits).unwrap(),
        &sources,
        "test data",
    )
}

#[test]
fn a_poisson_log_gives_its_counted_rate_and_mix_and_a_constant_pattern() {
    let d = dir("wl-const");
    let log = d.join("requests.csv");
    let counts = write_log(&log, 600.0, 40.0, |_| 40.0);
    let n: u64 = counts.values().sum();
    let cal = fit(
        SCENARIO,
        "workload.rate,workload.mix",
        &[log],
        "",
        Window::ALL,
    )
    .unwrap();
    let s = scaletwin::scenario::parse(&cal.text, "out.ron").unwrap();
    scaletwin::scenario::validate(&s).unwrap();
    // The rate is the count over the time covered (whole seconds of the log).
    let rate = s.workload.users * s.workload.rps_per_user;
    assert!((rate - n as f64 / 600.0).abs() < 1e-5, "{rate} vs {n}/600");
    assert!(
        (rate - 40.0).abs() < 3.0 * (40.0f64 / 600.0).sqrt(),
        "{rate}: within 3 standard errors of 40"
    );
    assert_eq!(s.workload.pattern, Pattern::Constant, "{}", cal.text);
    let t = cal.traffic.as_ref().unwrap();
    assert!(t.rate.p_value >= 1e-3 && t.rate.bins.len() == 60);
    for (e, p) in ENDPOINTS {
        let counted = counts[e] as f64 / n as f64;
        let written = s.workload.mix[e];
        assert!(
            (written - counted).abs() <= 1e-6,
            "{e}: {written} vs {counted}"
        );
        let se = (p * (1.0 - p) / n as f64).sqrt();
        assert!((written - p).abs() < 4.0 * se, "{e}: {written} vs {p}");
    }
    assert!((s.workload.mix.values().sum::<f64>() - 1.0).abs() < 1e-9);
    // Provenance: the header and the notes say where each value came from.
    assert!(cal
        .text
        .starts_with("// Calibrated by `scaletwin calibrate` from test data"));
    assert!(cal
        .text
        .contains(&format!("from n = {n} arrivals in 600 s")));
    assert!(cal.text.contains("Constant: the counts per 10 s interval"));
    assert!(cal.text.contains("// a placeholder"), "comments kept");
}

#[test]
fn a_rate_that_steps_up_is_written_as_steps_of_each_interval() {
    let d = dir("wl-steps");
    let log = d.join("requests.csv");
    write_log(&log, 120.0, 60.0, |t| if t < 60.0 { 20.0 } else { 60.0 });
    let window = Window::parse("0s..120s").unwrap();
    let cal = fit(SCENARIO, "workload.rate", &[log], "", window).unwrap();
    let s = scaletwin::scenario::parse(&cal.text, "out.ron").unwrap();
    let Pattern::Steps(steps) = &s.workload.pattern else {
        panic!("{}", cal.text)
    };
    assert_eq!(steps.len(), 12, "one per 10 s interval");
    let base = s.workload.users * s.workload.rps_per_user;
    assert!((base - 40.0).abs() < 3.0, "the mean: {base}");
    for (k, step) in steps.iter().enumerate() {
        let want = if k < 6 { 20.0 } else { 60.0 };
        let got = base * step.factor;
        // Each interval's count is Poisson: within 4 standard errors.
        assert!(
            (got - want).abs() < 4.0 * (want / 10.0f64).sqrt(),
            "interval {k}: {got} vs {want}"
        );
        assert_eq!(step.at.0.as_secs_f64(), 10.0 * k as f64);
    }
    assert!(cal
        .text
        .contains("the counts per interval vary more than a constant Poisson rate allows"));
}

/// A direct LRU simulation: the hit ratio of Zipf(`s`) lookups of `n` keys
/// on `capacity` entries, after a warm-up.
fn lru_hit_ratio(n: usize, s: f64, capacity: usize, lookups: usize) -> (u64, u64) {
    let cdf = zipf_cdf(n, s);
    let mut g = SplitMix(5);
    let mut stamp_of: HashMap<usize, u64> = HashMap::new();
    let mut by_stamp: BTreeMap<u64, usize> = BTreeMap::new();
    let (mut hits, mut misses) = (0, 0);
    for i in 0..(lookups + lookups / 4) as u64 {
        let u = g.unit();
        let key = cdf.partition_point(|&c| c <= u).min(n - 1);
        let hit = match stamp_of.get(&key) {
            Some(old) => {
                by_stamp.remove(old);
                true
            }
            None => {
                if stamp_of.len() == capacity {
                    let (_, evicted) = by_stamp.pop_first().unwrap();
                    stamp_of.remove(&evicted);
                }
                false
            }
        };
        stamp_of.insert(key, i);
        by_stamp.insert(i, key);
        if i >= (lookups / 4) as u64 {
            if hit {
                hits += 1;
            } else {
                misses += 1;
            }
        }
    }
    (hits, misses)
}

fn zipf_cdf(n: usize, s: f64) -> Vec<f64> {
    let w: Vec<f64> = (1..=n).map(|k| (k as f64).powf(-s)).collect();
    let total: f64 = w.iter().sum();
    let mut acc = 0.0;
    w.iter()
        .map(|x| {
            acc += x / total;
            acc
        })
        .collect()
}

/// Counters as a telemetry CSV: hits and misses at the window's two ends.
fn write_counters(path: &Path, seconds: f64, hits: u64, misses: u64) {
    std::fs::write(
        path,
        format!("time,series,value\n0,cache_hits_total,0\n0,cache_misses_total,0\n{seconds},cache_hits_total,{hits}\n{seconds},cache_misses_total,{misses}\n"),
    )
    .unwrap();
}

fn written_exponent(text: &str) -> f64 {
    let s = scaletwin::scenario::parse(text, "out.ron").unwrap();
    scaletwin::scenario::validate(&s).unwrap();
    match s.workload.keys.unwrap().popularity {
        Popularity::Zipf(x) => x,
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_zipf_exponent_is_recovered_from_a_simulated_lru_hit_ratio() {
    let d = dir("wl-lru");
    let (hits, misses) = lru_hit_ratio(2000, 0.8, 200, 400_000);
    let counters = d.join("counters.csv");
    write_counters(&counters, 1000.0, hits, misses);
    // Only lookups here (the hit ratio without invalidations).
    let scenario = SCENARIO.replace(
        r#"mix: { "list": 1.0, "get": 1.0, "update": 1.0 }"#,
        r#"mix: { "get": 1.0 }"#,
    );
    let cal = fit(&scenario, "workload.keys", &[counters], "", Window::ALL).unwrap();
    let s = written_exponent(&cal.text);
    assert!((s - 0.8).abs() < 0.03, "recovered {s}: {}", cal.lines[0]);
    let p = cal.popularity.unwrap();
    assert!((p.achieved - p.observed()).abs() < 1e-3);
    assert!(
        cal.text.contains("popularity: Zipf("),
        "inserted after count: {}",
        cal.text
    );
}

/// A direct TTL-cache simulation: Poisson lookups at `lookups`/s and
/// invalidations at `invalidations`/s of Zipf(`s`) keys; an entry lives
/// `ttl` seconds from the miss that loaded it unless invalidated first.
fn ttl_hit_ratio(
    n: usize,
    s: f64,
    ttl: f64,
    lookups: f64,
    invalidations: f64,
    seconds: f64,
) -> (u64, u64) {
    let cdf = zipf_cdf(n, s);
    let mut g = SplitMix(9);
    let mut expires = vec![f64::NEG_INFINITY; n];
    let (mut hits, mut misses, mut t) = (0, 0, 0.0);
    let warmup = 10.0 * ttl;
    while t < warmup + seconds {
        t += g.exp(lookups + invalidations);
        let is_lookup = g.unit() * (lookups + invalidations) < lookups;
        let u = g.unit();
        let key = cdf.partition_point(|&c| c <= u).min(n - 1);
        if !is_lookup {
            expires[key] = f64::NEG_INFINITY;
            continue;
        }
        let hit = expires[key] > t;
        if !hit {
            expires[key] = t + ttl;
        }
        if t >= warmup {
            if hit {
                hits += 1;
            } else {
                misses += 1;
            }
        }
    }
    (hits, misses)
}

#[test]
fn the_zipf_exponent_is_recovered_from_a_ttl_cache_with_invalidations() {
    let d = dir("wl-ttl");
    // 16 lookups/s and 4 invalidations/s: the mix's get : update = 0.8 : 0.2.
    let (hits, misses) = ttl_hit_ratio(5000, 1.0, 5.0, 16.0, 4.0, 20_000.0);
    let counters = d.join("counters.json");
    let json = format!(
        r#"{{"status":"success","data":{{"resultType":"matrix","result":[
{{"metric":{{"__name__":"lookups_total","result":"hit"}},"values":[[0,"0"],[20000,"{hits}"]]}},
{{"metric":{{"__name__":"lookups_total","result":"miss"}},"values":[[0,"0"],[20000,"{misses}"]]}}]}}}}"#
    );
    std::fs::write(&counters, json).unwrap();
    let scenario = SCENARIO
        .replace(r#"capacity: 200,"#, r#"ttl: "5s","#)
        .replace(
            r#"mix: { "list": 1.0, "get": 1.0, "update": 1.0 }"#,
            r#"mix: { "get": 0.8, "update": 0.2 }"#,
        )
        .replace(
            "keys: (count: 2_000)",
            "keys: (count: 5_000, popularity: Uniform)",
        );
    let map = r#"hits=lookups_total{result="hit"},misses=lookups_total{result="miss"}"#;
    let cal = fit(&scenario, "workload.keys", &[counters], map, Window::ALL).unwrap();
    let s = written_exponent(&cal.text);
    assert!((s - 1.0).abs() < 0.03, "recovered {s}: {}", cal.lines[0]);
    let rate = (hits + misses) as f64 / 20_000.0;
    let said = format!(
        "at {rate:.3} lookups/s and {:.3} invalidations/s",
        rate * 0.25
    );
    assert!(cal.lines[0].contains(&said), "{}", cal.lines[0]);
    assert!(!cal.text.contains("Uniform"), "replaced");
}

#[test]
fn malformed_inputs_and_impossible_fits_exit_2_with_file_line_and_field() {
    let d = dir("wl-bad");
    std::fs::write(d.join("s.ron"), SCENARIO).unwrap();
    let cases: [(&str, &str, &str, &[&str]); 5] = [
        ("log.csv", "timestamp,endpoint,latency\n1,list,0.1\nsoon,list,0.1\n", "workload.rate", &["log.csv:3: field `timestamp`"]),
        ("bad.json", "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[\n{\"metric\":{},\"values\":[[1,\"x\"]]}]}}", "workload.keys", &["bad.json:2: column", "field `value`"]),
        ("bad.csv", "time,series,value\n0,cache_hits_total,0\n1,cache_hits_total,lots\n", "workload.keys", &["bad.csv:3: field `value`"]),
        ("other.csv", "timestamp,endpoint,latency\n1,search,0.1\n2,search,0.1\n", "workload.mix", &["endpoint `search`, which the scenario does not define"]),
        ("log2.csv", "timestamp,endpoint,latency\n1,list,0.1\n", "workload.users", &["--fit `workload.users` cannot be fitted"]),
    ];
    for (name, text, what, expect) in cases {
        std::fs::write(d.join(name), text).unwrap();
        let out = scaletwin(&[
            "calibrate",
            d.join("s.ron").to_str().unwrap(),
            "--observed",
            d.join(name).to_str().unwrap(),
            "--fit",
            what,
        ]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(expect.iter().all(|e| err.contains(e)), "{name}: {err}");
    }
}
