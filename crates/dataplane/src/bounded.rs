// SPDX-License-Identifier: Apache-2.0
//! A fixed-size, set-associative table for per-worker state keyed by what
//! packets carry (screen rates, scan windows, fragment mappings).
//!
//! Keys are attacker-chosen, so the table never grows: it is allocated
//! once, and a key that finds its set full takes the place of the entry
//! its owner ranks lowest (oldest, expired). Losing an entry only forgets
//! some history; every user is written so that forgetting errs towards
//! letting traffic through, never towards blocking a stranger. The hash is
//! seeded per table so an attacker cannot aim keys at one set offline.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash, Hasher};

use crate::session::key::FlowHasher;

/// Entries per set: a new key competes with this many others.
const WAYS: usize = 4;

/// The table. See the module docs.
#[derive(Debug, Clone)]
pub(crate) struct Table<K, V> {
    slots: Vec<Option<(K, V)>>,
    seed: u64,
    /// Entries pushed out by a new key.
    pub evictions: u64,
}

impl<K: Hash + Eq + Copy, V> Table<K, V> {
    /// A table of at least `capacity` entries (rounded up to a power of
    /// two sets), allocated now.
    pub(crate) fn with_capacity(capacity: usize) -> Table<K, V> {
        let sets = capacity.div_ceil(WAYS).max(1).next_power_of_two();
        Table {
            slots: (0..sets * WAYS).map(|_| None).collect(),
            seed: RandomState::new().hash_one(0u64),
            evictions: 0,
        }
    }

    /// Entries the table holds at most.
    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// The slots of `key`'s set.
    fn set(&self, key: &K) -> std::ops::Range<usize> {
        let mut h = FlowHasher::seeded(self.seed);
        key.hash(&mut h);
        let sets = self.slots.len() / WAYS;
        let start = (h.finish() as usize & (sets - 1)) * WAYS;
        start..start + WAYS
    }

    /// The value of `key`, if it is held.
    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let set = self.set(key);
        self.slots[set]
            .iter_mut()
            .flatten()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The value of `key`, inserted with `new` when absent. A full set
    /// gives up the entry with the lowest `rank` (an empty slot first).
    pub(crate) fn entry(
        &mut self,
        key: K,
        new: impl FnOnce() -> V,
        rank: impl Fn(&V) -> u64,
    ) -> &mut V {
        let set = self.set(&key);
        let slots = &mut self.slots[set];
        let pos = match slots
            .iter()
            .position(|s| s.as_ref().is_some_and(|e| e.0 == key))
        {
            Some(i) => i,
            None => {
                let victim = slots
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, s)| s.as_ref().map_or(0, |e| rank(&e.1).saturating_add(1)))
                    .map_or(0, |(i, _)| i);
                if slots[victim].take().is_some() {
                    self.evictions += 1;
                }
                victim
            }
        };
        &mut slots[pos].get_or_insert_with(|| (key, new())).1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_with_lowest_rank_evicted() {
        let mut t: Table<u32, u64> = Table::with_capacity(4);
        assert_eq!(t.capacity(), 4, "one set of four");
        for k in 0..4 {
            *t.entry(k, || 0, |v| *v) = u64::from(k) + 10;
        }
        assert_eq!(t.get_mut(&2).copied(), Some(12));
        // A fifth key pushes out the lowest-ranked entry (key 0, rank 10).
        *t.entry(9, || 0, |v| *v) = 99;
        assert_eq!(t.get_mut(&0), None);
        assert_eq!(t.get_mut(&9).copied(), Some(99));
        assert_eq!(t.evictions, 1);
        for k in 100..10_000 {
            t.entry(k, || 1, |v| *v);
        }
        assert_eq!(t.slots.len(), 4, "never grows");
    }

    #[test]
    fn capacity_rounds_up_to_whole_sets() {
        let t: Table<u32, ()> = Table::with_capacity(1000);
        assert_eq!(t.capacity(), 1024);
    }
}
