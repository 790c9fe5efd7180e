//! What the load generator will send, decided before it sends anything: the
//! arrival times of one step (Poisson at a fixed rate, from scaletwin's own
//! [`Arrivals`]), and for each arrival an endpoint (the mix) and a tenant and
//! a key (Zipf popularity, scaletwin's [`PopularitySampler`]). Each draw has
//! its own named random stream, so a step's plan depends only on the seed,
//! the step's index and its settings.

use rand::Rng as _;
use scaletwin::algo::clock::Nanos;
use scaletwin::engine::{stream, Rng};
use scaletwin::workload::{Arrivals, PopularitySampler, RatePattern};

use crate::endpoint::{Endpoint, PerEndpoint};

/// The request population: mix, keys and tenants.
#[derive(Clone, Debug)]
pub struct Population {
    mix: [f64; 3],
    keys: PopularitySampler,
    tenants: PopularitySampler,
}

/// One request to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Planned {
    /// Intended send time, from the start of its step.
    pub at: Nanos,
    /// The endpoint.
    pub endpoint: Endpoint,
    /// Tenant id, `0..tenants` (0 the most popular); `list_projects` lists its projects.
    pub tenant: u64,
    /// Project id, `1..=keys` (1 the most popular); `get`/`update_project` use it.
    pub key: u64,
}

impl Population {
    /// `keys` projects with Zipf(`key_s`) popularity, `tenants` tenants with
    /// Zipf(`tenant_s`), and the endpoint shares `mix` (normalised here).
    pub fn new(mix: PerEndpoint, keys: u64, key_s: f64, tenants: u64, tenant_s: f64) -> Population {
        let total: f64 = mix.0.iter().sum();
        Population {
            mix: mix.0.map(|w| w / total),
            keys: PopularitySampler::zipf(keys, key_s),
            tenants: PopularitySampler::zipf(tenants, tenant_s),
        }
    }

    /// The plan of step `step`: Poisson arrivals at `rate` per second for
    /// `duration`, at most `max_requests` of them.
    pub fn plan(
        &self,
        seed: u64,
        step: u32,
        rate: f64,
        duration: Nanos,
        max_requests: usize,
    ) -> Vec<Planned> {
        let name = |purpose: &str| format!("testbed/load/step{step}/{purpose}");
        let mut arrivals =
            Arrivals::new(rate, RatePattern::Constant, stream(seed, &name("arrivals")));
        let mut mix_rng = stream(seed, &name("mix"));
        let mut key_rng = stream(seed, &name("keys"));
        let mut tenant_rng = stream(seed, &name("tenants"));
        let mut plan = Vec::new();
        while plan.len() < max_requests {
            let Some(at) = arrivals.next_arrival() else {
                break;
            };
            if at >= duration {
                break;
            }
            plan.push(Planned {
                at,
                endpoint: self.endpoint(&mut mix_rng),
                tenant: self.tenants.sample(&mut tenant_rng),
                key: self.keys.sample(&mut key_rng) + 1,
            });
        }
        plan
    }

    fn endpoint(&self, rng: &mut Rng) -> Endpoint {
        let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let mut acc = 0.0;
        for e in Endpoint::ALL {
            acc += self.mix[e.index()];
            if u < acc {
                return e;
            }
        }
        Endpoint::UpdateProject
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn population() -> Population {
        let mix = PerEndpoint(Endpoint::ALL.map(Endpoint::default_share));
        Population::new(mix, 100_000, 0.9, 2_000, 1.1)
    }

    #[test]
    fn a_step_has_its_rate_its_mix_and_zipf_keys() {
        let plan = population().plan(42, 0, 500.0, Nanos::from_secs(60), usize::MAX);
        // 30,000 expected; Poisson sd ~173.
        assert!((29_300..=30_700).contains(&plan.len()), "{}", plan.len());
        assert!(plan.windows(2).all(|w| w[0].at <= w[1].at));
        assert!(plan.iter().all(|p| p.at < Nanos::from_secs(60)));
        let share = |e| plan.iter().filter(|p| p.endpoint == e).count() as f64 / plan.len() as f64;
        assert!((share(Endpoint::ListProjects) - 0.7).abs() < 0.015);
        assert!((share(Endpoint::GetProject) - 0.2).abs() < 0.015);
        // Zipf(0.9) over 100,000 keys: key 1 has weight 1 / H where
        // H = sum k^-0.9 ~ 30.1, so ~3.3 % of requests.
        let h: f64 = (1..=100_000).map(|k| (k as f64).powf(-0.9)).sum();
        let top = plan.iter().filter(|p| p.key == 1).count() as f64 / plan.len() as f64;
        assert!((top - 1.0 / h).abs() < 0.004, "{top} vs {}", 1.0 / h);
        assert!(plan
            .iter()
            .all(|p| (1..=100_000).contains(&p.key) && p.tenant < 2_000));
    }

    #[test]
    fn plans_are_bounded_and_repeatable() {
        let pop = population();
        let a = pop.plan(7, 3, 100.0, Nanos::from_secs(10), 50);
        assert_eq!(a.len(), 50);
        assert_eq!(a, pop.plan(7, 3, 100.0, Nanos::from_secs(10), 50));
        assert_ne!(a, pop.plan(7, 4, 100.0, Nanos::from_secs(10), 50));
    }
}
