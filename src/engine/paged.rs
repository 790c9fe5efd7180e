//! A table over dense ids (data keys, users) in lazily allocated pages.
//!
//! Per-key and per-user state is read on every cache lookup and replica
//! read. A hash map over a million ids misses the cache twice per lookup
//! (control bytes, then the slot); here the page directory (a hash map of
//! a few hundred pages) stays cached and the entry is one load. Memory follows the pages
//! touched (4096 ids each), bounded by the id space, not by the run's length.

use crate::algo::cache::BuildKeyHasher;
use std::collections::HashMap;

/// Ids per page.
const PAGE_BITS: u32 = 12;
const PAGE: usize = 1 << PAGE_BITS;

/// Values of type `T` by `u64` id; ids never written read as `T::default()`.
pub struct PagedTable<T> {
    pages: HashMap<u64, Box<[T]>, BuildKeyHasher>,
}

impl<T: Copy + Default> PagedTable<T> {
    /// An empty table.
    pub fn new() -> Self {
        PagedTable {
            pages: HashMap::default(),
        }
    }

    /// The value of `id` (the default if it was never written).
    #[inline]
    pub fn get(&self, id: u64) -> T {
        self.pages
            .get(&(id >> PAGE_BITS))
            .map_or_else(T::default, |p| p[id as usize & (PAGE - 1)])
    }

    /// The value of `id`, to change (its page is allocated on first use).
    #[inline]
    pub fn get_mut(&mut self, id: u64) -> &mut T {
        let page = self
            .pages
            .entry(id >> PAGE_BITS)
            .or_insert_with(|| vec![T::default(); PAGE].into_boxed_slice());
        &mut page[id as usize & (PAGE - 1)]
    }
}

impl<T: Copy + Default> Default for PagedTable<T> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwritten_ids_read_default_and_pages_come_on_demand() {
        let mut t: PagedTable<(u32, u64)> = PagedTable::new();
        assert_eq!(t.get(5), (0, 0));
        assert!(t.pages.is_empty());
        *t.get_mut(5) = (1, 9);
        t.get_mut(4095).0 += 2;
        t.get_mut(u64::MAX).1 = 7;
        assert_eq!(t.get(5), (1, 9));
        assert_eq!(t.get(4095), (2, 0));
        assert_eq!(t.get(4096), (0, 0));
        assert_eq!(t.get(u64::MAX), (0, 7));
        assert_eq!(t.pages.len(), 2);
    }
}
