//! A slab: a vector of slots with a free list, so in-flight requests reuse
//! memory instead of allocating per request.

/// Fixed-type storage addressed by `u32` indices; freed slots are reused.
pub struct Slab<T> {
    slots: Vec<T>,
    free: Vec<u32>,
}

impl<T> Slab<T> {
    /// An empty slab.
    pub fn new() -> Self {
        Slab {
            slots: Vec::new(),
            free: Vec::new(),
        }
    }

    /// Stores `value` and returns its index (reusing a freed slot if any).
    #[inline]
    pub fn insert(&mut self, value: T) -> u32 {
        if let Some(i) = self.free.pop() {
            self.slots[i as usize] = value;
            i
        } else {
            self.slots.push(value);
            u32::try_from(self.slots.len() - 1).expect("more than 4 billion live entries")
        }
    }

    /// Stores the value `make` builds and returns its index. The slot is
    /// chosen first, so the value is written straight into it rather than
    /// built elsewhere and copied.
    #[inline]
    pub fn insert_with(&mut self, make: impl FnOnce() -> T) -> u32 {
        if let Some(i) = self.free.pop() {
            self.slots[i as usize] = make();
            i
        } else {
            self.slots.push(make());
            u32::try_from(self.slots.len() - 1).expect("more than 4 billion live entries")
        }
    }

    /// Marks slot `i` free; its value stays until overwritten.
    #[inline]
    pub fn remove(&mut self, i: u32) {
        self.free.push(i);
    }

    /// Number of live entries.
    pub fn live(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// The most entries ever live at once.
    pub fn high_water(&self) -> usize {
        self.slots.len()
    }
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> std::ops::Index<u32> for Slab<T> {
    type Output = T;
    #[inline]
    fn index(&self, i: u32) -> &T {
        &self.slots[i as usize]
    }
}

impl<T> std::ops::IndexMut<u32> for Slab<T> {
    #[inline]
    fn index_mut(&mut self, i: u32) -> &mut T {
        &mut self.slots[i as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuses_freed_slots() {
        let mut s = Slab::new();
        let a = s.insert(1);
        let b = s.insert(2);
        s.remove(a);
        let c = s.insert(3);
        assert_eq!(a, c);
        assert_eq!(s[b], 2);
        assert_eq!(s[c], 3);
        assert_eq!(s.live(), 2);
        assert_eq!(s.high_water(), 2);
        s.remove(b);
        let d = s.insert_with(|| 4);
        assert_eq!((d, s[d]), (b, 4), "reuses the freed slot");
        let e = s.insert_with(|| 5);
        assert_eq!(
            (e, s[e], s.high_water()),
            (2, 5, 3),
            "appends when none is free"
        );
    }
}
