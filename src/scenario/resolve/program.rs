//! Endpoint programs: each endpoint's steps compiled into a flat list of
//! [`Op`]s the simulator walks (fallbacks and cache loads nested in place,
//! network hops made explicit). Runs once every reference is known to
//! resolve and the calls are within [`super::calls`]' limits.
//!
//! A `Call` is one [`Op::Call`] to the callee's program. What a step
//! compiles to depends on the balancers held where it runs (`Compute` needs
//! a pod, `L1` and the database come from the innermost one, `Lb` steps nest
//! at most [`MAX_NESTING`] deep), so an endpoint is compiled once per stack
//! of balancers its callers hold, and that program is shared by every call
//! made there: the programs grow with the scenario, not with the number of
//! ways to reach a step. [`MAX_TOTAL_STEPS`] bounds them all the same.
//!
//! A `CacheAside` step keeps one identity (load counters, coalescing) per
//! place a request runs it, as when calls were copies of the callee: a
//! program numbers its asides from 0, callees included, a call op says
//! where its callee's numbers start, and the plan's aside table lists every
//! one, endpoint by endpoint, in the order a request meets them.

use super::context::list;
use super::samplers::{Samplers, Stage};
use crate::scenario::plan::{
    AsideSpec, BalancerSpec, CacheOp, CacheSpec, CallSiteSpec, CdnOp, CdnSpec, ClientOp, DataOp,
    DatabaseSpec, DependencyOp, DependencySpec, DeploymentSpec, EndpointLimitSpec, EndpointSpec,
    JobOp, LimitOp, Op, PodOp, Program, QueueSpec, RedisCommands, RedisOp, TierRef, MAX_NESTING,
};
use crate::scenario::schema::{self, Dist, Scenario, Step};
use crate::scenario::suggest::hint;
use std::collections::HashMap;

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

/// Most steps all the programs may hold together: each endpoint's steps
/// count once for each stack of `Lb` steps its callers hold when they call
/// it (`Call` steps themselves do not count).
pub const MAX_TOTAL_STEPS: u64 = 1_000_000;

/// The compiled endpoints, for the plan.
pub(crate) struct Compiled {
    /// In name order.
    pub(crate) endpoints: Vec<EndpointSpec>,
    /// The endpoints' entries first, in name order, then the other programs.
    pub(crate) programs: Vec<Program>,
    /// Every place a request can run a `CacheAside` step.
    pub(crate) asides: Vec<AsideSpec>,
    /// `CallWith` and `Parallel` steps.
    pub(crate) call_sites: Vec<CallSiteSpec>,
}

/// Compiles every endpoint, in name order (each entry starting with its
/// limit's check, if it has one), and the programs they call.
pub(crate) fn compile(
    s: &Scenario,
    targets: &Targets,
    limits: &[EndpointLimitSpec],
    samplers: &mut Samplers,
) -> Compiled {
    let hop = s
        .network
        .hop
        .as_ref()
        .and_then(|hop| samplers.add(Stage::Hop, "network.hop", hop));
    let names: Vec<&str> = s.endpoints.keys().map(String::as_str).collect();
    let limited: Vec<Option<u16>> = names
        .iter()
        .map(|name| {
            limits
                .iter()
                .position(|l| l.endpoint == *name)
                .map(|l| l as u16)
        })
        .collect();
    let mut compiler = Compiler {
        scenario: s,
        targets,
        samplers,
        hop,
        index: names.iter().enumerate().map(|(i, n)| (*n, i)).collect(),
        made: (0..names.len()).map(Made::unused).collect(),
        names,
        limited,
        shared: HashMap::new(),
        call_sites: Vec::new(),
        sites: HashMap::new(),
        steps: 0,
        full: false,
    };
    for e in 0..compiler.names.len() {
        let body = compiler.program(e, &mut Vec::new());
        if let Some(limit) = compiler.limited[e] {
            // The check runs once per request, before the endpoint's steps.
            let mut entry = Builder::default();
            entry.ops.push(Op::Limit(LimitOp::Endpoint { limit }));
            compiler.call(body, &mut entry);
            compiler.made[e] = compiler.finish(e, entry);
        }
    }
    compiler.finish_all()
}

/// The step lists of a `CacheAside` step.
struct AsideLists<'a> {
    /// What loads a missed value.
    on_miss: &'a [Step],
    /// What runs after each reply of a shared tier.
    after_round_trip: &'a [Step],
}

/// What a program's `CacheAside` numbers stand for, in order.
enum Numbered {
    /// One of its own steps.
    Own(AsideSpec),
    /// Every aside of a program it calls.
    Callee(u32),
}

/// A program being compiled.
#[derive(Default)]
struct Builder {
    ops: Vec<Op>,
    asides: Vec<Numbered>,
    /// Asides numbered so far (the next one's offset).
    aside_count: u64,
}

/// A compiled program and its asides.
struct Made {
    program: Program,
    asides: Vec<Numbered>,
    /// Asides a request running it meets, its callees' included (saturating).
    aside_count: u64,
}

impl Made {
    /// An endpoint's entry before it is compiled.
    fn unused(endpoint: usize) -> Made {
        Made {
            program: Program {
                endpoint: endpoint as u16,
                ops: Vec::new(),
            },
            asides: Vec::new(),
            aside_count: 0,
        }
    }
}

/// Turns endpoint step lists into flat programs.
struct Compiler<'a, 'b> {
    scenario: &'a Scenario,
    targets: &'b Targets<'b>,
    samplers: &'b mut Samplers,
    hop: Option<u32>,
    /// Endpoint names in name order, and each one's index.
    names: Vec<&'a str>,
    index: HashMap<&'a str, usize>,
    /// Each endpoint's limit, if it has one.
    limited: Vec<Option<u16>>,
    /// Every program, by index.
    made: Vec<Made>,
    /// The program of each (endpoint, balancers held) compiled so far.
    shared: HashMap<(usize, Vec<usize>), u32>,
    /// `CallWith` and `Parallel` steps, and each one's index by its path.
    call_sites: Vec<CallSiteSpec>,
    sites: HashMap<String, u32>,
    /// Steps compiled so far, and whether that went over [`MAX_TOTAL_STEPS`].
    steps: u64,
    full: bool,
}

impl<'a> Compiler<'a, '_> {
    /// The program of endpoint `e`'s steps run with balancers `held`,
    /// compiled on first use. An endpoint's own entry is the one with
    /// nothing held, unless a limit check comes first.
    fn program(&mut self, e: usize, held: &mut Vec<usize>) -> u32 {
        let key = (e, held.clone());
        if let Some(&p) = self.shared.get(&key) {
            return p;
        }
        let scenario: &'a Scenario = self.scenario;
        let name = self.names[e];
        let mut b = Builder::default();
        let depth = held.len();
        self.compile_steps(
            &scenario.endpoints[name],
            &format!("endpoints.{name}"),
            held,
            &mut b,
        );
        // A list cut short by a problem may leave its scopes open.
        held.truncate(depth);
        let made = self.finish(e, b);
        let p = if held.is_empty() && self.limited[e].is_none() {
            self.made[e] = made;
            e
        } else {
            self.made.push(made);
            self.made.len() - 1
        };
        self.shared.insert(key, p as u32);
        p as u32
    }

    /// A call of program `callee` at the end of `program`.
    fn call(&mut self, callee: u32, program: &mut Builder) {
        let count = self.made[callee as usize].aside_count;
        let offset = program.aside_count;
        if count > 0 {
            program.asides.push(Numbered::Callee(callee));
            program.aside_count = offset.saturating_add(count);
        }
        program.ops.push(Op::Call {
            program: callee,
            // Past u16 the total is over the limit and reported.
            asides: offset.min(u64::from(u16::MAX)) as u16,
        });
    }

    fn finish(&self, e: usize, b: Builder) -> Made {
        Made {
            program: Program {
                endpoint: e as u16,
                ops: b.ops,
            },
            asides: b.asides,
            aside_count: b.aside_count,
        }
    }

    /// The endpoints with their first asides, the programs and the aside table.
    fn finish_all(mut self) -> Compiled {
        let mut total = 0u64;
        let endpoints: Vec<EndpointSpec> = self
            .names
            .iter()
            .zip(&self.made)
            .map(|(name, made)| {
                let first = total;
                total = total.saturating_add(made.aside_count);
                EndpointSpec {
                    name: (*name).to_owned(),
                    asides: first.min(u64::from(u16::MAX)) as u16,
                }
            })
            .collect();
        let mut asides = Vec::new();
        if total > u64::from(u16::MAX) {
            self.problem(
                "endpoints",
                format!(
                    "the endpoints run {total} CacheAside steps in all, over {} (a step Called k times counts k times)",
                    u16::MAX
                ),
            );
        } else {
            for e in 0..endpoints.len() {
                self.list_asides(e, &mut asides);
            }
        }
        Compiled {
            endpoints,
            programs: self.made.into_iter().map(|m| m.program).collect(),
            asides,
            call_sites: self.call_sites,
        }
    }

    /// Appends every aside a request running program `p` meets, in order.
    fn list_asides(&self, p: usize, out: &mut Vec<AsideSpec>) {
        let mut stack = vec![self.made[p].asides.iter()];
        while let Some(top) = stack.last_mut() {
            match top.next() {
                Some(Numbered::Own(spec)) => out.push(spec.clone()),
                Some(Numbered::Callee(c)) => stack.push(self.made[*c as usize].asides.iter()),
                None => {
                    stack.pop();
                }
            }
        }
    }

    fn sampler(&mut self, path: &str, d: &Dist) -> Option<u32> {
        self.samplers.add(Stage::Endpoints, path, d)
    }

    fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.samplers
            .problems(Stage::Endpoints, |p| p.add(path, message));
    }

    fn hop(&self, program: &mut Builder) {
        if let Some(dist) = self.hop {
            program.ops.push(Op::Delay { dist });
        }
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

    /// Counts one more step compiled; false (with the problem, once) past
    /// [`MAX_TOTAL_STEPS`], when compiling stops.
    fn count_step(&mut self) -> bool {
        if self.full {
            return false;
        }
        self.steps += 1;
        if self.steps > MAX_TOTAL_STEPS {
            self.full = true;
            self.problem(
                "endpoints",
                format!("the endpoints compile to more than {MAX_TOTAL_STEPS} steps in all (an endpoint's steps are compiled once for each stack of Lb steps its callers hold when they Call it)"),
            );
            return false;
        }
        true
    }

    /// Compiles a step list; `Lb` scopes and CDN lookups opened in it end with it.
    fn compile_steps(
        &mut self,
        steps: &'a [Step],
        path: &str,
        held: &mut Vec<usize>,
        program: &mut Builder,
    ) {
        let depth = held.len();
        let mut lookups: Vec<(usize, u16)> = Vec::new();
        for (j, step) in steps.iter().enumerate() {
            let path = format!("{path}[{j}]");
            if !matches!(step, Step::Call(_)) && !self.count_step() {
                return;
            }
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
                        program.ops.push(Op::Pod(PodOp::Compute { dist }));
                    }
                }
                Step::DbRead(d) | Step::DbWrite(d) => {
                    let write = matches!(step, Step::DbWrite(_));
                    let db = self.database_for(&path, held);
                    if let (Some(db), Some(dist)) = (db, self.sampler(&path, d)) {
                        self.hop(program);
                        program.ops.push(Op::Data(DataOp::Query {
                            db: db as u16,
                            write,
                            dist,
                        }));
                    }
                }
                Step::Delay(d) => {
                    if let Some(dist) = self.sampler(&path, d) {
                        program.ops.push(Op::Delay { dist });
                    }
                }
                Step::Session { cache, write } => {
                    // An unknown name is reported by `check_references`.
                    if let Some(c) = self.targets.caches.iter().position(|c| c.name == *cache) {
                        self.hop(program);
                        program.ops.push(Op::Redis(RedisOp::Session(RedisCommands {
                            cache: c as u16,
                            commands: 1 + u32::from(*write),
                        })));
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
                        program.ops.push(Op::Jobs(JobOp::Enqueue {
                            queue: queue as u16,
                            dist,
                            priority: *priority,
                        }));
                    }
                }
                Step::Call(target) => {
                    let callee = self.program(self.index[target.as_str()], held);
                    self.call(callee, program);
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
                    lookups.push((program.ops.len(), cdn));
                    program.ops.push(Op::Cdn(CdnOp::Lookup { cdn, hit_pc: 0 }));
                }
                Step::External {
                    dependency,
                    fallback,
                } => self.external(&path, dependency, fallback, held, program),
                Step::CallWith { fallback, .. } | Step::Parallel { fallback, .. } => {
                    self.client(&path, step, fallback, held, program);
                }
                Step::CacheAside {
                    tiers,
                    on_miss,
                    coalesce,
                    after_round_trip,
                } => {
                    let lists = AsideLists {
                        on_miss,
                        after_round_trip,
                    };
                    self.cache_aside(&path, tiers, lists, *coalesce, held, program);
                }
                Step::Invalidate(tiers) => {
                    for tier in self.tiers(&path, tiers, held) {
                        program.ops.push(Op::Cache(CacheOp::Invalidate { tier }));
                    }
                }
                Step::ScatterRead(d) => {
                    let db = self.database_for(&path, held);
                    if let (Some(db), Some(dist)) = (db, self.sampler(&path, d)) {
                        self.hop(program);
                        program.ops.push(Op::Data(DataOp::Scatter {
                            db: db as u16,
                            dist,
                        }));
                    }
                }
            }
        }
        while held.len() > depth {
            held.pop();
            program.ops.push(Op::Pod(PodOp::Leave));
        }
        // Each edge stores the origin's answer once the origin path is done;
        // a hit continues after its fill.
        while let Some((at, cdn)) = lookups.pop() {
            program.ops.push(Op::Cdn(CdnOp::Fill { cdn }));
            program.ops[at] = Op::Cdn(CdnOp::Lookup {
                cdn,
                hit_pc: program.ops.len() as u32,
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
        program: &mut Builder,
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
            program
                .ops
                .push(Op::Limit(LimitOp::Balancer { lb: lb as u16 }));
        }
        program.ops.push(Op::Pod(PodOp::Enter { lb: lb as u16 }));
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
        program: &mut Builder,
    ) {
        let dep = self
            .targets
            .dependencies
            .iter()
            .position(|d| d.name == *dependency)
            .expect("checked") as u16;
        let at = program.ops.len();
        self.hop(program);
        let at = if program.ops.len() > at { at + 1 } else { at };
        program
            .ops
            .push(Op::Dependency(DependencyOp::Call { dep, end: 0 }));
        self.compile_steps(fallback, &format!("{path}.fallback"), held, program);
        program.ops[at] = Op::Dependency(DependencyOp::Call {
            dep,
            end: program.ops.len() as u32,
        });
    }

    /// A `CallWith` or `Parallel` step: its call site (one per step, however
    /// many places compile it), then the steps that run if it fails.
    fn client(
        &mut self,
        path: &str,
        step: &'a Step,
        fallback: &'a [Step],
        held: &mut Vec<usize>,
        program: &mut Builder,
    ) {
        let site = match self.sites.get(path) {
            Some(&site) => site,
            None => {
                let mut spec = None;
                let index = &self.index;
                self.samplers.problems(Stage::Endpoints, |p| {
                    spec = super::client_calls::site(step, path, index, p);
                });
                let site = self.call_sites.len() as u32;
                self.call_sites.extend(spec);
                self.sites.insert(path.to_owned(), site);
                site
            }
        };
        let at = program.ops.len();
        program.ops.push(Op::Client(ClientOp { site, end: 0 }));
        self.compile_steps(fallback, &format!("{path}.fallback"), held, program);
        program.ops[at] = Op::Client(ClientOp {
            site,
            end: program.ops.len() as u32,
        });
    }

    /// A read through cache tiers, loading on a miss with `on_miss`.
    /// Compiles a `CacheAside` step. Without `after_round_trip` steps:
    ///
    /// ```text
    /// Get(tier 0) … Get(tier n) Load on_miss… Fill END      (a hit jumps to END)
    /// ```
    ///
    /// With them (R), after each shared tier's lookup and after the fill:
    ///
    /// ```text
    /// Get(L1) Get(redis) R Load on_miss… Fill R Jump(END) H: R END
    /// ```
    ///
    /// a miss at the shared tier runs R and goes on; a hit there jumps to
    /// its own copy H of R, which ends at END.
    fn cache_aside(
        &mut self,
        path: &str,
        tiers: &[schema::Tier],
        lists: AsideLists<'a>,
        coalesce: bool,
        held: &mut Vec<usize>,
        program: &mut Builder,
    ) {
        let AsideLists {
            on_miss,
            after_round_trip,
        } = lists;
        let tiers = self.tiers(path, tiers, held);
        if on_miss.is_empty() {
            self.problem(
                format!("{path}.on_miss"),
                "on_miss needs at least one step (what loads the value, e.g. DbRead)",
            );
        }
        let shared = |t: &TierRef| matches!(t, TierRef::Shared(_));
        let round_trip_path = format!("{path}.after_round_trip");
        if !after_round_trip.is_empty() && !tiers.is_empty() && !tiers.iter().any(shared) {
            self.problem(
                &round_trip_path,
                "after_round_trip runs when a shared tier (a Cache) replies; this CacheAside reads only L1: remove it, or add the Cache tier",
            );
        }
        let resumes = !after_round_trip.is_empty();
        // Past u16 the total is over the limit and reported. Numbered before
        // any nested list is compiled, as the asides in those come after it.
        let aside = program.aside_count.min(u64::from(u16::MAX)) as u16;
        let shared_tiers = tiers.iter().filter(|t| shared(t)).count();
        program.asides.push(Numbered::Own(AsideSpec {
            tiers: tiers.clone(),
            coalesce,
        }));
        program.aside_count = program.aside_count.saturating_add(1);
        let first_shared = tiers.iter().position(shared).unwrap_or(usize::MAX);
        // (op index of the Get, whether a hit there runs its own copy of R)
        let mut gets = Vec::new();
        for (t, tier) in tiers.iter().enumerate() {
            if shared(tier) {
                self.hop(program);
            }
            gets.push((program.ops.len(), resumes && shared(tier)));
            program.ops.push(Op::Cache(CacheOp::Get {
                aside,
                tier: t as u8,
                skip: 0,
            }));
            if resumes && shared(tier) && t == first_shared {
                self.compile_steps(after_round_trip, &round_trip_path, held, program);
            } else if resumes && shared(tier) {
                self.compile_copy(after_round_trip, &round_trip_path, held, program);
            }
        }
        let load = program.ops.len();
        program
            .ops
            .push(Op::Cache(CacheOp::Load { aside, skip: 0 }));
        self.compile_steps(on_miss, &format!("{path}.on_miss"), held, program);
        program.ops.push(Op::Cache(CacheOp::Fill { aside }));
        if resumes {
            for _ in 0..shared_tiers {
                self.compile_copy(after_round_trip, &round_trip_path, held, program);
            }
        }
        // The hits' copies of R, each jumped over by the path before it.
        let mut jumps = Vec::new();
        let mut hit_at = Vec::new();
        for &(g, own) in &gets {
            if own {
                jumps.push(program.ops.len());
                program.ops.push(Op::Cache(CacheOp::Jump { skip: 0 }));
                hit_at.push((g, program.ops.len()));
                self.compile_copy(after_round_trip, &round_trip_path, held, program);
            }
        }
        let end = program.ops.len();
        let first = gets.first().map_or(load, |&(g, _)| g);
        if end - first > usize::from(u16::MAX) {
            self.problem(path, "on_miss compiles to too many operations");
        }
        let skip_to = |from: usize, to: usize| (to - from).min(usize::from(u16::MAX)) as u16;
        for (g, _) in gets {
            let to = hit_at
                .iter()
                .find(|&&(h, _)| h == g)
                .map_or(end, |&(_, at)| at);
            if let Op::Cache(CacheOp::Get { skip, .. }) = &mut program.ops[g] {
                *skip = skip_to(g, to);
            }
        }
        for j in jumps {
            if let Op::Cache(CacheOp::Jump { skip }) = &mut program.ops[j] {
                *skip = skip_to(j, end);
            }
        }
        if let Op::Cache(CacheOp::Load { skip, .. }) = &mut program.ops[load] {
            *skip = skip_to(load, end);
        }
    }

    /// Compiles a step list a second time at this point (another copy of a
    /// `CacheAside`'s `after_round_trip`), keeping the problems of its first
    /// compilation only.
    fn compile_copy(
        &mut self,
        steps: &'a [Step],
        path: &str,
        held: &mut Vec<usize>,
        program: &mut Builder,
    ) {
        let known = self.samplers.problem_count();
        self.compile_steps(steps, path, held, program);
        self.samplers.forget_problems_after(known);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{parse, validate};

    /// A scenario with `components` and `endpoints` (the mix sends to "e0").
    fn scenario(components: &str, endpoints: &str) -> Scenario {
        let text = format!(
            r#"Scenario(name: "c", run: (duration: "1m"),
               workload: (users: 1, rps_per_user: 1.0, mix: {{ "e0": 1.0 }}),
               components: [{components}], endpoints: {{ {endpoints} }})"#
        );
        parse(&text, "c.ron").unwrap()
    }

    /// Compiles the endpoints of a scenario without components, whatever
    /// the limits on calls say.
    fn compiled(endpoints: &str) -> Compiled {
        let targets = Targets {
            balancers: &[],
            deployments: &[],
            databases: &[],
            queues: &[],
            caches: &[],
            cdns: &[],
            dependencies: &[],
        };
        let mut samplers = Samplers::default();
        let c = compile(&scenario("", endpoints), &targets, &[], &mut samplers);
        assert!(samplers.finish().is_ok());
        c
    }

    fn ops(c: &Compiled) -> usize {
        c.programs.iter().map(|p| p.ops.len()).sum()
    }

    /// `e0` calls `e1` twice, ... `e{depth-1}` calls `e{depth}` twice.
    fn fan_out(depth: usize) -> String {
        (0..depth)
            .map(|k| format!("\"e{k}\": [Call(\"e{0}\"), Call(\"e{0}\")],", k + 1))
            .chain(std::iter::once(format!(
                "\"e{depth}\": [Delay(Const(\"1ms\"))],"
            )))
            .collect()
    }

    #[test]
    fn a_doubling_fan_out_compiles_to_one_program_per_endpoint() {
        // Inlined, e0 was 2^40 Delays; shared, each endpoint is one program
        // of two Call ops (the last one Delay), all programs being the
        // endpoints' entries.
        let c = compiled(&fan_out(40));
        assert_eq!(c.programs.len(), 41);
        assert_eq!(ops(&c), 2 * 40 + 1);
        // Linear in the depth: 20 levels more are 40 ops more.
        assert_eq!(ops(&compiled(&fan_out(60))) - ops(&c), 2 * 20);
        // e.g. "e1" (programs are in name order: e0, e1, e10, ...).
        let e1 = 1;
        assert_eq!(
            c.programs[0].ops,
            vec![
                Op::Call {
                    program: e1,
                    asides: 0
                };
                2
            ]
        );
    }

    #[test]
    fn a_diamond_shares_the_callee_program() {
        // e0 calls b and c, which both call d: one program of d, called by
        // both (and d's own entry, as nothing is held either way).
        let c = compiled(
            r#""e0": [Call("b"), Call("c")], "b": [Call("d")], "c": [Call("d")],
               "d": [Delay(Const("1ms")), Delay(Const("2ms"))]"#,
        );
        let names: Vec<&str> = c.endpoints.iter().map(|e| e.name.as_str()).collect();
        let d = names.iter().position(|n| *n == "d").unwrap() as u32;
        let of_d: Vec<usize> = (0..c.programs.len())
            .filter(|&p| c.programs[p].endpoint == d as u16)
            .collect();
        assert_eq!(of_d, vec![d as usize]);
        for caller in ["b", "c"] {
            let p = names.iter().position(|n| *n == caller).unwrap();
            assert_eq!(
                c.programs[p].ops,
                vec![Op::Call {
                    program: d,
                    asides: 0
                }]
            );
        }
        assert_eq!(c.programs.len(), 4);
    }

    const COMPONENTS: &str = r#"
        LoadBalancer(name: "a", targets: { "api": 1 }),
        LoadBalancer(name: "b", targets: { "api": 1 }),
        Deployment(name: "api", replicas: 1, concurrency: 1),
        Cache(name: "redis", ttl: "1m", latency: Const("1ms"), concurrency: 1),
        Database(name: "pg", connections: 1)"#;

    #[test]
    fn a_callee_is_compiled_once_per_stack_of_balancers_held() {
        // `work` enters balancer b on top of whatever its caller holds: a
        // pod of a, of b, or nothing yet. Compiled for each, once.
        let s = scenario(
            COMPONENTS,
            r#""e0": [Call("via_a"), Call("via_b")],
               "via_a": [Lb("a"), Call("work"), Call("work")],
               "via_b": [Lb("b"), Call("work"), Call("work")],
               "work": [Lb("b"), Compute(Const("1ms"))]"#,
        );
        let plan = validate(&s).unwrap();
        let work = plan
            .endpoints
            .iter()
            .position(|e| e.name == "work")
            .unwrap();
        let of_work = plan
            .programs
            .iter()
            .filter(|p| usize::from(p.endpoint) == work)
            .count();
        // Alone (its entry), under [a] and under [b].
        assert_eq!(of_work, 3);
        // Under [a] it nests a second pod; the two calls share one program.
        let via_a = plan
            .endpoints
            .iter()
            .position(|e| e.name == "via_a")
            .unwrap();
        let calls: Vec<u32> = plan.programs[via_a]
            .ops
            .iter()
            .filter_map(|op| match op {
                Op::Call { program, .. } => Some(*program),
                _ => None,
            })
            .collect();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0], calls[1]);
        assert_ne!(calls[0] as usize, work);
    }

    #[test]
    fn each_call_of_a_cache_aside_keeps_its_own_aside() {
        // As when calls were copies: e0 meets `get`'s aside twice (asides 0
        // and 1), `get` alone is aside 2, and `pair` (after `get` in name
        // order) meets it twice more (3, 4).
        let s = scenario(
            COMPONENTS,
            r#""e0": [Lb("a"), Call("get"), Call("get")],
               "get": [CacheAside(tiers: ["redis"], on_miss: [DbRead(Const("1ms"))])],
               "pair": [Call("get"), Call("get")]"#,
        );
        let plan = validate(&s).unwrap();
        assert_eq!(plan.asides.len(), 5);
        let first: Vec<(&str, u16)> = plan
            .endpoints
            .iter()
            .map(|e| (e.name.as_str(), e.asides))
            .collect();
        assert_eq!(first, vec![("e0", 0), ("get", 2), ("pair", 3)]);
        let offsets = |e: usize| -> Vec<u16> {
            plan.programs[e]
                .ops
                .iter()
                .filter_map(|op| match op {
                    Op::Call { asides, .. } => Some(*asides),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(offsets(0), vec![0, 1]);
        assert_eq!(offsets(2), vec![0, 1]);
        // `get` with nothing held and under [a] compiles alike but apart.
        let get = plan.programs.iter().filter(|p| p.endpoint == 1).count();
        assert_eq!(get, 2);
    }

    #[test]
    fn programs_over_the_total_are_refused_once() {
        // `big` (90,000 steps) under each of 12 balancers and alone: each
        // request runs at most 90,001 steps, but the programs would hold
        // 13 × 90,000 steps.
        let mut components =
            String::from(r#"Deployment(name: "api", replicas: 1, concurrency: 1)"#);
        let mut endpoints = format!(
            "\"big\": [{}],",
            vec!["Delay(Const(\"1ms\"))"; 90_000].join(",")
        );
        for k in 0..12 {
            components.push_str(&format!(
                ", LoadBalancer(name: \"lb{k}\", targets: {{ \"api\": 1 }})"
            ));
            endpoints.push_str(&format!("\"e{k}\": [Lb(\"lb{k}\"), Call(\"big\")],"));
        }
        let problems = validate(&scenario(&components, &endpoints)).unwrap_err();
        let messages: Vec<String> = problems
            .iter()
            .map(|p| format!("{}: {}", p.path, p.message))
            .collect();
        assert_eq!(
            messages,
            vec![format!(
                "endpoints: the endpoints compile to more than {MAX_TOTAL_STEPS} steps in all (an endpoint's steps are compiled once for each stack of Lb steps its callers hold when they Call it)"
            )]
        );
        // Called under 10 of them (11 × 90,000 steps) it fits.
        let fewer = endpoints
            .replace("\"e10\": [Lb(\"lb10\"), Call(\"big\")],", "")
            .replace("\"e11\": [Lb(\"lb11\"), Call(\"big\")],", "");
        let plan = validate(&scenario(&components, &fewer)).unwrap();
        assert_eq!(plan.programs.len(), 11 + 10);
    }
}
