//! A table over dense ids (data keys, users) in lazily allocated pages.
//!
//! Per-key and per-user state is read on every cache lookup and replica
//! read. A hash map over a million ids misses the cache twice per lookup
//! (control bytes, then the slot); here the page directory (a hash map of
//! a few hundred pages) stays cached and the entry is one load. Memory follows the pages
//! touched (4096 ids each), bounded by the id space, not by the run's length.
//!
//! A page pays off only when the ids are few enough that pages fill up: over
//! a huge id space (a trillion keys) each write would land on a page of its
//! own, 4096 entries for one. Past [`DENSE_IDS`] ids the table keeps one
//! hash-map entry per id written instead, so memory follows the ids used.

use crate::algo::cache::BuildKeyHasher;
use std::collections::HashMap;

/// Ids per page.
const PAGE_BITS: u32 = 12;
const PAGE: usize = 1 << PAGE_BITS;
/// Largest id space kept in pages (at most 1024 pages).
pub(crate) const DENSE_IDS: u64 = 1 << 22;

/// Values of type `T` by `u64` id; ids never written read as `T::default()`.
pub struct PagedTable<T> {
    pages: HashMap<u64, Box<[T]>, BuildKeyHasher>,
    /// Ids of a space larger than [`DENSE_IDS`], one entry each.
    sparse: Option<HashMap<u64, T, BuildKeyHasher>>,
}

impl<T: Copy + Default> PagedTable<T> {
    /// An empty table for ids in `0..ids`.
    pub fn new(ids: u64) -> Self {
        PagedTable {
            pages: HashMap::default(),
            sparse: (ids > DENSE_IDS).then(HashMap::default),
        }
    }

    /// The value of `id` (the default if it was never written).
    #[inline]
    pub fn get(&self, id: u64) -> T {
        if let Some(sparse) = &self.sparse {
            return sparse.get(&id).copied().unwrap_or_default();
        }
        self.pages
            .get(&(id >> PAGE_BITS))
            .map_or_else(T::default, |p| p[id as usize & (PAGE - 1)])
    }

    /// The value of `id`, to change (its page is allocated on first use).
    #[inline]
    pub fn get_mut(&mut self, id: u64) -> &mut T {
        if let Some(sparse) = &mut self.sparse {
            return sparse.entry(id).or_default();
        }
        let page = self
            .pages
            .entry(id >> PAGE_BITS)
            .or_insert_with(|| vec![T::default(); PAGE].into_boxed_slice());
        &mut page[id as usize & (PAGE - 1)]
    }

    /// Ids with a value of their own (written, or on a page that was).
    pub fn entries(&self) -> usize {
        match &self.sparse {
            Some(sparse) => sparse.len(),
            None => self.pages.len() * PAGE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwritten_ids_read_default_and_pages_come_on_demand() {
        let mut t: PagedTable<(u32, u64)> = PagedTable::new(u64::MAX);
        let mut dense: PagedTable<(u32, u64)> = PagedTable::new(DENSE_IDS);
        for t in [&mut t, &mut dense] {
            assert_eq!(t.get(5), (0, 0));
            assert_eq!(t.entries(), 0);
            *t.get_mut(5) = (1, 9);
            t.get_mut(4095).0 += 2;
            t.get_mut(u64::MAX).1 = 7;
            assert_eq!(t.get(5), (1, 9));
            assert_eq!(t.get(4095), (2, 0));
            assert_eq!(t.get(4096), (0, 0));
            assert_eq!(t.get(u64::MAX), (0, 7));
        }
        // Pages over a small space, one entry per id over a huge one.
        assert_eq!(dense.entries(), 2 * PAGE);
        assert_eq!(t.entries(), 3);
    }

    #[test]
    fn a_huge_id_space_costs_one_entry_per_id_written() {
        let mut t: PagedTable<u64> = PagedTable::new(1_000_000_000_000);
        for k in 0..10_000u64 {
            *t.get_mut(k * 100_000_007) += k;
        }
        assert_eq!(t.entries(), 10_000);
        assert_eq!(t.get(3 * 100_000_007), 3);
    }
}
