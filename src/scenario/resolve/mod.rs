//! The scenario compiler: checks a [`Scenario`] and resolves it into a
//! [`Plan`], collecting every problem at once, each with its field path.
//!
//! One resolver per component kind (`balancer`, `deployment` with
//! `autoscale`, `database`, `queue`, `cache`, `cdn`, `dependency`) and per
//! section (`run`, `regions`, `workload`, `limits`, `endpoints`, `faults`
//! with `pod_faults`, `billing`), over a shared [`context::Context`]: the problems, the
//! components indexed by name and kind, and the sampler table. Once the
//! structure has no problem, `program` compiles the endpoints.
//!
//! ```text
//!  names ─▶ run ─▶ components (index, regions, one resolver each, links)
//!        ─▶ workload ─▶ endpoint references ─▶ limits ─▶ faults ─▶ calls
//!        ─▶ (no problem so far) programs ─▶ distributions and cost checks ─▶ Plan
//! ```

mod autoscale;
mod balancer;
mod billing;
mod cache;
mod calls;
mod cdn;
mod checks;
mod client_calls;
mod context;
mod data_size;
mod database;
mod dependency;
mod deployment;
mod endpoints;
mod faults;
mod limits;
mod names;
mod pod_faults;
mod probes;
mod program;
mod queue;
mod recordings;
mod regions;
mod run;
mod samplers;
mod workload;

pub use cache::{memory_bound, MemoryBound, REDIS_ENTRY_OVERHEAD, REDIS_EXPIRES_OVERHEAD};
pub use calls::{MAX_CALL_DEPTH, MAX_ENDPOINT_STEPS};
pub(crate) use checks::number;
pub use context::Problem;
pub use faults::MAX_FAULTS;
pub use program::MAX_TOTAL_STEPS;
pub use recordings::resolve_paths;
pub(crate) use workload::MAX_RATE;

use super::plan::{
    BalancerSpec, CacheSpec, CdnSpec, DatabaseSpec, DependencySpec, DeploymentSpec, Plan, QueueSpec,
};
use super::schema::{Component, Scenario};
use context::{Context, Problems};
use samplers::Stage;

/// Most components in one scenario: with a copy of each database in each of
/// up to 64 regions, every index the simulator narrows to 16 bits still fits.
pub const MAX_COMPONENTS: usize = 1_000;

/// Checks `s` and resolves it into a [`Plan`], or returns every problem found.
pub fn validate(s: &Scenario) -> Result<Plan, Vec<Problem>> {
    let mut p = Problems::default();
    names::check_printable(s, &mut p);
    let times = run::resolve(&mut p, s);
    if s.components.len() > MAX_COMPONENTS {
        p.add(
            "components",
            format!(
                "a scenario has at most {MAX_COMPONENTS} components, not {}",
                s.components.len()
            ),
        );
        return Err(p.0);
    }
    let mut cx = Context::new(s, p);
    cx.regions = s
        .regions
        .as_ref()
        .and_then(|r| regions::resolve_regions(&mut cx.problems, r));
    let mut c = resolve_components(&mut cx);
    let workload = workload::resolve(&mut cx.problems, s);
    data_size::fit_caches(&mut c.databases, workload.keys.as_ref());
    endpoints::check_references(&mut cx);
    let endpoint_names: Vec<&str> = s.endpoints.keys().map(String::as_str).collect();
    let limits = limits::resolve_endpoint_limits(&mut cx.problems, s, &endpoint_names);
    let faults = faults::resolve(&mut cx, times.duration);
    endpoints::check_calls(&mut cx);
    if !cx.problems.is_empty() {
        return Err(cx.problems.0);
    }

    let targets = program::Targets {
        balancers: &c.balancers,
        deployments: &c.deployments,
        databases: &c.databases[..c.named_databases],
        queues: &c.queues,
        caches: &c.caches,
        cdns: &c.cdns,
        dependencies: &c.dependencies,
    };
    let compiled = program::compile(s, &targets, &limits, &mut cx.samplers);
    cx.samplers
        .problems(Stage::Cost, |p| p.0.extend(crate::cost::check(s)));
    let samplers = std::mem::take(&mut cx.samplers).finish()?;
    database::add_copies(&cx, &mut c.databases, &c.copies);
    Ok(Plan {
        name: s.name.clone(),
        seed: s.seed,
        duration: times.duration,
        warmup: times.warmup,
        interval: times.interval,
        workload,
        balancers: c.balancers,
        deployments: c.deployments,
        databases: c.databases,
        endpoints: compiled.endpoints,
        programs: compiled.programs,
        samplers,
        faults,
        cdns: c.cdns,
        dependencies: c.dependencies,
        queues: c.queues,
        regions: cx.regions,
        caches: c.caches,
        asides: compiled.asides,
        call_sites: compiled.call_sites,
        limits,
        slo: s.slo.clone(),
        billing: billing::resolve(s),
    })
}

/// Every component resolved, in scenario order within each kind.
struct Components {
    balancers: Vec<BalancerSpec>,
    deployments: Vec<DeploymentSpec>,
    /// The databases the scenario names (their regional copies are added last).
    databases: Vec<DatabaseSpec>,
    named_databases: usize,
    /// Per named database, the regions of its extra copies.
    copies: Vec<Vec<u8>>,
    queues: Vec<QueueSpec>,
    caches: Vec<CacheSpec>,
    cdns: Vec<CdnSpec>,
    dependencies: Vec<DependencySpec>,
}

/// Resolves each component with its kind's resolver, then the links
/// between them (queue workers, HPA queues, regional targets, the default database).
fn resolve_components(cx: &mut Context) -> Components {
    let mut c = Components {
        balancers: Vec::new(),
        deployments: Vec::new(),
        databases: Vec::new(),
        named_databases: 0,
        copies: Vec::new(),
        queues: Vec::new(),
        caches: Vec::new(),
        cdns: Vec::new(),
        dependencies: Vec::new(),
    };
    let s = cx.scenario;
    for (i, component) in s.components.iter().enumerate() {
        match component {
            Component::LoadBalancer(b) => c.balancers.push(balancer::resolve(cx, i, b)),
            Component::Deployment(d) => c.deployments.push(deployment::resolve(cx, i, d)),
            Component::Database(d) => {
                let db = database::resolve(cx, i, c.databases.len(), d);
                c.databases.push(db.spec);
                c.copies.push(db.extra_regions);
            }
            Component::Queue(q) => c.queues.push(queue::resolve(cx, i, q)),
            Component::Cache(x) => c.caches.push(cache::resolve(cx, i, x)),
            Component::Cdn(x) => c.cdns.push(cdn::resolve(cx, i, x)),
            Component::Dependency(d) => c.dependencies.push(dependency::resolve(cx, i, d)),
        }
    }
    c.named_databases = c.databases.len();
    queue::link_deployments(cx, &mut c.queues, &c.deployments);
    autoscale::resolve_hpa_queues(&mut cx.problems, s, &mut c.deployments, &c.queues);
    balancer::regional(cx, &mut c.balancers, &c.deployments);
    deployment::default_database(&mut c.deployments, c.named_databases);
    deployment::check_statement_timeouts(cx, &c.databases);
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::schema::{Cache, Dist, Fault, KillPods};
    use crate::scenario::units::Duration;
    use crate::scenario::{parse, DEFAULT_SCENARIO};

    fn paths(problems: &[Problem]) -> Vec<&str> {
        problems.iter().map(|p| p.path.as_str()).collect()
    }

    #[test]
    fn more_components_than_the_limit_is_one_problem_naming_it() {
        let mut s = parse(DEFAULT_SCENARIO, "default.ron").unwrap();
        assert!(validate(&s).is_ok());
        let extra = MAX_COMPONENTS + 1 - s.components.len();
        for k in 0..extra {
            s.components.push(Component::Cache(Cache {
                name: format!("c{k}"),
                capacity: Some(10),
                ttl: None,
                latency: Dist::Const(Duration::parse("1ms").unwrap()),
                concurrency: 1,
                node: None,
                item_size: None,
            }));
        }
        let problems = validate(&s).unwrap_err();
        assert_eq!(paths(&problems), ["components"]);
        assert_eq!(
            problems[0].message,
            format!("a scenario has at most {MAX_COMPONENTS} components, not 1001")
        );
        s.components.pop();
        assert!(validate(&s).is_ok(), "exactly the limit is accepted");
    }

    #[test]
    fn more_faults_than_the_limit_is_one_problem_naming_it() {
        let mut s = parse(DEFAULT_SCENARIO, "default.ron").unwrap();
        let api = s.components[1].name().to_owned();
        let kill = Fault::KillPods(KillPods {
            deployment: api,
            count: 1,
            at: Duration::parse("1m").unwrap(),
        });
        s.faults = vec![kill; MAX_FAULTS];
        assert!(validate(&s).is_ok(), "exactly the limit is accepted");
        s.faults.push(s.faults[0].clone());
        let problems = validate(&s).unwrap_err();
        assert_eq!(paths(&problems), ["faults"]);
        assert_eq!(
            problems[0].message,
            format!("a scenario has at most {MAX_FAULTS} faults, not 10001")
        );
    }

    #[test]
    fn distribution_problems_come_after_the_structure_in_a_fixed_order() {
        let text = include_str!("../../../scenarios/cdn.ron")
            .replace(
                r#"latency: Lognormal(median: "12ms", p99: "40ms")"#,
                r#"latency: Lognormal(median: "12ms", p99: "4ms")"#,
            )
            .replace(
                r#"Compute(Exp("6ms"))"#,
                r#"Compute(Uniform("6ms", "1ms"))"#,
            )
            .replace(r#"hop: Lognormal(median: "0.3ms", p99: "2ms")"#, "hop: Fit");
        let s = parse(&text, "cdn.ron").unwrap();
        // The Cdn (components[0]) is met first, but its latency is listed
        // after the endpoints, as it always was.
        assert_eq!(
            paths(&validate(&s).unwrap_err()),
            [
                "network.hop",
                "endpoints.update_product[1]",
                "components[0].latency"
            ]
        );
        // A problem of the structure hides them: it is listed alone.
        let broken = text.replace(r#"replicas: 4"#, "replicas: 0");
        let s = parse(&broken, "cdn.ron").unwrap();
        assert_eq!(
            paths(&validate(&s).unwrap_err()),
            ["components[2].replicas"]
        );
    }
}
