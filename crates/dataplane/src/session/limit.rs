// SPDX-License-Identifier: Apache-2.0
//! Concurrent sessions per address, for `limit-session`.
//!
//! Only sessions admitted through a zone that limits them are counted, and
//! each records which counts it holds ([`LimitMark`]) so that its removal,
//! however it happens (expiry, RST, clear, policy change), gives back
//! exactly what its insertion took. An address is held only while it has
//! counted sessions, so the maps never hold more keys than the session
//! tables hold sessions: sized to that up front, they never grow.
//!
//! Junos counts an address's sessions box-wide, so the workers of one
//! dataplane share one set of counts ([`SessionLimits`]); only sessions
//! that are counted take its lock. Two workers admitting a session for
//! one address at the same instant can each pass a limit that one of
//! them alone would reach: the count is read, then taken, as the eBPF
//! program does it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::key::FlowBuildHasher;

/// Which per-address counts a session holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LimitMark {
    /// Counted against its source address.
    pub source: bool,
    /// Counted against its destination address.
    pub destination: bool,
}

/// An address of one family.
type Addr = (bool, u128);

/// Session counts per source and per destination address.
#[derive(Debug, Default)]
pub(crate) struct Limits {
    source: HashMap<Addr, u32, FlowBuildHasher>,
    destination: HashMap<Addr, u32, FlowBuildHasher>,
}

fn take(m: &mut HashMap<Addr, u32, FlowBuildHasher>, a: Addr) {
    *m.entry(a).or_insert(0) += 1;
}

fn give_back(m: &mut HashMap<Addr, u32, FlowBuildHasher>, a: Addr) {
    if let Some(n) = m.get_mut(&a) {
        *n -= 1;
        if *n == 0 {
            m.remove(&a);
        }
    }
}

impl Limits {
    /// Room for as many addresses as the table has sessions.
    pub(crate) fn reserve(&mut self, sessions: usize) {
        if self.source.capacity() < sessions {
            self.source = HashMap::with_capacity_and_hasher(sessions, FlowBuildHasher::default());
            self.destination =
                HashMap::with_capacity_and_hasher(sessions, FlowBuildHasher::default());
        }
    }

    /// Addresses it has room for (0: never enabled).
    pub(crate) fn capacity(&self) -> usize {
        self.source.capacity()
    }

    /// Counted sessions from `src` and to `dst`.
    pub(crate) fn count(&self, v6: bool, src: u128, dst: u128) -> (u32, u32) {
        (
            self.source.get(&(v6, src)).copied().unwrap_or(0),
            self.destination.get(&(v6, dst)).copied().unwrap_or(0),
        )
    }

    pub(crate) fn add(&mut self, mark: LimitMark, v6: bool, src: u128, dst: u128) {
        if mark.source {
            take(&mut self.source, (v6, src));
        }
        if mark.destination {
            take(&mut self.destination, (v6, dst));
        }
    }

    /// Addresses held (tests check they are let go).
    #[cfg(test)]
    pub(crate) fn addresses(&self) -> usize {
        self.source.len() + self.destination.len()
    }

    pub(crate) fn remove(&mut self, mark: LimitMark, v6: bool, src: u128, dst: u128) {
        if mark.source {
            give_back(&mut self.source, (v6, src));
        }
        if mark.destination {
            give_back(&mut self.destination, (v6, dst));
        }
    }
}

/// Per-address session counts shared by the workers of one dataplane:
/// clone it into each worker ([`crate::Worker::share_session_limits`]).
#[derive(Debug, Clone, Default)]
pub struct SessionLimits(Arc<Mutex<Limits>>);

impl SessionLimits {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Limits> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Room for the sessions of every table sharing these counts, each
    /// of `sessions`.
    pub(crate) fn reserve(&self, sessions: usize) {
        let tables = Arc::strong_count(&self.0);
        self.lock().reserve(sessions.saturating_mul(tables));
    }
}
