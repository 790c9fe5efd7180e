//! Closed loop, for measuring capacity: `clients` tasks each send the plan's
//! next request as soon as their previous one ends, until the step's time is
//! up. With as many clients as the service has slots, the service is never
//! idle and never refuses, so completions per second are its capacity.
//! Latency runs from the actual send (there is no intended time).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::load::client::Client;
use crate::load::plan::Planned;
use crate::load::record::Record;
use crate::load::StepClock;

/// Sends `plan` in order from `clients` concurrent loops for `duration`
/// (or until the plan runs out); returns the records of the requests sent.
pub async fn send(
    client: &Client,
    clock: StepClock,
    plan: Vec<Planned>,
    clients: usize,
    duration: Duration,
) -> Vec<Record> {
    let plan = Arc::new(plan);
    let next = Arc::new(AtomicUsize::new(0));
    let end = clock.step_start + duration;
    tokio::time::sleep_until(clock.step_start.into()).await;
    let loops: Vec<_> = (0..clients)
        .map(|_| {
            let (plan, next, client) = (plan.clone(), next.clone(), client.clone());
            tokio::spawn(async move {
                let mut records = Vec::new();
                while Instant::now() < end {
                    let Some(p) = plan.get(next.fetch_add(1, Ordering::Relaxed)) else {
                        break;
                    };
                    let sent = Instant::now();
                    let status = client.send(p).await;
                    records.push(clock.record(p, sent, status, sent.elapsed().as_nanos() as u64));
                }
                records
            })
        })
        .collect();
    let mut records = Vec::new();
    for l in loops {
        records.extend(l.await.expect("a client loop does not panic"));
    }
    records
}
