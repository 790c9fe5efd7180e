//! Criterion bench `engine`: events per second through the real engine and
//! interpreter on an M/M/8 queue at ρ = 0.9 (one event per arrival, one per
//! service completion), and the bare event queue under the classic hold model.
//!
//! `cargo bench --bench engine -- --warm-up-time 1 --measurement-time 5`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use scaletwin::algo::Nanos;
use scaletwin::engine::{stream, EventQueue};
use std::hint::black_box;

fn mm8_model() -> scaletwin::Plan {
    // λ = 7200/s, μ = 1000/s per slot, 8 slots: ρ = 0.9; 100 simulated seconds.
    let text = r#"Scenario(
        name: "mm8", seed: 1,
        run: (duration: "100s", interval: "1h"),
        workload: (users: 7200, rps_per_user: 1.0, mix: { "serve": 1.0 }),
        components: [
            LoadBalancer(name: "lb", targets: { "station": 1 }),
            Deployment(name: "station", replicas: 1, concurrency: 8),
        ],
        endpoints: { "serve": [Lb("lb"), Compute(Exp("1ms"))] },
    )"#;
    let s = scaletwin::scenario::parse(text, "mm8.ron").unwrap();
    scaletwin::scenario::validate(&s).unwrap()
}

fn bench_mm8(c: &mut Criterion) {
    let plan = mm8_model();
    let events = scaletwin::simulate(&plan).engine.events;
    let mut g = c.benchmark_group("engine");
    g.sample_size(10);
    g.throughput(Throughput::Elements(events));
    g.bench_function("mm8_rho0.9_events", |b| {
        b.iter(|| black_box(scaletwin::simulate(&plan)))
    });
    g.finish();
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

criterion_group!(benches, bench_mm8, bench_hold);
criterion_main!(benches);
