// SPDX-License-Identifier: Apache-2.0
//! A value the daemon replaces now and then and every worker reads per
//! packet. The writer swaps an `Arc` under a lock and bumps a generation;
//! a reader compares the generation (one relaxed atomic load) once per
//! batch and takes the lock only when it changed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// The writer's side. See the module docs.
#[derive(Debug)]
pub struct Published<T> {
    value: RwLock<Arc<T>>,
    generation: AtomicU64,
}

impl<T> Published<T> {
    /// Starts with `value` at generation 1.
    pub fn new(value: Arc<T>) -> Published<T> {
        Published {
            value: RwLock::new(value),
            generation: AtomicU64::new(1),
        }
    }

    /// Replaces the value; readers pick it up at their next refresh.
    pub fn publish(&self, value: Arc<T>) {
        let mut v = self.value.write().unwrap_or_else(|e| e.into_inner());
        *v = value;
        // Under the lock: a reader that sees the new generation and then
        // takes the read lock gets at least this value.
        self.generation.fetch_add(1, Ordering::Release);
    }

    /// The current value.
    pub fn load(&self) -> Arc<T> {
        self.value.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// A reader holding the current value.
    pub fn reader(&self) -> Reader<T> {
        let generation = self.generation.load(Ordering::Acquire);
        Reader {
            value: self.load(),
            generation,
        }
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }
}

/// A worker's cached copy of a [`Published`] value.
#[derive(Debug)]
pub struct Reader<T> {
    value: Arc<T>,
    generation: u64,
}

impl<T> Reader<T> {
    /// Takes the published value if it changed; true if it did.
    pub fn refresh(&mut self, from: &Published<T>) -> bool {
        let g = from.generation();
        if g == self.generation {
            return false;
        }
        self.value = from.load();
        self.generation = g;
        true
    }

    /// The cached value.
    pub fn get(&self) -> &Arc<T> {
        &self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_see_new_values_on_refresh_only() {
        let p = Arc::new(Published::new(Arc::new(1)));
        let mut r = p.reader();
        assert!(!r.refresh(&p));
        p.publish(Arc::new(2));
        assert_eq!(**r.get(), 1, "no change until refresh");
        assert!(r.refresh(&p));
        assert_eq!(**r.get(), 2);
    }
}
