// SPDX-License-Identifier: Apache-2.0
//! The session table: a bounded, preallocated store of sessions, each
//! found by its forward key (as the initiator's packets arrive) and its
//! reverse key (as the answers arrive, after NAT).
//!
//! Nothing here allocates after construction: slots and the key index are
//! sized for the capacity up front, and a full table refuses (and counts)
//! new sessions rather than grow.

pub(crate) mod key;
mod limit;
pub(crate) mod tcp;

use std::collections::HashMap;
use std::sync::Arc;

use key::FlowBuildHasher;
pub use key::FlowKey;
pub use limit::{LimitMark, SessionLimits};
pub use tcp::{TcpState, TcpTracker};

use crate::fib::Route;

/// Direction of a packet within its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Initiator → responder.
    Forward = 0,
    /// Responder → initiator.
    Reverse = 1,
}

/// The rewrite applied to packets of one direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Xlate {
    /// New source address and port.
    pub src: Option<(u128, u16)>,
    /// New destination address and port.
    pub dst: Option<(u128, u16)>,
}

/// One session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Unique within the table's life.
    pub id: u64,
    /// Key of the initiator's packets (before NAT).
    pub fwd: FlowKey,
    /// Key of the answers (after NAT).
    pub rev: FlowKey,
    /// Rewrites per direction (`[Forward, Reverse]`).
    pub xlate: [Xlate; 2],
    /// Where each direction is sent.
    pub route: [Route; 2],
    /// Ingress ifindex of the first packet.
    pub ingress_ifindex: u32,
    /// TCP tracker (TCP sessions only).
    pub tcp: Option<TcpTracker>,
    /// Packets per direction.
    pub packets: [u64; 2],
    /// Bytes per direction.
    pub bytes: [u64; 2],
    /// Creation time (ns).
    pub created: u64,
    /// Expiry time (ns).
    pub expires: u64,
    /// Idle timeout of established traffic (ns).
    pub timeout: u64,
    /// Permitting policy (re-validated when the snapshot changes).
    pub policy: Arc<str>,
    /// Policy counter index in the snapshot of `generation`.
    pub policy_id: Option<u32>,
    /// Generation of the snapshot that last validated the session.
    pub generation: u64,
    /// Zone the session came from.
    pub from_zone: Arc<str>,
    /// Zone it goes to.
    pub to_zone: Arc<str>,
    /// Application name for logs.
    pub application: Arc<str>,
    /// Source NAT rule, for logs.
    pub snat_rule: Option<Arc<str>>,
    /// Destination or static NAT rule, for logs.
    pub dnat_rule: Option<Arc<str>>,
    /// Emit a close record.
    pub log_close: bool,
    /// The `limit-session` counts the session holds.
    pub limits: LimitMark,
}

/// Session table counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionCounters {
    /// Sessions created.
    pub created: u64,
    /// Sessions closed (expired, reset, removed).
    pub closed: u64,
    /// Lookups that found a session.
    pub hits: u64,
    /// Lookups that found none.
    pub misses: u64,
    /// Creations refused because the table was full.
    pub table_full: u64,
}

/// Why a session was not inserted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InsertError {
    /// No free slot.
    Full,
    /// Its forward or reverse key belongs to another session.
    KeyTaken,
}

/// The least and most slots one sweep call looks at: at least an eighth
/// of the slots ever used, so a table is swept through within eight calls
/// (under a second at the forwarder's pace), and never so many that a
/// sweep stalls a batch for long.
const SWEEP_SLOTS: (usize, usize) = (64, 32_768);

/// The table. See the module docs.
#[derive(Debug)]
pub struct Sessions {
    slots: Vec<Option<Session>>,
    free: Vec<u32>,
    index: HashMap<FlowKey, u32, FlowBuildHasher>,
    next_id: u64,
    cursor: usize,
    /// One past the highest slot ever used: free slots are reused lowest
    /// first, so live sessions sit below it and sweeps need look no higher.
    used: usize,
    limits: limit::SessionLimits,
    /// Counters.
    pub counters: SessionCounters,
}

fn entry(slot: u32, dir: Dir) -> u32 {
    slot << 1 | dir as u32
}

impl Sessions {
    /// A table for `capacity` sessions, allocated now.
    pub fn with_capacity(capacity: usize) -> Sessions {
        let capacity = capacity.clamp(1, (u32::MAX >> 1) as usize);
        Sessions {
            slots: (0..capacity).map(|_| None).collect(),
            free: (0..capacity as u32).rev().collect(),
            index: HashMap::with_capacity_and_hasher(capacity * 2, FlowBuildHasher::default()),
            next_id: 1,
            cursor: 0,
            used: 0,
            limits: limit::SessionLimits::default(),
            counters: SessionCounters::default(),
        }
    }

    /// Sessions in the table.
    pub fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Capacity.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Prepares per-address session counts (`limit-session`): allocated
    /// once, when a snapshot first limits sessions.
    pub(crate) fn enable_limits(&mut self) {
        self.limits.reserve(self.slots.len());
    }

    /// Counts sessions per address with `limits`, which other tables may
    /// share (box-wide `limit-session`). Only on an empty table: the counts
    /// of sessions it holds would stay behind in the old ones.
    pub(crate) fn share_limits(&mut self, limits: &limit::SessionLimits) {
        debug_assert!(self.is_empty());
        let enabled = self.limits.lock().capacity() > 0;
        self.limits = limits.clone();
        if enabled {
            self.enable_limits();
        }
    }

    /// Counted sessions from `src` and to `dst` (`limit-session`).
    pub(crate) fn limit_counts(&self, v6: bool, src: u128, dst: u128) -> (u32, u32) {
        self.limits.lock().count(v6, src, dst)
    }

    /// The slot and direction of a key (expiry not checked).
    ///
    /// Inlined into the session lookup, so the key is hashed from the
    /// registers it was built in rather than stored and reloaded.
    #[inline]
    pub(crate) fn find(&self, key: &FlowKey) -> Option<(u32, Dir)> {
        let e = *self.index.get(key)?;
        let dir = if e & 1 == 0 {
            Dir::Forward
        } else {
            Dir::Reverse
        };
        Some((e >> 1, dir))
    }

    /// Whether a key is taken (port allocation asks this).
    pub(crate) fn contains(&self, key: &FlowKey) -> bool {
        self.index.contains_key(key)
    }

    /// The session in a slot.
    pub(crate) fn get_mut(&mut self, slot: u32) -> Option<&mut Session> {
        self.slots.get_mut(slot as usize)?.as_mut()
    }

    /// A session by slot.
    pub fn get(&self, slot: u32) -> Option<&Session> {
        self.slots.get(slot as usize)?.as_ref()
    }

    /// Every live session.
    pub fn iter(&self) -> impl Iterator<Item = &Session> {
        self.slots.iter().flatten()
    }

    /// Inserts a session.
    pub(crate) fn insert(&mut self, mut s: Session) -> Result<u32, InsertError> {
        if self.index.contains_key(&s.fwd) || self.index.contains_key(&s.rev) {
            return Err(InsertError::KeyTaken);
        }
        let Some(slot) = self.free.pop() else {
            self.counters.table_full += 1;
            return Err(InsertError::Full);
        };
        self.used = self.used.max(slot as usize + 1);
        s.id = self.next_id;
        self.next_id += 1;
        self.index.insert(s.fwd, entry(slot, Dir::Forward));
        self.index.insert(s.rev, entry(slot, Dir::Reverse));
        if s.limits != LimitMark::default() {
            self.limits
                .lock()
                .add(s.limits, s.fwd.v6, s.fwd.src, s.fwd.dst);
        }
        self.slots[slot as usize] = Some(s);
        self.counters.created += 1;
        Ok(slot)
    }

    /// Removes a session, returning it (for its close record).
    pub(crate) fn remove(&mut self, slot: u32) -> Option<Session> {
        let s = self.slots.get_mut(slot as usize)?.take()?;
        self.index.remove(&s.fwd);
        self.index.remove(&s.rev);
        if s.limits != LimitMark::default() {
            self.limits
                .lock()
                .remove(s.limits, s.fwd.v6, s.fwd.src, s.fwd.dst);
        }
        self.free.push(slot);
        self.counters.closed += 1;
        Some(s)
    }

    /// Removes up to a bounded number of expired sessions, scanning on
    /// from where the last sweep stopped; `closed` sees each one.
    pub fn sweep(&mut self, now: u64, mut closed: impl FnMut(Session)) -> usize {
        let mut n = 0;
        let span = self.used.max(1);
        let budget = (span / 8).clamp(SWEEP_SLOTS.0, SWEEP_SLOTS.1).min(span);
        for _ in 0..budget {
            self.cursor = (self.cursor + 1) % span;
            let slot = self.cursor as u32;
            if self.get(slot).is_some_and(|s| s.expires <= now) {
                if let Some(s) = self.remove(slot) {
                    closed(s);
                    n += 1;
                }
            }
        }
        n
    }

    /// Removes every session matching `pred` (`clear security flow
    /// session`), returning how many.
    pub fn clear(
        &mut self,
        mut pred: impl FnMut(&Session) -> bool,
        mut closed: impl FnMut(Session),
    ) -> usize {
        let mut n = 0;
        for slot in 0..self.slots.len() as u32 {
            if self.get(slot).is_some_and(&mut pred) {
                if let Some(s) = self.remove(slot) {
                    closed(s);
                    n += 1;
                }
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    pub(crate) fn session(sport: u16) -> Session {
        let fwd = FlowKey {
            src: 1,
            dst: 2,
            sport,
            dport: 80,
            proto: 6,
            v6: false,
            instance: 0,
        };
        let route = Route {
            ifindex: 1,
            next_hop: IpAddr::from([0, 0, 0, 2]),
        };
        Session {
            id: 0,
            fwd,
            rev: fwd.reversed(),
            xlate: [Xlate::default(); 2],
            route: [route; 2],
            ingress_ifindex: 1,
            tcp: None,
            packets: [0; 2],
            bytes: [0; 2],
            created: 0,
            expires: 100,
            timeout: 100,
            policy: "p".into(),
            policy_id: Some(0),
            generation: 1,
            from_zone: "trust".into(),
            to_zone: "untrust".into(),
            application: "junos-http".into(),
            snat_rule: None,
            dnat_rule: None,
            log_close: false,
            limits: LimitMark::default(),
        }
    }

    #[test]
    fn insert_find_remove_and_full() {
        let mut t = Sessions::with_capacity(2);
        let a = t.insert(session(1)).unwrap();
        let s = session(1);
        assert_eq!(t.find(&s.fwd), Some((a, Dir::Forward)));
        assert_eq!(t.find(&s.rev), Some((a, Dir::Reverse)));
        assert!(t.insert(session(1)).is_err(), "duplicate key");
        t.insert(session(2)).unwrap();
        assert!(t.insert(session(3)).is_err());
        assert_eq!(t.counters.table_full, 1);
        assert!(t.remove(a).is_some());
        assert_eq!(t.find(&s.fwd), None);
        t.insert(session(3)).unwrap();
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn limit_counts_follow_every_way_out() {
        let mut t = Sessions::with_capacity(8);
        t.enable_limits();
        let counted = |sport| Session {
            limits: LimitMark {
                source: true,
                destination: true,
            },
            ..session(sport)
        };
        let a = t.insert(counted(1)).unwrap();
        t.insert(counted(2)).unwrap();
        t.insert(session(3)).unwrap();
        assert_eq!(t.limit_counts(false, 1, 2), (2, 2), "unmarked not counted");
        t.remove(a);
        assert_eq!(t.limit_counts(false, 1, 2), (1, 1));
        t.sweep(1000, |_| {});
        assert_eq!(t.limit_counts(false, 1, 2), (0, 0), "expired");
        let mut long = counted(4);
        long.expires = u64::MAX;
        t.insert(long).unwrap();
        t.clear(|_| true, |_| {});
        assert_eq!(t.limit_counts(false, 1, 2), (0, 0), "cleared");
        assert_eq!(t.limits.lock().addresses(), 0, "addresses are let go");
    }

    #[test]
    fn sweep_removes_expired_only() {
        let mut t = Sessions::with_capacity(4);
        t.insert(session(1)).unwrap();
        let mut late = session(2);
        late.expires = 1000;
        t.insert(late).unwrap();
        let mut closed = Vec::new();
        t.sweep(500, |s| closed.push(s.fwd.sport));
        assert_eq!(closed, [1]);
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn a_big_table_with_few_sessions_is_swept_through_at_once() {
        let mut t = Sessions::with_capacity(262_144);
        for port in 1..=10 {
            t.insert(session(port)).unwrap();
        }
        let mut closed = 0;
        t.sweep(500, |_| closed += 1);
        assert_eq!(closed, 10, "every expired session in one sweep");
        assert!(t.is_empty());
    }
}
