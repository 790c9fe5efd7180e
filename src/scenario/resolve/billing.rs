//! What billing needs of each component, resolved once into the plan
//! ([`BillingSpec`]): what it is billed as, by its index in its family
//! (deployment `i` is the plan's and the report's deployment `i`), and the
//! share of the week it runs. Prices are looked up in the table by `cost`;
//! the names here are the table's keys (instance sizes, classes), never
//! component names to join.

use crate::scenario::plan::{Billed, BilledSpec, BillingSpec};
use crate::scenario::schema::{self, Component, Scenario};
use crate::scenario::Schedule;

/// The billing of every component of `s`, in scenario order. Schedules and
/// prices were checked by `cost::check` (a plan exists only without
/// problems), so an unreadable schedule cannot reach here; it would count
/// as always on.
pub(super) fn resolve(s: &Scenario) -> BillingSpec {
    let mut next = Next::default();
    let components = s
        .components
        .iter()
        .map(|c| BilledSpec {
            name: c.name().to_owned(),
            kind: c.kind(),
            on: match c {
                Component::Deployment(d) => on(d.schedule.as_ref()),
                _ => 1.0,
            },
            billed: billed(c, &mut next),
        })
        .collect();
    let cross_region = s.regions.is_some()
        || s.components.iter().any(|c| {
            matches!(
                c,
                Component::Deployment(schema::Deployment { zones: Some(_), .. })
            )
        });
    BillingSpec {
        prices: s.prices.clone().unwrap_or_default(),
        env_on: on(s.schedule.as_ref()),
        components,
        cross_region,
    }
}

/// The share of the week something with `schedule` runs.
fn on(schedule: Option<&Schedule>) -> f64 {
    schedule.map_or(1.0, |sch| sch.on_fraction().unwrap_or(1.0))
}

/// The next index in each family that has usage.
#[derive(Default)]
struct Next {
    deployment: usize,
    cdn: usize,
    queue: usize,
}

/// `*n`, then one more.
fn take(n: &mut usize) -> usize {
    *n += 1;
    *n - 1
}

/// How component `c` is billed; `next` gives deployments, CDNs and queues
/// their indices.
fn billed(c: &Component, next: &mut Next) -> Billed {
    match c {
        Component::Deployment(d) => Billed::Pods {
            deployment: take(&mut next.deployment),
            instance: d.instance.clone(),
            spot: d.spot,
            nodes: d.nodes.is_some(),
        },
        Component::Database(d) => Billed::Database {
            class: d.class.clone(),
            replica_class: d.replica_class.clone(),
            shards: d.shards.as_ref().map_or(1, |s| s.count),
            replicas: d.replicas,
            regions: d.regions.clone(),
            pgbouncer: d.pgbouncer.as_ref().map(|b| b.instance.clone()),
            storage: super::data_size::billed(d),
        },
        Component::LoadBalancer(_) => Billed::LoadBalancer,
        Component::Cache(x) => Billed::CacheNode {
            class: x.node.clone(),
        },
        Component::Cdn(_) => Billed::Cdn {
            cdn: take(&mut next.cdn),
        },
        // On a shared Cache node: the node's bill is the queue's (its
        // family index is used all the same, so later queues keep theirs).
        Component::Queue(q) if q.redis.is_some() => {
            take(&mut next.queue);
            Billed::External
        }
        Component::Queue(q) => Billed::Queue {
            queue: take(&mut next.queue),
            redis_node: q.redis_node.clone(),
        },
        Component::Dependency(_) => Billed::External,
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::plan::Billed;
    use crate::scenario::{parse, validate};

    #[test]
    fn each_billed_family_is_numbered_in_plan_order() {
        let text = r#"Scenario(
            name: "two", seed: 1, run: (duration: "1s"),
            workload: (users: 10, rps_per_user: 1.0, mix: { "a": 1.0 }),
            components: [
                LoadBalancer(name: "lb", targets: { "web": 1, "api": 1 }),
                Deployment(name: "web", replicas: 1, concurrency: 1, instance: "m6i.large",
                    schedule: (off: "19:00-07:00", weekends: true)),
                Deployment(name: "api", replicas: 2, concurrency: 1, spot: 0.5),
            ],
            endpoints: { "a": [Lb("lb"), Compute(Exp("1ms"))] },
        )"#;
        let plan = validate(&parse(text, "two.ron").unwrap()).unwrap();
        let b = &plan.billing;
        let kinds: Vec<&str> = b.components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(kinds, ["lb", "web", "api"]);
        assert!(matches!(b.components[0].billed, Billed::LoadBalancer));
        let Billed::Pods {
            deployment,
            ref instance,
            ..
        } = b.components[1].billed
        else {
            panic!("web is billed as pods")
        };
        assert_eq!((deployment, instance.as_deref()), (0, Some("m6i.large")));
        assert_eq!(plan.deployments[0].name, "web");
        let Billed::Pods {
            deployment, spot, ..
        } = b.components[2].billed
        else {
            panic!("api is billed as pods")
        };
        assert_eq!((deployment, spot), (1, Some(0.5)));
        assert_eq!(plan.deployments[1].name, "api");
        // 12 hours on, 5 days of 7.
        assert!((b.components[1].on - 0.5 * 5.0 / 7.0).abs() < 1e-12);
        assert_eq!((b.components[2].on, b.env_on), (1.0, 1.0));
    }
}
