//! Backoff delays and the retry budget.

use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use scaletwin::algo::backoff::{Backoff, Jitter, RetryBudget};
use scaletwin::algo::clock::Nanos;

use crate::cases;

const MODES: [Jitter; 4] = [
    Jitter::None,
    Jitter::Full,
    Jitter::Equal,
    Jitter::Decorrelated,
];

fn policy(base: u64, mult: f64, cap: u64, jitter: Jitter) -> Backoff {
    Backoff {
        max_attempts: 10,
        base: Nanos(base),
        multiplier: mult,
        cap: Nanos(cap),
        jitter,
    }
}

proptest! {
    #![proptest_config(cases(128))]

    /// Every jitter mode keeps every delay within [0, cap], whatever the previous delay.
    #[test]
    fn delays_within_cap(
        base in 0u64..10_000_000_000,
        mult in prop_oneof![Just(1.0f64), Just(2.0), 0.5f64..10.0],
        cap in 0u64..60_000_000_000,
        seed in any::<u64>(),
        steps in prop::collection::vec((0u32..200, any::<u64>()), 1..40),
    ) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for jitter in MODES {
            let p = policy(base, mult, cap, jitter);
            let mut prev = Nanos::ZERO;
            for &(retry, stray_prev) in &steps {
                let d = p.delay(retry, prev, &mut rng);
                prop_assert!(d.0 <= cap, "{:?}: {:?} > cap {}", jitter, d, cap);
                let d2 = p.delay(retry, Nanos(stray_prev), &mut rng);
                prop_assert!(d2.0 <= cap);
                prev = d;
                // The bounds each mode promises.
                let e = p.exponential(retry);
                match jitter {
                    Jitter::None => prop_assert_eq!(d, e),
                    Jitter::Full => prop_assert!(d <= e),
                    Jitter::Equal => prop_assert!(d.0 >= e.0 - e.0 / 2 && d <= e),
                    Jitter::Decorrelated => prop_assert!(d.0 >= base.min(cap)),
                }
            }
        }
    }

    /// The same seed gives the same delays, in every mode.
    #[test]
    fn deterministic_for_a_seed(seed in any::<u64>()) {
        for jitter in MODES {
            let p = policy(50_000_000, 1.5, 20_000_000_000, jitter);
            let run = || {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                let mut r = Backoff { max_attempts: 30, ..p }.start();
                std::iter::from_fn(|| r.next_delay(&mut rng)).collect::<Vec<_>>()
            };
            let a = run();
            prop_assert_eq!(a.len(), 29);
            prop_assert_eq!(a, run());
        }
    }

    /// No jitter: base * multiplier^n exactly (powers of two), non-decreasing, then flat at cap.
    #[test]
    fn exponential_growth_before_cap(base in 1u64..1_000_000_000, shift in 0u32..20) {
        let cap = base << shift;
        let p = policy(base, 2.0, cap, Jitter::None);
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        for n in 0..40u32 {
            let d = p.delay(n, Nanos::ZERO, &mut rng);
            let expected = if n < shift { base << n } else { cap };
            prop_assert_eq!(d, Nanos(expected));
        }
        let q = policy(base, 1.7, cap, Jitter::None);
        let ds: Vec<_> = (0..40).map(|n| q.exponential(n)).collect();
        prop_assert!(ds.windows(2).all(|w| w[0] <= w[1]));
    }

    /// Retries never exceed ratio * requests + min_per_sec * elapsed (exact integer bound),
    /// however requests, retries and time interleave.
    #[test]
    fn retry_budget_bounds_retries(
        percent in 0u32..60,
        min_per_sec in 0u32..5,
        max_tokens in 1u32..50,
        ops in prop::collection::vec((0u64..300_000_000, 0u32..4), 1..400),
    ) {
        let mut budget = RetryBudget::new(f64::from(percent) / 100.0, min_per_sec, max_tokens);
        let (mut now, mut requests, mut retries) = (0u64, 0u64, 0u64);
        for (gap, attempts) in ops {
            now += gap;
            budget.on_request_at(Nanos(now));
            requests += 1;
            for _ in 0..attempts {
                retries += u64::from(budget.try_retry_at(Nanos(now)));
            }
        }
        let units = u128::from(percent) * 10_000_000 * u128::from(requests)
            + u128::from(min_per_sec) * u128::from(now);
        prop_assert!(u128::from(retries) <= units / 1_000_000_000);
        prop_assert_eq!(budget.retries(), retries);
        prop_assert!(budget.available() <= u64::from(max_tokens));
    }
}

#[test]
fn retry_budget_holds_a_storm_to_the_ratio() {
    // Every request fails and wants 3 retries; with a 10% budget and a floor of
    // 2 per second over 100 seconds, retries settle at 10% of requests + 200.
    let mut budget = RetryBudget::new(0.1, 2, 100);
    let mut retries = 0;
    let n = 100_000u64;
    for i in 0..n {
        let now = Nanos(i * 1_000_000); // 1000 requests per second for 100 s
        budget.on_request_at(now);
        for _ in 0..3 {
            retries += u64::from(budget.try_retry_at(now));
        }
    }
    let expected = n / 10 + 2 * 100;
    assert!(
        retries <= expected && retries + 2 >= expected,
        "{retries} vs {expected}"
    );
    assert_eq!(budget.denied(), 3 * n - retries);
}

#[test]
fn attempts_count_the_first_call() {
    let p = Backoff {
        max_attempts: 1,
        ..Backoff::default()
    };
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    assert_eq!(p.start().next_delay(&mut rng), None);
    assert!(Backoff::default().allows_retry(2));
    assert!(!Backoff::default().allows_retry(3));
    assert_eq!(
        Jitter::from_name("decorrelated"),
        Some(Jitter::Decorrelated)
    );
    assert_eq!(Jitter::from_name("random"), None);
}

#[test]
fn full_jitter_mean_is_half_the_exponential() {
    let p = policy(1_000_000, 2.0, 1_000_000_000, Jitter::Full);
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let n = 20_000u64;
    let sum: u64 = (0..n).map(|_| p.delay(3, Nanos::ZERO, &mut rng).0).sum();
    let mean = sum as f64 / n as f64;
    assert!((mean / 8_000_000.0 - 0.5).abs() < 0.01, "mean {mean}");
}
