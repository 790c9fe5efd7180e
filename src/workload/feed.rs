//! The stream of new requests: when each arrives and what it asks for
//! (endpoint, tenant, key, user, home region).
//!
//! It is drawn from the workload's own random streams and depends on nothing
//! the simulation does, so a long run draws it ahead on a second thread, in
//! batches, and gets the same requests in the same order as drawing them one
//! at a time on the simulation's thread.
//!
//! ```text
//!  RequestSource ──batches of NewRequest──▶ Feed::next() ──▶ the event loop
//!   (arrivals, mix, Zipf keys, users)  ◀──spent buffers──
//! ```

use super::{Arrivals, RatePattern, Recorded, Replayer};
use crate::algo::Nanos;
use crate::engine::{below, stream, unit_open, Rng};
use crate::scenario::Plan;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// Expected requests from which a run draws its requests on a second thread.
/// Shorter runs stay on one thread: the thread would cost more than it saves.
pub const THREADED_FROM: f64 = 10_000_000.0;

/// New requests per batch handed between the threads.
const BATCH: usize = 512;

/// A request entering the system.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct NewRequest {
    /// When it arrives.
    pub at: Nanos,
    /// Index of its endpoint in the mix.
    pub endpoint: u16,
    /// Its user's region (0 without regions).
    pub home: u8,
    /// The tenant sending it (0 when tenants are not modelled).
    pub tenant: u64,
    /// The data key it touches (0 when keys are not modelled).
    pub key: u64,
    /// The user sending it, uniform over the workload's users.
    pub user: u64,
}

/// Draws new requests in arrival order, up to the end of the run.
pub struct RequestSource<'m> {
    plan: &'m Plan,
    arrivals: Arrivals,
    rng: Rng,
    regions: Option<Rng>,
    /// Replaying a request log instead of drawing arrivals.
    replay: Option<Box<Replayer>>,
    /// The rate trace splits its rate per endpoint: the mix follows it.
    trace_mix: bool,
    /// Whether anything reads what `rng` draws: the endpoint (more than
    /// one), the tenant, the key or the user (see [`Plan::reads_users`]).
    /// When nothing does (an M/M/c model), its draws are skipped: no other
    /// stream or outcome depends on them, so the run is the same.
    draws: bool,
}

impl<'m> RequestSource<'m> {
    /// The requests of `plan`'s workload, from its seed.
    pub fn new(plan: &'m Plan) -> Self {
        let w = &plan.workload;
        RequestSource {
            plan,
            arrivals: Arrivals::new(
                w.rate,
                w.pattern.clone(),
                stream(plan.seed, "workload/arrivals"),
                plan.duration,
            ),
            rng: stream(plan.seed, "workload/requests"),
            regions: plan
                .regions
                .as_ref()
                .map(|_| stream(plan.seed, "regions/users")),
            replay: w
                .replay
                .as_ref()
                .map(|log| Box::new(Replayer::new(log, plan.seed))),
            trace_mix: matches!(&w.pattern, RatePattern::Trace(t) if t.mix_at(Nanos::ZERO).is_some()),
            draws: w.mix_cumulative.len() > 1
                || w.tenants.is_some()
                || w.keys.is_some()
                || plan.reads_users(),
        }
    }

    /// The next request, or `None` once arrivals reach the end of the run.
    // Always inlined: a call per arrival costs 4% of an M/M/8 run.
    #[inline(always)]
    pub fn next_request(&mut self) -> Option<NewRequest> {
        if self.replay.is_some() {
            return self.next_replayed();
        }
        let at = self.arrivals.next_arrival()?;
        if at >= self.plan.duration {
            return None;
        }
        let (endpoint, tenant, key, user) = if self.draws {
            self.draw_what(at)
        } else {
            (0, 0, 0, 0)
        };
        let home = self.home();
        Some(NewRequest {
            at,
            endpoint,
            home,
            tenant,
            key,
            user,
        })
    }

    /// The endpoint, tenant, key and user of a request arriving at `at`.
    #[inline(always)]
    fn draw_what(&mut self, at: Nanos) -> (u16, u64, u64, u64) {
        let w = &self.plan.workload;
        let u = unit_open(&mut self.rng);
        let mix = match &w.pattern {
            RatePattern::Trace(t) if self.trace_mix => t.mix_at(at).unwrap_or(&w.mix_cumulative),
            _ => &w.mix_cumulative,
        };
        let endpoint = mix.partition_point(|&c| c < u).min(mix.len() - 1) as u16;
        let tenant = w.tenants.as_ref().map_or(0, |t| t.sample(&mut self.rng));
        let key = w.keys.as_ref().map_or(0, |k| k.sample(&mut self.rng));
        let user = below(&mut self.rng, w.users);
        (endpoint, tenant, key, user)
    }

    /// The next request of a replayed log: the recorded time and endpoint,
    /// the recorded tenant, user and key where the log has them (folded
    /// into the workload's populations), drawn as usual where it does not.
    #[inline(never)]
    fn next_replayed(&mut self) -> Option<NewRequest> {
        let r: Recorded = self.replay.as_mut()?.next_request()?;
        if r.at >= self.plan.duration {
            return None;
        }
        let w = &self.plan.workload;
        let tenant = match (&w.tenants, r.tenant) {
            (None, _) => 0,
            (Some(t), Some(id)) => id % t.len(),
            (Some(t), None) => t.sample(&mut self.rng),
        };
        let key = match (&w.keys, r.key) {
            (None, _) => 0,
            (Some(k), Some(id)) => id % k.len(),
            (Some(k), None) => k.sample(&mut self.rng),
        };
        let user = match r.user {
            Some(id) => id % w.users,
            None => below(&mut self.rng, w.users),
        };
        let home = self.home();
        Some(NewRequest {
            at: r.at,
            endpoint: r.endpoint,
            home,
            tenant,
            key,
            user,
        })
    }

    /// The home region of the next request.
    #[inline(always)]
    fn home(&mut self) -> u8 {
        match (&self.plan.regions, &mut self.regions) {
            (Some(rs), Some(rng)) => {
                let u = unit_open(rng);
                rs.share_cumulative
                    .partition_point(|&c| c < u)
                    .min(rs.names.len() - 1) as u8
            }
            _ => 0,
        }
    }

    /// Requests expected over the run (at the pattern's peak rate).
    pub fn expected(plan: &Plan) -> f64 {
        if let Some(log) = &plan.workload.replay {
            return log.rows as f64 * log.scale;
        }
        plan.workload.rate
            * plan.workload.pattern.max_factor_before(plan.duration)
            * plan.duration.as_secs_f64()
    }

    /// Draws batches into `batches` until the run's end or until the
    /// receiving side goes away, reusing the buffers that come back on `spent`.
    fn produce(mut self, batches: SyncSender<Vec<NewRequest>>, spent: Receiver<Vec<NewRequest>>) {
        loop {
            let mut buf = spent
                .try_recv()
                .unwrap_or_else(|_| Vec::with_capacity(BATCH));
            buf.clear();
            buf.extend(std::iter::from_fn(|| self.next_request()).take(BATCH));
            let last = buf.len() < BATCH;
            if batches.send(buf).is_err() || last {
                return;
            }
        }
    }
}

/// Where the event loop takes its new requests from.
// One per run, read on the hot path: the inline source stays unboxed.
#[allow(clippy::large_enum_variant)]
pub enum Feed<'m> {
    /// Drawn one at a time on the simulation's thread.
    Inline(RequestSource<'m>),
    /// Drawn ahead on another thread.
    Threaded {
        /// Full batches, in order.
        batches: Receiver<Vec<NewRequest>>,
        /// Used buffers going back to be refilled.
        spent: SyncSender<Vec<NewRequest>>,
        /// The batch being read, reversed (the next request is last).
        batch: Vec<NewRequest>,
    },
}

impl<'m> Feed<'m> {
    /// Runs `body` with the requests of `plan`: on a second thread within
    /// `body`'s scope when the run is long (see [`THREADED_FROM`]).
    pub fn with<T>(plan: &'m Plan, body: impl FnOnce(Feed<'m>) -> T) -> T {
        let source = RequestSource::new(plan);
        if RequestSource::expected(plan) < THREADED_FROM {
            return body(Feed::Inline(source));
        }
        std::thread::scope(|scope| {
            let (batch_tx, batch_rx) = sync_channel(2);
            let (spent_tx, spent_rx) = sync_channel(2);
            scope.spawn(move || source.produce(batch_tx, spent_rx));
            body(Feed::Threaded {
                batches: batch_rx,
                spent: spent_tx,
                batch: Vec::new(),
            })
        })
    }

    /// The next request in arrival order, or `None` at the end of the run.
    #[inline]
    pub fn next_request(&mut self) -> Option<NewRequest> {
        match self {
            Feed::Inline(source) => source.next_request(),
            Feed::Threaded {
                batches,
                spent,
                batch,
            } => match batch.pop() {
                Some(n) => Some(n),
                None => refill(batches, spent, batch),
            },
        }
    }
}

/// Swaps the spent `batch` for the next one from the producer and takes its
/// first request (`None`: the run's requests are all out).
#[cold]
#[inline(never)]
fn refill(
    batches: &Receiver<Vec<NewRequest>>,
    spent: &SyncSender<Vec<NewRequest>>,
    batch: &mut Vec<NewRequest>,
) -> Option<NewRequest> {
    let mut next = batches.recv().ok()?;
    next.reverse();
    let used = std::mem::replace(batch, next);
    // The producer allocates a fresh buffer if none came back.
    let _ = spent.try_send(used);
    batch.pop()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(users: u64, duration: &str) -> Plan {
        let text = format!(
            r#"Scenario(
                name: "feed", seed: 3, run: (duration: "{duration}"),
                regions: (users: {{ "us": 0.7, "eu": 0.3 }}, rtt: {{ "us": {{ "eu": "80ms" }} }}, primary: "us"),
                workload: (users: {users}, rps_per_user: 1.0, mix: {{ "a": 0.3, "b": 0.7 }},
                           tenants: (count: 50, popularity: Zipf(1.1)),
                           keys: (count: 1000, popularity: Zipf(0.9))),
                components: [
                    LoadBalancer(name: "lb", targets: {{ "api": 1 }}),
                    Deployment(name: "api", replicas: 1, concurrency: 1),
                ],
                endpoints: {{ "a": [Lb("lb"), Compute(Exp("1ms"))], "b": [Lb("lb")] }},
            )"#
        );
        crate::scenario::validate(&crate::scenario::parse(&text, "feed.ron").unwrap()).unwrap()
    }

    /// One endpoint, no tenants or keys: with `read_your_writes`, a
    /// database whose window reads the user.
    fn one_endpoint(read_your_writes: bool) -> Plan {
        let window = if read_your_writes {
            r#", read_your_writes: "5s""#
        } else {
            ""
        };
        let text = format!(
            r#"Scenario(
                name: "feed", seed: 5, run: (duration: "60s"),
                regions: (users: {{ "us": 0.5, "eu": 0.5 }}, rtt: {{ "us": {{ "eu": "80ms" }} }}, primary: "us"),
                workload: (users: 1000, rps_per_user: 0.1, mix: {{ "a": 1.0 }}),
                components: [
                    LoadBalancer(name: "lb", targets: {{ "api": 1 }}),
                    Deployment(name: "api", replicas: 1, concurrency: 4),
                    Database(name: "pg", connections: 4, replicas: 1{window}),
                ],
                endpoints: {{ "a": [Lb("lb"), DbWrite(Exp("1ms"))] }},
            )"#
        );
        crate::scenario::validate(&crate::scenario::parse(&text, "feed.ron").unwrap()).unwrap()
    }

    #[test]
    fn a_model_that_reads_no_draw_of_the_request_stream_skips_them_and_keeps_its_arrivals() {
        let m = one_endpoint(false);
        let skipping = RequestSource::new(&m);
        assert!(!skipping.draws);
        let skipped = drain(Feed::Inline(skipping));
        assert!(skipped
            .iter()
            .all(|r| (r.endpoint, r.tenant, r.key, r.user) == (0, 0, 0, 0)));
        // Drawing anyway changes nothing but the unread user: the arrival
        // times and homes come from streams of their own.
        let mut drawing = RequestSource::new(&m);
        drawing.draws = true;
        let drawn = drain(Feed::Inline(drawing));
        assert!(drawn.iter().any(|r| r.user != 0));
        assert!(skipped.len() > 5_000);
        let when_and_where =
            |rs: &[NewRequest]| rs.iter().map(|r| (r.at, r.home)).collect::<Vec<_>>();
        assert_eq!(when_and_where(&skipped), when_and_where(&drawn));
        assert!(skipped.iter().any(|r| r.home == 1), "regions still drawn");
    }

    #[test]
    fn a_read_your_writes_window_keeps_the_user_draw() {
        let m = one_endpoint(true);
        assert!(m.reads_users());
        let source = RequestSource::new(&m);
        assert!(source.draws);
        let users: std::collections::BTreeSet<u64> =
            drain(Feed::Inline(source)).iter().map(|r| r.user).collect();
        assert!(users.len() > 900, "users drawn over 1000: {}", users.len());
    }

    fn drain(mut feed: Feed<'_>) -> Vec<NewRequest> {
        std::iter::from_fn(|| feed.next_request()).collect()
    }

    #[test]
    fn a_threaded_feed_gives_the_same_requests_as_an_inline_one() {
        // 100 000 users at 1 rps for 120 s: 12 M expected, over the threshold.
        let m = plan(100_000, "120s");
        assert!(RequestSource::expected(&m) >= THREADED_FROM);
        let threaded = Feed::with(&m, |feed| {
            assert!(matches!(feed, Feed::Threaded { .. }));
            drain(feed)
        });
        let inline = drain(Feed::Inline(RequestSource::new(&m)));
        assert_eq!(threaded.len(), inline.len());
        assert!(threaded == inline, "the threaded feed diverged");
        assert!(inline.iter().all(|r| r.at < m.duration));
        assert!(inline.iter().any(|r| r.home == 1) && inline.iter().any(|r| r.endpoint == 1));
    }

    #[test]
    fn a_short_run_stays_on_one_thread_and_the_loop_may_stop_early() {
        let m = plan(10, "10s");
        Feed::with(&m, |feed| assert!(matches!(feed, Feed::Inline(_))));
        let big = plan(100_000, "120s");
        // Reading one request and dropping the feed ends the producer.
        let first = Feed::with(&big, |mut feed| feed.next_request());
        assert_eq!(first, RequestSource::new(&big).next_request());
    }
}
