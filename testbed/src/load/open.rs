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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::Endpoint;
    use crate::load::test_server::slow_server;
    use scaletwin::algo::clock::Nanos;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_slow_service_does_not_delay_the_sends_and_latency_counts_from_the_intended_time() {
        // Every response takes 300 ms; 20 requests are due 10 ms apart.
        let base = slow_server(Duration::from_millis(300)).await;
        let client = Client::new(&base, Duration::from_secs(5)).unwrap();
        let plan: Vec<Planned> = (0..20)
            .map(|i| Planned {
                at: Nanos::from_millis(10 * i),
                endpoint: Endpoint::GetProject,
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
        let started = Instant::now();
        let (mut records, lags) = send(&client, clock, plan, 100).await;
        // A closed loop of one would need 20 x 300 ms; open, the last send is at 190 ms.
        assert!(
            started.elapsed() < Duration::from_millis(1_500),
            "{:?}",
            started.elapsed()
        );
        records.sort_by_key(|r| r.key);
        assert_eq!(records.len(), 20);
        for (i, r) in records.iter().enumerate() {
            assert_eq!(r.status, Status::Http(200));
            assert_eq!(r.intended_ns, 10_000_000 * i as u64);
            assert!(r.latency_ns >= 300_000_000, "{}", r.latency_ns);
        }
        assert!(lags.iter().all(|&l| l < 50_000_000), "{lags:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sends_past_the_inflight_bound_are_recorded_as_skipped() {
        let base = slow_server(Duration::from_millis(300)).await;
        let client = Client::new(&base, Duration::from_secs(5)).unwrap();
        let plan: Vec<Planned> = (0..5)
            .map(|i| Planned {
                at: Nanos::from_millis(i),
                endpoint: Endpoint::ListProjects,
                tenant: i,
                key: 1,
            })
            .collect();
        let now = Instant::now();
        let clock = StepClock {
            run_start: now,
            step_start: now,
            step: 0,
        };
        let (records, _) = send(&client, clock, plan, 2).await;
        let skipped = records
            .iter()
            .filter(|r| r.status == Status::Skipped)
            .count();
        assert_eq!((records.len(), skipped), (5, 3));
    }
}
