//! The service: the default scenario's three endpoints as a real axum
//! service over PostgreSQL, Redis and an in-process L1, with Prometheus
//! exposition. Its settings mirror the scenario's `Deployment` (worker slots,
//! queue limit) and `Database` (pool size) so a twin can be written from them.

pub mod admission;
pub mod cpu;
pub mod routes;
pub mod store;
pub mod telemetry;

use std::net::SocketAddr;
use std::sync::Arc;

use clap::Parser;
use scaletwin::algo::clock::Nanos;

use crate::endpoint::{Endpoint, PerEndpoint};
use store::{Store, StoreConfig};

/// `testbed-service`: the default scenario's endpoints as a real HTTP service.
#[derive(Clone, Debug, Parser)]
#[command(name = "testbed-service", version)]
pub struct ServiceArgs {
    /// Address to listen on; must be a loopback address.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// PostgreSQL connection string.
    #[arg(
        long,
        default_value = "host=127.0.0.1 port=5432 user=testbed dbname=testbed"
    )]
    pub postgres: String,
    /// Connections in the PostgreSQL pool (the scenario's `Database.connections`).
    #[arg(long, default_value_t = 20)]
    pub pool_size: usize,
    /// Redis URL.
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    pub redis: String,
    /// Seconds a project stays in Redis.
    #[arg(long, default_value_t = 300)]
    pub redis_ttl_s: u64,
    /// Entries in the in-process L1.
    #[arg(long, default_value_t = 10_000)]
    pub l1_capacity: usize,
    /// Milliseconds a project stays fresh in the L1.
    #[arg(long, default_value_t = 10_000)]
    pub l1_ttl_ms: u64,
    /// Concurrent requests (the scenario's `Deployment.concurrency`).
    #[arg(long, default_value_t = 16)]
    pub slots: usize,
    /// Requests that may wait for a slot before new ones get 503 (`queue_limit`).
    #[arg(long, default_value_t = 200)]
    pub queue_limit: usize,
    /// Mean CPU time per request in ms, `endpoint=ms,...` (defaults: the scenario's `Compute(Exp(..))`).
    #[arg(long, default_value = "")]
    pub compute_ms: String,
    /// Seed of the CPU-time draws.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Tokio worker threads (default: the CPUs this process may run on).
    #[arg(long)]
    pub worker_threads: Option<usize>,
}

/// Settings that failed validation.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadArgs(pub String);

impl ServiceArgs {
    /// Checks the settings and returns the per-endpoint compute means.
    pub fn validate(&self) -> Result<PerEndpoint, BadArgs> {
        if !self.listen.ip().is_loopback() {
            return Err(BadArgs(format!(
                "--listen {}: the testbed listens on loopback only (127.0.0.0/8 or ::1)",
                self.listen
            )));
        }
        if self.pool_size == 0 || self.slots == 0 {
            return Err(BadArgs("--pool-size and --slots must be at least 1".into()));
        }
        let defaults = Endpoint::ALL.map(Endpoint::default_compute_ms);
        PerEndpoint::parse(&self.compute_ms, defaults)
            .map_err(|e| BadArgs(format!("--compute-ms: {e}")))
    }
}

/// Connects, listens and serves until SIGINT or SIGTERM.
pub async fn serve(args: ServiceArgs, compute_ms: PerEndpoint) -> anyhow::Result<()> {
    let prometheus = telemetry::install()?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.listen))?;
    let store = Store::connect(&StoreConfig {
        postgres: args.postgres.clone(),
        pool_size: args.pool_size,
        redis: args.redis.clone(),
        redis_ttl_s: args.redis_ttl_s,
        l1_capacity: args.l1_capacity,
        l1_ttl: Nanos::from_millis(args.l1_ttl_ms),
    })
    .await?;
    let rng = scaletwin::engine::stream(args.seed, "testbed/service/compute");
    let app = routes::App::new(
        store,
        args.slots,
        args.queue_limit,
        compute_ms,
        rng,
        prometheus,
    );
    eprintln!("testbed-service: listening on http://{}", args.listen);
    axum::serve(listener, routes::router(Arc::new(app)))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
