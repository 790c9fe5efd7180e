//! Replaying a recorded request log (`arrivals: Replay(file: ..)`): each
//! row is one request (timestamp, endpoint; tenant, user and key when the
//! log has them), re-issued at its recorded time.
//!
//! `speed` divides every time offset (2 = twice as fast). `scale` multiplies
//! the load and keeps its shape: each recorded request is issued
//! `floor(scale)` times plus once more with probability `scale - floor(scale)`
//! (thinning). The first issue keeps the recorded time; every further copy is
//! delayed by its own uniform offset in [0, 1 s) of recorded time, so copies
//! superpose as shifted versions of the log rather than as bursts at one
//! instant. Offsets and coin flips come from the `workload/replay` random
//! stream, so the same seed gives the same requests.
//!
//! The file is read twice, one row at a time: once when the scenario is
//! validated (every row checked, with its line on error), then during the run.

use super::rows::{RowError, Rows};
use crate::algo::Nanos;
use crate::engine::{stream, Rng};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::{Path, PathBuf};

/// Names accepted for the timestamp column (seconds; Unix times work as they are).
pub const TIMESTAMP_COLUMNS: &[&str] = &["timestamp", "intended_time", "time", "ts", "t"];
/// The columns a request log is read by: timestamp, endpoint, tenant, user, key.
pub const LOG_COLUMNS: [&[&str]; 5] = [
    TIMESTAMP_COLUMNS,
    &["endpoint", "route"],
    &["tenant"],
    &["user"],
    &["key"],
];

/// A time in seconds read exactly from its decimal text: whole seconds and
/// nanoseconds (a Unix time as f64 would lose the sub-microsecond digits).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Seconds {
    /// Whole seconds.
    pub whole: i64,
    /// Nanoseconds past `whole`.
    pub nanos: u32,
}

impl Seconds {
    /// Parses "1700000012.25", "3", "0.5" or "1e3" (the last through f64).
    pub fn parse(text: &str) -> Option<Seconds> {
        let (int, frac) = text.split_once('.').unwrap_or((text, ""));
        let plain = !int.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit());
        if plain && int.len() <= 15 {
            let mut nanos = 0u32;
            for (i, b) in frac.bytes().take(9).enumerate() {
                nanos += u32::from(b - b'0') * 10u32.pow(8 - i as u32);
            }
            return Some(Seconds {
                whole: int.parse().ok()?,
                nanos,
            });
        }
        let x: f64 = text.parse().ok()?;
        if !(0.0..=1e15).contains(&x) {
            return None;
        }
        let whole = x.floor();
        Some(Seconds {
            whole: whole as i64,
            nanos: ((x - whole) * 1e9).round().min(999_999_999.0) as u32,
        })
    }

    /// Nanoseconds from `origin` to `self` (zero if before it).
    pub fn since(self, origin: Seconds) -> Nanos {
        let ns = (i128::from(self.whole) - i128::from(origin.whole)) * 1_000_000_000
            + i128::from(self.nanos)
            - i128::from(origin.nanos);
        Nanos::from_nanos(ns.clamp(0, i128::from(u64::MAX)) as u64)
    }
}

/// A checked request log, ready to replay.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayLog {
    /// The log file.
    pub file: PathBuf,
    /// Time compression (2 = twice as fast).
    pub speed: f64,
    /// Load multiplier.
    pub scale: f64,
    /// Time zero of the run: the first timestamp, rounded down to the second.
    pub origin: Seconds,
    /// Requests in the log.
    pub rows: u64,
    /// Endpoint names in endpoint order.
    pub endpoints: Vec<String>,
}

impl ReplayLog {
    /// Reads the whole log once, one row at a time, and checks every row:
    /// a timestamp, a known endpoint, timestamps in order.
    pub fn scan(
        file: &Path,
        speed: f64,
        scale: f64,
        endpoints: &[&str],
    ) -> Result<ReplayLog, RowError> {
        let mut rows = Rows::open(file)?;
        let present = rows.select(&LOG_COLUMNS);
        for (i, what) in [(0, TIMESTAMP_COLUMNS.join(", ")), (1, "endpoint".into())] {
            if !present[i] {
                return Err(rows.file_error(format!(
                    "no {} column; name it one of: {what}",
                    ["timestamp", "endpoint"][i]
                )));
            }
        }
        let mut log = ReplayLog {
            file: file.to_owned(),
            speed,
            scale,
            origin: Seconds { whole: 0, nanos: 0 },
            rows: 0,
            endpoints: endpoints.iter().map(|e| (*e).to_owned()).collect(),
        };
        let mut last: Option<Seconds> = None;
        while rows.advance()? {
            let (at, _) = read_row(&rows, &log.endpoints)?;
            if last.is_some_and(|l| at < l) {
                return Err(rows.error(
                    0,
                    "timestamps must not go backwards (sort the log by time)".into(),
                ));
            }
            if last.is_none() {
                log.origin = Seconds {
                    whole: at.whole,
                    nanos: 0,
                };
            }
            last = Some(at);
            log.rows += 1;
        }
        if log.rows == 0 {
            return Err(rows.file_error("the log has no requests".into()));
        }
        Ok(log)
    }
}

/// The timestamp and endpoint index of the current row.
fn read_row(rows: &Rows, endpoints: &[String]) -> Result<(Seconds, u16), RowError> {
    let text = rows
        .text(0)
        .ok_or_else(|| rows.error(0, "missing (a time in seconds is required)".into()))?;
    let at = Seconds::parse(text).ok_or_else(|| {
        rows.error(
            0,
            format!("`{text}` is not a time in seconds (e.g. 1700000000.25)"),
        )
    })?;
    let name = rows
        .text(1)
        .ok_or_else(|| rows.error(1, "missing (an endpoint name is required)".into()))?;
    let endpoint = endpoints.iter().position(|e| e == name).ok_or_else(|| {
        rows.error(
            1,
            format!(
                "no endpoint is named \"{name}\"; endpoints: {}",
                endpoints.join(", ")
            ),
        )
    })?;
    Ok((at, endpoint as u16))
}

/// An identity recorded in the log: a number as it is, any other text hashed.
fn identity(text: Option<&str>) -> Option<u64> {
    let text = text?;
    Some(text.parse::<u64>().unwrap_or_else(|_| {
        // FNV-1a: stable across runs and platforms.
        text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    }))
}

/// One request from the log (or a copy of one), as issued.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// When it arrives, from the start of the run.
    pub at: Nanos,
    /// Endpoint index.
    pub endpoint: u16,
    /// The recorded tenant, user and key, if the log has them.
    pub tenant: Option<u64>,
    /// See `tenant`.
    pub user: Option<u64>,
    /// See `tenant`.
    pub key: Option<u64>,
}

/// Issues a log's requests in time order, with `speed` and `scale` applied.
pub struct Replayer {
    log: ReplayLog,
    rows: Option<Rows>,
    rng: Rng,
    /// Issued requests not yet handed out, ordered by (time, issue order).
    pending: BinaryHeap<Reverse<(Nanos, u64, RecordedKey)>>,
    issued: u64,
    /// The latest recorded time read (its copies are never earlier).
    horizon: Nanos,
}

/// [`Recorded`] without its time, as a heap payload.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct RecordedKey {
    endpoint: u16,
    tenant: Option<u64>,
    user: Option<u64>,
    key: Option<u64>,
}

impl Replayer {
    /// A replay of `log` drawing shifts and thinning from `seed`.
    pub fn new(log: &ReplayLog, seed: u64) -> Replayer {
        let rows = Rows::open(&log.file).ok().map(|mut r| {
            r.select(&LOG_COLUMNS);
            r
        });
        Replayer {
            log: log.clone(),
            rows,
            rng: stream(seed, "workload/replay"),
            pending: BinaryHeap::new(),
            issued: 0,
            horizon: Nanos::ZERO,
        }
    }

    /// The next request in time order, or `None` when the log is spent.
    pub fn next_request(&mut self) -> Option<Recorded> {
        loop {
            if let Some(Reverse((at, _, _))) = self.pending.peek() {
                if *at <= self.horizon || self.rows.is_none() {
                    let Reverse((at, _, k)) = self.pending.pop()?;
                    return Some(Recorded {
                        at,
                        endpoint: k.endpoint,
                        tenant: k.tenant,
                        user: k.user,
                        key: k.key,
                    });
                }
            } else if self.rows.is_none() {
                return None;
            }
            self.read_one();
        }
    }

    /// Reads one row and queues its copies; at the end (or on a row that
    /// no longer reads, if the file changed since validation) stops reading.
    fn read_one(&mut self) {
        let Some(rows) = &mut self.rows else { return };
        let row = match rows.advance() {
            Ok(true) => read_row(rows, &self.log.endpoints).ok().map(|(at, e)| {
                (
                    at,
                    RecordedKey {
                        endpoint: e,
                        tenant: identity(rows.text(2)),
                        user: identity(rows.text(3)),
                        key: identity(rows.text(4)),
                    },
                )
            }),
            _ => None,
        };
        let Some((at, key)) = row else {
            self.rows = None;
            return;
        };
        let recorded = at.since(self.log.origin);
        let speed = self.log.speed;
        self.horizon = if speed == 1.0 {
            recorded
        } else {
            Nanos::from_secs_f64(recorded.as_secs_f64() / speed)
        };
        let whole = self.log.scale.floor() as u64;
        let fraction = self.log.scale - self.log.scale.floor();
        let copies = whole + u64::from(crate::engine::unit_open(&mut self.rng) < fraction);
        for c in 0..copies {
            let at = if c == 0 {
                self.horizon
            } else {
                let shift = crate::engine::unit_open(&mut self.rng);
                Nanos::from_secs_f64((recorded.as_secs_f64() + shift) / speed)
            };
            self.issued += 1;
            self.pending.push(Reverse((at, self.issued, key)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_parse_exactly() {
        let s = Seconds::parse("1700000012.000000001").unwrap();
        assert_eq!((s.whole, s.nanos), (1_700_000_012, 1));
        let o = Seconds::parse("1700000000").unwrap();
        assert_eq!(s.since(o), Nanos::from_nanos(12_000_000_001));
        assert_eq!(Seconds::parse("2.5e0").unwrap().nanos, 500_000_000);
        assert!(Seconds::parse("-1").is_none() && Seconds::parse("x").is_none());
    }
}
