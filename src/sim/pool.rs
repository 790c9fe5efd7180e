//! A connection pool: up to `max` connections, opened lazily (and `min` at
//! start), kept open (or, with an idle timeout, closed by the housekeeper
//! once idle that long above `min`), handed to waiters first come, first
//! served; an idle connection is reused most recently released first.

use crate::algo::Nanos;
use std::collections::VecDeque;

/// What an acquire found.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Acquire {
    /// An idle connection: use it.
    Idle,
    /// None idle but room for one more: open it (the caller asks the server).
    Open,
    /// All `max` in use: wait in line.
    Wait,
}

/// A pool's state and counters.
pub(super) struct Gate {
    pub(super) max: u32,
    pub(super) open: u32,
    pub(super) idle: u32,
    /// When each idle connection was released, oldest first (the last is
    /// reused first, so the first ones are those left idle longest).
    idle_since: VecDeque<Nanos>,
    /// Waiting requests and when they started waiting.
    pub(super) queue: VecDeque<(u32, Nanos)>,
    pub(super) acquired: u64,
    pub(super) waited: u64,
    pub(super) wait_sum: Nanos,
    pub(super) wait_max: Nanos,
    pub(super) timeouts: u64,
    pub(super) open_peak: u32,
}

impl Gate {
    /// A pool of `max` connections with `open` already open and idle.
    pub(super) fn new(max: u32, open: u32) -> Gate {
        Gate {
            max,
            open,
            idle: open,
            idle_since: std::iter::repeat_n(Nanos::ZERO, open as usize).collect(),
            queue: VecDeque::new(),
            acquired: 0,
            waited: 0,
            wait_sum: Nanos::ZERO,
            wait_max: Nanos::ZERO,
            timeouts: 0,
            open_peak: open,
        }
    }

    /// Asks for a connection.
    pub(super) fn try_acquire(&mut self) -> Acquire {
        if self.idle > 0 {
            self.idle -= 1;
            self.idle_since.pop_back();
            self.acquired += 1;
            Acquire::Idle
        } else if self.open < self.max {
            Acquire::Open
        } else {
            Acquire::Wait
        }
    }

    /// A new connection was opened and is in use.
    pub(super) fn opened(&mut self) {
        self.open += 1;
        self.acquired += 1;
        self.open_peak = self.open_peak.max(self.open);
    }

    /// A connection comes back: handed to the first waiter (returned, with
    /// when it began waiting) or kept idle.
    pub(super) fn release(&mut self, now: Nanos) -> Option<(u32, Nanos)> {
        match self.queue.pop_front() {
            Some((r, since)) => {
                let w = now - since;
                self.acquired += 1;
                self.waited += 1;
                self.wait_sum += w;
                self.wait_max = self.wait_max.max(w);
                Some((r, since))
            }
            None => {
                self.idle += 1;
                self.idle_since.push_back(now);
                None
            }
        }
    }

    /// Closes the connections above `min` idle since `idle_timeout` before
    /// `now` or longer; returns how many closed.
    pub(super) fn close_idle(&mut self, now: Nanos, idle_timeout: Nanos, min: u32) -> u32 {
        let mut closed = 0;
        while self.open > min
            && self
                .idle_since
                .front()
                .is_some_and(|&t| t.saturating_add(idle_timeout) <= now)
        {
            self.idle_since.pop_front();
            self.idle -= 1;
            self.open -= 1;
            closed += 1;
        }
        closed
    }

    /// Removes a waiter whose timeout fired; false if it was not waiting.
    pub(super) fn time_out(&mut self, r: u32, since: Nanos) -> bool {
        match self.queue.iter().position(|&x| x == (r, since)) {
            Some(i) => {
                self.queue.remove(i);
                self.timeouts += 1;
                self.waited += 1;
                true
            }
            None => false,
        }
    }

    /// Zeroes the counters (end of warm-up).
    pub(super) fn reset(&mut self) {
        self.acquired = 0;
        self.waited = 0;
        self.wait_sum = Nanos::ZERO;
        self.wait_max = Nanos::ZERO;
        self.timeouts = 0;
        self.open_peak = self.open;
    }
}
