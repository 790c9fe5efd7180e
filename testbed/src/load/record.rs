//! What the load generator measured: one record per planned request, written
//! as CSV in intended-time order, and a summary per step.
//!
//! Latency runs from the request's **intended** send time to the end of its
//! response, so time the generator itself fell behind, and time a request
//! waited because the service was slow to take it, both count (no
//! coordinated omission).

use std::io::{self, Write};

use serde::Serialize;

use crate::endpoint::Endpoint;

/// How a request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// An HTTP response with this status code.
    Http(u16),
    /// No complete response within the client timeout.
    Timeout,
    /// The connection failed (refused, reset, ...).
    Error,
    /// Not sent: the generator already had its bound of requests in flight.
    Skipped,
}

impl Status {
    /// The CSV spelling: the code, or `timeout`, `error`, `skipped`.
    pub fn label(self) -> String {
        match self {
            Status::Http(code) => code.to_string(),
            Status::Timeout => "timeout".into(),
            Status::Error => "error".into(),
            Status::Skipped => "skipped".into(),
        }
    }
}

/// One request's fate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// Intended send time, nanoseconds from the start of the run.
    pub intended_ns: u64,
    /// Ladder step.
    pub step: u32,
    /// The endpoint.
    pub endpoint: Endpoint,
    /// Tenant id.
    pub tenant: u64,
    /// Project id.
    pub key: u64,
    /// How it ended.
    pub status: Status,
    /// From intended send time to the end of the response (or to the failure).
    pub latency_ns: u64,
}

/// The CSV header line.
pub const CSV_HEADER: &str = "intended_ns,step,endpoint,tenant,key,status,latency_ns";

/// Writes `records` as CSV lines (no header).
pub fn write_csv(out: &mut impl Write, records: &[Record]) -> io::Result<()> {
    for r in records {
        writeln!(
            out,
            "{},{},{},{},{},{},{}",
            r.intended_ns,
            r.step,
            r.endpoint.name(),
            r.tenant,
            r.key,
            r.status.label(),
            r.latency_ns
        )?;
    }
    Ok(())
}

/// One step's totals, printed as a JSON line.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StepSummary {
    /// Ladder step.
    pub step: u32,
    /// Offered rate, requests per second (0 for a closed-loop step).
    pub rate: f64,
    /// Step length, seconds.
    pub duration_s: f64,
    /// Start of the step, nanoseconds from the start of the run.
    pub start_ns: u64,
    /// Start of the step, Unix time in milliseconds (to line up with Prometheus).
    pub start_unix_ms: u64,
    /// Requests planned (and so offered).
    pub planned: usize,
    /// 2xx responses.
    pub ok: usize,
    /// 503 responses (the service's wait queue was full).
    pub rejected: usize,
    /// Other non-2xx responses.
    pub failed: usize,
    /// Client timeouts.
    pub timeouts: usize,
    /// Connection errors.
    pub errors: usize,
    /// Not sent (in-flight bound).
    pub skipped: usize,
    /// 2xx responses per second of step.
    pub ok_per_s: f64,
    /// Latency percentiles of 2xx responses, milliseconds (0 if none).
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Largest.
    pub max_ms: f64,
    /// How late the generator sent, 99th percentile, milliseconds.
    pub send_lag_p99_ms: f64,
    /// Busy share of each core during the step (`cpu0` first), whatever ran on it.
    pub cores_busy: Vec<f64>,
    /// The machine's 1-minute load average at the end of the step.
    pub loadavg_1m: f64,
}

impl StepSummary {
    /// Totals of `records` (one step's); `send_lags_ns` holds how late each send was.
    pub fn of(
        step: u32,
        rate: f64,
        duration_s: f64,
        (start_ns, start_unix_ms): (u64, u64),
        records: &[Record],
        send_lags_ns: &mut [u64],
    ) -> StepSummary {
        let count = |f: &dyn Fn(Status) -> bool| records.iter().filter(|r| f(r.status)).count();
        let is_ok = |s| matches!(s, Status::Http(c) if (200..300).contains(&c));
        let mut ok_lat: Vec<u64> = records
            .iter()
            .filter(|r| is_ok(r.status))
            .map(|r| r.latency_ns)
            .collect();
        ok_lat.sort_unstable();
        send_lags_ns.sort_unstable();
        let ms = |v: &[u64], q: f64| percentile(v, q) as f64 / 1e6;
        StepSummary {
            step,
            rate,
            duration_s,
            start_ns,
            start_unix_ms,
            planned: records.len(),
            ok: ok_lat.len(),
            rejected: count(&|s| s == Status::Http(503)),
            failed: count(
                &|s| matches!(s, Status::Http(c) if !(200..300).contains(&c) && c != 503),
            ),
            timeouts: count(&|s| s == Status::Timeout),
            errors: count(&|s| s == Status::Error),
            skipped: count(&|s| s == Status::Skipped),
            ok_per_s: ok_lat.len() as f64 / duration_s,
            p50_ms: ms(&ok_lat, 0.50),
            p90_ms: ms(&ok_lat, 0.90),
            p99_ms: ms(&ok_lat, 0.99),
            max_ms: ok_lat.last().copied().unwrap_or(0) as f64 / 1e6,
            send_lag_p99_ms: ms(send_lags_ns, 0.99),
            cores_busy: Vec::new(),
            loadavg_1m: 0.0,
        }
    }
}

/// The nearest-rank `q` quantile of sorted `v` (0 if empty).
pub fn percentile(v: &[u64], q: f64) -> u64 {
    if v.is_empty() {
        return 0;
    }
    let rank = (q * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(status: Status, latency_ms: u64) -> Record {
        Record {
            intended_ns: 0,
            step: 0,
            endpoint: Endpoint::GetProject,
            tenant: 3,
            key: 9,
            status,
            latency_ns: latency_ms * 1_000_000,
        }
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.5), 50);
        assert_eq!(percentile(&v, 0.99), 99);
        assert_eq!(percentile(&v, 1.0), 100);
        assert_eq!(percentile(&[], 0.5), 0);
    }

    #[test]
    fn summary_counts_each_ending_and_times_only_successes() {
        let mut records: Vec<Record> = (1..=98).map(|ms| rec(Status::Http(200), ms)).collect();
        records.push(rec(Status::Http(503), 1));
        records.push(rec(Status::Timeout, 5_000));
        records.push(rec(Status::Http(500), 2));
        records.push(rec(Status::Error, 1));
        records.push(rec(Status::Skipped, 0));
        let s = StepSummary::of(0, 10.0, 10.0, (0, 0), &records, &mut [1_000_000, 2_000_000]);
        assert_eq!(
            (s.planned, s.ok, s.rejected, s.failed, s.timeouts, s.errors, s.skipped),
            (103, 98, 1, 1, 1, 1, 1)
        );
        assert_eq!(s.p50_ms, 49.0);
        assert_eq!(s.max_ms, 98.0);
        assert!((s.ok_per_s - 9.8).abs() < 1e-12);
        assert_eq!(s.send_lag_p99_ms, 2.0);
    }

    #[test]
    fn csv_lines_carry_every_field() {
        let mut out = Vec::new();
        write_csv(&mut out, &[rec(Status::Timeout, 5_000)]).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "0,0,get_project,3,9,timeout,5000000000\n"
        );
    }
}
