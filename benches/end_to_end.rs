//! Criterion bench `end_to_end`: simulated requests per second through
//! LB -> pods -> database with network hops (the bundled default scenario).
//!
//! `cargo bench --bench end_to_end -- --warm-up-time 1 --measurement-time 5`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

fn bench_default(c: &mut Criterion) {
    let (_, plan) = scaletwin::scenario::load(None, &["run.duration=\"120s\"".into()]).unwrap();
    let requests = scaletwin::simulate(&plan).engine.requests;
    let mut g = c.benchmark_group("end_to_end");
    g.sample_size(10);
    g.throughput(Throughput::Elements(requests));
    g.bench_function("default_scenario_requests", |b| {
        b.iter(|| black_box(scaletwin::simulate(&plan)))
    });
    g.finish();
}

criterion_group!(benches, bench_default);
criterion_main!(benches);
