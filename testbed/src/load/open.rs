//! Open loop: each planned request goes at its intended time, whatever the
//! service is doing, from a pacing thread of its own (so a busy runtime
//! cannot delay a send); latency runs from the intended time.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::load::client::Client;
use crate::load::plan::Planned;
use crate::load::record::{Record, Status};
use crate::load::StepClock;

/// Sends `plan` on time, at most `max_inflight` at once (a send past that is
/// recorded as skipped); returns every request's record and how late each
/// send was, in nanoseconds.
pub async fn send(
    client: &Client,
    clock: StepClock,
    plan: Vec<Planned>,
    max_inflight: usize,
) -> (Vec<Record>, Vec<u64>) {
    let (tx, mut rx) = mpsc::unbounded_channel::<Record>();
    let runtime = tokio::runtime::Handle::current();
    let inflight = Arc::new(AtomicUsize::new(0));
    let expected = plan.len();
    let client = client.clone();
    let pacer = std::thread::spawn(move || {
        let mut lags = Vec::with_capacity(plan.len());
        for p in plan {
            let target = clock.step_start + Duration::from(p.at);
            let now = Instant::now();
            if target > now {
                std::thread::sleep(target - now);
            }
            lags.push(Instant::now().saturating_duration_since(target).as_nanos() as u64);
            if inflight.load(Ordering::Relaxed) >= max_inflight {
                let _ = tx.send(clock.record(&p, target, Status::Skipped, 0));
                continue;
            }
            inflight.fetch_add(1, Ordering::Relaxed);
            let (tx, inflight, client) = (tx.clone(), inflight.clone(), client.clone());
            runtime.spawn(async move {
                let status = client.send(&p).await;
                let latency = target.elapsed().as_nanos() as u64;
                inflight.fetch_sub(1, Ordering::Relaxed);
                let _ = tx.send(clock.record(&p, target, status, latency));
            });
        }
        lags
    });
    let mut records = Vec::with_capacity(expected);
    while let Some(r) = rx.recv().await {
        records.push(r);
    }
    let lags = pacer.join().expect("the pacing thread does not panic");
    (records, lags)
}
