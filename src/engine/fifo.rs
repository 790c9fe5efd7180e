//! A first-in, first-out queue for work that is drained completely before
//! the clock moves on (the requests ready to step after an event).
//!
//! Items are appended to a vector and read from a moving head; when a
//! `pop_front` finds nothing left, the vector is emptied in place. Without
//! the ring arithmetic of a `VecDeque`, a push and a pop are a few
//! instructions each, inlined where they are used.

/// A FIFO queue that forgets its items once it has been drained.
#[derive(Debug, Default)]
pub struct Fifo<T> {
    items: Vec<T>,
    /// The next item `pop_front` returns.
    head: usize,
}

impl<T: Copy> Fifo<T> {
    /// An empty queue.
    pub fn new() -> Self {
        Fifo {
            items: Vec::new(),
            head: 0,
        }
    }

    /// Appends `item`.
    #[inline]
    pub fn push_back(&mut self, item: T) {
        self.items.push(item);
    }

    /// Appends every item of `items`, in order.
    pub fn extend(&mut self, items: impl IntoIterator<Item = T>) {
        self.items.extend(items);
    }

    /// Removes the oldest item, or, when none is left, empties the storage
    /// (keeping its capacity) and returns `None`.
    #[inline]
    pub fn pop_front(&mut self) -> Option<T> {
        if let Some(&item) = self.items.get(self.head) {
            self.head += 1;
            Some(item)
        } else {
            self.items.clear();
            self.head = 0;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// Interleaved pushes and pops, and drains part-way through, give the
    /// order a `VecDeque` gives.
    #[test]
    fn pops_in_the_order_a_vecdeque_does() {
        let mut fifo = Fifo::new();
        let mut model = VecDeque::new();
        let mut x = 12345u64;
        for step in 0..20_000u32 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            match x >> 62 {
                0 | 1 => {
                    fifo.push_back(step);
                    model.push_back(step);
                }
                2 => assert_eq!(fifo.pop_front(), model.pop_front()),
                _ => {
                    let more = [step, step + 1, step + 2];
                    fifo.extend(more);
                    model.extend(more);
                }
            }
        }
        while let Some(v) = model.pop_front() {
            assert_eq!(fifo.pop_front(), Some(v));
        }
        assert_eq!(fifo.pop_front(), None);
        assert_eq!(fifo.pop_front(), None);
    }

    /// A drained queue keeps its storage and starts again from the front.
    #[test]
    fn a_drained_queue_reuses_its_storage() {
        let mut fifo = Fifo::new();
        fifo.extend(0..100u32);
        while fifo.pop_front().is_some() {}
        assert_eq!((fifo.items.len(), fifo.head), (0, 0));
        assert!(fifo.items.capacity() >= 100);
        fifo.push_back(7);
        assert_eq!(fifo.pop_front(), Some(7));
    }
}
