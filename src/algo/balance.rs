//! Load-balancing strategies over a changing set of backends.
//!
//! The caller owns the backends and exposes them through [`Backends`] (the
//! simulator implements it on its pods, a real service on its endpoint list);
//! a [`Balancer`] holds only the strategy's own state (a round-robin cursor,
//! smooth-weighted-round-robin current weights). Backends are indices
//! `0..len()`; `len()` may grow or shrink between calls (autoscaling), and
//! unhealthy backends are never picked. [`Balancer::pick`] returns `None` when
//! no backend is eligible.
//!
//! | strategy | pick | cost |
//! |---|---|---|
//! | [`Strategy::RoundRobin`] | next healthy index after the cursor | O(1) all healthy, O(n) worst |
//! | [`Strategy::Random`] | uniform over healthy backends | O(1) all healthy, O(n) worst |
//! | [`Strategy::LeastConnections`] | fewest in flight; ties rotate | O(n) |
//! | [`Strategy::Weighted`] | nginx smooth weighted round robin | O(n) |
//! | [`Strategy::PowerOfTwoChoices`] | fewer in flight of two distinct random healthy | O(1) all healthy, O(n) worst |
//!
//! Nothing allocates on a pick except when the backend set grows past its
//! previous size under [`Strategy::Weighted`] (one weight slot per backend)
//! or [`Strategy::LeastConnections`] (one load slot per backend).

use rand::{Rng, RngExt};

/// The backends a [`Balancer`] chooses among, by index `0..len()`.
pub trait Backends {
    /// How many backends there are.
    fn len(&self) -> usize;
    /// Whether backend `i` may receive requests.
    fn is_healthy(&self, i: usize) -> bool;
    /// Requests currently in flight on backend `i`.
    fn in_flight(&self, i: usize) -> u32;
    /// Backend `i`'s weight for [`Strategy::Weighted`] (0 = no traffic).
    fn weight(&self, i: usize) -> u32 {
        let _ = i;
        1
    }
    /// Whether there are no backends.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Writes every backend's load into `out` (cleared first), for
    /// [`Strategy::LeastConnections`]: its requests in flight, or `u64::MAX`
    /// when it is not healthy. The default asks backend by backend; a view
    /// that can read all its backends in one pass may override it.
    fn loads(&self, out: &mut Vec<u64>) {
        out.clear();
        out.extend((0..self.len()).map(|i| {
            if self.is_healthy(i) {
                u64::from(self.in_flight(i))
            } else {
                u64::MAX
            }
        }));
    }
}

/// A plain backend description, for tests, examples and simple services.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Backend {
    /// Whether it may receive requests.
    pub healthy: bool,
    /// Requests in flight.
    pub in_flight: u32,
    /// Weight for [`Strategy::Weighted`].
    pub weight: u32,
}

impl Default for Backend {
    /// Healthy, idle, weight 1.
    fn default() -> Self {
        Backend {
            healthy: true,
            in_flight: 0,
            weight: 1,
        }
    }
}

impl Backends for [Backend] {
    fn len(&self) -> usize {
        <[Backend]>::len(self)
    }
    fn is_healthy(&self, i: usize) -> bool {
        self[i].healthy
    }
    fn in_flight(&self, i: usize) -> u32 {
        self[i].in_flight
    }
    fn weight(&self, i: usize) -> u32 {
        self[i].weight
    }
}

impl Backends for Vec<Backend> {
    fn len(&self) -> usize {
        Vec::len(self)
    }
    fn is_healthy(&self, i: usize) -> bool {
        self[i].healthy
    }
    fn in_flight(&self, i: usize) -> u32 {
        self[i].in_flight
    }
    fn weight(&self, i: usize) -> u32 {
        self[i].weight
    }
}

/// A load-balancing strategy.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// Healthy backends in index order, cyclically.
    RoundRobin,
    /// A uniformly random healthy backend.
    Random,
    /// The healthy backend with the fewest requests in flight. Ties go to the
    /// first tied backend at or after a cursor that moves past each pick, so
    /// equally loaded backends take turns (deterministically, no RNG).
    LeastConnections,
    /// Smooth weighted round robin, as in nginx: each healthy backend's
    /// current weight grows by its weight, the largest (lowest index on ties)
    /// is picked and lowered by the total. Weights 5,1,1 give a a b a c a a.
    Weighted,
    /// Two distinct random healthy backends; the one with fewer in flight
    /// (the first drawn on a tie).
    PowerOfTwoChoices,
}

impl Strategy {
    /// The names [`Strategy::from_name`] accepts.
    pub const NAMES: [&'static str; 5] = [
        "round_robin",
        "random",
        "least_connections",
        "weighted",
        "power_of_two_choices",
    ];

    /// The strategy called `name` (one of [`Strategy::NAMES`]).
    pub fn from_name(name: &str) -> Option<Strategy> {
        match name {
            "round_robin" => Some(Strategy::RoundRobin),
            "random" => Some(Strategy::Random),
            "least_connections" => Some(Strategy::LeastConnections),
            "weighted" => Some(Strategy::Weighted),
            "power_of_two_choices" => Some(Strategy::PowerOfTwoChoices),
            _ => None,
        }
    }
}

/// How many uniform draws over all backends to try before counting the healthy ones.
const DRAWS: usize = 4;

/// A strategy and its state.
///
/// ```
/// use rand::SeedableRng;
/// use rand_chacha::ChaCha8Rng;
/// use scaletwin::algo::balance::{Backend, Balancer, Strategy};
///
/// let mut pods = vec![Backend::default(); 3];
/// pods[1].healthy = false;
/// let mut rng = ChaCha8Rng::seed_from_u64(7);
/// let mut lb = Balancer::new(Strategy::RoundRobin);
/// let picks: Vec<_> = (0..4).map(|_| lb.pick(&pods, &mut rng).unwrap()).collect();
/// assert_eq!(picks, [0, 2, 0, 2]);
///
/// pods.push(Backend { in_flight: 0, ..Backend::default() }); // scaled up
/// pods[0].in_flight = 3;
/// pods[2].in_flight = 1;
/// let mut lb = Balancer::new(Strategy::PowerOfTwoChoices);
/// assert_ne!(lb.pick(&pods, &mut rng), Some(1));
/// ```
#[derive(Clone, Debug)]
pub struct Balancer {
    strategy: Strategy,
    cursor: usize,
    current: Vec<i64>,
    /// The backends' loads at the last least-connections pick (reused buffer).
    loads: Vec<u64>,
}

impl Balancer {
    /// A balancer for `strategy` with fresh state.
    pub fn new(strategy: Strategy) -> Self {
        Balancer {
            strategy,
            cursor: 0,
            current: Vec::new(),
            loads: Vec::new(),
        }
    }

    /// The strategy.
    pub fn strategy(&self) -> Strategy {
        self.strategy
    }

    /// Picks a healthy backend, or `None` if none is eligible.
    #[inline]
    pub fn pick<B: Backends + ?Sized, R: Rng + ?Sized>(
        &mut self,
        backends: &B,
        rng: &mut R,
    ) -> Option<usize> {
        let n = backends.len();
        if n == 1 && self.strategy != Strategy::Random {
            return self.pick_the_one(backends);
        }
        self.pick_among(backends, n, rng)
    }

    /// [`Balancer::pick`] with one backend, for every strategy but random
    /// (whose draw must still be made): that backend if it is eligible,
    /// leaving the state each strategy leaves. It is the common case (one
    /// pod, or one deployment of one pod behind the balancer) and small
    /// enough to inline where requests enter pods; the strategies stay
    /// out of line.
    #[inline]
    fn pick_the_one<B: Backends + ?Sized>(&mut self, b: &B) -> Option<usize> {
        if self.strategy == Strategy::Weighted {
            self.current.resize(1, 0);
            if b.weight(0) == 0 {
                return None;
            }
        }
        if !b.is_healthy(0) {
            return None;
        }
        if matches!(
            self.strategy,
            Strategy::RoundRobin | Strategy::LeastConnections
        ) {
            self.cursor = 1;
        }
        Some(0)
    }

    /// [`Balancer::pick`] by the strategy itself.
    #[inline(never)]
    fn pick_among<B: Backends + ?Sized, R: Rng + ?Sized>(
        &mut self,
        backends: &B,
        n: usize,
        rng: &mut R,
    ) -> Option<usize> {
        if n == 0 {
            return None;
        }
        match self.strategy {
            Strategy::RoundRobin => self.round_robin(backends, n),
            Strategy::Random => random_healthy(backends, n, rng),
            Strategy::LeastConnections => self.least_connections(backends, n),
            Strategy::Weighted => self.weighted(backends, n),
            Strategy::PowerOfTwoChoices => power_of_two(backends, n, rng),
        }
    }

    fn round_robin<B: Backends + ?Sized>(&mut self, b: &B, n: usize) -> Option<usize> {
        let start = if self.cursor >= n { 0 } else { self.cursor };
        let i = (0..n)
            .map(|k| wrap(start + k, n))
            .find(|&i| b.is_healthy(i))?;
        self.cursor = i + 1;
        Some(i)
    }

    /// The first backend at or after the cursor (wrapping) with the fewest
    /// in flight: one pass for the minimum load, one to find where it is.
    fn least_connections<B: Backends + ?Sized>(&mut self, b: &B, n: usize) -> Option<usize> {
        b.loads(&mut self.loads);
        let loads = &self.loads[..n.min(self.loads.len())];
        let least = *loads.iter().min()?;
        if least == u64::MAX {
            return None;
        }
        let start = if self.cursor >= loads.len() {
            0
        } else {
            self.cursor
        };
        let i = match loads[start..].iter().position(|&l| l == least) {
            Some(k) => start + k,
            None => loads[..start].iter().position(|&l| l == least)?,
        };
        self.cursor = i + 1;
        Some(i)
    }

    fn weighted<B: Backends + ?Sized>(&mut self, b: &B, n: usize) -> Option<usize> {
        // New backends start at current weight 0; removed ones forget theirs.
        self.current.resize(n, 0);
        let mut total: i64 = 0;
        let mut best: Option<usize> = None;
        for i in 0..n {
            let w = i64::from(b.weight(i));
            if w == 0 || !b.is_healthy(i) {
                continue;
            }
            self.current[i] += w;
            total += w;
            if best.is_none_or(|j| self.current[i] > self.current[j]) {
                best = Some(i);
            }
        }
        let i = best?;
        self.current[i] -= total;
        Some(i)
    }
}

/// `i` reduced into `0..n`, for `i < 2n`.
fn wrap(i: usize, n: usize) -> usize {
    if i >= n {
        i - n
    } else {
        i
    }
}

/// The `k`-th healthy backend (0-based), scanning in index order.
fn nth_healthy<B: Backends + ?Sized>(b: &B, n: usize, k: usize) -> Option<usize> {
    (0..n).filter(|&i| b.is_healthy(i)).nth(k)
}

fn count_healthy<B: Backends + ?Sized>(b: &B, n: usize) -> usize {
    (0..n).filter(|&i| b.is_healthy(i)).count()
}

fn random_healthy<B: Backends + ?Sized, R: Rng + ?Sized>(
    b: &B,
    n: usize,
    rng: &mut R,
) -> Option<usize> {
    // Rejection sampling keeps the choice uniform over healthy backends.
    for _ in 0..DRAWS {
        let i = rng.random_range(0..n);
        if b.is_healthy(i) {
            return Some(i);
        }
    }
    let h = count_healthy(b, n);
    if h == 0 {
        return None;
    }
    nth_healthy(b, n, rng.random_range(0..h))
}

/// Two distinct indices, uniform over ordered pairs from `0..m` (`m >= 2`).
fn two_distinct<R: Rng + ?Sized>(m: usize, rng: &mut R) -> (usize, usize) {
    let a = rng.random_range(0..m);
    let mut c = rng.random_range(0..m - 1);
    if c >= a {
        c += 1;
    }
    (a, c)
}

fn less_loaded<B: Backends + ?Sized>(b: &B, first: usize, second: usize) -> usize {
    if b.in_flight(second) < b.in_flight(first) {
        second
    } else {
        first
    }
}

fn power_of_two<B: Backends + ?Sized, R: Rng + ?Sized>(
    b: &B,
    n: usize,
    rng: &mut R,
) -> Option<usize> {
    if n >= 2 {
        let (x, y) = two_distinct(n, rng);
        if b.is_healthy(x) && b.is_healthy(y) {
            return Some(less_loaded(b, x, y));
        }
    }
    // Some backend is unhealthy (or n == 1): draw among the healthy ones by rank.
    let h = count_healthy(b, n);
    match h {
        0 => None,
        1 => nth_healthy(b, n, 0),
        _ => {
            let (x, y) = two_distinct(h, rng);
            let x = nth_healthy(b, n, x)?;
            let y = nth_healthy(b, n, y)?;
            Some(less_loaded(b, x, y))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn one_backend_picks_as_the_strategies_themselves_do() {
        // The fast path against `pick_among` for every strategy, a healthy
        // or unhealthy, weighted or unweighted single backend, between
        // picks over three backends that leave a cursor and weights behind:
        // the same picks, the same state, the same random draws.
        let strategies = [
            Strategy::RoundRobin,
            Strategy::Random,
            Strategy::LeastConnections,
            Strategy::Weighted,
            Strategy::PowerOfTwoChoices,
        ];
        for strategy in strategies {
            for (healthy, weight) in [(true, 1), (true, 3), (true, 0), (false, 1)] {
                let three = vec![
                    Backend {
                        in_flight: 2,
                        ..Backend::default()
                    },
                    Backend {
                        weight: 2,
                        ..Backend::default()
                    },
                    Backend::default(),
                ];
                let one = vec![Backend {
                    healthy,
                    weight,
                    in_flight: 1,
                }];
                let (mut fast, mut slow) = (Balancer::new(strategy), Balancer::new(strategy));
                let (mut rf, mut rs) = (ChaCha8Rng::seed_from_u64(3), ChaCha8Rng::seed_from_u64(3));
                for round in 0..6 {
                    let backends: &[Backend] = if round % 3 == 2 { &three } else { &one };
                    let a = fast.pick(backends, &mut rf);
                    let b = slow.pick_among(backends, backends.len(), &mut rs);
                    let at =
                        format!("{strategy:?}, healthy {healthy}, weight {weight}, round {round}");
                    assert_eq!(a, b, "{at}");
                    assert_eq!(fast.cursor, slow.cursor, "{at}");
                    assert_eq!(fast.current, slow.current, "{at}");
                }
                assert_eq!(rf.next_u64(), rs.next_u64(), "{strategy:?}: the draws");
            }
        }
    }
}
