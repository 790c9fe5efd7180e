//! A station's servers and its FIFO wait queue: the queueing primitive every
//! component (pod worker slots, database connections) is built on.

use crate::algo::Nanos;
use std::collections::VecDeque;

/// What happened to a request that asked for a server.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Admission {
    /// A server was free; service starts now.
    Started,
    /// All servers busy; the request waits in line.
    Queued,
    /// All servers busy and the queue is full.
    Rejected,
}

/// `servers` identical servers in front of one first-come-first-served queue.
#[derive(Clone, Debug)]
pub struct Slots {
    servers: u32,
    busy: u32,
    limit: Option<u32>,
    queue: VecDeque<(u32, Nanos)>,
}

impl Slots {
    /// `servers` servers, queue bounded by `limit` (`None`: unbounded).
    pub fn new(servers: u32, limit: Option<u32>) -> Self {
        Slots {
            servers,
            busy: 0,
            limit,
            queue: VecDeque::new(),
        }
    }

    /// Request `req` asks for a server at `now`.
    #[inline]
    pub fn admit(&mut self, req: u32, now: Nanos) -> Admission {
        if self.busy < self.servers {
            self.busy += 1;
            Admission::Started
        } else if self.limit.is_some_and(|l| self.queue.len() >= l as usize) {
            Admission::Rejected
        } else {
            self.queue.push_back((req, now));
            Admission::Queued
        }
    }

    /// A server is released; returns the next request to start and when it queued.
    #[inline]
    pub fn release(&mut self) -> Option<(u32, Nanos)> {
        if self.busy <= self.servers {
            if let Some(next) = self.queue.pop_front() {
                return Some(next);
            }
        }
        self.busy -= 1;
        None
    }

    /// Whether a server is free.
    #[inline]
    pub fn has_free(&self) -> bool {
        self.busy < self.servers
    }

    /// Requests in service.
    #[inline]
    pub fn busy(&self) -> u32 {
        self.busy
    }

    /// Empties the station (its pod died): returns the requests that were waiting.
    pub fn clear(&mut self) -> VecDeque<(u32, Nanos)> {
        self.busy = 0;
        std::mem::take(&mut self.queue)
    }

    /// Requests in service plus waiting.
    #[inline]
    pub fn in_flight(&self) -> u32 {
        self.busy + self.queue.len() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_with_limit() {
        let mut s = Slots::new(1, Some(1));
        assert_eq!(s.admit(1, Nanos(0)), Admission::Started);
        assert_eq!(s.admit(2, Nanos(1)), Admission::Queued);
        assert_eq!(s.admit(3, Nanos(2)), Admission::Rejected);
        assert_eq!(s.in_flight(), 2);
        assert_eq!(s.release(), Some((2, Nanos(1))));
        assert_eq!(s.release(), None);
        assert_eq!(s.in_flight(), 0);
    }
}
