//! Criterion bench `algo`: nanoseconds per operation of each real algorithm.
//!
//! `cargo bench --bench algo -- --warm-up-time 1 --measurement-time 2`

mod cache_ring;
mod control;
mod hpa;

use criterion::{criterion_group, criterion_main};

criterion_group!(
    benches,
    cache_ring::cache_benches,
    cache_ring::ring_benches,
    control::bench_limiters,
    control::bench_breaker,
    control::bench_backoff,
    control::bench_balance,
    hpa::bench_reconcile
);
criterion_main!(benches);
