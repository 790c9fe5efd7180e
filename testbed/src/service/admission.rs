//! Worker slots and a bounded wait queue, as a scaletwin `Deployment` pod has
//! them (`concurrency`, `queue_limit`): a request holds a slot from admission
//! to its response; with every slot taken it waits in FIFO order, and with
//! `queue_limit` requests already waiting it is refused at once.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Semaphore, SemaphorePermit};

/// The slots and the wait queue.
#[derive(Debug)]
pub struct Admission {
    slots: Semaphore,
    capacity: usize,
    waiting: AtomicUsize,
    queue_limit: usize,
}

/// A request refused because the wait queue was full.
#[derive(Debug, PartialEq, Eq)]
pub struct QueueFull;

/// A slot held by a request; released on drop.
#[derive(Debug)]
pub struct Slot<'a> {
    _permit: SemaphorePermit<'a>,
}

/// Counts a request as waiting for as long as it lives (also when the request
/// is dropped mid-wait because its client went away).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Admission {
    /// `slots` concurrent requests, at most `queue_limit` waiting.
    pub fn new(slots: usize, queue_limit: usize) -> Admission {
        Admission {
            slots: Semaphore::new(slots),
            capacity: slots,
            waiting: AtomicUsize::new(0),
            queue_limit,
        }
    }

    /// Takes a slot, waiting for one if needed; `Err(QueueFull)` if the queue is full.
    pub async fn enter(&self) -> Result<Slot<'_>, QueueFull> {
        if let Ok(permit) = self.slots.try_acquire() {
            return Ok(Slot { _permit: permit });
        }
        if self.waiting.fetch_add(1, Ordering::Relaxed) >= self.queue_limit {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            return Err(QueueFull);
        }
        let _waiting = Waiting(&self.waiting);
        let permit = self
            .slots
            .acquire()
            .await
            .expect("the semaphore is never closed");
        Ok(Slot { _permit: permit })
    }

    /// Requests holding a slot now.
    pub fn busy(&self) -> usize {
        self.capacity - self.slots.available_permits()
    }

    /// Requests waiting for a slot now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn a_full_queue_refuses_and_a_freed_slot_admits_the_waiter() {
        let adm = Arc::new(Admission::new(1, 1));
        let held = adm.enter().await.unwrap();
        assert_eq!(adm.busy(), 1);
        let a = adm.clone();
        let waiter = tokio::spawn(async move { a.enter().await.map(|_| ()) });
        while adm.waiting() == 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(adm.enter().await.err(), Some(QueueFull));
        drop(held);
        assert_eq!(waiter.await.unwrap(), Ok(()));
        assert_eq!((adm.waiting(), adm.busy()), (0, 0));
    }

    #[tokio::test]
    async fn a_waiter_dropped_mid_wait_leaves_the_queue() {
        let adm = Admission::new(1, 5);
        let held = adm.enter().await.unwrap();
        let timed_out = tokio::time::timeout(Duration::from_millis(10), adm.enter()).await;
        assert!(timed_out.is_err());
        assert_eq!(adm.waiting(), 0);
        drop(held);
        assert!(adm.enter().await.is_ok());
    }
}
