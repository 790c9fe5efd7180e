//! Endpoint programs: each endpoint's steps (calls inlined, fallbacks and
//! cache loads nested) compiled into a flat list of [`Op`]s the simulator
//! walks. Runs once every reference is known to resolve.

use super::context::list;
use super::samplers::{Samplers, Stage};
use crate::scenario::plan::{
    AsideSpec, BalancerSpec, CacheOp, CacheSpec, CdnOp, CdnSpec, DataOp, DatabaseSpec,
    DependencyOp, DependencySpec, DeploymentSpec, EndpointLimitSpec, EndpointSpec, JobOp, LimitOp,
    Op, PodOp, QueueSpec, TierRef, MAX_NESTING,
};
use crate::scenario::schema::{self, Dist, Scenario, Step};
use crate::scenario::suggest::hint;

/// The resolved components a program refers to, by index.
pub(crate) struct Targets<'a> {
    pub(crate) balancers: &'a [BalancerSpec],
    pub(crate) deployments: &'a [DeploymentSpec],
    /// The databases the scenario names (their regional copies are not targets).
    pub(crate) databases: &'a [DatabaseSpec],
    pub(crate) queues: &'a [QueueSpec],
    pub(crate) caches: &'a [CacheSpec],
    pub(crate) cdns: &'a [CdnSpec],
    pub(crate) dependencies: &'a [DependencySpec],
}

/// Compiles every endpoint, in name order (each starting with its limit's
/// check, if it has one); also returns the cache-aside lookups they use.
pub(crate) fn compile(
    s: &Scenario,
    targets: &Targets,
    limits: &[EndpointLimitSpec],
    samplers: &mut Samplers,
) -> (Vec<EndpointSpec>, Vec<AsideSpec>) {
    let hop = s
        .network
        .hop
        .as_ref()
        .and_then(|hop| samplers.add(Stage::Hop, "network.hop", hop));
    let mut compiler = Compiler {
        scenario: s,
        targets,
        asides: Vec::new(),
        samplers,
        hop,
    };
    let endpoints = s
        .endpoints
        .keys()
        .map(|name| {
            let mut program = Vec::new();
            if let Some(limit) = limits.iter().position(|l| l.endpoint == *name) {
                program.push(Op::Limit(LimitOp::Endpoint {
                    limit: limit as u16,
                }));
            }
            compiler.compile(
                name,
                &format!("endpoints.{name}"),
                &mut Vec::new(),
                &mut program,
            );
            EndpointSpec {
                name: name.clone(),
                program,
            }
        })
        .collect();
    (endpoints, compiler.asides)
}

/// Turns endpoint step lists into flat programs.
struct Compiler<'a, 'b> {
    scenario: &'a Scenario,
    targets: &'b Targets<'b>,
    asides: Vec<AsideSpec>,
    samplers: &'b mut Samplers,
    hop: Option<u32>,
}

impl<'a> Compiler<'a, '_> {
    fn sampler(&mut self, path: &str, d: &Dist) -> Option<u32> {
        self.samplers.add(Stage::Endpoints, path, d)
    }

    fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.samplers
            .problems(Stage::Endpoints, |p| p.add(path, message));
    }

    fn hop(&self, program: &mut Vec<Op>) {
        if let Some(dist) = self.hop {
            program.push(Op::Delay { dist });
        }
    }

    /// Compiles endpoint `name` into `program`; `held` is the stack of balancers entered.
    fn compile(&mut self, name: &str, path: &str, held: &mut Vec<usize>, program: &mut Vec<Op>) {
        let scenario: &'a Scenario = self.scenario;
        self.compile_steps(&scenario.endpoints[name], path, held, program);
    }

    /// Resolves the tiers of a `CacheAside` or `Invalidate` step.
    fn tiers(&mut self, path: &str, tiers: &[schema::Tier], held: &[usize]) -> Vec<TierRef> {
        let mut out = Vec::new();
        if tiers.is_empty() {
            self.problem(path, "list at least one tier: L1 or the name of a Cache");
        }
        for (k, t) in tiers.iter().enumerate() {
            let tpath = format!("{path}.tiers[{k}]");
            let r = match t {
                schema::Tier::L1 => {
                    let ok = held.last().is_some_and(|&lb| {
                        self.targets.balancers[lb]
                            .targets
                            .iter()
                            .all(|&(d, _)| self.targets.deployments[d].l1.is_some())
                    });
                    if !ok {
                        self.problem(&tpath, "the L1 tier is the pod's own cache: put an Lb step first, and give every deployment behind it an `l1: (capacity: ...)`");
                        continue;
                    }
                    TierRef::L1
                }
                schema::Tier::Named(n) => {
                    match self.targets.caches.iter().position(|c| c.name == *n) {
                        Some(i) => TierRef::Shared(i as u16),
                        None => {
                            let caches = self.targets.caches;
                            let names: Vec<&str> = caches.iter().map(|c| c.name.as_str()).collect();
                            self.problem(
                                &tpath,
                                format!(
                                    "no Cache is named \"{n}\";{} caches: {} (or L1)",
                                    hint(n, names.iter().copied()),
                                    list(&names)
                                ),
                            );
                            continue;
                        }
                    }
                }
            };
            if out.contains(&r) {
                self.problem(&tpath, "a tier is listed twice");
            }
            out.push(r);
        }
        out
    }

    /// Compiles a step list; `Lb` scopes and CDN lookups opened in it end with it.
    fn compile_steps(
        &mut self,
        steps: &'a [Step],
        path: &str,
        held: &mut Vec<usize>,
        program: &mut Vec<Op>,
    ) {
        let depth = held.len();
        let mut lookups: Vec<(usize, u16)> = Vec::new();
        for (j, step) in steps.iter().enumerate() {
            let path = format!("{path}[{j}]");
            match step {
                Step::Lb(lb) => {
                    if !self.enter(&path, lb, held, program) {
                        return;
                    }
                }
                Step::Compute(d) => {
                    if held.is_empty() {
                        self.problem(&path, "Compute runs on a pod: put an Lb step before it in this endpoint or a caller");
                    }
                    if let Some(dist) = self.sampler(&path, d) {
                        program.push(Op::Pod(PodOp::Compute { dist }));
                    }
                }
                Step::DbRead(d) | Step::DbWrite(d) => {
                    let write = matches!(step, Step::DbWrite(_));
                    let db = self.database_for(&path, held);
                    if let (Some(db), Some(dist)) = (db, self.sampler(&path, d)) {
                        self.hop(program);
                        program.push(Op::Data(DataOp::Query {
                            db: db as u16,
                            write,
                            dist,
                        }));
                    }
                }
                Step::Delay(d) => {
                    if let Some(dist) = self.sampler(&path, d) {
                        program.push(Op::Delay { dist });
                    }
                }
                Step::Enqueue {
                    queue,
                    work,
                    priority,
                } => {
                    let queue = self
                        .targets
                        .queues
                        .iter()
                        .position(|q| q.name == *queue)
                        .expect("checked");
                    if let Some(dist) = self.sampler(&format!("{path}.work"), work) {
                        self.hop(program);
                        program.push(Op::Jobs(JobOp::Enqueue {
                            queue: queue as u16,
                            dist,
                            priority: *priority,
                        }));
                    }
                }
                Step::Call(target) => {
                    let target_path = format!("endpoints.{target}");
                    self.compile(target, &target_path, held, program);
                }
                Step::Cdn(cdn) => {
                    if held.len() > depth {
                        self.problem(&path, "a Cdn step sits in front of the origin: put it before any Lb step of its list");
                    }
                    let cdn = self
                        .targets
                        .cdns
                        .iter()
                        .position(|c| c.name == *cdn)
                        .expect("checked") as u16;
                    lookups.push((program.len(), cdn));
                    program.push(Op::Cdn(CdnOp::Lookup { cdn, hit_pc: 0 }));
                }
                Step::External {
                    dependency,
                    fallback,
                } => self.external(&path, dependency, fallback, held, program),
                Step::CacheAside {
                    tiers,
                    on_miss,
                    coalesce,
                } => self.cache_aside(&path, tiers, on_miss, *coalesce, held, program),
                Step::Invalidate(tiers) => {
                    for tier in self.tiers(&path, tiers, held) {
                        program.push(Op::Cache(CacheOp::Invalidate { tier }));
                    }
                }
                Step::ScatterRead(d) => {
                    let db = self.database_for(&path, held);
                    if let (Some(db), Some(dist)) = (db, self.sampler(&path, d)) {
                        self.hop(program);
                        program.push(Op::Data(DataOp::Scatter {
                            db: db as u16,
                            dist,
                        }));
                    }
                }
            }
        }
        while held.len() > depth {
            held.pop();
            program.push(Op::Pod(PodOp::Leave));
        }
        // Each edge stores the origin's answer once the origin path is done;
        // a hit continues after its fill.
        while let Some((at, cdn)) = lookups.pop() {
            program.push(Op::Cdn(CdnOp::Fill { cdn }));
            program[at] = Op::Cdn(CdnOp::Lookup {
                cdn,
                hit_pc: program.len() as u32,
            });
        }
    }

    /// Enters balancer `lb`'s scope (a pod is held until the scope ends);
    /// false if that nests too deep.
    fn enter(
        &mut self,
        path: &str,
        lb: &str,
        held: &mut Vec<usize>,
        program: &mut Vec<Op>,
    ) -> bool {
        let lb = self
            .targets
            .balancers
            .iter()
            .position(|b| b.name == *lb)
            .expect("checked");
        if held.len() >= MAX_NESTING {
            self.problem(path, format!("Lb steps nest deeper than {MAX_NESTING} (a request would hold more than {MAX_NESTING} pods at once)"));
            return false;
        }
        self.hop(program);
        if self.targets.balancers[lb].rate_limit.is_some() {
            program.push(Op::Limit(LimitOp::Balancer { lb: lb as u16 }));
        }
        program.push(Op::Pod(PodOp::Enter { lb: lb as u16 }));
        held.push(lb);
        true
    }

    /// A call to a dependency, with the steps that run if it fails.
    fn external(
        &mut self,
        path: &str,
        dependency: &str,
        fallback: &'a [Step],
        held: &mut Vec<usize>,
        program: &mut Vec<Op>,
    ) {
        let dep = self
            .targets
            .dependencies
            .iter()
            .position(|d| d.name == *dependency)
            .expect("checked") as u16;
        let at = program.len();
        self.hop(program);
        let at = if program.len() > at { at + 1 } else { at };
        program.push(Op::Dependency(DependencyOp::Call { dep, end: 0 }));
        self.compile_steps(fallback, &format!("{path}.fallback"), held, program);
        program[at] = Op::Dependency(DependencyOp::Call {
            dep,
            end: program.len() as u32,
        });
    }

    /// A read through cache tiers, loading on a miss with `on_miss`.
    fn cache_aside(
        &mut self,
        path: &str,
        tiers: &[schema::Tier],
        on_miss: &'a [Step],
        coalesce: bool,
        held: &mut Vec<usize>,
        program: &mut Vec<Op>,
    ) {
        let tiers = self.tiers(path, tiers, held);
        if on_miss.is_empty() {
            self.problem(
                format!("{path}.on_miss"),
                "on_miss needs at least one step (what loads the value, e.g. DbRead)",
            );
        }
        if self.asides.len() >= usize::from(u16::MAX) {
            self.problem(
                path,
                format!(
                    "the endpoints compile to more than {} CacheAside steps",
                    u16::MAX
                ),
            );
        }
        let aside = self.asides.len() as u16;
        let mut gets = Vec::new();
        for (t, tier) in tiers.iter().enumerate() {
            if matches!(tier, TierRef::Shared(_)) {
                self.hop(program);
            }
            gets.push(program.len());
            program.push(Op::Cache(CacheOp::Get {
                aside,
                tier: t as u8,
                skip: 0,
            }));
        }
        self.asides.push(AsideSpec { tiers, coalesce });
        let load = program.len();
        program.push(Op::Cache(CacheOp::Load { aside, skip: 0 }));
        self.compile_steps(on_miss, &format!("{path}.on_miss"), held, program);
        program.push(Op::Cache(CacheOp::Fill { aside }));
        let end = program.len();
        if end - load > usize::from(u16::MAX) {
            self.problem(path, "on_miss compiles to too many operations");
        }
        for g in gets {
            if let Op::Cache(CacheOp::Get { skip, .. }) = &mut program[g] {
                *skip = (end - g) as u16;
            }
        }
        if let Op::Cache(CacheOp::Load { skip, .. }) = &mut program[load] {
            *skip = (end - load) as u16;
        }
    }

    /// The database a query at this point goes to: the innermost pod's, or the only one.
    fn database_for(&mut self, path: &str, held: &[usize]) -> Option<usize> {
        let targets = self.targets;
        let names: Vec<&str> = targets.databases.iter().map(|d| d.name.as_str()).collect();
        if let Some(&lb) = held.last() {
            let dbs: Vec<Option<usize>> = targets.balancers[lb]
                .targets
                .iter()
                .map(|&(d, _)| targets.deployments[d].database)
                .collect();
            match dbs.first().copied().flatten() {
                Some(db) if dbs.iter().all(|x| *x == Some(db)) => return Some(db),
                _ if dbs.iter().any(Option::is_some) => {
                    self.problem(path, format!("the deployments behind \"{}\" use different databases; a query here is ambiguous", targets.balancers[lb].name));
                    return None;
                }
                _ => {}
            }
        }
        match targets.databases.len() {
            1 => Some(0),
            0 => {
                self.problem(
                    path,
                    "a database step needs a Database component, and there is none",
                );
                None
            }
            _ => {
                self.problem(path, format!("several databases exist ({}); set `database` on the deployment this step runs on", list(&names)));
                None
            }
        }
    }
}
