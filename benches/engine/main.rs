//! Criterion bench `engine`: events per second through the real engine and
//! interpreter (`engine/mm8`, `engine/mm1`) beside a minimal hand-written
//! binary-heap loop of the same model (`bare/mm8`, `bare/mm1`, see
//! `bare_loop.rs`), the floor loop (`floor/mm8`, `floor/mm1`, see
//! `floor_loop.rs`: the same model by hand with the engine's parts and the
//! report's bookkeeping, no interpreter), and the bare event queue under the
//! classic hold model.
//!
//! The queues: M/M/8 at ρ = 0.9 (λ = 7200/s, μ = 1000/s per server) for
//! 139 simulated seconds and M/M/1 at ρ = 0.9 (λ = 900/s, μ = 1000/s) for
//! 1112 s, about 1 M customers each; an event is an arrival or a service
//! completion. After criterion, `cargo bench` prints the engine/bare and
//! floor/bare ratios of each model from alternating runs in the same process.
//!
//! `cargo bench --bench engine -- --warm-up-time 1 --measurement-time 5`

mod bare_loop;
mod floor_loop;

use bare_loop::MmcModel;
use criterion::{criterion_group, Criterion, Throughput};
use scaletwin::algo::Nanos;
use scaletwin::engine::{stream, EventQueue};
use std::hint::black_box;
use std::time::Instant;

/// The two queues, by name.
const MODELS: [(&str, MmcModel); 2] = [
    (
        "mm8",
        MmcModel {
            lambda: 7200.0,
            mu: 1000.0,
            servers: 8,
            seconds: 139.0,
        },
    ),
    (
        "mm1",
        MmcModel {
            lambda: 900.0,
            mu: 1000.0,
            servers: 1,
            seconds: 1112.0,
        },
    ),
];

/// The scenario of `model`: one balancer, one pod with `servers` worker
/// slots, exponential compute.
fn engine_plan(name: &str, model: &MmcModel) -> scaletwin::Plan {
    let text = format!(
        r#"Scenario(
        name: "{name}", seed: 1,
        run: (duration: "{seconds}s", interval: "1h"),
        workload: (users: {lambda}, rps_per_user: 1.0, mix: {{ "serve": 1.0 }}),
        components: [
            LoadBalancer(name: "lb", targets: {{ "station": 1 }}),
            Deployment(name: "station", replicas: 1, concurrency: {servers}),
        ],
        endpoints: {{ "serve": [Lb("lb"), Compute(Exp("{service_us}us"))] }},
    )"#,
        seconds = model.seconds,
        lambda = model.lambda,
        servers = model.servers,
        service_us = 1e6 / model.mu,
    );
    let s = scaletwin::scenario::parse(&text, "bench.ron").unwrap();
    scaletwin::scenario::validate(&s).unwrap()
}

/// A hand-written loop's mean sojourn must be Erlang C's (within the
/// noise of 1 M customers at ρ = 0.9), or its speed means nothing.
fn check_mean(what: &str, model: &MmcModel, mean_sojourn_s: f64, departed: u64) {
    let exact = model.exact_mean_sojourn_s();
    assert!(
        (mean_sojourn_s / exact - 1.0).abs() < 0.1,
        "{what}: mean sojourn {mean_sojourn_s} s over {departed} customers, Erlang C {exact} s"
    );
}

/// Benchmarks `run` as `group/name`, `events` events per run.
fn bench_one<T>(c: &mut Criterion, group: &str, name: &str, events: u64, run: impl Fn() -> T) {
    let mut g = c.benchmark_group(group);
    g.sample_size(10);
    g.throughput(Throughput::Elements(events));
    g.bench_function(name, |b| b.iter(|| black_box(run())));
    g.finish();
}

fn bench_queues(c: &mut Criterion) {
    for (name, model) in MODELS {
        let plan = engine_plan(name, &model);
        let bare = model.run(1);
        check_mean(
            &format!("bare {name}"),
            &model,
            bare.mean_sojourn_s,
            bare.departed,
        );
        let floor = floor_loop::run(&model, 1);
        check_mean(
            &format!("floor {name}"),
            &model,
            floor.mean_sojourn_s,
            floor.departed,
        );
        assert!(
            floor.p99_s > floor.mean_sojourn_s,
            "floor {name}: {floor:?}"
        );
        let engine_events = scaletwin::simulate(&plan).engine.events;
        bench_one(c, "engine", name, engine_events, || {
            scaletwin::simulate(&plan)
        });
        bench_one(c, "bare", name, bare.events, || model.run(1));
        bench_one(c, "floor", name, floor.events, || {
            floor_loop::run(&model, 1)
        });
    }
}

/// Alternates runs of the engine, the bare loop and the floor loop on each
/// model and prints their events per second and the engine's and the floor's
/// ratios to the bare loop (medians of `ROUNDS`).
fn print_ratios() {
    const ROUNDS: usize = 7;
    println!(
        "engine and floor / bare loop, events per second, median of {ROUNDS} alternating runs:"
    );
    for (name, model) in MODELS {
        let plan = engine_plan(name, &model);
        // Events per second of one timed run.
        let rate = |run: &dyn Fn() -> u64| {
            let t = Instant::now();
            let events = black_box(run());
            events as f64 / t.elapsed().as_secs_f64()
        };
        let (mut engine, mut bare, mut floor) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            engine.push(rate(&|| scaletwin::simulate(&plan).engine.events));
            bare.push(rate(&|| model.run(1).events));
            floor.push(rate(&|| floor_loop::run(&model, 1).events));
        }
        let ratio = |of: &[f64]| -> (f64, f64, f64) {
            let r: Vec<f64> = of.iter().zip(&bare).map(|(x, b)| x / b).collect();
            let lo = r.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = r.iter().copied().fold(0.0, f64::max);
            (median(r), lo, hi)
        };
        let ((r, lo, hi), (fr, flo, fhi)) = (ratio(&engine), ratio(&floor));
        let (e, b, f) = (median(engine), median(bare.clone()), median(floor));
        println!(
            "  {name}: engine {:.2} M/s, bare {:.2} M/s, ratio {r:.3} (pairs {lo:.3}-{hi:.3}); \
             floor {:.2} M/s, ratio {fr:.3} (pairs {flo:.3}-{fhi:.3})",
            e / 1e6,
            b / 1e6,
            f / 1e6,
        );
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn bench_hold(c: &mut Criterion) {
    // The hold model: a queue of `pending` events; each step pops the
    // earliest and schedules one at a random later time. 10 pending is the
    // size of a small station model, 1000 and 10,000 that of big scenarios.
    use rand::Rng as _;
    let mut g = c.benchmark_group("engine");
    const STEPS: u64 = 1_000_000;
    g.sample_size(10);
    g.throughput(Throughput::Elements(STEPS));
    for pending in [10u32, 1000, 10_000] {
        g.bench_function(format!("event_queue_hold_{pending}"), |b| {
            b.iter(|| {
                let mut rng = stream(1, "hold");
                let mut q = EventQueue::new();
                for i in 0..pending {
                    q.schedule(Nanos(rng.next_u64() % 1_000_000), i);
                }
                for _ in 0..STEPS {
                    let (t, e) = q.pop_until(Nanos::MAX).unwrap();
                    q.schedule(t + Nanos(rng.next_u64() % 1_000_000), e);
                }
                black_box(q.now())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_queues, bench_hold);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // `cargo bench` passes `--bench`; `cargo test --benches` does not and
    // only checks that every bench runs once.
    if std::env::args().any(|a| a == "--bench") {
        print_ratios();
    }
}
