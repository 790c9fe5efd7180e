//! The bare loop: a minimal hand-written discrete-event simulation of an
//! M/M/c queue, the yardstick the engine is measured against (issue 19.3).
//!
//! A `std` binary heap of `(time, kind)` keys in nanoseconds, Poisson
//! arrivals, `c` servers in front of one FIFO queue, exponential service,
//! ChaCha8 random numbers (the engine's generator) turned into exponential
//! variates the textbook way, `-mean * ln(u)`. It stops at the same horizon
//! as the engine's run and counts the same events: one per arrival, one per
//! service completion. Nothing else: no request records, no histograms, no
//! report beyond the mean sojourn time, which checks the loop against
//! Erlang C.

use rand::{Rng as _, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// An M/M/c queue run for a fixed span.
#[derive(Clone, Copy, Debug)]
pub struct MmcModel {
    /// Arrivals per second.
    pub lambda: f64,
    /// Service completions per second of one busy server.
    pub mu: f64,
    /// Servers.
    pub servers: u32,
    /// The horizon, in seconds.
    pub seconds: f64,
}

/// What one run of the bare loop did.
#[derive(Clone, Copy, Debug)]
pub struct BareRun {
    /// Events popped: arrivals plus service completions before the horizon.
    pub events: u64,
    /// Customers that left before the horizon.
    pub departed: u64,
    /// Their mean time in the system, in seconds.
    pub mean_sojourn_s: f64,
}

/// The two kinds of event; arrivals sort first on a tie.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Arrival,
    Departure,
}

/// A uniform float in (0, 1).
#[inline]
fn unit_open(rng: &mut ChaCha8Rng) -> f64 {
    ((rng.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}

/// An exponential variate of mean `mean_ns`, in whole nanoseconds.
#[inline]
fn exp_ns(rng: &mut ChaCha8Rng, mean_ns: f64) -> u64 {
    (-mean_ns * unit_open(rng).ln()) as u64
}

impl MmcModel {
    /// Runs the model under `seed`.
    pub fn run(&self, seed: u64) -> BareRun {
        let end = (self.seconds * 1e9) as u64;
        let gap_ns = 1e9 / self.lambda;
        let service_ns = 1e9 / self.mu;
        let mut arrivals = ChaCha8Rng::seed_from_u64(seed);
        let mut service = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
        // Keys: (time, kind, when the customer arrived).
        let mut heap = BinaryHeap::with_capacity(self.servers as usize + 1);
        let mut waiting: VecDeque<u64> = VecDeque::new();
        let mut busy = 0u32;
        let (mut events, mut departed, mut sojourn_ns) = (0u64, 0u64, 0u128);
        heap.push(Reverse((exp_ns(&mut arrivals, gap_ns), Kind::Arrival, 0)));
        while let Some(&Reverse((now, kind, arrived))) = heap.peek() {
            if now > end {
                break;
            }
            heap.pop();
            events += 1;
            match kind {
                Kind::Arrival => {
                    let next = now + exp_ns(&mut arrivals, gap_ns);
                    heap.push(Reverse((next, Kind::Arrival, 0)));
                    if busy < self.servers {
                        busy += 1;
                        let done = now + exp_ns(&mut service, service_ns);
                        heap.push(Reverse((done, Kind::Departure, now)));
                    } else {
                        waiting.push_back(now);
                    }
                }
                Kind::Departure => {
                    departed += 1;
                    sojourn_ns += u128::from(now - arrived);
                    if let Some(next) = waiting.pop_front() {
                        let done = now + exp_ns(&mut service, service_ns);
                        heap.push(Reverse((done, Kind::Departure, next)));
                    } else {
                        busy -= 1;
                    }
                }
            }
        }
        BareRun {
            events,
            departed,
            mean_sojourn_s: sojourn_ns as f64 / departed.max(1) as f64 / 1e9,
        }
    }

    /// The exact mean sojourn time (Erlang C), in seconds.
    pub fn exact_mean_sojourn_s(&self) -> f64 {
        let c = f64::from(self.servers);
        let a = self.lambda / self.mu;
        let rho = a / c;
        // Σ_{k<c} a^k/k! and a^c/c!, by the recurrence term_k = term_{k-1}·a/k.
        let (mut sum, mut term) = (0.0, 1.0);
        for k in 0..self.servers {
            sum += term;
            term *= a / f64::from(k + 1);
        }
        let tail = term / (1.0 - rho);
        let p_wait = tail / (sum + tail);
        p_wait / (c * self.mu - self.lambda) + 1.0 / self.mu
    }
}
