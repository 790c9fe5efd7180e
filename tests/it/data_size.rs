//! A database's data size (issue 15.7): its buffer cache hits as Che's
//! approximation says (and as a real LRU over the same pages does), growing
//! data at a fixed class lowers the hit ratio and raises p99, the volume's
//! IOPS is a throughput ceiling with M/D/1 queueing below it, and the
//! volume is billed by its size and provisioned IOPS.

use crate::data_tier::{che, zipf};
use scaletwin::algo::cache::{Cache, CacheConfig};
use scaletwin::algo::Nanos;
use scaletwin::cost::{cost, Usage};
use scaletwin::engine::stream;
use scaletwin::report::NodeStorageReport;
use scaletwin::scenario::{parse, validate, Plan};
use scaletwin::workload::PopularitySampler;
use scaletwin::Report;

/// Poisson queries at `lambda`/s straight to database `pg`, each `work`
/// of CPU on a key of `keys`; `db` is the rest of the database's fields.
fn direct(lambda: f64, keys: &str, db: &str, work: &str, seconds: u64) -> String {
    format!(
        r#"Scenario(
            name: "data-size", seed: 15,
            run: (duration: "{seconds}s", warmup: "{warmup}s", interval: "1h"),
            workload: (users: {lambda}, rps_per_user: 1.0, keys: {keys}, mix: {{ "q": 1.0 }}),
            components: [ Database(name: "pg", {db}) ],
            endpoints: {{ "q": [DbRead(Const("{work}"))] }},
        )"#,
        warmup = seconds / 10
    )
}

fn plan(text: &str) -> Plan {
    let s = parse(text, "data_size.ron").unwrap_or_else(|e| panic!("{e}\n{text}"));
    validate(&s).unwrap_or_else(|p| panic!("{p:?}\n{text}"))
}

fn primary(r: &Report) -> &NodeStorageReport {
    r.databases[0].nodes[0]
        .storage
        .as_ref()
        .expect("a data size")
}

/// db.t3.medium (4 GiB: 524,288 pages of 8 KiB) with `pages` of them caching.
fn t3_caching(pages: u32) -> String {
    format!(
        "connections: 64, class: \"db.t3.medium\", sized_by_class: true, storage: (cache_share: {})",
        f64::from(pages) / 524_288.0
    )
}

#[test]
fn buffer_cache_hits_as_che_predicts() {
    // 10,000 Zipf(0.8) keys of one page each (80,000 KiB), 1,000 pages cached.
    let keys = "(count: 10000, popularity: Zipf(0.8))";
    let db = format!("data_size: \"80000Ki\", {}", t3_caching(1000));
    let p = plan(&direct(1000.0, keys, &db, "1ms", 200));
    let expected = che(&zipf(10_000, 0.8), 1000.0);
    assert!((expected - 0.43666).abs() < 5e-5, "Che: {expected}");
    let data = p.databases()[0].data.as_ref().unwrap();
    assert!((data.pages_per_key - 1.0).abs() < 1e-12);
    assert!((data.primary.pages - 1000.0).abs() < 1e-9);
    assert!(
        (data.primary.hit_ratio - expected).abs() < 1e-4,
        "the plan's Che {} vs {expected}",
        data.primary.hit_ratio
    );
    let r = scaletwin::simulate(&p);
    let s = primary(&r);
    assert!(s.lookups > 150_000, "{s:?}");
    assert!(
        (s.hit_ratio - expected).abs() < 0.01,
        "simulated {} vs Che {expected}",
        s.hit_ratio
    );
    assert_eq!(
        s.reads,
        s.lookups - (s.hit_ratio * s.lookups as f64).round() as u64
    );
}

/// A real LRU of `capacity` pages fed the page stream the model describes:
/// key k of Zipf(`s`) over `n`, one of its `m` pages (its rows fill pages
/// `[k·m, (k+1)·m)` in order of popularity) uniformly.
fn lru_over_pages(n: u64, s: f64, m: f64, capacity: usize) -> f64 {
    use rand::RngExt as _;
    let keys = PopularitySampler::zipf(n, s);
    let mut rng = stream(0x15_07, "lru-pages");
    let mut cache: Cache<u64, ()> = Cache::new(CacheConfig::lru(capacity));
    let mut run = |cache: &mut Cache<u64, ()>, count: usize| {
        for _ in 0..count {
            let k = keys.sample(&mut rng) as f64;
            let page = ((k + rng.random::<f64>()) * m) as u64;
            if cache.get_at(Nanos::ZERO, &page).is_miss() {
                cache.insert_at(Nanos::ZERO, page, ());
            }
        }
    };
    run(&mut cache, 50 * capacity);
    cache.reset_stats();
    run(&mut cache, 1_500_000);
    cache.stats().hit_ratio()
}

#[test]
fn a_real_lru_over_pages_hits_as_the_model_says() {
    // 10,000 Zipf(0.9) keys, 2,000 pages cached; keys of 4 pages, 1 page,
    // and a quarter page (four keys share each page).
    for (data, m) in [("320000Ki", 4.0), ("80000Ki", 1.0), ("20000Ki", 0.25)] {
        let db = format!("data_size: \"{data}\", {}", t3_caching(2000));
        let p = plan(&direct(
            1.0,
            "(count: 10000, popularity: Zipf(0.9))",
            &db,
            "1ms",
            10,
        ));
        let model = p.databases()[0].data.as_ref().unwrap();
        assert!((model.pages_per_key - m).abs() < 1e-12);
        let lru = lru_over_pages(10_000, 0.9, m, 2000);
        println!("m={m}: LRU {lru:.5}, model {:.5}", model.primary.hit_ratio);
        assert!(
            (lru - model.primary.hit_ratio).abs() < 0.01,
            "{m} pages per key: LRU {lru} vs model {}",
            model.primary.hit_ratio
        );
    }
}

/// Che over pages when each of `p.len()` keys fills `m` pages, each of
/// rate p_k/m: Σ m(1 − e^{−p_k T/m}) = capacity.
fn che_pages(p: &[f64], m: f64, capacity: f64) -> f64 {
    let held = |t: f64| p.iter().map(|pi| m * -(-pi * t / m).exp_m1()).sum::<f64>();
    let (mut lo, mut hi) = (0.0, 1.0);
    while held(hi) < capacity {
        hi *= 2.0;
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if held(mid) < capacity {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let t = 0.5 * (lo + hi);
    p.iter().map(|pi| pi * -(-pi * t / m).exp_m1()).sum()
}

#[test]
fn growing_data_at_a_fixed_class_lowers_hits_and_raises_p99() {
    // db.r6g.large: 16 GiB, 75% caching = 1,572,864 pages of 8 KiB. A
    // million Zipf(0.9) keys: 10 GiB fills 1.31M pages (all cached), 1 TiB
    // 134M pages (134.2 a key).
    let keys = "(count: 1000000, popularity: Zipf(0.9))";
    let run = |data: &str| {
        let db = format!(
            "connections: 64, class: \"db.r6g.large\", sized_by_class: true, data_size: \"{data}\""
        );
        scaletwin::simulate(&plan(&direct(500.0, keys, &db, "1ms", 120)))
    };
    let (small, large) = (run("10Gi"), run("1Ti"));
    let p = zipf(1_000_000, 0.9);
    let cache = 16.0 * 1024.0 * 1024.0 * 1024.0 * 0.75 / 8192.0;
    let m = (1u64 << 40) as f64 / 1e6 / 8192.0;
    let expected = che_pages(&p, m, cache);
    let (s, l) = (primary(&small), primary(&large));
    println!("10Gi: {s:?}\n1Ti: {l:?} Che {expected:.5}");
    assert_eq!(s.hit_ratio, 1.0);
    assert_eq!(s.che_hit_ratio, 1.0);
    assert!(
        (l.che_hit_ratio - expected).abs() < 1e-4,
        "{} vs {expected}",
        l.che_hit_ratio
    );
    assert!(expected < 0.8, "{expected}");
    assert!(
        (l.hit_ratio - expected).abs() < 0.01,
        "simulated {} vs Che {expected}",
        l.hit_ratio
    );
    let p99 = |r: &Report| r.summary.latency.p99_ms;
    assert!(
        p99(&large) > p99(&small) + 0.5,
        "p99 {} (1 TiB) vs {} (10 GiB)",
        p99(&large),
        p99(&small)
    );
}

/// 300 GiB over a million uniform keys on db.t3.medium: 393,216 of 39.3M
/// pages cached, so 99% of queries read a page, from a gp3 volume's 3,000
/// IOPS (under 400 GiB: the unstriped baseline). `lambda` queries/s.
fn miss_heavy(lambda: f64, seconds: u64) -> Report {
    let db = "connections: 200000, class: \"db.t3.medium\", sized_by_class: true, data_size: \"300Gi\", storage: (read_latency: Const(\"1ms\"))";
    let keys = "(count: 1000000, popularity: Uniform)";
    scaletwin::simulate(&plan(&direct(lambda, keys, db, "100us", seconds)))
}

#[test]
fn iops_cap_the_throughput_and_reads_queue_as_md1_below_it() {
    let miss = 1.0 - 393_216.0 / (300.0 * 131_072.0);
    let ceiling = 3000.0 / miss;
    // Twice the ceiling offered: queries finish at IOPS / misses per query.
    let r = miss_heavy(2.0 * ceiling, 40);
    let measured = 36.0;
    let done = r.databases[0].reads as f64 / measured;
    let s = primary(&r);
    assert!((s.hit_ratio - (1.0 - miss)).abs() < 0.003, "{s:?}");
    assert!(
        (done - ceiling).abs() < 0.02 * ceiling,
        "{done} queries/s vs ceiling {ceiling}"
    );
    assert!(s.volume_busy > 0.98, "{s:?}");
    // Below it, misses are Poisson (a Bernoulli split of Poisson queries)
    // to a deterministic server of 1/3000 s: M/D/1's wait ρ/(2μ(1−ρ)).
    for rho in [0.5, 0.9] {
        let r = miss_heavy(rho * ceiling, 400);
        let s = primary(&r);
        let md1 = rho / (2.0 * 3000.0 * (1.0 - rho)) * 1e3;
        println!("ρ {rho}: read wait {} ms, M/D/1 {md1}", s.read_wait_mean_ms);
        assert!(
            (s.read_wait_mean_ms - md1).abs() < 0.1 * md1,
            "ρ {rho}: read wait {} ms vs M/D/1 {md1}",
            s.read_wait_mean_ms
        );
        assert!((s.volume_busy - rho).abs() < 0.02, "{s:?}");
    }
}

#[test]
fn storage_is_billed_by_size_and_provisioned_iops() {
    let bill = |storage: &str| {
        let db = format!(
            "connections: 8, class: \"db.r6g.large\", sized_by_class: true, replicas: 1{storage}"
        );
        let p = plan(&direct(
            10.0,
            "(count: 1000, popularity: Uniform)",
            &db,
            "1ms",
            10,
        ));
        let r = scaletwin::simulate(&p);
        cost(&p, &Usage::from_report(&r)).unwrap().per_month
    };
    let none = bill("");
    let gp3 = bill(", data_size: \"100Gi\"");
    let provisioned = bill(", data_size: \"100Gi\", storage: (iops: 5000, throughput: \"200Mi\")");
    let io2 = bill(", data_size: \"100Gi\", storage: (volume: Io2, iops: 5000)");
    // Two nodes (primary, replica), each a 100 GiB volume: $0.115/GiB-month
    // (the report rounds each monthly figure to the cent).
    let close = |got: f64, want: f64| assert!((got - want).abs() < 0.011, "{got} vs {want}");
    close(gp3 - none, 2.0 * 100.0 * 0.115);
    close(provisioned - gp3, 2.0 * 2000.0 * 0.02 + 2.0 * 75.0 * 0.08);
    close(io2 - none, 2.0 * (100.0 * 0.125 + 5000.0 * 0.10));
}

#[test]
fn without_a_data_size_nothing_reads_storage() {
    let db = "connections: 8, class: \"db.r6g.large\", sized_by_class: true";
    let p = plan(&direct(
        100.0,
        "(count: 1000, popularity: Uniform)",
        db,
        "1ms",
        10,
    ));
    assert!(p.databases()[0].data.is_none());
    let r = scaletwin::simulate(&p);
    assert!(r.databases[0].nodes[0].storage.is_none());
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("storage"), "{json}");
}

#[test]
fn bad_data_sizes_are_refused_with_their_field() {
    let problems = |db: &str, keys: &str| -> Vec<(String, String)> {
        let text = direct(1.0, keys, db, "1ms", 10).replace("keys: NONE, ", "");
        let s = parse(&text, "data_size.ron").unwrap();
        validate(&s)
            .err()
            .unwrap_or_else(|| panic!("accepted: {db}"))
            .into_iter()
            .map(|p| (p.path, p.message))
            .collect()
    };
    let keys = "(count: 1000, popularity: Uniform)";
    let cases = [
        ("connections: 8, data_size: \"1Gi\"", keys, "components[0].data_size", "sized_by_class"),
        ("connections: 8, sized_by_class: true, data_size: \"1Gi\"", "NONE", "components[0].data_size", "workload.keys"),
        ("connections: 8, sized_by_class: true, storage: (iops: 4000)", keys, "components[0].storage", "data_size"),
        ("connections: 8, sized_by_class: true, data_size: \"1Gi\", storage: (iops: 2000)", keys, "components[0].storage.iops", "from 3000"),
        ("connections: 8, sized_by_class: true, data_size: \"1Gi\", storage: (volume: Io2)", keys, "components[0].storage.iops", "needs its provisioned"),
        ("connections: 8, sized_by_class: true, data_size: \"1Gi\", storage: (cache_share: 1.5)", keys, "components[0].storage.cache_share", "at most 1"),
        ("connections: 8, sized_by_class: true, data_size: \"1Gi\", storage: (page_size: \"100\")", keys, "components[0].storage.page_size", "512"),
    ];
    for (db, keys, path, words) in cases {
        let found = problems(db, keys);
        assert!(
            found.iter().any(|(p, m)| p == path && m.contains(words)),
            "{db}: {found:?}"
        );
    }
}
