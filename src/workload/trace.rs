//! A recorded arrival rate (`pattern: Trace(file: ..)`): a time series of
//! requests per second, piecewise constant from each row's time to the next,
//! optionally split per endpoint.
//!
//! ```text
//! time,rps            time,list,update        (per-endpoint columns: the
//! 0,120               0,100,20                 mix follows the recording;
//! 10,180              10,150,30                rps, if present, is the total)
//! ```

use super::rows::{RowError, Rows};
use crate::algo::Nanos;
use std::path::Path;

/// Names accepted for the time column (seconds).
pub const TIME_COLUMNS: &[&str] = &["time", "t", "t_s", "timestamp", "ts"];
/// Names accepted for the total-rate column.
const RATE_COLUMNS: &[&str] = &["rps", "rate"];

/// A rate trace read from a file.
#[derive(Clone, Debug, PartialEq)]
pub struct RateTrace {
    /// Where each row's rate starts, from the start of the run.
    starts: Vec<Nanos>,
    /// Requests per second from each start on.
    rps: Vec<f64>,
    /// With per-endpoint columns: per row, the cumulative endpoint shares in
    /// endpoint order (`endpoints` values per row); empty otherwise.
    mix: Vec<f64>,
    endpoints: usize,
}

impl RateTrace {
    /// Reads a trace, streaming its rows; `endpoints` are the scenario's
    /// endpoint names in order (per-endpoint columns must be among them).
    ///
    /// Times are seconds (Unix times work as they are): the first row is the
    /// start of the run and times must increase.
    pub fn load(path: &Path, endpoints: &[&str]) -> Result<RateTrace, RowError> {
        let mut rows = Rows::open(path)?;
        let header = rows.header().to_vec();
        let mut columns: Vec<&[&str]> = vec![TIME_COLUMNS, RATE_COLUMNS];
        let mut endpoint_of = Vec::new();
        let singles: Vec<[&str; 1]> = header.iter().map(|h| [h.as_str()]).collect();
        for (h, single) in header.iter().zip(&singles) {
            let known = |names: &[&str]| names.iter().any(|n| h.eq_ignore_ascii_case(n));
            if known(TIME_COLUMNS) || known(RATE_COLUMNS) {
                continue;
            }
            match endpoints.iter().position(|e| e == h) {
                Some(i) => {
                    columns.push(single);
                    endpoint_of.push(i);
                }
                None => {
                    return Err(rows.file_error(format!(
                        "column `{h}` is neither time, rps nor an endpoint; endpoints: {}",
                        endpoints.join(", ")
                    )))
                }
            }
        }
        let present = rows.select(&columns);
        if !present[0] {
            return Err(rows.file_error(format!(
                "no time column; name one of: {}",
                TIME_COLUMNS.join(", ")
            )));
        }
        if !present[1] && endpoint_of.is_empty() {
            return Err(rows.file_error(
                "no rate column: add `rps` (total requests per second) or one column per endpoint"
                    .into(),
            ));
        }
        let mut trace = RateTrace {
            starts: Vec::new(),
            rps: Vec::new(),
            mix: Vec::new(),
            endpoints: if endpoint_of.is_empty() {
                0
            } else {
                endpoints.len()
            },
        };
        let mut origin = None;
        let mut shares = vec![0.0; trace.endpoints];
        while rows.advance()? {
            let time = rows.required(0)?;
            let origin = *origin.get_or_insert(time);
            let at = Nanos::from_secs_f64(time - origin);
            if trace.starts.last().is_some_and(|&last| at <= last) {
                return Err(rows.error(0, "times must increase from row to row".into()));
            }
            shares.iter_mut().for_each(|s| *s = 0.0);
            for (c, &e) in endpoint_of.iter().enumerate() {
                let x = rows.required(c + 2)?;
                if x < 0.0 {
                    return Err(rows.error(c + 2, "a rate cannot be negative".into()));
                }
                shares[e] += x;
            }
            let sum: f64 = shares.iter().sum();
            let rps = match rows.number(1)? {
                Some(x) if x < 0.0 => return Err(rows.error(1, "a rate cannot be negative".into())),
                Some(x) => x,
                None if present[1] => {
                    return Err(rows.error(1, "missing (a number is required)".into()))
                }
                None => sum,
            };
            if trace.endpoints > 0 {
                if sum <= 0.0 && rps > 0.0 {
                    return Err(rows.file_error(format!(
                        "line {}: the endpoint columns are all 0 but the total rate is {rps}",
                        rows.line()
                    )));
                }
                let mut acc = 0.0;
                for s in &shares {
                    acc += s / sum.max(f64::MIN_POSITIVE);
                    trace.mix.push(acc);
                }
            }
            trace.starts.push(at);
            trace.rps.push(rps);
        }
        if trace.starts.is_empty() {
            return Err(rows.file_error("the trace has no rows".into()));
        }
        Ok(trace)
    }

    /// The row in effect at `t`.
    #[inline]
    fn row(&self, t: Nanos) -> usize {
        self.starts.partition_point(|&s| s <= t).saturating_sub(1)
    }

    /// Requests per second at `t` (the last row's rate holds after it).
    #[inline]
    pub fn rate(&self, t: Nanos) -> f64 {
        self.rps[self.row(t)]
    }

    /// The start of the last row when its rate is zero (no arrivals after it).
    pub fn silent_from(&self) -> Option<Nanos> {
        (self.rps.last() == Some(&0.0)).then(|| self.starts[self.starts.len() - 1])
    }

    /// The highest rate of the rows that start before `end` (the whole
    /// trace's with `Nanos::MAX`).
    pub fn max_before(&self, end: Nanos) -> f64 {
        self.starts
            .iter()
            .zip(&self.rps)
            .take_while(|(&start, _)| start < end)
            .fold(0.0, |max, (_, &rps)| rps.max(max))
    }

    /// The cumulative endpoint shares at `t`, when the trace has per-endpoint columns.
    #[inline]
    pub fn mix_at(&self, t: Nanos) -> Option<&[f64]> {
        if self.endpoints == 0 {
            return None;
        }
        let r = self.row(t);
        Some(&self.mix[r * self.endpoints..(r + 1) * self.endpoints])
    }

    /// How many rows the trace has.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether the trace has no rows (never true for a loaded one).
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }
}
