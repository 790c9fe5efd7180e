//! The open-loop load generator: a ladder of fixed-rate steps, each a
//! Poisson stream of requests planned in advance ([`plan`]) and sent at
//! its intended times by a pacing thread, whatever the service's state: a
//! slow response never delays the next send. Every request ends as a
//! [`record::Record`]; the run is bounded in count (per step) and in time
//! (the steps, plus one client timeout each for the last responses).

pub mod client;
pub mod closed;
pub mod host;
pub mod open;
pub mod plan;
pub mod record;
#[cfg(test)]
mod test_server;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use scaletwin::algo::clock::Nanos;

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
    #[arg(
        long,
        value_delimiter = ',',
        required_unless_present = "closed_clients"
    )]
    pub rates: Vec<f64>,
    /// Instead of the ladder, one closed-loop step of `--step-secs`: this many
    /// clients each send their next request as soon as their last one ends
    /// (for measuring capacity; latency then runs from the actual send).
    #[arg(long, conflicts_with = "rates")]
    pub closed_clients: Option<usize>,
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
        if self.closed_clients == Some(0) {
            return bad("--closed-clients must be at least 1".into());
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

/// Runs the ladder (or the closed-loop step), writing the log to
/// `args.out` and one JSON summary line per step to stdout.
pub async fn run(args: LoadArgs, population: Population) -> anyhow::Result<()> {
    let client = client::Client::new(&args.url, Duration::from_millis(args.timeout_ms))?;
    let mut out = BufWriter::new(File::create(&args.out)?);
    writeln!(out, "{}", record::CSV_HEADER)?;
    let run_start = Instant::now();
    let step_len = Nanos::from_secs_f64(args.step_secs);
    let steps: Vec<f64> = match args.closed_clients {
        Some(_) => vec![0.0],
        None => args.rates.clone(),
    };
    for (i, &rate) in steps.iter().enumerate() {
        let step = i as u32;
        let step_start = Instant::now() + Duration::from_millis(20);
        let start_ns = (step_start - run_start).as_nanos() as u64;
        let start_unix_ms = (SystemTime::now() + Duration::from_millis(20))
            .duration_since(UNIX_EPOCH)?
            .as_millis() as u64;
        let clock = StepClock {
            run_start,
            step_start,
            step,
        };
        let cpu_before = host::CpuTimes::read();
        let (mut records, mut lags) = match args.closed_clients {
            Some(clients) => {
                // Enough requests for the step at any throughput up to the bound.
                let sequence_rate = args.max_requests_per_step as f64 / args.step_secs;
                let plan = population.plan(
                    args.seed,
                    step,
                    sequence_rate,
                    step_len,
                    args.max_requests_per_step,
                );
                (
                    closed::send(&client, clock, plan, clients, step_len.into()).await,
                    Vec::new(),
                )
            }
            None => {
                let plan =
                    population.plan(args.seed, step, rate, step_len, args.max_requests_per_step);
                open::send(&client, clock, plan, args.max_inflight).await
            }
        };
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

/// Where a step sits in time, to stamp its records.
#[derive(Clone, Copy, Debug)]
pub struct StepClock {
    /// Start of the whole run (`intended_ns` counts from here).
    pub run_start: Instant,
    /// When the step's first request may go.
    pub step_start: Instant,
    /// The step's index.
    pub step: u32,
}

impl StepClock {
    /// The record of `p`, meant to go at `intended`, that ended as `status` after `latency_ns`.
    pub fn record(
        &self,
        p: &Planned,
        intended: Instant,
        status: Status,
        latency_ns: u64,
    ) -> Record {
        Record {
            intended_ns: (intended - self.run_start).as_nanos() as u64,
            step: self.step,
            endpoint: p.endpoint,
            tenant: p.tenant,
            key: p.key,
            status,
            latency_ns,
        }
    }
}
