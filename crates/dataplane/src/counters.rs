// SPDX-License-Identifier: Apache-2.0
//! Counters of one worker: plain numbers the daemon reads and sums across
//! workers ([`Counters::add`]). Every packet outcome lands in one.

use crate::session::SessionCounters;
use crate::stage::nat::{NatCounters, NatRuleHits};
use crate::verdict::DropReason;

/// Packets and bytes of one interface.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InterfaceCounters {
    /// Frames received.
    pub rx_packets: u64,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Frames sent (forwarded out of it, or replies).
    pub tx_packets: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
}

/// A worker's counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counters {
    /// Drops by [`DropReason`] number.
    pub drops: [u64; DropReason::SLOTS],
    /// Hits per policy, indexed like [`crate::Snapshot::policies`].
    pub policy_hits: Vec<u64>,
    /// Translation hits per NAT rule, indexed like
    /// [`crate::Snapshot::nat_rules`].
    pub nat_rules: Vec<NatRuleHits>,
    /// Per kernel ifindex.
    pub interfaces: Vec<InterfaceCounters>,
    /// Frames forwarded.
    pub forwarded: u64,
    /// Frames handed to the kernel.
    pub to_kernel: u64,
    /// Replies written (RST, ICMP errors).
    pub replies: u64,
    /// Screen hits passed because of `alarm-without-drop`.
    pub screen_alarms: u64,
    /// Entries the bounded screen and fragment tables gave up to newer
    /// keys (a steady rise means they are too small for the traffic).
    pub state_evictions: u64,
    /// Session table counters.
    pub sessions: SessionCounters,
    /// NAT counters.
    pub nat: NatCounters,
    /// Log records dropped because the queue was full.
    pub log_dropped: u64,
}

impl Default for Counters {
    fn default() -> Counters {
        Counters {
            drops: [0; DropReason::SLOTS],
            policy_hits: Vec::new(),
            nat_rules: Vec::new(),
            interfaces: Vec::new(),
            forwarded: 0,
            to_kernel: 0,
            replies: 0,
            screen_alarms: 0,
            state_evictions: 0,
            sessions: SessionCounters::default(),
            nat: NatCounters::default(),
            log_dropped: 0,
        }
    }
}

impl Counters {
    /// Drops counted for a reason.
    pub fn dropped(&self, reason: DropReason) -> u64 {
        self.drops[reason as usize]
    }

    pub(crate) fn drop(&mut self, reason: DropReason) {
        self.drops[reason as usize] += 1;
    }

    /// Counts a NAT rule's translation: `ok` when its session was made.
    pub(crate) fn nat_hit(&mut self, id: u32, ok: bool) {
        if let Some(h) = self.nat_rules.get_mut(id as usize) {
            if ok {
                h.successful += 1;
            } else {
                h.failed += 1;
            }
        }
    }

    /// Counters of one interface (zero if never seen).
    pub fn interface(&self, ifindex: u32) -> InterfaceCounters {
        self.interfaces
            .get(ifindex as usize)
            .copied()
            .unwrap_or_default()
    }

    pub(crate) fn rx(&mut self, ifindex: u32, bytes: usize) {
        if let Some(c) = self.interfaces.get_mut(ifindex as usize) {
            c.rx_packets += 1;
            c.rx_bytes += bytes as u64;
        }
    }

    pub(crate) fn tx(&mut self, ifindex: u32, bytes: usize) {
        if let Some(c) = self.interfaces.get_mut(ifindex as usize) {
            c.tx_packets += 1;
            c.tx_bytes += bytes as u64;
        }
    }

    /// Adds another worker's counters (policy lists must be of the same
    /// snapshot).
    pub fn add(&mut self, o: &Counters) {
        for (a, b) in self.drops.iter_mut().zip(o.drops.iter()) {
            *a += b;
        }
        if self.policy_hits.len() < o.policy_hits.len() {
            self.policy_hits.resize(o.policy_hits.len(), 0);
        }
        for (a, b) in self.policy_hits.iter_mut().zip(&o.policy_hits) {
            *a += b;
        }
        if self.nat_rules.len() < o.nat_rules.len() {
            self.nat_rules
                .resize(o.nat_rules.len(), NatRuleHits::default());
        }
        for (a, b) in self.nat_rules.iter_mut().zip(&o.nat_rules) {
            a.successful += b.successful;
            a.failed += b.failed;
        }
        if self.interfaces.len() < o.interfaces.len() {
            self.interfaces
                .resize(o.interfaces.len(), InterfaceCounters::default());
        }
        for (a, b) in self.interfaces.iter_mut().zip(&o.interfaces) {
            a.rx_packets += b.rx_packets;
            a.rx_bytes += b.rx_bytes;
            a.tx_packets += b.tx_packets;
            a.tx_bytes += b.tx_bytes;
        }
        self.forwarded += o.forwarded;
        self.to_kernel += o.to_kernel;
        self.replies += o.replies;
        self.screen_alarms += o.screen_alarms;
        self.state_evictions += o.state_evictions;
        let (s, t) = (&mut self.sessions, &o.sessions);
        s.created += t.created;
        s.closed += t.closed;
        s.hits += t.hits;
        s.misses += t.misses;
        s.table_full += t.table_full;
        self.nat.destination += o.nat.destination;
        self.nat.source += o.nat.source;
        self.log_dropped += o.log_dropped;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums() {
        let mut a = Counters::default();
        a.drop(DropReason::PolicyDeny);
        let mut b = Counters {
            policy_hits: vec![1, 2],
            interfaces: vec![InterfaceCounters::default(); 3],
            ..Counters::default()
        };
        b.rx(2, 100);
        b.drop(DropReason::PolicyDeny);
        b.nat_rules = vec![NatRuleHits::default(); 2];
        b.nat_hit(1, true);
        b.nat_hit(1, false);
        b.nat_hit(9, true); // a rule of no snapshot: ignored
        a.add(&b);
        a.add(&b);
        assert_eq!(a.nat_rules[1].successful, 2);
        assert_eq!(a.nat_rules[1].total(), 4);
        assert_eq!(a.dropped(DropReason::PolicyDeny), 3);
        assert_eq!(a.policy_hits, [2, 4]);
        assert_eq!(a.interface(2).rx_bytes, 200);
    }
}
