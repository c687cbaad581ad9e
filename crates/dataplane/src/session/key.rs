// SPDX-License-Identifier: Apache-2.0
//! The 5-tuple (+ zone) a session is found by, and the hasher for it.

use std::hash::{BuildHasherDefault, Hasher};

/// What a packet is matched to a session by. IPv4 addresses sit in the low
/// 32 bits; `v6` keeps the families apart. `instance` is the routing
/// instance (0 for the default one), which keeps overlapping address spaces
/// apart; zones are not part of the key because zone ids are per snapshot
/// and sessions outlive snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlowKey {
    /// Source address.
    pub src: u128,
    /// Destination address.
    pub dst: u128,
    /// Source port (ICMP echo: the identifier).
    pub sport: u16,
    /// Destination port (ICMP echo: the identifier again, so a reply's key
    /// is the request's reversed).
    pub dport: u16,
    /// IP protocol.
    pub proto: u8,
    /// IPv6.
    pub v6: bool,
    /// Routing instance.
    pub instance: u16,
}

impl FlowKey {
    /// The key of the opposite direction.
    pub fn reversed(&self) -> FlowKey {
        FlowKey {
            src: self.dst,
            dst: self.src,
            sport: self.dport,
            dport: self.sport,
            ..*self
        }
    }
}

/// A multiply-rotate hasher (FxHash's scheme): keys are attacker-chosen but
/// the table is bounded and probing is by hashbrown, so speed matters more
/// than DoS resistance here; a seeded hash is a later hardening step.
#[derive(Default, Clone, Copy)]
pub struct FlowHasher(u64);

const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FlowHasher {
    /// A hasher starting from `seed` (bounded tables seed theirs randomly).
    pub(crate) fn seeded(seed: u64) -> FlowHasher {
        FlowHasher(seed)
    }

    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
    }
}

impl Hasher for FlowHasher {
    fn finish(&self) -> u64 {
        // Multiplication only carries upward, and hashbrown indexes by the
        // low bits: fold the well-mixed high half down (measured: without
        // this, tables of flows differing only in ports probe long chains).
        let x = self.0 ^ (self.0 >> 29);
        x.wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (x >> 32)
    }
    fn write(&mut self, bytes: &[u8]) {
        for c in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..c.len()].copy_from_slice(c);
            self.add(u64::from_le_bytes(b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }
    fn write_u128(&mut self, i: u128) {
        self.add(i as u64);
        self.add((i >> 64) as u64);
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
}

/// `BuildHasher` for session maps.
pub type FlowBuildHasher = BuildHasherDefault<FlowHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn reversal_and_hash_spread() {
        let k = FlowKey {
            src: 1,
            dst: 2,
            sport: 3,
            dport: 4,
            proto: 6,
            v6: false,
            instance: 0,
        };
        let r = k.reversed();
        assert_eq!((r.src, r.dst, r.sport, r.dport), (2, 1, 4, 3));
        assert_eq!(r.reversed(), k);
        let b = FlowBuildHasher::default();
        let h = |k: &FlowKey| b.hash_one(k);
        assert_ne!(h(&k), h(&FlowKey { sport: 5, ..k }));
    }
}
