// SPDX-License-Identifier: Apache-2.0
//! The sweeps (`icmp ip-sweep`, `tcp tcp-sweep`, `udp udp-sweep`) and
//! port scans (`tcp port-scan`, `udp port-scan`): too many distinct
//! targets probed from one source within a window.
//!
//! The rule (Junos' as documented, made exact): a window of `threshold`
//! opens at a source's first probe. Up to [`PROBES`] distinct targets
//! (hosts for a sweep, ports of one destination for a scan) pass within
//! it; the probe of one more distinct target is the attack. That probe and
//! everything the screen covers from the source (all its ICMP for a sweep,
//! all its TCP to that destination for a scan) are dropped until the
//! window ends, and at least until the end of the current second, as Junos
//! blocks "for the remainder of the second". Repeating a target costs
//! nothing: a ping train to one host is not a sweep.
//!
//! Windows live in a bounded table; the ones ending soonest are forgotten
//! first, which can only let a scanner through, never block a bystander.

use crate::bounded::Table;

const SEC: u64 = 1_000_000_000;

/// Distinct targets a source may probe within one window.
pub(crate) const PROBES: usize = 10;

/// Sources (sweep) or source-destination pairs (scan) tracked per worker.
pub(crate) const SCAN_ENTRIES: usize = 1024;

/// Which screen a window belongs to: one source may run several at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Probe {
    /// `icmp ip-sweep`.
    IcmpSweep,
    /// `tcp tcp-sweep`.
    TcpSweep,
    /// `udp udp-sweep`.
    UdpSweep,
    /// `tcp port-scan`.
    TcpScan,
    /// `udp port-scan`.
    UdpScan,
}

/// Whose probes a window counts: `dst` is 0 for a sweep (any host).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ScanKey {
    pub probe: Probe,
    pub zone: u16,
    pub v6: bool,
    pub src: u128,
    pub dst: u128,
}

/// The distinct targets one source probed in its current window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window<T> {
    start: u64,
    len: u64,
    blocked_until: u64,
    seen: usize,
    targets: [T; PROBES],
}

impl<T: Copy + Eq + Default> Window<T> {
    fn new(now: u64, len: u64) -> Window<T> {
        Window {
            start: now,
            len,
            blocked_until: 0,
            seen: 0,
            targets: [T::default(); PROBES],
        }
    }

    /// When the window stops mattering (eviction ranks by this).
    fn ends(&self) -> u64 {
        self.blocked_until.max(self.start.saturating_add(self.len))
    }

    fn blocked(&self, now: u64) -> bool {
        now < self.blocked_until
    }

    /// Records a probe of `target`; true when it is (part of) an attack.
    fn probe(&mut self, target: T, now: u64) -> bool {
        if self.blocked(now) {
            return true;
        }
        if now.saturating_sub(self.start) >= self.len {
            *self = Window::new(now, self.len);
        }
        if self.targets[..self.seen].contains(&target) {
            return false;
        }
        if let Some(slot) = self.targets.get_mut(self.seen) {
            *slot = target;
            self.seen += 1;
            return false;
        }
        let rest_of_second = (now / SEC + 1) * SEC;
        self.blocked_until = rest_of_second.max(self.start.saturating_add(self.len));
        true
    }
}

/// A probe of `target` from `key`'s source with window length `len`:
/// true when it is an attack.
pub(crate) fn probe<T: Copy + Eq + Default>(
    t: &mut Table<ScanKey, Window<T>>,
    key: ScanKey,
    target: T,
    now: u64,
    len: u64,
) -> bool {
    t.entry(key, || Window::new(now, len), Window::ends)
        .probe(target, now)
}

/// Whether `key`'s source is blocked after an attack (for packets that
/// are not probes themselves).
pub(crate) fn blocked<T: Copy + Eq + Default>(
    t: &mut Table<ScanKey, Window<T>>,
    key: &ScanKey,
    now: u64,
) -> bool {
    t.get_mut(key).is_some_and(|w| w.blocked(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    const US: u64 = 1_000;

    fn key(src: u128) -> ScanKey {
        ScanKey {
            probe: Probe::IcmpSweep,
            zone: 0,
            v6: false,
            src,
            dst: 0,
        }
    }

    #[test]
    fn the_eleventh_distinct_target_in_the_window_is_the_attack() {
        let mut t = Table::with_capacity(16);
        let len = 5000 * US;
        let now = SEC;
        for host in 0..10u128 {
            assert!(!probe(&mut t, key(1), host, now + host as u64 * US, len));
        }
        // Repeats are free.
        assert!(!probe(&mut t, key(1), 3u128, now + 11 * US, len));
        assert!(probe(&mut t, key(1), 10u128, now + 12 * US, len));
        assert!(blocked(&mut t, &key(1), now + 500_000 * US));
        assert!(!blocked(&mut t, &key(2), now), "another source");
        // Blocked for the rest of the second, then a fresh window.
        assert!(probe(&mut t, key(1), 0u128, now + 900_000 * US, len));
        assert!(!probe(&mut t, key(1), 0u128, 2 * SEC, len));
    }

    #[test]
    fn probes_spread_over_windows_are_not_an_attack() {
        let mut t = Table::with_capacity(16);
        let len = 5000 * US;
        for port in 0..100u16 {
            let at = SEC + u64::from(port) * 1000 * US;
            assert!(!probe(&mut t, key(1), port, at, len), "port {port}");
        }
    }
}
