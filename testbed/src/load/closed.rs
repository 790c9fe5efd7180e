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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::Endpoint;
    use crate::load::record::Status;
    use crate::load::test_server::slow_server;
    use scaletwin::algo::clock::Nanos;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_client_waits_for_its_response_before_the_next_send() {
        // 2 clients, 100 ms per response, 1 s: about 2 x 10 requests.
        let base = slow_server(Duration::from_millis(100)).await;
        let client = Client::new(&base, Duration::from_secs(5)).unwrap();
        let plan: Vec<Planned> = (0..1_000)
            .map(|i| Planned {
                at: Nanos::ZERO,
                endpoint: Endpoint::UpdateProject,
                tenant: 0,
                key: i + 1,
            })
            .collect();
        let now = Instant::now();
        let clock = StepClock {
            run_start: now,
            step_start: now,
            step: 0,
        };
        let records = send(&client, clock, plan, 2, Duration::from_secs(1)).await;
        assert!((18..=22).contains(&records.len()), "{}", records.len());
        assert!(records
            .iter()
            .all(|r| r.status == Status::Http(200) && r.latency_ns >= 100_000_000));
    }
}
