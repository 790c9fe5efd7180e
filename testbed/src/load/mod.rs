//! The open-loop load generator: a ladder of fixed-rate steps, each a
//! Poisson stream of requests planned in advance ([`plan`]) and sent at
//! its intended times by a pacing thread, whatever the service's state: a
//! slow response never delays the next send. Every request ends as a
//! [`record::Record`]; the run is bounded in count (per step) and in time
//! (the steps, plus one client timeout each for the last responses).

pub mod host;
pub mod plan;
pub mod record;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use scaletwin::algo::clock::Nanos;
use tokio::sync::mpsc;

use crate::endpoint::{Endpoint, PerEndpoint};
use plan::{Planned, Population};
use record::{Record, Status, StepSummary};

/// `testbed-load`: an open-loop ladder of fixed request rates.
#[derive(Clone, Debug, Parser)]
#[command(name = "testbed-load", version)]
pub struct LoadArgs {
    /// The service's base URL; its host must be a loopback address.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Offered rates of the ladder's steps, requests per second, comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    pub rates: Vec<f64>,
    /// Length of each step, seconds.
    #[arg(long, default_value_t = 60.0)]
    pub step_secs: f64,
    /// Seed of the plan (arrivals, mix, keys, tenants).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Number of projects (keys 1..=keys).
    #[arg(long, default_value_t = 100_000)]
    pub keys: u64,
    /// Zipf exponent of key popularity (the scenario's `keys.popularity`).
    #[arg(long, default_value_t = 0.9)]
    pub key_zipf: f64,
    /// Number of tenants (ids 0..tenants).
    #[arg(long, default_value_t = 2_000)]
    pub tenants: u64,
    /// Zipf exponent of tenant popularity (the scenario's `tenants.popularity`).
    #[arg(long, default_value_t = 1.1)]
    pub tenant_zipf: f64,
    /// Endpoint shares, `endpoint=share,...` (defaults: the scenario's mix).
    #[arg(long, default_value = "")]
    pub mix: String,
    /// Client timeout, milliseconds (the scenario's `client_timeout`).
    #[arg(long, default_value_t = 5_000)]
    pub timeout_ms: u64,
    /// Most requests planned in one step.
    #[arg(long, default_value_t = 200_000)]
    pub max_requests_per_step: usize,
    /// Most requests in flight; a send past it is recorded as `skipped`.
    #[arg(long, default_value_t = 5_000)]
    pub max_inflight: usize,
    /// Per-request CSV log.
    #[arg(long)]
    pub out: PathBuf,
}

/// Settings that failed validation.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadArgs(pub String);

impl LoadArgs {
    /// Checks the settings and builds the request population.
    pub fn validate(&self) -> Result<Population, BadArgs> {
        let bad = |m: String| Err(BadArgs(m));
        let loopback = match reqwest::Url::parse(&self.url) {
            Ok(url) if url.scheme() == "http" => match url.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(d)) => d == "localhost",
                None => false,
            },
            _ => false,
        };
        if !loopback {
            return bad(format!(
                "--url {}: the load goes to a loopback address only (http://127.0.0.1:port)",
                self.url
            ));
        }
        if let Some(r) = self.rates.iter().find(|r| !(r.is_finite() && **r > 0.0)) {
            return bad(format!("--rates: {r} is not a positive rate"));
        }
        if !(self.step_secs.is_finite() && self.step_secs > 0.0 && self.step_secs <= 3_600.0) {
            return bad(format!(
                "--step-secs {}: expected 0 < seconds <= 3600",
                self.step_secs
            ));
        }
        if self.keys == 0 || self.tenants == 0 {
            return bad("--keys and --tenants must be at least 1".into());
        }
        for (flag, s) in [
            ("--key-zipf", self.key_zipf),
            ("--tenant-zipf", self.tenant_zipf),
        ] {
            if !(s.is_finite() && s >= 0.0) {
                return bad(format!("{flag} {s}: expected a finite exponent >= 0"));
            }
        }
        let mix = PerEndpoint::parse(&self.mix, Endpoint::ALL.map(Endpoint::default_share))
            .map_err(|e| BadArgs(format!("--mix: {e}")))?;
        if mix.0.iter().sum::<f64>() <= 0.0 {
            return bad("--mix: the shares add up to zero".into());
        }
        Ok(Population::new(
            mix,
            self.keys,
            self.key_zipf,
            self.tenants,
            self.tenant_zipf,
        ))
    }
}

/// Runs the ladder, writing the log to `args.out` and one JSON summary line per step to stdout.
pub async fn run(args: LoadArgs, population: Population) -> anyhow::Result<()> {
    let timeout = Duration::from_millis(args.timeout_ms);
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .tcp_nodelay(true)
        .pool_max_idle_per_host(usize::MAX)
        .build()?;
    let mut out = BufWriter::new(File::create(&args.out)?);
    writeln!(out, "{}", record::CSV_HEADER)?;
    let base = Arc::<str>::from(args.url.trim_end_matches('/'));
    let run_start = Instant::now();
    let step_len = Nanos::from_secs_f64(args.step_secs);
    for (i, &rate) in args.rates.iter().enumerate() {
        let step = i as u32;
        let plan = population.plan(args.seed, step, rate, step_len, args.max_requests_per_step);
        let step_start = Instant::now() + Duration::from_millis(20);
        let start_ns = (step_start - run_start).as_nanos() as u64;
        let start_unix_ms = (SystemTime::now() + Duration::from_millis(20))
            .duration_since(UNIX_EPOCH)?
            .as_millis() as u64;
        let sender = Sender {
            client: client.clone(),
            base: base.clone(),
            run_start,
            step_start,
            step,
            max_inflight: args.max_inflight,
        };
        let cpu_before = host::CpuTimes::read();
        let (mut records, mut lags) = sender.send_all(plan).await;
        let cores_busy = cpu_before.busy_since(&host::CpuTimes::read());
        records.sort_by_key(|r| (r.intended_ns, r.key));
        record::write_csv(&mut out, &records)?;
        let summary = StepSummary {
            cores_busy,
            loadavg_1m: host::loadavg_1m(),
            ..StepSummary::of(
                step,
                rate,
                args.step_secs,
                (start_ns, start_unix_ms),
                &records,
                &mut lags,
            )
        };
        println!("{}", serde_json::to_string(&summary)?);
    }
    out.flush()?;
    Ok(())
}

/// Sends one step's plan.
struct Sender {
    client: reqwest::Client,
    base: Arc<str>,
    run_start: Instant,
    step_start: Instant,
    step: u32,
    max_inflight: usize,
}

impl Sender {
    /// Paces the plan from a thread of its own (so a busy runtime cannot
    /// delay a send) and gathers every request's record; also returns how
    /// late each send was, in nanoseconds.
    async fn send_all(self, plan: Vec<Planned>) -> (Vec<Record>, Vec<u64>) {
        let (tx, mut rx) = mpsc::unbounded_channel::<Record>();
        let runtime = tokio::runtime::Handle::current();
        let inflight = Arc::new(AtomicUsize::new(0));
        let expected = plan.len();
        let (run_start, step) = (self.run_start, self.step);
        let pacer = std::thread::spawn(move || {
            let mut lags = Vec::with_capacity(plan.len());
            for p in plan {
                let target = self.step_start + Duration::from(p.at);
                let now = Instant::now();
                if target > now {
                    std::thread::sleep(target - now);
                }
                lags.push(Instant::now().saturating_duration_since(target).as_nanos() as u64);
                let record = move |status, latency_ns| Record {
                    intended_ns: (target - run_start).as_nanos() as u64,
                    step,
                    endpoint: p.endpoint,
                    tenant: p.tenant,
                    key: p.key,
                    status,
                    latency_ns,
                };
                if inflight.load(Ordering::Relaxed) >= self.max_inflight {
                    let _ = tx.send(record(Status::Skipped, 0));
                    continue;
                }
                inflight.fetch_add(1, Ordering::Relaxed);
                let (tx, inflight, client, base) = (
                    tx.clone(),
                    inflight.clone(),
                    self.client.clone(),
                    self.base.clone(),
                );
                runtime.spawn(async move {
                    let status = send(&client, &base, &p).await;
                    let latency = target.elapsed().as_nanos() as u64;
                    inflight.fetch_sub(1, Ordering::Relaxed);
                    let _ = tx.send(record(status, latency));
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
}

/// Sends one request and reads its whole response.
async fn send(client: &reqwest::Client, base: &str, p: &Planned) -> Status {
    let request = match p.endpoint {
        Endpoint::ListProjects => client.get(format!("{base}/tenants/{}/projects", p.tenant)),
        Endpoint::GetProject => client.get(format!("{base}/projects/{}", p.key)),
        Endpoint::UpdateProject => client.put(format!("{base}/projects/{}", p.key)),
    };
    let failed = |e: reqwest::Error| {
        if e.is_timeout() {
            Status::Timeout
        } else {
            Status::Error
        }
    };
    match request.send().await {
        Ok(response) => {
            let code = response.status().as_u16();
            match response.bytes().await {
                Ok(_) => Status::Http(code),
                Err(e) => failed(e),
            }
        }
        Err(e) => failed(e),
    }
}
