// SPDX-License-Identifier: Apache-2.0
//! `icmp flood` and `udp flood`: packets per second to one destination;
//! `tcp syn-flood`'s source and destination thresholds: SYNs per second
//! from one source or to one destination.
//!
//! Each (zone, kind, address) has a counter for the current second; the
//! packets above the threshold are the flood for the rest of that second.
//! The counters live in a bounded table: under a spray of addresses the
//! ones with the fewest packets this second are forgotten first, so a
//! heavy hitter keeps its count.

use crate::bounded::Table;

const SEC: u64 = 1_000_000_000;

/// Which flood a counter is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Flood {
    Icmp,
    Udp,
    /// SYNs keyed by their source.
    SynSource,
    /// SYNs keyed by their destination (the destination threshold and the
    /// alarm share it).
    SynDestination,
}

/// What a counter counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct FloodKey {
    pub zone: u16,
    pub flood: Flood,
    pub v6: bool,
    /// The destination, or the source for [`Flood::SynSource`].
    pub addr: u128,
}

/// Packets of one second.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rate {
    second: u64,
    count: u32,
}

impl Rate {
    /// Recent seconds and busy destinations rank highest (kept longest).
    fn rank(&self) -> u64 {
        self.second << 32 | u64::from(self.count)
    }
}

/// Counters kept per worker: enough for this many busy destinations.
pub(crate) const FLOOD_ENTRIES: usize = 4096;

/// Counts a packet to `key` at `now`; true when it is above `limit` for
/// this second.
pub(crate) fn over(t: &mut Table<FloodKey, Rate>, key: FloodKey, now: u64, limit: u32) -> bool {
    count(t, key, now) > limit
}

/// Counts a packet to `key` at `now`: the packets of this second so far,
/// this one included.
pub(crate) fn count(t: &mut Table<FloodKey, Rate>, key: FloodKey, now: u64) -> u32 {
    let second = now / SEC;
    let r = t.entry(key, || Rate { second, count: 0 }, Rate::rank);
    if r.second != second {
        *r = Rate { second, count: 0 };
    }
    r.count = r.count.saturating_add(1);
    r.count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(addr: u128) -> FloodKey {
        FloodKey {
            zone: 0,
            flood: Flood::Udp,
            v6: false,
            addr,
        }
    }

    #[test]
    fn above_the_threshold_for_the_rest_of_the_second() {
        let mut t = Table::with_capacity(16);
        let hits: Vec<bool> = (0..5).map(|i| over(&mut t, key(1), SEC + i, 3)).collect();
        assert_eq!(hits, [false, false, false, true, true]);
        assert!(!over(&mut t, key(2), SEC, 3), "another destination");
        assert!(!over(&mut t, key(1), 2 * SEC, 3), "a new second");
    }

    #[test]
    fn a_spray_of_destinations_does_not_evict_the_flooded_one() {
        let mut t = Table::with_capacity(4);
        for i in 0..100 {
            over(&mut t, key(1), SEC + i, 1000);
        }
        for d in 2..1000 {
            over(&mut t, key(d), SEC, 1000);
        }
        for i in 0..900 {
            over(&mut t, key(1), SEC + i, 1000);
        }
        assert!(over(&mut t, key(1), SEC, 1000), "count kept: 1001st packet");
    }
}
