//! The table of distributions a plan samples from, filled as the resolvers
//! meet each `Dist`, so every spec is built complete with its sampler index.
//!
//! A broken distribution is reported after every problem of the structure
//! (names, values, references): those are listed first and alone, and the
//! distributions' problems follow in a fixed order of the places they are
//! in ([`Stage`]), whatever order the resolvers met them in.

use super::context::{Problem, Problems};
use crate::algo::Nanos;
use crate::engine::Sampler;
use crate::scenario::schema::Dist;

/// Where a distribution sits, which orders the problems of distributions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Stage {
    /// `network.hop`.
    Hop,
    /// A Database's `replication_lag`.
    Lag,
    /// A Cache's `latency`.
    CacheLatency,
    /// The endpoints' programs (their steps' distributions and shapes).
    Endpoints,
    /// A Cdn's `latency`.
    CdnLatency,
    /// A Dependency's `latency`.
    DependencyLatency,
    /// A Queue's `schedules[..].work`.
    Schedules,
    /// The price table's checks (cost).
    Cost,
}

/// Deduplicated samplers and the problems of the distributions that made none.
#[derive(Default)]
pub(crate) struct Samplers {
    table: Vec<Sampler>,
    late: Vec<(Stage, Problem)>,
}

impl Samplers {
    /// The index of the sampler for `d` (at `path`), or `None` with a problem.
    pub(crate) fn add(&mut self, stage: Stage, path: &str, d: &Dist) -> Option<u32> {
        let s = match sampler(d) {
            Ok(s) => s,
            Err(message) => {
                self.problems(stage, |p| p.add(path, message));
                return None;
            }
        };
        if let Some(i) = self.table.iter().position(|x| *x == s) {
            return Some(i as u32);
        }
        self.table.push(s);
        Some((self.table.len() - 1) as u32)
    }

    /// Records problems found while compiling at `stage`.
    pub(crate) fn problems(&mut self, stage: Stage, f: impl FnOnce(&mut Problems)) {
        let mut p = Problems::default();
        f(&mut p);
        self.late.extend(p.0.into_iter().map(|x| (stage, x)));
    }

    /// Problems recorded so far.
    pub(crate) fn problem_count(&self) -> usize {
        self.late.len()
    }

    /// Forgets the problems recorded after the first `n` (a step list
    /// compiled again reports what its first compilation did).
    pub(crate) fn forget_problems_after(&mut self, n: usize) {
        self.late.truncate(n);
    }

    /// The table, or the problems of the distributions in [`Stage`] order.
    pub(crate) fn finish(self) -> Result<Vec<Sampler>, Vec<Problem>> {
        if self.late.is_empty() {
            return Ok(self.table);
        }
        let mut late = self.late;
        late.sort_by_key(|x| x.0);
        Err(late.into_iter().map(|x| x.1).collect())
    }
}

/// The sampler of `d`, or what is wrong with it.
fn sampler(d: &Dist) -> Result<Sampler, String> {
    Ok(match d {
        Dist::Const(v) => Sampler::Const(v.nanos()),
        Dist::Exp(mean) => Sampler::exp(mean.nanos()),
        Dist::Lognormal { median, p99 } => {
            if median.nanos() == Nanos::ZERO || p99 < median {
                return Err(format!(
                    "Lognormal needs 0 < median <= p99 (got median {median}, p99 {p99})"
                ));
            }
            Sampler::lognormal(median.nanos(), p99.nanos())
        }
        Dist::Uniform(lo, hi) => {
            if lo > hi {
                return Err(format!("Uniform needs low <= high (got {lo}, {hi})"));
            }
            Sampler::uniform(lo.nanos(), hi.nanos())
        }
        Dist::Empirical(pairs) => {
            let ok = !pairs.is_empty()
                && pairs.iter().all(|x| x.1.is_finite() && x.1 >= 0.0)
                && pairs.iter().map(|x| x.1).sum::<f64>() > 0.0;
            if !ok {
                return Err("Empirical needs at least one (value, weight) pair, weights >= 0 adding up to more than 0".to_owned());
            }
            let pairs: Vec<(Nanos, f64)> = pairs.iter().map(|x| (x.0.nanos(), x.1)).collect();
            Sampler::empirical(&pairs)
        }
        Dist::Fit => {
            return Err("Fit marks a distribution to be measured: run `scaletwin calibrate FILE --observed DATA` to replace it".to_owned());
        }
    })
}
