//! ns/op for the control algorithms: limiters, breaker, backoff, balancing.
//!
//! Run: `cargo bench --bench algo -- --warm-up-time 1 --measurement-time 2`

use std::hint::black_box;

use criterion::Criterion;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use scaletwin::algo::backoff::{Backoff, Jitter, RetryBudget};
use scaletwin::algo::balance::{Backend, Balancer, Strategy};
use scaletwin::algo::breaker::{Breaker, BreakerConfig, RateTrip};
use scaletwin::algo::clock::Nanos;
use scaletwin::algo::limiter::{DirectLimiter, KeyedLimiter, Limiter, LimiterParams};

fn limiters() -> Vec<Limiter> {
    let window = LimiterParams::Window {
        window: Nanos::from_secs(1),
        max: 100,
    };
    let rate = LimiterParams::Rate {
        count: 100,
        period: Nanos::from_secs(1),
        burst: 20,
    };
    vec![
        Limiter::from_name("sliding_log", window).unwrap(),
        Limiter::from_name("sliding_counter", window).unwrap(),
        Limiter::from_name("token_bucket", rate).unwrap(),
        Limiter::from_name("gcra", rate).unwrap(),
    ]
}

pub(crate) fn bench_limiters(c: &mut Criterion) {
    let mut g = c.benchmark_group("limiter");
    for algo in limiters() {
        // One key, ~2x over the limit (a request every 5ms against 100/s).
        let mut lim = DirectLimiter::new(algo);
        let mut now = 0u64;
        g.bench_function(format!("direct/{}", algo.name()), |b| {
            b.iter(|| {
                now += 5_000_000;
                black_box(lim.check_at(Nanos(now)))
            })
        });
        // 1024 keys in a round, each key at ~2x its limit; includes the hash lookup.
        let mut lim = KeyedLimiter::new(algo);
        let mut now = 0u64;
        let mut key = 0u64;
        g.bench_function(format!("keyed_1k/{}", algo.name()), |b| {
            b.iter(|| {
                now += 5_000;
                key = (key + 1) & 1023;
                black_box(lim.check_at(&key, Nanos(now)))
            })
        });
    }
    g.finish();
}

pub(crate) fn bench_breaker(c: &mut Criterion) {
    let mut g = c.benchmark_group("breaker");
    let configs = [
        (
            "count",
            BreakerConfig {
                failure_threshold: 5,
                ..BreakerConfig::default()
            },
        ),
        (
            "count+rate",
            BreakerConfig {
                failure_threshold: 5,
                rate: Some(RateTrip {
                    percent: 50,
                    window: Nanos::from_secs(10),
                    buckets: 10,
                    min_calls: 20,
                }),
                ..BreakerConfig::default()
            },
        ),
    ];
    for (name, cfg) in configs {
        let mut br = Breaker::new(cfg).unwrap();
        let mut now = 0u64;
        let mut i = 0u32;
        g.bench_function(format!("acquire+record/{name}"), |b| {
            b.iter(|| {
                now += 1_000_000;
                i = i.wrapping_add(1);
                if br.try_acquire_at(Nanos(now)).is_permitted() {
                    // 1 failure in 8: stays closed (never 5 in a row, rate 12.5%).
                    if i.is_multiple_of(8) {
                        br.on_failure_at(Nanos(now));
                    } else {
                        br.on_success_at(Nanos(now));
                    }
                }
                black_box(br.state())
            })
        });
    }
    g.finish();
}

pub(crate) fn bench_backoff(c: &mut Criterion) {
    let mut g = c.benchmark_group("backoff");
    for jitter in [
        Jitter::None,
        Jitter::Full,
        Jitter::Equal,
        Jitter::Decorrelated,
    ] {
        let p = Backoff {
            max_attempts: 8,
            jitter,
            ..Backoff::default()
        };
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut retry = 0u32;
        let mut prev = Nanos::ZERO;
        g.bench_function(format!("delay/{jitter:?}"), |b| {
            b.iter(|| {
                retry = (retry + 1) & 7;
                prev = p.delay(black_box(retry), prev, &mut rng);
                prev
            })
        });
    }
    let mut budget = RetryBudget::new(0.1, 10, 100);
    let mut now = 0u64;
    g.bench_function("retry_budget/request+retry", |b| {
        b.iter(|| {
            now += 1_000;
            budget.on_request_at(Nanos(now));
            black_box(budget.try_retry_at(Nanos(now)))
        })
    });
    g.finish();
}

pub(crate) fn bench_balance(c: &mut Criterion) {
    let mut g = c.benchmark_group("balance_16");
    let all_healthy: Vec<Backend> = (0..16u32)
        .map(|i| Backend {
            healthy: true,
            in_flight: (i * 7) % 5,
            weight: 1 + i % 3,
        })
        .collect();
    let mut some_down = all_healthy.clone();
    for i in [2, 5, 11, 14] {
        some_down[i].healthy = false;
    }
    for (set_name, set) in [("all_healthy", &all_healthy), ("4_down", &some_down)] {
        for s in [
            Strategy::RoundRobin,
            Strategy::Random,
            Strategy::LeastConnections,
            Strategy::Weighted,
            Strategy::PowerOfTwoChoices,
        ] {
            let mut lb = Balancer::new(s);
            let mut rng = ChaCha8Rng::seed_from_u64(2);
            g.bench_function(format!("{s:?}/{set_name}"), |b| {
                b.iter(|| black_box(lb.pick(set, &mut rng)))
            });
        }
    }
    g.finish();
}
