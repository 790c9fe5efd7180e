//! The search: cheapest cost floor first, replications on common seeds
//! until a 95% decision, pruning below failures, and an early stop once no
//! candidate left can cost less than the best one that meets the SLO.
//!
//! ```text
//!  open candidates ─least floor─▶ that group's middle by capacity ─▶ R runs (seeds of stage k)
//!        ▲                                                          │ undecided: R more, to the cap
//!        │  fails: drop every candidate with no more capacity ◀─────┤
//!        └─ meets: drop every candidate whose floor is above it ◀───┘
//! ```
//!
//! Picking the middle of the cheapest group bisects a path that changes no
//! price (a worker count, an HPA maximum): a failure there prunes the half
//! below it, a success at its floor bounds the half above.

use super::outcome::{Binding, PlanReport, StagePlan, Trial, Verdict};
use super::space::{cost_floor, Choice, Space};
use crate::metrics::stats::Estimate;
use crate::report::slo::{percent, LATENCY_GOOD_PERCENT};
use crate::report::{CostReport, RunSummary};
use crate::scenario::schema::ComponentKind;
use crate::scenario::Slo;
use crate::scenario::{Scenario, ScenarioError};
use crate::sweep::{prepare, run_all, seed_for, stage_row};

/// Costs within a cent per month are equal.
const EPS: f64 = 0.01;

/// How hard the search tries.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Replications of a candidate before its first decision (at least 2),
    /// and the step when undecided.
    pub replications: u32,
    /// Most replications of an undecided candidate.
    pub max_replications: u32,
    /// Most requests one run simulates (0: no cap; see `sweep::Batch`).
    pub max_requests: u64,
    /// Run even configurations over the memory budget.
    pub allow_large: bool,
}

/// What the search of one stage knows about a candidate.
#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    Open,
    Ran,
    Pruned,
    Bounded,
}

/// The candidates of a space, applied to a scenario and priced once.
struct Candidates<'a> {
    space: &'a Space,
    choices: Vec<Choice>,
    points: Vec<Scenario>,
    floors: Vec<f64>,
}

/// Finds, for each `(name, users)` of `ladder`, the cheapest candidate of
/// `space` that meets `s`'s SLO with 95% confidence. `progress` hears one
/// line per candidate run.
pub fn plan(
    s: &Scenario,
    space: &Space,
    file: &str,
    ladder: &[(String, f64)],
    opts: Options,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<PlanReport, ScenarioError> {
    let base = Scenario {
        plan: None,
        ..s.clone()
    };
    let choices = space.candidates();
    let points = choices
        .iter()
        .map(|c| space.apply(&base, c))
        .collect::<Result<Vec<_>, _>>()?;
    let floors = points
        .iter()
        .map(cost_floor)
        .collect::<Result<Vec<_>, _>>()?;
    let all = Candidates {
        space,
        choices,
        points,
        floors,
    };
    let slo = crate::report::slo::objective(s.slo.as_ref());
    let mut failed: Vec<(f64, usize)> = Vec::new();
    let mut stages = Vec::new();
    for (k, (name, users)) in ladder.iter().enumerate() {
        let known: Vec<usize> = failed
            .iter()
            .filter(|(at, _)| *at <= *users)
            .map(|(_, i)| *i)
            .collect();
        let stage = Stage {
            all: &all,
            slo: &slo,
            opts,
            file,
            seed: s.seed,
            k: k as u64,
            name,
            users: *users,
        };
        let plan = stage.search(&known, progress)?;
        failed.extend(
            plan.trials
                .iter()
                .filter(|t| t.verdict == Verdict::Fails)
                .map(|t| (*users, t.index)),
        );
        stages.push(plan);
    }
    Ok(PlanReport {
        scenario: s.name.clone(),
        slo,
        slo_default: s.slo.is_none(),
        dimensions: space.dimensions.clone(),
        replications: opts.replications,
        max_replications: opts.max_replications,
        max_requests: opts.max_requests,
        stages,
        provenance: None,
    })
}

/// The search at one user count.
struct Stage<'a> {
    all: &'a Candidates<'a>,
    slo: &'a Slo,
    opts: Options,
    file: &'a str,
    seed: u64,
    k: u64,
    name: &'a str,
    users: f64,
}

impl Stage<'_> {
    /// Runs the search; `known` failed at a stage with no more users.
    fn search(
        &self,
        known: &[usize],
        progress: &(dyn Fn(&str) + Sync),
    ) -> Result<StagePlan, ScenarioError> {
        let all = self.all;
        let n = all.choices.len();
        let mut state = vec![State::Open; n];
        for &f in known {
            self.prune(&mut state, f);
        }
        let mut trials: Vec<Trial> = Vec::new();
        let mut best: Option<usize> = None;
        loop {
            let traffic = trials
                .iter()
                .map(|t| t.traffic_per_month)
                .fold(f64::INFINITY, f64::min);
            if let Some(b) = best {
                for (i, st) in state.iter_mut().enumerate() {
                    if *st == State::Open && !self.can_beat(i, traffic, &trials[b]) {
                        *st = State::Bounded;
                    }
                }
            }
            let Some(pick) = self.next(&state) else {
                break;
            };
            let trial = self.evaluate(pick)?;
            state[pick] = State::Ran;
            progress(&format!(
                "[{}] {}/{} {}: {} ({} runs, ${:.2}/month)",
                self.name,
                trials.len() + 1,
                n,
                trial.sets.join(" "),
                verdict_word(trial.verdict),
                trial.figures.runs.len(),
                trial.cost_per_month.mean
            ));
            match trial.verdict {
                Verdict::Fails => self.prune(&mut state, pick),
                Verdict::Meets => {
                    if best.is_none_or(|b| self.better(&trial, &trials[b])) {
                        best = Some(trials.len());
                    }
                }
                Verdict::Undecided => {}
            }
            trials.push(trial);
        }
        Ok(self.conclude(trials, best, &state))
    }

    /// The next candidate to run: among the open ones with the least
    /// floor, the middle one by capacity.
    fn next(&self, state: &[State]) -> Option<usize> {
        let all = self.all;
        let open: Vec<usize> = (0..state.len())
            .filter(|&i| state[i] == State::Open)
            .collect();
        let least = open
            .iter()
            .map(|&i| all.floors[i])
            .fold(f64::INFINITY, f64::min);
        let mut group: Vec<usize> = open
            .into_iter()
            .filter(|&i| all.floors[i] <= least + EPS)
            .collect();
        group.sort_by_key(|&i| (all.space.rank(&all.choices[i]), i));
        group.get(group.len() / 2).copied()
    }

    /// Marks `failed` and every open candidate it dominates as pruned.
    fn prune(&self, state: &mut [State], failed: usize) {
        let all = self.all;
        for (st, choice) in state.iter_mut().zip(&all.choices) {
            if *st == State::Open && all.space.dominated(choice, &all.choices[failed]) {
                *st = State::Pruned;
            }
        }
        if state[failed] == State::Open {
            state[failed] = State::Pruned;
        }
    }

    /// The order of preference between candidates that meet the SLO:
    /// cheaper, then less capacity, then the lower index.
    fn key(&self, index: usize) -> (usize, usize) {
        (self.all.space.rank(&self.all.choices[index]), index)
    }

    /// Whether `a` is preferred to `b` (both meet the SLO).
    fn better(&self, a: &Trial, b: &Trial) -> bool {
        let (x, y) = (a.cost_per_month.mean, b.cost_per_month.mean);
        x < y - EPS || (x <= y + EPS && self.key(a.index) < self.key(b.index))
    }

    /// Whether candidate `i`, not yet run, could be preferred to `best`:
    /// its floor plus `traffic` (the least any candidate run at this stage
    /// paid for CDN and queue requests, which follow the workload every
    /// candidate shares) against the best one's billed cost.
    fn can_beat(&self, i: usize, traffic: f64, best: &Trial) -> bool {
        let (floor, cost) = (self.all.floors[i] + traffic, best.cost_per_month.mean);
        floor < cost - EPS || (floor <= cost + EPS && self.key(i) < self.key(best.index))
    }

    /// Runs candidate `i` until a decision or the replication cap.
    fn evaluate(&self, i: usize) -> Result<Trial, ScenarioError> {
        let opts = self.opts;
        let point = &self.all.points[i];
        let mut runs: Vec<(RunSummary, CostReport)> = Vec::new();
        let mut want = opts.replications.max(2);
        loop {
            let jobs: Vec<Scenario> = (runs.len() as u64..u64::from(want))
                .map(|r| {
                    prepare(
                        point,
                        Some(self.users),
                        seed_for(self.seed, self.k, r),
                        opts.max_requests,
                    )
                })
                .collect();
            runs.extend(run_all(&jobs, self.file, opts.allow_large, None)?);
            let (verdict, why) = decide(self.slo, &runs);
            if verdict != Verdict::Undecided || want >= opts.max_replications {
                let cost = Estimate::of(
                    &runs
                        .iter()
                        .map(|(r, _)| r.cost_per_month)
                        .collect::<Vec<_>>(),
                );
                let traffic =
                    runs.iter().map(|(_, c)| traffic_per_month(c)).sum::<f64>() / runs.len() as f64;
                return Ok(Trial {
                    traffic_per_month: traffic,
                    index: i,
                    sets: self.all.space.sets(&self.all.choices[i]),
                    floor_per_month: self.all.floors[i],
                    verdict,
                    why,
                    cost_per_month: cost,
                    figures: stage_row(
                        self.name,
                        &prepare(point, Some(self.users), self.seed, opts.max_requests),
                        runs,
                        self.slo,
                    ),
                });
            }
            want = (want + opts.replications).min(opts.max_replications);
        }
    }

    /// The stage's plan from its trials.
    fn conclude(&self, trials: Vec<Trial>, best: Option<usize>, state: &[State]) -> StagePlan {
        let count = |s: State| state.iter().filter(|&&x| x == s).count();
        let chosen = best.map(|b| trials[b].clone());
        let mut meeting: Vec<&Trial> = trials
            .iter()
            .filter(|t| {
                t.verdict == Verdict::Meets && Some(t.index) != chosen.as_ref().map(|c| c.index)
            })
            .collect();
        meeting.sort_by(|a, b| {
            a.cost_per_month
                .mean
                .total_cmp(&b.cost_per_month.mean)
                .then(self.key(a.index).cmp(&self.key(b.index)))
        });
        let cheapest_failing = trials
            .iter()
            .filter(|t| t.verdict != Verdict::Meets)
            .min_by(|a, b| {
                a.cost_per_month
                    .mean
                    .total_cmp(&b.cost_per_month.mean)
                    .then(self.key(a.index).cmp(&self.key(b.index)))
            })
            .cloned();
        StagePlan {
            name: self.name.to_owned(),
            users: self.users,
            binding: chosen.as_ref().map(|c| binding(self.slo, c)),
            runner_up: meeting.first().map(|t| (*t).clone()),
            chosen,
            cheapest_failing,
            candidates: state.len(),
            evaluated: trials.len(),
            pruned: count(State::Pruned),
            bounded: count(State::Bounded),
            runs: trials.iter().map(|t| t.figures.runs.len()).sum(),
            trials,
        }
    }
}

/// The traffic part of a bill: every CDN line and the queue requests.
fn traffic_per_month(cost: &CostReport) -> f64 {
    cost.by_component
        .iter()
        .map(|c| {
            if c.kind == ComponentKind::Cdn.as_str() {
                c.per_month
            } else if c.kind == ComponentKind::Queue.as_str() {
                c.items
                    .iter()
                    .filter(|i| i.item.starts_with("queue requests"))
                    .map(|i| i.per_month)
                    .sum()
            } else {
                0.0
            }
        })
        .sum()
}

/// The share of finished requests the latency objective may lose.
fn latency_budget() -> f64 {
    1.0 - LATENCY_GOOD_PERCENT as f64 / 100.0
}

/// The decision on `runs` at 95% confidence, and its figures in words.
pub(super) fn decide(slo: &Slo, runs: &[(RunSummary, CostReport)]) -> (Verdict, String) {
    let good = Estimate::of(&runs.iter().map(|(r, _)| r.good_ratio).collect::<Vec<_>>());
    let errors = Estimate::of(&runs.iter().map(|(r, _)| r.error_rate).collect::<Vec<_>>());
    let target = 1.0 - latency_budget();
    let side = |good_side: bool, bad_side: bool| match (good_side, bad_side) {
        (true, _) => Verdict::Meets,
        (_, true) => Verdict::Fails,
        _ => Verdict::Undecided,
    };
    let latency = side(
        good.mean - good.ci95 >= target - 1e-12,
        good.mean + good.ci95 < target - 1e-12,
    );
    let errs = side(
        errors.mean + errors.ci95 <= slo.error_rate,
        errors.mean - errors.ci95 > slo.error_rate,
    );
    let verdict = match (latency, errs) {
        (Verdict::Fails, _) | (_, Verdict::Fails) => Verdict::Fails,
        (Verdict::Meets, Verdict::Meets) => Verdict::Meets,
        _ => Verdict::Undecided,
    };
    let why = format!(
        "{} of requests succeeded within {} (needs {}: {}); errors {} (limit {}: {})",
        share(&good),
        slo.p99,
        percent(target),
        verdict_word(latency),
        share(&errors),
        percent(slo.error_rate),
        verdict_word(errs),
    );
    (verdict, why)
}

/// A share with its 95% interval in percent: `99.52%±0.03%`.
fn share(e: &Estimate) -> String {
    format!("{}±{}", percent(e.mean), percent(e.ci95))
}

/// `meets`, `fails`, `undecided`.
pub(super) fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Meets => "meets",
        Verdict::Fails => "fails",
        Verdict::Undecided => "undecided",
    }
}

/// The objective `chosen` meets with the least budget to spare, and its
/// busiest station.
fn binding(slo: &Slo, chosen: &Trial) -> Binding {
    let row = &chosen.figures;
    let slow = 1.0 - row.good_ratio.mean;
    let latency_left = 1.0 - slow / latency_budget();
    let errors_left = if slo.error_rate > 0.0 {
        1.0 - row.error_rate.mean / slo.error_rate
    } else {
        1.0
    };
    let p99 = row
        .runs
        .iter()
        .map(|r| r.p99_good_ms)
        .collect::<Option<Vec<f64>>>()
        .map_or_else(
            || "unknown".to_owned(),
            |v| format!("{:.1} ms", Estimate::of(&v).mean),
        );
    let (objective, budget_left, detail) = if latency_left <= errors_left {
        (
            "latency",
            latency_left,
            format!(
                "{} of requests slower than {} or failed, of a {} budget; 99% succeed within {p99}",
                percent(slow.max(0.0)),
                slo.p99,
                percent(latency_budget())
            ),
        )
    } else {
        (
            "errors",
            errors_left,
            format!(
                "error rate {} of a {} budget",
                percent(row.error_rate.mean),
                percent(slo.error_rate)
            ),
        )
    };
    Binding {
        objective: objective.to_owned(),
        budget_left: (budget_left * 1e4).round() / 1e4,
        detail,
        station: row.busiest.clone(),
        utilization: row.busiest_utilization,
    }
}
