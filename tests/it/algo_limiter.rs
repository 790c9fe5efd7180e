//! Rate limiters: limits in every window, consistent decisions, GCRA identical to governor.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::FakeRelativeClock;
use governor::middleware::StateInformationMiddleware;
use governor::{Quota, RateLimiter};
use proptest::prelude::*;
use scaletwin::algo::clock::{Nanos, VirtualClock};
use scaletwin::algo::limiter::{
    Algorithm, DirectLimiter, Gcra, KeyedLimiter, Limiter, LimiterParams, ParamError,
    SlidingCounter, SlidingLog, TokenBucket,
};

use crate::cases;

/// Absolute request times from gaps.
fn times(gaps: &[u64]) -> Vec<Nanos> {
    let mut t = 0;
    gaps.iter()
        .map(|g| {
            t += g;
            Nanos(t)
        })
        .collect()
}

/// Runs `algo` on one key over `ts`; returns the admitted times.
fn admitted<A: Algorithm>(algo: A, ts: &[Nanos]) -> Vec<u64> {
    let mut lim = DirectLimiter::new(algo);
    ts.iter()
        .filter(|&&t| lim.check_at(t).allowed)
        .map(|t| t.0)
        .collect()
}

/// The largest number of admitted times in any half-open interval `(t - w, t]`.
fn max_in_window(adm: &[u64], w: u64) -> usize {
    let mut best = 0;
    let mut lo = 0;
    for (hi, &t) in adm.iter().enumerate() {
        while adm[lo] + w <= t {
            lo += 1;
        }
        // Include every later admission at the same instant.
        let mut end = hi;
        while end + 1 < adm.len() && adm[end + 1] == t {
            end += 1;
        }
        best = best.max(end + 1 - lo);
    }
    best
}

/// Gaps that cluster (bursts) and spread (idle periods) relative to a window `w`.
fn gaps(w: u64, n: usize) -> impl Strategy<Value = Vec<u64>> {
    prop::collection::vec(
        prop_oneof![3 => Just(0u64), 4 => 0..w / 8 + 1, 2 => 0..w, 1 => 0..3 * w],
        1..n,
    )
}

fn any_limiter() -> impl Strategy<Value = Limiter> {
    let window = prop_oneof![Just(1_000u64), 1..10_000u64, Just(1_000_000_000u64)];
    (0..4usize, window, 1..12u32, 1..12u32).prop_map(|(kind, w, a, b)| {
        let name = Limiter::NAMES[kind];
        let params = if kind < 2 {
            LimiterParams::Window {
                window: Nanos(w),
                max: a,
            }
        } else {
            LimiterParams::Rate {
                count: a,
                period: Nanos(w),
                burst: b,
            }
        };
        Limiter::from_name(name, params).unwrap()
    })
}

fn window_of(l: &Limiter) -> u64 {
    match l {
        Limiter::SlidingLog(a) => a.window().0,
        Limiter::SlidingCounter(a) => a.window().0,
        Limiter::TokenBucket(a) => a.rate().1 .0,
        Limiter::Gcra(a) => a.emission_interval().0 * u64::from(a.burst()),
    }
}

proptest! {
    #![proptest_config(cases(96))]

    /// Sliding log: no half-open window of length W ever holds more than max admissions.
    #[test]
    fn sliding_log_never_exceeds_max_in_any_window(w in 1u64..5_000, max in 1u32..10, g in gaps(5_000, 200)) {
        let adm = admitted(SlidingLog::new(Nanos(w), max).unwrap(), &times(&g));
        prop_assert!(max_in_window(&adm, w) <= max as usize);
    }

    /// Sliding counter: at most max per aligned window, at most 2*max - 1 per sliding window.
    #[test]
    fn sliding_counter_guarantee(w in 1u64..5_000, max in 1u32..10, g in gaps(5_000, 200)) {
        let adm = admitted(SlidingCounter::new(Nanos(w), max).unwrap(), &times(&g));
        let mut per_window = std::collections::BTreeMap::new();
        for t in &adm {
            *per_window.entry(t / w).or_insert(0u32) += 1;
        }
        prop_assert!(per_window.values().all(|&c| c <= max));
        prop_assert!(max_in_window(&adm, w) < 2 * max as usize);
    }

    /// Token bucket: admissions in [a, b] <= capacity + floor(count * (b - a) / period).
    #[test]
    fn token_bucket_bound(cap in 1u32..10, count in 1u32..10, period in 1u64..5_000, g in gaps(5_000, 150)) {
        let adm = admitted(TokenBucket::new(cap, count, Nanos(period)).unwrap(), &times(&g));
        for i in 0..adm.len() {
            for j in i..adm.len() {
                let allowed = u64::from(cap) + u64::from(count) * (adm[j] - adm[i]) / period;
                prop_assert!((j - i + 1) as u64 <= allowed, "{} admitted in [{}, {}]", j - i + 1, adm[i], adm[j]);
            }
        }
    }

    /// GCRA: admissions in [a, b] <= burst + floor((b - a) / T).
    #[test]
    fn gcra_bound(n in 1u32..10, burst in 1u32..10, period in 1u64..5_000, g in gaps(5_000, 150)) {
        let gcra = Gcra::per_period(n, Nanos(period)).unwrap().with_burst(burst).unwrap();
        let t = gcra.emission_interval().0;
        let adm = admitted(gcra, &times(&g));
        for i in 0..adm.len() {
            for j in i..adm.len() {
                prop_assert!((j - i + 1) as u64 <= u64::from(burst) + (adm[j] - adm[i]) / t);
            }
        }
    }

    /// Every algorithm: `remaining` more requests pass at the same instant and the next fails;
    /// a request at `retry_at` passes and one just before it fails; at `reset_at` the full
    /// allowance is back.
    #[test]
    fn decisions_are_consistent(lim in any_limiter(), seed_gaps in gaps(8_000, 80)) {
        let w = window_of(&lim);
        let ts: Vec<Nanos> = times(&seed_gaps).into_iter().map(|t| Nanos(t.0 * w / 4_000)).collect();
        let mut state = lim.new_state(Nanos::ZERO);
        for &now in &ts {
            let d = lim.check_at(&mut state, now);
            prop_assert_eq!(d.limit, lim.limit());
            prop_assert!(d.retry_at >= now);
            prop_assert!(d.reset_at >= d.retry_at, "{:?}", d);
            prop_assert_eq!(d.retry_at == now, d.remaining > 0, "{:?} at {:?}", d, now);

            // remaining is exact.
            let mut s = state.clone();
            for k in 0..d.remaining.min(64) {
                prop_assert!(lim.check_at(&mut s, now).allowed, "extra {} of {} refused", k, d.remaining);
            }
            if d.remaining <= 64 {
                prop_assert!(!lim.check_at(&mut s, now).allowed);
            }
            // retry_at is exact.
            let mut s = state.clone();
            prop_assert!(lim.check_at(&mut s, d.retry_at).allowed, "{:?} not allowed at retry_at", d);
            if d.retry_at > now {
                let mut s = state.clone();
                prop_assert!(!lim.check_at(&mut s, Nanos(d.retry_at.0 - 1)).allowed);
            }
            // reset_at restores the full allowance.
            let mut s = state.clone();
            let at_reset = lim.check_at(&mut s, d.reset_at);
            prop_assert_eq!(at_reset.remaining, lim.limit() - 1, "{:?}", d);
            prop_assert!(lim.is_idle(&state, d.reset_at));
            // peek agrees with check and changes nothing.
            let mut s = state.clone();
            prop_assert_eq!(lim.peek_at(&state, now), lim.check_at(&mut s, now));
        }
    }

    /// GCRA decides exactly as governor, on random traces, for several quotas and bursts.
    #[test]
    fn gcra_matches_governor(
        per_sec in prop_oneof![Just(1u32), Just(3), Just(7), Just(10), 1u32..1_000],
        burst in prop_oneof![Just(1u32), Just(2), 1u32..50],
        gaps in prop::collection::vec(prop_oneof![2 => Just(0u64), 5 => 0u64..50_000_000, 2 => 0u64..1_500_000_000], 1..300),
    ) {
        let quota = Quota::per_second(NonZeroU32::new(per_sec).unwrap())
            .allow_burst(NonZeroU32::new(burst).unwrap());
        let clock = FakeRelativeClock::default();
        let theirs = RateLimiter::direct_with_clock(quota, clock.clone())
            .with_middleware::<StateInformationMiddleware>();
        let gcra = Gcra::per_period(per_sec, Nanos::from_secs(1)).unwrap().with_burst(burst).unwrap();
        let mut ours = DirectLimiter::new(gcra);
        let mut now = 0u64;
        for g in gaps {
            clock.advance(Duration::from_nanos(g));
            now += g;
            let mine = ours.check_at(Nanos(now));
            match theirs.check() {
                Ok(snapshot) => {
                    prop_assert!(mine.allowed, "governor allowed at {}ns, we denied", now);
                    prop_assert_eq!(mine.remaining, u64::from(snapshot.remaining_burst_capacity()));
                }
                Err(not_until) => {
                    prop_assert!(!mine.allowed, "governor denied at {}ns, we allowed", now);
                    let wait = not_until.wait_time_from(governor::clock::Clock::now(&clock));
                    prop_assert_eq!(mine.retry_after(Nanos(now)), Nanos::from(wait));
                }
            }
        }
    }
}

#[test]
fn gcra_matches_governor_with_period_quota() {
    // Quota::with_period(T).allow_burst(B): the (T, tau) form.
    let period = Duration::from_millis(13);
    let quota = Quota::with_period(period)
        .unwrap()
        .allow_burst(NonZeroU32::new(4).unwrap());
    let clock = FakeRelativeClock::default();
    let theirs = RateLimiter::direct_with_clock(quota, clock.clone());
    let mut ours = DirectLimiter::new(Gcra::new(Nanos::from(period), 4).unwrap());
    let mut now = 0u64;
    // A fixed pseudo-random trace (LCG), so the test is deterministic without an RNG crate.
    let mut x: u64 = 12345;
    for _ in 0..5_000 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let gap = (x >> 33) % 8_000_000;
        clock.advance(Duration::from_nanos(gap));
        now += gap;
        assert_eq!(
            ours.check_at(Nanos(now)).allowed,
            theirs.check().is_ok(),
            "at {now}ns"
        );
    }
}

#[test]
fn sliding_log_follows_the_redis_pattern() {
    let mut lim = KeyedLimiter::new(SlidingLog::new(Nanos::from_secs(10), 3).unwrap());
    let at = |s| Nanos::from_secs(s);
    assert!(lim.check_at(&"a", at(0)).allowed);
    assert!(lim.check_at(&"a", at(1)).allowed);
    assert!(lim.check_at(&"a", at(2)).allowed);
    let d = lim.check_at(&"a", at(5));
    assert!(!d.allowed);
    assert_eq!((d.remaining, d.retry_at, d.reset_at), (0, at(10), at(12)));
    // Another key is independent.
    assert_eq!(lim.check_at(&"b", at(5)).remaining, 2);
    // The entry at 0 leaves the window at exactly 10 (ZREMRANGEBYSCORE -inf now-window).
    assert!(lim.check_at(&"a", at(10)).allowed);
    assert!(!lim.check_at(&"a", at(10)).allowed);
    assert_eq!(lim.len(), 2);
    lim.retain_recent_at(at(30));
    assert!(lim.is_empty());
}

/// A client that sends a request every `gap` from 0 until `end`, whatever
/// the answers (a retry loop with a fixed delay); returns how many were admitted.
fn retrying_client(l: SlidingLog, gap: Nanos, end: Nanos) -> u32 {
    let mut lim = DirectLimiter::new(l);
    let mut admitted = 0;
    let mut now = Nanos::ZERO;
    while now < end {
        admitted += u32::from(lim.check_at(now).allowed);
        now += gap;
    }
    admitted
}

#[test]
fn a_client_retrying_over_the_limit_stays_blocked_when_rejections_count() {
    // 5 per second; the client tries every 100 ms for 10 s (100 requests).
    let (w, ms) = (Nanos::from_secs(1), Nanos::from_millis);
    let plain = SlidingLog::new(w, 5).unwrap();
    let zset = SlidingLog::counting_rejected(w, 5).unwrap();
    // Admitted-only: 0.0-0.4 s admitted, 0.5-0.9 s rejected; at 1.0 s the
    // entry from 0.0 s leaves the window and so on: 5 a second, 50 in all.
    assert_eq!(retrying_client(plain, ms(100), ms(10_000)), 50);
    // Sorted set: after 0.0-0.4 s the window always holds the last 10
    // requests (> 5), rejected ones included: 5 in all.
    assert_eq!(retrying_client(zset, ms(100), ms(10_000)), 5);
    // A client under the limit (every 250 ms: 4 a second) is never blocked by either.
    assert_eq!(retrying_client(plain, ms(250), ms(10_000)), 40);
    assert_eq!(retrying_client(zset, ms(250), ms(10_000)), 40);
}

#[test]
fn the_sorted_set_log_reports_when_its_window_clears() {
    let l = SlidingLog::counting_rejected(Nanos::from_secs(10), 2).unwrap();
    let mut s = l.new_state(Nanos::ZERO);
    let at = Nanos::from_secs;
    assert!(l.check_at(&mut s, at(0)).allowed);
    assert!(l.check_at(&mut s, at(1)).allowed);
    let d = l.check_at(&mut s, at(2));
    assert!(!d.allowed);
    // Entries at 0, 1, 2: two must leave before the count is back under 2,
    // which happens when the one at 1 s leaves, at 11 s.
    assert_eq!((d.remaining, d.retry_at, d.reset_at), (0, at(11), at(12)));
    let d = l.check_at(&mut s, at(5));
    assert!(!d.allowed);
    assert_eq!(d.retry_at, at(12));
    // A client that waits for retry_at is admitted.
    assert!(l.check_at(&mut s, at(12)).allowed);
    assert_eq!(
        Limiter::from_name(
            "sorted_set_log",
            LimiterParams::Window {
                window: at(10),
                max: 2
            }
        )
        .unwrap(),
        Limiter::SlidingLog(l)
    );
}

proptest! {
    #![proptest_config(cases(96))]

    /// Sorted-set log: no window ever holds more than max admissions, and it
    /// admits only requests the admitted-only log admits too (it admits when
    /// every request in the window, itself included, is at most max, and the
    /// admitted ones are among them).
    #[test]
    fn sorted_set_log_admits_no_more_than_the_plain_log(w in 1u64..5_000, max in 1u32..10, g in gaps(5_000, 200)) {
        let ts = times(&g);
        let zset = admitted(SlidingLog::counting_rejected(Nanos(w), max).unwrap(), &ts);
        let plain = admitted(SlidingLog::new(Nanos(w), max).unwrap(), &ts);
        prop_assert!(max_in_window(&zset, w) <= max as usize);
        prop_assert!(zset.iter().all(|t| plain.contains(t)), "{zset:?} vs {plain:?}");
    }
}

#[test]
fn sliding_counter_weights_the_previous_window() {
    let mut lim = DirectLimiter::new(SlidingCounter::new(Nanos::from_secs(10), 10).unwrap());
    for _ in 0..10 {
        assert!(lim.check_at(Nanos::from_secs(5)).allowed);
    }
    // At 12s the previous window weighs 8/10: 8 + 0 < 10, two more fit.
    let d = lim.check_at(Nanos::from_secs(12));
    assert!(d.allowed);
    assert_eq!(d.remaining, 1);
    assert!(lim.check_at(Nanos::from_secs(12)).allowed);
    let d = lim.check_at(Nanos::from_secs(12));
    assert!(!d.allowed);
    // previous 10 * (10 - e)/10 + 2 + 1 <= 10  <=>  e >= 3s
    assert_eq!(d.retry_at, Nanos::from_secs(13));
}

#[test]
fn token_bucket_refills_exactly() {
    // 3 per second: 333_333_333.33..ns per token, with no drift over many periods.
    let bucket = TokenBucket::new(1, 3, Nanos::from_secs(1)).unwrap();
    let mut lim = DirectLimiter::new(bucket);
    let mut admitted = 0;
    let mut now = Nanos::ZERO;
    while now < Nanos::from_secs(100) {
        let d = lim.check_at(now);
        admitted += u32::from(d.allowed);
        now = d.retry_at.max(now + Nanos(1));
    }
    assert_eq!(admitted, 1 + 3 * 100 - 1);
}

#[test]
fn limiter_by_name_and_errors() {
    let w = LimiterParams::Window {
        window: Nanos::from_secs(1),
        max: 5,
    };
    for name in Limiter::NAMES {
        let l = Limiter::from_name(name, w).unwrap();
        assert_eq!(l.name(), name);
        assert_eq!(l.limit(), 5);
    }
    let r = LimiterParams::Rate {
        count: 5,
        period: Nanos::from_secs(1),
        burst: 2,
    };
    assert_eq!(
        Limiter::from_name("sliding_log", r),
        Err(ParamError::WrongParams("sliding_log"))
    );
    assert!(matches!(
        Limiter::from_name("leaky_bucket", r),
        Err(ParamError::UnknownName(_))
    ));
    assert_eq!(SlidingLog::new(Nanos::ZERO, 1), Err(ParamError::ZeroPeriod));
    assert_eq!(Gcra::new(Nanos(1), 0), Err(ParamError::ZeroLimit));
    assert_eq!(Gcra::new(Nanos(u64::MAX / 2), 4), Err(ParamError::TooLarge));
}

#[test]
fn keyed_limiter_with_virtual_clock_is_deterministic() {
    let run = || {
        let clock = VirtualClock::new(Nanos::ZERO);
        let mut lim = KeyedLimiter::new(
            Limiter::from_name(
                "token_bucket",
                LimiterParams::Rate {
                    count: 2,
                    period: Nanos::from_millis(10),
                    burst: 3,
                },
            )
            .unwrap(),
        );
        let mut out = Vec::new();
        for i in 0..2_000u64 {
            clock.advance(Nanos(i * 7_919 % 3_000_000));
            out.push(lim.check(&(i % 17), &clock));
        }
        out
    };
    assert_eq!(run(), run());
}
