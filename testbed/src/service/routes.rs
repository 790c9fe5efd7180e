//! The HTTP surface: the three endpoints, `/metrics` and `/healthz`.
//!
//! Every endpoint request goes through the same path: a worker slot
//! ([`Admission`]), its CPU work ([`cpu::burn`], a draw from the endpoint's
//! exponential compute time), then its data operation ([`Store`]). The CPU
//! work runs on the runtime's worker thread, as a handler's own code does:
//! with the service pinned to one core, requests queue for that core.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use scaletwin::algo::clock::Nanos;
use scaletwin::engine::{Rng, Sampler};

use crate::endpoint::{Endpoint, PerEndpoint};
use crate::service::admission::Admission;
use crate::service::store::Store;
use crate::service::{cpu, telemetry};

/// What every handler shares.
pub struct App {
    store: Store,
    admission: Admission,
    slots: usize,
    compute: [Sampler; 3],
    rng: Mutex<Rng>,
    prometheus: PrometheusHandle,
}

impl App {
    /// The shared state: `compute_ms` holds each endpoint's mean CPU time.
    pub fn new(
        store: Store,
        slots: usize,
        queue_limit: usize,
        compute_ms: PerEndpoint,
        rng: Rng,
        prometheus: PrometheusHandle,
    ) -> App {
        let sampler = |e: Endpoint| Sampler::exp(Nanos::from_secs_f64(compute_ms.get(e) / 1e3));
        App {
            store,
            admission: Admission::new(slots, queue_limit),
            slots,
            compute: Endpoint::ALL.map(sampler),
            rng: Mutex::new(rng),
            prometheus,
        }
    }

    /// The request's CPU work; its digest goes into the response's ETag.
    fn compute(&self, endpoint: Endpoint, key: u64) -> u64 {
        let budget = self.compute[endpoint.index()].sample(&mut self.rng.lock().expect("rng"));
        let (digest, used) = cpu::burn(budget.into(), key);
        telemetry::compute(endpoint, used);
        digest
    }
}

/// The router over the shared state.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/tenants/{tenant}/projects", get(list_projects))
        .route("/projects/{key}", get(get_project).put(update_project))
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(app)
}

/// What a handler produced: the body and the digest of its CPU work, or a status.
type Outcome = Result<(u64, String), StatusCode>;

async fn list_projects(State(app): State<Arc<App>>, Path(tenant): Path<i32>) -> Response {
    let e = Endpoint::ListProjects;
    let start = Instant::now();
    let outcome = async {
        let _slot = admit(&app, e, start).await?;
        let digest = app.compute(e, tenant as u64);
        let body = app.store.list_projects(tenant).await.map_err(internal)?;
        Ok((digest, body))
    }
    .await;
    finish(e, start, outcome)
}

async fn get_project(State(app): State<Arc<App>>, Path(key): Path<i64>) -> Response {
    let e = Endpoint::GetProject;
    let start = Instant::now();
    let outcome = async {
        let _slot = admit(&app, e, start).await?;
        let digest = app.compute(e, key as u64);
        let (json, source) = app
            .store
            .get_project(key)
            .await
            .map_err(internal)?
            .ok_or(StatusCode::NOT_FOUND)?;
        telemetry::get_source(source);
        Ok((digest, json.to_string()))
    }
    .await;
    finish(e, start, outcome)
}

async fn update_project(State(app): State<Arc<App>>, Path(key): Path<i64>) -> Response {
    let e = Endpoint::UpdateProject;
    let start = Instant::now();
    let outcome = async {
        let _slot = admit(&app, e, start).await?;
        let digest = app.compute(e, key as u64);
        let body = app
            .store
            .update_project(key)
            .await
            .map_err(internal)?
            .ok_or(StatusCode::NOT_FOUND)?;
        Ok((digest, body))
    }
    .await;
    finish(e, start, outcome)
}

async fn metrics(State(app): State<Arc<App>>) -> String {
    telemetry::refresh(
        app.store.pool_figures(),
        app.store.l1_figures(),
        &app.admission,
        app.slots,
    );
    app.prometheus.run_upkeep();
    app.prometheus.render()
}

/// Takes a worker slot (503 if the wait queue is full) and records the wait.
async fn admit<'a>(
    app: &'a App,
    e: Endpoint,
    start: Instant,
) -> Result<crate::service::admission::Slot<'a>, StatusCode> {
    let slot = app
        .admission
        .enter()
        .await
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?;
    telemetry::slot_wait(e, start.elapsed());
    Ok(slot)
}

fn internal(err: crate::service::store::StoreError) -> StatusCode {
    eprintln!("testbed-service: {err}");
    StatusCode::INTERNAL_SERVER_ERROR
}

/// Records the request and builds its response.
fn finish(e: Endpoint, start: Instant, outcome: Outcome) -> Response {
    let response = match outcome {
        Ok((digest, body)) => {
            let mut r = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
            if let Ok(etag) = HeaderValue::from_str(&format!("\"{digest:016x}\"")) {
                r.headers_mut().insert(header::ETAG, etag);
            }
            r
        }
        Err(status) => status.into_response(),
    };
    let took: Duration = start.elapsed();
    telemetry::request(e, response.status().as_u16(), took);
    response
}
