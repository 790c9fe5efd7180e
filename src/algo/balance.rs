//! Load-balancing strategies (placeholder until the full module lands).

/// The backends a balancer chooses among.
pub trait Backends {
    /// Number of backends.
    fn len(&self) -> usize;
    /// Whether backend `i` may receive requests.
    fn is_healthy(&self, i: usize) -> bool;
    /// Requests in flight at backend `i`.
    fn in_flight(&self, i: usize) -> u32;
    /// Relative weight of backend `i`.
    fn weight(&self, _i: usize) -> u32 {
        1
    }
}

/// How a backend is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Each in turn.
    RoundRobin,
    /// Uniformly random.
    Random,
    /// Fewest in flight.
    LeastConnections,
    /// Smooth weighted round robin.
    Weighted,
    /// Less loaded of two random.
    PowerOfTwoChoices,
}

/// A balancer's state.
pub struct Balancer {
    strategy: Strategy,
    cursor: usize,
}

impl Balancer {
    /// A balancer with the given strategy.
    pub fn new(strategy: Strategy) -> Self {
        Balancer { strategy, cursor: 0 }
    }

    /// Picks a healthy backend.
    pub fn pick<B: Backends + ?Sized, R: rand::Rng + ?Sized>(&mut self, b: &B, rng: &mut R) -> Option<usize> {
        let n = b.len();
        if n == 0 {
            return None;
        }
        match self.strategy {
            Strategy::LeastConnections => (0..n).filter(|&i| b.is_healthy(i)).min_by_key(|&i| b.in_flight(i)),
            Strategy::Random | Strategy::PowerOfTwoChoices => {
                let i = (rng.next_u64() % n as u64) as usize;
                Some(i)
            }
            _ => {
                self.cursor = (self.cursor + 1) % n;
                Some(self.cursor)
            }
        }
    }
}
