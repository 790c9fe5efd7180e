//! Load balancing: health, exact cycles, least loaded, uniformity, changing backend sets.

use std::cell::RefCell;

use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use scaletwin::algo::balance::{Backend, Backends, Balancer, Strategy as Lb};

use crate::cases;

const ALL: [Lb; 5] = [
    Lb::RoundRobin,
    Lb::Random,
    Lb::LeastConnections,
    Lb::Weighted,
    Lb::PowerOfTwoChoices,
];

fn healthy(n: usize) -> Vec<Backend> {
    vec![Backend::default(); n]
}

fn picks(s: Lb, b: &Vec<Backend>, k: usize, seed: u64) -> Vec<usize> {
    let mut lb = Balancer::new(s);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..k).map(|_| lb.pick(b, &mut rng).unwrap()).collect()
}

/// Records which backends' loads a strategy looked at.
struct Spy<'a> {
    inner: &'a [Backend],
    asked: RefCell<Vec<usize>>,
}

impl Backends for Spy<'_> {
    fn len(&self) -> usize {
        self.inner.len()
    }
    fn is_healthy(&self, i: usize) -> bool {
        self.inner[i].healthy
    }
    fn in_flight(&self, i: usize) -> u32 {
        self.asked.borrow_mut().push(i);
        self.inner[i].in_flight
    }
    fn weight(&self, i: usize) -> u32 {
        self.inner[i].weight
    }
}

fn backend() -> impl Strategy<Value = Backend> {
    (prop::bool::weighted(0.7), 0u32..6, 0u32..5).prop_map(|(healthy, in_flight, weight)| Backend {
        healthy,
        in_flight,
        weight,
    })
}

proptest! {
    #![proptest_config(cases(128))]

    /// Whatever the strategy, and however the set grows, shrinks and changes health between
    /// picks: the pick is a healthy backend (with weight > 0 for Weighted), and `None` only
    /// when there is none.
    #[test]
    fn never_picks_an_unhealthy_backend(
        sets in prop::collection::vec(prop::collection::vec(backend(), 0..20), 1..12),
        seed in any::<u64>(),
    ) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for s in ALL {
            let mut lb = Balancer::new(s);
            for set in &sets {
                let eligible = |i: usize| set[i].healthy && (s != Lb::Weighted || set[i].weight > 0);
                for _ in 0..8 {
                    match lb.pick(set, &mut rng) {
                        Some(i) => prop_assert!(i < set.len() && eligible(i), "{:?} picked {}", s, i),
                        None => prop_assert!((0..set.len()).all(|i| !eligible(i)), "{:?} gave up", s),
                    }
                }
            }
        }
    }

    /// Least connections picks a minimum among the healthy.
    #[test]
    fn least_connections_picks_a_minimum(set in prop::collection::vec(backend(), 1..20), rounds in 1usize..10) {
        let mut lb = Balancer::new(Lb::LeastConnections);
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let min = set.iter().filter(|b| b.healthy).map(|b| b.in_flight).min();
        for _ in 0..rounds {
            let p = lb.pick(&set, &mut rng);
            prop_assert_eq!(p.map(|i| set[i].in_flight), min);
        }
    }

    /// P2C asks the load of exactly two distinct healthy backends and picks the less loaded.
    #[test]
    fn p2c_picks_the_less_loaded_of_two(set in prop::collection::vec(backend(), 1..20), seed in any::<u64>()) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut lb = Balancer::new(Lb::PowerOfTwoChoices);
        let h = set.iter().filter(|b| b.healthy).count();
        for _ in 0..16 {
            let spy = Spy { inner: &set, asked: RefCell::new(Vec::new()) };
            let p = lb.pick(&spy, &mut rng);
            let asked = spy.asked.into_inner();
            match h {
                0 => prop_assert_eq!(p, None),
                1 => prop_assert!(p.is_some_and(|i| set[i].healthy)),
                _ => {
                    prop_assert_eq!(asked.len(), 2);
                    let (a, b) = (asked[0], asked[1]);
                    prop_assert!(a != b && set[a].healthy && set[b].healthy);
                    let p = p.unwrap();
                    prop_assert!(p == a || p == b);
                    prop_assert_eq!(set[p].in_flight, set[a].in_flight.min(set[b].in_flight));
                }
            }
        }
    }

    /// SWRR with constant weights: over sum(weights) picks each healthy backend gets exactly its weight.
    #[test]
    fn swrr_cycle_matches_weights(weights in prop::collection::vec(0u32..6, 1..10)) {
        let set: Vec<Backend> = weights.iter().map(|&weight| Backend { weight, ..Backend::default() }).collect();
        let total: u32 = weights.iter().sum();
        prop_assume!(total > 0);
        let mut lb = Balancer::new(Lb::Weighted);
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        for _ in 0..3 {
            let mut counts = vec![0u32; set.len()];
            for _ in 0..total {
                counts[lb.pick(&set, &mut rng).unwrap()] += 1;
            }
            prop_assert_eq!(&counts, &weights);
        }
    }
}

#[test]
fn swrr_gives_the_nginx_sequence() {
    let mut set = healthy(3);
    for (b, w) in set.iter_mut().zip([5, 1, 1]) {
        b.weight = w;
    }
    let names: String = picks(Lb::Weighted, &set, 14, 0)
        .iter()
        .map(|&i| ['a', 'b', 'c'][i])
        .collect();
    assert_eq!(names, "aabacaaaabacaa");
}

#[test]
fn round_robin_cycles_exactly_and_skips_unhealthy() {
    assert_eq!(
        picks(Lb::RoundRobin, &healthy(4), 9, 0),
        [0, 1, 2, 3, 0, 1, 2, 3, 0]
    );
    let mut set = healthy(5);
    set[1].healthy = false;
    set[4].healthy = false;
    assert_eq!(picks(Lb::RoundRobin, &set, 7, 0), [0, 2, 3, 0, 2, 3, 0]);
    let mut none = healthy(3);
    none.iter_mut().for_each(|b| b.healthy = false);
    assert_eq!(
        Balancer::new(Lb::RoundRobin).pick(&none, &mut ChaCha8Rng::seed_from_u64(0)),
        None
    );
    assert_eq!(
        Balancer::new(Lb::Random).pick(&Vec::<Backend>::new(), &mut ChaCha8Rng::seed_from_u64(0)),
        None
    );
}

#[test]
fn least_connections_rotates_among_ties() {
    assert_eq!(
        picks(Lb::LeastConnections, &healthy(3), 6, 0),
        [0, 1, 2, 0, 1, 2]
    );
    let mut set = healthy(4);
    set[0].in_flight = 2;
    set[2].in_flight = 2;
    assert_eq!(picks(Lb::LeastConnections, &set, 4, 0), [1, 3, 1, 3]);
}

#[test]
fn random_and_p2c_are_uniform_ish() {
    // 3 healthy of 4; 30_000 picks; each healthy within 4% of 10_000 (about 5 sigma).
    let mut set = healthy(4);
    set[2].healthy = false;
    for s in [Lb::Random, Lb::PowerOfTwoChoices] {
        let mut counts = [0u32; 4];
        for i in picks(s, &set, 30_000, 42) {
            counts[i] += 1;
        }
        assert_eq!(counts[2], 0);
        for i in [0, 1, 3] {
            assert!(counts[i].abs_diff(10_000) < 400, "{s:?}: {counts:?}");
        }
    }
}

#[test]
fn growing_and_shrinking_backends() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut rr = Balancer::new(Lb::RoundRobin);
    let mut wrr = Balancer::new(Lb::Weighted);
    let mut set = healthy(4);
    let seq: Vec<_> = (0..3).map(|_| rr.pick(&set, &mut rng).unwrap()).collect();
    assert_eq!(seq, [0, 1, 2]);
    set.truncate(2); // scale in: the cursor (3) is past the end and wraps
    let seq: Vec<_> = (0..3).map(|_| rr.pick(&set, &mut rng).unwrap()).collect();
    assert_eq!(seq, [0, 1, 0]);
    set.extend(healthy(3)); // scale out: new backends join the cycle
    let seq: Vec<_> = (0..5).map(|_| rr.pick(&set, &mut rng).unwrap()).collect();
    assert_eq!(seq, [1, 2, 3, 4, 0]);

    // Weighted: after growth the cycle again matches the weights.
    let mut set: Vec<Backend> = [3, 1]
        .iter()
        .map(|&weight| Backend {
            weight,
            ..Backend::default()
        })
        .collect();
    for _ in 0..5 {
        wrr.pick(&set, &mut rng);
    }
    set.push(Backend {
        weight: 2,
        ..Backend::default()
    });
    set.truncate(3);
    let mut counts = [0; 3];
    // Let the new member's current weight settle, then count whole cycles.
    for _ in 0..6 {
        wrr.pick(&set, &mut rng);
    }
    for _ in 0..60 {
        counts[wrr.pick(&set, &mut rng).unwrap()] += 1;
    }
    assert_eq!(counts, [30, 10, 20]);
    set.remove(0);
    for _ in 0..3 {
        assert!(wrr.pick(&set, &mut rng).unwrap() < 2);
    }
}

#[test]
fn strategies_by_name() {
    for (name, s) in Lb::NAMES.iter().zip(ALL) {
        assert_eq!(Lb::from_name(name), Some(s));
        assert_eq!(Balancer::new(s).strategy(), s);
    }
    assert_eq!(Lb::from_name("ring_hash"), None);
}

/// Backends answering one at a time (the trait's default `loads`), for
/// checking a strategy against the same set read in bulk.
struct OneByOne<'a>(&'a [Backend]);

impl Backends for OneByOne<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn is_healthy(&self, i: usize) -> bool {
        self.0[i].healthy
    }
    fn in_flight(&self, i: usize) -> u32 {
        self.0[i].in_flight
    }
}

/// The least-connections rule written out: the first backend at or after
/// the cursor (wrapping) with the fewest in flight among the healthy.
fn least_connections_by_definition(set: &[Backend], cursor: usize) -> Option<usize> {
    let n = set.len();
    let start = if cursor >= n { 0 } else { cursor };
    let min = set
        .iter()
        .filter(|b| b.healthy)
        .map(|b| b.in_flight)
        .min()?;
    (0..n)
        .map(|k| (start + k) % n)
        .find(|&i| set[i].healthy && set[i].in_flight == min)
}

proptest! {
    /// Least connections follows its definition pick after pick (the cursor
    /// moving past each pick) while loads change, for backends read in bulk
    /// or one by one.
    #[test]
    fn least_connections_follows_its_definition(
        set in prop::collection::vec(backend(), 1..40),
        changes in prop::collection::vec((0usize..40, 0u32..4), 0..30),
    ) {
        let mut set = set;
        let mut bulk = Balancer::new(Lb::LeastConnections);
        let mut single = Balancer::new(Lb::LeastConnections);
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut cursor = 0;
        for (i, load) in changes {
            let want = least_connections_by_definition(&set, cursor);
            prop_assert_eq!(bulk.pick(&set, &mut rng), want);
            prop_assert_eq!(single.pick(&OneByOne(&set), &mut rng), want);
            if let Some(p) = want {
                cursor = p + 1;
            }
            let n = set.len();
            set[i % n].in_flight = load;
        }
    }
}
