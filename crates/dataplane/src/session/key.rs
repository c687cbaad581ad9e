// SPDX-License-Identifier: Apache-2.0
//! The 5-tuple (+ zone) a session is found by, and the hasher for it.

use std::hash::{BuildHasherDefault, Hash, Hasher};

/// What a packet is matched to a session by. IPv4 addresses sit in the low
/// 32 bits; `v6` keeps the families apart. `instance` is the routing
/// instance (0 for the default one), which keeps overlapping address spaces
/// apart; zones are not part of the key because zone ids are per snapshot
/// and sessions outlive snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// Three writes, not the derived nine: every session hit hashes a key, and
/// each write is a multiply the next one waits for (measured: the derived
/// hash was ~10 ns of a ~75 ns session hit).
///
/// An IPv4 key's addresses fit one 64-bit write (their high halves are
/// zero), one multiply fewer on the chain of most packets' hash; `v6` is
/// part of the key, so equal keys still hash alike.
impl Hash for FlowKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        if self.v6 {
            state.write_u128(self.src);
            state.write_u128(self.dst);
        } else {
            state.write_u64((self.src as u64) << 32 | (self.dst as u64 & 0xffff_ffff));
        }
        // Ports in the low bits: a multiply carries upward only.
        state.write_u64(
            u64::from(self.sport)
                | u64::from(self.dport) << 16
                | u64::from(self.proto) << 32
                | u64::from(self.v6) << 40
                | u64::from(self.instance) << 48,
        );
    }
}

/// A multiply-rotate hasher (FxHash's scheme): keys are attacker-chosen but
/// the table is bounded and probing is by hashbrown, so speed matters more
/// than DoS resistance here; a seeded hash is a later hardening step.
#[derive(Default, Clone, Copy)]
pub struct FlowHasher(u64);

const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
/// A second odd constant (splitmix64's), for the other half of a `u128`.
const K2: u64 = 0x94d0_49bb_1331_11eb;

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
        // Both halves in one 64x64->128 multiply, folded (foldhash's
        // scheme): one multiply on the chain instead of two. The constants
        // keep a zero half (every IPv4 address's high half) from zeroing
        // the product.
        let p = u128::from(i as u64 ^ self.0 ^ K) * u128::from((i >> 64) as u64 ^ K2);
        self.0 = (p as u64) ^ ((p >> 64) as u64);
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

    /// Keys that differ in one field only still fill a table's low bits
    /// evenly (hashbrown indexes by them): 4096 keys into 4096 buckets
    /// should fill about 1 - 1/e of them, as random hashes would.
    #[test]
    fn similar_keys_spread_over_low_bits() {
        let base = FlowKey {
            src: 0x0a00_0001,
            dst: 0xcb00_7101,
            sport: 40000,
            dport: 80,
            proto: 17,
            v6: false,
            instance: 0,
        };
        let v6 = FlowKey {
            src: 0x2001_0db8_0000_0001_0000_0000_0000_0000,
            dst: 0x2001_0db8_0000_0002_0000_0000_0000_0001,
            v6: true,
            ..base
        };
        let b = FlowBuildHasher::default();
        type Vary = fn(FlowKey, u16) -> FlowKey;
        let vary: [(&str, FlowKey, Vary); 6] = [
            ("sport", base, |k, i| FlowKey { sport: i, ..k }),
            ("dport", base, |k, i| FlowKey { dport: i, ..k }),
            ("v4 src", base, |k, i| FlowKey {
                src: k.src + u128::from(i),
                ..k
            }),
            ("v4 dst", base, |k, i| FlowKey {
                dst: k.dst + (u128::from(i) << 8),
                ..k
            }),
            ("v6 prefix", v6, |k, i| FlowKey {
                src: k.src + (u128::from(i) << 64),
                ..k
            }),
            ("v6 iid", v6, |k, i| FlowKey {
                dst: k.dst + (u128::from(i) << 48),
                ..k
            }),
        ];
        for (what, k, f) in vary {
            let mut seen = vec![false; 4096];
            for i in 0..4096 {
                seen[b.hash_one(f(k, i)) as usize & 4095] = true;
            }
            let filled = seen.iter().filter(|&&x| x).count();
            assert!(filled > 2450, "{what}: {filled} of 4096 buckets");
        }
    }
}
